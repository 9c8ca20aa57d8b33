"""Total cost of owning an ETF: holding cost, commissions, market impact and spread.

:func:`total_cost` turns the per-fund figures (estimated holding cost, market impact cost,
tracking error) into the money a round trip costs: buy ``trade_size`` dollars, hold for
``years``, sell. :func:`total_cost_grid` evaluates it over a grid of holding periods and trade
sizes (the what-if table).

Signs follow the project convention: every figure is the investor's return impact, so
negative costs money (a total cost of -6,996.50 is shown as $(6,996.50)).
"""
from __future__ import annotations

from dataclasses import dataclass
from numbers import Number
from typing import Any, Literal, Sequence

import numpy as np
import pandas as pd

from .constants import REFERENCE_TRADE, Z95
from .errors import InputError
from .validation import check_choice, check_positive_number, check_signed_number

__all__ = ["TotalCost", "total_cost", "total_cost_grid", "IMPACT_MODELS"]

#: Supported scalings of market impact with trade size.
IMPACT_MODELS = ("square_root", "morningstar")
_GRID_VALUES = ("dollars", "annual", "lower", "upper", "annual_lower", "annual_upper",
                "holding", "commissions", "impact", "spread", "trading")


@dataclass(frozen=True)
class TotalCost:
    """The cost of a round trip: buy, hold, sell. Negative = costs the investor money.

    Attributes
    ----------
    dollars : float
        Total: ``holding + commissions + impact + spread``.
    annual : float
        The equivalent annual cost rate (see :func:`total_cost`, Notes).
    lower, upper : float
        95% bounds on ``dollars`` (see :func:`total_cost`, Notes, for what they include).
    annual_lower, annual_upper : float
        The bounds expressed as annual rates, the same way as ``annual``.
    holding : float
        Holding part: what the fund's lag behind its index costs over the holding period.
    commissions : float
        Both trades' commissions, ``-2 * commission``.
    impact : float
        Market impact on the round trip.
    spread : float
        Half-spread paid on both trades, ``-2 * trade_size * half_spread``.
    trading : float
        ``commissions + impact + spread``.
    sd : float
        Standard deviation behind the bounds, in dollars.
    growth : float
        What a dollar keeps after the holding period's lag, :math:`(1+EHC)^h` (1 under
        Morningstar's linear arithmetic): the scale of the tracking error's dollars.
    impact_fraction : float
        Price impact of one trade of ``trade_size``, as a fraction of it (>= 0).
    trade_size, years : float
        The inputs.
    impact_model : str
        ``"square_root"`` or ``"morningstar"``.
    """

    dollars: float
    annual: float
    lower: float
    upper: float
    annual_lower: float
    annual_upper: float
    holding: float
    commissions: float
    impact: float
    spread: float
    trading: float
    sd: float
    growth: float
    impact_fraction: float
    trade_size: float
    years: float
    impact_model: str


#: The shortest holding period, in years, whose cost can be stated as an annual rate: a day.
MIN_YEARS = 1.0 / 365.0


def _check_years(value: Any, name: str = "years", row: int | None = None) -> float:
    h = check_positive_number(value, name, upper=100.0)
    if h < MIN_YEARS:
        raise InputError(name, f"{h:g} years is shorter than a day; too short to state as an annual cost",
                         row=row)
    return h


def _positive_vector(values: Any, name: str, upper: float) -> np.ndarray:
    """A list of positive numbers (a grid axis); the row of a bad one is reported."""
    if isinstance(values, (Number, np.number)) and not isinstance(values, (bool, np.bool_)):
        values = [values]
    if isinstance(values, (pd.Series, pd.Index)):
        values = values.to_list()
    arr = np.asarray(values, dtype=object).reshape(-1)
    if arr.size == 0:
        raise InputError(name, "no values given")
    out = np.empty(arr.size)
    for i, v in enumerate(arr):
        try:
            out[i] = check_positive_number(v, name, upper=upper)
        except InputError as err:
            raise InputError(name, err.problem, row=i + 1) from None
    return out


def _check_model(impact_model: Any) -> str:
    if isinstance(impact_model, str) and impact_model.strip().lower() == "sqrt":
        return "square_root"
    return check_choice(impact_model, "impact_model", IMPACT_MODELS)


