"""Total return over a period, and the performance gap between two funds.

Two vendors can report different returns for the same fund over the same period, and both
be right: they start from different closes, measure price or NAV, or treat distributions
differently. Here each of those choices is an explicit parameter with a stated default:

* ``start_convention``: ``"previous_close"`` (default) starts from the last close *before*
  ``start``, so the start day's own move is inside the period; ``"start_close"`` starts from
  the close *on* ``start`` (or the first close after it), so it is not.
* ``basis``: the caller passes price or NAV levels; the label is recorded with the result.
* ``reinvest``: distributions reinvested at the close of their ex-date (default), or kept
  as cash (``"none"``); ``distributions=None`` gives the price-only (or NAV-only) return.

Levels are the input, as everywhere in this package; returns are computed from log growth.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from .alignment import union_dates
from .errors import InputError, NotEnoughData
from .period import as_date, closes_of_period, dates_in_order, distributions_of, period_years
from .validation import as_levels, check_choice, check_flag

__all__ = [
    "PeriodReturn",
    "PerformanceGap",
    "period_return",
    "performance_gap",
]

_REINVEST = ("ex_date", "none")
_START = ("previous_close", "start_close")
_BASIS = ("nav", "price")


@dataclass(frozen=True)
class PeriodReturn:
    """Total return of one series between two closes.

    Attributes
    ----------
    value : float
        The figure asked for: ``annualized`` if annualizing, else ``cumulative``.
    cumulative : float
        Total return over the period, a fraction (0.035 = 3.5%).
    annualized : float
        :math:`(1 + \\text{cumulative})^{1/\\text{years}} - 1`; NaN for periods under a year.
    start_date, end_date : pandas.Timestamp
        Dates of the two closes actually used.
    start_level, end_level : float
        The two levels.
    distributions : float
        Sum of the distributions (per share) with ex-dates inside the period.
    n_distributions : int
        How many there were.
    years : float
        Length of the period asked for, in years (see :func:`.period.period_years`).
    basis : str
        ``"nav"`` or ``"price"``: what the levels were.
    reinvest : str
        ``"ex_date"`` or ``"none"``.
    start_convention : str
        ``"previous_close"`` or ``"start_close"``.
    annualize : bool
        Whether ``value`` is the annualized return.
    """

    value: float
    cumulative: float
    annualized: float
    start_date: pd.Timestamp
    end_date: pd.Timestamp
    start_level: float
    end_level: float
    distributions: float
    n_distributions: int
    years: float
    basis: str
    reinvest: str
    start_convention: str
    annualize: bool


@dataclass(frozen=True)
class PerformanceGap:
    """Two funds' returns over the same period and the gap between them.

    Attributes
    ----------
    gap : float
        ``return_a - return_b``, in fraction points (0.035 = 3.5 percentage points).
    relative_gap : float
        Geometric gap :math:`(1 + r_a)/(1 + r_b) - 1`: how much more one dollar in A is
        worth at the end than one dollar in B, relative to B.
    return_a, return_b : float
        The two returns compared (cumulative, or annualized if annualizing).
    a, b : PeriodReturn
        The full results for each fund.
    start_date, end_date : pandas.Timestamp
        The closes used (the same for both funds).
    """

    gap: float
    relative_gap: float
    return_a: float
    return_b: float
    a: PeriodReturn
    b: PeriodReturn
    start_date: pd.Timestamp
    end_date: pd.Timestamp


# ----------------------------------------------------------------------------------------
# the return over the period's closes
# ----------------------------------------------------------------------------------------

def _compute(levels: np.ndarray, dist: np.ndarray, dates: pd.DatetimeIndex, start_row: int,
             end_row: int, reinvest: str, basis: str, convention: str, annualize: bool,
             years: float) -> PeriodReturn:
    """The return from the close on ``start_row`` to the close on ``end_row``, the
    distributions ``dist`` paid in between as ``reinvest`` says."""
    rows = np.flatnonzero(np.isfinite(levels))
    rows = rows[(rows >= start_row) & (rows <= end_row)]
    p = levels[rows]
    d = dist[rows[1:]]
    p0, p1 = float(p[0]), float(p[-1])
    # Levels hundreds of orders of magnitude apart give an infinite return: that is its value.
    with np.errstate(over="ignore", divide="ignore"):
        if reinvest == "ex_date":
            # each distribution buys more shares at the ex-date close
            log_growth = float(np.sum(np.log((p[1:] + d) / p[:-1])))
            cumulative = float(np.expm1(log_growth))
        else:
            cumulative = (p1 + float(d.sum())) / p0 - 1.0
    annualized = float((1.0 + cumulative) ** (1.0 / years) - 1.0) if years >= 1.0 else float("nan")
    if annualize and years < 1.0:
        raise InputError(
            "annualize",
            f"the period is {years:.2f} years; returns for periods under a year are not annualized",
        )
    return PeriodReturn(
        value=annualized if annualize else cumulative,
        cumulative=cumulative,
        annualized=annualized,
        start_date=dates[start_row],
        end_date=dates[end_row],
        start_level=p0,
        end_level=p1,
        distributions=float(d.sum()),
        n_distributions=int((d > 0).sum()),
        years=years,
        basis=basis,
        reinvest=reinvest,
        start_convention=convention,
        annualize=annualize,
    )


# ----------------------------------------------------------------------------------------
# public functions
# ----------------------------------------------------------------------------------------

def period_return(
    levels: Any,
    dates: Any,
    start: Any,
    end: Any,
    distributions: Any = None,
    reinvest: Literal["ex_date", "none"] = "ex_date",
    start_convention: Literal["previous_close", "start_close"] = "previous_close",
    annualize: bool = False,
    basis: Literal["nav", "price"] = "nav",
) -> PeriodReturn:
    r"""Total return between two dates, from levels and optional distributions.

    Parameters
    ----------
    levels : array-like
        Prices or NAVs per share (blank = no value that day).
    dates : array-like
        Dates of the rows, ascending. May be None when ``levels`` is a Series indexed by date.
    start, end : date-like
        First and last day of the period (inclusive).
    distributions : array-like or pandas.Series, optional
        Cash distributions per share on their ex-dates: row-aligned with ``levels`` (blank or
        0 = none) or a Series indexed by ex-date. None: the price (or NAV) return only.
    reinvest : {"ex_date", "none"}, default "ex_date"
        ``"ex_date"``: each distribution is reinvested at the close of its ex-date (the
        total-return convention of index providers and fund fact sheets). ``"none"``: it is
        kept as cash, earning nothing, until the end.
    start_convention : {"previous_close", "start_close"}, default "previous_close"
        ``"previous_close"``: the period starts from the last close before ``start``, so a
        return "for January" runs from the 31 December close and includes the first trading
        day's move; this is how fund performance over calendar periods is reported and chains
        without gaps or overlaps. ``"start_close"``: from the close on ``start`` (or the first
        close after it), e.g. for a fund's return since its first NAV.
    annualize : bool, default False
        Return the annualized figure. Refused for periods under a year, which are not
        annualized.
    basis : {"nav", "price"}, default "nav"
        What ``levels`` are; recorded with the result (a NAV return is the fund's official
        return; a price return also contains the change in the premium to NAV).

    Returns
    -------
    PeriodReturn
        ``value`` and the closes, distributions and conventions behind it.

    Raises
    ------
    InputError
        For a bad argument.
    NotEnoughData
        When the data do not cover the period: a weekday after the last date and on or
        before ``end`` (or, under ``"start_close"``, on or after ``start`` and before the first
        date), no close before ``start`` under ``"previous_close"``, or no return inside the
        period. (Weekends at either end are fine: a period may end on a Sunday.)

    Notes
    -----
    With :math:`t_0` the starting close, :math:`t_1` the ending close, levels :math:`P_t` and
    distributions :math:`D_t` (ex-dates in :math:`(t_0, t_1]`, on rows with a level):

    .. math::

        1 + R_{\text{ex\_date}} = \exp \sum_{t_0 < t \le t_1} \ln \frac{P_t + D_t}{P_{t^-}},
        \qquad
        1 + R_{\text{none}} = \frac{P_{t_1} + \sum D_t}{P_{t_0}},

    where :math:`t^-` is the previous row with a level (returns compound across missing
    values; nothing is filled). Annualized: :math:`(1+R)^{1/y} - 1`, with :math:`y` the
    length of the period asked for (:func:`.period.period_years`): 1 January to 31 December is one
    year, whatever weekday the year ends on.
    """
    reinvest = check_choice(reinvest, "reinvest", _REINVEST)
    convention = check_choice(start_convention, "start_convention", _START)
    basis = check_choice(basis, "basis", _BASIS)
    ann = check_flag(annualize, "annualize")
    t0, t1 = as_date(start, "start"), as_date(end, "end")
    x = as_levels(levels, "levels")
    idx, order = dates_in_order(dates, levels, x.size)
    # Distributions are checked against the levels in the order given (so that a message's
    # row is the user's), then both are put in date order.
    d = distributions_of(x, idx[order], distributions, "levels", "distributions")
    x, d = x[order], d[order]
    r0, r1 = closes_of_period(np.isfinite(x), idx, t0, t1, convention)
    return _compute(x, d, idx, r0, r1, reinvest, basis, convention, ann, period_years(t0, t1, convention))


def performance_gap(
    fund_a: Any,
    fund_b: Any,
    dates: Any,
    start: Any,
    end: Any,
    distributions_a: Any = None,
    distributions_b: Any = None,
    reinvest: Literal["ex_date", "none"] = "ex_date",
    start_convention: Literal["previous_close", "start_close"] = "previous_close",
    annualize: bool = False,
    basis_a: Literal["nav", "price"] = "nav",
    basis_b: Literal["nav", "price"] = "nav",
) -> PerformanceGap:
    r"""The gap between two funds' returns over the same period (e.g. an ETF and its
    sibling mutual fund).

    Parameters
    ----------
    fund_a, fund_b : array-like
        Levels of the two funds on the rows of ``dates`` (blank = no value that day).
    dates : array-like
        Dates of the rows, ascending. May be None when both funds are Series indexed by date;
        they are then aligned on the union of their dates.
    start, end : date-like
        First and last day of the period.
    distributions_a, distributions_b : optional
        Each fund's distributions, as in :func:`period_return`.
    reinvest, start_convention, annualize
        As in :func:`period_return`; one choice for both funds, so the gap compares like
        with like.
    basis_a, basis_b : {"nav", "price"}, default "nav"
        What each series is (recorded). NAV against NAV is the like-for-like default; a mutual
        fund has only a NAV, and an ETF's price return also moves with its premium.

    Returns
    -------
    PerformanceGap
        Both returns, ``gap = r_a - r_b`` (fraction points) and ``relative_gap``.

    Notes
    -----
    Both returns start and end at the same closes: the starting and ending rows are chosen
    among the dates on which **both** funds have a level (the alignment rule of this
    package). Between those rows each fund compounds over its own levels.

    .. math::

        \text{gap} = r_a - r_b, \qquad \text{relative gap} = \frac{1 + r_a}{1 + r_b} - 1.

    The arithmetic gap is what is quoted as "A beat B by 3.5 points"; the relative gap is the
    geometric comparison used for tracking differences.
    """
    reinvest = check_choice(reinvest, "reinvest", _REINVEST)
    convention = check_choice(start_convention, "start_convention", _START)
    ba = check_choice(basis_a, "basis_a", _BASIS)
    bb = check_choice(basis_b, "basis_b", _BASIS)
    ann = check_flag(annualize, "annualize")
    t0, t1 = as_date(start, "start"), as_date(end, "end")
    if dates is None:
        (fund_a, fund_b), dates = union_dates({"fund_a": fund_a, "fund_b": fund_b})
    xa = as_levels(fund_a, "fund_a")
    idx, order = dates_in_order(dates, fund_a, xa.size)
    xb = as_levels(fund_b, "fund_b")
    if xb.size != xa.size:
        raise InputError(
            "fund_b", f"{xb.size} values for {xa.size} fund_a values; the lengths must match")
    da = distributions_of(xa, idx[order], distributions_a, "fund_a", "distributions_a")
    db = distributions_of(xb, idx[order], distributions_b, "fund_b", "distributions_b")
    xa, xb, da, db = xa[order], xb[order], da[order], db[order]
    both = np.isfinite(xa) & np.isfinite(xb)
    if not both.any():
        # Name the series that is empty, when one is; otherwise they just never overlap.
        blame = "fund_a" if not np.isfinite(xa).any() else "fund_b"
        problem = "no levels at all" if not np.isfinite(xa if blame == "fund_a" else xb).any() \
            else "no date on which both funds have a level"
        raise NotEnoughData(blame, problem)
    r0, r1 = closes_of_period(both, idx, t0, t1, convention)
    years = period_years(t0, t1, convention)
    a = _compute(xa, da, idx, r0, r1, reinvest, ba, convention, ann, years)
    b = _compute(xb, db, idx, r0, r1, reinvest, bb, convention, ann, years)
    return PerformanceGap(
        gap=a.value - b.value,
        relative_gap=(1.0 + a.value) / (1.0 + b.value) - 1.0,
        return_a=a.value,
        return_b=b.value,
        a=a,
        b=b,
        start_date=idx[r0],
        end_date=idx[r1],
    )
