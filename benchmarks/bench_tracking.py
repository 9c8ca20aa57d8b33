"""Speed and memory of ``tracking_stats``, with the reference implementations beside it.

Run from the repository root::

    python benchmarks/bench_tracking.py            # the full benchmark (a few minutes)
    python benchmarks/bench_tracking.py --quick    # smaller panel, fewer repeats (a smoke run)

Prints a table. Targets (issue 2):

* one fund, 10 years daily, all figures: median 2 ms or less;
* a panel of 3,000 funds x 15 years daily: all figures in 5 s or less, peak memory 2 GB or less;
* beside them, measured in the same run: the ratio to statsmodels ``UnobservedComponents``
  (``level="lldtrend"``) fitted fund by fund (extrapolated from a sample of funds), and to a
  plain pandas loop over funds computing only the traditional figures (traditional tracking
  error and point-to-point tracking difference).

The panel is measured in a child process, so that its peak resident memory
(``resource.getrusage``) is its own and not the parent's; the peak of memory allocated during
the call is also measured with ``tracemalloc`` (numpy reports its buffers to it).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from simulate import SCENARIOS, simulate_panel  # noqa: E402
from xlwings_udfs.analytics import tracking_stats  # noqa: E402

A = 252
TARGET_ONE_MS = 2.0
TARGET_PANEL_S = 5.0
TARGET_PANEL_GB = 2.0


# ---------------------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------------------

def make_panel(n_funds: int, years: int, layout: str, seed: int = 0):
    """Fund levels (DataFrame, dates x funds) and index levels (Series), business days.

    ``layout="full"``: every fund has the whole history. ``layout="staggered"``: fund j is
    launched on a random date in the first two thirds of the period (NaN before), as in a
    real universe, so that the funds have many different lengths.
    """
    n_ret = years * A
    dates = pd.bdate_range("2000-01-03", periods=n_ret + 1)
    sc = SCENARIOS["a_white"]
    # Simulated in slices of funds to keep the temporaries small; one index for all.
    blocks = []
    for s in range(0, n_funds, 500):
        p = simulate_panel(sc, min(500, n_funds - s), seed + s, n_returns=n_ret)
        blocks.append(p.L)
    L = np.concatenate(blocks, axis=1)
    index = simulate_panel(sc, 1, seed, n_returns=n_ret).index
    fund = index[:, None] * np.exp(L)
    del L, blocks
    if layout == "staggered":
        rng = np.random.default_rng(seed + 1)
        launch = rng.integers(0, (2 * n_ret) // 3, n_funds)
        fund[np.arange(n_ret + 1)[:, None] < launch[None, :]] = np.nan
    cols = [f"F{j:04d}" for j in range(n_funds)]
    return pd.DataFrame(fund, index=dates, columns=cols), pd.Series(index, index=dates, name="index")


# ---------------------------------------------------------------------------------------
# references
# ---------------------------------------------------------------------------------------

def pandas_traditional(funds: pd.DataFrame, index: pd.Series) -> pd.DataFrame:
    """Traditional figures only, fund by fund, the way a plain pandas script computes them."""
    rows = {}
    for name in funds.columns:
        pair = pd.concat([funds[name], index], axis=1, keys=["f", "i"]).dropna()
        r = np.log(pair).diff().dropna()
        d = r["f"] - r["i"]
        rows[name] = {
            "tracking_error_traditional": d.std() * np.sqrt(A),
            "tracking_difference_cumulative": np.expm1(d.sum()),
            "tracking_difference": np.expm1(A * d.mean()),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def uc_seconds_per_fund(funds: pd.DataFrame, index: pd.Series, n: int, autoregressive: bool = False) -> float:
    """Mean seconds of a statsmodels UnobservedComponents fit (lldtrend) over ``n`` funds."""
    import statsmodels.api as sm

    times = []
    for name in funds.columns[:n]:
        pair = pd.concat([funds[name], index], axis=1).dropna()
        L = 100.0 * np.log(pair.iloc[:, 0] / pair.iloc[:, 1]).to_numpy()  # percent
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = sm.tsa.UnobservedComponents(L - L[0], level="lldtrend",
                                                autoregressive=1 if autoregressive else None)
            model.fit(disp=False)
        times.append(time.perf_counter() - t0)
    return float(np.mean(times))


# ---------------------------------------------------------------------------------------
# measurements
# ---------------------------------------------------------------------------------------

def bench_one_fund(years: int, repeats: int, uc_n: int) -> dict:
    funds, index = make_panel(1, years, "full", seed=11)
    f, i, dates = funds.iloc[:, 0].to_numpy(), index.to_numpy(), funds.index
    out = {}
    for label, call in [
        ("arrays + dates", lambda: tracking_stats(f, i, dates=dates)),
        ("arrays, no dates", lambda: tracking_stats(f, i)),
        ("pandas Series", lambda: tracking_stats(funds.iloc[:, 0], index)),
    ]:
        t0 = time.perf_counter()
        call()  # first call: builds the per-length tables
        first = time.perf_counter() - t0
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            call()
            times.append(time.perf_counter() - t0)
        out[label] = dict(median_ms=1e3 * float(np.median(times)), first_ms=1e3 * first,
                          p90_ms=1e3 * float(np.quantile(times, 0.9)))
    t0 = time.perf_counter()
    for _ in range(max(1, repeats // 10)):
        pandas_traditional(funds, index)
    out["pandas_ms"] = 1e3 * (time.perf_counter() - t0) / max(1, repeats // 10)
    out["uc_ms"] = 1e3 * uc_seconds_per_fund(
        make_panel(uc_n, years, "full", seed=12)[0], index, uc_n) if uc_n else float("nan")
    return out


def _rss_now_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _maxrss_mb() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux, bytes on macOS
    return r / 2**20 if sys.platform == "darwin" else r / 2**10


def _save_panel(funds: pd.DataFrame, index: pd.Series, folder: Path) -> None:
    np.save(folder / "fund.npy", funds.to_numpy())
    np.save(folder / "index.npy", index.to_numpy())
    np.save(folder / "dates.npy", funds.index.to_numpy())


def _load_panel(folder: Path):
    dates = pd.DatetimeIndex(np.load(folder / "dates.npy"))
    fund = np.load(folder / "fund.npy")
    cols = [f"F{j:04d}" for j in range(fund.shape[1])]
    return pd.DataFrame(fund, index=dates, columns=cols), pd.Series(np.load(folder / "index.npy"), index=dates)


def panel_child(folder: Path, uc_n: int) -> dict:
    """Run in a fresh process: time, memory and the references for one saved panel."""
    import tracemalloc

    funds, index = _load_panel(folder)
    n_funds = funds.shape[1]
    rss_data = _rss_now_mb()
    maxrss_before = _maxrss_mb()  # interpreter, libraries and the data
    t0 = time.perf_counter()
    res = tracking_stats(funds, index)
    cold = time.perf_counter() - t0
    warm = traced_peak = float("nan")
    # A first call far over the target is not repeated (it would only take minutes more).
    if cold <= 4 * TARGET_PANEL_S:
        t0 = time.perf_counter()
        res = tracking_stats(funds, index)
        warm = time.perf_counter() - t0
    maxrss_call = _maxrss_mb()
    if cold <= 4 * TARGET_PANEL_S:
        tracemalloc.start()
        tracking_stats(funds, index)
        traced_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    t0 = time.perf_counter()
    pandas_traditional(funds, index)
    pandas_s = time.perf_counter() - t0
    uc_s = uc_seconds_per_fund(funds, index, uc_n) if uc_n else float("nan")
    return dict(
        n_funds=n_funds, n_dates=len(funds), n_lengths=int(np.unique(np.asarray(res.n_obs)).size),
        cold_s=cold, warm_s=warm, best_s=float(np.nanmin([cold, warm])), rss_data_mb=rss_data, maxrss_before_mb=maxrss_before,
        maxrss_mb=maxrss_call, traced_peak_mb=traced_peak / 2**20, pandas_s=pandas_s,
        uc_per_fund_s=uc_s, uc_extrapolated_s=uc_s * n_funds,
    )


def bench_panel(n_funds: int, years: int, layout: str, uc_n: int) -> dict:
    """Simulate the panel here, save it, and measure it in a child process that loads it."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        _save_panel(*make_panel(n_funds, years, layout), Path(tmp))
        cmd = [sys.executable, __file__, "--child", tmp, "--uc-sample", str(uc_n)]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"panel child failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------

