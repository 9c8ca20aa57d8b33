"""Under load: many threads at once, a flood of distinct inputs, and a million rows.

xlwings Server runs custom functions on a thread pool, and classic xlwings may call them
from several threads, so the functions and their shared cache must give every thread the
answer it would get alone. The cache must stay within its bounds however many distinct
inputs arrive, and a whole-column or million-row selection must not exhaust memory (xlwings
Lite, for one, has 2 GB in all).
"""
from __future__ import annotations

import datetime as dt
import json
import os
import random
import subprocess
import sys
import textwrap
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from strategies import CLASSIC, OFFICE_JS, business_days, column, date_cells, outcome
from xlwings_udfs import excel
from xlwings_udfs import functions as F

ROOT = Path(__file__).resolve().parents[1]
THREADS = 8


def _tracking_input(seed: int, n: int, host: str, dated: bool = True):
    rng = np.random.default_rng(seed)
    index = 100 * np.exp(np.cumsum(rng.normal(0.0003, 0.01, n)))
    fund = index * np.exp(np.cumsum(rng.normal(-1e-5, 3e-4, n)) + rng.normal(0, 1e-3, n))
    dates = business_days(dt.datetime(2015, 1, 5), n)
    return (column(list(fund)), column(list(index)),
            column(date_cells(dates, host)) if dated else None)


def _market_input(seed: int, n: int, host: str):
    rng = np.random.default_rng(seed)
    nav = 50 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    price = nav * np.exp(rng.normal(0, 0.002, n))
    volume = np.round(rng.lognormal(9, 1, n))
    dates = business_days(dt.datetime(2018, 1, 2), n)
    return (column(list(price)), column(list(nav)), column(list(volume)),
            column(date_cells(dates, host)))


def _calls():
    """(function, args, host): several inputs, several functions, both hosts, good and bad."""
    calls = []
    for k in range(6):
        host = (CLASSIC, OFFICE_JS)[k % 2]
        args = _tracking_input(k, 300 + 60 * k, host, dated=k != 3)
        for fn in (F.ETF_HOLDING_COST, F.ETF_TRACKING_ERROR, F.ETF_TRACKING_DIFFERENCE, F.ETF_ANALYTICS,
                   F.ETF_ROLLING_TD, F.ETF_BETA):
            calls.append((fn, args, host))
        calls.append((F.ETF_HOLDING_COST, args + (None, 60), host))
    for k in range(2):
        host = (CLASSIC, OFFICE_JS)[k]
        calls.append((F.ETF_MARKET_IMPACT, _market_input(10 + k, 250, host), host))
    # The same bad cells on both hosts: text in the cell on one, an exception on the other.
    fund, index, dates = _tracking_input(99, 200, CLASSIC)
    bad = fund[:50] + [["n/a"]] + fund[51:]
    short = (fund[:10], index[:10], dates[:10])
    for host in (CLASSIC, OFFICE_JS):
        calls.append((F.ETF_HOLDING_COST, (bad, index, dates), host))
        calls.append((F.ETF_TRACKING_ERROR, short, host))
    calls.append((F.ETF_TOTAL_COST, (1e6, 3, 10, -0.0023, 0.0002), CLASSIC))
    return calls


@pytest.fixture
def fresh_cache():
    """An empty cache with its usual bounds, restored afterwards."""
    cache = excel.cache
    saved = (cache.max_entries, cache.max_bytes)
    cache.clear()
    yield cache
    cache.configure(*saved)
    cache.clear()


def _run_concurrently(tasks, threads=THREADS):
    barrier = threading.Barrier(threads)

    def work(chunk):
        barrier.wait()  # all threads start together, so that calls really overlap
        return [(i, outcome(fn, args, host)) for i, (fn, args, host) in chunk]

    chunks = [tasks[t::threads] for t in range(threads)]
    with ThreadPoolExecutor(threads) as pool:
        done = list(pool.map(work, chunks))
    return dict(pair for chunk in done for pair in chunk)


