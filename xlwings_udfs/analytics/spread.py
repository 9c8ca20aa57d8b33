"""The bid-ask spread estimated from daily open, high, low and close prices.

When no quotes are available, the full quoted spread can be estimated from daily prices
with the EDGE estimator of Ardia, Guidotti and Kroencke (2024), as implemented by the
``bidask`` package. Half of it is the half-spread that
:func:`~xlwings_udfs.analytics.cost.total_cost` accepts. The figure is a magnitude (>= 0), a
fraction of the price.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .dates import daily_order, dates_or_index
from .errors import InputError, NotEnoughData
from .validation import as_levels, check_length

__all__ = ["BidAskSpread", "bid_ask_spread", "bid_ask_spread_stats"]


@dataclass(frozen=True)
class BidAskSpread:
    """A bid-ask spread estimated from daily open, high, low and close prices.

    Attributes
    ----------
    spread : float
        Estimated full spread (ask - bid) / mid, as a fraction (>= 0).
    half_spread : float
        ``spread / 2``: the cost of crossing half the spread on one trade.
    signed : float
        The signed estimate: negative when the estimated squared spread is negative, which
        means the data cannot tell the spread from zero (``spread`` is then its magnitude).
    n_obs : int
        Rows with all four prices.
    method : str
        ``"EDGE"`` (Ardia, Guidotti and Kroencke, 2024).
    note : str
        One line on anything the user should know; empty if none.
    """

    spread: float
    half_spread: float
    signed: float
    n_obs: int
    method: str
    note: str


def bid_ask_spread_stats(open: Any, high: Any, low: Any, close: Any, dates: Any = None) -> BidAskSpread:
    r"""Bid-ask spread from daily open, high, low and close prices (EDGE estimator).

    Parameters
    ----------
    open, high, low, close : array-like
        Daily prices on the same rows, oldest first (blank = no value).
    dates : array-like, optional
        Dates of the rows, ascending; used to check the data are daily.

    Returns
    -------
    BidAskSpread
        The full spread, the half-spread, the signed estimate and the rows used.

    Raises
    ------
    InputError
        For a bad argument, or a row whose high is below its low, open or close (or whose
        low is above its open or close).
    NotEnoughData
        When the estimator has too few usable days (fewer than three rows, fewer than two
        days with a price range, or no day whose open or close differs from its high or low).

    Notes
    -----
    Ardia, Guidotti and Kroencke (2024), "Efficient estimation of bid-ask spreads from open,
    high, low, and close prices", *Journal of Financial Economics* 161, 103916, implemented by
    ``bidask.edge``. With log prices :math:`o, h, l, c`, mid-range :math:`\eta = (h + l)/2`,
    the previous day's values marked :math:`_{-1}`, and the full spread :math:`S`,

    .. math::

        E[(\eta - o)(o - \eta_{-1})] = -\frac{\pi_o}{8} S^2, \qquad
        E[(\eta - c_{-1})(c_{-1} - \eta_{-1})] = -\frac{\pi_c}{8} S^2,

    with :math:`\pi_o = P(o \ne h) + P(o \ne l)` and :math:`\pi_c` likewise for the previous
    close; two such combinations (the second uses the overnight return :math:`o - c_{-1}`)
    give two estimates of :math:`S^2`, weighted to minimise the variance of
    :math:`\hat S^2`. The spread is :math:`\hat S = \sqrt{|\hat S^2|}`; a negative
    :math:`\hat S^2` (reported in ``signed``) means the data cannot tell the spread from zero.

    *Precision.* The sampling error grows with the ratio of daily volatility to spread and
    shrinks with the square root of the number of days. It is good for a fund whose spread is
    not small next to its daily moves (simulated: about 3.5% of a 1% spread with 2% daily
    moves over 1,000 days). For a very liquid fund it is mostly noise and errs high: on SPY's
    daily prices it gives 6 to 26 basis points a year over 2014-2019, against a quoted spread
    of one cent (half a basis point or less at $200-$290). Use it where quotes are missing
    and the spread is material, with as many days as possible.

    The full spread is (ask - bid) / mid; one trade pays half of it, so ``half_spread`` is
    what :func:`~xlwings_udfs.analytics.cost.total_cost` takes as ``half_spread``. Market
    impact estimated from premium volatility already contains part of the spread; adding both
    counts that part twice.
    """
    from bidask import edge

    dates = dates_or_index(dates, open, high, low, close)
    o = as_levels(open, "open")
    n = o.size
    h = as_levels(high, "high")
    check_length(h.size, n, "high", "open")
    lo = as_levels(low, "low")
    check_length(lo.size, n, "low", "open")
    c = as_levels(close, "close")
    check_length(c.size, n, "close", "open")
    order = daily_order(dates, n)
    with np.errstate(invalid="ignore"):
        for name, bad in (
            ("high", (h < lo) | (h < o) | (h < c)),
            ("low", (lo > o) | (lo > c)),
        ):
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                what = "below the low, open or close" if name == "high" else "above the open or close"
                raise InputError(name, f"{int(bad.sum())} rows with the {name} {what}", row=i + 1)
    o, h, lo, c = o[order], h[order], lo[order], c[order]  # oldest first: EDGE uses the day before
    complete = np.isfinite(o) & np.isfinite(h) & np.isfinite(lo) & np.isfinite(c)
    n_obs = int(complete.sum())
    if n_obs < 3:
        raise NotEnoughData("close", f"only {n_obs} rows with all four prices; at least 3 are needed")
    # Rows before the first or after the last complete day carry nothing, yet EDGE's result
    # depends on them (it averages over all rows): leave them out.
    rows = np.flatnonzero(complete)
    keep = slice(rows[0], rows[-1] + 1)
    signed = edge(o[keep], h[keep], lo[keep], c[keep], sign=True)
    if not np.isfinite(signed):
        raise NotEnoughData(
            "close",
            "too few days with a price range, or opens and closes always at the high or low, "
            "to estimate the spread",
        )
    spread = abs(float(signed))
    note = ""
    if signed < 0:
        note = ("the estimated squared spread is negative: the data cannot tell the spread from zero; "
                "the spread shown is its magnitude")
    return BidAskSpread(spread=spread, half_spread=spread / 2.0, signed=float(signed),
                        n_obs=n_obs, method="EDGE", note=note)


def bid_ask_spread(open: Any, high: Any, low: Any, close: Any, dates: Any = None) -> float:
    """Estimated full bid-ask spread, (ask - bid) / mid, from daily OHLC prices.

    The EDGE estimator (Ardia, Guidotti and Kroencke, 2024) via the ``bidask`` package. The
    half-spread, the cost of one trade crossing the spread, is half of this. See
    :func:`bid_ask_spread_stats` for details and errors.
    """
    return bid_ask_spread_stats(open, high, low, close, dates).spread
