"""The Excel functions called directly, as each host would call them.

On Linux the xlwings decorators are no-ops, so the functions are plain Python. Each test
builds the cells a host would pass for the same sheet: classic xlwings passes dates as
``datetime``, Office.js (xlwings Server and Lite) as serial numbers; with ``err_to_str``
both pass error cells as "#N/A"-style strings; blanks are None. ``use_host`` switches the
error policy. The raw Office.js payloads are exercised in test_office_js.py.
"""
from __future__ import annotations

import datetime as dt
import inspect
import math

import numpy as np
import pandas as pd
import pytest
import xlwings as xw
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xlwings_udfs import __version__, excel
from xlwings_udfs import functions as F
from xlwings_udfs.analytics.cost import total_cost
from xlwings_udfs.analytics.impact import market_impact_stats
from xlwings_udfs.analytics.spread import bid_ask_spread_stats
from xlwings_udfs.analytics.returns import performance_gap, period_return
from xlwings_udfs.analytics import FIGURES, TRACKING_FIGURES, tracking_stats
from xlwings_udfs.analytics.figures import COST_FIGURES
from xlwings_udfs.data import load_cn_etf, load_spy_sp500, sample_panel
from xlwings_udfs.excel import CLASSIC, OFFICE_JS, use_host

HOSTS = [CLASSIC, OFFICE_JS]
FUND = "SYN-SP500A"


@pytest.fixture(autouse=True)
def _fresh_cache():
    excel.cache.clear()
    yield


# ----------------------------------------------------------------------------------------
# building the cells a host passes
# ----------------------------------------------------------------------------------------

def serial(d) -> float:
    return float((pd.Timestamp(d) - pd.Timestamp("1899-12-30")) / pd.Timedelta(days=1))


def column(values, host=CLASSIC, header=None):
    """A column of cells: dates as the host passes them, NaN as an empty cell."""
    out = []
    for v in values:
        if isinstance(v, (pd.Timestamp, dt.datetime, np.datetime64)):
            v = serial(v) if host == OFFICE_JS else pd.Timestamp(v).to_pydatetime()
        elif isinstance(v, float) and math.isnan(v):
            v = None
        elif isinstance(v, np.generic):
            v = v.item()
        out.append([v])
    return ([[header]] if header is not None else []) + out


def date_cell(d, host):
    return serial(d) if host == OFFICE_JS else pd.Timestamp(d).to_pydatetime()


def outcome(host, fn, *args):
    """("ok", value), ("error", message) or ("na", message), the same on every host."""
    with use_host(host):
        try:
            out = fn(*args)
        except xw.XlwingsError as err:
            msg = str(err)
            if msg.startswith("Not enough data - "):
                return "na", msg[len("Not enough data - "):]
            return "error", msg
    if isinstance(out, str) and out.startswith("#VALUE! "):
        return "error", out[len("#VALUE! "):]
    if isinstance(out, str) and out.startswith("#N/A "):
        return "na", out[len("#N/A "):]
    return "ok", out


def value(host, fn, *args):
    kind, out = outcome(host, fn, *args)
    assert kind == "ok", out
    return out


@pytest.fixture(scope="module")
def sheet():
    """One fund, its index, price and volume, with a few blank cells like real data."""
    nav = sample_panel("nav")[FUND].copy()
    index = sample_panel("index")[FUND].copy()
    price = sample_panel("price")[FUND].copy()
    volume = sample_panel("volume")[FUND].astype(float)
    nav.iloc[[40, 41, 300]] = np.nan      # NAV not published on three days
    index.iloc[500] = np.nan               # an index holiday
    return pd.DataFrame({"nav": nav, "index": index, "price": price, "volume": volume})


def cells(sheet, host, *cols, header=False):
    out = [column(sheet[c], host, header=c if header else None) for c in cols]
    out.append(column(sheet.index, host, header="Date" if header else None))
    return out


# ----------------------------------------------------------------------------------------
# tracking figures
# ----------------------------------------------------------------------------------------

