"""A file's values as a :class:`Table`: columns found by name (:func:`key`), read as numbers,
dates or text by the cell layer (:mod:`xlwings_udfs.cells`), so that a value means in a file
what it means in a cell; every bad value a :class:`~.errors.BadValues` naming the column and
its position (the line of a text file, the header being a line; the row of a sheet).

:mod:`.files` makes a Table from a CSV or xlsx file.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from .. import cells, text_fields
from ..analytics.errors import InputError
from .errors import BadValues, FileProblem

__all__ = ["Table", "DECLARE_DATES", "key"]

#: What the command line tells the user to do about date texts it cannot read for sure.
DECLARE_DATES = "give the format with --date-format, e.g. --date-format %d/%m/%Y"

def key(name: str) -> str:
    """A column name as names are compared: case and punctuation aside (``Adj. Close*``,
    ``adj_close`` and ``ADJ CLOSE`` are all ``adj close``)."""
    return " ".join("".join(c if c.isalnum() else " " for c in name.casefold()).split())


@dataclass
class Table:
    """The values of an input file, one column per header name.

    Attributes
    ----------
    path : Path
        The file, as the user named it (messages quote it).
    names : list of str
        The header, as written (spaces around a name dropped); an empty name is shown as
        ``column 3`` (``column C`` in a sheet).
    data : list of lists
        One list per column: the texts of a text file, the typed cells of a sheet.
    lines : ndarray
        The line of the file (the row of the sheet) of each data row, 1-based.
    axis : str
        ``"line"`` for a text file, ``"row"`` for a sheet.
    sheet : str or None
        The sheet read, for a workbook.
    decimal : str or None
        The decimal mark of a text file's numbers: declared, or None to find it.
    """

    path: Path
    names: list[str]
    data: list[list]
    lines: np.ndarray
    axis: str = "line"
    sheet: str | None = None
    decimal: str | None = None
    unsaved: dict[int, int] = field(default_factory=dict)  # column -> first row of a formula without a value
    unnamed: frozenset[str] = frozenset()  # the names given to columns without one

    @property
    def text_file(self) -> bool:
        return self.sheet is None

    @property
    def where(self) -> str:
        """The file as messages name it (with its sheet)."""
        return f"{self.path} (sheet {self.sheet!r})" if self.sheet is not None else str(self.path)

    @property
    def columns(self) -> list[str]:
        return list(self.names)

    def __len__(self) -> int:
        return len(self.lines)

    def line(self, position: int) -> int:
        """The line (row of the sheet) of data row ``position`` (0-based)."""
        return int(self.lines[position])

    def problem(self, problem: str) -> FileProblem:
        return FileProblem(self.where, problem)

    def bad(self, column: str, problem: str, position: int | None = None) -> BadValues:
        """The error for bad values of ``column``, the first at data row ``position``."""
        line = None if position is None else self.line(position)
        return BadValues(self.where, InputError(column, problem, row=line, axis=self.axis))

    def located(self, err: InputError, column: str, lines: np.ndarray | None = None) -> InputError:
        """An error about values of ``column`` (its row counting the values given, 1-based)
        with the column's name and the line of the file; ``lines`` are the lines of the
        values given, when they are not the whole column in the file's order."""
        lines = self.lines if lines is None else lines
        row = err.row
        line = int(lines[row - 1]) if row is not None and 1 <= row <= len(lines) and lines[row - 1] > 0 else None
        return err.replace(argument=column, row=line, axis=self.axis)

    # ------------------------------------------------------------------------------------
    # columns

    def _index(self, name: str) -> int:
        return self.names.index(name)

    def find(self, given: str | None, defaults: Sequence[str], what: str, option: str,
             required: bool = True, exclude: Sequence[str | None] = ()) -> str | None:
        """The column for ``what``: the one given (its name in any case), or the first of
        ``defaults`` present (names compared by :func:`key`), other than those of ``exclude``.

        A column given but absent, or a required one not found, is a :class:`FileProblem`
        listing the columns the file has; an optional one not found is None.
        """
        listing = f"columns: {', '.join(self.names)}"
        if given is not None:
            for match in (lambda n: n == given, lambda n: n.casefold() == given.casefold(),
                          lambda n: key(n) == key(given)):
                found = [n for n in self.names if match(n)]
                if found:
                    return self._unique(found[0], option)
            raise self.problem(f"no column {given!r} for {what}; {listing}")
        keys = {}
        for n in self.names:
            if n not in exclude:
                keys.setdefault(key(n), n)
        for name in defaults:
            if name in keys:
                return self._unique(keys[name], option)
        if required:
            raise self.problem(f"no {what} column (looked for {', '.join(defaults)}); name it with "
                               f"{option}; {listing}")
        return None

    def _unique(self, name: str, option: str) -> str:
        same = [j + 1 for j, n in enumerate(self.names) if key(n) == key(name)]
        if len(same) > 1:
            raise self.problem(f"columns {', '.join(map(str, same))} are all named {name!r}: rename "
                               f"the one to use, or name another with {option}")
        return name

    def raw(self, column: str) -> list:
        return self.data[self._index(column)]

    # ------------------------------------------------------------------------------------
    # values

    def text(self, column: str) -> list[str]:
        """A column as text, as it is written (a whole number of a sheet without ``.0``)."""
        out = []
        for v in self.raw(column):
            if isinstance(v, float) and v.is_integer():
                v = int(v)
            out.append("" if v is None else str(v).strip())
        return out

    def numbers(self, *columns: str) -> list[np.ndarray]:
        """Columns of numbers, read together (a text file's decimal mark is found from them
        all), each as a float vector with NaN where a value is missing; a value that is not
        a number is a :class:`BadValues` with its column and line."""
        decimal = self._decimal_mark(columns) if self.text_file else None
        out = []
        for column in columns:
            self._check_saved(column)
            raw = self.raw(column)
            values = text_fields.from_texts(raw, decimal) if self.text_file else raw
            try:
                out.append(cells.numbers(values, column))
            except InputError as err:
                if self.text_file and " non-numeric cell" in err.problem:
                    err = err.replace(problem=f"{err.problem} (for a missing value: empty, "
                                              f"{', '.join(text_fields.MISSING_WORDS[:-1])} or {text_fields.MISSING_WORDS[-1]})")
                raise BadValues(self.where, self.located(err, column)) from None
        return out

    def dates(self, column: str, date_format: str | None = None) -> pd.DatetimeIndex:
        """A column of dates, NaT where blank: dates and Excel serial numbers of a sheet as
        they are, date texts by the column rule (:func:`xlwings_udfs.cells.dates`); a value
        that is not a date is a :class:`BadValues` with its column and line."""
        self._check_saved(column)
        raw = self.raw(column)
        if self.text_file:
            values = [None if text_fields.is_missing(t) else t.strip() for t in raw]
        else:
            values = raw
        try:
            out = cells.dates(values, column, date_format=date_format, declare=DECLARE_DATES)
        except InputError as err:
            raise BadValues(self.where, self.located(err, column)) from None
        return pd.DatetimeIndex(out)

    def _check_saved(self, column: str) -> None:
        row = self.unsaved.get(self._index(column))
        if row is not None:
            raise BadValues(self.where, InputError(
                column, "a formula without a saved value (open the workbook in Excel and save it)",
                row=row, axis=self.axis))

    def _decimal_mark(self, columns: Sequence[str]) -> str:
        """The decimal mark of the numbers of ``columns``: declared, or the one they show."""
        if self.decimal is not None:
            return self.decimal
        seen: dict[str, tuple[str, int]] = {}
        for column in columns:
            for mark, position in text_fields.decimal_evidence(self.raw(column)).items():
                if position is not None and mark not in seen:
                    seen[mark] = (column, position)

        def at(mark: str) -> tuple[str, str]:
            column, position = seen[mark]
            return f"column {column!r}, {self.axis} {self.line(position)}", self.raw(column)[position].strip()

        if "." in seen and "," in seen:
            (p, t), (c, u) = at("."), at(",")
            raise self.problem(f"numbers written with a decimal point ({p}: {t!r}) and with a decimal comma "
                               f"({c}: {u!r}); give the decimal mark with --decimal")
        if "." in seen or "," in seen:
            return "." if "." in seen else ","
        if "either" in seen:
            where, text = at("either")
            whole, part = text.replace(",", ".").split(".")
            raise self.problem(f"{text!r} ({where}) could be {whole}{part} or {whole}.{part}, and no number "
                               f"of the file shows which mark is the decimal one; give it with --decimal . "
                               f"or --decimal ,")
        return "."

