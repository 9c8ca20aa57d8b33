"""The Excel functions: thin, documented shells over :mod:`xlwings_udfs.analytics`.

Each function reads its cells through :mod:`xlwings_udfs.excel`, calls one analytics
function (through the shared cache) and returns a cell value or a small 2-D array to spill.
Its declaration to xlwings (category, argument help, how each argument's cells come in) and
the per-host error policy come from one decorator, :func:`xlwings_udfs.excel.excel_udf`,
fed by the table of argument help in :mod:`xlwings_udfs.arguments`.

Conventions: inputs are levels; results are fractions (format them as %), and
costs are the investor's return impact, so negative costs money. Range arguments take a
column or a row, with or without a text header, blanks for missing values, and whole-column
selections such as ``B:B``. ``dates`` are optional where stated; without them rows are
consecutive periods (252 a year unless ``periods_per_year`` says otherwise).

Set-up for each host (classic, xlwings Lite, xlwings Server) is in the README. Docstrings are
the descriptions Excel's function wizard shows, and :mod:`xlwings_udfs.arguments` its
argument help, so they stay short (Excel cuts them at 255 characters).
"""
from __future__ import annotations

import functools
import platform

import numpy as np
import xlwings as xw

from . import __version__
from . import excel
from .arguments import ARGUMENT_HELP, RANGE_ARGUMENTS
from .analytics.choice import breakeven, prob_cheaper
from .analytics.cost import total_cost
from .analytics.history import holding_cost_history
from .analytics.errors import InputError, NotAvailable
from .analytics.impact import market_impact_stats
from .analytics.spread import bid_ask_spread_stats
from .analytics.returns import performance_gap, period_return
from .analytics.figures import COST_FIGURES, FIGURES, TRACKING_FIGURES, figure
from .analytics.tracking import tracking_stats

__all__ = [
    "ETF_HOLDING_COST",
    "ETF_TRACKING_ERROR",
    "ETF_TRACKING_ERROR_TRADITIONAL",
    "ETF_TRACKING_DIFFERENCE",
    "ETF_ROLLING_TD",
    "ETF_BETA",
    "ETF_R_SQUARED",
    "ETF_ANALYTICS",
    "ETF_HOLDING_COST_HISTORY",
    "ETF_MARKET_IMPACT",
    "ETF_SPREAD",
    "ETF_TOTAL_COST",
    "ETF_BREAKEVEN",
    "ETF_PROB_CHEAPER",
    "ETF_RETURN",
    "ETF_PERFORMANCE_GAP",
    "ETF_VERSION",
]

_CATEGORY = "ETF analytics"

_DATES_DAILY = "Optional dates of the rows, ascending (used to check the data are daily)."
_DATES_PERIOD = "Dates of the rows, ascending."

#: ``@_udf`` or ``@_udf(argument="help of this function's argument", ...)``.
_udf = functools.partial(excel.excel_udf, category=_CATEGORY, docs=ARGUMENT_HELP,
                         ranges=RANGE_ARGUMENTS)


def _read_tracking(fund, index, dates, periods_per_year, window):
    series = excel.read_series(("fund", fund, "panel"), ("index", index, "levels"), dates=dates)
    ppy = excel.number(periods_per_year, "periods_per_year")
    win = excel.number(window, "window")
    stats = excel.run(tracking_stats, series["fund"], series["index"], series["dates"], ppy, win,
                      series=series)
    return series, stats


def _is_panel(series):
    fund = series["fund"]
    return fund.ndim == 2 and fund.shape[1] > 1


def _reason(stats, key):
    """Why a figure is missing, from the notes that concern it; None if no note says."""
    return "; ".join(stats.reasons(key)) or None


def _figure(key, fund, index, dates, periods_per_year, window):
    """One figure of tracking_stats: a number for one fund, a row (one per fund) for a panel."""
    series, stats = _read_tracking(fund, index, dates, periods_per_year, window)
    value = getattr(stats, key)
    if _is_panel(series):
        return excel.table([list(np.asarray(value, dtype=float))])
    return excel.scalar(value, FIGURES[key].label, _reason(stats, key))


