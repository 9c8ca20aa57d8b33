"""A period in a series of dated levels: its end points as the user gives them, the closes
that start and end it, its length in years, and the distributions paid within it.

What :mod:`.returns` needs before it can compound anything, with the checks that make a
period mean what it says: the data must cover it (a weekend or a holiday at either end is
covered), it must hold at least one return, and a distribution must fall on a date with a
level.
"""
from __future__ import annotations

from numbers import Number
from typing import Any

import numpy as np
import pandas as pd

from .dates import chronological, dates_or_index, year_fraction
from .errors import InputError, NotEnoughData
from .validation import as_numbers

__all__ = ["as_date", "distributions_of", "closes_of_period", "period_years", "dates_in_order"]


def as_date(value: Any, name: str) -> pd.Timestamp:
    """The date argument ``name`` as a Timestamp without time zone; a number, a boolean or a
    blank is refused."""
    if value is None or isinstance(value, (bool, np.bool_)) or (
        isinstance(value, (Number, np.number)) and not isinstance(value, np.datetime64)
    ):
        raise InputError(name, f"must be a date, got {value!r}")
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        raise InputError(name, f"not a date ({value!r})") from None
    if ts is pd.NaT:
        raise InputError(name, "must be a date, got a blank")
    return ts.tz_localize(None) if ts.tz is not None else ts


def _distributions_by_row(values: Any, dates: pd.DatetimeIndex, name: str) -> np.ndarray:
    """Distributions per share on the rows of ``dates`` (0 where none), validated.

    Either row-aligned with the levels (blank or 0 = none) or a pandas Series indexed by
    ex-dates, each of which must be one of ``dates``.
    """
    n = dates.size
    if isinstance(values, pd.Series) and isinstance(values.index, pd.DatetimeIndex):
        s = values.dropna()
        missing = ~s.index.isin(dates)
        if missing.any():
            raise InputError(name, f"ex-date {s.index[missing][0].date()} is not among the dates")
        values = s.reindex(dates)
    out = as_numbers(values, name)
    if out.size != n:
        raise InputError(name, f"{out.size} values for {n} levels; the lengths must match")
    with np.errstate(invalid="ignore"):
        negative = out < 0
    if negative.any():
        i = int(np.flatnonzero(negative)[0])
        raise InputError(name, f"{out[i]:g} is not a distribution (must be finite and >= 0)", row=i + 1)
    return np.nan_to_num(out, nan=0.0)  # blank = no distribution that day


def _weekdays_between(a: pd.Timestamp, b: pd.Timestamp) -> int:
    """Weekdays after ``a`` up to and including ``b`` (0 if ``b`` is not after ``a``)."""
    if b <= a:
        return 0
    first = (a + pd.Timedelta(days=1)).date()
    return int(np.busday_count(first, (b + pd.Timedelta(days=1)).date()))


def closes_of_period(valid: np.ndarray, dates: pd.DatetimeIndex, start: pd.Timestamp, end: pd.Timestamp,
                     convention: str) -> tuple[int, int]:
    """The rows of the starting and the ending close of the period from ``start`` to ``end``,
    among the rows where ``valid``; under ``"previous_close"`` the last close before
    ``start``, under ``"start_close"`` the first on or after it."""
    if end < start:
        raise InputError("end", f"{end.date()} is before the start of the period ({start.date()})")
    if _weekdays_between(dates[-1], end):
        raise NotEnoughData("end", f"{end.date()} is after the last date ({dates[-1].date()}); "
                                   "the data do not cover the period")
    day = pd.Timedelta(days=1)
    if convention == "start_close" and _weekdays_between(start - day, dates[0] - day):
        raise NotEnoughData("start", f"{start.date()} is before the first date ({dates[0].date()}); "
                                     "the data do not cover the period")
    rows = np.flatnonzero(valid)
    at_or_before_end = rows[dates[rows] <= end]
    if at_or_before_end.size == 0:
        raise NotEnoughData("end", f"no level on or before {end.date()}")
    end_row = int(at_or_before_end[-1])
    if convention == "previous_close":
        before = rows[dates[rows] < start]
        if before.size == 0:
            raise NotEnoughData(
                "start",
                f"no close before {start.date()} to start from; use start_convention='start_close' "
                "or an earlier start",
            )
        start_row = int(before[-1])
    else:
        after = rows[dates[rows] >= start]
        if after.size == 0:
            raise NotEnoughData("start", f"no level on or after {start.date()}")
        start_row = int(after[0])
    if start_row >= end_row:
        raise NotEnoughData(
            "end", f"the period holds no return (start close {dates[start_row].date()}, "
                   f"end close {dates[end_row].date()})")
    return start_row, end_row


def period_years(start: pd.Timestamp, end: pd.Timestamp, convention: str) -> float:
    """Length in years of the period asked for, from its first to its last day.

    Under ``"previous_close"`` the period is the days from ``start`` to ``end``, both
    included (it begins at the close before ``start``): 1 January to 31 December is one year,
    whatever weekdays the closes fall on. Under ``"start_close"`` it runs from the close on
    ``start`` to the close on ``end``.
    """
    last = end + pd.Timedelta(days=1) if convention == "previous_close" else end
    return year_fraction(start.normalize(), last.normalize())


def distributions_of(x: np.ndarray, dates: pd.DatetimeIndex, distributions: Any, name: str,
                     dist_name: str) -> np.ndarray:
    """Validated distributions for the levels ``x``: none on a date without a level."""
    d = np.zeros(x.size) if distributions is None else _distributions_by_row(distributions, dates, dist_name)
    orphan = (d > 0) & ~np.isfinite(x)
    if orphan.any():
        i = int(np.flatnonzero(orphan)[0])
        raise InputError(
            dist_name, f"a distribution on {dates[i].date()}, a date with no level in {name}", row=i + 1)
    return d


def dates_in_order(dates: Any, levels: Any, n: int) -> tuple[pd.DatetimeIndex, slice]:
    """The dates in ascending order and the slice that orders the rows (newest first reversed)."""
    dates = dates_or_index(dates, levels)
    if dates is None:
        raise InputError("dates", "dates are needed to find the start and the end of the period")
    return chronological(dates, n)
