"""Figures in, cell values out: what a function returns to Excel.

A figure that cannot be estimated is never a stray NaN, which Office.js would show as
``#NUM!`` and classic xlwings as a blank: a single figure (:func:`scalar`) becomes a
not-enough-data error with the reason; a cell inside a spilled table (:func:`table`)
becomes :data:`~.hosts.NA`, a real #N/A on Office.js and the text ``#N/A`` in classic.
numpy scalars become Python numbers. A date becomes a ``datetime`` for classic xlwings,
which writes it as an Excel date, and an Excel serial number for Office.js, whose xlwings
conversion would otherwise write it as text in the user's date format (a text a chart cannot
plot); formatted as a date, the serial shows as one.
"""
from __future__ import annotations

import datetime as _dt
import math
from typing import Any

import numpy as np
import pandas as pd

from ..analytics.errors import NotAvailable
from .hosts import NA, OFFICE_JS, host

#: Day 0 of Excel's 1900 date system, for dates after February 1900.
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")

__all__ = ["scalar", "table"]


def _missing(v: Any) -> bool:
    if v is None:
        return True
    try:
        return not math.isfinite(v)
    except TypeError:
        return False


def scalar(value: Any, what: str, reason: str | None = None) -> float:
    """A single figure as a cell value; NaN or inf is an error with the reason."""
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.reshape(-1)[0]
    if isinstance(value, np.generic):
        value = value.item()
    if _missing(value):
        raise NotAvailable(what, reason or "cannot be estimated from these data")
    return value


def _cell(v: Any, serial_dates: bool) -> Any:
    if isinstance(v, np.generic) and not isinstance(v, np.datetime64):
        v = v.item()
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, (pd.Timestamp, _dt.datetime, _dt.date, np.datetime64)):
        ts = pd.Timestamp(v)
        if ts is pd.NaT:
            return NA
        return (ts - _EXCEL_EPOCH) / pd.Timedelta(days=1) if serial_dates else ts.to_pydatetime()
    if _missing(v):
        return NA
    return v


def table(rows: list[list[Any]]) -> list[list[Any]]:
    """A 2-D result: NaN -> ``"#N/A"``, numpy scalars -> Python numbers, dates as the host
    writes them, rows of equal width."""
    width = max((len(r) for r in rows), default=0)
    serial = host() == OFFICE_JS
    return [[_cell(v, serial) for v in r] + [None] * (width - len(r)) for r in rows]
