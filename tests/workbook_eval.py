"""Evaluate a workbook's formulas with the ``formulas`` package and our Excel functions.

``formulas`` parses and computes Excel formulas in Python. The ``ETF_`` functions are
registered into it (before a workbook is loaded: a function registered later is #NAME?)
under the names each host's copy of the template stores (``ETF_BETA``, ``_xldudf_ETF_BETA``,
``_xldudf_XLWINGS_ETF_BETA``) and the ``_XLUDF.`` / ``_XLFN.`` prefixes files may carry. Each is
passed what a host passes: ranges as 2-D lists with blanks as None and error cells as their
error text; it returns a cell value, or a 2-D list that becomes an array (so that INDEX,
TRANSPOSE and spilling work on it).

One difference from Excel is bridged here: ``formulas`` compiles an omitted argument
(``F(a,,c)``) to the number 0, where Excel passes "missing" and every xlwings host passes
None. While a workbook is loaded the harness compiles it to a marker instead, which the wrapper
turns into None, so an omitted ``periods_per_year`` means "infer it" as it does in Excel.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import re
from pathlib import Path
from typing import Any, Iterable

import numpy as np

import formulas
import schedula as sh
from formulas.functions import Array, wrap_func
from formulas.tokens.operand import Empty, XlError

__all__ = ["register_functions", "Evaluation", "Values", "evaluate", "is_error", "ERRORS"]

#: The error values a correctly built workbook must never show.
ERRORS = ("#NAME?", "#VALUE!", "#REF!", "#NUM!", "#DIV/0!", "#NULL!", "#N/A")

_REGISTERED = False


class _Omitted:
    """An argument left out of a call: ``F(a,,c)``."""

    def __repr__(self) -> str:
        return "OMITTED"


OMITTED = _Omitted()


@contextlib.contextmanager
def _omitted_arguments():
    """While formulas are compiled, an omitted argument becomes OMITTED instead of 0."""
    original = Empty.__dict__["compile"]
    Empty.compile = staticmethod(lambda: OMITTED)
    try:
        yield
    finally:
        Empty.compile = original


def _cell_value(v: Any) -> Any:
    if v is sh.EMPTY or v is OMITTED:
        return None
    if isinstance(v, XlError):
        return str(v)
    if isinstance(v, np.generic):
        return v.item()
    return v


def _host_arg(a: Any) -> Any:
    if isinstance(a, np.ndarray):
        return [[_cell_value(v) for v in row] for row in np.atleast_2d(a)]
    return _cell_value(a)


_EPOCH = dt.datetime(1899, 12, 30)


def _excel_value(v: Any) -> Any:
    """A result as Excel holds it: a date (classic xlwings writes a datetime) as its serial."""
    if isinstance(v, dt.datetime):
        return (v - _EPOCH) / dt.timedelta(days=1)
    return v


def _wrap(fn):
    def f(*args):
        out = fn(*[_host_arg(a) for a in args])
        if isinstance(out, list):
            return np.asarray([[_excel_value(v) for v in row] for row in out], dtype=object).view(Array)
        return _excel_value(out)

    f.__name__ = fn.__name__
    return wrap_func(f)


def register_functions() -> None:
    """Make every ``ETF_`` function of :mod:`xlwings_udfs.functions` known to ``formulas``."""
    global _REGISTERED
    if _REGISTERED:
        return
    from xlwings_udfs import functions

    from xlwings_udfs.template.naming import stored_name

    table = formulas.get_functions()
    for name in functions.__all__:
        wrapped = _wrap(getattr(functions, name))
        # As classic xlwings, xlwings Lite and xlwings Server (default namespace) store them.
        hosts = {stored_name(name, host) for host in ("classic", "lite", "server")}
        for key in (*hosts, "_XLUDF." + name, "_XLFN." + name):
            table[key.upper()] = wrapped
    _REGISTERED = True


_RANGE = re.compile(r"^'\[(?P<book>[^\]]+)\](?P<sheet>.+)'!(?P<a>[A-Z]+\d+)(?::(?P<b>[A-Z]+\d+))?$")


def _split(a1: str) -> tuple[int, int]:
    m = re.match(r"([A-Z]+)(\d+)", a1)
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)) - 1, col - 1


def _a1(row: int, col: int) -> str:
    letters, n = "", col + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row + 1}"


class Values(dict):
    """Cell values after a calculation, keyed by (sheet, "B5"); sheet names in any case."""

    def __getitem__(self, where: tuple[str, str]) -> Any:
        sheet, a1 = where
        return super().__getitem__((sheet.upper(), a1.replace("$", "")))


class Evaluation:
    """A workbook loaded into ``formulas``, calculated once as it is.

    ``evaluation[("Total Cost", "D13")]`` is a cell's value; :meth:`calculate` recalculates
    with some input cells changed and returns the new values, leaving these as they are.
    """

    def __init__(self, path: str | Path) -> None:
        register_functions()
        self.path = Path(path)
        self.book = self.path.name
        with _omitted_arguments():
            self.model = formulas.ExcelModel().loads(str(self.path)).finish()
        self.values = self.calculate()

    def key(self, sheet: str, a1: str) -> str:
        return f"'[{self.book}]{sheet.upper()}'!{a1}"

    def calculate(self, inputs: dict[tuple[str, str], Any] | None = None) -> Values:
        """Recalculate with the given cells (sheet, "B5") set to new values."""
        ins = {self.key(s, a): v for (s, a), v in (inputs or {}).items()}
        sol = self.model.calculate(inputs=ins) if ins else self.model.calculate()
        values = Values()
        for k, v in sol.items():
            m = _RANGE.match(k)
            if not m or not hasattr(v, "value"):
                continue
            arr = np.atleast_2d(np.asarray(v.value, dtype=object))
            r0, c0 = _split(m.group("a"))
            sheet = m.group("sheet").upper()
            for i in range(arr.shape[0]):
                for j in range(arr.shape[1]):
                    values.setdefault((sheet, _a1(r0 + i, c0 + j)), _cell_value(arr[i, j]))
        return values

    def __getitem__(self, where: tuple[str, str]) -> Any:
        return self.values[where]


def evaluate(path: str | Path) -> Evaluation:
    """Load ``path`` into ``formulas`` with our functions registered, and calculate it."""
    return Evaluation(path)


def is_error(value: Any, codes: Iterable[str] = ERRORS) -> bool:
    return isinstance(value, str) and value.split(" ", 1)[0].rstrip(":") in tuple(codes)
