"""Rolling one-year tracking differences: where each window starts, and their summary.

A window ends at each date and starts one year earlier: with dates, on the fund's last
date on or before the same calendar day a year back (one calendar year); without dates,
``periods_per_year`` rows back. The figures over all windows are the median, the lowest
and the highest point-to-point difference, and the latest one.

:func:`window_starts` and :func:`median_low_high` are the plain versions: they work on a block
of funds packed as :mod:`.tracking` packs them, each fund's valid rows moved to the top of
its column (``order``), ``counts`` valid rows each. :func:`window_starts_on_index_rows` and
:func:`rolling_td_summary` give the same figures faster for the usual case, funds whose
valid rows are the index's own rows (see below).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .dates import median_spacing

__all__ = ["one_year_before", "window_starts", "median_low_high", "window_starts_on_index_rows",
           "rolling_td_summary"]

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
    return max(int(median_spacing(ns)) // 2 - 1, 0)


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
    """Median, minimum and maximum of each column over its non-NaN values (NaN if none)."""
    below, above, low, high = _middle_low_high(x)
    return 0.5 * (below + above), low, high


def _middle_low_high(x: np.ndarray):
    """The two middle values (one, twice, for an odd count), the minimum and the maximum of
    each column over its non-NaN values (NaN if none).

    The middle values by partition (:func:`_two_middle`), one call per distinct count of
    values (one for a panel of funds with the same history); fmin and fmax skip NaN without
    warning about columns that have no values (filtering warnings is not thread-safe).
    """
    k = x.shape[1]
    if x.shape[0] == 0:
        return np.full(k, np.nan), np.full(k, np.nan), np.full(k, np.nan), np.full(k, np.nan)
    c = (~np.isnan(x)).sum(axis=0)
    below, above = np.full(k, np.nan), np.full(k, np.nan)
    funds = x.T  # a row a fund: the partitions run along rows, contiguous when a fund's column is
    for count in np.unique(c[c > 0]):
        cols = np.flatnonzero(c == count)
        below[cols], above[cols] = _two_middle((funds if cols.size == k else funds[cols]).T, count)
    return below, above, np.fmin.reduce(x, axis=0), np.fmax.reduce(x, axis=0)


def _two_middle(x: np.ndarray, count: int):
    """The values of rank (count - 1) // 2 and count // 2 (from 0) down each column of ``x``,
    the first ``count`` values in sorted order being the ones that count (NaN sorts last).

    One partition at the lower rank: the upper, when it is the next rank, is the least of the
    values above it (fmin: NaN, which sorts last, is not the least unless all are NaN). The
    same values as a partition at both ranks, which costs several times as much.
    """
    lo, hi = (count - 1) // 2, count // 2
    part = np.partition(x, lo, axis=0)
    return part[lo], part[lo] if hi == lo else np.fmin.reduce(part[hi:], axis=0)


# ---------------------------------------------------------------------------------------
# funds on the index's rows
# ---------------------------------------------------------------------------------------
#
# What these speed up. A fund with no date skipped inside its span has as valid rows the
# index's own rows from its first to its last. Where a one-year window starts then depends
# only on the row where it ends, not on the fund: one array of starts serves every such fund
# (:func:`window_starts_on_index_rows`), and a window's log difference is a row of the
# cumulative sums less another, gathered for the whole block at once. The windows of a fund
# are the rows from the first whose start is one of its rows to its last row, so the
# summary (:func:`rolling_td_summary`) takes each fund's order statistics over a range of
# rows, on the log differences: exp(x) - 1 is increasing, so the lowest, highest and middle
# tracking differences are exp - 1 of those of the log differences, and the exponential is
# taken of five numbers a fund instead of every window.
#
# Why it is the same. The starts are those window_starts gives each such fund (its start,
# counted in its valid rows, is the shared start less the fund's first row); the windows'
# log differences are the same subtractions of the same cumulative sums, and order
# statistics commute with an increasing function: the figures are those of the plain path,
# bit for bit.


def window_starts_on_index_rows(dates: pd.DatetimeIndex | None, rows: np.ndarray, periods_per_year) -> np.ndarray:
    """For each of the index's rows ``rows`` (rows of the date axis, ascending), the position
    among them of the row that starts its one-year window, or -1.

    As :func:`window_starts` defines the window: with dates, the last of the rows on or
    before the same day a year earlier, give or take half the spacing of all the dates;
    without, ``periods_per_year`` rows back. A fund whose valid rows are ``rows[a]`` to
    ``rows[b]`` has a window ending at position c (up to b) when its start is a or later.
    """
    if dates is None:
        return np.maximum(np.arange(rows.size) - int(round(periods_per_year)), -1)
    ns = dates.asi8
    on_rows = ns[rows]
    return np.searchsorted(on_rows, one_year_before(on_rows) + _half_spacing(ns), side="right") - 1


def rolling_td_summary(log_td: np.ndarray, first: np.ndarray, last: np.ndarray):
    """Median, lowest, highest and latest one-year tracking difference, and the count of
    windows, of each fund from the log differences of its windows.

    ``log_td`` (m, k): column j holds fund j's windows on rows ``first[j]`` to ``last[j]``
    (none where first > last); other rows are not read. The order
    statistics are taken on the log differences and exp - 1 after, which gives the same
    values (it is increasing); the median averages the two middle ones after.
    """
    k = log_td.shape[1]
    windows = np.maximum(last - first + 1, 0)
    has = windows > 0
    if has.all() and (first == first[0]).all() and (last == last[0]).all():
        # one range of windows for all: no masking, one partition
        x = log_td[first[0]: last[0] + 1]
        (below, above), low, high = _two_middle(x, windows[0]), x.min(axis=0), x.max(axis=0)
    else:
        # Funds whose windows run over rows of their own (launched on different dates): each
        # fund's order statistics on its own rows, a slice of its column, as _middle_low_high
        # takes them (NaN left out), not from a masked copy of the block.
        below, above, low, high = (np.full(k, np.nan) for _ in range(4))
        for j in np.flatnonzero(has).tolist():
            x = log_td[first[j] : last[j] + 1, j]
            count = x.size - np.count_nonzero(np.isnan(x))
            if count:
                below[j], above[j] = _two_middle(x, count)
                low[j], high[j] = np.fmin.reduce(x), np.fmax.reduce(x)
    latest = np.full(k, np.nan)
    latest[has] = log_td[last[has], np.flatnonzero(has)]
    # Absurd level magnitudes make some windows' differences overflow to inf: that is their
    # value, not a fault.
    with np.errstate(over="ignore"):
        median = 0.5 * (np.expm1(below) + np.expm1(above))
        return median, np.expm1(low), np.expm1(high), np.expm1(latest), windows