def _annualize(dollars: np.ndarray, size: np.ndarray, years: np.ndarray, model: str) -> np.ndarray:
    """Equivalent annual rate: geometric for the square-root model, linear for Morningstar's."""
    if model == "morningstar":
        return dollars / (size * years)
    growth = 1.0 + dollars / size
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(growth > 0, np.power(np.maximum(growth, 1e-300), 1.0 / years) - 1.0, -1.0)


def _cost_arrays(size: np.ndarray, years: np.ndarray, commission: float, holding_cost: float,
                 market_impact: float, tracking_error: float, holding_cost_se: float,
                 model: str, half_spread: float) -> dict[str, np.ndarray]:
    """Every part of the total cost, broadcast over ``size`` and ``years``."""
    size, years = np.broadcast_arrays(np.asarray(size, float), np.asarray(years, float))
    scale = np.sqrt(size / REFERENCE_TRADE)
    if model == "morningstar":
        holding = size * holding_cost * years
        impact_total = market_impact * REFERENCE_TRADE * scale  # charged once per round trip
        per_trade = impact_total / 2.0
        growth, drift_effect = np.ones_like(years), years
    else:
        log_growth = years * np.log1p(holding_cost)
        holding = size * np.expm1(log_growth)  # expm1: exact for a lag of a day
        growth = np.exp(log_growth)  # what a dollar keeps after the lag
        per_trade = size * market_impact * scale
        impact_total = 2.0 * per_trade
        drift_effect = years * growth / (1.0 + holding_cost)  # d growth / d holding_cost
    impact = 0.0 - impact_total  # 0.0 - x: no negative zero when there is no impact
    commissions = np.full(size.shape, -2.0 * commission)
    spread = 0.0 - 2.0 * size * half_spread
    trading = commissions + impact + spread
    dollars = holding + trading
    var = (size**2 * (years * (growth * tracking_error) ** 2 + (drift_effect * holding_cost_se) ** 2)
           + 2.0 * per_trade**2)
    sd = np.sqrt(var)
    lower, upper = dollars - Z95 * sd, dollars + Z95 * sd
    return {
        "dollars": dollars,
        "annual": _annualize(dollars, size, years, model),
        "lower": lower,
        "upper": upper,
        "annual_lower": _annualize(lower, size, years, model),
        "annual_upper": _annualize(upper, size, years, model),
        "holding": holding,
        "commissions": commissions,
        "impact": impact,
        "spread": spread,
        "trading": trading,
        "sd": sd,
        "growth": growth,
        "impact_fraction": per_trade / size,
    }


#: Bounds of the parameters of a cost: (largest value, zero allowed). ``holding_cost`` (signed)
#: and ``years`` (at least a day) are checked apart.
_LIMITS = {
    "trade_size": (1e12, False),
    "commission": (1e9, True),
    "market_impact": (0.5, True),
    "tracking_error": (1.0, True),
    "holding_cost_se": (0.5, True),
    "half_spread": (0.5, True),
}
_HOLDING_COST_LIMIT = 0.2
_UNITS = "; units are fractions: -0.23% a year is -0.0023"


def check_parameter(value: Any, kind: str, name: str | None = None) -> float:
    """One parameter of a cost, with the bounds :func:`total_cost` applies to it.

    ``kind`` is the parameter (``"holding_cost"``, ``"years"``, a key of the limits above);
    ``name`` is how the caller calls it (``"holding_cost_a"``), which the message names.
    """
    name = name or kind
    if kind == "years":
        return _check_years(value, name)
    if kind == "holding_cost":
        return check_signed_number(value, name, _HOLDING_COST_LIMIT, _UNITS)
    upper, allow_zero = _LIMITS[kind]
    return check_positive_number(value, name, allow_zero=allow_zero, upper=upper)


