"""How a fund's holding cost moved: the EHC over a trailing window, at every date.

One EHC over a whole history hides a fee cut or a change of replication: a fund whose cost
fell halfway through five years is reported at the average. :func:`holding_cost_history`
gives, for every date from the first full window on, the EHC and its 95% interval over the
``window`` returns that end there, each exactly the figure :func:`.tracking.tracking_stats`
gives with ``window`` on the data up to that date.

The windows are estimated together: each is a fund of a panel against the same index (its
levels inside the window, blank outside), so a long history costs one vectorized panel
computation, in blocks of windows, rather than a fit per date. The last row is computed on
its own as well, so that it equals ``ETF_HOLDING_COST`` with the same window to the last
digit (inside a panel the interval's scan can round differently in the last digits).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .alignment import align
from .errors import InputError, NotEnoughData
from .model import MIN_RETURNS
from .tracking import tracking_stats
from .validation import check_whole_number

__all__ = ["HoldingCostHistory", "holding_cost_history", "default_window"]

#: Windows estimated in one panel computation: bounds memory on long histories.
_WINDOWS_PER_BLOCK = 256
#: The default window, in years of the data's frequency.
_DEFAULT_YEARS = 3


@dataclass(frozen=True)
class HoldingCostHistory:
    """The EHC over a trailing window, one value per window end.

    Attributes
    ----------
    end : pandas.DatetimeIndex or numpy.ndarray
        The last date of each window (its 1-based row number without dates).
    holding_cost, holding_cost_lower, holding_cost_upper, holding_cost_se : numpy.ndarray
        The EHC over the window ending there, its 95% interval and standard error.
    window : int
        Returns in each window.
    periods_per_year : float
    """

    end: Any
    holding_cost: np.ndarray
    holding_cost_lower: np.ndarray
    holding_cost_upper: np.ndarray
    holding_cost_se: np.ndarray
    window: int
    periods_per_year: float

    def to_frame(self) -> pd.DataFrame:
        """One row per window end."""
        return pd.DataFrame({"holding_cost": self.holding_cost, "holding_cost_lower": self.holding_cost_lower,
                             "holding_cost_upper": self.holding_cost_upper,
                             "holding_cost_se": self.holding_cost_se},
                            index=pd.Index(self.end, name="end"))


def default_window(periods_per_year: float) -> int:
    """About three years of the data's frequency (756 daily returns, 36 monthly), and never
    fewer than the model needs."""
    return max(int(round(_DEFAULT_YEARS * periods_per_year)), MIN_RETURNS)


def holding_cost_history(fund: Any, index: Any, dates: Any = None, periods_per_year: float | None = None,
                         window: int | None = None) -> HoldingCostHistory:
    """The estimated holding cost over a trailing window of ``window`` returns, at every date.

    Parameters
    ----------
    fund, index, dates, periods_per_year
        As in :func:`.tracking.tracking_stats`, for one fund.
    window : int, optional
        Returns in each window; default about three years of the data's frequency
        (:func:`default_window`). At least the model's minimum, ``MIN_RETURNS``.

    Returns
    -------
    HoldingCostHistory
        One row per date at which a full window ends (the dates both series have).

    Raises
    ------
    InputError
        For bad input (as :func:`.tracking.tracking_stats`).
    NotEnoughData
        When the data hold fewer returns than one window.
    """
    a = align(fund, index, dates, periods_per_year)
    if a.is_panel:
        raise InputError("fund", "one fund at a time: the history of a panel is one call per fund")
    A = a.periods_per_year
    window = default_window(A) if window is None else check_whole_number(window, "window", MIN_RETURNS, 10**9)
    common = np.flatnonzero(np.isfinite(a.fund[:, 0]) & np.isfinite(a.index))
    n_returns = common.size - 1
    if n_returns < window:
        raise NotEnoughData("fund", f"{max(n_returns, 0)} returns on dates both series have; a window of "
                                    f"{window} returns needs at least that many (give a smaller window)")
    # Window j ends at the common row ends[j] and starts `window` common rows earlier.
    ends = common[window:]
    starts = common[: ends.size]
    fields = ("holding_cost", "holding_cost_lower", "holding_cost_upper", "holding_cost_se")
    out = {f: np.empty(ends.size) for f in fields}
    for b in range(0, ends.size, _WINDOWS_PER_BLOCK):
        s, e = starts[b : b + _WINDOWS_PER_BLOCK], ends[b : b + _WINDOWS_PER_BLOCK]
        rows = np.arange(s[0], e[-1] + 1)
        inside = (rows[:, None] >= s[None, :]) & (rows[:, None] <= e[None, :])
        panel = np.where(inside, a.fund[rows, 0][:, None], np.nan)
        stats = tracking_stats(panel, a.index[rows], None if a.dates is None else a.dates[rows], A, window)
        for f in fields:
            out[f][b : b + e.size] = np.asarray(getattr(stats, f), dtype=float)
    last = tracking_stats(a.fund[: ends[-1] + 1, 0], a.index[: ends[-1] + 1],
                          None if a.dates is None else a.dates[: ends[-1] + 1], A, window)
    for f in fields:
        out[f][-1] = getattr(last, f)
    end = ends + 1 if a.dates is None else a.dates[ends]
    return HoldingCostHistory(end=end, window=window, periods_per_year=A, **out)
