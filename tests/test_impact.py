"""Market impact cost and the bid-ask spread estimate."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from xlwings_udfs.data import load_cn_etf

from xlwings_udfs.analytics.impact import MarketImpact, market_impact, market_impact_stats
from xlwings_udfs.analytics.spread import BidAskSpread, bid_ask_spread, bid_ask_spread_stats
from xlwings_udfs.analytics.errors import InputError, NotEnoughData

SIGMA = 0.002  # true daily sd of the premium
DV = 5e6  # true median daily dollar volume
TRUE_MIC = SIGMA * np.sqrt(100_000 / DV)


def simulate(seed: int, n: int = 250, sigma: float = SIGMA, dv: float = DV, persistent: float = 0.0):
    """price = NAV x exp(premium): premium i.i.d. N(5 bp, sigma) around fair value (plus an
    optional random-walk part), NAV a random walk with 1% daily moves, dollar volume lognormal
    with median ``dv``. Returns price, NAV and volume in shares."""
    rng = np.random.default_rng(seed)
    nav = 50.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, n)))
    premium = 0.0005 + rng.normal(0.0, sigma, n) + np.cumsum(rng.normal(0.0, persistent, n))
    price = nav * np.exp(premium)
    dollars = dv * np.exp(rng.normal(0.0, 0.5, n))
    return price, nav, dollars / price


# ---------------------------------------------------------------------------------------
# known truth
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("volatility", ["changes", "level"])
def test_recovers_known_mic_over_many_seeds(volatility):
    # 250 days a seed: the sampling sd of the estimate is about 8%, so every one of 200 seeds
    # lies within 25% of the truth and their mean within 2% (3.5 standard errors).
    ratios = np.array([
        market_impact_stats(*simulate(seed), volatility=volatility).impact / TRUE_MIC
        for seed in range(200)
    ])
    assert abs(ratios.mean() - 1.0) < 0.02
    assert np.all(np.abs(ratios - 1.0) < 0.25)


def test_result_fields_and_wrapper():
    price, nav, vol = simulate(1)
    st = market_impact_stats(price, nav, vol)
    assert isinstance(st, MarketImpact)
    assert st.method == "premium" and st.note == ""
    assert st.n_obs == 249 and st.n_days == 250 and st.n_no_trade_days == 0
    assert st.volatility == st.premium_vol
    assert st.premium_mean == pytest.approx(0.0005, abs=0.0005)
    assert st.dollar_volume == pytest.approx(DV, rel=0.15)
    assert market_impact(price, nav, vol) == st.impact
    assert st.impact >= 0


def test_square_root_scaling_and_coefficient():
    price, nav, vol = simulate(2)
    base = market_impact(price, nav, vol)
    assert market_impact(price, nav, vol, trade_size=400_000) == pytest.approx(2 * base)
    assert market_impact(price, nav, vol, coefficient=0.5) == pytest.approx(0.5 * base)


def test_volume_in_currency_matches_shares():
    price, nav, vol = simulate(3)
    a = market_impact(price, nav, vol)
    b = market_impact(price, nav, price * vol, volume_unit="currency")
    assert a == pytest.approx(b)


def test_slow_premium_inflates_level_volatility_not_changes():
    # A premium that also wanders (random-walk part, 0.1% a day) is not trade impact: the
    # level's sd grows with it, the change-based default barely moves.
    r_changes = np.mean([market_impact(*simulate(s, persistent=0.001)) for s in range(30)]) / TRUE_MIC
    r_level = np.mean([market_impact(*simulate(s, persistent=0.001), volatility="level")
                       for s in range(30)]) / TRUE_MIC
    assert r_changes < 1.15
    assert r_level > 2.0


# ---------------------------------------------------------------------------------------
# robustness and days without trades
# ---------------------------------------------------------------------------------------

def test_single_bad_price_print():
    price, nav, vol = simulate(4)
    base = market_impact(price, nav, vol)
    bad = price.copy()
    bad[120] *= 1.5  # a fat-finger close, 50% off
    assert market_impact(bad, nav, vol) == pytest.approx(base, rel=0.03)
    # the same print moves a plain standard deviation by a factor of ten or more
    plain = lambda p: np.std(np.diff(np.log(p / nav)))
    assert plain(bad) > 10 * plain(price)


def test_single_bad_nav_and_volume_prints():
    price, nav, vol = simulate(5)
    base = market_impact(price, nav, vol)
    bad_nav = nav.copy()
    bad_nav[60] /= 100.0  # a NAV in the wrong units
    assert market_impact(price, bad_nav, vol) == pytest.approx(base, rel=0.03)
    bad_vol = vol.copy()
    bad_vol[200] *= 1000.0  # a volume error or a huge block trade
    assert market_impact(price, nav, bad_vol) == pytest.approx(base, rel=0.02)


def test_extreme_levels_are_kept_without_overflow():
    """A price of 1e300 against a NAV of 1e-300 is absurd but positive: its premium is
    computed (no overflow to inf, which would drop the day) and the robust scale absorbs it."""
    price, nav, vol = simulate(6)
    base = market_impact_stats(price, nav, vol)
    price[100], nav[100] = 1e300, 1e-300
    with np.errstate(all="raise"):
        extreme = market_impact_stats(price, nav, vol)
    assert extreme.n_obs == base.n_obs
    assert extreme.impact == pytest.approx(base.impact, rel=0.05)


def test_no_trade_days_do_not_count_stale_prices():
    price, nav, vol = simulate(6)
    rng = np.random.default_rng(0)
    quiet = np.sort(rng.choice(np.arange(1, 250), size=60, replace=False))
    stale, v = price.copy(), vol.copy()
    for i in quiet:  # no trades: the vendor repeats the last traded price
        stale[i] = stale[i - 1]
        v[i] = 0.0
    st = market_impact_stats(stale, nav, v)
    assert st.n_no_trade_days == 60
    assert st.n_obs == 250 - 60 - 1
    assert st.method == "premium"
    # premium from traded days only: same volatility as with the full series
    full = market_impact_stats(price, nav, vol)
    assert st.premium_vol == pytest.approx(full.premium_vol, rel=0.15)
    # stale prices against moving NAVs would have inflated it (1% NAV moves vs 0.2% premium)
    with np.errstate(divide="ignore"):
        naive = np.median(np.abs(np.diff(np.log(stale / nav)))) * 1.4826 / np.sqrt(2)
    assert naive > 1.4 * st.premium_vol
    # zero days count in the median dollar volume (24% of days: the median drops, impact rises)
    assert st.dollar_volume < full.dollar_volume


def test_mostly_untraded_uses_mean_dollar_volume():
    price, nav, vol = simulate(7)
    v = vol.copy()
    v[np.arange(250) % 5 >= 2] = 0.0  # trades on 2 days in 5
    st = market_impact_stats(price, nav, v)
    assert st.method == "fallback: mean dollar volume"
    assert "thin trading" in st.note and "150 of 250" in st.note
    assert st.dollar_volume == pytest.approx(np.mean(np.where(v > 0, price * v, 0.0)))
    assert st.n_obs == 99  # premium changes between the 100 traded days


def test_thin_volume_falls_back_to_fund_volatility():
    # 60 days, trades on 10 of them: too few premium changes for the premium method.
    price, nav, vol = simulate(8, n=60)
    v = np.zeros(60)
    v[::6] = vol[::6]
    st = market_impact_stats(price, nav, v)
    assert st.method.startswith("fallback: NAV volatility")
    assert "mean dollar volume" in st.method
    assert "only 9 premium changes" in st.note and "overstates" in st.note
    assert np.isnan(st.premium_vol)
    assert st.volatility == pytest.approx(0.01, rel=0.3)  # the NAV's own daily volatility
    assert st.impact > TRUE_MIC  # an upper figure, as documented


def test_missing_navs_fall_back_to_price_volatility():
    price, nav, vol = simulate(9, n=120)
    f = np.full(120, np.nan)
    f[::10] = nav[::10]  # NAV known on 12 days only
    st = market_impact_stats(price, f, vol)
    assert st.method == "fallback: price volatility"
    assert st.volatility == pytest.approx(0.01, rel=0.25)


def test_no_trades_at_all_is_not_enough_data():
    price, nav, _ = simulate(10, n=40)
    with pytest.raises(NotEnoughData, match="no trades on any of the 40 days"):
        market_impact(price, nav, np.zeros(40))


def test_too_short_is_not_enough_data():
    price, nav, vol = simulate(11, n=8)
    with pytest.raises(NotEnoughData, match=r"at least 20 of one kind are needed") as err:
        market_impact(price, nav, vol)
    assert err.value.argument == "price"


# ---------------------------------------------------------------------------------------
# input errors
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "change, argument, text",
    [
        (lambda a: a.update(volume=np.r_[-1.0, a["volume"][1:]]), "volume", "negative volume"),
        (lambda a: a.update(price=["x"] + list(a["price"][1:])), "price", "non-numeric"),
        (lambda a: a.update(nav=a["nav"][:-1]), "nav", "lengths must match"),
        (lambda a: a.update(volume=[True] + list(a["volume"][1:])), "volume", "boolean"),
        (lambda a: a.update(trade_size=0), "trade_size", "positive"),
        (lambda a: a.update(nav_lag=-1), "nav_lag", "whole number"),
        (lambda a: a.update(volume_unit="lots"), "volume_unit", "must be one of"),
        (lambda a: a.update(dates=pd.date_range("2020-01-03", periods=30, freq="W-FRI")),
         "dates", "daily data"),
    ],
)
def test_bad_inputs_name_the_argument(change, argument, text):
    price, nav, vol = simulate(12, n=30)
    args = dict(price=price, nav=nav, volume=vol)
    change(args)
    with pytest.raises(InputError, match=text) as err:
        market_impact_stats(**args)
    assert str(err.value).startswith(argument + ":")
    assert "\n" not in str(err.value)


def test_pandas_series_dates_are_used():
    price, nav, vol = simulate(13, n=30)
    weekly = pd.date_range("2020-01-03", periods=30, freq="W-FRI")
    with pytest.raises(InputError, match="daily"):
        market_impact(pd.Series(price, index=weekly), nav, vol)
    daily = pd.bdate_range("2020-01-01", periods=30)
    assert market_impact(pd.Series(price, index=daily), nav, vol) > 0


# ---------------------------------------------------------------------------------------
# real data: 159501.SZ, a Nasdaq-100 ETF listed in Shenzhen, with its own NAV
# ---------------------------------------------------------------------------------------

_SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def _cn_etf() -> pd.DataFrame:
    prices = _SHARED / "cn_qdii_159501_prices_2026Q1.csv"
    navs = _SHARED / "cn_qdii_159501_nav_2026Q1.csv"
    if not (prices.exists() and navs.exists()):
        # The package ships the same data joined on the dates both files have (it lacks only
        # the NAV of 2025-12-31, the day before the first price).
        return load_cn_etf()
    p = pd.read_csv(prices, parse_dates=["date"]).set_index("date")
    n = pd.read_csv(navs, parse_dates=["nav_date"]).set_index("nav_date")["unit_nav"]
    dates = p.index.union(n.index)  # the NAV file starts one day earlier (2025-12-31)
    return pd.DataFrame({
        "close": p["close"].reindex(dates), "open": p["open"].reindex(dates),
        "high": p["high"].reindex(dates), "low": p["low"].reindex(dates),
        "volume": p["volume"].reindex(dates), "amount": p["amount"].reindex(dates),
        "nav": n.reindex(dates),
    })


def test_real_qdii_etf_previous_nav_is_the_fair_value():
    # The NAV dated d values the US close of d, which comes after the Shenzhen close of d:
    # the close of d can only know NAV d-1. Compared with the same-day NAV the premium also
    # carries the US session that follows the close, which inflates its volatility.
    d = _cn_etf()
    prev = market_impact_stats(d.close, d.nav, d.volume, d.index, nav_lag=1)
    same = market_impact_stats(d.close, d.nav, d.volume, d.index, nav_lag=0)
    assert prev.n_obs == 55 and prev.method == "premium"
    # the same from the two files' own Series, aligned on their dates
    p = d.dropna(subset=["close"])
    n = d["nav"]
    assert market_impact(p.close, n, p.volume, nav_lag=1) == pytest.approx(prev.impact)
    assert same.premium_vol > 1.3 * prev.premium_vol
    # a large premium (about 4% on the median day), moving about 0.7% a day
    assert 0.02 < prev.premium_mean < 0.06
    assert 0.004 < prev.premium_vol < 0.01


def test_real_qdii_etf_plausible_mic():
    d = _cn_etf()
    # About $100,000 in yuan (roughly 7 yuan to the dollar), against about 86 million yuan
    # (about $12 million) traded on the median day.
    st = market_impact_stats(d.close, d.nav, d.volume, d.index, trade_size=700_000, nav_lag=1)
    assert 60e6 < st.dollar_volume < 120e6
    # Plausible range: above SPY's published 0.0002 (the most liquid ETF: about a thousand
    # times the dollar volume and a premium that barely moves) and below 0.005, which would be
    # most of the premium's own daily move for a trade of under 1% of a day's volume.
    assert 0.0002 < st.impact < 0.005
    # the "amount" column (yuan traded) gives the same figure as close x shares
    by_amount = market_impact(d.close, d.nav, d.amount, d.index, 700_000, nav_lag=1, volume_unit="currency")
    assert by_amount == pytest.approx(st.impact, rel=0.01)
    # the premium level's sd counts the premium's slow slide over the quarter (8% to 2%)
    level = market_impact(d.close, d.nav, d.volume, d.index, 700_000, nav_lag=1, volatility="level")
    assert level > 1.5 * st.impact


# ---------------------------------------------------------------------------------------
# bid-ask spread from OHLC
# ---------------------------------------------------------------------------------------

def simulate_ohlc(seed: int, days: int = 1000, steps: int = 100, spread: float = 0.01, vol: float = 0.02):
    """Efficient log price a random walk (``vol`` a day over ``steps`` trades); each trade at
    the bid or the ask with equal chance, half the ``spread`` from the mid."""
    rng = np.random.default_rng(seed)
    mid = np.cumsum(rng.normal(0.0, vol / np.sqrt(steps), days * steps)).reshape(days, steps)
    side = rng.choice([-1.0, 1.0], size=(days, steps))
    px = 100.0 * np.exp(mid + side * spread / 2)
    return px[:, 0], px.max(axis=1), px.min(axis=1), px[:, -1]


@pytest.mark.parametrize("spread, vol", [(0.01, 0.02), (0.002, 0.005)])
def test_edge_recovers_known_spread(spread, vol):
    # 1000 days a seed. EDGE's sampling sd is about 3.5% of the spread for a 1% spread with 2%
    # daily moves, 4.5% for 0.2% with 0.5% moves (it grows with volatility / spread), with a
    # small upward bias from the square root. 10 seeds: mean within 5%, each within 15%.
    est = np.array([bid_ask_spread(*simulate_ohlc(s, spread=spread, vol=vol)) for s in range(10)])
    assert abs(est.mean() / spread - 1.0) < 0.05
    assert np.all(np.abs(est / spread - 1.0) < 0.15)


def test_spread_stats_fields():
    o, h, lo, c = simulate_ohlc(1, days=300)
    st = bid_ask_spread_stats(o, h, lo, c, pd.bdate_range("2021-01-01", periods=300))
    assert isinstance(st, BidAskSpread)
    assert st.method == "EDGE" and st.n_obs == 300
    assert st.half_spread == st.spread / 2 and st.spread > 0


def test_spread_input_errors():
    o, h, lo, c = simulate_ohlc(2, days=20)
    h2 = h.copy()
    h2[5] = lo[5] * 0.99
    with pytest.raises(InputError, match=r"^high: 1 rows with the high below the low.*row 6$"):
        bid_ask_spread(o, h2, lo, c)
    with pytest.raises(InputError, match="^close: "):
        bid_ask_spread(o, h, lo, c[:-1])
    with pytest.raises(NotEnoughData, match="at least 3"):
        bid_ask_spread(o[:2], h[:2], lo[:2], c[:2])
    flat = np.full(10, 5.0)
    with pytest.raises(NotEnoughData, match="too few days with a price range"):
        bid_ask_spread(flat, flat, flat, flat)


def test_spread_real_qdii_etf_runs():
    # Runs on the real OHLC; 56 days is far too few for a precise figure, so only the order of
    # magnitude is checked: at least the minimum tick (0.001 yuan on about 1.7, 0.06%) and
    # under 1%.
    d = _cn_etf().dropna(subset=["close"])
    st = bid_ask_spread_stats(d.open, d.high, d.low, d.close, d.index)
    assert st.n_obs == 56
    assert 0.0006 < st.spread < 0.01


def test_spread_ignores_rows_outside_the_data():
    # Blank rows before the first or after the last complete day change nothing (EDGE itself
    # averages over every row it is given, so they are left out before it is called).
    cn = load_cn_etf().iloc[1:]
    cols = ("open", "high", "low", "close")
    base = bid_ask_spread_stats(*(cn[c].to_numpy() for c in cols)).spread
    padded = [np.concatenate([[np.nan] * 3, cn[c].to_numpy(), [np.nan] * 2]) for c in cols]
    assert bid_ask_spread_stats(*padded).spread == pytest.approx(base, rel=1e-12)