def _figures(series, stats, keys, labels):
    """Figures of one fund as [label, value] rows, or of a panel as one row per fund."""
    if _is_panel(series):
        k = series["fund"].shape[1]
        cols = [np.broadcast_to(np.asarray(getattr(stats, key), dtype=float), (k,)) for key in keys]
        names = series.names("fund")
        rows = [[names[j]] + [c[j] for c in cols] for j in range(k)]
        if not labels:
            return excel.table([r[1:] for r in rows])
        return excel.table([["Fund"] + [FIGURES[key].label for key in keys]] + rows)
    values = [getattr(stats, key) for key in keys]
    if not np.isfinite(np.asarray(values, dtype=float)).any():
        reason = _reason(stats, keys[0]) or "cannot be estimated from these data"
        raise NotAvailable(FIGURES[keys[0]].label, reason)
    if not labels:
        return excel.table([[v] for v in values])
    return excel.table([[FIGURES[key].label, v] for key, v in zip(keys, values)])


# ----------------------------------------------------------------------------------------
# tracking
# ----------------------------------------------------------------------------------------

@_udf
def ETF_HOLDING_COST(fund, index, dates=None, periods_per_year=None, window=None):
    """Estimated holding cost (EHC): the fund's yearly lag behind its index, from the trend of the tracking difference, robust to timing noise. Negative costs money (-0.0023 = -0.23% a year)."""
    return _figure("holding_cost", fund, index, dates, periods_per_year, window)


@_udf
def ETF_TRACKING_ERROR(fund, index, dates=None, periods_per_year=None, window=None):
    """Noise-robust tracking error: annualized volatility of the persistent deviations from the index, with mean-reverting timing noise removed. A fraction (0.001 = 0.10%)."""
    return _figure("tracking_error", fund, index, dates, periods_per_year, window)


@_udf
def ETF_TRACKING_ERROR_TRADITIONAL(fund, index, dates=None, periods_per_year=None, window=None):
    """Traditional tracking error: annualized standard deviation of the daily return differences, fund minus index (inflated by timing noise). A fraction."""
    return _figure("tracking_error_traditional", fund, index, dates, periods_per_year, window)


@_udf(window="Optional: only the last N returns (252 = the 1-year figure on daily data); at least 30.",
      annualized="TRUE (default): annualized; FALSE: cumulative over the period, (1+R fund)/(1+R index)-1.")
def ETF_TRACKING_DIFFERENCE(fund, index, dates=None, periods_per_year=None, window=None, annualized=True):
    """Point-to-point tracking difference, fund minus index (geometric), over all rows or the last window returns; annualized or cumulative. Negative = the fund lagged."""
    key = ("tracking_difference" if excel.flag(annualized, "annualized", True)
           else "tracking_difference_cumulative")
    return _figure(key, fund, index, dates, periods_per_year, window)


@_udf
def ETF_ROLLING_TD(fund, index, dates=None, periods_per_year=None, labels=True):
    """Rolling 1-year tracking differences: median, high, low and latest (a 4 x 2 spill with labels). One calendar year per window with dates, else periods_per_year rows."""
    series, stats = _read_tracking(fund, index, dates, periods_per_year, None)
    keys = ["rolling_td_median", "rolling_td_high", "rolling_td_low", "rolling_td_latest"]
    return _figures(series, stats, keys, excel.flag(labels, "labels", True))


@_udf
def ETF_BETA(fund, index, dates=None, periods_per_year=None, window=None, lead_lag=False):
    """Beta of the fund's returns on the index returns; with lead_lag=TRUE the Dimson beta, which corrects for stale or non-synchronous prices."""
    key = "beta_dimson" if excel.flag(lead_lag, "lead_lag", False) else "beta"
    return _figure(key, fund, index, dates, periods_per_year, window)


