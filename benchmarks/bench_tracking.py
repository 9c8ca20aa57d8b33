"""Speed and memory of ``tracking_stats``, each case against its floor measured in the same run.

Run from the repository root::

    python benchmarks/bench_tracking.py            # the full benchmark (a few minutes)
    python benchmarks/bench_tracking.py --quick    # 300-fund panels, fewer rounds (a smoke run)

The floor of a case is the traditional figures in plain numpy (``timing.traditional_figures``:
sd and mean of the daily log differences, beta, R-squared, and the minimum, median and
maximum of the rolling 252-day tracking difference) on data of the same size, one fund per
call, or for a panel the fastest of the panel vectorized whole and in slices of 64, 128 or
256 funds.
Each case and its floor are timed in turn, round after
round, and the medians are reported with their ratio. The targets are ratios:

* one fund, 10 years daily (2,520 returns), with dates, every figure: 10x the floor or less;
* a panel of 3,000 funds x 15 years daily, one history for all: 3.5x or less;
* the same panel with staggered launches (funds of many lengths): 5x or less, the floor
  taken on the full-history panel of the same size.

BLAS is pinned to one thread (the script runs itself again with the thread variables set
before numpy loads; see ``timing.py``). Printed beside the cases, for context: the first
call (which builds the tables that depend only on the sample length), the share of a call
spent in the model (``fit_noise_model`` and ``gls_drift``), the peak memory of a panel
(target 2 GB), a statsmodels ``UnobservedComponents`` fit (the exact-likelihood reference)
and a plain pandas loop over the funds computing only the traditional figures.

Each panel is measured in a child process, so that its peak resident memory
(``resource.getrusage``) is its own; the peak of memory allocated during a call is measured
with ``tracemalloc`` (numpy reports its buffers to it).
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from timing import blas_note, interleaved, pin_blas_threads, ratio_line, time_once, traditional_figures  # noqa: E402

if __name__ == "__main__":
    pin_blas_threads()

import argparse  # noqa: E402
import contextlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from simulate import SCENARIOS, simulate_panel  # noqa: E402
from xlwings_udfs.analytics import tracking  # noqa: E402
from xlwings_udfs.analytics import tracking_stats  # noqa: E402
from xlwings_udfs.analytics.model.definition import fit_lengths  # noqa: E402

A = 252
TARGET_ONE = 10.0        # ratio to the floor
TARGET_PANEL = {"full": 3.5, "staggered": 5.0}
TARGET_PANEL_GB = 2.0
#: The model's entry points as tracking.py calls them; their time is the model's share.
MODEL_CALLS = ("fit_noise_model", "gls_drift")
#: The floor's slices of a panel, in funds: a plain script sliced so runs near the
#: processor's cache. The floor is the fastest of them and of the panel whole, whatever block
#: tracking_stats takes.
FLOOR_SLICES = (64, 128, 256)


# ---------------------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------------------

def make_panel(n_funds: int, years: int, layout: str, seed: int = 0):
    """Fund levels (DataFrame, dates x funds), index levels (Series) and, for the floor, the
    fund levels with every fund's full history (array); business days.

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
    full = index[:, None] * np.exp(L)
    del L, blocks
    fund = full
    if layout == "staggered":
        rng = np.random.default_rng(seed + 1)
        launch = rng.integers(0, (2 * n_ret) // 3, n_funds)
        fund = np.where(np.arange(n_ret + 1)[:, None] < launch[None, :], np.nan, full)
    cols = [f"F{j:04d}" for j in range(n_funds)]
    return (pd.DataFrame(fund, index=dates, columns=cols), pd.Series(index, index=dates, name="index"), full)


# ---------------------------------------------------------------------------------------
# references and the model's share
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


def uc_seconds_per_fund(funds: pd.DataFrame, index: pd.Series, n: int) -> float:
    """Mean seconds of a statsmodels UnobservedComponents fit (lldtrend) over ``n`` funds."""
    import statsmodels.api as sm

    times = []
    for name in funds.columns[:n]:
        pair = pd.concat([funds[name], index], axis=1).dropna()
        L = 100.0 * np.log(pair.iloc[:, 0] / pair.iloc[:, 1]).to_numpy()  # percent
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sm.tsa.UnobservedComponents(L - L[0], level="lldtrend").fit(disp=False)
        times.append(time.perf_counter() - t0)
    return float(np.mean(times))


@contextlib.contextmanager
def model_clock(spent: list[float]):
    """Inside the block, time spent in the model's calls from tracking.py adds to spent[0]."""

    def timed(fn):
        def call(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[0] += time.perf_counter() - t0
        return call

    saved = {name: getattr(tracking, name) for name in MODEL_CALLS if hasattr(tracking, name)}
    for name, fn in saved.items():
        setattr(tracking, name, timed(fn))
    try:
        yield
    finally:
        for name, fn in saved.items():
            setattr(tracking, name, fn)


def model_share(call, rounds: int) -> tuple[float, float]:
    """Median seconds of ``call`` and of the model's part of it, over ``rounds`` calls."""
    spent = [0.0]
    totals, models = [], []
    with model_clock(spent):
        for _ in range(rounds):
            spent[0] = 0.0
            totals.append(time_once(call))
            models.append(spent[0])
    return statistics.median(totals), statistics.median(models)


# ---------------------------------------------------------------------------------------
# measurements
# ---------------------------------------------------------------------------------------

def bench_one_fund(years: int, rounds: int, uc_n: int) -> dict:
    funds, index, _ = make_panel(1, years, "full", seed=11)
    f, i, dates = funds.iloc[:, 0].to_numpy(), index.to_numpy(), funds.index
    calls = {
        "arrays + dates": lambda: tracking_stats(f, i, dates=dates),
        "arrays, no dates": lambda: tracking_stats(f, i),
        "pandas Series": lambda: tracking_stats(funds.iloc[:, 0], index),
    }
    first = {label: time_once(call) for label, call in calls.items()}  # builds the per-length tables
    t = interleaved({**calls, "floor": lambda: traditional_figures(f, i)}, rounds)
    total, model = model_share(calls["arrays + dates"], rounds)
    out = dict(times=t, first=first, split_total=total, split_model=model)
    reps = max(1, rounds // 20)
    out["pandas"] = statistics.median(time_once(lambda: pandas_traditional(funds, index)) for _ in range(reps))
    out["uc"] = uc_seconds_per_fund(make_panel(uc_n, years, "full", seed=12)[0], index, uc_n) if uc_n else float("nan")
    return out


def _rss_now_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _maxrss_mb() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux, bytes on macOS
    return r / 2**20 if sys.platform == "darwin" else r / 2**10


def panel_child(folder: Path, rounds: int, references: bool) -> dict:
    """Run in a fresh process: time against the floor, memory and references for one panel."""
    import tracemalloc

    dates = pd.DatetimeIndex(np.load(folder / "dates.npy"))
    fund = np.load(folder / "fund.npy")
    funds = pd.DataFrame(fund, index=dates, columns=[f"F{j:04d}" for j in range(fund.shape[1])])
    index = pd.Series(np.load(folder / "index.npy"), index=dates)
    floor_fund = np.load(folder / "floor_fund.npy") if (folder / "floor_fund.npy").exists() else fund
    i = index.to_numpy()
    rss_data = _rss_now_mb()
    cold = time_once(lambda: tracking_stats(funds, index))
    maxrss_call = _maxrss_mb()  # before the floor runs: the call's peak alone
    spent = [0.0]
    models = []

    def case():
        spent[0] = 0.0
        tracking_stats(funds, index)
        models.append(spent[0])

    with model_clock(spent):
        sliced = {f"floor_{w}": (lambda w=w: traditional_figures(floor_fund, i, block=w)) for w in FLOOR_SLICES}
        t = interleaved({"case": case, "floor": lambda: traditional_figures(floor_fund, i), **sliced}, rounds)
    tracemalloc.start()
    res = tracking_stats(funds, index)
    traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    pandas_s = time_once(lambda: pandas_traditional(funds, index)) if references else float("nan")
    return dict(
        n_funds=fund.shape[1], n_dates=len(dates), n_lengths=int(np.unique(np.asarray(res.n_obs)).size),
        n_fit_lengths=int(np.unique(fit_lengths(np.asarray(res.n_obs))).size),
        # The floor is the fastest of the plain-numpy forms: a floor that a plain script can beat
        # would flatter the ratio.
        case_s=t["case"], floor_s=min(t["floor"], *(t[f"floor_{w}"] for w in FLOOR_SLICES)),
        floor_whole_s=t["floor"], floor_slices_s=[t[f"floor_{w}"] for w in FLOOR_SLICES],
        cold_s=cold, model_s=statistics.median(models),
        rss_data_mb=rss_data, maxrss_mb=maxrss_call, traced_peak_mb=traced_peak / 2**20, pandas_s=pandas_s,
    )


def bench_panel(n_funds: int, years: int, layout: str, rounds: int, references: bool) -> dict:
    """Simulate the panel here, save it, and measure it in a child process that loads it."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        funds, index, full = make_panel(n_funds, years, layout)
        np.save(folder / "fund.npy", funds.to_numpy())
        np.save(folder / "index.npy", index.to_numpy())
        np.save(folder / "dates.npy", funds.index.to_numpy())
        if layout != "full":  # the floor's full histories, a fund's column contiguous as pandas holds them
            np.save(folder / "floor_fund.npy", np.asfortranarray(full))
        del funds, index, full
        cmd = [sys.executable, __file__, "--child", tmp, "--rounds", str(rounds)]
        if not references:
            cmd.append("--no-references")
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)  # inherits one BLAS thread
    if proc.returncode != 0:
        raise RuntimeError(f"panel child failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------

def _share(model: float, total: float, unit: str = "ms") -> str:
    scale = 1e3 if unit == "ms" else 1.0
    return (f"model ({' + '.join(MODEL_CALLS)}) {model * scale:.2f} {unit}, {model / total:.0%}; "
            f"the rest {(total - model) * scale:.2f} {unit}, {(total - model) / total:.0%}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="300-fund panels, fewer rounds")
    ap.add_argument("--funds", type=int, default=3000)
    ap.add_argument("--years", type=int, default=15)
    ap.add_argument("--one-years", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=None,
                    help="interleaved rounds: one fund 200, panels 5 (quick: 40 and 3)")
    ap.add_argument("--uc-sample", type=int, default=3, help="funds fitted with statsmodels (0: none)")
    ap.add_argument("--layouts", default="full,staggered")
    ap.add_argument("--no-references", action="store_true", help="skip statsmodels and the pandas loop")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    references = not args.no_references
    if args.child:
        print(json.dumps(panel_child(Path(args.child), args.rounds, references)))
        return 0
    if args.quick:
        args.funds = 300
    one_rounds = args.rounds or (40 if args.quick else 200)
    panel_rounds = args.rounds or (3 if args.quick else 5)
    uc_n = args.uc_sample if references else 0

    print(f"tracking_stats benchmark: Python {platform.python_version()}, numpy {np.__version__}, "
          f"pandas {pd.__version__}, {os.cpu_count()} CPUs, {platform.machine()}")
    print(blas_note())
    print("Floor: the traditional figures in plain numpy on data of the same size (sd and mean of the daily "
          "log differences, beta, R-squared, rolling 252-day TD minimum/median/maximum); each case and its "
          "floor timed in turn, medians of the rounds.")
    print()
    rows = []
    one = bench_one_fund(args.one_years, one_rounds, uc_n)
    t, floor = one["times"], one["times"]["floor"]
    print(f"One fund, {args.one_years} years daily ({args.one_years * A} returns), every figure; "
          f"medians of {one_rounds} rounds")
    print(ratio_line("arrays + dates", t["arrays + dates"], floor, TARGET_ONE))
    print(ratio_line("arrays, no dates", t["arrays, no dates"], floor, None))
    print(ratio_line("pandas Series", t["pandas Series"], floor, None))
    print(f"  first call (tables built): {one['first']['arrays + dates'] * 1e3:.1f} ms with dates")
    print(f"  split of a call with dates: {_share(one['split_model'], one['split_total'])}")
    if references:
        if uc_n:
            print(f"  statsmodels UC (lldtrend), one fit: {one['uc'] * 1e3:.0f} ms "
                  f"({one['uc'] / t['arrays + dates']:,.0f}x ours, mean of {uc_n} funds)")
        print(f"  pandas loop, traditional figures only: {one['pandas'] * 1e3:.2f} ms")
    rows.append((f"one fund, {args.one_years} years daily, with dates", t["arrays + dates"], floor, TARGET_ONE, "ms"))
    print()

    for layout in args.layouts.split(","):
        r = bench_panel(args.funds, args.years, layout, panel_rounds, references)
        desc = "one history for all" if layout == "full" else "staggered launches"
        print(f"Panel {r['n_funds']:,} funds x {args.years} years daily ({r['n_dates']:,} dates), {desc}; "
              f"{r['n_lengths']:,} distinct lengths ({r['n_fit_lengths']:,} fitted); medians of {panel_rounds} rounds")
        print(ratio_line(desc, r["case_s"], r["floor_s"], TARGET_PANEL[layout], unit="s"))
        widths = ", ".join(map(str, FLOOR_SLICES[:-1])) + f" and {FLOOR_SLICES[-1]}"
        times = ", ".join(f"{x:.2f}" for x in r["floor_slices_s"])
        print(f"  the floor is the fastest of the panel vectorized whole ({r['floor_whole_s']:.2f} s) and in "
              f"slices of {widths} funds ({times} s)")
        print(f"  first call {r['cold_s']:.2f} s; split of a call: {_share(r['model_s'], r['case_s'], 's')}")
        mem_ok = r["maxrss_mb"] <= TARGET_PANEL_GB * 1024
        print(f"  peak RSS of the process {r['maxrss_mb']:.0f} MB (target {TARGET_PANEL_GB * 1024:.0f} MB: "
              f"{'met' if mem_ok else 'MISSED'}; with the data loaded, before the call: {r['rss_data_mb']:.0f} MB); "
              f"peak allocated during a call (tracemalloc) {r['traced_peak_mb']:.0f} MB")
        if references:
            print(f"  pandas loop, traditional figures only: {r['pandas_s']:.2f} s")
        rows.append((f"panel {r['n_funds']:,} funds x {args.years} years, {desc}", r["case_s"], r["floor_s"],
                     TARGET_PANEL[layout], "s"))
        print()

    print("| case | time | floor | ratio | target |")
    print("|---|---|---|---|---|")
    for label, case, floor, target, unit in rows:
        scale = 1e3 if unit == "ms" else 1.0
        print(f"| {label} | {case * scale:.2f} {unit} | {floor * scale:.2f} {unit} | {case / floor:.1f}x | "
              f"{target:g}x or less |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
