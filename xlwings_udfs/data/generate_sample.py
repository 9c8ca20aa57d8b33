"""Build the sample data set shipped in ``xlwings_udfs/data``.

Run ``python -m xlwings_udfs.data.generate_sample`` to rewrite the synthetic files in place,
or ``python -m xlwings_udfs.data.generate_sample --out DIR`` to write them elsewhere. With
``--source DIR`` (a folder holding the raw real-data files, see ``data/README.md``), the
real-data extracts are rebuilt too.

Synthetic files (fixed seed, exactly reproducible):

* ``sample_universe.csv``: long format, one row per fund and business day
  (``date, fund, nav, index, price, volume``).
* ``sample_funds.csv``: one row per fund with the true parameters of the simulation.

Real-data extracts (``real_extracts``; values copied unchanged, only joined on date):

* ``spy_sp500.csv.gz``: SPY close, adjusted close and volume with the S&P 500 price index.
* ``cn_159501.csv``: the Shenzhen-listed Nasdaq-100 ETF 159501, prices, volume and NAV (on
  every date of either file: the first row has a NAV and no prices).

Notes
-----
For each fund, with the index log level :math:`\\ln I_t` and the business-day counter
:math:`t = 0, 1, \\ldots, T-1`, the cumulative log difference fund minus index is

.. math::

    L_t = \\mu t + w_t + e_t, \\qquad w_t = \\sum_{s=1}^{t} u_s,\\; u_s \\sim N(0, s_u^2),

    e_t = \\phi e_{t-1} + \\eta_t,\\; \\eta_t \\sim N(0, \\sigma_e^2 (1 - \\phi^2)),

with :math:`e_0 \\sim N(0, \\sigma_e^2)` (so the noise is stationary with standard deviation
:math:`\\sigma_e`, ``noise_sd``; :math:`\\phi = 0` is white noise). The NAV is

.. math::

    \\mathrm{NAV}_t = \\mathrm{NAV}_0 \\frac{I_t}{I_0} \\exp(L_t - L_0).

The true parameters are :math:`\\mathrm{EHC} = 252 \\mu` and
:math:`\\mathrm{TE} = \\sqrt{252}\\, s_u`. The daily difference :math:`d_t = L_t - L_{t-1}` has
variance :math:`s_u^2 + 2\\sigma_e^2(1-\\phi)`, so the traditional tracking error
:math:`\\sqrt{252}\\,\\mathrm{sd}(d)` exceeds the true one whenever there is noise.

The market price is :math:`P_t = \\mathrm{NAV}_t \\exp(p_t)` with a stationary AR(1) premium
:math:`p_t` (standard deviation ``premium_sd``, autocorrelation ``premium_phi``). Volume in
shares is the day's dollar volume (log-normal around ``mean_dollar_volume``) divided by the
price, in round lots of 100. A fund with ``trade_probability`` below one has days without
trades: their volume is 0 and their price is the previous day's (a stale last-trade close, as
exchanges report it).

Index log returns follow a one-factor model with Student-t (5 degrees of freedom) shocks
scaled to the stated annual volatility, so index returns are fat-tailed and the equity
indexes are correlated. Levels are rounded to 6 decimals, far below every simulated noise.
"""
from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from .real_extracts import write_real

__all__ = [
    "SEED",
    "START",
    "END",
    "PERIODS_PER_YEAR",
    "IndexSpec",
    "FundSpec",
    "INDEXES",
    "FUNDS",
    "simulate",
    "write_synthetic",
    "main",
]

SEED = 20110622
START = "2022-01-03"
END = "2024-12-31"
PERIODS_PER_YEAR = 252
_T_DF = 5  # degrees of freedom of the fat-tailed index shocks
_LEVEL_DECIMALS = 6

UNIVERSE_FILE = "sample_universe.csv"
FUNDS_FILE = "sample_funds.csv"


@dataclass(frozen=True)
class IndexSpec:
    """A simulated index: a price level driven by fat-tailed log returns."""

    key: str
    name: str
    start_level: float
    annual_vol: float
    annual_drift: float
    factor_loading: float  # correlation with the common equity factor


