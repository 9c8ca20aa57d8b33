"""Relations every result must satisfy, checked on random valid data through the Excel functions.

* Tracking errors, market impact and the spread are magnitudes: never negative; an interval
  contains its estimate.
* Swapping fund and index flips the sign of the holding cost and of the tracking difference
  (geometrically: (1 + td)(1 + td') = 1) and leaves the tracking errors alone.
* Levels are compared through their returns, so scaling a level series by a constant changes
  nothing (for market impact: prices and NAV scaled, share volume scaled inversely, so that
  the dollar volume is the same).
* Blank rows above the data (a selection that starts higher up) change nothing.
* A fund identical to its index has zero holding cost, tracking error and tracking difference.
"""
from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from strategies import (
    FAST,
    OFFICE_JS,
    business_days,
    column,
    date_cells,
    market_cases,
    ohlc_cases,
    outcome,
    tracking_cases,
)
from xlwings_udfs import excel
from xlwings_udfs import functions as F
from xlwings_udfs.analytics import FIGURES, MIN_RETURNS, TRACKING_FIGURES, tracking_stats

# Figures are fractions shown to 0.01%; 1e-9 is far below anything a user could see.
ATOL = 1e-9
RTOL = 1e-6
LABELS = {FIGURES[key].label: key for key in TRACKING_FIGURES}
ENOUGH = MIN_RETURNS + 2


def value(fn, *args, host="classic"):
    out = outcome(fn, args, host)
    assert out.ok, f"{fn.__name__}: {out.error}"
    return out.value


def figures(*args, host="classic", **kw) -> dict:
    """ETF_ANALYTICS of one fund as {figure key: value}."""
    table = value(F.ETF_ANALYTICS, *args, host=host)
    return {LABELS[label]: v for label, v in table}


def assert_close(a, b, what="", rtol=RTOL, atol=ATOL):
    if isinstance(a, str) or isinstance(b, str):
        assert a == b, (what, a, b)
        return
    assert math.isclose(a, b, rel_tol=rtol, abs_tol=atol), (what, a, b)


def assert_same_figures(a: dict, b: dict, skip=(), **tol):
    assert a.keys() == b.keys()
    for k in a:
        if k not in skip:
            assert_close(a[k], b[k], k, **tol)


def scaled(cells: list, c: float) -> list:
    return [None if x is None else x * c for x in cells]


# ----------------------------------------------------------------------------------------
# magnitudes
# ----------------------------------------------------------------------------------------

@FAST
@given(case=tracking_cases(min_rows=ENOUGH, max_rows=400), window=st.one_of(st.none(), st.integers(30, 300)))
def test_tracking_errors_are_never_negative(case, window):
    args = (column(case.fund), column(case.index), column(case.date_cells()), None, window)
    f = figures(*args, host=case.host)
    for key in ("tracking_error", "tracking_error_lower", "tracking_error_upper",
                "tracking_error_traditional"):
        assert f[key] >= 0, (key, f[key])
    assert f["tracking_error_lower"] <= f["tracking_error"] * (1 + 1e-9) + 1e-15
    assert f["tracking_error"] <= f["tracking_error_upper"] * (1 + 1e-9) + 1e-15
    assert f["holding_cost_lower"] <= f["holding_cost"] <= f["holding_cost_upper"]
    assert 0 <= f["noise_share"] <= 1
    assert 0 <= f["r_squared"] <= 1 + 1e-12
    for fn in (F.ETF_TRACKING_ERROR, F.ETF_TRACKING_ERROR_TRADITIONAL):
        assert value(fn, *args, host=case.host) >= 0


@FAST
@given(case=tracking_cases(min_rows=ENOUGH, max_rows=200), k=st.integers(2, 5))
def test_panel_tracking_errors_are_never_negative(case, k):
    rng = np.random.default_rng(case.seed)
    panel = [[x * math.exp(rng.normal(0, 0.002 * j)) for j in range(k)] for x in case.fund]
    row_ = value(F.ETF_TRACKING_ERROR, panel, column(case.index), column(case.date_cells()), host=case.host)
    assert len(row_) == 1 and len(row_[0]) == k
    assert all(isinstance(v, float) and v >= 0 for v in row_[0]), row_


