"""Rolling one-year tracking differences: where each window starts, and their summary.

A window ends at each date and starts one year earlier: with dates, on the fund's last
date on or before the same calendar day a year back (one calendar year); without dates,
``periods_per_year`` rows back. The figures over all windows are the median, the lowest
and the highest point-to-point difference, and the latest one.

The functions work on a block of funds packed as :mod:`.tracking` packs them: each fund's
valid rows moved to the top of its column (``order``), ``counts`` valid rows each.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["one_year_before", "window_starts", "median_low_high"]

_DAY_NS = 86_400 * 10**9
# Every 29 February a datetime64[ns] can hold (years 1678-2262), as nanoseconds.
_LEAP_DAYS_NS = np.array(
    [np.datetime64(f"{y}-02-29", "ns").astype(np.int64) for y in range(1678, 2263)
     if y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)]
)


def one_year_before(ns: np.ndarray) -> np.ndarray:
    """The same calendar day a year earlier (29 February -> 28 February), time of day kept.

    ``ns`` are datetime64[ns] values as int64. A year back is 366 days when a 29 February
    falls between the date a year earlier and the date itself, else 365: the calendar's
    rule as one lookup in the table of leap days, with no date arithmetic per element.
    """
    year_back = ns - 366 * _DAY_NS
    # Only the leap days from a year before the first date to the last can fall in between.
    lo, hi = np.searchsorted(_LEAP_DAYS_NS, [year_back.min(), ns.max()], side="right") if ns.size else (0, 0)
    leaps = _LEAP_DAYS_NS[lo:hi]
    # Leap days start at midnight, so a time of day never changes which of them a date is
    # past: the counts need no rounding to the start of the day.
    leaps_to_date = np.searchsorted(leaps, ns, side="right")
    leaps_to_year_before = np.searchsorted(leaps, year_back, side="right")
    return ns - (365 + (leaps_to_date > leaps_to_year_before)) * _DAY_NS


def _half_spacing(ns: np.ndarray) -> int:
    """Half the median spacing of the dates, in nanoseconds, less a nanosecond (so that a date
    exactly half a spacing after a year back stays outside)."""
    if ns.size < 2:
        return 0
    step = np.diff(ns)
    mid = (step.size - 1) // 2, step.size // 2
    return max(int(np.partition(step, mid)[list(mid)].mean()) // 2 - 1, 0)


def window_starts(dates: pd.DatetimeIndex | None, valid, order, counts, periods_per_year):
    """For each packed level row, the packed row that starts its one-year window, or -1.

    With dates the window is one calendar year: it starts on the fund's last date on or
    before the same day a year earlier, give or take half the data's spacing, so that a year
    of monthly data is 12 returns and of weekly data 52 even where the dates fall on the
    last business day of a month or a week (29 January 2016 looks back to 30 January 2015,
    not to 31 December 2014). Daily dates are a day apart, so for them the window starts
    exactly on or before the same day. Without dates it is ``periods_per_year`` rows.
    ``order`` as in _pack: None when no column has a gap, so that packed rows are the rows
    of the date axis.
    """
    t, k = valid.shape
    height = t if order is None else order.shape[0]
    live = np.arange(height)[:, None] < counts[None, :]
    if dates is None:
        start = np.arange(height)[:, None] - int(round(periods_per_year))
        return np.where((start >= 0) & live, start, -1)
    ns = dates.asi8
    # The last date on or before a year back, as a row of the date axis (-1: none); one
    # search serves every fund. A fund's last valid row up to there is its packed row
    # (count of valid rows so far) - 1.
    back = np.searchsorted(ns, one_year_before(ns) + _half_spacing(ns), side="right") - 1
    if order is None:
        return np.broadcast_to(back[:, None], (t, k))
    valid_so_far = np.cumsum(valid, axis=0)
    back_of_row = back[order]  # for each packed row, in date-axis rows
    start = np.take_along_axis(valid_so_far, np.maximum(back_of_row, 0), axis=0) - 1
    return np.where((back_of_row >= 0) & (start >= 0) & live, start, -1)




def median_low_high(x: np.ndarray):
    """Median, minimum and maximum of each column over its non-NaN values (NaN if none).

    The median by partition, one call per distinct count of values (one for a panel of
    funds with the same history); fmin and fmax skip NaN without warning about columns
    that have no values (filtering warnings is not thread-safe).
    """
    k = x.shape[1]
    if x.shape[0] == 0:
        return np.full(k, np.nan), np.full(k, np.nan), np.full(k, np.nan)
    c = (~np.isnan(x)).sum(axis=0)
    median = np.full(k, np.nan)
    for count in np.unique(c[c > 0]):
        cols = np.flatnonzero(c == count)
        lo, hi = (count - 1) // 2, count // 2
        part = np.partition(x if cols.size == k else x[:, cols], [lo, hi], axis=0)  # NaN sorts last
        median[cols] = 0.5 * (part[lo] + part[hi])
    return median, np.fmin.reduce(x, axis=0), np.fmax.reduce(x, axis=0)