@pytest.mark.parametrize("cached", [True, False], ids=["shared cache", "no cache"])
def test_threads_give_the_sequential_results(fresh_cache, cached):
    calls = _calls()
    expected = [outcome(fn, args, host) for fn, args, host in calls]
    assert any(not e.ok for e in expected) and any(e.ok for e in expected)
    fresh_cache.clear()
    if not cached:
        fresh_cache.configure(max_entries=0)  # every thread computes: the estimators' own safety
    repeats = 4
    tasks = [(i % len(calls), calls[i % len(calls)]) for i in range(repeats * len(calls))]
    random.Random(1).shuffle(tasks)
    got = _run_concurrently([(k, call) for k, (_, call) in enumerate(tasks)])
    mismatches = []
    for k, (i, (fn, _, host)) in enumerate(tasks):
        if got[k] != expected[i]:
            mismatches.append(f"{fn.__name__} ({host}): {got[k]!r} != {expected[i]!r}")
    assert not mismatches, f"{len(mismatches)} of {len(tasks)} differ; first: {mismatches[:3]}"
    if not cached:
        assert len(fresh_cache) == 0


def test_host_of_one_thread_does_not_leak_into_another(fresh_cache):
    """Office.js raises, classic returns text: a thread must keep its own host."""
    fund, index, dates = _tracking_input(5, 80, CLASSIC)
    bad = ([["x"]] + fund[1:], index, dates)

    def as_host(host):
        out = outcome(F.ETF_HOLDING_COST, bad, host)  # asserts the per-host form of the error
        return out.error

    with ThreadPoolExecutor(THREADS) as pool:
        errors = list(pool.map(as_host, [CLASSIC, OFFICE_JS] * 50))
    assert len(set(errors)) == 1, set(errors)
    assert excel.host() == CLASSIC


def _flood(n_inputs: int, rows: int, threads: int = THREADS, watch=None):
    rng = np.random.default_rng(123)
    inputs = []
    for _ in range(n_inputs):
        index = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, rows)))
        fund = index * np.exp(rng.normal(0, 1e-3, rows))
        inputs.append((column(list(fund)), column(list(index))))

    def work(k):
        out = outcome(F.ETF_TRACKING_DIFFERENCE, inputs[k], CLASSIC)
        if watch is not None:
            watch()
        return out

    with ThreadPoolExecutor(threads) as pool:
        outs = list(pool.map(work, range(n_inputs)))
    assert all(o.ok for o in outs), [o.error for o in outs if not o.ok][:3]


def test_cache_stays_within_its_entry_bound(fresh_cache):
    fresh_cache.configure(max_entries=16)
    seen = []

    def watch():
        s = fresh_cache.stats()
        seen.append(s["entries"])
        assert s["entries"] <= 16 and s["bytes"] <= s["max_bytes"], s

    _flood(120, 40, watch=watch)
    assert max(seen) <= 16
    assert fresh_cache.stats()["misses"] >= 120


def test_cache_stays_within_its_byte_bound(fresh_cache):
    limit = 40_000
    fresh_cache.configure(max_entries=10_000, max_bytes=limit)

    def watch():
        assert fresh_cache.nbytes <= limit, fresh_cache.stats()

    _flood(80, 400, watch=watch)
    s = fresh_cache.stats()
    assert 0 < s["bytes"] <= limit and s["entries"] < 80, s


def test_default_cache_bound_holds_under_a_flood(fresh_cache):
    """More distinct inputs than the default bound allows."""
    bound = fresh_cache.max_entries
    assert 0 < bound < 100_000 and 0 < fresh_cache.max_bytes <= 2**30
    _flood(bound + 40, 35)
    s = fresh_cache.stats()
    assert s["entries"] <= bound and s["bytes"] <= s["max_bytes"], s


def test_cache_hit_is_not_shared_mutable_state(fresh_cache):
    """A caller changing a returned table must not change what the next caller gets."""
    args = _tracking_input(7, 120, CLASSIC)
    first = F.ETF_ANALYTICS(*args)
    size = len(first)
    first[0][1] = "changed"
    first.append(["extra"])
    again = F.ETF_ANALYTICS(*args)
    assert len(again) == size and again[0][1] != "changed"


# ----------------------------------------------------------------------------------------
# a million rows
# ----------------------------------------------------------------------------------------

