r"""Which of two funds costs less over a holding period: the break-even horizon and the odds.

Two funds, A and B, bought with the same trade (``trade_size``, ``commission``) under the same
impact model; each fund's expected total cost is :func:`.cost.total_cost`'s ``dollars``.

* :func:`breakeven` returns a :class:`BreakEven`: the holding period at which the two expected
  totals are equal (``breakeven_years``), the fund that costs less before and after it, and,
  where there is no such horizon within 100 years, NaN with a one-line ``reason``, one of
  :data:`REASONS` ("A costs less at every horizon", ...).
* :func:`prob_cheaper` returns a :class:`CostComparison`: the probability that A's realized
  total cost over ``years`` is lower than B's (``prob_cheaper``), with the expected difference
  and its standard deviation.

Numeric arguments are numbers or arrays that broadcast together (a grid of trade sizes or
horizons is one call; the results then have the broadcast shape, Python floats and strings
otherwise), checked with ``total_cost``'s bounds (``correlation`` from -1 to 1): a bad one
raises :class:`~.errors.InputError` naming it, with the position of an array's first bad
value in the flattened array. ``ETF_BREAKEVEN`` shows ``breakeven_years``, or #N/A with
``reason`` where it is NaN; ``ETF_PROB_CHEAPER`` shows ``prob_cheaper`` (figures
``breakeven_years`` and ``prob_cheaper`` of the registry). Signs follow the package: negative
costs money, and the cheaper fund is the one with the higher (less negative) total.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from .cost import _check_model, _cost_arrays, check_parameter
from .errors import InputError
from .validation import broadcast, check_each, check_signed_number

__all__ = ["BreakEven", "CostComparison", "breakeven", "prob_cheaper", "REASONS", "MAX_YEARS"]

#: The longest holding period considered, in years (the bound of ``total_cost``'s ``years``).
MAX_YEARS = 100.0
#: Why there is no break-even: one fund costs less at every horizon, the two cost the same,
#: or they cross only after :data:`MAX_YEARS`.
REASONS = ("A costs less at every horizon", "B costs less at every horizon",
           "the two cost the same at every horizon", "they cross only after 100 years")
_EPS = np.finfo(float).eps
_ERFC = np.frompyfunc(math.erfc, 1, 1)


@dataclass(frozen=True)
class BreakEven:
    """When two funds cost the same: floats and strings, or arrays of the broadcast shape.

    Attributes
    ----------
    breakeven_years : float
        The shortest holding period at which the two expected total costs are equal; NaN where
        there is none within 100 years. It can be shorter than a day.
    cheaper_before, cheaper_after : str
        The fund, ``"A"`` or ``"B"``, whose expected total cost is lower at holding periods
        shorter and longer than ``breakeven_years``; where there is no break-even, both name
        the fund that costs less at every horizon up to 100 years (``"neither"`` if the two
        cost the same).
    reason : str
        ``""`` where there is a break-even; otherwise one of :data:`REASONS`.
    second_breakeven_years : float
        Where the order reverts to ``cheaper_before``, if it does within 100 years; NaN
        otherwise. Only under the square-root model, when both funds lag their index by so
        much that the compounded lag erodes the holding advantage (see :func:`breakeven`).
    trade_size : float
    impact_model : str
    """

    breakeven_years: Any
    cheaper_before: Any
    cheaper_after: Any
    reason: Any
    second_breakeven_years: Any
    trade_size: Any
    impact_model: str


@dataclass(frozen=True)
class CostComparison:
    """The odds that fund A costs less than fund B over a holding period.

    Attributes
    ----------
    prob_cheaper : float
        Probability that A's realized total cost is lower (A's total higher) than B's.
    difference : float
        Expected total cost of A minus B, in dollars: ``total_cost(...A).dollars -
        total_cost(...B).dollars``; positive: A is expected to cost less.
    sd : float
        Standard deviation of the realized difference, in dollars.
    trade_size, years, correlation : float
        The inputs (broadcast).
    impact_model : str
    """

    prob_cheaper: Any
    difference: Any
    sd: Any
    trade_size: Any
    years: Any
    correlation: Any
    impact_model: str


def _inputs(named: dict[str, Any], impact_model: Any, spreads: dict[str, Any]):
    """The arguments in their order, each checked as :func:`.cost.total_cost` checks the
    parameter it is a fund's copy of (``holding_cost_se_a`` as ``holding_cost_se``), then
    broadcast: the model and the arrays, commissions less than the trade sizes."""
    def check(name: str, value: Any) -> np.ndarray:
        kind = name.removesuffix("_a").removesuffix("_b")
        if kind == "correlation":
            return check_each(value, name, _check_correlation)
        return check_each(value, name, lambda v, n: check_parameter(v, kind, n))

    args = {name: check(name, v) for name, v in named.items()}
    model = _check_model(impact_model)
    args.update({name: check(name, v) for name, v in spreads.items()})
    out = dict(zip(args, broadcast(args)))
    c, size, given = out["commission"], out["trade_size"], args["commission"]
    bad = np.flatnonzero(c >= size)
    if bad.size:
        i = bad[0]
        row = int(i) + 1 if given.shape == c.shape and given.ndim else None
        raise InputError("commission", f"{c.flat[i]:g} a trade is not less than the trade size "
                                       f"({size.flat[i]:g})", row=row)
    return model, out


def _check_correlation(value: Any, name: str) -> float:
    r = check_signed_number(value, name, np.inf)
    if abs(r) > 1:
        raise InputError(name, f"must be from -1 to 1, got {r:g}")
    return r


def _out(x: Any) -> Any:
    """A 0-d result as a Python float or str."""
    return np.asarray(x).item() if np.ndim(x) == 0 else x


def _root(F, dF, lo: np.ndarray, hi: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Root of F, increasing on [lo, hi] with F(lo) < 0 <= F(hi), elementwise: Newton steps
    that stay in the bracket and at least halve the step, bisection otherwise. Each element
    stops when its step is within rounding, so its root does not depend on the others."""
    x, step = x.copy(), hi - lo
    active = np.ones(x.shape, bool)
    for _ in range(200):
        f, d = F(x), dF(x)
        lo, hi = np.where(f < 0, x, lo), np.where(f > 0, x, hi)
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = x - f / d
        ok = (newton > lo) & (newton < hi) & (np.abs(newton - x) <= 0.5 * step)
        new = np.where(f == 0, x, np.where(ok, newton, 0.5 * (lo + hi)))
        step = np.where(active, np.abs(new - x), 0.0)
        x = np.where(active, new, x)
        active &= step > 2 * _EPS * x
        if not active.any():
            break
    return x


