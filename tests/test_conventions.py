"""Conventions that make figures mean what they say, on SPY's real data (2008-2017).

The series here are SPY's close and the S&P 500 price index as shipped, and the month-end and
week-end series built from them the way an export gives them: the last trading day of each
month (or week), which is often not the calendar's last day.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xlwings_udfs.analytics import tracking_stats
from xlwings_udfs.analytics.rolling import window_starts
from xlwings_udfs.data import load_spy_sp500


@pytest.fixture(scope="module")
def spy():
    return load_spy_sp500()


def _last_of(spy, period: str) -> pd.DataFrame:
    return spy.groupby(spy.index.to_period(period)).tail(1)


@pytest.mark.parametrize("period, per_year, windows", [("M", 12, 109), ("W", 52, 470)])
def test_a_one_year_window_holds_a_year_of_returns(spy, period, per_year, windows):
    data = _last_of(spy, period)
    dates = data.index.as_unit("ns")
    valid = np.ones((dates.size, 1), dtype=bool)
    starts = window_starts(dates, valid, None, np.array([dates.size]), per_year)[:, 0]
    lengths = (np.arange(dates.size) - starts)[starts >= 0]
    # Month ends on the last trading day (29 January 2016 against 30 January 2015) used to
    # make 35 of 109 monthly windows 13 months long.
    assert set(lengths) == {per_year} and lengths.size == windows


def test_spys_latest_one_year_tracking_difference_on_monthly_data(spy):
    monthly = _last_of(spy, "M")
    s = tracking_stats(monthly["spy_close"], monthly["sp500_close"])
    # 2016-12-30 to 2017-12-29: SPY's close +19.38%, the price index +19.42%
    one_year = monthly.loc["2016-12-30":"2017-12-29"]
    expected = (one_year["spy_close"].iloc[-1] / one_year["spy_close"].iloc[0]) / (
        one_year["sp500_close"].iloc[-1] / one_year["sp500_close"].iloc[0]) - 1
    assert s.rolling_td_latest == pytest.approx(expected, rel=1e-12)
    assert s.rolling_td_latest == pytest.approx(-0.000298, abs=1e-6)  # was -0.413% over 13 months
    assert s.periods_per_year == 12 and s.rolling_td_windows == 109


def test_daily_windows_start_on_or_before_the_same_day_a_year_earlier(spy):
    dates = spy.index.as_unit("ns")
    valid = np.ones((dates.size, 1), dtype=bool)
    starts = window_starts(dates, valid, None, np.array([dates.size]), 252)[:, 0]
    for i in np.flatnonzero(starts >= 0)[::97]:
        year_back = dates[i] - pd.DateOffset(years=1)
        assert dates[starts[i]] <= year_back < dates[starts[i] + 1]


def test_the_basis_note_fires_for_a_total_return_series_against_a_price_index(spy):
    s = tracking_stats(spy["spy_adj_close"], spy["sp500_close"])
    assert any("total-return series" in n.text for n in s.notes)
    s = tracking_stats(spy["spy_close"], spy["sp500_close"])
    assert not any("total-return series" in n.text for n in s.notes)


def test_the_basis_note_does_not_fire_for_a_fund_that_merely_outperforms(spy):
    """A hedge-fund-like series (beta 0.5, its own volatility, 15% a year of alpha) beats the
    index by far more than its standard error, but does not track it: nothing suggests a
    price/total-return mismatch (the note used to fire on such series)."""
    rng = np.random.default_rng(7)
    index = spy["sp500_close"]
    r = np.diff(np.log(index.to_numpy()))
    own = 0.5 * r + rng.normal(0.15 / 252, 0.003, r.size)
    fund = pd.Series(100 * np.exp(np.concatenate([[0.0], np.cumsum(own)])), index=index.index)
    s = tracking_stats(fund, index)
    assert s.holding_cost_lower > 0.005  # a significant gain: the old rule's only condition
    assert abs(s.beta - 0.5) < 0.05
    assert not any("total-return series" in n.text for n in s.notes)


def test_blank_closes_leave_the_annual_figures_as_they_were(spy):
    """A tenth of SPY's closes blank (at random; the index complete): every annual figure is
    per period of the index's calendar, so the figures are those of the full series within
    their sampling error. Counting returns instead raised the annualized tracking difference
    and the holding cost by 10.8%."""
    full = tracking_stats(spy["spy_close"], spy["sp500_close"])
    fund = spy["spy_close"].copy()
    blank = np.random.default_rng(96).random(len(fund)) < 0.096
    blank[[0, -1]] = False
    fund[blank] = np.nan
    s = tracking_stats(fund, spy["sp500_close"])
    assert s.n_skipped == blank.sum() and s.n_obs == full.n_obs - blank.sum()
    assert s.tracking_difference == pytest.approx(full.tracking_difference, rel=1e-9)
    # Measured: the holding cost moves by 0.01-0.04 of its standard error over five draws of
    # the blank dates; its standard error by 3-9%.
    assert abs(s.holding_cost - full.holding_cost) < 0.25 * full.holding_cost_se, (s.holding_cost, full.holding_cost)
    assert s.holding_cost_se == pytest.approx(full.holding_cost_se, rel=0.15)
    assert full.tracking_error_lower <= s.tracking_error <= full.tracking_error_upper
    assert s.tracking_error == pytest.approx(full.tracking_error, rel=0.15)