@FAST
@given(case=market_cases(min_rows=25, max_rows=300), size=st.sampled_from([1_000, 100_000, 1e7]))
def test_market_impact_is_never_negative(case, size):
    out = outcome(F.ETF_MARKET_IMPACT, (column(case.price), column(case.nav), column(case.volume),
                                        column(case.date_cells()), size), case.host)
    if out.ok:
        assert out.value >= 0
    else:
        assert out.code == "#N/A", out.error


@FAST
@given(case=ohlc_cases(min_rows=5, max_rows=300))
def test_spread_is_never_negative(case):
    out = outcome(F.ETF_SPREAD, tuple(column(c) for c in (case.open, case.high, case.low, case.close)),
                  case.host)
    if out.ok:
        assert out.value >= 0
    else:
        assert out.code == "#N/A", out.error


# ----------------------------------------------------------------------------------------
# swapping fund and index
# ----------------------------------------------------------------------------------------

@FAST
@given(case=tracking_cases(min_rows=ENOUGH, max_rows=400), with_dates=st.booleans())
def test_swapping_fund_and_index_flips_the_signs(case, with_dates):
    d = column(case.date_cells()) if with_dates else None
    a = figures(column(case.fund), column(case.index), d, host=case.host)
    b = figures(column(case.index), column(case.fund), d, host=case.host)
    assert_close(b["holding_cost"], -a["holding_cost"], "holding_cost")
    assert_close(b["holding_cost_se"], a["holding_cost_se"], "holding_cost_se")
    for key in ("tracking_difference", "tracking_difference_cumulative"):
        assert_close((1 + a[key]) * (1 + b[key]), 1.0, key)
        assert a[key] == 0 or np.sign(a[key]) == -np.sign(b[key]), (key, a[key], b[key])
    for key in ("tracking_error", "tracking_error_traditional"):
        assert_close(b[key], a[key], key)
    # the single-figure functions too
    fi, if_ = (column(case.fund), column(case.index), d), (column(case.index), column(case.fund), d)
    assert_close(value(F.ETF_HOLDING_COST, *if_, host=case.host),
                 -value(F.ETF_HOLDING_COST, *fi, host=case.host), "ETF_HOLDING_COST")
    td_fi = value(F.ETF_TRACKING_DIFFERENCE, *fi, host=case.host)
    td_if = value(F.ETF_TRACKING_DIFFERENCE, *if_, host=case.host)
    assert_close((1 + td_fi) * (1 + td_if), 1.0, "ETF_TRACKING_DIFFERENCE")


# ----------------------------------------------------------------------------------------
# scaling a level series
# ----------------------------------------------------------------------------------------

# scaled levels stay normal floats: at most 1e150 times at most 1e100
_MAGNITUDES = (1.0, 100.0, 1e-6, 1e6, 1e-150, 1e150)
_SCALES = st.one_of(st.floats(1e-4, 1e4), st.sampled_from([1e-100, 1e100, 0.01, 100.0, 2.0 ** -40]))


@FAST
@given(case=tracking_cases(min_rows=ENOUGH, max_rows=400, magnitudes=_MAGNITUDES), c=_SCALES,
       which=st.sampled_from(["fund", "index", "both"]))
def test_scaling_levels_changes_nothing(case, c, which):
    d = column(case.date_cells())
    base = figures(column(case.fund), column(case.index), d, host=case.host)
    fund = scaled(case.fund, c) if which in ("fund", "both") else case.fund
    index = scaled(case.index, c) if which in ("index", "both") else case.index
    assert_same_figures(base, figures(column(fund), column(index), d, host=case.host))


