"""The shipped sample data: it loads, it is what the generator writes, and its truth is sane."""
from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from xlwings_udfs import data
from xlwings_udfs.data import generate_sample as gen
from xlwings_udfs.data import real_extracts

EM = ["SYN-EMA", "SYN-EMB"]
THIN = "SYN-DIVID"
#: The folder of the raw source files (data/README.md lists them), when the machine has them.
RAW_DIR = Path(os.environ.get("ETF_RAW_DATA_DIR", "")) if os.environ.get("ETF_RAW_DATA_DIR") else None


@pytest.fixture(scope="module")
def universe() -> pd.DataFrame:
    return data.load_sample_universe()


@pytest.fixture(scope="module")
def funds() -> pd.DataFrame:
    return data.load_sample_funds()


@pytest.fixture(scope="module")
def log_diff() -> pd.DataFrame:
    """Daily log return difference fund minus index, dates x funds."""
    nav = data.sample_panel("nav")
    index = data.sample_panel("index")
    return (np.log(nav).diff() - np.log(index).diff()).iloc[1:]


# --------------------------------------------------------------------------------------------
# files and loaders
# --------------------------------------------------------------------------------------------
def test_files_are_package_resources():
    root = resources.files("xlwings_udfs.data")
    for name in (
        "sample_universe.csv",
        "sample_funds.csv",
        "spy_sp500.csv.gz",
        "cn_159501.csv",
        "LICENSES/mplfinance_LICENSE.txt",
        "LICENSES/arch_LICENSE.md",
        "LICENSES/nasdaq100-cn-etf-rv_LICENSE.txt",
    ):
        assert root.joinpath(name).is_file(), name


def test_universe_loads(universe):
    assert list(universe.columns) == ["date", "fund", "nav", "index", "price", "volume"]
    assert pd.api.types.is_datetime64_any_dtype(universe["date"])
    assert universe["volume"].dtype == np.int64
    assert not universe.isna().any().any()


def test_nine_funds_in_table_order(universe, funds):
    assert len(funds) == 9
    assert funds.index.is_unique
    assert list(pd.unique(universe["fund"])) == list(funds.index)
    assert funds["synthetic"].all()
    assert all(t.startswith("SYN-") for t in funds.index)
    assert all(n.lower().startswith("synthetic") for n in funds["name"])
    assert funds["shaped_after"].str.len().gt(0).all()


def test_business_days(universe):
    dates = pd.DatetimeIndex(pd.unique(universe["date"]))
    assert len(dates) >= 756
    assert dates.is_monotonic_increasing
    assert (dates.day_of_week < 5).all()
    assert dates[0] == pd.Timestamp(gen.START)
    assert dates[-1] == pd.Timestamp(gen.END)
    per_fund = universe.groupby("fund")["date"].agg(["count", "nunique"])
    assert (per_fund["count"] == len(dates)).all()
    assert (per_fund["nunique"] == len(dates)).all()


def test_levels_positive_and_volume_nonnegative(universe):
    for col in ("nav", "index", "price"):
        assert np.isfinite(universe[col]).all()
        assert (universe[col] > 0).all(), col
    assert (universe["volume"] >= 0).all()


def test_shared_indexes():
    index = data.sample_panel("index")
    for a, b in [("SYN-SP500A", "SYN-SP500B"), ("SYN-EMA", "SYN-EMB"), ("SYN-GOLDA", "SYN-GOLDB")]:
        pd.testing.assert_series_equal(index[a], index[b], check_names=False)
    assert not index["SYN-SP500A"].equals(index["SYN-EQWT"])


def test_thin_fund_has_days_without_trades():
    volume = data.sample_panel("volume")
    price = data.sample_panel("price")
    zero = volume == 0
    assert zero[THIN].sum() >= 50
    assert not zero.drop(columns=THIN).any().any()
    # a day without trades reports the previous close
    stale = zero[THIN].to_numpy()
    prev = price[THIN].shift(1).to_numpy()
    np.testing.assert_array_equal(price[THIN].to_numpy()[stale], prev[stale])


def test_sample_panel_selection():
    nav = data.sample_panel("nav", ["SYN-EMB", "SYN-EMA"])
    assert list(nav.columns) == ["SYN-EMB", "SYN-EMA"]
    assert isinstance(nav.index, pd.DatetimeIndex) and nav.index.name == "date"
    one = data.sample_panel("price", "SYN-GOLDA")
    assert list(one.columns) == ["SYN-GOLDA"]
    with pytest.raises(ValueError, match="field"):
        data.sample_panel("close")
    with pytest.raises(KeyError, match="NOPE"):
        data.sample_panel("nav", ["SYN-EMA", "NOPE"])