SCALARS = [
    (F.ETF_HOLDING_COST, (), "holding_cost"),
    (F.ETF_TRACKING_ERROR, (), "tracking_error"),
    (F.ETF_TRACKING_ERROR_TRADITIONAL, (), "tracking_error_traditional"),
    (F.ETF_TRACKING_DIFFERENCE, (), "tracking_difference"),
    (F.ETF_TRACKING_DIFFERENCE, (None, None, False), "tracking_difference_cumulative"),
    (F.ETF_BETA, (), "beta"),
    (F.ETF_BETA, (None, None, True), "beta_dimson"),
    (F.ETF_R_SQUARED, (), "r_squared"),
]


@pytest.fixture(scope="module")
def expected(sheet):
    return tracking_stats(sheet["nav"], sheet["index"])


@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.parametrize("fn, extra, key", SCALARS, ids=[f"{f.__name__}-{k}" for f, _, k in SCALARS])
def test_tracking_figures_match_the_analytics(sheet, expected, host, fn, extra, key):
    fund, index, dates = cells(sheet, host, "nav", "index")
    got = value(host, fn, fund, index, dates, *extra)
    assert isinstance(got, float)
    assert got == pytest.approx(getattr(expected, key), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("host", HOSTS)
def test_headers_rows_and_whole_columns_give_the_same_figure(sheet, expected, host):
    fund, index, dates = cells(sheet, host, "nav", "index", header=True)
    assert value(host, F.ETF_HOLDING_COST, fund, index, dates) == pytest.approx(expected.holding_cost)
    pad = [[None]] * (1_048_576 - len(fund))
    assert value(host, F.ETF_HOLDING_COST, fund + pad, index + pad, dates + pad) == pytest.approx(
        expected.holding_cost)
    rows = [[[c[0] for c in x]] for x in (fund, index, dates)]
    assert value(host, F.ETF_HOLDING_COST, *rows) == pytest.approx(expected.holding_cost)


def test_window_and_periods_per_year(sheet):
    fund, index, dates = cells(sheet, CLASSIC, "nav", "index")
    one_year = tracking_stats(sheet["nav"], sheet["index"], window=252)
    assert value(CLASSIC, F.ETF_TRACKING_DIFFERENCE, fund, index, dates, None, 252) == pytest.approx(
        one_year.tracking_difference)
    # Office.js passes an integer where classic passes a float
    assert value(OFFICE_JS, F.ETF_TRACKING_DIFFERENCE, fund, index, dates, None, [[252]]) == pytest.approx(
        one_year.tracking_difference)
    weekly = tracking_stats(sheet["nav"].to_numpy(), sheet["index"].to_numpy(), periods_per_year=52)
    assert value(CLASSIC, F.ETF_HOLDING_COST, fund, index, None, 52) == pytest.approx(weekly.holding_cost)


def test_without_dates_rows_are_periods(sheet):
    fund, index, _ = cells(sheet, CLASSIC, "nav", "index")
    plain = tracking_stats(sheet["nav"].to_numpy(), sheet["index"].to_numpy())
    assert value(CLASSIC, F.ETF_TRACKING_ERROR, fund, index) == pytest.approx(plain.tracking_error)


@pytest.mark.parametrize("host", HOSTS)
def test_rolling_td_spills_four_labelled_figures(sheet, expected, host):
    fund, index, dates = cells(sheet, host, "nav", "index")
    out = value(host, F.ETF_ROLLING_TD, fund, index, dates)
    assert [r[0] for r in out] == [FIGURES[k].label for k in
                                   ("rolling_td_median", "rolling_td_high", "rolling_td_low", "rolling_td_latest")]
    assert [r[1] for r in out] == pytest.approx([expected.rolling_td_median, expected.rolling_td_high,
                                                 expected.rolling_td_low, expected.rolling_td_latest])
    bare = value(host, F.ETF_ROLLING_TD, fund, index, dates, None, False)
    assert bare == [[r[1]] for r in out]


@pytest.mark.parametrize("host", HOSTS)
def test_rolling_td_under_a_year_is_not_available_with_the_reason(sheet, host):
    fund, index, dates = (c[:120] for c in cells(sheet, host, "nav", "index"))
    kind, msg = outcome(host, F.ETF_ROLLING_TD, fund, index, dates)
    assert kind == "na" and "less than one year" in msg


@pytest.mark.parametrize("host", HOSTS)
def test_analytics_for_one_fund(sheet, expected, host):
    fund, index, dates = cells(sheet, host, "nav", "index")
    out = value(host, F.ETF_ANALYTICS, fund, index, dates)
    assert [r[0] for r in out] == [FIGURES[k].label for k in TRACKING_FIGURES]
    for key, (_, v) in zip(TRACKING_FIGURES, out):
        assert v == pytest.approx(float(getattr(expected, key)), rel=1e-12, abs=1e-15), key
    assert isinstance(out[TRACKING_FIGURES.index("n_obs")][1], int)
    assert value(host, F.ETF_ANALYTICS, fund, index, dates, None, None, False) == [[r[1]] for r in out]


@pytest.mark.parametrize("host", HOSTS)
def test_analytics_for_a_panel_has_a_row_per_fund(host):
    nav = sample_panel("nav").iloc[:, :4]
    index = sample_panel("index").iloc[:, 0]
    grid = [list(nav.columns)] + nav.to_numpy().tolist()
    idx = column(index, host, header="Index")
    dates = column(nav.index, host, header="Date")
    out = value(host, F.ETF_ANALYTICS, grid, idx, dates)
    stats = tracking_stats(nav, index)
    assert out[0] == ["Fund"] + [FIGURES[k].label for k in TRACKING_FIGURES]
    assert [r[0] for r in out[1:]] == list(nav.columns)
    assert [r[1] for r in out[1:]] == pytest.approx(list(stats.holding_cost))
    assert all(r[-1] == stats.periods_per_year for r in out[1:])
    # no header row in the data: funds are numbered; labels=FALSE: values only
    plain = value(host, F.ETF_ANALYTICS, nav.to_numpy().tolist(), idx[1:], dates[1:])
    assert [r[0] for r in plain[1:]] == ["fund 1", "fund 2", "fund 3", "fund 4"]
    bare = value(host, F.ETF_ANALYTICS, grid, idx, dates, None, None, False)
    assert bare == [r[1:] for r in out[1:]]
    # one figure of several funds: a row, one value per fund
    row = value(host, F.ETF_HOLDING_COST, grid, idx, dates)
    assert row == [pytest.approx(list(stats.holding_cost))]


@pytest.mark.parametrize("host", HOSTS)
def test_a_short_fund_in_a_panel_shows_na_cells(host):
    nav = sample_panel("nav").iloc[:, :2].copy()
    nav.iloc[:-20, 1] = np.nan  # the second fund launched 20 days before the end
    index = sample_panel("index").iloc[:, 0]
    grid = [list(nav.columns)] + [[None if np.isnan(v) else v for v in row] for row in nav.to_numpy().tolist()]
    out = value(host, F.ETF_ANALYTICS, grid, column(index, host, "I"), column(nav.index, host, "Date"))
    short = out[2]
    assert short[0] == nav.columns[1]
    assert short[1] == excel.NA  # holding cost: not enough data, a #N/A cell
    assert not any(isinstance(v, float) and math.isnan(v) for r in out for v in r)


# ----------------------------------------------------------------------------------------
# bad inputs (every function has its error cell and its not-enough-data case below)
# ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("host", HOSTS)
def test_error_cell_in_a_level_series(sheet, host):
    fund, index, dates = cells(sheet, host, "nav", "index", header=True)
    fund[11] = ["#N/A"]
    kind, msg = outcome(host, F.ETF_HOLDING_COST, fund, index, dates)
    assert (kind, msg) == ("error", "fund: 1 error cell (#N/A), first at row 12")


@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.parametrize("bad, expected_msg", [
    ("abc", "index: 3 non-numeric cells ('abc'), first at row 5"),
    (True, "index: 3 boolean cells (TRUE), first at row 5"),
    (-1.0, "index: 3 zero or negative levels (-1); levels must be positive, first at row 5"),
])
def test_bad_cells_in_the_index(sheet, host, bad, expected_msg):
    fund, index, dates = cells(sheet, host, "nav", "index")
    for r in (4, 9, 700):
        index[r] = [bad]
    assert outcome(host, F.ETF_TRACKING_ERROR, fund, index, dates) == ("error", expected_msg)


@pytest.mark.parametrize("host", HOSTS)
def test_not_enough_data(sheet, host):
    fund, index, dates = (c[:20] for c in cells(sheet, host, "nav", "index"))
    kind, msg = outcome(host, F.ETF_HOLDING_COST, fund, index, dates)
    assert kind == "na" and msg == ("Estimated holding cost (EHC): 19 returns on common dates: the holding "
                                    "cost and the noise-robust tracking error need at least 30")
    fund, index, dates = (c[:10] for c in cells(sheet, host, "nav", "index"))
    kind, msg = outcome(host, F.ETF_BETA, fund, index, dates)
    assert kind == "na" and msg == "fund: 9 returns on dates both series have; at least 12 are needed"


@pytest.mark.parametrize("host", HOSTS)
def test_bad_dates(sheet, host):
    fund, index, dates = cells(sheet, host, "nav", "index")
    d = [r[:] for r in dates]
    d[6] = d[5]
    assert outcome(host, F.ETF_BETA, fund, index, d)[1].startswith("dates: duplicate date")
    d = [r[:] for r in dates]
    d[6] = ["soon"]
    assert outcome(host, F.ETF_BETA, fund, index, d) == (
        "error", "dates: not a date ('soon'); enter dates, or text as yyyy-mm-dd, first at row 7")


def test_bad_optional_arguments(sheet):
    fund, index, dates = cells(sheet, CLASSIC, "nav", "index")
    assert outcome(CLASSIC, F.ETF_HOLDING_COST, fund, index, dates, None, 10)[1].startswith("window:")
    assert outcome(CLASSIC, F.ETF_HOLDING_COST, fund, index, dates, "#N/A") == (
        "error", "periods_per_year: error cell (#N/A); fix the cell it refers to")
    assert outcome(CLASSIC, F.ETF_ANALYTICS, fund, index, dates, None, None, "maybe")[1] == (
        "labels: must be TRUE or FALSE, got 'maybe'")


def test_a_constant_index_has_no_r_squared(sheet):
    fund, _, dates = cells(sheet, CLASSIC, "nav", "index")
    flat = [[100.0]] * len(fund)
    kind, msg = outcome(CLASSIC, F.ETF_R_SQUARED, fund, flat, dates)
    assert kind == "na" and msg.startswith("R-squared:")
    assert "index does not move" in msg, msg
    # The figures the index does not determine are the regression's; the others stand.
    assert isinstance(F.ETF_HOLDING_COST(fund, flat, dates), float)


# ----------------------------------------------------------------------------------------
# market impact and spread
# ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("host", HOSTS)
def test_market_impact(sheet, host):
    price, nav, volume, dates = cells(sheet, host, "price", "nav", "volume")
    want = market_impact_stats(sheet["price"], sheet["nav"], sheet["volume"], sheet.index).impact
    assert value(host, F.ETF_MARKET_IMPACT, price, nav, volume, dates) == pytest.approx(want)
    big = market_impact_stats(sheet["price"], sheet["nav"], sheet["volume"], sheet.index, 1e7).impact
    assert value(host, F.ETF_MARKET_IMPACT, price, nav, volume, dates, 1e7) == pytest.approx(big)
    assert value(host, F.ETF_MARKET_IMPACT, price, nav, volume, dates, None) == pytest.approx(want)


@pytest.mark.parametrize("host", HOSTS)
def test_market_impact_bad_inputs(sheet, host):
    price, nav, volume, dates = cells(sheet, host, "price", "nav", "volume")
    v = [r[:] for r in volume]
    v[3] = [-5.0]
    assert outcome(host, F.ETF_MARKET_IMPACT, price, nav, v, dates)[1].startswith("volume: negative volume")
    zero = [[0.0]] * len(volume)
    kind, msg = outcome(host, F.ETF_MARKET_IMPACT, price, nav, zero, dates)
    assert kind == "na" and "no trades" in msg
    v = [r[:] for r in volume]
    v[3] = ["#DIV/0!"]
    assert outcome(host, F.ETF_MARKET_IMPACT, price, nav, v, dates) == (
        "error", "volume: 1 error cell (#DIV/0!), first at row 4")


@pytest.mark.parametrize("host", HOSTS)
def test_spread(host):
    cn = load_cn_etf()
    args = [column(cn[c], host) for c in ("open", "high", "low", "close")]
    want = bid_ask_spread_stats(cn["open"], cn["high"], cn["low"], cn["close"]).spread
    assert value(host, F.ETF_SPREAD, *args) == pytest.approx(want)
    assert value(host, F.ETF_SPREAD, *args, column(cn.index, host)) == pytest.approx(want)
    short = [a[:2] for a in args]
    assert outcome(host, F.ETF_SPREAD, *short)[0] == "na"
    bad = [r[:] for r in args[0]]
    bad[2] = ["#N/A"]
    assert outcome(host, F.ETF_SPREAD, bad, *args[1:]) == (
        "error", "open_price: 1 error cell (#N/A), first at row 3")
    high = [r[:] for r in args[1]]
    high[4] = [0.5]  # below the low
    assert outcome(host, F.ETF_SPREAD, args[0], high, *args[2:])[1].startswith("high: 1 rows with the high below")


# ----------------------------------------------------------------------------------------
# total cost
# ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("host", HOSTS)
def test_total_cost(host):
    want = total_cost(1_000_000, 3, 10, -0.0023, 0.0012, 0.002, 0.0004, "morningstar", 0.0001)
    row = [want.dollars, want.annual, want.lower, want.upper]
    args = [1_000_000, 3, 10, -0.0023, 0.0012, 0.002, 0.0004, "morningstar", 0.0001]
    assert value(host, F.ETF_TOTAL_COST, *args) == [pytest.approx(row)]
    with_header = value(host, F.ETF_TOTAL_COST, *[[[a]] for a in args], True)
    assert with_header[0] == [FIGURES[k].label for k in COST_FIGURES]
    assert with_header[1] == pytest.approx(row)
    plain = total_cost(100_000, 1, 5, -0.001)
    # empty optional cells arrive as None and mean their defaults
    assert value(host, F.ETF_TOTAL_COST, 100_000, 1, 5, -0.001, None, None, None, None, None, None) == [
        pytest.approx([plain.dollars, plain.annual, plain.lower, plain.upper])]


@pytest.mark.parametrize("host", HOSTS)
def test_total_cost_bad_inputs(host):
    assert outcome(host, F.ETF_TOTAL_COST, 1e6, 3, 10, "#N/A") == (
        "error", "holding_cost: error cell (#N/A); fix the cell it refers to")
    # the text a classic ETF_HOLDING_COST shows for missing data is an error too
    assert outcome(host, F.ETF_TOTAL_COST, 1e6, 3, 10, "#N/A fund: 12 returns")[0] == "error"
    assert outcome(host, F.ETF_TOTAL_COST, 1e6, 3, None, -0.001) == (
        "error", "commission: no value (the cell is empty)")
    assert outcome(host, F.ETF_TOTAL_COST, 1e6, 3, 10, -0.001, 0, 0, 0, "linear")[1].startswith("impact_model:")
    assert outcome(host, F.ETF_TOTAL_COST, -5, 3, 10, -0.001)[1].startswith("trade_size:")


# ----------------------------------------------------------------------------------------
# period return and performance gap
# ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def spy():
    return load_spy_sp500()


@pytest.mark.parametrize("host", HOSTS)
def test_period_return(spy, host):
    levels, dates = column(spy["spy_close"], host), column(spy.index, host)
    start, end = pd.Timestamp("2012-01-01"), pd.Timestamp("2016-12-31")
    want = period_return(spy["spy_close"], None, start, end)
    got = value(host, F.ETF_RETURN, levels, dates, date_cell(start, host), date_cell(end, host))
    assert got == pytest.approx(want.value)
    ann = period_return(spy["spy_close"], None, start, end, None, "ex_date", "start_close", True)
    got = value(host, F.ETF_RETURN, levels, dates, date_cell(start, host), date_cell(end, host),
                None, True, "start_close", "ex_date")
    assert got == pytest.approx(ann.value)


@pytest.mark.parametrize("host", HOSTS)
def test_period_return_with_distributions(spy, host):
    dist = pd.Series(np.nan, index=spy.index)
    dist.iloc[[60, 120, 180]] = 0.8
    want = period_return(spy["spy_close"], spy.index, "2008-01-01", "2008-12-31", dist.fillna(0).to_numpy())
    got = value(host, F.ETF_RETURN, column(spy["spy_close"], host), column(spy.index, host),
                date_cell("2008-01-01", host), date_cell("2008-12-31", host), column(dist, host))
    assert got == pytest.approx(want.value)


@pytest.mark.parametrize("host", HOSTS)
def test_period_return_bad_inputs(spy, host):
    levels, dates = column(spy["spy_close"], host), column(spy.index, host)
    kind, msg = outcome(host, F.ETF_RETURN, levels, dates, date_cell("2016-01-01", host),
                        date_cell("2030-01-01", host))
    assert kind == "na" and msg.startswith("end_date: 2030-01-01 is after the last date")
    assert outcome(host, F.ETF_RETURN, levels, None, date_cell("2016-01-01", host),
                   date_cell("2016-06-30", host))[1].startswith("dates: required")
    kind, msg = outcome(host, F.ETF_RETURN, levels, dates, date_cell("2016-01-01", host),
                        date_cell("2016-06-30", host), None, True)
    assert msg.startswith("annualized:")
    assert outcome(host, F.ETF_RETURN, levels, dates, "#N/A", date_cell("2016-06-30", host)) == (
        "error", "start_date: error cell (#N/A)")


@pytest.mark.parametrize("host", HOSTS)
def test_performance_gap(host):
    nav = sample_panel("nav")
    a, b = nav.iloc[:, 0], nav.iloc[:, 1]
    want = performance_gap(a, b, nav.index, "2023-01-01", "2023-12-31")
    args = (column(a, host), column(b, host), column(nav.index, host),
            date_cell("2023-01-01", host), date_cell("2023-12-31", host))
    assert value(host, F.ETF_PERFORMANCE_GAP, *args) == pytest.approx(want.gap)
    assert value(host, F.ETF_PERFORMANCE_GAP, *args, None, None, None, None, None, True) == pytest.approx(
        want.relative_gap)
    kind, msg = outcome(host, F.ETF_PERFORMANCE_GAP, [[None]] * len(nav), *args[1:])
    assert kind == "na" and msg.startswith("fund_a") and "no levels at all" in msg
    b = [r[:] for r in args[1]]
    b[3] = [True]
    assert outcome(host, F.ETF_PERFORMANCE_GAP, args[0], b, *args[2:]) == (
        "error", "fund_b: 1 boolean cell (TRUE), first at row 4")


# ----------------------------------------------------------------------------------------
# version
# ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("host", HOSTS)
def test_version(host):
    out = value(host, F.ETF_VERSION)
    assert out[0] == ["xlwings-etf-analytics", __version__]
    table = dict(out)
    assert table["numpy"] == np.__version__ and table["pandas"] == pd.__version__
    assert table["xlwings"] == xw.__version__
    assert ("Office.js" in table["host"]) == (host == OFFICE_JS)


# ----------------------------------------------------------------------------------------
# the contract with the workbook and with Excel
# ----------------------------------------------------------------------------------------

SIGNATURES = {
    "ETF_HOLDING_COST": "fund, index, dates=None, periods_per_year=None, window=None",
    "ETF_TRACKING_ERROR": "fund, index, dates=None, periods_per_year=None, window=None",
    "ETF_TRACKING_ERROR_TRADITIONAL": "fund, index, dates=None, periods_per_year=None, window=None",
    "ETF_TRACKING_DIFFERENCE": "fund, index, dates=None, periods_per_year=None, window=None, annualized=True",
    "ETF_ROLLING_TD": "fund, index, dates=None, periods_per_year=None, labels=True",
    "ETF_BETA": "fund, index, dates=None, periods_per_year=None, window=None, lead_lag=False",
    "ETF_R_SQUARED": "fund, index, dates=None, periods_per_year=None, window=None",
    "ETF_MARKET_IMPACT": "price, nav, volume, dates=None, trade_size=100000",
    "ETF_TOTAL_COST": ("trade_size, years, commission, holding_cost, market_impact=0, tracking_error=0, "
                       "holding_cost_se=0, impact_model='square_root', half_spread=0, header=False"),
    "ETF_ANALYTICS": "fund, index, dates=None, periods_per_year=None, window=None, labels=True, figures=None",
    "ETF_HOLDING_COST_HISTORY": "fund, index, dates=None, window=None, periods_per_year=None, header=True",
    "ETF_BREAKEVEN": ("trade_size, commission, holding_cost_a, market_impact_a, holding_cost_b, "
                      "market_impact_b, impact_model='square_root', half_spread_a=0, half_spread_b=0"),
    "ETF_PROB_CHEAPER": ("trade_size, years, commission, holding_cost_a, holding_cost_se_a, tracking_error_a, "
                         "market_impact_a, holding_cost_b, holding_cost_se_b, tracking_error_b, "
                         "market_impact_b, correlation=0, impact_model='square_root', half_spread_a=0, "
                         "half_spread_b=0"),
    "ETF_RETURN": ("levels, dates, start_date, end_date, distributions=None, annualized=False, "
                   "start_convention='previous_close', reinvest='ex_date'"),
    "ETF_PERFORMANCE_GAP": ("fund_a, fund_b, dates, start_date, end_date, distributions_a=None, "
                            "distributions_b=None, annualized=False, start_convention='previous_close', "
                            "reinvest='ex_date', relative=False"),
    "ETF_SPREAD": "open_price, high, low, close_price, dates=None",
    "ETF_VERSION": "",
}


def test_every_function_is_exported_with_its_signature():
    assert sorted(F.__all__) == sorted(SIGNATURES)
    for name, sig in SIGNATURES.items():
        assert str(inspect.signature(getattr(F, name))) == f"({sig})", name


# Words VBA will not take as a parameter name: classic xlwings writes the Python names
# into a VBA wrapper, and one bad name breaks every function of the module.
VBA_KEYWORDS = {
    "and", "as", "boolean", "byref", "byte", "byval", "call", "case", "close", "const",
    "currency", "date", "debug", "declare", "dim", "do", "double", "each", "else", "elseif",
    "empty", "end", "enum", "eqv", "erase", "error", "event", "exit", "false", "for", "friend",
    "function", "get", "global", "gosub", "goto", "if", "imp", "implements", "in", "input",
    "integer", "is", "let", "lib", "like", "line", "lock", "long", "loop", "lset", "me", "mod",
    "new", "next", "not", "nothing", "null", "object", "on", "open", "option", "optional",
    "or", "paramarray", "preserve", "print", "private", "property", "public", "put", "raiseevent",
    "redim", "rem", "resume", "return", "rset", "seek", "select", "set", "single", "static",
    "step", "stop", "string", "sub", "then", "to", "true", "type", "typeof", "unlock", "until",
    "variant", "wend", "while", "with", "withevents", "write", "xor", "name", "len", "mid",
}


def test_argument_names_are_valid_vba():
    for name in SIGNATURES:
        for p in inspect.signature(getattr(F, name)).parameters:
            assert p.lower() not in VBA_KEYWORDS, (name, p)
            assert len(p) <= 255 and p[0].isalpha()


def test_docstrings_fit_the_function_wizard():
    for name in SIGNATURES:
        doc = getattr(F, name).__doc__
        assert doc and "\n" not in doc.strip() and len(doc) <= 255, name


# ----------------------------------------------------------------------------------------
# whatever the cells, no NaN and no traceback reaches a cell
# ----------------------------------------------------------------------------------------

_cells = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.floats(min_value=50, max_value=150),
    st.none(), st.just(""), st.booleans(), st.sampled_from(["#N/A", "#DIV/0!", "abc", "2024-01-02"]),
    st.integers(min_value=-5, max_value=50000),
    st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2030, 1, 1)),
)


