"""The holding cost over a trailing window, date by date."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulate import A, SCENARIOS, simulate_panel
from xlwings_udfs import functions as F
from xlwings_udfs.analytics import holding_cost_history, tracking_stats
from xlwings_udfs.analytics.errors import InputError, NotEnoughData
from xlwings_udfs.analytics.history import default_window
from xlwings_udfs.excel import use_host

DATES = pd.bdate_range("2015-01-01", periods=1001)


@pytest.fixture(scope="module")
def fund():
    p = simulate_panel(SCENARIOS["a_white"], 1, 11, n_returns=1000)
    return p.fund[:, 0], p.index


def test_every_row_is_the_windows_own_figure(fund):
    f, i = fund
    h = holding_cost_history(f, i, DATES, window=300)
    assert len(h.holding_cost) == 1000 - 300 + 1 and h.window == 300
    assert h.end[0] == DATES[300] and h.end[-1] == DATES[-1]
    for j in (0, 1, 257, 511, 699):
        end = 300 + j
        alone = tracking_stats(f[: end + 1], i[: end + 1], DATES[: end + 1], window=300)
        # The windows are estimated together, as funds of a panel: the same estimate, its
        # interval read off a single-precision scan that can round differently there.
        assert h.holding_cost[j] == pytest.approx(alone.holding_cost, rel=1e-12, abs=1e-15)
        assert h.holding_cost_se[j] == pytest.approx(alone.holding_cost_se, rel=5e-3)
        assert h.holding_cost_lower[j] == pytest.approx(alone.holding_cost_lower, rel=5e-3, abs=1e-5)


def test_the_last_row_is_exactly_the_holding_cost_with_the_same_window(fund):
    f, i = fund
    h = holding_cost_history(f, i, DATES, window=300)
    alone = tracking_stats(f, i, DATES, window=300)
    for key in ("holding_cost", "holding_cost_lower", "holding_cost_upper", "holding_cost_se"):
        assert getattr(h, key)[-1] == getattr(alone, key)


def test_windows_across_a_missing_nav(fund):
    """A fund with a blank day: the windows over it hold a return across the gap."""
    f, i = fund
    f = f.copy()
    f[700] = np.nan
    h = holding_cost_history(f, i, DATES, window=300)
    for end in (720, len(f) - 1):
        alone = tracking_stats(f[: end + 1], i[: end + 1], DATES[: end + 1], window=300)
        row = int(np.flatnonzero(h.end == DATES[end])[0])
        assert h.holding_cost[row] == pytest.approx(alone.holding_cost, rel=1e-12, abs=1e-15)
    assert h.holding_cost[-1] == tracking_stats(f, i, DATES, window=300).holding_cost


def test_a_fee_cut_halfway_shows_in_the_history():
    """Five years, the holding cost -1% a year for the first half and -0.2% for the second:
    the whole history's EHC is about the average; the trailing windows show the cut."""
    n = 5 * A
    before = simulate_panel(SCENARIOS["d_domestic"].with_(holding_cost=-0.010), 1, 3, n_returns=n // 2)
    after = simulate_panel(SCENARIOS["d_domestic"].with_(holding_cost=-0.002), 1, 4, n_returns=n - n // 2)
    L = np.concatenate([before.L[:, 0], before.L[-1, 0] + after.L[1:, 0] - after.L[0, 0]])
    index = 100 * np.exp(np.cumsum(np.random.default_rng(5).normal(0, 0.01, n + 1)))
    f = index * np.exp(L)
    dates = pd.bdate_range("2019-01-01", periods=n + 1)
    whole = tracking_stats(f, index, dates)
    h = holding_cost_history(f, index, dates, window=A)
    assert whole.holding_cost == pytest.approx(-0.006, abs=0.0015)
    first_year = h.holding_cost[h.end <= dates[2 * A]]
    last_year = h.holding_cost[h.end >= dates[4 * A]]
    assert np.median(first_year) == pytest.approx(-0.010, abs=0.002)
    assert np.median(last_year) == pytest.approx(-0.002, abs=0.002)
    # the interval of a window after the cut excludes the old cost
    assert h.holding_cost_lower[-1] > -0.010


def test_default_window_is_about_three_years():
    assert default_window(252) == 756 and default_window(12) == 36 and default_window(52) == 156
    assert default_window(1) == 30  # never fewer than the model needs


def test_too_short_a_history_says_so(fund):
    f, i = fund
    with pytest.raises(NotEnoughData, match="1000 returns on dates both series have; a window of 1001"):
        holding_cost_history(f, i, DATES, window=1001)
    with pytest.raises(InputError, match="window: must be a whole number from 30"):
        holding_cost_history(f, i, DATES, window=12)
    with pytest.raises(InputError, match="one fund at a time"):
        holding_cost_history(np.column_stack([f, f]), i, DATES, window=300)


@pytest.mark.parametrize("host", ["classic", "officejs"])
def test_the_excel_function_spills_dates_and_figures(fund, host):
    f, i = fund
    col = lambda x: [[float(v)] for v in x]  # noqa: E731
    serials = [[float((d - pd.Timestamp("1899-12-30")).days)] for d in DATES]
    dates = serials if host == "officejs" else [[d.to_pydatetime()] for d in DATES]
    with use_host(host):
        out = F.ETF_HOLDING_COST_HISTORY(col(f), col(i), dates, 300)
        ehc = F.ETF_HOLDING_COST(col(f), col(i), dates, None, 300)
    assert out[0] == ["End of window", "Estimated holding cost (EHC)", "EHC 95% lower", "EHC 95% upper"]
    assert len(out) == 1 + 701 and out[-1][1] == ehc
    # a date is a date for classic xlwings, a serial number for Office.js
    assert out[-1][0] == (serials[-1][0] if host == "officejs" else DATES[-1].to_pydatetime())