@_udf
def ETF_R_SQUARED(fund, index, dates=None, periods_per_year=None, window=None):
    """R-squared of the regression of the fund's returns on the index returns (0 to 1)."""
    return _figure("r_squared", fund, index, dates, periods_per_year, window)


@_udf(labels="TRUE (default): with labels (one fund: a label column; several: a header row and names). "
             "FALSE: values only.")
def ETF_ANALYTICS(fund, index, dates=None, periods_per_year=None, window=None, labels=True, figures=None):
    """All tracking figures, or those named: EHC with its interval, tracking errors, tracking differences, rolling 1-year TD, beta, R-squared, observations. One fund: label/value rows; several funds: one row each."""
    keys = _figure_keys(figures)
    series, stats = _read_tracking(fund, index, dates, periods_per_year, window)
    return _figures(series, stats, keys, excel.flag(labels, "labels", True))


def _figure_keys(figures):
    """The tracking figures named in the ``figures`` cells (keys or labels), in their order."""
    if figures is None:
        return list(TRACKING_FIGURES)
    names = [v for v in excel.cell_texts(figures, "figures")]
    if not names:
        return list(TRACKING_FIGURES)
    keys = []
    for name in names:
        try:
            f = figure(name)
        except KeyError:
            f = None
        if f is None or f.key not in TRACKING_FIGURES:
            raise InputError("figures", f"no tracking figure {name!r}; use a name such as "
                                        f"holding_cost_lower or a label of ETF_ANALYTICS")
        keys.append(f.key)
    return keys


_HISTORY_COLUMNS = ("holding_cost", "holding_cost_lower", "holding_cost_upper")


@_udf(window="Optional: returns in each trailing window; default about 3 years of the data's frequency.",
      header='TRUE (default): a header row ("End of window", the figures\' labels). FALSE: values only.')
def ETF_HOLDING_COST_HISTORY(fund, index, dates=None, window=None, periods_per_year=None, header=True):
    """How the estimated holding cost moved: one row per date, the EHC and its 95% interval over the trailing window of returns ending there. The last row equals ETF_HOLDING_COST with the same window."""
    series = excel.read_series(("fund", fund, "levels"), ("index", index, "levels"), dates=dates)
    history = excel.run(holding_cost_history, series["fund"], series["index"], series["dates"],
                        excel.number(periods_per_year, "periods_per_year"), excel.number(window, "window"),
                        series=series)
    rows = [[end, *(getattr(history, key)[i] for key in _HISTORY_COLUMNS)] for i, end in enumerate(history.end)]
    if excel.flag(header, "header", True):
        rows.insert(0, ["End of window" if series["dates"] is not None else "Row",
                        *(FIGURES[key].label for key in _HISTORY_COLUMNS)])
    return excel.table(rows)


# ----------------------------------------------------------------------------------------
# trading costs
# ----------------------------------------------------------------------------------------

@_udf(dates=_DATES_DAILY)
def ETF_MARKET_IMPACT(price, nav, volume, dates=None, trade_size=100000):
    """Market impact cost: the expected move of the price away from NAV caused by a trade of trade_size, from the premium's daily volatility and the median daily dollar volume. A fraction."""
    series = excel.read_series(("price", price, "levels"), ("nav", nav, "levels"),
                               ("volume", volume, "numbers"), dates=dates)
    size = excel.number(trade_size, "trade_size", default=100000)
    stats = excel.run(market_impact_stats, series["price"], series["nav"], series["volume"],
                      series["dates"], size, series=series)
    return excel.scalar(stats.impact, "Market impact", stats.note or None)