def _clean(out):
    if isinstance(out, float):
        return math.isfinite(out)
    if isinstance(out, list):
        return all(_clean(v) for r in out for v in r)
    return out is None or isinstance(out, (str, int))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(min_value=0, max_value=60), data=st.data(),
       fn=st.sampled_from([F.ETF_HOLDING_COST, F.ETF_ANALYTICS, F.ETF_ROLLING_TD, F.ETF_BETA]),
       host=st.sampled_from(HOSTS))
def test_random_cells_never_give_nan_or_a_traceback(n, data, fn, host):
    grid = lambda: [[data.draw(_cells)] for _ in range(n)]  # noqa: E731
    base = 100 * np.exp(np.cumsum(np.full(n, 0.001)))
    fund = [[v] for v in base] if data.draw(st.booleans()) else grid()
    index = [[v] for v in base * 1.01] if data.draw(st.booleans()) else grid()
    dates = data.draw(st.sampled_from([None, "bdays", "grid"]))
    if dates == "bdays":
        dates = [[d.to_pydatetime()] for d in pd.bdate_range("2020-01-01", periods=n)]
    elif dates == "grid":
        dates = grid()
    with use_host(host):
        try:
            out = fn(fund, index, dates)
        except xw.XlwingsError as err:
            assert host == OFFICE_JS and "\n" not in str(err) and "Traceback" not in str(err)
            assert "internal error" not in str(err), str(err)
            return
    assert _clean(out), out
    if isinstance(out, str) and out.startswith("#"):
        assert "internal error" not in out, out


