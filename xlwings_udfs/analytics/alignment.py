"""Putting a fund (or a panel of funds) and its index on one date axis.

Rules:

* Two series are compared on the dates both have. Rows before the first or after the last
  common date are outside the comparison; a date inside that span on which one series has
  no value is *skipped*: the next return compounds the levels across the gap. Skipped dates
  are counted and reported, never filled.
* With ``dates``, all inputs are row-aligned arrays of the same length. Without it, pandas
  inputs indexed by dates are aligned on the union of their dates; plain arrays are taken
  row by row, as consecutive periods.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .dates import chronological, infer_periods_per_year, series_dates
from .validation import as_level_panel, as_levels, check_length

__all__ = ["Aligned", "align", "union_dates"]


def union_dates(series: dict[str, Any]) -> tuple[list[Any], pd.DatetimeIndex | None]:
    """Pandas inputs that all carry dates, put on the union of their dates.

    ``series`` maps argument names to inputs. When every input is a Series or DataFrame
    indexed by dates, each index is checked (no duplicates; in either order, an input newest
    first is reversed: the message names the argument) and all are reindexed on the union,
    blank where an input has no value; the union is returned checked, ascending, in
    nanoseconds. Anything else is returned as given, with no dates.
    """
    values = list(series.values())
    idx = [series_dates(x) for x in values]
    if any(i is None for i in idx):
        return values, None
    ordered = [chronological(i, None, f"{name} dates") for i, name in zip(idx, series)]
    values = [x.iloc[order] for x, (_, order) in zip(values, ordered)]
    idx = [i for i, _ in ordered]
    axis = idx[0]
    for i in idx[1:]:
        if not i.equals(axis):
            axis = axis.union(i)
    # Each input goes onto the union through its own checked index (time zone dropped, in
    # nanoseconds), so that its dates match the union's; one already on it is left as given.
    return [x if i.equals(axis) else x.set_axis(i, axis=0).reindex(axis) for x, i in zip(values, idx)], axis


@dataclass(frozen=True)
class Aligned:
    """Fund levels (one column per fund) and index levels on one date axis.

    ``fund`` is (T, N) with NaN where a fund has no value; ``index`` is (T,). Rows where
    the index has no value stay in place: each fund's own comparison skips them.
    """

    fund: np.ndarray
    index: np.ndarray
    dates: pd.DatetimeIndex | None
    names: list[str] | None
    periods_per_year: float
    is_panel: bool


def align(fund: Any, index: Any, dates: Any = None, periods_per_year: float | None = None,
          fund_name: str = "fund", index_name: str = "index") -> Aligned:
    """Validate a fund (or a panel of funds) and an index, and put them on one date axis.

    With ``dates``, all inputs are row-aligned arrays of the same length; dates newest first
    reverse every input with them. Without it, pandas objects indexed by dates are aligned on
    their dates (union; each pair then uses the dates both have); plain arrays must have the
    same length and are taken row by row.
    """
    fund_dates, index_dates = series_dates(fund), series_dates(index)
    axis = None
    if dates is None:
        (fund, index), axis = union_dates({fund_name: fund, index_name: index})
    is_panel = isinstance(fund, pd.DataFrame) and fund.shape[1] != 1 or (
        not isinstance(fund, (pd.Series, pd.DataFrame)) and np.ndim(fund) == 2
        and 1 not in np.shape(fund)
    )
    if is_panel:
        f, names = as_level_panel(fund, fund_name)
    else:
        f, names = as_levels(fund, fund_name)[:, None], None
        if isinstance(fund, (pd.Series, pd.DataFrame)):
            names = [str(fund.name if isinstance(fund, pd.Series) else fund.columns[0])]
    i = as_levels(index, index_name)
    check_length(i.size, f.shape[0], index_name, fund_name)
    idx, order = None, slice(None)
    if axis is not None:
        idx = axis  # checked by union_dates
    elif dates is not None:
        idx, order = chronological(dates, i.size)
    elif fund_dates is not None:
        idx, order = chronological(fund_dates, i.size, f"{fund_name} dates")
    elif index_dates is not None:
        idx, order = chronological(index_dates, i.size, f"{index_name} dates")
    f, i = f[order], i[order]  # values were checked in the order given, so their rows are the user's
    a = infer_periods_per_year(idx, periods_per_year)
    return Aligned(fund=f, index=i, dates=idx, names=names, periods_per_year=a, is_panel=is_panel)