def test_loaders_return_copies():
    a = data.load_sample_universe()
    a.loc[0, "nav"] = -1.0
    assert data.load_sample_universe().loc[0, "nav"] > 0
    f = data.load_sample_funds()
    f["true_holding_cost"] = 0.0
    assert (data.load_sample_funds()["true_holding_cost"] < 0).all()
    s = data.load_spy_sp500()
    s.iloc[0, 0] = np.nan
    assert data.load_spy_sp500().notna().all().all()


# --------------------------------------------------------------------------------------------
# reproducibility
# --------------------------------------------------------------------------------------------
def _packaged(name: str) -> pd.DataFrame:
    with resources.files("xlwings_udfs.data").joinpath(name).open("rb") as fh:
        return pd.read_csv(fh, compression="gzip" if name.endswith(".gz") else None)


def _assert_same_table(new: pd.DataFrame, old: pd.DataFrame, atol: float = 0.0) -> None:
    assert list(new.columns) == list(old.columns)
    assert new.shape == old.shape
    for col in new.columns:
        if pd.api.types.is_float_dtype(old[col]):
            # one unit in the last written decimal: allows a last-bit difference in exp/log
            # between CPUs to flip a rounding; on one machine the values are identical
            np.testing.assert_allclose(new[col], old[col], rtol=0, atol=atol, err_msg=col)
        else:
            pd.testing.assert_series_equal(new[col], old[col], check_exact=True)


def test_generator_reproduces_shipped_files(tmp_path):
    written = gen.write_synthetic(tmp_path)
    assert sorted(p.name for p in written) == ["sample_funds.csv", "sample_universe.csv"]
    _assert_same_table(
        pd.read_csv(tmp_path / "sample_universe.csv"), _packaged("sample_universe.csv"), 1.01e-6
    )
    _assert_same_table(pd.read_csv(tmp_path / "sample_funds.csv"), _packaged("sample_funds.csv"))


def test_generator_is_deterministic_in_memory():
    u1, f1 = gen.simulate()
    u2, f2 = gen.simulate()
    pd.testing.assert_frame_equal(u1, u2, check_exact=True)
    pd.testing.assert_frame_equal(f1, f2, check_exact=True)
    u3, _ = gen.simulate(seed=gen.SEED + 1)
    assert not u1["nav"].equals(u3["nav"])


@pytest.mark.skipif(
    RAW_DIR is None or not (RAW_DIR / "spy_daily_2008_2017.csv.gz").exists(),
    reason="raw source files not available (set ETF_RAW_DATA_DIR)",
)
def test_real_extracts_reproduce_shipped_files(tmp_path):
    real_extracts.write_real(RAW_DIR, tmp_path)
    for name in ("spy_sp500.csv.gz", "cn_159501.csv"):
        new = pd.read_csv(tmp_path / name)
        _assert_same_table(new, _packaged(name))
    assert (tmp_path / "cn_159501.csv").read_bytes() == (
        resources.files("xlwings_udfs.data").joinpath("cn_159501.csv").read_bytes()
    )


# --------------------------------------------------------------------------------------------
# the true parameters
# --------------------------------------------------------------------------------------------
def test_parameter_table(funds):
    assert (funds["true_holding_cost"] < 0).all()
    assert (funds["true_tracking_error"] > 0).all()
    assert (funds["expense_ratio"] > 0).all()
    assert funds.loc["SYN-EQWT", "true_holding_cost"] == pytest.approx(-0.0056)
    assert funds.loc["SYN-FUNDW", "true_holding_cost"] == pytest.approx(-0.0040)
    s_u2 = funds["true_tracking_error"] ** 2 / 252
    # the emerging-markets funds carry heavy timing noise; one of them takes days to catch up
    assert (funds.loc[EM, "noise_sd"] ** 2 >= 3 * s_u2[EM]).all()
    assert funds.loc["SYN-EMB", "noise_phi"] == pytest.approx(0.6)
    assert funds.loc["SYN-EMA", "noise_phi"] == 0.0
    # premiums are largest for the emerging-markets and the thinly traded fund
    big = funds.loc[EM + [THIN], "premium_sd"].min()
    assert big > funds.drop(index=EM + [THIN])["premium_sd"].max()
    assert funds.loc[THIN, "trade_probability"] < 1.0


def test_realized_drift_matches_holding_cost(funds, log_diff):
    n = len(log_diff)
    for fund, row in funds.iterrows():
        s_u = row["true_tracking_error"] / np.sqrt(252)
        # mean of d = (L_T - L_0) / n: random-walk part n * s_u^2, noise part <= 2 * noise_sd^2
        se_annual = 252 * np.sqrt(n * s_u**2 + 2 * row["noise_sd"] ** 2) / n
        realized = 252 * log_diff[fund].mean()
        z = (realized - row["true_holding_cost"]) / se_annual
        assert abs(z) < 4, (fund, realized, row["true_holding_cost"], z)