# ----------------------------------------------------------------------------------------
# two funds for a horizon
# ----------------------------------------------------------------------------------------

# A: cheap to hold, dear to trade; B the reverse ($5 million, $10 a trade).
_A = dict(holding_cost_a=-0.0009, market_impact_a=0.0001)
_B = dict(holding_cost_b=-0.0025, market_impact_b=0.00002)


@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.parametrize("model", ["square_root", "morningstar"])
def test_breakeven_is_the_python_figure(host, model):
    from xlwings_udfs.analytics import breakeven

    want = breakeven(5e6, 10, **_A, **_B, impact_model=model)
    args = [5e6, 10, _A["holding_cost_a"], _A["market_impact_a"], _B["holding_cost_b"], _B["market_impact_b"], model]
    assert value(host, F.ETF_BREAKEVEN, *[[[a]] for a in args]) == pytest.approx(want.breakeven_years, rel=1e-12)


@pytest.mark.parametrize("host", HOSTS)
def test_no_breakeven_says_which_fund_costs_less(host):
    args = [5e6, 10, -0.0009, 0.00001, -0.0025, 0.00002]
    kind, msg = outcome(host, F.ETF_BREAKEVEN, *args)
    assert (kind, msg) == ("na", "Break-even holding period (years): A costs less at every horizon")


