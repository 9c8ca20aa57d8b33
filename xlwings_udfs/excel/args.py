"""Single-cell arguments: a number, a flag, a choice, a date, a list of names.

A host passes a single-cell argument as the value, as ``[[value]]`` (Office.js passes every
argument as a 2-D array), as a one-element array, or as None when the argument is omitted
or points at an empty cell; an empty optional argument takes its default. What a cell's
value means (blank, error, date...) is decided in :mod:`xlwings_udfs.cells`; whether a
value is in range is the analytics' job. Messages name the argument and quote the cell:

    periods_per_year: must be a number, got 'daily'
    holding_cost: error cell (#N/A); fix the cell it refers to
"""
from __future__ import annotations

from numbers import Number
from typing import Any

import numpy as np
import pandas as pd

from ..analytics.errors import InputError
from ..analytics.validation import check_flag
from ..cells import basic_value, error_code, is_blank, parse_date, show
from .ranges import rows_of

__all__ = ["unwrap", "number", "flag", "text", "date", "cell_texts"]


def unwrap(value: Any, name: str) -> Any:
    """One cell from whatever a host passes for a scalar argument."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    while isinstance(value, (list, tuple)):
        if len(value) != 1:
            cells = sum(len(row) if isinstance(row, (list, tuple)) else 1 for row in value)
            raise InputError(name, f"expected a single cell, got {cells} cells")
        value = value[0]
    if isinstance(value, np.generic):
        value = value.item()
    return basic_value(value)


def _bad_cell(v: Any, name: str, what: str) -> InputError:
    code = error_code(v)
    if code:
        return InputError(name, f"error cell ({code}); fix the cell it refers to")
    return InputError(name, f"must be {what}, got {show(v)}")


def number(value: Any, name: str, default: Any = None, required: bool = False) -> Any:
    """A numeric argument: None (omitted or empty cell) is ``default``; range checks are the
    analytics' job."""
    v = unwrap(value, name)
    if is_blank(v):
        if required:
            raise InputError(name, "no value (the cell is empty)")
        return default
    if isinstance(v, bool) or not isinstance(v, Number):
        raise _bad_cell(v, name, "a number")
    return v


def flag(value: Any, name: str, default: bool) -> bool:
    """TRUE/FALSE (also 1/0, by the analytics' rule, and the texts TRUE/FALSE); None is
    ``default``."""
    v = unwrap(value, name)
    if is_blank(v):
        return default
    if isinstance(v, str) and not error_code(v) and v.strip().upper() in ("TRUE", "FALSE"):
        return v.strip().upper() == "TRUE"
    try:
        return check_flag(v, name)
    except InputError:  # the same refusal, with the cell shown as Excel shows it
        raise _bad_cell(v, name, "TRUE or FALSE") from None


def text(value: Any, name: str, default: str) -> str:
    """A choice given as text; None is ``default``; the analytics check the choices."""
    v = unwrap(value, name)
    if is_blank(v):
        return default
    if not isinstance(v, str) or error_code(v):
        raise _bad_cell(v, name, "text")
    return v


def cell_texts(value: Any, name: str) -> list[str]:
    """The texts of a range's filled cells, row by row (a list of names, say); blanks skipped."""
    out = []
    for row in rows_of(value):
        for v in (row if isinstance(row, (list, tuple)) else [row]):
            v = basic_value(v.item() if isinstance(v, np.generic) else v)
            if is_blank(v):
                continue
            if not isinstance(v, str) or error_code(v):
                raise _bad_cell(v, name, "text")
            out.append(v.strip())
    return out


def date(value: Any, name: str) -> pd.Timestamp:
    """A single date: a datetime, an Excel serial number or ISO text."""
    v = unwrap(value, name)
    if is_blank(v):
        raise InputError(name, "no date (the cell is empty)")
    stamp, problem = parse_date(v)
    if problem:
        raise InputError(name, problem)
    return stamp
