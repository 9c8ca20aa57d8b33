"""The results cache (xlwings_udfs.cache): content keys, bounds, eviction, threads."""
from __future__ import annotations

import threading

import numpy as np
import pandas as pd

from xlwings_udfs.cache import ContentCache, approx_nbytes, content_key


def test_content_key_tells_types_and_values_apart():
    a = np.arange(5.0)
    assert content_key("f", a) == content_key("f", a.copy())
    assert content_key("f", a) != content_key("f", a + 1e-12)
    assert content_key("f", a) != content_key("g", a)
    assert len({content_key(x) for x in (1, 1.0, "1", True, None, [1])}) == 6
    idx = pd.DatetimeIndex(["2024-01-01", "2024-01-02"])
    assert content_key(idx.as_unit("ns")) != content_key(idx.as_unit("s"))


def test_cache_is_bounded_in_entries_and_bytes():
    c = ContentCache(max_entries=10, max_bytes=10**9)
    for i in range(50):
        c.put(content_key(i), np.zeros(10))
    assert len(c) == 10
    found, _ = c.get(content_key(0))
    assert not found and c.get(content_key(49))[0]
    c = ContentCache(max_entries=1000, max_bytes=100_000)
    for i in range(50):
        c.put(content_key(i), np.zeros(1000))  # ~8 kB each
    assert c.nbytes <= 100_000 and 5 <= len(c) <= 12
    c.put(content_key("big"), np.zeros(10**6))  # larger than the whole cache: not kept
    assert not c.get(content_key("big"))[0]


def test_cache_evicts_the_least_recently_used():
    c = ContentCache(max_entries=2)
    c.put(b"a", 1)
    c.put(b"b", 2)
    c.get(b"a")
    c.put(b"c", 3)
    assert c.get(b"a")[0] and not c.get(b"b")[0]


def test_cache_is_thread_safe():
    c = ContentCache(max_entries=64, max_bytes=10**7)
    errors = []

    def work(seed):
        try:
            rng = np.random.default_rng(seed)
            for _ in range(300):
                k = content_key(int(rng.integers(0, 200)))
                v = c.get_or_compute(k, lambda: np.full(50, 1.0))
                assert v.shape == (50,)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(s,)) for s in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(c) <= 64 and 0 < c.nbytes <= c.max_bytes
    c.configure(max_entries=0)  # evicting everything must give back every byte counted
    assert len(c) == 0 and c.nbytes == 0


def test_approx_nbytes_counts_arrays():
    assert approx_nbytes(np.zeros(1000)) >= 8000
    assert approx_nbytes({"a": np.zeros(100)}) >= 800
