"""Market impact cost from the premium to NAV and the daily dollar volume.

:func:`market_impact` (with :func:`market_impact_stats` for the details) estimates the
expected move of the market price away from fair value caused by a trade of a given size,
from the volatility of the premium ln(price / NAV) and the typical daily dollar volume. The
figure is a magnitude (>= 0), a fraction of the price (0.0002 = 2 basis points). The bid-ask
spread from daily prices is in :mod:`.spread`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from .alignment import union_dates
from .constants import REFERENCE_TRADE
from .dates import daily_order, dates_or_index
from .errors import NotEnoughData
from .validation import (
    as_levels,
    as_volume,
    check_choice,
    check_length,
    check_positive_number,
    check_whole_number,
)

__all__ = ["MarketImpact", "market_impact", "market_impact_stats"]

#: Normal-consistency factor of the median absolute deviation: 1 / Phi^-1(3/4).
_MAD_TO_SD = 1.482602218505602


@dataclass(frozen=True)
class MarketImpact:
    """Market impact cost of one trade, with what it was computed from.

    Attributes
    ----------
    impact : float
        Expected price move of a trade of ``trade_size``, as a fraction of the price (>= 0).
    trade_size : float
        The trade size the impact is for, in the currency of the prices.
    volatility : float
        The daily volatility that was scaled (``premium_vol`` under the ``"premium"`` method,
        otherwise the fallback volatility named in ``method``).
    premium_vol : float
        Robust daily volatility of the premium ln(price / NAV) on traded days, NaN when there
        were too few premium observations to estimate it.
    premium_mean : float
        Median premium on traded days (a fraction; positive = price above NAV), NaN if none.
    dollar_volume : float
        Typical daily dollar volume (currency of the prices) the trade is compared with.
    n_obs : int
        Number of observations behind ``volatility`` (premium changes, or returns under a
        fallback).
    n_days : int
        Days in the dollar volume: a known volume (and a price, when volume is in shares).
    n_no_trade_days : int
        Rows with zero volume (their prices are not used as premium observations).
    method : str
        ``"premium"``, or ``"fallback: ..."`` naming what replaced the standard estimate.
    note : str
        One line on anything the user should know (fallbacks, thin trading); empty if none.
    coefficient : float
        The square-root-law coefficient Y.
    """

    impact: float
    trade_size: float
    volatility: float
    premium_vol: float
    premium_mean: float
    dollar_volume: float
    n_obs: int
    n_days: int
    n_no_trade_days: int
    method: str
    note: str
    coefficient: float


# ----------------------------------------------------------------------------------------
# robust statistics
# ----------------------------------------------------------------------------------------

def _robust_sd(x: np.ndarray) -> float:
    """Standard deviation from the median absolute deviation, with a winsorized fallback.

    ``1.4826 * median(|x - median(x)|)`` estimates the standard deviation of normal data and
    ignores up to half the sample being wild. When more than half the values are identical
    (a price that did not change on most days) the MAD is zero although the data vary; then
    the standard deviation of the values clipped to their 5th and 95th percentiles is used.
    """
    med = float(np.median(x))
    sd = _MAD_TO_SD * float(np.median(np.abs(x - med)))
    if sd == 0.0 and x.size > 1:
        lo, hi = np.percentile(x, [5.0, 95.0])
        sd = float(np.std(np.clip(x, lo, hi), ddof=1))
    return sd


def _changes_between(x: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Changes of ``x`` between consecutive usable rows, and the number of rows each spans."""
    return np.diff(x[rows]), np.diff(rows)


# ----------------------------------------------------------------------------------------
# market impact
# ----------------------------------------------------------------------------------------