def _gap(S: np.ndarray, T: np.ndarray, b: np.ndarray, d: np.ndarray):
    """X minus Y under the square-root law, :math:`D(h) = S e^{bh}(e^{dh} - 1) + T`, and D'."""
    def D(h):
        return S * np.exp(b * h) * np.expm1(d * h) + T

    def dD(h):
        return S * np.exp(b * h) * (b * np.expm1(d * h) + d * np.exp(d * h))

    return D, dD


def _compounded_crossings(S, T, eX, eY):
    """Roots of D (see :func:`breakeven`, Notes) for 1-D arrays with ``eX > eY`` and ``T < 0``:
    the first and the second within 100 years (NaN if none), and whether D turns positive
    only after 100 years."""
    a, b = np.log1p(eX), np.log1p(eY)
    d = np.log1p((eX - eY) / (1.0 + eY))  # a - b without cancelling
    with np.errstate(divide="ignore", over="ignore"):
        hp = np.where(a < 0, np.log1p(d / np.where(a < 0, -a, 1.0)) / d, np.inf)
    top = np.minimum(hp, MAX_YEARS)
    D, _ = _gap(S, T, b, d)
    d_top, d_end = D(top), D(np.full_like(top, MAX_YEARS))
    with np.errstate(invalid="ignore"):  # D at its peak; D grows without end if a >= 0
        d_peak = np.where(a < 0, D(np.where(a < 0, hp, 0.0)), np.inf)
    ok = np.where(hp < MAX_YEARS, d_top > 0, d_top >= 0)
    two = ok & (hp < MAX_YEARS) & (d_end < 0)
    h1, h2 = np.full(S.shape, np.nan), np.full(S.shape, np.nan)
    if ok.any():
        D, dD = _gap(S[ok], T[ok], b[ok], d[ok])
        guess = -T[ok] / (S[ok] * d[ok])  # the root of D's tangent at 0
        guess = np.where((guess > 0) & (guess < top[ok]), guess, 0.5 * top[ok])
        h1[ok] = _root(D, dD, np.zeros(int(ok.sum())), top[ok], guess)
    if two.any():
        D, dD = _gap(S[two], T[two], b[two], d[two])
        end = np.full(int(two.sum()), MAX_YEARS)
        h2[two] = _root(lambda h: -D(h), lambda h: -dD(h), hp[two], end, 0.5 * (hp[two] + end))
    later = ~ok & ((a > 0) | ((a == 0) & (S + T > 0)) | ((a < 0) & (d_peak > 0)))
    return h1, h2, later