def _check_scalars(commission: Any, holding_cost: Any, market_impact: Any, tracking_error: Any,
                   holding_cost_se: Any, impact_model: Any, half_spread: Any,
                   smallest_trade: float) -> tuple:
    c = check_parameter(commission, "commission")
    if c >= smallest_trade:
        raise InputError(
            "commission", f"{c:g} a trade is not less than the trade size ({smallest_trade:g})")
    ehc = check_parameter(holding_cost, "holding_cost")
    mic = check_parameter(market_impact, "market_impact")
    te = check_parameter(tracking_error, "tracking_error")
    se = check_parameter(holding_cost_se, "holding_cost_se")
    model = _check_model(impact_model)
    hs = check_parameter(half_spread, "half_spread")
    return c, ehc, mic, te, se, model, hs


def total_cost(
    trade_size: float,
    years: float,
    commission: float,
    holding_cost: float,
    market_impact: float = 0.0,
    tracking_error: float = 0.0,
    holding_cost_se: float = 0.0,
    impact_model: Literal["square_root", "morningstar"] = "square_root",
    half_spread: float = 0.0,
) -> TotalCost:
    r"""Total cost of buying ``trade_size``, holding it ``years`` and selling it.

    Parameters
    ----------
    trade_size : float
        Dollars invested, S (> 0, at most 1e12).
    years : float
        Holding period h in years (at least a day, at most 100).
    commission : float
        Commission paid on each of the two trades, in dollars (>= 0, a magnitude).
    holding_cost : float
        Estimated holding cost (EHC) a year, signed as a return impact: -0.0023 means the
        fund lags its index by 0.23% a year. At most 0.2 (20% a year) in size: a larger figure
        is taken for a units mistake.
    market_impact : float, default 0
        Market impact cost (MIC) of a $100,000 trade, a fraction (>= 0): the price impact of
        one trade under ``"square_root"``, the published round-trip figure under
        ``"morningstar"``.
    tracking_error : float, default 0
        Annualized tracking error of the persistent deviations (>= 0).
    holding_cost_se : float, default 0
        Standard error of ``holding_cost`` (>= 0).
    impact_model : {"square_root", "morningstar"}, default "square_root"
        How impact scales with trade size and how the holding part compounds (see Notes).
    half_spread : float, default 0
        Half the bid-ask spread as a fraction, paid on both trades (>= 0). Premium-based
        market impact already contains part of the spread; adding both counts it twice.

    Returns
    -------
    TotalCost
        ``dollars``, ``annual``, ``lower``, ``upper`` and the parts.

    Raises
    ------
    InputError
        For any parameter out of range; the message names it.

    Notes
    -----
    With :math:`S` = ``trade_size``, :math:`h` = ``years``, :math:`c` = ``commission``,
    :math:`EHC` = ``holding_cost``, :math:`M` = ``market_impact``, :math:`s` = ``half_spread``
    and :math:`Q_0` = $100,000:

    **Square-root law** (default). Price impact grows with the square root of the size,
    :math:`i(S) = M\sqrt{S/Q_0}`, and is paid on both trades; the lag compounds:

    .. math::

        \text{holding} = S[(1+EHC)^h - 1], \quad
        \text{impact} = -2\,S\,i(S), \quad
        \text{commissions} = -2c, \quad
        \text{spread} = -2Ss.

    The annual rate is the constant yearly rate that loses the same:
    :math:`(1 + \text{dollars}/S)^{1/h} - 1` (-1 if the loss is total).

    **Morningstar** (``impact_model="morningstar"``), the published convention. The holding
    part is linear in years and the impact dollars grow with the square root of the size,
    charged once for the round trip:

    .. math::

        \text{holding} = S\cdot EHC\cdot h, \quad
        \text{impact} = -M\,Q_0\sqrt{S/Q_0}, \quad
        \text{commissions} = -2c.

    This is the arithmetic that reproduces Morningstar's four published examples ($1,000,000,
    3 years, $10 a trade): SPDR S&P 500 $(6,996.50), iShares S&P 500 $(5,118.27),
    PowerShares RAFI US 1000 $(16,520.92), Rydex S&P 500 Equal Weight $(17,801.54), each with
    an EHC inside the rounding interval of the published EHC. Charging the impact on both
    trades, or compounding the holding part, does not: with impact doubled, the iShares row
    needs an EHC of -0.143% against a published -0.16%. The annual rate is linear too:
    :math:`\text{dollars}/(S h)`.

    **Bounds.** ``lower`` and ``upper`` are ``dollars`` :math:`\mp 1.96\,\sigma`, a normal
    approximation with three independent sources of uncertainty:

    .. math::

        \sigma^2 = S^2\,g^2\,TE^2\,h + S^2\,u^2\,SE_{EHC}^2 + \sum_{\text{2 trades}} I_k^2,

    the holding part's first-order (delta-method) variance, with :math:`g = (1+EHC)^h`, what a
    dollar keeps after the lag, and :math:`u = h(1+EHC)^{h-1}`, its derivative with respect
    to the EHC (Morningstar's linear arithmetic: :math:`g = 1`, :math:`u = h`):

    * tracking: the persistent deviations from the index, a random walk whose variance
      grows linearly with time (:math:`TE\sqrt{h}` over the holding period), on what the
      position is still worth after the lag (:math:`g`: a fund lagging 2% a year keeps 58% of
      the index after 27 years, and its deviations move 58% as many dollars);
    * the estimation error of the EHC itself, which a fixed error in the yearly rate turns
      into an error growing about linearly with time (:math:`SE\cdot u`);
    * execution price: each trade's price deviates from its expected level by about its own
      impact dollars :math:`I_k` (the MIC is itself a standard deviation of the price move):
      :math:`I_k = S\,i(S)` under the square-root law, half the round-trip impact under
      Morningstar's.

    Not included: commissions and the half-spread (known costs), the uncertainty of the MIC
    estimate, and moves of the market itself (the cost is measured against the index).
    """
    s = check_parameter(trade_size, "trade_size")
    h = check_parameter(years, "years")
    c, ehc, mic, te, se, model, hs = _check_scalars(
        commission, holding_cost, market_impact, tracking_error, holding_cost_se, impact_model,
        half_spread, s)
    parts = _cost_arrays(np.asarray(s), np.asarray(h), c, ehc, mic, te, se, model, hs)
    figures = {k: float(v) for k, v in parts.items()}
    return TotalCost(**figures, trade_size=s, years=h, impact_model=model)


