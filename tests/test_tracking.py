"""Unit tests of ``tracking_stats``: inputs, alignment, panels, windows and the figures on
constructed cases whose answers are known exactly."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulate import SCENARIOS, simulate_panel
from xlwings_udfs.analytics import (
    MIN_RETURNS,
    TRACKING_FIGURES,
    InputError,
    NotEnoughData,
    TrackingStats,
    tracking_stats,
)

N = 600  # levels in the constructed series (599 returns)

# Figures that are numbers per fund (start/end and the labels are checked separately).
NUMERIC = [
    "holding_cost", "holding_cost_se", "holding_cost_lower", "holding_cost_upper",
    "tracking_error", "tracking_error_lower", "tracking_error_upper", "tracking_error_traditional",
    "noise_share", "noise_phi", "tracking_difference", "tracking_difference_cumulative",
    "rolling_td_median", "rolling_td_high", "rolling_td_low", "rolling_td_latest",
    "rolling_td_windows", "beta", "beta_dimson", "r_squared", "alpha", "n_obs", "n_skipped",
]


def index_levels(n: int = N, seed: int = 0, vol: float = 0.01) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 100.0 * np.exp(np.concatenate([[0.0], np.cumsum(rng.normal(0.0003, vol, n - 1))]))


def noisy_fund(index: np.ndarray, seed: int = 1, drift: float = -0.002 / 252,
               s_u: float = 0.003 / np.sqrt(252), noise: float = 0.0004) -> np.ndarray:
    """index * exp(L) with L = drift t + random walk + white noise."""
    rng = np.random.default_rng(seed)
    n = index.size
    L = drift * np.arange(n) + np.cumsum(rng.normal(0.0, s_u, n)) + rng.normal(0.0, noise, n)
    return index * np.exp(L)


@pytest.fixture(scope="module")
def idx():
    return index_levels()


@pytest.fixture(scope="module")
def fund(idx):
    return noisy_fund(idx)


@pytest.fixture(scope="module")
def dates():
    return pd.bdate_range("2015-01-01", periods=N)


def assert_same_figures(a: TrackingStats, b: TrackingStats, rtol=1e-9, atol=1e-14, fields=NUMERIC):
    for f in fields:
        x, y = np.asarray(getattr(a, f), dtype=float), np.asarray(getattr(b, f), dtype=float)
        np.testing.assert_allclose(x, y, rtol=rtol, atol=atol, err_msg=f)


# ---------------------------------------------------------------------------------------
# constructed cases with exact answers
# ---------------------------------------------------------------------------------------

def test_fund_is_constant_multiple_of_index(idx):
    st_ = tracking_stats(3.7 * idx, idx)
    for f in ["holding_cost", "tracking_error", "tracking_error_traditional", "tracking_difference",
              "tracking_difference_cumulative", "rolling_td_median", "rolling_td_high",
              "rolling_td_low", "rolling_td_latest", "alpha"]:
        assert getattr(st_, f) == pytest.approx(0.0, abs=1e-12), f
    assert st_.beta == pytest.approx(1.0, abs=1e-12)
    assert st_.beta_dimson == pytest.approx(1.0, abs=1e-9)
    assert st_.r_squared == pytest.approx(1.0, abs=1e-12)
    assert st_.n_obs == N - 1 and st_.n_skipped == 0
    assert st_.periods_per_year == 252.0


def test_constant_drift_is_the_holding_cost(idx, dates):
    # fund = index * exp(c t): d_t = c every day, no deviation at all.
    c = -0.0023 / 252
    st_ = tracking_stats(idx * np.exp(c * np.arange(N)), idx, dates=dates)
    assert st_.holding_cost == pytest.approx(252 * c, rel=1e-9)
    assert st_.holding_cost_se == pytest.approx(0.0, abs=1e-12)
    assert st_.tracking_error == pytest.approx(0.0, abs=1e-12)
    assert st_.tracking_error_traditional == pytest.approx(0.0, abs=1e-12)
    assert st_.tracking_difference == pytest.approx(np.expm1(252 * c), rel=1e-12)
    assert st_.tracking_difference_cumulative == pytest.approx(np.expm1(c * (N - 1)), rel=1e-12)
    assert st_.alpha == pytest.approx(252 * c, rel=1e-9)
    assert st_.beta == pytest.approx(1.0, abs=1e-12)


def test_cumulative_td_is_geometric(idx, fund):
    st_ = tracking_stats(fund, idx)
    r_f, r_i = fund[-1] / fund[0] - 1.0, idx[-1] / idx[0] - 1.0
    assert st_.tracking_difference_cumulative == pytest.approx((1 + r_f) / (1 + r_i) - 1, rel=1e-10)
    assert st_.tracking_difference == pytest.approx(
        ((1 + r_f) / (1 + r_i)) ** (252 / (N - 1)) - 1, rel=1e-10)


def test_swapping_fund_and_index_flips_signs(idx, fund):
    a, b = tracking_stats(fund, idx), tracking_stats(idx, fund)
    assert b.holding_cost == pytest.approx(-a.holding_cost, rel=1e-9)
    assert b.holding_cost_se == pytest.approx(a.holding_cost_se, rel=1e-9)
    assert b.holding_cost_lower == pytest.approx(-a.holding_cost_upper, rel=1e-9)
    assert b.tracking_error == pytest.approx(a.tracking_error, rel=1e-9)
    assert b.tracking_error_traditional == pytest.approx(a.tracking_error_traditional, rel=1e-12)
    assert b.noise_share == pytest.approx(a.noise_share, rel=1e-9)
    # Geometric differences invert: (1 + TD_swapped) = 1 / (1 + TD).
    assert 1 + b.tracking_difference == pytest.approx(1 / (1 + a.tracking_difference), rel=1e-12)
    assert 1 + b.tracking_difference_cumulative == pytest.approx(
        1 / (1 + a.tracking_difference_cumulative), rel=1e-12)
    assert 1 + b.rolling_td_high == pytest.approx(1 / (1 + a.rolling_td_low), rel=1e-12)
    assert 1 + b.rolling_td_latest == pytest.approx(1 / (1 + a.rolling_td_latest), rel=1e-12)
    assert b.r_squared == pytest.approx(a.r_squared, rel=1e-12)


@pytest.mark.parametrize("k_fund, k_index", [(1e-3, 1.0), (1.0, 1e4), (123.456, 0.01)])
def test_scaling_levels_changes_nothing(idx, fund, k_fund, k_index):
    assert_same_figures(tracking_stats(fund, idx), tracking_stats(k_fund * fund, k_index * idx),
                        rtol=1e-7, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), scale=st.floats(1e-3, 1e3))
def test_scale_and_swap_invariance_property(seed, scale):
    i = index_levels(200, seed)
    f = noisy_fund(i, seed + 1)
    a = tracking_stats(f, i)
    b = tracking_stats(scale * f, i / scale)
    c = tracking_stats(i, f)
    assert b.holding_cost == pytest.approx(a.holding_cost, rel=1e-6, abs=1e-12)
    assert b.tracking_error == pytest.approx(a.tracking_error, rel=1e-6, abs=1e-12)
    assert c.holding_cost == pytest.approx(-a.holding_cost, rel=1e-6, abs=1e-12)
    assert c.tracking_error == pytest.approx(a.tracking_error, rel=1e-6, abs=1e-12)
    assert a.tracking_error >= 0.0 and a.tracking_error_lower >= 0.0
    assert a.tracking_error_lower <= a.tracking_error <= a.tracking_error_upper
    assert a.holding_cost_lower <= a.holding_cost <= a.holding_cost_upper
    assert 0.0 <= a.noise_share <= 1.0
    assert 0.0 <= a.r_squared <= 1.0


def test_interval_fields_are_consistent(idx, fund):
    st_ = tracking_stats(fund, idx)
    assert st_.holding_cost_upper - st_.holding_cost == pytest.approx(1.959964 * st_.holding_cost_se, rel=1e-5)
    assert st_.holding_cost - st_.holding_cost_lower == pytest.approx(1.959964 * st_.holding_cost_se, rel=1e-5)
    assert 0.0 <= st_.tracking_error_lower <= st_.tracking_error <= st_.tracking_error_upper
    # noise_share = 1 - s_u^2 / var(d) = 1 - (TE / TE_traditional)^2
    assert st_.noise_share == pytest.approx(1 - (st_.tracking_error / st_.tracking_error_traditional) ** 2, rel=1e-9)
    assert st_.tracking_error < st_.tracking_error_traditional


def test_recovers_known_figures_of_one_long_fund():
    # 10 years of one EM-like fund: the truth within a few standard errors.
    p = simulate_panel(SCENARIOS["a_white"], 1, seed=5, n_returns=2520)
    st_ = tracking_stats(p.fund[:, 0], p.index)
    sc = p.scenario
    # One draw: each figure within about 2.5 of its sampling standard deviations (6% of the
    # truth for the tracking error at 10 years, 3% for the traditional one). Interval
    # coverage is a property of many draws: test_tracking_accuracy.py.
    assert abs(st_.holding_cost - sc.holding_cost) < 3 * st_.holding_cost_se
    assert st_.tracking_error == pytest.approx(sc.tracking_error, rel=0.15)
    assert st_.tracking_error_traditional == pytest.approx(sc.traditional_tracking_error, rel=0.08)


# ---------------------------------------------------------------------------------------
# alignment: gaps, blanks, dates
# ---------------------------------------------------------------------------------------

def test_blank_in_the_middle_compounds_across_the_gap(idx, fund, dates):
    full = tracking_stats(fund, idx, dates=dates)
    f = fund.astype(float).copy()
    f[300] = np.nan
    gap = tracking_stats(f, idx, dates=dates)
    assert gap.n_obs == N - 2 and gap.n_skipped == 1
    # The end points are unchanged, so the point-to-point figure over the sample is too, and
    # so is its annualized value: the blank day still passed (the index has it), and the
    # return over the gap counts as the two periods it spans.
    assert gap.tracking_difference_cumulative == pytest.approx(full.tracking_difference_cumulative, rel=1e-12)
    assert gap.tracking_difference == pytest.approx(full.tracking_difference, rel=1e-12)
    # The figures of the returns themselves are those of the series without that row (returns
    # over the gap compound, never a zero return), but for time: a row dropped from both
    # series is a day that did not happen.
    keep = np.arange(N) != 300
    dropped = tracking_stats(fund[keep], idx[keep], dates=dates[keep])
    same = ("tracking_difference_cumulative", "beta", "r_squared", "rolling_td_latest", "n_obs")
    assert_same_figures(gap, dropped, fields=same)
    assert np.log1p(dropped.tracking_difference) == pytest.approx(
        np.log1p(gap.tracking_difference) * (N - 1) / (N - 2), rel=1e-12)
    assert gap.start == dropped.start and gap.end == dropped.end


@pytest.mark.parametrize("which", ["fund", "index"])
def test_blank_in_either_series_is_skipped(idx, fund, which):
    f, i = fund.astype(object).copy(), idx.astype(object).copy()
    (f if which == "fund" else i)[250] = None
    st_ = tracking_stats(f, i)
    assert st_.n_obs == N - 2 and st_.n_skipped == 1


def test_leading_and_trailing_blanks_change_nothing(idx, fund, dates):
    f = fund.astype(float).copy()
    f[:40] = np.nan
    i = idx.astype(float).copy()
    i[-15:] = np.nan
    st_ = tracking_stats(f, i, dates=dates)
    ref = tracking_stats(fund[40:-15], idx[40:-15], dates=dates[40:-15])
    assert_same_figures(st_, ref)
    assert st_.n_skipped == 0
    assert st_.n_obs == N - 55 - 1
    assert pd.Timestamp(st_.start) == dates[40]
    assert pd.Timestamp(st_.end) == dates[-16]


def test_start_and_end_are_dates(idx, fund, dates):
    st_ = tracking_stats(fund, idx, dates=dates)
    assert isinstance(st_.start, (pd.Timestamp, dt.date, np.datetime64)), type(st_.start)
    assert pd.Timestamp(st_.start) == dates[0]
    assert pd.Timestamp(st_.end) == dates[-1]


def test_start_and_end_without_dates_are_rows(idx, fund):
    f = fund.astype(float).copy()
    f[:10] = np.nan
    st_ = tracking_stats(f, idx)
    assert st_.start == 11 and st_.end == N  # rows counted from 1


def test_series_with_different_dates_align_on_common_dates(idx, fund, dates):
    # The fund lacks some dates, the index others, and each has dates the other lacks.
    fs = pd.Series(fund, index=dates).drop(dates[[100, 101, 350]])
    extra = pd.bdate_range(dates[-1] + pd.offsets.BDay(1), periods=30)
    is_ = pd.concat([pd.Series(idx, index=dates), pd.Series(idx[-1], index=extra)]).drop(dates[[200]])
    is_ = is_.iloc[20:]  # the index starts later
    st_ = tracking_stats(fs, is_)
    common = fs.index.intersection(is_.index)
    ref = tracking_stats(fs.loc[common].to_numpy(), is_.loc[common].to_numpy(), dates=common)
    # The returns are those on the common dates; time is counted on the index's calendar, on
    # which the three days the fund lacks passed (and the one the index lacks did not).
    assert_same_figures(st_, ref, fields=("tracking_difference_cumulative", "beta", "r_squared", "n_obs",
                                          "rolling_td_median", "rolling_td_latest"))
    periods = len(is_.loc[common[0]:common[-1]]) - 1
    assert periods == st_.n_obs + 3
    assert np.log1p(st_.tracking_difference) == pytest.approx(np.log1p(ref.tracking_difference_cumulative)
                                                             * 252 / periods, rel=1e-12)
    assert st_.n_obs == len(common) - 1
    # Dates inside the span that one of the two lacks: 100, 101, 350 (fund) and 200 (index).
    assert st_.n_skipped == 4
    assert pd.Timestamp(st_.start) == common[0] and pd.Timestamp(st_.end) == common[-1]


def test_series_newest_first_are_put_in_date_order(idx, fund, dates):
    oldest_first = tracking_stats(pd.Series(fund, index=dates), pd.Series(idx, index=dates))
    newest_first = tracking_stats(pd.Series(fund[::-1], index=dates[::-1]), pd.Series(idx, index=dates))
    for key in TRACKING_FIGURES:
        assert getattr(newest_first, key) == pytest.approx(getattr(oldest_first, key), rel=1e-12, nan_ok=True), key


def test_arrays_with_dates_newest_first_give_the_same_figures(idx, fund, dates):
    oldest_first = tracking_stats(fund, idx, dates)
    newest_first = tracking_stats(fund[::-1], idx[::-1], dates[::-1])
    for key in TRACKING_FIGURES:
        assert getattr(newest_first, key) == pytest.approx(getattr(oldest_first, key), rel=1e-12, nan_ok=True), key


def test_dates_in_neither_order_are_an_error_naming_the_row(idx, fund, dates):
    mixed = dates.tolist()
    mixed[10], mixed[11] = mixed[11], mixed[10]
    with pytest.raises(InputError) as e:
        tracking_stats(fund, idx, mixed)
    assert str(e.value) == (f"dates: dates in neither ascending nor descending order ({mixed[11].date()} after "
                            f"{mixed[10].date()}), first at row 12")
    with pytest.raises(InputError, match="index dates: dates in neither"):
        tracking_stats(pd.Series(fund, index=dates), pd.Series(idx, index=pd.DatetimeIndex(mixed)))


@pytest.mark.parametrize("step, expected", [("B", 252.0), ("W-FRI", 52.0), ("ME", 12.0)])
def test_periods_per_year_inferred_from_dates(step, expected):
    d = pd.date_range("2000-01-01", periods=120, freq=step)
    i = index_levels(120, 3)
    st_ = tracking_stats(noisy_fund(i, 4), i, dates=d)
    assert st_.periods_per_year == expected
    # Given explicitly, it wins.
    assert tracking_stats(noisy_fund(i, 4), i, dates=d, periods_per_year=100).periods_per_year == 100.0


def test_annualization_follows_periods_per_year(idx, fund):
    a = tracking_stats(fund, idx, periods_per_year=252)
    b = tracking_stats(fund, idx, periods_per_year=12)
    assert b.holding_cost == pytest.approx(a.holding_cost * 12 / 252, rel=1e-9)
    assert b.tracking_error == pytest.approx(a.tracking_error * np.sqrt(12 / 252), rel=1e-9)
    assert b.tracking_error_traditional == pytest.approx(a.tracking_error_traditional * np.sqrt(12 / 252), rel=1e-12)


def test_excel_like_inputs(idx, fund, dates):
    # Lists with None for blanks, a row of cells (1 x n), Python dates.
    f = [[v] for v in fund]
    f[5] = [None]
    i = [list(idx)]
    st_ = tracking_stats(f, i, dates=[d.date() for d in dates])
    assert st_.n_obs == N - 2 and st_.n_skipped == 1


# ---------------------------------------------------------------------------------------
# window
# ---------------------------------------------------------------------------------------

def test_window_uses_the_last_n_returns(idx, fund, dates):
    st_ = tracking_stats(fund, idx, dates=dates, window=250)
    ref = tracking_stats(fund[-251:], idx[-251:], dates=dates[-251:])
    assert_same_figures(st_, ref)
    assert st_.n_obs == 250
    assert pd.Timestamp(st_.start) == dates[-251]


def test_window_counts_returns_on_common_dates(idx, fund):
    f = fund.astype(float).copy()
    f[-100] = np.nan  # one skipped date inside the window
    st_ = tracking_stats(f, idx, window=200)
    assert st_.n_obs == 200 and st_.n_skipped == 1


def test_window_longer_than_the_data_uses_all(idx, fund):
    assert_same_figures(tracking_stats(fund, idx, window=5000), tracking_stats(fund, idx))


@pytest.mark.parametrize("bad", [10, 2.5, True, -300])
def test_bad_window(idx, fund, bad):
    with pytest.raises(InputError) as e:
        tracking_stats(fund, idx, window=bad)
    assert str(e.value).startswith("window")


# ---------------------------------------------------------------------------------------
# panel
# ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def panel(idx, dates):
    """Five funds; two start late, one has a hole, one stops early."""
    cols = {}
    for j in range(5):
        f = noisy_fund(idx, seed=10 + j, drift=-0.001 * (j + 1) / 252,
                       noise=0.0002 * (j + 1)).astype(float)
        cols[f"F{j}"] = f
    cols["F1"][:120] = np.nan
    cols["F2"][:333] = np.nan
    cols["F3"][200] = np.nan
    cols["F4"][-50:] = np.nan
    return pd.DataFrame(cols, index=dates)


def test_panel_equals_single_fund_column_by_column(panel, idx, dates):
    res = tracking_stats(panel, pd.Series(idx, index=dates))
    assert list(res.names) == list(panel.columns)
    for name in panel.columns:
        one = tracking_stats(panel[name], pd.Series(idx, index=dates))
        for f in NUMERIC:
            got = getattr(res, f)
            assert isinstance(got, pd.Series), f
            assert float(got[name]) == pytest.approx(float(getattr(one, f)), rel=1e-9, abs=1e-14), (name, f)
        assert pd.Timestamp(res.start[name]) == pd.Timestamp(one.start)
        assert pd.Timestamp(res.end[name]) == pd.Timestamp(one.end)


def test_panel_of_many_blocks_and_lengths_equals_single_funds(idx, dates):
    """More funds than one block holds, launched on different dates: they are regrouped by
    history length (and fitted a length at a time), and every figure lands on its own fund."""
    k = 300  # more funds than one block of the vectorized computation holds (128)
    rng = np.random.default_rng(3)
    levels = np.column_stack([noisy_fund(idx, seed=100 + j, noise=0.0001 * (1 + j % 5)) for j in range(k)])
    launch = rng.integers(0, N - 80, k)
    levels[np.arange(N)[:, None] < launch[None, :]] = np.nan
    panel = pd.DataFrame(levels, index=dates, columns=[f"F{j}" for j in range(k)])
    index = pd.Series(idx, index=dates)
    res = tracking_stats(panel, index)
    np.testing.assert_array_equal(res.n_obs.to_numpy(), N - 1 - launch)
    # The interval bounds and the standard error come from the single-precision scan of the
    # profile likelihood, whose sums run in a different order when several funds share a
    # history length (a matrix product instead of matrix-vector products): they agree to
    # about 5e-5 relative (1e-8 absolute, a year), the rest to rounding.
    scanned = {"holding_cost_se", "holding_cost_lower", "holding_cost_upper",
               "tracking_error_lower", "tracking_error_upper"}
    for name in panel.columns:
        one = tracking_stats(panel[name].dropna(), index)
        for f in NUMERIC:
            tol = dict(rel=2e-4, abs=1e-7) if f in scanned else dict(rel=1e-9, abs=1e-14)
            assert float(getattr(res, f)[name]) == pytest.approx(float(getattr(one, f)), nan_ok=True, **tol), (name, f)


def test_blocks_of_staggered_launches_keep_each_fitted_length_together():
    """Funds of different lengths go to blocks in order of their dates, each block at most
    _BLOCK funds and, unless that would leave it less than half full, ending before it
    would split the funds whose noise model is fitted to one length."""
    from xlwings_udfs.analytics.model.definition import fit_lengths
    from xlwings_udfs.analytics.tracking import _BLOCK, _blocks_by_length

    rng = np.random.default_rng(4)
    common = np.concatenate([rng.integers(600, 3800, 3000), np.full(300, 2600)])  # 300 funds of one length
    blocks = _blocks_by_length(common)
    order = np.concatenate(blocks)
    np.testing.assert_array_equal(np.sort(order), np.arange(common.size))
    assert np.all(np.diff(common[order]) >= 0)
    assert all(_BLOCK // 2 <= b.size <= _BLOCK for b in blocks[:-1])
    fitted = [set(fit_lengths(common[b] - 1).tolist()) for b in blocks]
    shared = [a & b for a, b in zip(fitted, fitted[1:])]
    # Only the 300 funds of one length (fitted to 2,592 returns), more than a block holds,
    # and the few of that fitted length beside them, are split.
    assert set().union(*shared) == {2592}
    assert len(blocks) <= -(-common.size // _BLOCK) + 3


def test_panel_as_plain_array_gives_arrays(panel, idx):
    res = tracking_stats(panel.to_numpy(), idx)
    assert res.names is None
    assert isinstance(res.holding_cost, np.ndarray) and res.holding_cost.shape == (5,)
    ref = tracking_stats(panel, pd.Series(idx, index=panel.index))
    np.testing.assert_allclose(res.holding_cost, ref.holding_cost.to_numpy(), rtol=1e-12)
    np.testing.assert_array_equal(res.n_obs, [N - 1, N - 121, N - 334, N - 2, N - 51])
    np.testing.assert_array_equal(res.n_skipped, [0, 0, 0, 1, 0])


def test_panel_with_window_equals_single(panel, idx):
    res = tracking_stats(panel.to_numpy(), idx, window=200)
    for j in range(panel.shape[1]):
        one = tracking_stats(panel.iloc[:, j].to_numpy(), idx, window=200)
        assert res.holding_cost[j] == pytest.approx(one.holding_cost, rel=1e-9)
        assert res.tracking_error[j] == pytest.approx(one.tracking_error, rel=1e-9, abs=1e-14)
        assert res.n_obs[j] == one.n_obs == 200


def test_panel_with_window_over_a_gap_equals_single(idx):
    """Every fund's window holds as many returns, one of them across a missing NAV: the
    model gets the spans of funds of one length (no lengths), and each fund its own."""
    levels = np.column_stack([noisy_fund(idx, seed=40 + j, noise=0.0002) for j in range(3)]).astype(float)
    levels[N - 60, 1] = np.nan
    res = tracking_stats(levels, idx, window=250)
    assert list(res.n_skipped) == [0, 1, 0] and list(res.n_obs) == [250, 250, 250]
    # As in the panel of many lengths: what is read off the single-precision scan (shared by
    # the three funds of one length) agrees to about 5e-5, the rest to rounding.
    scanned = {"holding_cost_se", "holding_cost_lower", "holding_cost_upper",
               "tracking_error_lower", "tracking_error_upper"}
    for j in range(3):
        one = tracking_stats(levels[:, j], idx, window=250)
        for f in NUMERIC:
            tol = dict(rel=2e-4, abs=1e-7) if f in scanned else dict(rel=1e-9, abs=1e-14)
            assert float(getattr(res, f)[j]) == pytest.approx(float(getattr(one, f)), nan_ok=True, **tol), (j, f)


def test_panel_fund_with_too_little_data_is_nan_with_a_note(panel, idx):
    p = panel.copy()
    p["NEW"] = np.nan
    p.iloc[-20:, p.columns.get_loc("NEW")] = idx[-20:] * 1.01
    res = tracking_stats(p, pd.Series(idx, index=p.index))
    assert np.isnan(res.holding_cost["NEW"]) and np.isnan(res.tracking_error["NEW"])
    assert res.n_obs["NEW"] == 19
    assert {n.fund for n in res.notes} == {"NEW"}
    assert str(MIN_RETURNS) in res.reasons("holding_cost", "NEW")[0]
    assert "no rolling window" in res.reasons("rolling_td_median", "NEW")[0]
    # 19 returns are enough for the figures that need only the returns.
    assert np.isfinite(res.tracking_error_traditional["NEW"]) and np.isfinite(res.beta["NEW"])
    short = p.copy()
    short.iloc[:-9, short.columns.get_loc("NEW")] = np.nan
    res = tracking_stats(short, pd.Series(idx, index=p.index))
    assert np.isnan(res.tracking_error_traditional["NEW"]) and np.isnan(res.beta["NEW"])
    assert [n.text for n in res.notes] == ["8 returns on common dates; at least 12 are needed"]
    # The other funds are unaffected.
    ref = tracking_stats(panel, pd.Series(idx, index=panel.index))
    np.testing.assert_allclose(res.holding_cost[panel.columns], ref.holding_cost, rtol=1e-12)


def test_single_fund_with_too_little_data_raises(idx):
    with pytest.raises(NotEnoughData) as e:
        tracking_stats(idx[:12] * 1.01, idx[:12])  # 11 returns
    assert str(e.value) == "fund: 11 returns on dates both series have; at least 12 are needed"
    # 12 returns give the figures that need only the returns; the model needs MIN_RETURNS.
    s = tracking_stats(idx[:13] * 1.01, idx[:13])
    assert np.isfinite(s.tracking_error_traditional) and np.isnan(s.holding_cost)
    assert s.reasons("holding_cost") == [f"12 returns on common dates: the holding cost and the noise-robust "
                                         f"tracking error need at least {MIN_RETURNS}"]
    s = tracking_stats(idx[: MIN_RETURNS + 1] * 1.01, idx[: MIN_RETURNS + 1])
    assert np.isfinite(s.holding_cost) and not s.reasons("holding_cost")


def test_to_frame_lists_the_figures(panel, idx):
    frame = tracking_stats(panel, pd.Series(idx, index=panel.index)).to_frame()
    assert list(frame.index) == list(TRACKING_FIGURES)
    assert list(frame.columns) == list(panel.columns)
    one = tracking_stats(panel["F0"], pd.Series(idx, index=panel.index)).to_frame()
    assert one.shape == (len(TRACKING_FIGURES), 1)


# ---------------------------------------------------------------------------------------
# rolling one-year tracking difference
# ---------------------------------------------------------------------------------------

def test_rolling_td_with_dates_uses_calendar_years(idx):
    # A drift per calendar day, so that every window's TD is exp(c * its length in days) - 1;
    # business days: 1 calendar year is about 261 rows, not 252.
    d = pd.bdate_range("2016-01-01", periods=800)
    c = -0.01 / 365
    days = (d - d[0]).days.to_numpy()
    i = index_levels(800, 9)
    st_ = tracking_stats(i * np.exp(c * days), i, dates=d)
    expected = []
    for k, t in enumerate(d):
        before = d[d <= t - pd.DateOffset(years=1)]
        if len(before):
            expected.append(np.expm1(c * (t - before[-1]).days))
    expected = np.array(expected)
    assert st_.rolling_td_windows == expected.size
    assert st_.rolling_td_latest == pytest.approx(expected[-1], rel=1e-9)
    assert st_.rolling_td_median == pytest.approx(np.median(expected), rel=1e-9)
    assert st_.rolling_td_high == pytest.approx(expected.max(), rel=1e-9)
    assert st_.rolling_td_low == pytest.approx(expected.min(), rel=1e-9)
    # A calendar year of business days spans 365-368 days (a weekend, a leap day).
    assert st_.rolling_td_low == pytest.approx(np.expm1(c * 368), rel=1e-9)
    assert st_.rolling_td_high == pytest.approx(np.expm1(c * 365), rel=1e-9)


def test_rolling_td_without_dates_uses_periods_per_year(idx, fund):
    st_ = tracking_stats(fund, idx)
    L = np.log(fund / idx)
    roll = np.expm1(L[252:] - L[:-252])
    assert st_.rolling_td_windows == roll.size
    assert st_.rolling_td_median == pytest.approx(np.median(roll), rel=1e-9)
    assert st_.rolling_td_high == pytest.approx(roll.max(), rel=1e-9)
    assert st_.rolling_td_low == pytest.approx(roll.min(), rel=1e-9)
    assert st_.rolling_td_latest == pytest.approx(roll[-1], rel=1e-9)


def test_rolling_td_on_weekly_data(idx):
    # Weekly: 52 periods a year without dates; with dates, one calendar year back.
    d = pd.date_range("2010-01-01", periods=200, freq="W-FRI")
    i = index_levels(200, 4)
    f = noisy_fund(i, 5)
    st_ = tracking_stats(f, i, dates=d)
    L = np.log(f / i)
    # the last Friday on or before a year back, give or take half a week: 52 returns a window
    start = [np.flatnonzero(d <= t - pd.DateOffset(years=1) + pd.Timedelta(days=3.5)) for t in d]
    roll = np.array([np.expm1(L[k] - L[s[-1]]) for k, s in enumerate(start) if s.size])
    assert st_.periods_per_year == 52.0
    assert st_.rolling_td_windows == roll.size
    assert st_.rolling_td_median == pytest.approx(np.median(roll), rel=1e-9)


def test_rolling_td_needs_a_year(idx, fund):
    st_ = tracking_stats(fund[:200], idx[:200])
    assert st_.rolling_td_windows == 0
    assert np.isnan(st_.rolling_td_median) and np.isnan(st_.rolling_td_latest)


def test_rolling_td_across_a_gap(idx, fund, dates):
    # A skipped date does not break the windows: levels compound across it.
    f = fund.astype(float).copy()
    f[400] = np.nan
    st_ = tracking_stats(f, idx, dates=dates)
    keep = np.arange(N) != 400
    ref = tracking_stats(fund[keep], idx[keep], dates=dates[keep])
    assert st_.rolling_td_median == pytest.approx(ref.rolling_td_median, rel=1e-12)
    assert st_.rolling_td_windows == ref.rolling_td_windows


# ---------------------------------------------------------------------------------------
# beta, R-squared, alpha, Dimson beta
# ---------------------------------------------------------------------------------------

def _returns_to_levels(r):
    return 100.0 * np.exp(np.concatenate([[0.0], np.cumsum(r)]))


def test_beta_alpha_r_squared_known():
    rng = np.random.default_rng(7)
    ri = rng.normal(0.0, 0.01, 3000)
    eps = rng.normal(0.0, 0.004, 3000)
    rf = 0.0001 + 1.3 * ri + eps
    st_ = tracking_stats(_returns_to_levels(rf), _returns_to_levels(ri))
    # OLS on the same returns, by numpy.
    slope, intercept = np.polyfit(ri, rf, 1)
    assert st_.beta == pytest.approx(slope, rel=1e-9)
    assert st_.alpha == pytest.approx(252 * intercept, rel=1e-6)
    assert st_.r_squared == pytest.approx(np.corrcoef(ri, rf)[0, 1] ** 2, rel=1e-9)
    # ... and close to the truth: R^2 = 1.69e-4 / (1.69e-4 + 1.6e-5).
    assert st_.beta == pytest.approx(1.3, abs=0.02)
    assert st_.r_squared == pytest.approx(1.69 / 1.85, abs=0.01)


def test_dimson_beta_recovers_beta_of_a_lagging_fund():
    # The fund's price reflects the index move one day late: r_f,t = 0.9 r_i,t-1. The plain
    # beta sees nothing of it; the Dimson beta adds the slope on the lagged index return.
    rng = np.random.default_rng(3)
    ri = rng.normal(0.0, 0.01, 2000)
    rf = np.concatenate([[0.0], 0.9 * ri[:-1]]) + rng.normal(0.0, 0.001, 2000)
    st_ = tracking_stats(_returns_to_levels(rf), _returns_to_levels(ri))
    assert st_.beta == pytest.approx(0.0, abs=0.05)
    assert st_.beta_dimson == pytest.approx(0.9, abs=0.03)


def test_dimson_beta_with_partly_stale_prices():
    # 40% of the move shows a day late (stale prices): plain beta ~0.6 * 1.1, Dimson ~1.1.
    rng = np.random.default_rng(4)
    ri = rng.normal(0.0, 0.01, 2000)
    rf = 1.1 * (0.6 * ri + 0.4 * np.concatenate([[0.0], ri[:-1]])) + rng.normal(0.0, 0.001, 2000)
    st_ = tracking_stats(_returns_to_levels(rf), _returns_to_levels(ri))
    assert st_.beta == pytest.approx(0.66, abs=0.03)
    assert st_.beta_dimson == pytest.approx(1.1, abs=0.03)


def test_dimson_equals_plain_beta_without_lags():
    rng = np.random.default_rng(5)
    ri = rng.normal(0.0, 0.01, 2000)
    rf = 0.8 * ri + rng.normal(0.0, 0.002, 2000)
    st_ = tracking_stats(_returns_to_levels(rf), _returns_to_levels(ri))
    assert st_.beta_dimson == pytest.approx(st_.beta, abs=0.02)


def test_dimson_beta_of_a_fund_with_a_flat_index_is_nan_and_spares_the_others(idx):
    # Fund B exists only while the index stands still: its lead/lag regression is singular.
    index = idx.copy()
    index[300:360] = index[300]
    rng = np.random.default_rng(6)
    a = noisy_fund(index, seed=7)
    b = np.full(index.size, np.nan)
    b[300:360] = 50.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, 60)))
    panel = tracking_stats(np.column_stack([a, b]), index)
    assert np.isnan(panel.beta_dimson[1])
    assert panel.beta_dimson[0] == pytest.approx(tracking_stats(a, index).beta_dimson, rel=1e-12)


# ---------------------------------------------------------------------------------------
# errors: a ValueError subclass whose message names the argument and the row
# ---------------------------------------------------------------------------------------

def _error(**kw):
    with pytest.raises(InputError) as e:
        tracking_stats(**kw)
    assert isinstance(e.value, ValueError)
    return e.value


def test_text_level(idx, fund):
    f = list(fund)
    f[6] = "n/a"
    e = _error(fund=f, index=idx)
    assert str(e).startswith("fund:") and "row 7" in str(e) and e.row == 7


def test_boolean_level(idx, fund):
    i = list(idx)
    i[3] = True
    e = _error(fund=fund, index=i)
    assert str(e).startswith("index:") and "row 4" in str(e)


@pytest.mark.parametrize("value", [0.0, -5.0])
@pytest.mark.parametrize("which", ["fund", "index"])
def test_zero_or_negative_level(idx, fund, value, which):
    f, i = fund.copy(), idx.copy()
    (f if which == "fund" else i)[41] = value
    e = _error(fund=f, index=i)
    assert str(e).startswith(f"{which}:") and "row 42" in str(e) and "positive" in str(e)


def test_infinite_level(idx, fund):
    f = fund.copy()
    f[9] = np.inf
    e = _error(fund=f, index=idx)
    assert str(e).startswith("fund:") and "row 10" in str(e)


def test_text_in_a_panel_names_the_column_and_row(panel, idx):
    p = panel.astype(object).copy()
    p.iloc[17, 2] = "#N/A"
    e = _error(fund=p, index=pd.Series(idx, index=panel.index))
    assert "F2" in str(e) and "row 18" in str(e)


def test_duplicate_dates(idx, fund, dates):
    d = dates.to_list()
    d[100] = d[99]
    e = _error(fund=fund, index=idx, dates=d)
    assert str(e).startswith("dates:") and "duplicate" in str(e) and "row 101" in str(e)


def test_unsorted_dates(idx, fund, dates):
    d = dates.to_list()
    d[100], d[101] = d[101], d[100]  # rows 101 and 102: row 102 is the first out of order
    e = _error(fund=fund, index=idx, dates=d)
    assert str(e).startswith("dates:") and "ascending" in str(e) and "row 102" in str(e)


def test_duplicate_dates_in_a_series_index(idx, fund, dates):
    d = dates.to_list()
    d[10] = d[9]
    e = _error(fund=pd.Series(fund, index=pd.DatetimeIndex(d)), index=pd.Series(idx, index=dates))
    assert "fund" in str(e) and "row 11" in str(e)


def test_text_and_blank_dates(idx, fund, dates):
    d = dates.to_list()
    d[4] = "not a date"
    e = _error(fund=fund, index=idx, dates=d)
    assert str(e).startswith("dates:") and "row 5" in str(e)
    d = dates.to_list()
    d[8] = None
    e = _error(fund=fund, index=idx, dates=d)
    assert str(e).startswith("dates:") and "row 9" in str(e)


def test_mismatched_lengths(idx, fund, dates):
    # No single bad cell here: the message names the argument and both lengths, which is
    # where one series stops.
    e = _error(fund=fund[:-3], index=idx)
    assert str(e).startswith("index:") and str(N) in str(e) and str(N - 3) in str(e)
    e = _error(fund=fund, index=idx, dates=dates[:-1])
    assert str(e).startswith("dates:") and str(N) in str(e) and str(N - 1) in str(e)


def test_too_few_common_returns(idx, fund):
    # Enough data in each series, but too little on common dates.
    f = fund.astype(float).copy()
    i = idx.astype(float).copy()
    f[: N // 2] = np.nan
    i[N // 2 + 10:] = np.nan
    with pytest.raises(NotEnoughData) as e:
        tracking_stats(f, i)
    assert isinstance(e.value, ValueError)
    assert str(e.value).startswith("fund:") and "9 returns" in str(e.value)


def test_a_2d_panel_for_the_index_is_an_error(idx, panel):
    e = _error(fund=panel.to_numpy(), index=panel.to_numpy())
    assert str(e).startswith("index")


def test_bad_periods_per_year(idx, fund):
    for bad in (0, -12, "daily", float("nan")):
        e = _error(fund=fund, index=idx, periods_per_year=bad)
        assert str(e).startswith("periods_per_year")


def test_one_year_before_follows_the_calendar():
    from xlwings_udfs.analytics.rolling import one_year_before as _one_year_before

    rng = np.random.default_rng(3)
    stamps = pd.to_datetime(rng.integers(pd.Timestamp("1680-01-01").value, pd.Timestamp("2262-01-01").value, 3000))
    special = pd.to_datetime(["2024-02-29", "2024-02-29 13:45", "2024-02-28", "2024-03-01", "2025-02-28",
                              "2025-03-01", "2100-03-01", "2000-02-29", "2001-02-28 23:59:59.999999999"],
                             format="ISO8601")
    stamps = stamps.append(special).as_unit("ns")

    def reference(t: pd.Timestamp) -> pd.Timestamp:
        day = t.normalize()
        leap_day = (day.month, day.day) == (2, 29)
        back = day.replace(year=day.year - 1, day=28) if leap_day else day.replace(year=day.year - 1)
        return back + (t - day)

    got = _one_year_before(stamps.asi8)
    np.testing.assert_array_equal(got, [reference(t).value for t in stamps])


def test_callers_inputs_are_left_as_they_were():
    """Series on the same dates are used as given (not reindexed copies): nothing may write
    into them, nor into arrays or panels."""
    from xlwings_udfs.analytics import market_impact_stats, performance_gap

    dates = pd.bdate_range("2020-01-01", periods=400)
    rng = np.random.default_rng(8)
    idx = pd.Series(100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, 400))), index=dates)
    fund = idx * np.exp(np.cumsum(rng.normal(0.0, 0.0005, 400)))
    panel = pd.DataFrame({"A": fund, "B": fund * 1.1})
    panel.iloc[:50, 1] = np.nan
    volume = pd.Series(rng.uniform(1e4, 2e4, 400), index=dates)
    inputs = [idx, fund, panel, volume, fund.to_numpy(), idx.to_numpy()]
    before = [x.copy() for x in inputs]
    tracking_stats(fund, idx)
    tracking_stats(panel, idx)
    tracking_stats(fund.to_numpy(), idx.to_numpy(), dates=dates)
    market_impact_stats(fund, idx, volume)
    performance_gap(fund, idx, None, dates[10], dates[-1])
    for x, y in zip(inputs, before):
        if isinstance(x, np.ndarray):
            np.testing.assert_array_equal(x, y)
        else:
            assert x.equals(y), type(x)


@pytest.mark.parametrize("tz", ["America/New_York", "UTC"])
def test_series_with_a_time_zone_align_on_their_dates(tz):
    """Dates with a time zone are compared as given: a fund starting later still meets its
    index on the dates both have."""
    from xlwings_udfs.analytics import performance_gap

    dates = pd.date_range("2020-01-01", periods=300, freq="B", tz=tz)
    rng = np.random.default_rng(9)
    idx = pd.Series(100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, 300))), index=dates)
    fund = idx.iloc[5:] * np.exp(np.cumsum(rng.normal(0.0, 0.0005, 295)))
    res = tracking_stats(fund, idx)
    assert res.n_obs == 294
    naive = tracking_stats(fund.tz_localize(None), idx.tz_localize(None))
    assert res.holding_cost == pytest.approx(naive.holding_cost, rel=1e-12)
    gap = performance_gap(idx, idx.iloc[3:], None, dates[10].tz_localize(None), dates[-1].tz_localize(None))
    assert gap.gap == pytest.approx(0.0, abs=1e-15)


# ----------------------------------------------------------------------------------------
# every figure that cannot be given says why
# ----------------------------------------------------------------------------------------

_KINDS = ("random", "identical", "fund constant", "index constant", "short")


@pytest.mark.parametrize("seed", range(12))
def test_every_missing_figure_comes_with_its_reason(seed):
    """Degenerate funds of a panel (identical to the index, flat, against a flat index, too
    short for the model or for anything): every figure that is NaN has a note saying why."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(14, 300))
    index = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    columns = {}
    for j, kind in enumerate(rng.choice(_KINDS, 6)):
        f = index * np.exp(np.cumsum(rng.normal(0, 1e-4, n)))
        if kind == "identical":
            f = index.copy()
        elif kind == "fund constant":
            f = np.full(n, 50.0)
        elif kind == "short":
            f[: n - int(rng.integers(2, 40))] = np.nan
        columns[f"{kind} {j}"] = f
    idx = index.copy()
    if "index constant" in " ".join(columns):
        idx[: n // 2] = idx[0]  # a flat index for half the sample: the flat funds see only that
        for name in columns:
            if name.startswith("index constant"):
                columns[name][n // 2:] = np.nan
    dates = pd.bdate_range("2020-01-01", periods=n)
    stats = tracking_stats(pd.DataFrame(columns, index=dates), pd.Series(idx, index=dates))
    for name in columns:
        for key in TRACKING_FIGURES:
            figure = getattr(stats, key)
            value = float(figure[name] if isinstance(figure, pd.Series) else figure)
            if np.isnan(value):
                assert stats.reasons(key, name), f"{name}: {key} is NaN without a note ({stats.notes})"
