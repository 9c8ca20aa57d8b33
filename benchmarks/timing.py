"""What the benchmarks share: one BLAS thread, interleaved medians, and the floor.

* :func:`pin_blas_threads` runs the script again with ``OMP_NUM_THREADS``,
  ``OPENBLAS_NUM_THREADS`` and ``MKL_NUM_THREADS`` set to 1 when they are not, before numpy
  is loaded (a BLAS library reads them once, when it starts): on a machine that is busy with
  other work, BLAS threads wait on each other, and a small product can take several times
  longer than on one thread. Child processes inherit the setting.
* :func:`interleaved` times each contender once per round, in turn, and reports medians
  over the rounds: a case and its floor see the same machine, so their ratio holds when
  the machine slows down or speeds up during a run.
* :func:`traditional_figures` is the floor: the traditional figures in plain numpy, the
  least any implementation of them costs.
"""
from __future__ import annotations

import gc
import os
import statistics
import sys
import time
from typing import Callable

BLAS_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def pin_blas_threads() -> None:
    """Re-execute the running script with one BLAS thread, unless already so.

    Call it before numpy is imported.
    """
    if all(os.environ.get(v) == "1" for v in BLAS_THREAD_VARIABLES):
        return
    if "numpy" in sys.modules:
        raise RuntimeError("pin_blas_threads() must run before numpy is imported")
    env = dict(os.environ, **{v: "1" for v in BLAS_THREAD_VARIABLES})
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], env)


def blas_note() -> str:
    """One line for a report: how many threads BLAS was told to use."""
    values = ", ".join(f"{v}={os.environ.get(v, 'unset')}" for v in BLAS_THREAD_VARIABLES)
    return f"BLAS pinned to one thread ({values}, set before numpy loads)"


def time_once(fn: Callable[[], object], setup: Callable[[], object] | None = None) -> float:
    """Wall time of one call of ``fn`` in seconds, garbage collection off (as timeit)."""
    if setup is not None:
        setup()
    gc.disable()
    try:
        t0 = time.perf_counter()
        fn()
        return time.perf_counter() - t0
    finally:
        gc.enable()


def interleaved(fns: dict[str, Callable[[], object]], rounds: int,
                setups: dict[str, Callable[[], object]] | None = None) -> dict[str, float]:
    """Median seconds of each function over ``rounds`` rounds, each timed once per round.

    Within a round the contenders run one after another, in an order that alternates
    from round to round (forward, then backward), so that none always runs first.
    ``setups`` holds, by name, what runs before each timed call, untimed.
    """
    setups = setups or {}
    times: dict[str, list[float]] = {k: [] for k in fns}
    names = list(fns)
    for r in range(rounds):
        for k in (names if r % 2 == 0 else names[::-1]):
            times[k].append(time_once(fns[k], setups.get(k)))
    return {k: statistics.median(v) for k, v in times.items()}


def traditional_figures(fund, index, window: int = 252, block: int | None = None):
    """The floor: the traditional figures in plain numpy.

    ``fund`` holds levels, one fund (T,) or a panel (T, k) with every fund's full history;
    ``index`` the index levels (T,). From the daily log differences ``d`` (fund minus
    index): their standard deviation and mean; beta and R-squared of fund on index log
    returns; and the minimum, median and maximum of the rolling ``window``-return tracking
    difference ``exp(sum of d over the window) - 1``, taken on the log differences (the
    exponential keeps their order) with the median's two middle values averaged after it,
    as the package defines it. No dates, no gaps, no checks: one fund per call, or
    vectorized over the whole panel; with ``block``, over slices of that many funds (as
    ``tracking_stats`` takes its blocks, its temporaries a few megabytes instead of a hundred).
    """
    import numpy as np

    if block is not None and np.ndim(fund) == 2 and fund.shape[1] > block:
        parts = [traditional_figures(fund[:, s : s + block], index, window) for s in range(0, fund.shape[1], block)]
        return tuple(np.concatenate(p) for p in zip(*parts))
    rf = np.diff(np.log(fund), axis=0)
    ri = np.diff(np.log(index))
    d = rf - (ri[:, None] if rf.ndim == 2 else ri)
    sd, mean = d.std(axis=0, ddof=1), d.mean(axis=0)
    x = ri - ri.mean()
    sxx, sxy = x @ x, x @ rf
    syy = ((rf - rf.mean(axis=0)) ** 2).sum(axis=0)
    beta, r_squared = sxy / sxx, sxy * sxy / (sxx * syy)
    cum = np.cumsum(d, axis=0)
    before = np.concatenate([np.zeros_like(cum[:1]), cum[:-window]])  # the sum before each window
    log_td = cum[window - 1:] - before
    n = log_td.shape[0]
    middle = np.partition(log_td, [(n - 1) // 2, n // 2], axis=0)[[(n - 1) // 2, n // 2]]
    median = 0.5 * np.expm1(middle).sum(axis=0)
    return sd, mean, beta, r_squared, np.expm1(log_td.min(axis=0)), median, np.expm1(log_td.max(axis=0))


def ratio_line(label: str, case_s: float, floor_s: float, target: float | None, unit: str = "ms") -> str:
    """``label  time  floor  ratio  target``, times in ``unit`` ("ms" or "s")."""
    scale = 1e3 if unit == "ms" else 1.0
    ratio = case_s / floor_s
    mark = "" if target is None else f"{target:g}x or less: {'met' if ratio <= target else 'MISSED'}"
    return (f"  {label:<34}{case_s * scale:9.2f} {unit}  floor {floor_s * scale:7.2f} {unit}  "
            f"ratio {ratio:5.1f}x   {mark}")


__all__ = ["BLAS_THREAD_VARIABLES", "pin_blas_threads", "blas_note", "time_once", "interleaved",
           "traditional_figures", "ratio_line"]