@_udf(dates=_DATES_DAILY)
def ETF_SPREAD(open_price, high, low, close_price, dates=None):
    """Estimated bid-ask spread, (ask - bid) / mid, from daily open, high, low and close prices (EDGE estimator). One trade pays half of it. A fraction."""
    series = excel.read_series(("open_price", open_price, "levels"), ("high", high, "levels"),
                               ("low", low, "levels"), ("close_price", close_price, "levels"),
                               dates=dates)
    stats = excel.run(bid_ask_spread_stats, series["open_price"], series["high"], series["low"],
                      series["close_price"], series["dates"], series=series,
                      rename={"open": "open_price", "close": "close_price"})
    return excel.scalar(stats.spread, "Spread", stats.note or None)


@_udf(trade_size="Dollars invested.")
def ETF_TOTAL_COST(trade_size, years, commission, holding_cost, market_impact=0, tracking_error=0,
                   holding_cost_se=0, impact_model="square_root", half_spread=0, header=False):
    """Total cost of buying, holding and selling: [dollars, annual rate, 95% lower, 95% upper] in one row. Negative costs money."""
    result = total_cost(
        excel.number(trade_size, "trade_size", required=True),
        excel.number(years, "years", required=True),
        excel.number(commission, "commission", required=True),
        excel.number(holding_cost, "holding_cost", required=True),
        excel.number(market_impact, "market_impact", default=0.0),
        excel.number(tracking_error, "tracking_error", default=0.0),
        excel.number(holding_cost_se, "holding_cost_se", default=0.0),
        excel.text(impact_model, "impact_model", "square_root"),
        excel.number(half_spread, "half_spread", default=0.0),
    )
    row = [getattr(result, key) for key in COST_FIGURES]
    if excel.flag(header, "header", False):
        return excel.table([[FIGURES[key].label for key in COST_FIGURES], row])
    return excel.table([row])


@_udf(trade_size="Dollars invested in either fund.", commission="Commission per trade in dollars, the same for both.")
def ETF_BREAKEVEN(trade_size, commission, holding_cost_a, market_impact_a, holding_cost_b, market_impact_b,
                  impact_model="square_root", half_spread_a=0, half_spread_b=0):
    """Holding period in years at which funds A and B cost the same (expected total cost of the trade): the cheaper to trade wins before it, the cheaper to hold after. #N/A with the reason where they never cross within 100 years."""
    result = breakeven(
        excel.number(trade_size, "trade_size", required=True),
        excel.number(commission, "commission", required=True),
        excel.number(holding_cost_a, "holding_cost_a", required=True),
        excel.number(market_impact_a, "market_impact_a", required=True),
        excel.number(holding_cost_b, "holding_cost_b", required=True),
        excel.number(market_impact_b, "market_impact_b", required=True),
        excel.text(impact_model, "impact_model", "square_root"),
        excel.number(half_spread_a, "half_spread_a", default=0.0),
        excel.number(half_spread_b, "half_spread_b", default=0.0),
    )
    return excel.scalar(result.breakeven_years, FIGURES["breakeven_years"].label, result.reason or None)


@_udf(trade_size="Dollars invested in either fund.", years="Holding period in years.",
      commission="Commission per trade in dollars, the same for both.")
def ETF_PROB_CHEAPER(trade_size, years, commission, holding_cost_a, holding_cost_se_a, tracking_error_a,
                     market_impact_a, holding_cost_b, holding_cost_se_b, tracking_error_b, market_impact_b,
                     correlation=0, impact_model="square_root", half_spread_a=0, half_spread_b=0):
    """Probability that fund A's realized total cost over the holding period is lower than fund B's, given the uncertainty of both holding costs, their tracking errors and the execution prices. 0.5 at the break-even."""
    result = prob_cheaper(
        excel.number(trade_size, "trade_size", required=True),
        excel.number(years, "years", required=True),
        excel.number(commission, "commission", required=True),
        excel.number(holding_cost_a, "holding_cost_a", required=True),
        excel.number(holding_cost_se_a, "holding_cost_se_a", required=True),
        excel.number(tracking_error_a, "tracking_error_a", required=True),
        excel.number(market_impact_a, "market_impact_a", required=True),
        excel.number(holding_cost_b, "holding_cost_b", required=True),
        excel.number(holding_cost_se_b, "holding_cost_se_b", required=True),
        excel.number(tracking_error_b, "tracking_error_b", required=True),
        excel.number(market_impact_b, "market_impact_b", required=True),
        excel.number(correlation, "correlation", default=0.0),
        excel.text(impact_model, "impact_model", "square_root"),
        excel.number(half_spread_a, "half_spread_a", default=0.0),
        excel.number(half_spread_b, "half_spread_b", default=0.0),
    )
    return excel.scalar(result.prob_cheaper, FIGURES["prob_cheaper"].label)