@dataclass(frozen=True)
class FundSpec:
    """A simulated fund and the true parameters of its tracking and trading."""

    fund: str
    name: str
    category: str
    index: str  # IndexSpec.key
    shaped_after: str
    expense_ratio: float
    true_holding_cost: float  # annual, 252 * mu; negative = the fund lags
    true_tracking_error: float  # annual, sqrt(252) * s_u
    noise_sd: float  # stationary sd of the timing noise e (daily, log units)
    noise_phi: float  # AR(1) coefficient of e; 0 = white
    premium_sd: float  # stationary sd of ln(price / NAV)
    premium_phi: float
    mean_dollar_volume: float  # expected daily dollar volume
    start_nav: float
    trade_probability: float = 1.0  # share of days with trades
    volume_dispersion: float = 0.35  # sd of log dollar volume on trading days


INDEXES: tuple[IndexSpec, ...] = (
    IndexSpec("SP500", "Synthetic S&P 500-like index", 4000.0, 0.18, 0.08, 0.95),
    IndexSpec("SP500EW", "Synthetic S&P 500 equal-weight-like index", 6000.0, 0.20, 0.08, 0.92),
    IndexSpec("RAFI1000", "Synthetic RAFI US 1000-like index", 15000.0, 0.19, 0.08, 0.93),
    IndexSpec("USDIV", "Synthetic US dividend index", 700.0, 0.15, 0.07, 0.85),
    IndexSpec("EM", "Synthetic emerging-markets index", 1200.0, 0.21, 0.05, 0.65),
    IndexSpec("GOLD", "Synthetic gold price (USD per ounce)", 1800.0, 0.15, 0.05, 0.05),
)

_S = math.sqrt(PERIODS_PER_YEAR)

FUNDS: tuple[FundSpec, ...] = (
    FundSpec(
        "SYN-SP500A", "Synthetic S&P 500 Tracker A", "US equity, large blend", "SP500",
        "SPDR S&P 500 ETF (SPY)",
        expense_ratio=0.0009, true_holding_cost=-0.0010, true_tracking_error=0.0004,
        noise_sd=0.00003, noise_phi=0.0, premium_sd=0.0004, premium_phi=0.2,
        mean_dollar_volume=3.0e10, start_nav=100.0,
    ),
    FundSpec(
        "SYN-SP500B", "Synthetic S&P 500 Tracker B", "US equity, large blend", "SP500",
        "iShares Core S&P 500 ETF (IVV)",
        expense_ratio=0.0004, true_holding_cost=-0.0007, true_tracking_error=0.0003,
        noise_sd=0.00002, noise_phi=0.0, premium_sd=0.0005, premium_phi=0.2,
        mean_dollar_volume=2.0e9, start_nav=100.0,
    ),
    FundSpec(
        "SYN-EQWT", "Synthetic S&P 500 Equal Weight Fund", "US equity, equal weight", "SP500EW",
        "Rydex S&P 500 Equal Weight ETF (RSP)",
        expense_ratio=0.0040, true_holding_cost=-0.0056, true_tracking_error=0.0015,
        noise_sd=0.00008, noise_phi=0.0, premium_sd=0.0008, premium_phi=0.3,
        mean_dollar_volume=1.5e9, start_nav=50.0,
    ),
    FundSpec(
        "SYN-FUNDW", "Synthetic Fundamental-Weighted US 1000 Fund",
        "US equity, fundamental weight", "RAFI1000",
        "PowerShares FTSE RAFI US 1000 Portfolio (PRF)",
        expense_ratio=0.0039, true_holding_cost=-0.0040, true_tracking_error=0.0020,
        noise_sd=0.00010, noise_phi=0.0, premium_sd=0.0010, premium_phi=0.3,
        mean_dollar_volume=5.0e7, start_nav=60.0,
    ),
    FundSpec(
        "SYN-DIVID", "Synthetic US Dividend Fund (thinly traded)", "US equity, dividend",
        "USDIV",
        "a small, thinly traded US dividend ETF (generic)",
        expense_ratio=0.0035, true_holding_cost=-0.0045, true_tracking_error=0.0025,
        noise_sd=0.00015, noise_phi=0.0, premium_sd=0.0030, premium_phi=0.5,
        mean_dollar_volume=3.0e5, start_nav=25.0,
        trade_probability=0.7, volume_dispersion=0.9,
    ),
    FundSpec(
        "SYN-EMA", "Synthetic Emerging Markets Tracker A", "Emerging-markets equity", "EM",
        "iShares MSCI Emerging Markets ETF (EEM)",
        expense_ratio=0.0069, true_holding_cost=-0.0085, true_tracking_error=0.0060,
        # white timing noise, variance 5x the persistent daily variance
        noise_sd=round(math.sqrt(5.0) * 0.0060 / _S, 6), noise_phi=0.0,
        premium_sd=0.0040, premium_phi=0.4,
        mean_dollar_volume=2.5e9, start_nav=40.0,
    ),
    FundSpec(
        "SYN-EMB", "Synthetic Emerging Markets Tracker B", "Emerging-markets equity", "EM",
        "Vanguard FTSE Emerging Markets ETF (VWO)",
        expense_ratio=0.0020, true_holding_cost=-0.0030, true_tracking_error=0.0045,
        # AR(1) timing noise (2-3 days to catch up), variance 8x the persistent daily variance
        noise_sd=round(math.sqrt(8.0) * 0.0045 / _S, 6), noise_phi=0.6,
        premium_sd=0.0035, premium_phi=0.4,
        mean_dollar_volume=8.0e8, start_nav=40.0,
    ),
    FundSpec(
        "SYN-GOLDA", "Synthetic Gold Trust A", "Commodities, precious metals", "GOLD",
        "SPDR Gold Shares (GLD)",
        expense_ratio=0.0040, true_holding_cost=-0.0040, true_tracking_error=0.0005,
        noise_sd=0.00004, noise_phi=0.0, premium_sd=0.0010, premium_phi=0.3,
        mean_dollar_volume=1.5e9, start_nav=180.0,
    ),
    FundSpec(
        "SYN-GOLDB", "Synthetic Gold Trust B", "Commodities, precious metals", "GOLD",
        "iShares Gold Trust (IAU)",
        expense_ratio=0.0025, true_holding_cost=-0.0025, true_tracking_error=0.0006,
        noise_sd=0.00005, noise_phi=0.0, premium_sd=0.0012, premium_phi=0.3,
        mean_dollar_volume=3.0e8, start_nav=20.0,
    ),
)