def total_cost_grid(
    years: Sequence[float],
    trade_sizes: Sequence[float],
    commission: float,
    holding_cost: float,
    market_impact: float = 0.0,
    tracking_error: float = 0.0,
    holding_cost_se: float = 0.0,
    impact_model: Literal["square_root", "morningstar"] = "square_root",
    half_spread: float = 0.0,
    value: str = "dollars",
) -> pd.DataFrame:
    """What-if table: the total cost over a grid of holding periods and trade sizes.

    Parameters
    ----------
    years : sequence of float
        Holding periods (rows of the table), each > 0 and at most 100.
    trade_sizes : sequence of float
        Trade sizes in dollars (columns), each > 0.
    commission, holding_cost, market_impact, tracking_error, holding_cost_se, impact_model, half_spread
        As in :func:`total_cost`.
    value : str, default "dollars"
        Which figure fills the table: any numeric field of :class:`TotalCost`
        (``"dollars"``, ``"annual"``, ``"lower"``, ``"upper"``, ``"annual_lower"``,
        ``"annual_upper"``, ``"holding"``, ``"commissions"``, ``"impact"``, ``"spread"``,
        ``"trading"``).

    Returns
    -------
    pandas.DataFrame
        Index ``years``, columns ``trade_size``; cell (h, S) equals
        ``getattr(total_cost(S, h, ...), value)``. Computed in one vectorized pass.
    """
    h = _positive_vector(years, "years", upper=100.0)
    for i, v in enumerate(h):
        _check_years(v, row=i + 1)
    s = _positive_vector(trade_sizes, "trade_sizes", upper=_LIMITS["trade_size"][0])
    if not isinstance(value, str) or value.strip().lower() not in _GRID_VALUES:
        raise InputError("value", f"must be one of {', '.join(_GRID_VALUES)}, got {value!r}")
    c, ehc, mic, te, se, model, hs = _check_scalars(
        commission, holding_cost, market_impact, tracking_error, holding_cost_se, impact_model,
        half_spread, float(s.min()))
    parts = _cost_arrays(s[None, :], h[:, None], c, ehc, mic, te, se, model, hs)
    return pd.DataFrame(parts[value.strip().lower()],
                        index=pd.Index(h, name="years"), columns=pd.Index(s, name="trade_size"))