@FAST
@given(case=market_cases(min_rows=40, max_rows=300), c=st.one_of(st.floats(1e-3, 1e3), st.sampled_from([0.01, 50.0])))
def test_scaling_prices_changes_no_market_impact(case, c):
    """Prices and NAV in cents instead of dollars (and volume in the same dollars)."""
    d = column(case.date_cells())
    a = outcome(F.ETF_MARKET_IMPACT, (column(case.price), column(case.nav), column(case.volume), d), case.host)
    b = outcome(F.ETF_MARKET_IMPACT, (column(scaled(case.price, c)), column(scaled(case.nav, c)),
                                      column(scaled(case.volume, 1 / c)), d, 100_000), case.host)
    assert a.ok == b.ok, (a, b)
    if a.ok:
        assert_close(a.value, b.value, "market impact")


@FAST
@given(case=tracking_cases(min_rows=10, max_rows=300, magnitudes=_MAGNITUDES), c=_SCALES, data=st.data())
def test_scaling_levels_changes_no_period_return(case, c, data):
    i = data.draw(st.integers(1, case.n - 2))
    j = data.draw(st.integers(i + 1, case.n - 1))
    cells = date_cells(case.dates, case.host)
    d = column(cells)
    start, end = cells[i], cells[j]
    r0 = value(F.ETF_RETURN, column(case.fund), d, start, end, host=case.host)
    r1 = value(F.ETF_RETURN, column(scaled(case.fund, c)), d, start, end, host=case.host)
    assert_close(r0, r1, "return")
    g0 = value(F.ETF_PERFORMANCE_GAP, column(case.fund), column(case.index), d, start, end, host=case.host)
    g1 = value(F.ETF_PERFORMANCE_GAP, column(scaled(case.fund, c)), column(scaled(case.index, 1 / c)), d,
               start, end, host=case.host)
    assert_close(g0, g1, "gap")


# ----------------------------------------------------------------------------------------
# blank rows above the data
# ----------------------------------------------------------------------------------------

def _blank(host):
    return "" if host == OFFICE_JS else None


@FAST
@given(case=tracking_cases(min_rows=ENOUGH, max_rows=400), k=st.integers(1, 30),
       with_dates=st.booleans(), window=st.one_of(st.none(), st.just(60)))
def test_leading_blank_rows_change_nothing(case, k, with_dates, window):
    b = _blank(case.host)
    pad = [[b]] * k
    d = column(case.date_cells()) if with_dates else None
    base = figures(column(case.fund), column(case.index), d, None, window, host=case.host)
    excel.cache.clear()  # compare computations, not a cache hit
    padded = figures(pad + column(case.fund), pad + column(case.index), (pad + d) if d else None,
                     None, window, host=case.host)
    assert_same_figures(base, padded, rtol=1e-12, atol=0)


@FAST
@given(case=tracking_cases(min_rows=ENOUGH, max_rows=300), k=st.integers(1, 30))
def test_earlier_dates_without_levels_change_nothing(case, k):
    """Dates filled in above the data while fund and index are still blank there."""
    earlier = business_days(case.dates[0] - dt.timedelta(days=2 * k + 10), k + 40)
    earlier = [x for x in earlier if x < case.dates[0]][-k:]
    b = _blank(case.host)
    base = figures(column(case.fund), column(case.index), column(case.date_cells()), host=case.host)
    padded = figures([[b]] * len(earlier) + column(case.fund), [[b]] * len(earlier) + column(case.index),
                     column(date_cells(earlier, case.host) + case.date_cells()), host=case.host)
    assert_same_figures(base, padded, rtol=1e-12, atol=0)


