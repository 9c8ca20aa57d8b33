"""Dates: checked, in nanoseconds, and what they say about the data's frequency.

Every estimator that takes dates goes through :func:`as_dates`, so a bad date gets the same
message everywhere. Dates are optional: without them rows are consecutive periods.

Rules: dates are sorted ascending without duplicates and without blanks; they are held as
nanosecond timestamps without a time zone (a time zone is dropped, the wall time kept);
numbers are not dates here (the Excel layer converts Excel serial numbers before they reach
this module).
"""
from __future__ import annotations

from numbers import Number
from typing import Any

import numpy as np
import pandas as pd

from .constants import TRADING_DAYS
from .errors import InputError
from .date_text import parse_date_texts
from .validation import as_vector, check_positive_number, plural

__all__ = ["as_dates", "chronological", "series_dates", "dates_or_index", "infer_periods_per_year", "median_spacing", "daily_order", "year_fraction"]


def series_dates(x: Any) -> pd.DatetimeIndex | None:
    """The DatetimeIndex of a pandas Series or DataFrame indexed by dates, else None."""
    if isinstance(x, (pd.Series, pd.DataFrame)) and isinstance(x.index, pd.DatetimeIndex):
        return x.index
    return None


def dates_or_index(dates: Any, *series: Any) -> Any:
    """``dates`` if given, else the DatetimeIndex of the first of ``series`` that has one."""
    if dates is not None:
        return dates
    return next((d for d in map(series_dates, series) if d is not None), None)


def chronological(dates: Any, n: int | None, name: str = "dates") -> tuple[pd.DatetimeIndex, slice]:
    """Dates in ascending order, and the slice that puts row-aligned data in that order.

    Dates may come oldest first or newest first (many exports list the latest day first):
    strictly descending dates are reversed, and ``x[order]`` reverses the data with them.
    Dates in neither order, duplicates and blanks are errors naming the row. See
    :func:`as_dates` for what is read as a date.
    """
    if (isinstance(dates, pd.DatetimeIndex) and dates.tz is None and (n is None or dates.size == n)
            and not dates.hasnans and dates.is_monotonic_increasing and dates.is_unique):
        return _in_nanoseconds(dates, name), _FORWARD  # already valid: pandas caches these properties
    idx = _read(dates, n, name)
    if idx.size < 2:
        return idx, _FORWARD
    step = np.diff(idx.asi8)
    if (step == 0).any():
        i = int(np.flatnonzero(step == 0)[0]) + 1
        raise InputError(name, f"duplicate date {idx[i].date()}", row=i + 1)
    if (step > 0).all():
        return idx, _FORWARD
    if (step < 0).all():
        return idx[::-1], _BACKWARD
    # Neither order: the first date that breaks the order of the first two.
    rising = step[0] > 0
    i = int(np.flatnonzero((step < 0) if rising else (step > 0))[0]) + 1
    raise InputError(name, f"dates in neither ascending nor descending order ({idx[i].date()} after "
                           f"{idx[i - 1].date()})", row=i + 1)


def as_dates(dates: Any, n: int | None, name: str = "dates") -> pd.DatetimeIndex:
    """Dates as an ascending DatetimeIndex: same length as the data, no blanks, no duplicates.

    Accepts datetimes, dates, numpy/pandas timestamps and date texts (ISO always; other
    layouts as :mod:`.date_text` reads them). Excel serial numbers are converted by the Excel
    layer before they reach here; a bare number is an error. For data whose rows follow the
    dates, use :func:`chronological`, which also accepts dates newest first.
    """
    idx, order = chronological(dates, n, name)
    if order is _BACKWARD:
        raise InputError(name, "dates in descending order where ascending dates are needed", row=1)
    return idx


# Row-aligned data in the order of chronological()'s dates: as given, or reversed.
_FORWARD, _BACKWARD = slice(None), slice(None, None, -1)


def _read(dates: Any, n: int | None, name: str) -> pd.DatetimeIndex:
    """Dates as a DatetimeIndex in nanoseconds without a time zone, in the order given."""
    arr = as_vector(dates, name)
    if n is not None and arr.size != n:
        raise InputError(name, f"{arr.size} dates for {n} values; the lengths must match")
    if arr.dtype.kind == "M":
        idx = pd.DatetimeIndex(arr)
        if idx.hasnans:
            bad = np.flatnonzero(idx.isna())
            raise InputError(name, f"{plural(bad.size, 'blank date')}", row=int(bad[0]) + 1)
    elif arr.dtype.kind in "fiu":
        raise InputError(name, f"not a date ({arr[0]!r}); give dates, not numbers", row=1)
    else:
        idx = _object_dates(arr, name)
    if idx.tz is not None:
        idx = idx.tz_localize(None)
    return _in_nanoseconds(idx, name)