_MEMORY_SCRIPT = textwrap.dedent("""
    import datetime as dt, json, os, resource, sys, threading, time
    import numpy as np
    from xlwings_udfs import excel, functions as F

    scenario, host = sys.argv[1], sys.argv[2]
    limit_mb = float(sys.argv[3])
    page = os.sysconf("SC_PAGE_SIZE")

    def rss_mb():
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * page / 2**20

    n = 1_000_000
    rng = np.random.default_rng(0)
    # small daily moves, so that a million of them keep the levels in a plausible range
    index = 100 * np.exp(np.cumsum(rng.normal(0.0, 0.001, n)))
    fund = index * np.exp(np.cumsum(rng.normal(-1e-6, 2e-5, n)) + rng.normal(0, 1e-4, n))
    if scenario == "analytics":
        args = ([[float(x)] for x in fund], [[float(x)] for x in index])
        fn = F.ETF_ANALYTICS
    elif scenario == "holding_cost_panel":
        m = n // 4   # four funds, a million cells
        args = ([[float(fund[k]), float(fund[k] * 1.01), float(index[k]), float(fund[k] * 0.99)]
                 for k in range(m)], [[float(x)] for x in index[:m]])
        fn = F.ETF_HOLDING_COST
    elif scenario == "market_impact":
        vol = np.round(rng.lognormal(9, 1, n))
        args = ([[float(x)] for x in fund], [[float(x)] for x in fund * np.exp(rng.normal(0, 1e-3, n))],
                [[float(x)] for x in vol])
        fn = F.ETF_MARKET_IMPACT
    elif scenario == "whole_column":
        # B:B selected with 5,000 dated rows filled; Excel sends all 1,048,576 rows
        rows, filled = 1_048_576, 5_000
        start = dt.datetime(2004, 1, 5)
        days = [start + dt.timedelta(days=k + 2 * (k // 5)) for k in range(filled)]
        d = days if host == "classic" else [(x - dt.datetime(1899, 12, 30)).days + 0.0 for x in days]
        pad = [[None]] * (rows - filled)
        args = ([[float(x)] for x in fund[:filled]] + pad, [[float(x)] for x in index[:filled]] + pad,
                [[x] for x in d] + pad)
        fn = F.ETF_ANALYTICS
    else:
        raise SystemExit("unknown scenario " + scenario)
    del fund, index
    base = rss_mb()
    peak = [base]
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            now = rss_mb()
            peak[0] = max(peak[0], now)
            if now - base > limit_mb:   # far over: stop before the machine does
                print(json.dumps({"killed": True, "base_mb": base, "peak_mb": now}), flush=True)
                os._exit(3)
            time.sleep(0.005)

    threading.Thread(target=watch, daemon=True).start()
    t = time.perf_counter()
    with excel.use_host(host):
        try:
            out = fn(*args)
        except Exception as err:
            out = "raised " + type(err).__name__ + ": " + str(err)
    seconds = time.perf_counter() - t
    stop.set()
    peak[0] = max(peak[0], rss_mb())
    print(json.dumps({"killed": False, "base_mb": base, "peak_mb": peak[0], "seconds": seconds,
                      "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "result": repr(out)[:300]}))
""")

BUDGET_MB = 500


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads memory use from /proc")
@pytest.mark.parametrize("scenario, host", [
    ("analytics", CLASSIC),
    ("holding_cost_panel", OFFICE_JS),
    ("market_impact", CLASSIC),
    ("whole_column", CLASSIC),
    ("whole_column", OFFICE_JS),
])
def test_a_million_rows_fit_in_memory(scenario, host):
    """Peak memory of the call itself stays under 500 MB, and the call returns a figure.

    Measured above the process with its inputs already built: a million rows of Python cells
    take 90-110 MB a column before the function is called, which the host pays, not the
    function. A watchdog stops the process at three times the budget, so a regression fails
    the test instead of exhausting the machine."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("XLWINGS_ON_SERVER", None)
    proc = subprocess.run([sys.executable, "-c", _MEMORY_SCRIPT, scenario, host, str(3 * BUDGET_MB)],
                          capture_output=True, text=True, timeout=600, env=env, cwd=ROOT)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    assert lines, (proc.returncode, proc.stderr[-2000:])
    r = json.loads(lines[-1])
    used = r["peak_mb"] - r["base_mb"]
    assert not r["killed"], f"stopped after {used:.0f} MB above the inputs (budget {BUDGET_MB} MB)"
    assert used < BUDGET_MB, f"{used:.0f} MB above the inputs ({r})"
    result = r["result"]
    assert "internal error" not in result and "raised" not in result and not result.startswith("'#"), r