@FAST
@given(case=market_cases(min_rows=40, max_rows=300), k=st.integers(1, 30))
def test_leading_blank_rows_change_no_market_impact(case, k):
    pad = [[_blank(case.host)]] * k
    cols = [column(case.price), column(case.nav), column(case.volume), column(case.date_cells())]
    a = outcome(F.ETF_MARKET_IMPACT, tuple(cols), case.host)
    excel.cache.clear()
    b = outcome(F.ETF_MARKET_IMPACT, tuple(pad + c for c in cols), case.host)
    assert (a.ok, a.value, a.error and a.code) == (b.ok, b.value, b.error and b.code), (a, b)


@FAST
@given(case=ohlc_cases(min_rows=10, max_rows=200), k=st.integers(1, 30))
def test_leading_blank_rows_change_no_spread(case, k):
    pad = [[_blank(case.host)]] * k
    cols = [column(c) for c in (case.open, case.high, case.low, case.close)]
    a = outcome(F.ETF_SPREAD, tuple(cols), case.host)
    excel.cache.clear()
    b = outcome(F.ETF_SPREAD, tuple(pad + c for c in cols), case.host)
    assert (a.ok, a.value) == (b.ok, b.value), (a, b)


# ----------------------------------------------------------------------------------------
# a fund identical to its index
# ----------------------------------------------------------------------------------------

_ZERO = ("holding_cost", "tracking_error", "tracking_error_traditional", "tracking_difference",
         "tracking_difference_cumulative", "rolling_td_median", "rolling_td_high", "rolling_td_low",
         "rolling_td_latest", "alpha")


@FAST
@given(case=tracking_cases(min_rows=ENOUGH, max_rows=400, magnitudes=_MAGNITUDES),
       c=st.sampled_from([1.0, 1.0, 3.0, 1e-50, 1e50]),
       with_dates=st.booleans())
def test_fund_identical_to_index_costs_nothing(case, c, with_dates):
    """The same series (or the same series in other units) as fund and index."""
    d = column(case.date_cells()) if with_dates else None
    f = figures(column(scaled(case.index, c)), column(case.index), d, host=case.host)
    for key in _ZERO:
        if f[key] != "#N/A":
            assert abs(f[key]) <= ATOL, (key, f[key])
    assert_close(f["beta"], 1.0, "beta")
    assert_close(f["r_squared"], 1.0, "r_squared")
    for fn in (F.ETF_HOLDING_COST, F.ETF_TRACKING_ERROR, F.ETF_TRACKING_ERROR_TRADITIONAL,
               F.ETF_TRACKING_DIFFERENCE):
        assert abs(value(fn, column(scaled(case.index, c)), column(case.index), d, host=case.host)) <= ATOL


@pytest.mark.parametrize("c", [1.0, 3.0])
def test_fund_identical_to_index_has_a_zero_width_interval(c):
    """No deviation at all is evidence of zero tracking error: the 95% bounds are zero too.

    (The same series in other units differs from the index by rounding only.)"""
    rng = np.random.default_rng(3)
    index = list(100 * np.exp(np.cumsum(rng.normal(0.0003, 0.01, 300))))
    f = figures(column(scaled(index, c)), column(index))
    for key in ("holding_cost_lower", "holding_cost_upper", "tracking_error_lower", "tracking_error_upper"):
        assert abs(f[key]) <= ATOL, (key, f[key])


@FAST
@given(case=tracking_cases(min_rows=ENOUGH, max_rows=200))
def test_identical_column_of_a_panel_costs_nothing(case):
    """Panel path: the index itself as one of the fund columns."""
    panel = [[f, i] for f, i in zip(case.fund, case.index)]
    row_ = value(F.ETF_HOLDING_COST, panel, column(case.index), column(case.date_cells()), host=case.host)
    assert abs(row_[0][1]) <= ATOL, row_
    te = value(F.ETF_TRACKING_ERROR, panel, column(case.index), column(case.date_cells()), host=case.host)
    assert abs(te[0][1]) <= ATOL, te
    stats = tracking_stats(np.column_stack([case.fund, case.index]), case.index, case.dates)
    assert abs(stats.holding_cost[1]) <= ATOL and abs(stats.tracking_error[1]) <= ATOL