def breakeven(trade_size: Any, commission: Any, holding_cost_a: Any, market_impact_a: Any,
              holding_cost_b: Any, market_impact_b: Any,
              impact_model: Literal["square_root", "morningstar"] = "square_root",
              half_spread_a: Any = 0.0, half_spread_b: Any = 0.0) -> BreakEven:
    r"""The holding period at which funds A and B have the same expected total cost.

    Parameters
    ----------
    trade_size, commission, impact_model
        As in :func:`.cost.total_cost`, the same for both funds.
    holding_cost_a, market_impact_a, half_spread_a, holding_cost_b, market_impact_b, half_spread_b
        Each fund's ``holding_cost``, ``market_impact`` and ``half_spread`` (see
        :func:`.cost.total_cost`).

    Returns
    -------
    BreakEven
        At ``breakeven_years`` (where not NaN), ``total_cost(..., holding_cost_a,
        market_impact_a, ...).dollars`` equals the same for B, to rounding.

    Raises
    ------
    InputError
        An argument out of the bounds of :func:`.cost.total_cost`, or arrays that do not
        broadcast; the message names it.

    Notes
    -----
    Why an object and not a number: a missing break-even means one of four things that lead
    to opposite choices (A always cheaper, B always cheaper, the same, or a crossing too far
    off to matter), which NaN alone cannot say; the object carries the horizon, the reason and
    which fund wins on each side, so no front end re-derives them.

    Commissions are the same for both funds and cancel. With :math:`T_k` fund k's impact and
    spread (negative, fixed in the holding period :math:`h`) and :math:`e_k` its holding
    cost, the expected difference of the totals, A minus B, is
    :math:`\Delta(h) = S[g_A(h) - g_B(h)] + T_A - T_B` with :math:`g(h) = e h` (Morningstar)
    or :math:`(1+e)^h - 1` (square-root law). Let X be the fund with the higher holding cost
    figure (the one that lags less) and Y the other, and :math:`D(h) = \pm\Delta(h)`, X minus
    Y; :math:`D(0) = T_X - T_Y`. If :math:`T_X \ge T_Y`, X costs no more to trade and less
    to hold, so it costs less at every :math:`h > 0`. Otherwise Y costs less at first, and:

    * **Morningstar**: :math:`D` is linear, :math:`D(h) = S(e_X - e_Y)h + T_X - T_Y`, with one
      root :math:`h^* = (T_Y - T_X)/(S(e_X - e_Y))`.
    * **Square-root law**: with :math:`a = \ln(1+e_X) > b = \ln(1+e_Y)` and
      :math:`\delta = a - b`, :math:`D(h) = S e^{bh}(e^{\delta h} - 1) + T_X - T_Y` and
      :math:`D'(h) = S(a e^{ah} - b e^{bh})`. If :math:`a \ge 0`, :math:`D' > 0` for every
      :math:`h`: :math:`D` is increasing and the root unique. If both lag their index
      (:math:`b < a < 0`), :math:`D'` has one zero, at :math:`h_p = \ln(b/a)/\delta`: the
      dollar advantage of X grows until :math:`h_p` and then shrinks toward 0 as compounding
      consumes both positions, while the trading gap stays. Then there are two roots if
      :math:`D(h_p) > 0` (one before :math:`h_p`, the break-even, and one after, where Y is
      cheaper again: ``second_breakeven_years`` when within 100 years), none otherwise.
      :math:`h_p` exceeds 100 years for typical funds (-0.1% and -0.5%: 401 years); it is
      within reach only for lags of several percent a year (-5% and -20%: 8.6 years).

    Each root is found by Newton's method kept inside a bracket on which :math:`D` is
    monotone (bisection when a step would leave it), to a few units of rounding;
    :math:`e^{bh}(e^{\delta h} - 1)` is evaluated with ``expm1`` so that small horizons and
    close holding costs lose no digits. No root within 100 years: "they cross only after 100
    years" if :math:`D` becomes positive later (always under Morningstar's linear arithmetic
    and for :math:`a > 0`; for :math:`a = 0` if :math:`S > T_Y - T_X`; for :math:`a < 0` if
    :math:`D(h_p) > 0`), "Y costs less at every horizon" otherwise. Equal holding costs: the
    fund cheaper to trade costs less at every horizon, or the two cost the same. Holding
    costs are at most 20% a year in size (``total_cost``'s bound), so :math:`1 + e > 0`. Trading
    costs that differ by no more than rounding (:math:`8\epsilon(|T_A|+|T_B|)`) count as
    equal.
    """
    model, x = _inputs(
        {"trade_size": trade_size, "commission": commission, "holding_cost_a": holding_cost_a,
         "market_impact_a": market_impact_a, "holding_cost_b": holding_cost_b,
         "market_impact_b": market_impact_b},
        impact_model, {"half_spread_a": half_spread_a, "half_spread_b": half_spread_b})
    S, eA, eB = x["trade_size"], x["holding_cost_a"], x["holding_cost_b"]

    # impact and spread of each fund, exactly as total_cost computes them
    pa, pb = (_cost_arrays(S, 1.0, x["commission"], x[f"holding_cost_{k}"],
                           x[f"market_impact_{k}"], 0.0, 0.0, model, x[f"half_spread_{k}"])
              for k in "ab")
    tA, tB = pa["impact"] + pa["spread"], pb["impact"] + pb["spread"]
    dT = tA - tB
    dT = np.where(np.abs(dT) <= 8 * _EPS * (np.abs(tA) + np.abs(tB)), 0.0, dT)
    # D = X minus Y, X the fund with the higher holding cost figure (the one that lags less)
    a_better = eA > eB
    eX, eY = np.maximum(eA, eB), np.minimum(eA, eB)
    dTX = np.where(a_better, dT, -dT)  # T_X - T_Y
    cross = (eA != eB) & (dTX < 0)
    years, years2 = np.full(S.shape, np.nan), np.full(S.shape, np.nan)
    later = np.zeros(S.shape, bool)  # crosses only after 100 years
    if model == "morningstar":
        with np.errstate(divide="ignore", invalid="ignore"):
            h = -dTX / (S * (eX - eY))
        years[cross & (h <= MAX_YEARS)] = h[cross & (h <= MAX_YEARS)]
        later = cross & (h > MAX_YEARS)
    elif cross.any():
        i = np.flatnonzero(cross)
        h1, h2, beyond = _compounded_crossings(S.flat[i], dTX.flat[i], eX.flat[i], eY.flat[i])
        years.flat[i], years2.flat[i], later.flat[i] = h1, h2, beyond

    # the cheaper fund at the shortest horizons: the one cheaper to trade, else to hold
    first = np.where(dT != 0, np.sign(dT), np.sign(eA - eB))  # +1 A, -1 B, 0 neither
    found = np.isfinite(years)
    names = np.array(["B", "neither", "A"], dtype=object)
    before = names[first.astype(int) + 1]
    after = names[np.where(found, -first, first).astype(int) + 1]
    reason = np.where(found, "", np.where(first > 0, REASONS[0], REASONS[1])).astype(object)
    reason[first == 0] = REASONS[2]
    reason[later] = REASONS[3]
    return BreakEven(_out(years), _out(before), _out(after), _out(reason), _out(years2),
                     _out(S), model)