def _mark(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="300 funds, fewer repeats")
    ap.add_argument("--funds", type=int, default=3000)
    ap.add_argument("--years", type=int, default=15)
    ap.add_argument("--one-years", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=200)
    ap.add_argument("--uc-sample", type=int, default=5, help="funds fitted with statsmodels")
    ap.add_argument("--layouts", default="full,staggered")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(panel_child(Path(args.child), args.uc_sample)))
        return 0
    if args.quick:
        args.funds, args.repeats, args.uc_sample = 300, 30, 2

    print(f"tracking_stats benchmark: Python {platform.python_version()}, numpy {np.__version__}, "
          f"pandas {pd.__version__}, {os.cpu_count()} CPUs, {platform.machine()}")
    print()
    one = bench_one_fund(args.one_years, args.repeats, args.uc_sample)
    print(f"One fund, {args.one_years} years daily ({args.one_years * A} returns), all figures; "
          f"median of {args.repeats} calls after one warm-up call")
    print(f"  {'input':<20}{'median ms':>11}{'p90 ms':>9}{'first ms':>10}   target <= {TARGET_ONE_MS:g} ms")
    for label in ("arrays + dates", "arrays, no dates", "pandas Series"):
        r = one[label]
        print(f"  {label:<20}{r['median_ms']:>11.2f}{r['p90_ms']:>9.2f}{r['first_ms']:>10.1f}   "
              f"{_mark(r['median_ms'] <= TARGET_ONE_MS)}")
    base = one["arrays + dates"]["median_ms"]
    print(f"  statsmodels UC (lldtrend), one fit: {one['uc_ms']:.0f} ms "
          f"({one['uc_ms'] / base:,.0f}x ours, mean of {args.uc_sample} funds)")
    print(f"  pandas, traditional figures only:  {one['pandas_ms']:.2f} ms ({one['pandas_ms'] / base:.2f}x ours)")
    print()

    for layout in args.layouts.split(","):
        r = bench_panel(args.funds, args.years, layout, args.uc_sample)
        desc = "all funds full history" if layout == "full" else "funds launched on random dates"
        print(f"Panel {r['n_funds']:,} funds x {args.years} years daily ({r['n_dates']:,} dates), "
              f"{desc}; {r['n_lengths']:,} distinct lengths")
        print(f"  time, first call  {r['cold_s']:8.2f} s    target <= {TARGET_PANEL_S:g} s: "
              f"{_mark(r['cold_s'] <= TARGET_PANEL_S)}")
        if np.isfinite(r["warm_s"]):
            print(f"  time, repeat      {r['warm_s']:8.2f} s    target <= {TARGET_PANEL_S:g} s: "
                  f"{_mark(r['warm_s'] <= TARGET_PANEL_S)}")
        else:
            print(f"  time, repeat      (not run: the first call took over {4 * TARGET_PANEL_S:g} s)")
        print(f"  peak RSS process  {r['maxrss_mb']:8.0f} MB   target <= {TARGET_PANEL_GB * 1024:.0f} MB: "
              f"{_mark(r['maxrss_mb'] <= TARGET_PANEL_GB * 1024)}  "
              f"(before the call, with the data loaded: {r['rss_data_mb']:.0f} MB)")
        if np.isfinite(r["traced_peak_mb"]):
            print(f"  peak allocated during the call (tracemalloc) {r['traced_peak_mb']:.0f} MB")
        ours = r["best_s"]
        print(f"  statsmodels UC per fund {r['uc_per_fund_s']:.2f} s (mean of {args.uc_sample}) -> "
              f"{r['uc_extrapolated_s'] / 60:.0f} min for the panel: {r['uc_extrapolated_s'] / ours:,.0f}x ours")
        print(f"  pandas loop, traditional figures only {r['pandas_s']:.2f} s: "
              f"{r['pandas_s'] / ours:.2f}x ours")
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