# ----------------------------------------------------------------------------------------
# performance over a period
# ----------------------------------------------------------------------------------------

_RENAME_PERIOD = {"start": "start_date", "end": "end_date", "annualize": "annualized"}


@_udf(dates=_DATES_PERIOD)
def ETF_RETURN(levels, dates, start_date, end_date, distributions=None, annualized=False,
               start_convention="previous_close", reinvest="ex_date"):
    """Total return between two dates from levels and optional distributions, with the conventions stated (start close, reinvestment). A fraction (0.035 = 3.5%)."""
    series = excel.read_series(("levels", levels, "levels"), ("distributions", distributions, "numbers"),
                               dates=_required(dates, "dates"))
    result = excel.run(
        period_return, series["levels"], series["dates"], excel.date(start_date, "start_date"),
        excel.date(end_date, "end_date"), series["distributions"],
        excel.text(reinvest, "reinvest", "ex_date"),
        excel.text(start_convention, "start_convention", "previous_close"),
        excel.flag(annualized, "annualized", False),
        series=series, rename=_RENAME_PERIOD)
    return excel.scalar(result.value, "Return")


@_udf(dates=_DATES_PERIOD,
      annualized="TRUE: compare annualized returns (periods of a year or more). Default FALSE.")
def ETF_PERFORMANCE_GAP(fund_a, fund_b, dates, start_date, end_date, distributions_a=None,
                        distributions_b=None, annualized=False, start_convention="previous_close",
                        reinvest="ex_date", relative=False):
    """Return of fund A minus return of fund B over the same period, both from the same closes. A fraction (0.035 = 3.5 points)."""
    series = excel.read_series(("fund_a", fund_a, "levels"), ("fund_b", fund_b, "levels"),
                               ("distributions_a", distributions_a, "numbers"),
                               ("distributions_b", distributions_b, "numbers"),
                               dates=_required(dates, "dates"))
    result = excel.run(
        performance_gap, series["fund_a"], series["fund_b"], series["dates"],
        excel.date(start_date, "start_date"), excel.date(end_date, "end_date"),
        series["distributions_a"], series["distributions_b"],
        excel.text(reinvest, "reinvest", "ex_date"),
        excel.text(start_convention, "start_convention", "previous_close"),
        excel.flag(annualized, "annualized", False),
        series=series, rename=_RENAME_PERIOD)
    gap = result.relative_gap if excel.flag(relative, "relative", False) else result.gap
    return excel.scalar(gap, "Performance gap")


def _required(value, name):
    if value is None:
        raise InputError(name, "required; select the range that holds them")
    return value


# ----------------------------------------------------------------------------------------
# about
# ----------------------------------------------------------------------------------------

@_udf(cached=False)
def ETF_VERSION():
    """Versions of the add-in and of the libraries it runs on, and the host (a 2-column spill)."""
    import pandas

    host = "Office.js (xlwings Server or Lite)" if excel.host() == excel.OFFICE_JS else "classic xlwings"
    return excel.table([
        ["xlwings-etf-analytics", __version__],
        ["python", platform.python_version()],
        ["numpy", np.__version__],
        ["pandas", pandas.__version__],
        ["xlwings", xw.__version__],
        ["host", host],
    ])