def _in_nanoseconds(idx: pd.DatetimeIndex, name: str) -> pd.DatetimeIndex:
    """Nanoseconds everywhere, so that integer date arithmetic means the same on every input."""
    if idx.unit == "ns":
        return idx
    try:
        return idx.as_unit("ns")
    except (ValueError, OverflowError):  # pandas' OutOfBoundsDatetime is a ValueError
        raise InputError(name, "must fall between 1677-09-22 and 2262-04-11") from None


def _object_dates(arr: np.ndarray, name: str) -> pd.DatetimeIndex:
    """Dates from Python objects: timestamps as they are, texts by the rules of date_text."""
    missing = np.array([v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT for v in arr])
    if missing.any():
        bad = np.flatnonzero(missing)
        raise InputError(name, f"{plural(bad.size, 'blank date')}", row=int(bad[0]) + 1)
    texts = np.array([isinstance(v, str) for v in arr])
    out = np.full(arr.size, np.datetime64("NaT", "ns"))
    if texts.any():
        out[texts] = parse_date_texts([v if t else None for v, t in zip(arr, texts)], name)[texts]
    for i in np.flatnonzero(~texts):
        v = arr[i]
        if isinstance(v, (bool, np.bool_)) or isinstance(v, (Number, np.number)):
            raise InputError(name, f"not a date ({v!r})", row=i + 1)
        try:
            ts = pd.Timestamp(v)
        except (ValueError, TypeError, OverflowError):
            raise InputError(name, f"not a date ({v!r})", row=i + 1) from None
        if ts.tz is not None:
            ts = ts.tz_localize(None)
        try:
            out[i] = ts.as_unit("ns").to_datetime64()
        except (ValueError, OverflowError):
            raise InputError(name, "must fall between 1677-09-22 and 2262-04-11", row=i + 1) from None
    return pd.DatetimeIndex(out)


# Median spacing in calendar days -> periods per year. Daily data counts trading days.
_FREQUENCIES = ((0.5, 5.0, 252.0), (5.0, 10.0, 52.0), (10.0, 20.0, 26.0), (25.0, 35.0, 12.0),
                (80.0, 100.0, 4.0), (170.0, 200.0, 2.0), (350.0, 380.0, 1.0))


def infer_periods_per_year(dates: pd.DatetimeIndex | None, periods_per_year: float | None = None,
                           name: str = "periods_per_year") -> float:
    """Periods per year: as given, else from the median spacing of the dates, else 252.

    Daily data (median spacing under 5 days) counts 252 trading days a year, weekly 52,
    biweekly 26, monthly 12, quarterly 4, semiannual 2, annual 1.
    """
    if periods_per_year is not None:
        return check_positive_number(periods_per_year, name, upper=366 * 24)
    if dates is None or dates.size < 2:
        return TRADING_DAYS
    spacing = median_spacing(dates.asi8) / 86_400e9
    for low, high, a in _FREQUENCIES:
        if low <= spacing < high:
            return a
    raise InputError(
        "dates",
        f"cannot infer the frequency from a median spacing of {spacing:.1f} days; give periods_per_year",
    )


def median_spacing(ns: np.ndarray) -> float:
    """The median step between consecutive dates ``ns`` (int64, at least two), as np.median
    gives it, by one partition without np.median's overhead."""
    step = np.diff(ns)
    lo, hi = (step.size - 1) // 2, step.size // 2
    part = np.partition(step, (lo, hi))
    return (float(part[lo]) + float(part[hi])) / 2.0


def daily_order(dates: Any, n: int) -> slice:
    """For estimates defined on daily data only: the dates (if given) must be about a trading
    day apart. Returns the slice that puts the rows in date order (see :func:`chronological`)."""
    if dates is None:
        return _FORWARD
    idx, order = chronological(dates, n)
    if infer_periods_per_year(idx) != TRADING_DAYS:
        raise InputError(
            "dates", "this estimate needs daily data (the dates are not about one trading day apart)"
        )
    return order


def year_fraction(start: pd.Timestamp, end: pd.Timestamp) -> float:
    """Years between two dates: whole years by anniversary, plus the rest as a fraction of
    the year that follows the last anniversary.

    31 Dec 2024 to 31 Dec 2025 is exactly 1; 31 Dec 2025 to 30 Apr 2026 is 120/365;
    15 Jan 2019 to 15 Jul 2020 is 1 + 182/366 (the year from 15 Jan 2020 has 29 February).
    The anniversary of 29 February in a common year is 28 February.
    """
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    whole = end.year - start.year
    anniversary = start + pd.DateOffset(years=whole)
    if anniversary > end:
        whole -= 1
        anniversary = start + pd.DateOffset(years=whole)
    next_anniversary = start + pd.DateOffset(years=whole + 1)
    return whole + (end - anniversary).days / (next_anniversary - anniversary).days