# ---------------------------------------------------------------------------------------------
# simulation
# ---------------------------------------------------------------------------------------------
def _student_t(rng: np.random.Generator, n: int, df: int = _T_DF) -> np.ndarray:
    """Unit-variance Student-t draws built from normals only (stable across numpy versions)."""
    z = rng.standard_normal(n)
    chi2 = (rng.standard_normal((df, n)) ** 2).sum(axis=0)
    return z / np.sqrt(chi2 / df) * math.sqrt((df - 2) / df)


def _ar1(rng: np.random.Generator, n: int, sd: float, phi: float) -> np.ndarray:
    """Stationary AR(1) path with marginal standard deviation ``sd``."""
    eps = rng.standard_normal(n)
    out = np.empty(n)
    out[0] = sd * eps[0]
    innov = sd * math.sqrt(1.0 - phi * phi)
    for t in range(1, n):
        out[t] = phi * out[t - 1] + innov * eps[t]
    return out


def _simulate_indexes(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Index levels, one array per IndexSpec.key."""
    factor = _student_t(rng, n - 1)
    levels = {}
    for spec in INDEXES:
        own = _student_t(rng, n - 1)
        rho = spec.factor_loading
        shock = rho * factor + math.sqrt(1.0 - rho * rho) * own
        vol = spec.annual_vol / _S
        drift = spec.annual_drift / PERIODS_PER_YEAR - 0.5 * vol * vol
        logret = drift + vol * shock
        log_level = math.log(spec.start_level) + np.concatenate(([0.0], np.cumsum(logret)))
        levels[spec.key] = np.exp(log_level)
    return levels


def _simulate_fund(
    rng: np.random.Generator, spec: FundSpec, index: np.ndarray
) -> dict[str, np.ndarray]:
    n = index.size
    mu = spec.true_holding_cost / PERIODS_PER_YEAR
    s_u = spec.true_tracking_error / _S
    u = s_u * rng.standard_normal(n)
    u[0] = 0.0
    w = np.cumsum(u)
    e = _ar1(rng, n, spec.noise_sd, spec.noise_phi)
    L = mu * np.arange(n) + w + e
    nav = spec.start_nav * index / index[0] * np.exp(L - L[0])

    premium = _ar1(rng, n, spec.premium_sd, spec.premium_phi)
    price = nav * np.exp(premium)

    sig = spec.volume_dispersion
    q = spec.trade_probability
    mult = np.exp(sig * rng.standard_normal(n) - 0.5 * sig * sig) / q
    traded = rng.random(n) < q
    traded[0] = True
    dollars = spec.mean_dollar_volume * mult
    lots = np.maximum(np.rint(dollars / price / 100.0), 1.0)
    volume = np.where(traded, lots * 100.0, 0.0).astype(np.int64)

    # a day without trades reports the last traded price
    idx = np.where(traded, np.arange(n), 0)
    np.maximum.accumulate(idx, out=idx)
    price = price[idx]
    return {"nav": nav, "price": price, "volume": volume}


def simulate(seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulate the sample universe.

    Parameters
    ----------
    seed : int
        Seed of the random generator (PCG64). The shipped files use :data:`SEED`.

    Returns
    -------
    universe : DataFrame
        Long format: ``date`` (ISO string), ``fund``, ``nav``, ``index``, ``price``,
        ``volume``; levels rounded to 6 decimals.
    funds : DataFrame
        One row per fund with the true parameters (the columns of ``sample_funds.csv``).
    """
    dates = pd.bdate_range(START, END)
    n = len(dates)
    iso = dates.strftime("%Y-%m-%d").to_numpy()
    seeds = np.random.SeedSequence(seed).spawn(1 + len(FUNDS))
    levels = _simulate_indexes(np.random.default_rng(seeds[0]), n)

    frames = []
    for spec, ss in zip(FUNDS, seeds[1:]):
        index = levels[spec.index]
        sim = _simulate_fund(np.random.default_rng(ss), spec, index)
        frames.append(
            pd.DataFrame(
                {
                    "date": iso,
                    "fund": spec.fund,
                    "nav": np.round(sim["nav"], _LEVEL_DECIMALS),
                    "index": np.round(index, _LEVEL_DECIMALS),
                    "price": np.round(sim["price"], _LEVEL_DECIMALS),
                    "volume": sim["volume"],
                }
            )
        )
    universe = pd.concat(frames, ignore_index=True)

    index_names = {spec.key: spec.name for spec in INDEXES}
    index_vols = {spec.key: spec.annual_vol for spec in INDEXES}
    rows = []
    for spec in FUNDS:
        rows.append(
            {
                "fund": spec.fund,
                "name": spec.name,
                "category": spec.category,
                "index_name": index_names[spec.index],
                "shaped_after": spec.shaped_after,
                "expense_ratio": spec.expense_ratio,
                "true_holding_cost": spec.true_holding_cost,
                "true_tracking_error": spec.true_tracking_error,
                "noise_sd": spec.noise_sd,
                "noise_phi": spec.noise_phi,
                "premium_sd": spec.premium_sd,
                "premium_phi": spec.premium_phi,
                "mean_dollar_volume": spec.mean_dollar_volume,
                "trade_probability": spec.trade_probability,
                "index_annual_vol": index_vols[spec.index],
                "synthetic": True,
            }
        )
    funds = pd.DataFrame(rows)
    return universe, funds


def _write_csv(df: pd.DataFrame, path: Path, float_format: str | None = None) -> None:
    df.to_csv(path, index=False, lineterminator="\n", float_format=float_format)


def write_synthetic(out_dir: str | Path, seed: int = SEED) -> list[Path]:
    """Write ``sample_universe.csv`` and ``sample_funds.csv`` into ``out_dir``.

    Returns
    -------
    list of Path
        The files written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    universe, funds = simulate(seed)
    _write_csv(universe, out / UNIVERSE_FILE, float_format=f"%.{_LEVEL_DECIMALS}f")
    _write_csv(funds, out / FUNDS_FILE)
    return [out / UNIVERSE_FILE, out / FUNDS_FILE]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m xlwings_udfs.data.generate_sample",
        description="Write the synthetic sample universe (and optionally the real-data extracts).",
    )
    parser.add_argument(
        "--out", default=str(Path(__file__).resolve().parent),
        help="output folder (default: the package's data folder)",
    )
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED})")
    parser.add_argument(
        "--source", default=None,
        help="folder with the raw real-data files; when given, the real extracts are rebuilt",
    )
    args = parser.parse_args(argv)
    written = write_synthetic(args.out, seed=args.seed)
    if args.source is not None:
        written += write_real(args.source, args.out)
    else:
        print("real-data extracts left unchanged (pass --source DIR to rebuild them)")
    for path in written:
        print(f"{path}  {path.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
