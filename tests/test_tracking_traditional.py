"""The figures that need only the returns, held to a plain computation fund by fund.

``tracking_stats`` computes a block of funds at once, and for funds whose valid rows are the
index's own rows (no date skipped inside their span) it takes the index's side of the
rolling windows and the regressions once for them all (``rolling.py``, ``regression.py``).
Here every figure is recomputed one fund at a time, on that fund's valid rows only, with the
plain functions (``regression``, ``dimson_beta``, ``window_starts``, ``median_low_high``), the
way the block computation did before it shared the index's side, and the two must agree to
1e-12 relative (1e-15 absolute, for figures at zero): single funds and panels, one history
and staggered launches, skipped dates in the fund or in the index, windows, with and without
dates, daily, weekly and monthly. The model's figures are held to the model called on each
fund's own return differences.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulate import SCENARIOS, simulate_panel
from xlwings_udfs.analytics import tracking
from xlwings_udfs.analytics.constants import MIN_RETURNS_TRADITIONAL
from xlwings_udfs.analytics.regression import dimson_beta, regression
from xlwings_udfs.analytics.rolling import median_low_high, window_starts
from xlwings_udfs.analytics.tracking import tracking_stats

RTOL, ATOL = 1e-12, 1e-15

TRADITIONAL = ("tracking_error_traditional", "tracking_difference", "tracking_difference_cumulative",
               "rolling_td_median", "rolling_td_high", "rolling_td_low", "rolling_td_latest",
               "rolling_td_windows", "beta", "beta_dimson", "r_squared", "alpha", "n_obs", "n_skipped")


def plain_figures(fund: np.ndarray, index: np.ndarray, dates, periods_per_year: float, window=None) -> dict:
    """The traditional figures of one fund: its valid rows taken out, then the plain functions."""
    log_index = np.log(index)
    dates = None if dates is None else pd.DatetimeIndex(dates).as_unit("ns")
    valid = np.isfinite(fund) & np.isfinite(log_index)
    if window is not None:
        valid &= np.cumsum(valid[::-1])[::-1] <= window + 1
    rows = np.flatnonzero(valid)
    n = rows.size
    out = dict.fromkeys(TRADITIONAL, np.nan)
    out["n_obs"] = max(n - 1, 0)
    out["n_skipped"] = int(rows[-1] - rows[0] + 1 - n) if n else 0
    out["rolling_td_windows"] = 0
    if n < 2:
        return out
    A = periods_per_year
    rf = np.diff(np.log(fund[rows]))
    ri = np.diff(log_index[rows])
    d = rf - ri
    # rolling windows: the plain window_starts on this fund alone, its rows packed
    order = None if n == valid.size else rows[:, None]
    starts = window_starts(dates, valid[:, None], order, np.array([n]), A)[:, 0]
    cum = np.concatenate([[0.0], np.cumsum(d)])
    has = starts >= 0
    out["rolling_td_windows"] = int(has.sum())
    if n - 1 < MIN_RETURNS_TRADITIONAL:  # too short for any other figure
        return out
    with np.errstate(over="ignore"):
        roll = np.where(has, np.expm1(cum - cum[np.maximum(starts, 0)]), np.nan)
    med, lo, hi = median_low_high(roll[:, None])
    out.update(rolling_td_median=med[0], rolling_td_low=lo[0], rolling_td_high=hi[0], rolling_td_latest=roll[-1])
    span = np.diff(np.cumsum(np.isfinite(log_index))[rows]).astype(float)
    one = span == 1.0
    if one.sum() >= MIN_RETURNS_TRADITIONAL:
        out["tracking_error_traditional"] = np.sqrt(A * d[one].var(ddof=1))
    out["tracking_difference_cumulative"] = np.expm1(d.sum())
    out["tracking_difference"] = np.expm1(A * d.sum() / span.sum())
    beta, r2, alpha = regression(rf[:, None], ri[:, None], A)
    out.update(beta=beta[0], r_squared=r2[0], alpha=alpha[0] * (n - 1) / span.sum(),
               beta_dimson=dimson_beta(rf[:, None], ri[:, None])[0])
    return out


def assert_matches_plain(res, fund: np.ndarray, index: np.ndarray, dates=None, window=None):
    """Every traditional figure of every fund of ``res`` equals the plain computation."""
    fund = fund.reshape(len(index), -1)
    for j in range(fund.shape[1]):
        ref = plain_figures(fund[:, j], index, dates, res.periods_per_year, window)
        for key in TRADITIONAL:
            got = np.atleast_1d(np.asarray(getattr(res, key), dtype=float))[j]
            np.testing.assert_allclose(got, ref[key], rtol=RTOL, atol=ATOL, err_msg=f"fund {j}, {key}")


def _index(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 100.0 * np.exp(np.concatenate([[0.0], np.cumsum(rng.normal(3e-4, 0.01, n - 1))]))


def _funds(index: np.ndarray, k: int, seed: int = 1) -> np.ndarray:
    """k funds tracking the index with a drift, persistent deviations, timing noise and some
    stale prices (so that the Dimson beta differs from the plain one)."""
    rng = np.random.default_rng(seed)
    n = index.size
    r = np.diff(np.log(index))
    stale = rng.uniform(0.0, 0.3, k)
    rf = (1 - stale) * r[:, None] + stale * np.concatenate([[0.0], r[:-1]])[:, None]
    L = np.cumsum(rng.normal(-1e-5, 2e-4, (n - 1, k)) + rf, axis=0) + rng.normal(0, 3e-4, (n - 1, k))
    return index[0] * np.exp(np.vstack([np.zeros((1, k)), L]))


N = 900
DATES = pd.bdate_range("2012-01-02", periods=N)
INDEX = _index(N)
FUNDS = _funds(INDEX, 6)


@pytest.mark.parametrize("with_dates", [True, False])
@pytest.mark.parametrize("window", [None, 300])
def test_single_fund(with_dates, window):
    dates = DATES if with_dates else None
    res = tracking_stats(FUNDS[:, 0], INDEX, dates=dates, window=window)
    assert_matches_plain(res, FUNDS[:, 0], INDEX, dates, window)


@pytest.mark.parametrize("with_dates", [True, False])
def test_single_fund_with_leading_and_trailing_blanks(with_dates):
    f = FUNDS[:, 1].copy()
    f[:37] = np.nan
    f[-5:] = np.nan
    dates = DATES if with_dates else None
    assert_matches_plain(tracking_stats(f, INDEX, dates=dates), f, INDEX, dates)


@pytest.mark.parametrize("with_dates", [True, False])
@pytest.mark.parametrize("window", [None, 400])
def test_single_fund_with_skipped_dates(with_dates, window):
    """Dates the fund lacks inside its span (returns across them span two periods)."""
    f = FUNDS[:, 2].copy()
    f[[100, 101, 500, 850]] = np.nan
    dates = DATES if with_dates else None
    res = tracking_stats(f, INDEX, dates=dates, window=window)
    assert_matches_plain(res, f, INDEX, dates, window)


@pytest.mark.parametrize("with_dates", [True, False])
def test_single_fund_with_dates_the_index_lacks(with_dates):
    """Dates on which only the index is blank (its holidays, a fund's weekend NAV): they are
    not periods, and the fund's returns are still the index's rows' returns."""
    i = INDEX.copy()
    i[[50, 51, 300, 700]] = np.nan
    dates = DATES if with_dates else None
    res = tracking_stats(FUNDS[:, 3], i, dates=dates)
    assert res.n_skipped == 4
    assert_matches_plain(res, FUNDS[:, 3], i, dates)


@pytest.mark.parametrize("with_dates", [True, False])
@pytest.mark.parametrize("window", [None, 250])
def test_panel_with_one_history(with_dates, window):
    dates = DATES if with_dates else None
    res = tracking_stats(FUNDS, INDEX, dates=dates, window=window)
    assert_matches_plain(res, FUNDS, INDEX, dates, window)


def _staggered(k: int, seed: int, gaps: int = 0, index_gaps: bool = False):
    rng = np.random.default_rng(seed)
    index = INDEX.copy()
    if index_gaps:
        index[rng.choice(np.arange(1, N - 1), 12, replace=False)] = np.nan
    funds = _funds(INDEX, k, seed)
    launch = rng.integers(0, N - 60, k)
    funds[np.arange(N)[:, None] < launch[None, :]] = np.nan
    funds[N - 40:, : k // 10] = np.nan  # a few stop early
    for j in rng.choice(k, gaps, replace=False):
        funds[rng.integers(launch[j] + 1, N - 41, 3), j] = np.nan
    return funds, index


@pytest.mark.parametrize("with_dates,gaps,index_gaps", [(True, 0, False), (False, 0, True), (True, 7, True),
                                                        (False, 7, False)])
def test_staggered_panel_across_blocks(with_dates, gaps, index_gaps):
    """More funds than a block holds, launched on different dates; some with skipped dates
    (their block is computed fund by fund), some blocks with and some without them."""
    funds, index = _staggered(300, seed=5 + gaps, gaps=gaps, index_gaps=index_gaps)
    dates = DATES if with_dates else None
    res = tracking_stats(funds, index, dates=dates)
    assert_matches_plain(res, funds, index, dates)


def test_staggered_panel_with_a_window():
    funds, index = _staggered(40, seed=8, gaps=3)
    res = tracking_stats(funds, index, dates=DATES, window=260)
    assert_matches_plain(res, funds, index, DATES, window=260)


def test_panel_whose_funds_each_skip_a_date_of_their_own():
    """Every fund has as many returns as the others, so they fill every row, but each has one
    across a date it skips: the figures are still per period, and the model's those of the
    fund alone."""
    k = 6
    funds = _funds(INDEX, k, seed=12)
    funds[np.random.default_rng(12).choice(np.arange(1, N - 1), k, replace=False), np.arange(k)] = np.nan
    res = tracking_stats(funds, INDEX, dates=DATES)
    assert_matches_plain(res, funds, INDEX, DATES)
    # The estimates to rounding; the standard error to the scan's accuracy (it reads the mean
    # of s_u^2 off single-precision sums, which run in another order for six funds than one).
    for j in range(k):
        alone = tracking_stats(funds[:, j], INDEX, dates=DATES)
        for key, rtol in (("holding_cost", 1e-12), ("tracking_error", 1e-12), ("holding_cost_se", 1e-5)):
            np.testing.assert_allclose(getattr(res, key)[j], getattr(alone, key), rtol=rtol, err_msg=f"fund {j}, {key}")


@pytest.mark.parametrize("freq,per_year", [("W-FRI", 52), ("BME", 12)])
def test_weekly_and_monthly_data(freq, per_year):
    n = 420 if per_year == 52 else 150
    dates = pd.date_range("2001-01-01", periods=n, freq=freq)
    index = _index(n, seed=3)
    funds = _funds(index, 3, seed=4)
    funds[: n // 3, 1] = np.nan
    res = tracking_stats(funds, index, dates=dates)
    assert res.periods_per_year == per_year
    assert_matches_plain(res, funds, index, dates)


def test_short_funds_and_funds_without_data():
    funds, index = _staggered(12, seed=9)
    funds[: N - 20, 0] = np.nan     # 19 returns: too few for any figure
    funds[: N - 45, 1] = np.nan     # 44 returns: traditional figures, no rolling window
    funds[:, 2] = np.nan            # no data at all
    funds[:-1, 3] = np.nan          # one level, no return
    res = tracking_stats(funds, index, dates=DATES)
    assert_matches_plain(res, funds, index, DATES)


def test_flat_index_and_constant_fund():
    """An index that stands still over one fund's life, and a fund that does not move."""
    index = INDEX.copy()
    index[300:360] = index[300]
    funds = _funds(INDEX, 3, seed=6)
    funds[:, 1] = np.nan
    funds[300:360, 1] = 50.0 * np.exp(np.cumsum(np.random.default_rng(0).normal(0, 0.01, 60)))
    funds[:, 2] = 80.0
    res = tracking_stats(funds, index, dates=DATES)
    assert np.isnan(res.beta[1]) and np.isnan(res.beta_dimson[1]) and np.isnan(res.r_squared[2])
    assert_matches_plain(res, funds, index, DATES)


def test_the_model_gets_each_funds_own_return_differences(monkeypatch):
    """What the model is given: each fund's differences on its valid rows, from the top of its
    column, with its count of returns; the model's figures are then those of the fund alone."""
    funds, index = _staggered(30, seed=11, gaps=4, index_gaps=True)
    seen = []
    fit = tracking.fit_noise_model

    def spy(d, lengths=None, spans=None):
        seen.append((np.array(d), None if lengths is None else np.array(lengths),
                     None if spans is None else np.array(spans)))
        return fit(d, lengths, spans)

    monkeypatch.setattr(tracking, "fit_noise_model", spy)
    res = tracking_stats(funds, index, dates=DATES)
    (d, lengths, spans), = seen
    log_index = np.log(index)
    # A return spans the index's dates from one of the fund's values to the next: a date the
    # fund lacks is a period that passed, a date the index lacks is not.
    calendar = np.cumsum(np.isfinite(log_index))
    assert spans is not None and (spans > 1).any()  # the funds have gaps
    fitted = np.flatnonzero(np.asarray(res.n_obs) >= tracking.MIN_RETURNS)
    for col, j in enumerate(fitted):
        rows = np.flatnonzero(np.isfinite(funds[:, j]) & np.isfinite(log_index))
        own = np.diff(np.log(funds[rows, j])) - np.diff(log_index[rows])
        n = own.size if lengths is None else lengths[col]
        assert n == own.size
        np.testing.assert_array_equal(d[:n, col], own)
        np.testing.assert_array_equal(spans[:n, col], np.diff(calendar[rows]))


def test_simulated_panel_full_and_staggered():
    """The benchmark's kind of data: simulated funds against one index, both layouts."""
    p = simulate_panel(SCENARIOS["b_ar1"], 40, seed=2, n_returns=800)
    res = tracking_stats(p.fund, p.index)
    assert_matches_plain(res, p.fund, p.index)
    fund = p.fund.copy()
    launch = np.random.default_rng(3).integers(0, 500, 40)
    fund[np.arange(fund.shape[0])[:, None] < launch[None, :]] = np.nan
    res = tracking_stats(fund, p.index, periods_per_year=252)
    assert_matches_plain(res, fund, p.index)


# ---------------------------------------------------------------------------------------
# the functions for funds on the index's rows, against the plain ones
# ---------------------------------------------------------------------------------------

def _on_rows(m: int, k: int, seed: int):
    """Index returns on m rows, and k funds' returns on spans of them (NaN elsewhere)."""
    rng = np.random.default_rng(seed)
    ri = rng.normal(3e-4, 0.01, m)
    beta = rng.uniform(0.5, 1.5, k)
    rf = beta * ri[:, None] + 0.3 * np.vstack([np.zeros(k), ri[:-1, None] * np.ones(k)]) \
        + rng.normal(0, 0.003, (m, k))
    start = rng.integers(0, m // 2, k)
    stop = np.minimum(start + rng.integers(5, m, k), m)
    start[:3], stop[:3] = 0, m  # some funds share a span
    rows = np.arange(m)[:, None]
    rf[(rows < start) | (rows >= stop)] = np.nan
    return rf, ri, start, stop


def _packed(x: np.ndarray, start: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """Each column's rows start to stop moved to the top, NaN below."""
    out = np.full((x.shape[0], start.size), np.nan)
    for j, (s, e) in enumerate(zip(start, stop)):
        out[: e - s, j] = (x[s:e, j] if x.ndim == 2 else x[s:e])
    return out


@pytest.mark.parametrize("seed", [0, 1])
def test_regressions_on_index_rows_equal_the_plain_ones(seed):
    from xlwings_udfs.analytics.regression import dimson_beta_on_index_rows, regression_on_index_rows

    rf, ri, start, stop = _on_rows(500, 40, seed)
    prf, pri = _packed(rf, start, stop), _packed(ri, start, stop)
    for got, want in zip(regression_on_index_rows(rf, ri, start, stop, 252), regression(prf, pri, 252)):
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(dimson_beta_on_index_rows(rf, ri, start, stop), dimson_beta(prf, pri),
                               rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("with_dates", [True, False])
def test_rolling_on_index_rows_equals_the_plain_functions(with_dates):
    """One fund at a time through window_starts and median_low_high, against the shared starts
    and the summary of every fund at once."""
    from xlwings_udfs.analytics.rolling import rolling_td_summary, window_starts_on_index_rows

    rng = np.random.default_rng(2)
    t, k = 700, 25
    dates = pd.bdate_range("2019-01-01", periods=t).as_unit("ns") if with_dates else None
    index_valid = np.ones(t, dtype=bool)
    index_valid[rng.choice(t, 20, replace=False)] = False  # dates the index lacks
    rows = np.flatnonzero(index_valid)
    m = rows.size
    first = rng.integers(0, m - 10, k)
    first[:4] = 0
    last = np.minimum(first + rng.integers(5, m, k), m - 1)
    cum = np.cumsum(rng.normal(0, 1e-3, (m, k)), axis=0)
    starts = window_starts_on_index_rows(dates, rows, 252)
    log_td = cum - cum[np.maximum(starts, 0)]
    got = rolling_td_summary(log_td, np.searchsorted(starts, first), last)
    for j in range(k):
        valid = np.zeros(t, dtype=bool)
        valid[rows[first[j]: last[j] + 1]] = True
        n = last[j] - first[j] + 1
        plain = window_starts(dates, valid[:, None], np.flatnonzero(valid)[:, None], np.array([n]), 252)[:, 0]
        own = cum[first[j]: last[j] + 1, j] - cum[first[j], j]
        roll = np.where(plain >= 0, np.expm1(own - own[np.maximum(plain, 0)]), np.nan)
        med, lo, hi = median_low_high(roll[:, None])
        want = (med[0], lo[0], hi[0], roll[-1], (plain >= 0).sum())
        for g, w in zip(got, want):
            np.testing.assert_allclose(g[j], w, rtol=RTOL, atol=ATOL, err_msg=f"fund {j}")


def test_the_two_middle_values_equal_a_partition_at_both_ranks():
    """One partition at the lower middle rank and the least value above it give what a
    partition at both ranks gives: odd and even counts, ties, infinities, NaN below a column's
    values and in the middle of them."""
    from xlwings_udfs.analytics.rolling import _middle_low_high, _two_middle

    rng = np.random.default_rng(5)
    x = np.round(rng.normal(0.0, 1.0, (41, 12)), 1)  # ties
    x[3, 2], x[7, 5], x[0, 9] = np.inf, -np.inf, np.nan
    x[30:, 4], x[:, 11], x[1:, 10] = np.nan, np.nan, np.nan
    below, above, low, high = _middle_low_high(x)
    for j in range(x.shape[1]):
        values = np.sort(x[:, j][~np.isnan(x[:, j])])
        if values.size == 0:
            assert np.isnan(below[j]) and np.isnan(above[j])
            continue
        assert below[j] == values[(values.size - 1) // 2] and above[j] == values[values.size // 2]
        assert low[j] == values[0] and high[j] == values[-1]
    for count in (40, 41):
        got = _two_middle(x[:count, :9], count)
        part = np.partition(x[:count, :9], [(count - 1) // 2, count // 2], axis=0)
        np.testing.assert_array_equal(got[0], part[(count - 1) // 2])
        np.testing.assert_array_equal(got[1], part[count // 2])


@pytest.mark.parametrize("with_dates", [True, False])
def test_rolling_figures_do_not_depend_on_the_panels_layout(with_dates):
    """The windows' starts are gathered down each column of a panel whose funds' columns are
    contiguous (as pandas holds them) and across rows otherwise: the same rolling figures."""
    dates = DATES if with_dates else None
    staggered = FUNDS.copy()
    staggered[:200, 2] = np.nan
    for panel in (FUNDS, staggered):
        by_column = tracking_stats(np.asfortranarray(panel), INDEX, dates)
        by_row = tracking_stats(np.ascontiguousarray(panel), INDEX, dates)
        for key in ("rolling_td_median", "rolling_td_high", "rolling_td_low", "rolling_td_latest", "rolling_td_windows"):
            np.testing.assert_array_equal(getattr(by_column, key), getattr(by_row, key), err_msg=key)
        assert_matches_plain(by_column, panel, INDEX, dates)