def test_traditional_tracking_error_matches_model(funds, log_diff):
    for fund, row in funds.iterrows():
        s_u2 = row["true_tracking_error"] ** 2 / 252
        expected = np.sqrt(252 * (s_u2 + 2 * row["noise_sd"] ** 2 * (1 - row["noise_phi"])))
        traditional = np.sqrt(252) * log_diff[fund].std()
        assert traditional == pytest.approx(expected, rel=0.15), fund


def test_em_traditional_tracking_error_is_inflated(funds, log_diff):
    for fund in EM:
        traditional = np.sqrt(252) * log_diff[fund].std()
        assert traditional >= 2 * funds.loc[fund, "true_tracking_error"], fund


def test_noise_shows_as_negative_autocorrelation(funds, log_diff):
    # d_t = mu + u_t + e_t - e_{t-1}; with var(e) = v and AR(1) coefficient phi,
    # cov(d_t, d_{t-1}) = -v (1 - phi)^2 and var(d) = s_u^2 + 2 v (1 - phi)
    for fund in EM:
        row = funds.loc[fund]
        s_u2 = row["true_tracking_error"] ** 2 / 252
        v, phi = row["noise_sd"] ** 2, row["noise_phi"]
        expected = -v * (1 - phi) ** 2 / (s_u2 + 2 * v * (1 - phi))
        realized = log_diff[fund].autocorr(1)
        assert realized < 0, fund
        assert realized == pytest.approx(expected, abs=4 / np.sqrt(len(log_diff))), fund


def test_premium_and_dollar_volume_match_parameters(funds):
    nav = data.sample_panel("nav")
    price = data.sample_panel("price")
    volume = data.sample_panel("volume")
    premium = np.log(price / nav)
    dollars = price * volume
    for fund, row in funds.iterrows():
        if row["trade_probability"] < 1:
            assert dollars[fund].mean() == pytest.approx(row["mean_dollar_volume"], rel=0.3)
            continue
        assert premium[fund].std() == pytest.approx(row["premium_sd"], rel=0.2), fund
        assert abs(premium[fund].mean()) < 3 * row["premium_sd"] / np.sqrt(len(premium) / 4)
        assert dollars[fund].mean() == pytest.approx(row["mean_dollar_volume"], rel=0.1), fund


# --------------------------------------------------------------------------------------------
# real data
# --------------------------------------------------------------------------------------------
def test_spy_sp500_pair():
    df = data.load_spy_sp500()
    assert list(df.columns) == ["spy_close", "spy_adj_close", "spy_volume", "sp500_close"]
    assert 2400 <= len(df) <= 2600
    assert isinstance(df.index, pd.DatetimeIndex) and df.index.is_monotonic_increasing
    assert df.index.is_unique
    assert df.index[0] == pd.Timestamp("2007-12-31")
    assert df.index[-1] == pd.Timestamp("2017-12-29")
    assert (df > 0).all().all()
    # SPY trades near a tenth of the index, and moves with it day by day
    ratio = df["spy_close"] / df["sp500_close"]
    assert ratio.between(0.095, 0.105).all()
    r = np.log(df[["spy_close", "sp500_close"]]).diff().dropna()
    assert r.corr().iloc[0, 1] > 0.98
    # known first values, copied unchanged
    assert df["spy_close"].iloc[0] == 146.210007
    assert df["sp500_close"].iloc[0] == 1468.359985
    assert df["spy_volume"].iloc[0] == 108126800


def test_cn_etf():
    full = data.load_cn_etf()
    assert list(full.columns) == ["close", "open", "high", "low", "volume", "amount", "nav"]
    assert len(full) == 57
    assert isinstance(full.index, pd.DatetimeIndex) and full.index.is_monotonic_increasing
    # The NAV file starts a day before the prices: that first row has the NAV only.
    first = full.iloc[0]
    assert full.index[0] == pd.Timestamp("2025-12-31") and first.isna().sum() == 6 and first["nav"] > 0
    df = full.iloc[1:]
    assert len(df) == 56 and df.notna().all().all()
    assert (df[["close", "open", "high", "low", "nav"]] > 0).all().all()
    assert (df["high"] >= df[["open", "close", "low"]].max(axis=1)).all()
    premium = np.log(df["close"] / df["nav"])
    assert premium.min() > -0.01 and premium.max() < 0.10
    # amount (CNY) is about volume (shares) times the day's price
    vwap = df["amount"] / df["volume"]
    assert (vwap.between(df["low"] * 0.999, df["high"] * 1.001)).all()
