"""Load on a real xlwings Server: concurrent clients against serial calls.

Run: ``python benchmarks/bench_server.py`` (needs xlwings-server: ``pip install -e ".[bench]"``
on Python 3.11+). It starts xlwings Server with the package plugged in as the README says
(``tests/server_harness.py``: ``xlwings-server init`` in a temporary folder, uvicorn on a free
127.0.0.1 port), and sends a fixed list of requests, as the Office.js add-in posts them, from
``--clients`` threads at once (8 by default, each over its own keep-alive connection). Then it
starts a second, fresh server (an empty result cache, like the first) and sends the same
requests one after another. It prints:

* for the concurrent run, latency per function and overall (p50 and p95, milliseconds from
  sending a request to reading its answer) and requests per second;
* the serial run's time, requests per second and latencies, for comparison;
* the count of unexpected answers (a status other than the one expected) and of results that
  differ between the two runs. Both must be 0: the script exits 1 otherwise.

The requests are drawn (``--seed``) from a pool of distinct calls built from the embedded
sample: single funds of 60, 250 and 782 daily rows and ten years of SPY against the S&P 500
(every tracking function), panels of three and nine funds (``ETF_ANALYTICS``), the total-cost
grid of the template's What-If sheet (``ETF_TOTAL_COST``), market impact and the bid-ask
spread, and bad inputs that must be answered 400 (text in a level range, an error cell, too
few rows, and a rolling one-year figure of less than a year). Every call of the pool is sent
once and the rest of the requests are drawn again from it, so some requests repeat an earlier
one and are answered from the functions' result cache, as a recalculation of an unchanged
sheet would be.

Traffic goes to 127.0.0.1 only; every request has a timeout, and the run is bounded by the
request count.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from timing import blas_note, pin_blas_threads  # noqa: E402

if __name__ == "__main__":
    pin_blas_threads()  # the servers it starts inherit it

from server_harness import column, error_object, running_server  # noqa: E402

from xlwings_udfs.data import load_cn_etf, load_spy_sp500, sample_panel  # noqa: E402


@dataclass(frozen=True)
class Call:
    label: str          # how the call is reported: the function, and its kind of input
    func: str
    args: tuple
    expect: int = 200   # the HTTP status it must get


@dataclass
class Answer:
    status: int
    body: object        # the result (200) or the message (otherwise)
    ms: float


def _pool() -> list[Call]:
    """Distinct calls: every function on inputs of several sizes, and some bad inputs."""
    nav, index = sample_panel("nav"), sample_panel("index")
    price, volume = sample_panel("price"), sample_panel("volume")
    dates = nav.index
    calls: list[Call] = []
    tracking = ["ETF_HOLDING_COST", "ETF_TRACKING_ERROR", "ETF_TRACKING_ERROR_TRADITIONAL",
                "ETF_TRACKING_DIFFERENCE", "ETF_ROLLING_TD", "ETF_BETA", "ETF_R_SQUARED", "ETF_ANALYTICS"]
    for rows in (60, 250, 782):
        for fund in nav.columns:
            f, b, d = nav[fund].iloc[-rows:], index[fund].iloc[-rows:], dates[-rows:]
            args = (column(f.tolist(), "NAV"), column(b.tolist(), "Index"), column(list(d), "Date"))
            for func in tracking:
                # a rolling one-year window needs more than a year of data: 400, not enough data
                short = func == "ETF_ROLLING_TD" and rows < 260
                calls.append(Call(f"{func} ({rows} rows)", func, args, 400 if short else 200))
            calls.append(Call(f"ETF_MARKET_IMPACT ({rows} rows)", "ETF_MARKET_IMPACT",
                              (column(price[fund].iloc[-rows:].tolist()), column(f.tolist()),
                               column(volume[fund].iloc[-rows:].tolist()), column(list(d)))))
    spy = load_spy_sp500()
    spy_args = (column(spy["spy_close"].tolist()), column(spy["sp500_close"].tolist()), column(list(spy.index)))
    for func in ("ETF_HOLDING_COST", "ETF_TRACKING_ERROR", "ETF_ANALYTICS"):
        calls.append(Call(f"{func} ({len(spy)} rows)", func, spy_args))
    for width in (3, 9):
        panel = nav.iloc[:, :width]
        cells = [list(panel.columns)] + panel.to_numpy().tolist()
        for window in (None, 252, 500):
            calls.append(Call(f"ETF_ANALYTICS (panel of {width})", "ETF_ANALYTICS",
                              (cells, column(index.iloc[:, 0].tolist(), "Index"), column(list(dates), "Date"),
                               None, window)))
    for size in (10_000, 100_000, 1_000_000, 10_000_000, 100_000_000):
        for years in (1, 2, 3, 5, 10, 20):
            calls.append(Call("ETF_TOTAL_COST (grid)", "ETF_TOTAL_COST",
                              (size, years, 10, -0.0023, 0.0012, 0.004, 0.0009, "square_root", 0.0002)))
    cn = load_cn_etf()
    for rows in (30, 57):
        calls.append(Call(f"ETF_SPREAD ({rows} rows)", "ETF_SPREAD",
                          tuple(column(cn[c].iloc[-rows:].tolist()) for c in ("open", "high", "low", "close"))))
    fund, bench = nav.iloc[:, 0].tolist(), index.iloc[:, 0].tolist()
    text = column(fund)
    text[100] = ["n/a"]
    err = column(bench)
    err[7] = [error_object("#N/A")]
    calls += [
        Call("bad input (text in a level range)", "ETF_HOLDING_COST", (text, column(bench), column(list(dates))), 400),
        Call("bad input (an error cell)", "ETF_TRACKING_ERROR", (column(fund), err, column(list(dates))), 400),
        Call("bad input (too few rows)", "ETF_HOLDING_COST",
             (column(fund[:12]), column(bench[:12]), column(list(dates[:12]))), 400),
        Call("bad input (text as trade size)", "ETF_TOTAL_COST", ("a lot", 3, 10, -0.0023), 400),
    ]
    return calls


def _answer(client, call: Call) -> Answer:
    t0 = time.perf_counter()
    r = client.call(call.func, list(call.args))
    ms = (time.perf_counter() - t0) * 1e3
    body = r.json()["result"] if r.status == 200 else r.text
    return Answer(r.status, body, ms)


def _concurrent(server, requests: list[Call], clients: int) -> tuple[list[Answer], float]:
    answers: list[Answer | None] = [None] * len(requests)
    lock = threading.Lock()
    next_i = iter(range(len(requests)))
    failures: list[BaseException] = []

    def worker():
        with server.client() as c:
            c.meta()  # the add-in loads the metadata once, before its first call
            while True:
                with lock:
                    i = next(next_i, None)
                if i is None:
                    return
                try:
                    answers[i] = _answer(c, requests[i])
                except BaseException as err:  # noqa: BLE001 - reported below
                    failures.append(err)
                    return

    threads = [threading.Thread(target=worker, name=f"client-{k}") for k in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    if failures:
        raise RuntimeError(f"{len(failures)} client(s) failed: {failures[0]!r}")
    return answers, wall  # type: ignore[return-value]


def _serial(server, requests: list[Call]) -> tuple[list[Answer], float]:
    with server.client() as c:
        c.meta()
        t0 = time.perf_counter()
        answers = [_answer(c, call) for call in requests]
        return answers, time.perf_counter() - t0


def _pct(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def _table(requests: list[Call], answers: list[Answer], wall: float, title: str) -> None:
    by_label: dict[str, list[float]] = defaultdict(list)
    for call, a in zip(requests, answers):
        by_label[call.label].append(a.ms)
    ms = [a.ms for a in answers]
    print(f"\n{title}: {len(answers)} requests in {wall:.2f} s, {len(answers) / wall:.1f} requests/s")
    print(f"  {'function (input)':<44s}{'n':>5s}{'p50 ms':>10s}{'p95 ms':>10s}")
    for label in sorted(by_label):
        v = by_label[label]
        print(f"  {label:<44s}{len(v):5d}{_pct(v, 50):10.1f}{_pct(v, 95):10.1f}")
    print(f"  {'all':<44s}{len(ms):5d}{_pct(ms, 50):10.1f}{_pct(ms, 95):10.1f}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--requests", type=int, default=600, help="requests in each run (default 600)")
    p.add_argument("--clients", type=int, default=8, help="concurrent client threads (default 8)")
    p.add_argument("--workers", type=int, default=1,
                   help="uvicorn worker processes (default 1, as xlwings-server runs)")
    p.add_argument("--seed", type=int, default=2024)
    args = p.parse_args(argv)

    print(blas_note())
    pool = _pool()
    rng = random.Random(args.seed)
    # every call of the pool once (as many as fit), the rest drawn again: repeats
    requests = pool[:args.requests] + [rng.choice(pool) for _ in range(args.requests - len(pool))]
    rng.shuffle(requests)
    distinct = len({id(c) for c in requests})
    print(f"{len(requests)} requests drawn from {len(pool)} distinct calls ({distinct} distinct "
          f"among them, the rest answered from the result cache); "
          f"{sum(c.expect == 400 for c in requests)} bad inputs expected to be 400")

    with running_server(workers=args.workers) as server:
        print(f"xlwings Server on {server.url} (pid {server.pid}, {args.workers} worker(s)), "
              f"{args.clients} concurrent clients")
        conc, conc_wall = _concurrent(server, requests, args.clients)
    with running_server(workers=args.workers) as server:
        ser, ser_wall = _serial(server, requests)

    _table(requests, conc, conc_wall, f"concurrent ({args.clients} clients)")
    _table(requests, ser, ser_wall, "serial (one client, a fresh server)")

    unexpected = [(c, a) for c, a in zip(requests, conc) if a.status != c.expect]
    unexpected += [(c, a) for c, a in zip(requests, ser) if a.status != c.expect]
    differ = [(c, a, b) for c, a, b in zip(requests, conc, ser) if (a.status, a.body) != (b.status, b.body)]
    print(f"\nunexpected answers: {len(unexpected)}; results differing between the runs: {len(differ)}")
    for c, a in unexpected[:5]:
        print(f"  {c.label}: HTTP {a.status} (expected {c.expect}): {str(a.body)[:200]}")
    for c, a, b in differ[:5]:
        print(f"  {c.label}: concurrent {str(a.body)[:100]} / serial {str(b.body)[:100]}")
    messages = sorted({str(a.body) for c, a in zip(requests, conc) if c.expect == 400})
    if messages:
        print("400 messages:\n" + "\n".join(f"  {m}" for m in messages))
    print(f"\nserial {ser_wall:.2f} s against concurrent {conc_wall:.2f} s "
          f"({ser_wall / conc_wall:.2f}x)")
    return 1 if unexpected or differ else 0


if __name__ == "__main__":
    sys.exit(main())