def market_impact_stats(
    price: Any,
    nav: Any,
    volume: Any,
    dates: Any = None,
    trade_size: float = REFERENCE_TRADE,
    *,
    coefficient: float = 1.0,
    nav_lag: int = 0,
    volume_unit: Literal["shares", "currency"] = "shares",
    volatility: Literal["changes", "level"] = "changes",
    min_obs: int = 20,
) -> MarketImpact:
    r"""Market impact cost of a trade, from the premium to NAV and the daily dollar volume.

    Parameters
    ----------
    price : array-like
        Daily closing market prices (levels; blank = no value).
    nav : array-like
        Net asset value per share on the same rows.
    volume : array-like
        Daily volume on the same rows: shares traded (default) or currency traded (see
        ``volume_unit``). Zero means no trades that day. Blank means unknown: the day's
        price is still taken as a trade price, and the day is left out of the dollar volume.
    dates : array-like, optional
        Dates of the rows, ascending. Used to check the data are daily; the estimate itself
        counts rows. Without it, pandas Series indexed by date are aligned on the union of
        their dates (a row where one has no value is blank in it); other inputs are taken row
        by row.
    trade_size : float, default 100,000
        Size Q of the trade, in the currency of the prices.
    coefficient : float, default 1.0
        The square-root-law coefficient Y (empirical estimates are close to 1).
    nav_lag : int, default 0
        Compare the price on row t with the NAV on row t - nav_lag. Use 1 when the NAV dated
        d is struck after the market close of d (a fund listed in Asia holding US stocks: its
        NAV dated d values the US close of d, hours after the local close), so that each price
        is compared with the latest fair value known when it traded. Missing stays missing:
        nothing is filled.
    volume_unit : {"shares", "currency"}, default "shares"
        Shares: dollar volume = price x volume. Currency: ``volume`` already is the amount
        traded.
    volatility : {"changes", "level"}, default "changes"
        Which premium volatility to use (see Notes).
    min_obs : int, default 20
        Fewest observations behind a volatility estimate.

    Returns
    -------
    MarketImpact
        ``impact`` and what it was computed from.

    Raises
    ------
    InputError
        For a bad argument (the message names it).
    NotEnoughData
        When the impact cannot be estimated: no trades at all, or too few observations of
        the premium and of the returns. The message gives the reason.

    Notes
    -----
    The square-root law applied to the deviation of the price from fair value. With the
    premium :math:`p_t = \ln(P_t / NAV_t)`, its daily volatility :math:`\sigma_p` and the
    typical daily dollar volume :math:`DV`,

    .. math::

        MIC(Q) = Y \, \sigma_p \sqrt{Q / DV}.

    If trades arrive independently and the variance they add to the premium grows in
    proportion to the dollars traded (Morningstar's stated assumptions), a day's
    :math:`DV` dollars produce variance :math:`\sigma_p^2`, so a single trade of :math:`Q`
    produces a move with standard deviation :math:`\sigma_p \sqrt{Q/DV}`.

    *Which premium volatility.* Morningstar describes the volatility of market prices around
    the portfolio value, i.e. the standard deviation of the premium level. By default
    (``volatility="changes"``) this function estimates it from day-to-day changes:

    .. math::

        \hat\sigma_p = 1.4826\,\mathrm{MAD}(\Delta p_t) / \sqrt{2}.

    When the deviations from fair value are independent from day to day (the premise of the
    description) :math:`\mathrm{Var}(\Delta p) = 2\,\mathrm{Var}(p)`, so both target the same
    number. They differ when the premium also moves slowly (a QDII fund whose premium follows
    its quota, a bond fund whose premium follows credit conditions, a NAV method that leaves a
    constant offset): the level's standard deviation then grows with the length of the sample
    and counts moves no trade caused, while the change-based figure keeps only the part of
    the deviation that is renewed each day (plus half the variance of the slow part's daily
    step). It can understate impact that takes several days to decay. ``volatility="level"``
    uses :math:`1.4826\,\mathrm{MAD}(p_t)` instead.

    *Robustness.* A single bad print makes one wild premium (two wild changes); the median
    absolute deviation ignores it. :math:`DV` is the **median** daily dollar volume, which a
    single block trade or volume error does not move.

    *Days without trades.* A closing price on a day with zero volume is a stale price, not a
    trade, so such days give no premium observation; the premium change is taken between
    consecutive traded days (not scaled by the gap: deviations from fair value do not
    accumulate). They do count as zero in the daily dollar volume.

    *Fallbacks* (``method`` and ``note`` say which was used):

    * No trades on at least half the days (the median dollar volume is zero): :math:`DV`
      is the mean daily dollar volume instead (total traded / days with a known volume).
    * Fewer than ``min_obs`` premium changes (thin trading, or NAVs missing): the classic
      square-root law with the fund's own daily volatility. That is the robust volatility
      of the market price's log returns between traded days, each divided by the square
      root of the number of rows it spans; if those are too few as well, of the NAV's log
      returns. For an ETF this counts the moves of the underlying assets, which market
      makers hedge, so it **overstates** impact: read it as an upper figure.
    * No trades at all, or too few observations for every volatility:
      :class:`NotEnoughData` with the reason.
    """
    q = check_positive_number(trade_size, "trade_size", upper=1e12)
    y = check_positive_number(coefficient, "coefficient", upper=10.0)
    lag = check_whole_number(nav_lag, "nav_lag", 0, 5)
    unit = check_choice(volume_unit, "volume_unit", ("shares", "currency"))
    vol_kind = check_choice(volatility, "volatility", ("changes", "level"))
    min_n = check_whole_number(min_obs, "min_obs", 3, 10_000)

    if dates is None:
        (price, nav, volume), dates = union_dates({"price": price, "nav": nav, "volume": volume})
    dates = dates_or_index(dates, price, nav, volume)
    p = as_levels(price, "price")
    n = p.size
    f = as_levels(nav, "nav")
    check_length(f.size, n, "nav", "price")
    v = as_volume(volume, "volume")
    check_length(v.size, n, "volume", "price")
    order = daily_order(dates, n)
    p, f, v = p[order], f[order], v[order]

    if lag:
        f = np.concatenate([np.full(lag, np.nan), f[:-lag]])

    # dollar volume --------------------------------------------------------------------
    known = np.isfinite(v)
    dollars = v if unit == "currency" else p * v  # NaN where the price is missing
    dv_rows = known & (np.isfinite(dollars) | (v == 0))
    dv = np.where(v == 0, 0.0, dollars)[dv_rows]
    n_days = int(dv_rows.sum())
    n_zero = int((known & (v == 0)).sum())
    notes: list[str] = []
    fallbacks: list[str] = []
    if n_days == 0:
        raise NotEnoughData("volume", "no day with a known volume and price")
    if not (dv > 0).any():
        raise NotEnoughData(
            "volume", f"no trades on any of the {n_days} days; market impact cannot be estimated")
    typical_dv = float(np.median(dv))
    if typical_dv == 0.0:
        typical_dv = float(np.mean(dv))
        fallbacks.append("mean dollar volume")
        notes.append(
            f"thin trading: no trades on {n_zero} of {n_days} days, so the typical dollar volume is "
            "the mean daily dollar volume, not the median"
        )

    # premium ----------------------------------------------------------------------------
    traded = np.isfinite(p) & (np.nan_to_num(v, nan=1.0) > 0)  # unknown volume: price kept
    with np.errstate(invalid="ignore", divide="ignore"):
        prem = np.log(p) - np.log(f)  # p / f can overflow where each level is merely extreme
    prem_rows = np.flatnonzero(traded & np.isfinite(prem))
    premium_mean = float(np.median(prem[prem_rows])) if prem_rows.size else float("nan")
    if vol_kind == "changes":
        dprem, _ = _changes_between(prem, prem_rows)
        n_prem = dprem.size
        premium_vol = _robust_sd(dprem) / np.sqrt(2.0) if n_prem >= min_n else float("nan")
    else:
        n_prem = prem_rows.size
        premium_vol = _robust_sd(prem[prem_rows]) if n_prem >= min_n else float("nan")

    if n_prem >= min_n:
        sigma, n_obs = premium_vol, n_prem
    else:
        what = "premium changes" if vol_kind == "changes" else "premium observations"
        price_rows = np.flatnonzero(traded)
        r, gap = _changes_between(np.log(p), price_rows)
        nav_rows = np.flatnonzero(np.isfinite(f))
        rn, gapn = _changes_between(np.log(f), nav_rows)
        if r.size >= min_n:
            sigma, n_obs = _robust_sd(r / np.sqrt(gap)), r.size
            fallbacks.insert(0, "price volatility")
            source = "the market price's daily volatility"
        elif rn.size >= min_n:
            sigma, n_obs = _robust_sd(rn / np.sqrt(gapn)), rn.size
            fallbacks.insert(0, "NAV volatility")
            source = "the NAV's daily volatility"
        else:
            raise NotEnoughData(
                "price",
                f"only {n_prem} {what} on traded days, {r.size} price returns between traded days "
                f"and {rn.size} NAV returns; at least {min_n} of one kind are needed",
            )
        notes.insert(
            0,
            f"only {n_prem} {what} on traded days (fewer than {min_n}), so the volatility is "
            f"{source}, which includes the underlying's moves and overstates impact",
        )

    method = "premium" if not fallbacks else "fallback: " + ", ".join(fallbacks)
    impact = y * sigma * np.sqrt(q / typical_dv)
    return MarketImpact(
        impact=float(impact),
        trade_size=q,
        volatility=float(sigma),
        premium_vol=float(premium_vol),
        premium_mean=premium_mean,
        dollar_volume=typical_dv,
        n_obs=int(n_obs),
        n_days=n_days,
        n_no_trade_days=n_zero,
        method=method,
        note="; ".join(notes),
        coefficient=y,
    )


def market_impact(
    price: Any,
    nav: Any,
    volume: Any,
    dates: Any = None,
    trade_size: float = REFERENCE_TRADE,
    *,
    coefficient: float = 1.0,
    nav_lag: int = 0,
    volume_unit: Literal["shares", "currency"] = "shares",
    volatility: Literal["changes", "level"] = "changes",
    min_obs: int = 20,
) -> float:
    r"""Market impact cost: the expected price move of a trade, as a fraction (>= 0).

    :math:`MIC(Q) = Y \sigma_p \sqrt{Q / DV}`, with :math:`\sigma_p` the robust daily
    volatility of the premium ln(price / NAV) and :math:`DV` the median daily dollar volume.
    See :func:`market_impact_stats` for the parameters, the choice of volatility, the handling
    of days without trades and the fallbacks; this returns its ``impact``.

    Raises
    ------
    InputError
        For a bad argument.
    NotEnoughData
        When the impact cannot be estimated (the message says why).
    """
    return market_impact_stats(
        price, nav, volume, dates, trade_size, coefficient=coefficient, nav_lag=nav_lag,
        volume_unit=volume_unit, volatility=volatility, min_obs=min_obs,
    ).impact
