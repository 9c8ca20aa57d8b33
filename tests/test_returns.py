"""Returns over a period, the gap between two funds, and the conventions vendors differ on."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xlwings_udfs.analytics.errors import InputError, NotEnoughData
from xlwings_udfs.analytics.returns import (
    PerformanceGap,
    PeriodReturn,
    performance_gap,
    period_return,
)
from xlwings_udfs.analytics.dates import year_fraction

# weekdays from 31 December to 30 April, without New Year's Day
DATES = pd.bdate_range("2025-12-31", "2026-04-30").drop(pd.Timestamp("2026-01-01"))


def _path(points: dict[str, float]) -> np.ndarray:
    """Levels on DATES through the given (date, level) points, log-linear in between."""
    x = np.array([DATES.get_loc(pd.Timestamp(d)) for d in points])
    return np.exp(np.interp(np.arange(DATES.size), x, np.log(list(points.values()))))


# A new ETF seeded at 25.00 on 31 December; its first trading day, 2 January, closes 0.6%
# higher; it ends April at 26.00. Its parent mutual fund gains 0.5% over the same four months.
ETF = _path({"2025-12-31": 25.00, "2026-01-02": 25.15, "2026-02-27": 25.60, "2026-04-30": 26.00})
FUND = _path({"2025-12-31": 10.00, "2026-02-27": 9.80, "2026-04-30": 10.05})


def test_four_month_gap_and_the_vendors_disagreement():
    # "The new ETF beat its parent fund by 3.5 points in four months."
    gap = performance_gap(ETF, FUND, DATES, "2026-01-01", "2026-04-30")
    assert isinstance(gap, PerformanceGap)
    assert gap.return_a == pytest.approx(0.04)
    assert gap.return_b == pytest.approx(0.005)
    assert gap.gap == pytest.approx(0.035)
    assert gap.relative_gap == pytest.approx(1.04 / 1.005 - 1)
    assert gap.start_date == pd.Timestamp("2025-12-31")
    # Two vendors report the ETF's own return 0.6 points apart: one starts from the close
    # before the period (the seed), the other from the first close inside it.
    a = period_return(ETF, DATES, "2026-01-02", "2026-04-30", start_convention="previous_close")
    b = period_return(ETF, DATES, "2026-01-02", "2026-04-30", start_convention="start_close")
    assert a.cumulative - b.cumulative == pytest.approx(0.006, abs=0.0005)
    # exactly: the difference is the first day's move
    assert (1 + a.cumulative) / (1 + b.cumulative) == pytest.approx(25.15 / 25.00)
    assert a.start_date == pd.Timestamp("2025-12-31") and b.start_date == pd.Timestamp("2026-01-02")


def test_start_convention_on_a_non_trading_day():
    # 3-4 January 2026 is a weekend: previous_close starts from Friday 2nd, start_close from Monday 5th
    a = period_return(ETF, DATES, "2026-01-03", "2026-03-31")
    b = period_return(ETF, DATES, "2026-01-03", "2026-03-31", start_convention="start_close")
    assert a.start_date == pd.Timestamp("2026-01-02")
    assert b.start_date == pd.Timestamp("2026-01-05")
    i = DATES.get_loc(pd.Timestamp("2026-01-05"))
    assert (1 + a.cumulative) / (1 + b.cumulative) == pytest.approx(ETF[i] / ETF[i - 1])
    assert a.end_date == b.end_date == pd.Timestamp("2026-03-31")


def test_price_or_nav_basis_moves_by_the_premium_change():
    premium = np.linspace(0.001, 0.008, DATES.size)  # the ETF drifts to a larger premium
    price = ETF * np.exp(premium)
    nav_r = period_return(ETF, DATES, "2026-01-01", "2026-04-30", basis="nav")
    px_r = period_return(price, DATES, "2026-01-01", "2026-04-30", basis="price")
    assert (1 + px_r.cumulative) / (1 + nav_r.cumulative) == pytest.approx(np.exp(premium[-1] - premium[0]))
    assert px_r.cumulative > nav_r.cumulative
    assert px_r.basis == "price" and nav_r.basis == "nav"
    gap = performance_gap(price, ETF, DATES, "2026-01-01", "2026-04-30", basis_a="price")
    assert gap.relative_gap == pytest.approx(np.expm1(premium[-1] - premium[0]))


def test_reinvestment_convention():
    # One distribution of 0.40 a share, ex-date 13 March, on a price path that then rises.
    levels = ETF.copy()
    ex = DATES.get_loc(pd.Timestamp("2026-03-13"))
    levels[ex:] -= 0.40  # the price drops by the distribution on the ex-date
    dist = np.zeros(DATES.size)
    dist[ex] = 0.40
    p0, px, p1 = levels[0], levels[ex], levels[-1]
    price_only = period_return(levels, DATES, "2026-01-01", "2026-04-30")
    cash = period_return(levels, DATES, "2026-01-01", "2026-04-30", distributions=dist, reinvest="none")
    reinvested = period_return(levels, DATES, "2026-01-01", "2026-04-30", distributions=dist)
    assert price_only.cumulative == pytest.approx(p1 / p0 - 1)
    assert cash.cumulative == pytest.approx((p1 + 0.40) / p0 - 1)
    # reinvested at the ex-date close: 0.40 / px more shares
    assert reinvested.cumulative == pytest.approx(p1 * (1 + 0.40 / px) / p0 - 1)
    # reinvesting beats holding cash by the distribution's own growth after the ex-date
    assert reinvested.cumulative - cash.cumulative == pytest.approx(0.40 * (p1 / px - 1) / p0)
    assert reinvested.cumulative > cash.cumulative > price_only.cumulative
    assert reinvested.distributions == 0.40 and reinvested.n_distributions == 1
    # a distribution whose ex-date is the starting close is not in the period
    later = period_return(levels, DATES, "2026-03-16", "2026-04-30", distributions=dist)
    assert later.n_distributions == 0
    # distributions as a Series indexed by ex-date
    s = pd.Series([0.40], index=[pd.Timestamp("2026-03-13")])
    assert period_return(levels, DATES, "2026-01-01", "2026-04-30", distributions=s).cumulative == \
        pytest.approx(reinvested.cumulative)


def test_missing_levels_compound_across_the_gap():
    levels = ETF.copy()
    levels[10:15] = np.nan
    dist = np.zeros(DATES.size)
    dist[20] = 0.1
    full = period_return(ETF, DATES, "2026-01-01", "2026-04-30")
    gappy = period_return(levels, DATES, "2026-01-01", "2026-04-30")
    assert gappy.cumulative == pytest.approx(full.cumulative)
    # the end falls on a missing level: the last close on or before the end is used, and shown
    levels[-1] = np.nan
    r = period_return(levels, DATES, "2026-01-01", "2026-04-30")
    assert r.end_date == DATES[-2]
    # a distribution on a date without a level cannot be reinvested
    dist[12] = 0.1
    with pytest.raises(InputError, match=r"^distributions: a distribution on 2026-01-19.*row 13$"):
        period_return(levels, DATES, "2026-01-01", "2026-04-30", distributions=dist)


def test_gap_uses_dates_both_funds_have():
    fund = FUND.copy()
    fund[0] = np.nan  # the mutual fund has no NAV on 31 December
    with pytest.raises(NotEnoughData, match="^start: no close before 2026-01-01"):
        performance_gap(ETF, fund, DATES, "2026-01-01", "2026-04-30")
    gap = performance_gap(ETF, fund, DATES, "2026-01-01", "2026-04-30", start_convention="start_close")
    assert gap.start_date == gap.a.start_date == gap.b.start_date == pd.Timestamp("2026-01-02")
    # the ETF has no close on 30 April: both end on the last common date
    etf = ETF.copy()
    etf[-1] = np.nan
    gap = performance_gap(etf, FUND, DATES, "2026-01-01", "2026-04-30")
    assert gap.end_date == gap.b.end_date == DATES[-2]
    assert gap.return_b == pytest.approx(FUND[-2] / FUND[0] - 1)


def test_gap_of_series_on_different_dates():
    # the mutual fund's NAV is missing on two dates the ETF has, and vice versa
    etf = pd.Series(ETF, index=DATES).drop(DATES[[5, 40]])
    fund = pd.Series(FUND, index=DATES).drop(DATES[[7, 41]])
    gap = performance_gap(etf, fund, None, "2026-01-01", "2026-04-30")
    assert gap.gap == pytest.approx(0.035)


def test_annualized():
    dates = pd.bdate_range("2023-12-29", "2025-12-31")
    levels = 100 * np.exp(np.linspace(0, np.log(1.21), dates.size))  # +21% over two years
    r = period_return(levels, dates, "2024-01-01", "2025-12-31", annualize=True)
    assert r.years == 2.0  # 1 January 2024 to 31 December 2025, though the closes are 29 Dec to 31 Dec
    assert r.cumulative == pytest.approx(0.21)
    assert r.value == r.annualized == pytest.approx(1.21 ** (1 / r.years) - 1)
    with pytest.raises(InputError, match=r"^annualize: the period is 0\.33 years"):
        period_return(ETF, DATES, "2026-01-01", "2026-04-30", annualize=True)
    assert np.isnan(period_return(ETF, DATES, "2026-01-01", "2026-04-30").annualized)


def test_period_may_end_on_a_weekend_but_not_beyond_the_data():
    upto = DATES <= "2026-04-24"  # data to Friday 24 April
    r = period_return(ETF[upto], DATES[upto], "2026-01-01", "2026-04-26")  # Sunday
    assert r.end_date == pd.Timestamp("2026-04-24")
    with pytest.raises(NotEnoughData, match="after the last date"):
        period_return(ETF[upto], DATES[upto], "2026-01-01", "2026-04-27")  # Monday: no data
    since = DATES >= "2026-01-05"  # data from Monday 5 January
    r = period_return(ETF[since], DATES[since], "2026-01-03", "2026-04-30", start_convention="start_close")
    assert r.start_date == pd.Timestamp("2026-01-05")
    with pytest.raises(NotEnoughData, match="before the first date"):
        period_return(ETF[since], DATES[since], "2026-01-02", "2026-04-30", start_convention="start_close")


def test_year_fraction():
    ts = pd.Timestamp
    assert year_fraction(ts("2024-12-31"), ts("2025-12-31")) == 1.0
    assert year_fraction(ts("2025-12-31"), ts("2026-04-30")) == pytest.approx(120 / 365)
    assert year_fraction(ts("2020-01-15"), ts("2023-07-15")) == pytest.approx(3 + 181 / 365)
    assert year_fraction(ts("2019-01-15"), ts("2020-07-15")) == pytest.approx(1 + 182 / 366)
    assert year_fraction(ts("2020-02-29"), ts("2021-02-28")) == 1.0  # the anniversary of 29 Feb


def test_result_records_the_conventions():
    r = period_return(pd.Series(ETF, index=DATES), None, "2026-02-01", "2026-02-28")
    assert isinstance(r, PeriodReturn)
    assert (r.reinvest, r.start_convention, r.basis, r.annualize) == ("ex_date", "previous_close", "nav", False)
    assert r.start_date == pd.Timestamp("2026-01-30") and r.end_date == pd.Timestamp("2026-02-27")
    assert r.value == r.cumulative == pytest.approx(r.end_level / r.start_level - 1)


@pytest.mark.parametrize(
    "kwargs, argument, text, error",
    [
        (dict(end="2025-12-01"), "end", "before the start of the period", InputError),
        (dict(end="2026-05-29"), "end", "after the last date", NotEnoughData),
        (dict(start="2025-12-31"), "start", "no close before", NotEnoughData),
        (dict(start="2025-12-01", start_convention="start_close"), "start", "before the first date", NotEnoughData),
        (dict(start=45000), "start", "must be a date", InputError),
        (dict(start="someday"), "start", "not a date", InputError),
        (dict(reinvest="monthly"), "reinvest", "must be one of", InputError),
        (dict(start_convention="open"), "start_convention", "must be one of", InputError),
        (dict(basis="index"), "basis", "must be one of", InputError),
        (dict(annualize="yes"), "annualize", "TRUE or FALSE", InputError),
        (dict(distributions=[-0.1] + [0] * (DATES.size - 1)), "distributions", ">= 0", InputError),
        (dict(distributions=[0.1, 0.2]), "distributions", "lengths must match", InputError),
        (dict(dates=None), "dates", "dates are needed", InputError),
        (dict(levels=ETF[:-1]), "dates", "lengths must match", InputError),
        (dict(start="2026-04-30", start_convention="start_close"), "end", "holds no return", NotEnoughData),
    ],
)
def test_bad_inputs_name_the_argument(kwargs, argument, text, error):
    args = dict(levels=ETF, dates=DATES, start="2026-01-01", end="2026-04-30")
    args.update(kwargs)
    with pytest.raises(error, match=text) as err:
        period_return(**args)
    assert str(err.value).startswith(argument + ":")


@pytest.mark.parametrize("year", [2011, 2012, 2016, 2017])
def test_a_calendar_year_is_a_year_whatever_weekday_it_ends_on(year):
    """SPY's calendar years: 2011, 2016 and 2017 end on a weekend, 2012 starts after one."""
    from xlwings_udfs.data import load_spy_sp500

    spy = load_spy_sp500()["spy_adj_close"]
    r = period_return(spy, None, f"{year}-01-01", f"{year}-12-31", annualize=True)
    assert r.years == 1.0
    assert r.annualized == pytest.approx(r.cumulative, rel=1e-12)
    expected = {2011: 0.01895, 2012: 0.15990, 2016: 0.11998, 2017: 0.21705}[year]
    assert r.cumulative == pytest.approx(expected, abs=5e-6)


def test_start_close_periods_run_from_close_to_close():
    dates = pd.bdate_range("2024-01-02", "2025-01-10")
    levels = np.linspace(100, 110, dates.size)
    r = period_return(levels, dates, "2024-01-02", "2025-01-02", start_convention="start_close", annualize=True)
    assert r.years == 1.0 and r.start_date == pd.Timestamp("2024-01-02")