@pytest.mark.parametrize("host", HOSTS)
def test_probability_that_a_is_cheaper_is_the_python_figure(host):
    from xlwings_udfs.analytics import breakeven, prob_cheaper

    a = dict(holding_cost_a=-0.0009, holding_cost_se_a=0.0003, tracking_error_a=0.001, market_impact_a=0.0001)
    b = dict(holding_cost_b=-0.0025, holding_cost_se_b=0.0004, tracking_error_b=0.002, market_impact_b=0.00002)
    for years in (1, 2, 5):
        want = prob_cheaper(5e6, years, 10, **a, **b, correlation=0.3).prob_cheaper
        got = value(host, F.ETF_PROB_CHEAPER, 5e6, years, 10, *a.values(), *b.values(), 0.3)
        assert got == pytest.approx(want, rel=1e-12)
    # even odds at the break-even
    h = breakeven(5e6, 10, a["holding_cost_a"], a["market_impact_a"], b["holding_cost_b"],
                  b["market_impact_b"]).breakeven_years
    assert value(host, F.ETF_PROB_CHEAPER, 5e6, h, 10, *a.values(), *b.values()) == pytest.approx(0.5, abs=1e-9)


@pytest.mark.parametrize("host", HOSTS)
def test_two_fund_inputs_are_checked_by_name(host):
    assert outcome(host, F.ETF_BREAKEVEN, 5e6, 10, -0.0009, "lots", -0.0025, 0.00002) == (
        "error", "market_impact_a: must be a number, got 'lots'")
    kind, msg = outcome(host, F.ETF_PROB_CHEAPER, 5e6, 2, 10, -0.0009, 0.0003, 0.001, 0.0001,
                        -0.0025, 0.0004, 0.002, 0.00002, 1.5)
    assert kind == "error" and msg.startswith("correlation: ")
