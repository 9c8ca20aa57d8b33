"""The registry of figures: what each figure is called, what unit it is in, what it means,
and which Excel function returns it. Defined once, read by every front end.

The Excel functions label their spilled tables with :attr:`Figure.label`; the template
workbook takes its column headers, number formats, header notes and the definitions on its
Start sheet from here; the command line its labels and formats; the README's table of
figures is :func:`markdown_table` (a test checks that the two agree). A figure's value is
computed in one place, the analytics function that returns it (``TrackingStats``,
``MarketImpact``, ``TotalCost``, ``BreakEven``, ``CostComparison``); no front end derives one
figure from others.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = ["Figure", "FIGURES", "TRACKING_FIGURES", "COST_FIGURES", "CHOICE_FIGURES", "UNITS",
           "figure", "excel_format", "format_value", "markdown_table"]

#: Units a figure can be in: a fraction (shown as a percentage), a plain number, a count,
#: an amount of money (the currency of the inputs; the examples use dollars).
UNITS = ("fraction", "number", "count", "money")


@dataclass(frozen=True)
class Figure:
    """One figure.

    Attributes
    ----------
    key : str
        Its name in Python: the attribute of the result object that holds it.
    label : str
        What it is called in a table that lists it among others (``ETF_ANALYTICS``'s labels).
    short : str
        A narrow column header, unambiguous on its own.
    unit : str
        One of :data:`UNITS`.
    digits : int
        Decimals shown: of the percentage for a fraction (2: ``-0.23%``), of the number
        otherwise.
    definition : str
        One line: what the figure means and how it is computed.
    excel : str
        The Excel function that returns it. Figures without a function of their own are
        returned by ``ETF_ANALYTICS`` when asked for by key.
    cost : bool
        A return impact on the investor, signed so that negative costs money (a holding
        cost, a tracking difference, a total cost); front ends mark negative values. False
        for magnitudes (tracking errors, market impact) and plain numbers.
    """

    key: str
    label: str
    short: str
    unit: str
    digits: int
    definition: str
    excel: str
    cost: bool = False

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"{self.key}: unit must be one of {UNITS}, got {self.unit!r}")


# Signed return impacts (negative costs money), as opposed to magnitudes and plain numbers.
_COSTS = {"holding_cost", "holding_cost_lower", "holding_cost_upper", "tracking_difference",
          "tracking_difference_cumulative", "rolling_td_median", "rolling_td_high",
          "rolling_td_low", "rolling_td_latest", "alpha", "dollars", "annual", "lower", "upper",
          "beyond_fee"}


def _f(key: str, label: str, short: str, unit: str, digits: int, definition: str,
       excel: str = "ETF_ANALYTICS") -> Figure:
    return Figure(key, label, short, unit, digits, definition, excel, cost=key in _COSTS)


_TRACKING = (
    _f("holding_cost", "Estimated holding cost (EHC)", "EHC", "fraction", 2,
       "The trend of the fund's log return minus its index's, a year: the GLS drift of the "
       "tracking model, robust to timing noise. Negative: the fund lags its index.",
       "ETF_HOLDING_COST"),
    _f("holding_cost_lower", "EHC 95% lower", "EHC low", "fraction", 2,
       "Lower end of the EHC's 95% interval: EHC - 1.96 standard errors."),
    _f("holding_cost_upper", "EHC 95% upper", "EHC high", "fraction", 2,
       "Upper end of the EHC's 95% interval: EHC + 1.96 standard errors."),
    _f("holding_cost_se", "EHC standard error", "EHC s.e.", "fraction", 3,
       "Standard error of the EHC, allowing for the uncertainty of the tracking error."),
    _f("tracking_error", "Tracking error (noise-robust)", "TE", "fraction", 3,
       "Annualized volatility of the persistent deviations from the index only: the "
       "mean-reverting timing noise of stale prices and cut-off times removed. From 500 "
       "returns on, of the most recent returns (at most 2.5% of the oldest left out).",
       "ETF_TRACKING_ERROR"),
    _f("tracking_error_lower", "Tracking error 95% lower", "TE low", "fraction", 3,
       "Lower end of the noise-robust tracking error's 95% profile-likelihood interval."),
    _f("tracking_error_upper", "Tracking error 95% upper", "TE high", "fraction", 3,
       "Upper end of the noise-robust tracking error's 95% profile-likelihood interval."),
    _f("tracking_error_traditional", "Tracking error (traditional)", "TE trad.", "fraction", 3,
       "sqrt(periods a year) x the standard deviation of the return differences, fund minus "
       "index: it counts the timing noise as well.",
       "ETF_TRACKING_ERROR_TRADITIONAL"),
    _f("noise_share", "Noise share of traditional variance", "Noise share", "fraction", 1,
       "Share of the traditional tracking variance that is mean-reverting noise: "
       "1 - (noise-robust / traditional)^2."),
    _f("model_fit_pvalue", "Model fit test p-value", "Fit p", "number", 3,
       "p-value of a portmanteau test (3 lags) of the tracking model's whitened residuals: "
       "below 0.01 the model does not describe the data (deviations with momentum, say) and "
       "the noise-robust figures may be off."),
    _f("tracking_difference", "Tracking difference, annualized", "TD a year", "fraction", 2,
       "Point-to-point difference of the fund's and the index's returns over the sample, "
       "annualized: exp(periods a year x mean log return difference) - 1.",
       "ETF_TRACKING_DIFFERENCE"),
    _f("tracking_difference_cumulative", "Tracking difference, cumulative", "TD cumulative",
       "fraction", 2,
       "Point-to-point over the sample: (1 + fund return) / (1 + index return) - 1.",
       "ETF_TRACKING_DIFFERENCE"),
    _f("rolling_td_median", "Rolling 1y TD median", "TD median", "fraction", 2,
       "Median of the point-to-point tracking differences over every one-year window "
       "(a calendar year with dates).", "ETF_ROLLING_TD"),
    _f("rolling_td_high", "Rolling 1y TD high", "TD high", "fraction", 2,
       "The best one-year tracking difference.", "ETF_ROLLING_TD"),
    _f("rolling_td_low", "Rolling 1y TD low", "TD low", "fraction", 2,
       "The worst one-year tracking difference.", "ETF_ROLLING_TD"),
    _f("rolling_td_latest", "Rolling 1y TD latest", "TD last year", "fraction", 2,
       "The tracking difference over the last year of the data.", "ETF_ROLLING_TD"),
    _f("beta", "Beta", "Beta", "number", 3,
       "Slope of the regression of the fund's returns on the index's.", "ETF_BETA"),
    _f("beta_dimson", "Beta (Dimson, lead/lag)", "Beta (Dimson)", "number", 3,
       "Sum of the slopes on the index return a period before, at and after: undoes stale "
       "and non-synchronous prices.", "ETF_BETA"),
    _f("r_squared", "R-squared", "R²", "number", 4,
       "Share of the fund's return variance the index explains.", "ETF_R_SQUARED"),
    _f("alpha", "Alpha, annualized", "Alpha", "fraction", 2,
       "Intercept of the regression of fund on index returns, annualized (log returns)."),
    _f("n_obs", "Returns used", "Returns", "count", 0,
       "Returns on the dates both series have, which the estimates use."),
    _f("n_skipped", "Dates skipped (one series blank)", "Skipped", "count", 0,
       "Dates inside the comparison on which one of the two series has no value; the next "
       "return spans the gap."),
    _f("periods_per_year", "Periods per year", "Periods a year", "number", 0,
       "Periods a year used to annualize: given, or inferred from the dates (252 daily, 52 "
       "weekly, 12 monthly)."),
)

_TRADING = (
    _f("market_impact", "Market impact cost (MIC)", "Impact $100k", "fraction", 4,
       "How far a $100,000 trade moves the price from fair value: the daily volatility of "
       "the premium ln(price / NAV) x sqrt($100,000 / median daily dollar volume).",
       "ETF_MARKET_IMPACT"),
    _f("spread", "Bid-ask spread (estimated)", "Spread", "fraction", 4,
       "Full bid-ask spread, (ask - bid) / mid, estimated from daily open, high, low and "
       "close prices (EDGE); one trade pays half of it.", "ETF_SPREAD"),
)

_COST = (
    _f("dollars", "Total cost", "Total cost", "money", 2,
       "Cost of buying, holding and selling: the holding part (the EHC over the holding "
       "period), two commissions, market impact and spread. Negative costs money.",
       "ETF_TOTAL_COST"),
    _f("annual", "Annual cost", "Annual cost", "fraction", 2,
       "The constant yearly rate that loses the same as the total cost.", "ETF_TOTAL_COST"),
    _f("lower", "Total cost 95% lower", "95% lower", "money", 2,
       "Lower 95% bound of the total cost: tracking error over the holding period, the "
       "EHC's standard error and the execution prices.", "ETF_TOTAL_COST"),
    _f("upper", "Total cost 95% upper", "95% upper", "money", 2,
       "Upper 95% bound of the total cost.", "ETF_TOTAL_COST"),
)

_INPUTS = (
    _f("expense_ratio", "Expense ratio", "Expense ratio", "fraction", 2,
       "The published annual fee, an input typed in from the prospectus (positive).", ""),
    _f("beyond_fee", "Cost beyond the expense ratio", "Beyond the fee", "fraction", 2,
       "Annual cost + expense ratio: what the fee alone does not tell (negative: the fund "
       "costs more than its fee).", ""),
)

_CHOICE = (
    _f("breakeven_years", "Break-even holding period (years)", "Break-even", "number", 2,
       "The holding period at which two funds' expected total costs are equal: the fund "
       "cheaper to trade costs less before it, the one cheaper to hold after; n/a with the "
       "reason where they do not cross within 100 years.", "ETF_BREAKEVEN"),
    _f("prob_cheaper", "Probability A costs less", "P(A cheaper)", "fraction", 1,
       "Probability that fund A's realized total cost over the holding period is lower than "
       "fund B's: normal, with the expected totals' difference as mean and the funds' "
       "holding cost errors, tracking errors (correlated) and execution prices as variance.",
       "ETF_PROB_CHEAPER"),
)

#: Every figure by key.
FIGURES: dict[str, Figure] = {f.key: f for f in (*_TRACKING, *_TRADING, *_COST, *_INPUTS,
                                                 *_CHOICE)}
#: The figures of a ``TrackingStats``, in the order ``ETF_ANALYTICS`` lists them.
TRACKING_FIGURES: tuple[str, ...] = tuple(f.key for f in _TRACKING)
#: The figures of a ``TotalCost`` that ``ETF_TOTAL_COST`` returns, in its order.
COST_FIGURES: tuple[str, ...] = tuple(f.key for f in _COST)
#: The figures of a choice between two funds: ``BreakEven.breakeven_years`` and
#: ``CostComparison.prob_cheaper``.
CHOICE_FIGURES: tuple[str, ...] = tuple(f.key for f in _CHOICE)


def figure(name: str) -> Figure:
    """A figure by key or by label (any case); ``KeyError`` naming the known keys if none."""
    if name in FIGURES:
        return FIGURES[name]
    wanted = name.strip().lower()
    for f in FIGURES.values():
        if wanted in (f.key, f.label.lower()):
            return f
    raise KeyError(f"no figure {name!r}; known: {', '.join(FIGURES)}")


def excel_format(f: Figure) -> str:
    """The Excel number format of a figure: ``0.00%``, ``0.000``, ``$#,##0.00_);$(#,##0.00)``."""
    decimals = "." + "0" * f.digits if f.digits else ""
    if f.unit == "fraction":
        return f"0{decimals}%"
    if f.unit == "money":
        return f"$#,##0{decimals}_);$(#,##0{decimals})"
    if f.unit == "count":
        return "0"
    return f"0{decimals}"


def format_value(f: Figure, value: Any) -> str:
    """A figure as text, as the workbook shows it: ``-0.23%``, ``$(6,996.50)``, ``n/a``."""
    if value is None or isinstance(value, str):
        return "n/a" if value is None else value
    v = float(value)
    if math.isnan(v):
        return "n/a"
    if f.unit == "fraction":
        return f"{v:.{f.digits}%}"
    if f.unit == "money":
        return f"$({-v:,.{f.digits}f})" if v < 0 else f"${v:,.{f.digits}f}"
    if f.unit == "count":
        return f"{int(round(v)):d}"
    return f"{v:g}" if f.digits == 0 else f"{v:.{f.digits}f}"


def markdown_table(keys: tuple[str, ...] | None = None) -> str:
    """The registry as a Markdown table (the README's table of figures)."""
    rows = ["| figure | Python name | Excel | unit | definition |", "|---|---|---|---|---|"]
    for f in (FIGURES[k] for k in (keys or FIGURES)):
        excel = f"`{f.excel}`" if f.excel else "(template)"
        rows.append(f"| {f.label} | `{f.key}` | {excel} | {f.unit} | {f.definition} |")
    return "\n".join(rows)