def prob_cheaper(trade_size: Any, years: Any, commission: Any,
                 holding_cost_a: Any, holding_cost_se_a: Any, tracking_error_a: Any,
                 market_impact_a: Any, holding_cost_b: Any, holding_cost_se_b: Any,
                 tracking_error_b: Any, market_impact_b: Any, correlation: Any = 0.0,
                 impact_model: Literal["square_root", "morningstar"] = "square_root",
                 half_spread_a: Any = 0.0, half_spread_b: Any = 0.0) -> CostComparison:
    r"""Probability that fund A's realized total cost over ``years`` is lower than fund B's.

    Parameters
    ----------
    trade_size, years, commission, impact_model
        As in :func:`.cost.total_cost`, the same for both funds.
    holding_cost_a, holding_cost_se_a, tracking_error_a, market_impact_a, half_spread_a
        Fund A's figures, as ``total_cost``'s ``holding_cost``, ``holding_cost_se``,
        ``tracking_error``, ``market_impact`` and ``half_spread``; the same for B.
    correlation : float, default 0
        Correlation of the two funds' persistent deviations from the index, from -1 to 1
        (funds on the same index, replicated alike, tend to move together).

    Returns
    -------
    CostComparison
        ``prob_cheaper``; P(A cheaper) + P(B cheaper) = 1, ties (no uncertainty, equal costs)
        counted half; 0.5 at the break-even horizon of :func:`breakeven`.

    Raises
    ------
    InputError
        An argument out of the bounds of :func:`.cost.total_cost`, a correlation outside
        [-1, 1], or arrays that do not broadcast; the message names it.

    Notes
    -----
    **Model of the realized cost.** For fund k with holding cost estimate :math:`e_k`, let
    :math:`\varepsilon_k \sim N(e_k, SE_k^2)` be the true yearly lag (the estimate's error),
    :math:`W_k \sim N(0, TE_k^2 h)` the persistent deviations accumulated over the holding
    period :math:`h` (a random walk), with :math:`\mathrm{corr}(W_A, W_B) = \rho`, and
    :math:`\eta_{k,1}, \eta_{k,2} \sim N(0, I_k^2)` the execution price errors of its buy and
    sell, :math:`I_k` its impact dollars per trade (as in ``total_cost``'s bounds). The
    realized total is

    .. math::

        R_k = S\,[(1+\varepsilon_k)^h e^{W_k} - 1] + C_k + \eta_{k,1} + \eta_{k,2}
        \quad\text{(square-root law)}, \qquad
        R_k = S\,(\varepsilon_k h + W_k) + C_k + \eta_{k,1} + \eta_{k,2}
        \quad\text{(Morningstar)},

    with :math:`C_k` the known trading costs (commissions, impact, spread). The two funds'
    estimation errors and execution errors are independent; if both estimates come from the
    same period with correlated deviations, their errors correlate too, and treating them as
    independent overstates the spread of the difference (pulls the probability toward 1/2).

    **Mean and variance.** Expanded to first order in :math:`\varepsilon_k - e_k` and
    :math:`W_k` (the delta method), :math:`R_k` has mean :math:`E_k`, exactly
    ``total_cost``'s ``dollars``, and the difference :math:`R_A - R_B` has mean
    :math:`\mu = E_A - E_B` and variance

    .. math::

        \sigma^2 = S^2\left[u_A^2 SE_A^2 + u_B^2 SE_B^2
                   + h\,(g_A^2 TE_A^2 + g_B^2 TE_B^2 - 2\rho\,g_A g_B\,TE_A TE_B)\right]
                   + 2 I_A^2 + 2 I_B^2,

    with :math:`g_k = (1+e_k)^h` and :math:`u_k = h(1+e_k)^{h-1}` under the square-root law
    (the derivatives of :math:`(1+\varepsilon)^h e^{W}`), :math:`g_k = 1` and :math:`u_k = h`
    under Morningstar's. The drift's error thus grows with :math:`h^2`, the deviations with
    :math:`h`; at :math:`\rho = 1` the tracking term is :math:`h(g_A TE_A - g_B TE_B)^2`.
    So :math:`\sigma^2 = sd_A^2 + sd_B^2 - 2\rho S^2 h\, g_A g_B TE_A TE_B` with
    ``total_cost``'s ``sd`` of each fund (whose bounds use the same :math:`g` and :math:`u`).
    Leaving out :math:`g` and :math:`u` (taking :math:`g = 1`, :math:`u = h` under the
    square-root law too), which holds only as :math:`e_k h \to 0`, would put the probability
    off by up to 0.11 in the simulation below; with them, by less than 0.01.

    **Probability.** With the difference taken as normal,

    .. math::

        P(R_A > R_B) = \Phi(\mu / \sigma),

    and :math:`\Phi(\pm\infty)` = 1, 0 where :math:`\sigma = 0`, 1/2 where also
    :math:`\mu = 0`. The mean being ``total_cost``'s, the probability is 1/2 exactly where
    the two expected costs are equal: at the horizon :func:`breakeven` returns, to the
    rounding of that horizon.

    **Approximation error.** Under Morningstar's arithmetic the difference is exactly normal
    and the probability exact. Under the square-root law the compounding is nonlinear: the
    mean of :math:`R_k` exceeds :math:`E_k` by about :math:`S g_k (TE_k^2 h/2 +
    SE_k^2 h(h-1)/(2(1+e_k)^2))` (Jensen's inequality), and :math:`e^{W}` is skewed. Both
    grow with :math:`\kappa = \max_k (TE_k\sqrt{h} + SE_k h)`, the spread of a fund's
    log growth. Simulated (the slow test of ``tests/test_decision.py``: 200,000 draws for each
    of 200 ETF-like pairs, EHC -2% to +0.5%, standard error to 0.5%, tracking error to 2%, MIC
    to 0.5%, 0.1 to 30 years, any correlation, probability between 0.02 and 0.98), the
    largest difference was 0.009, and 0.012 over 100 pairs with EHC to -5%, standard error
    to 1% and tracking error to 6%; beyond the simulation's own noise (four binomial standard
    errors) it never exceeded :math:`0.05\,\kappa`. The tests allow :math:`0.1\,\kappa`.
    """
    model, x = _inputs(
        {"trade_size": trade_size, "years": years, "commission": commission,
         "holding_cost_a": holding_cost_a, "holding_cost_se_a": holding_cost_se_a,
         "tracking_error_a": tracking_error_a, "market_impact_a": market_impact_a,
         "holding_cost_b": holding_cost_b, "holding_cost_se_b": holding_cost_se_b,
         "tracking_error_b": tracking_error_b, "market_impact_b": market_impact_b,
         "correlation": correlation},
        impact_model, {"half_spread_a": half_spread_a, "half_spread_b": half_spread_b})
    S, h, rho = x["trade_size"], x["years"], x["correlation"]
    teA, teB = x["tracking_error_a"], x["tracking_error_b"]
    pa, pb = (_cost_arrays(S, h, x["commission"], x[f"holding_cost_{k}"], x[f"market_impact_{k}"],
                           x[f"tracking_error_{k}"], x[f"holding_cost_se_{k}"], model,
                           x[f"half_spread_{k}"]) for k in "ab")
    mu = pa["dollars"] - pb["dollars"]
    # Each fund's variance is total_cost's; the persistent deviations of the two covary.
    covariance = rho * S**2 * h * (pa["growth"] * teA) * (pb["growth"] * teB)
    sd = np.sqrt(np.maximum(pa["sd"] ** 2 + pb["sd"] ** 2 - 2.0 * covariance, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):  # sd = 0: certain, or a tie
        z = np.where(sd > 0, mu / sd, np.where(mu == 0, 0.0, np.sign(mu) * np.inf))
    p = 0.5 * np.asarray(_ERFC(-z / math.sqrt(2.0)), dtype=float)  # Phi, exact in both tails
    return CostComparison(_out(p), _out(mu), _out(sd), _out(S), _out(h), _out(rho), model)

