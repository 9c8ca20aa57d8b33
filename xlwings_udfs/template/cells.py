"""A formula and its cached result, made from one call so that the two cannot disagree.

Every formula cell of the template is written with the value Excel would show, computed by
calling the same Python function the formula calls, with the arguments a host passes it:
ranges and single cells as 2-D lists, omitted arguments as ``None``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

__all__ = ["Arg", "Cell", "MISSING", "literal", "ref", "single", "call", "index_of", "address", "column_letters", "quoted"]


@dataclass(frozen=True)
class Arg:
    """One argument of a formula: its text and the value a host passes for it."""

    text: str
    value: Any


@dataclass(frozen=True)
class Cell:
    """A formula (with the leading ``=``) and the value it evaluates to.

    ``value`` is a cell value, or a 2-D list for a call that returns an array (which the
    template only uses inside ``INDEX``).
    """

    formula: str
    value: Any


#: An omitted optional argument: nothing between the commas.
MISSING = Arg("", None)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, str):
        return '"' + value.replace('"', '""') + '"'
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    raise TypeError(f"no formula literal for {value!r}")


def literal(value: Any) -> Arg:
    """A constant typed into the formula (hosts pass it as a 1 x 1 range)."""
    return Arg(_text(value), [[value]])


def ref(text: str, values: list[list[Any]]) -> Arg:
    """A range or a defined name, with the 2-D list of values it holds."""
    return Arg(text, values)


def single(text: str, value: Any) -> Arg:
    """A reference to one cell (a name or an address) holding ``value``."""
    return Arg(text, [[value]])


def call(func: Callable[..., Any], name: str, *args: Arg) -> Cell:
    """``=NAME(arg, ...)`` with the value ``func`` returns for the same arguments.

    Trailing omitted arguments are dropped from the text; omitted ones in between are left
    empty (``F(a,,c)``), which is how Excel passes "use the default".
    """
    args = list(args)
    while args and args[-1] is MISSING:
        args.pop()
    text = f"{name}({','.join(a.text for a in args)})"
    return Cell("=" + text, func(*[a.value for a in args]))


def index_of(cell: Cell, k: int, column: int | None = None) -> Cell:
    """``=INDEX(array, k)``: the k-th value of a one-row or one-column result; with
    ``column``, ``=INDEX(array, k, column)`` of a table.

    An error (a single value where an array was expected) passes through, as in Excel.
    """
    if not isinstance(cell.value, list):
        value = cell.value
    elif column is None:
        value = [v for row in cell.value for v in row][k - 1]
    else:
        value = cell.value[k - 1][column - 1]
    where = f"{k}" if column is None else f"{k},{column}"
    return Cell(f"=INDEX({cell.formula[1:]},{where})", value)


def column_letters(col: int) -> str:
    """``0`` -> ``A``, ``26`` -> ``AA``."""
    letters = ""
    n = col + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def address(row: int, col: int, absolute: bool = False, sheet: str | None = None) -> str:
    """A1-style address of a zero-based (row, col), optionally with its sheet."""
    letters = column_letters(col)
    a = f"${letters}${row + 1}" if absolute else f"{letters}{row + 1}"
    return f"{quoted(sheet)}!{a}" if sheet else a


def quoted(sheet: str) -> str:
    """A sheet name as it must appear in a reference."""
    if sheet.replace("_", "").isalnum() and not sheet[0].isdigit():
        return sheet
    return "'" + sheet.replace("'", "''") + "'"
