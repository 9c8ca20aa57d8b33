"""A bounded, thread-safe memo of analytics results, keyed by the content of their inputs.

Excel recalculates a formula whenever anything upstream changes, and a comparison table asks
for six figures of the same fund with the same ranges. Keying on the cleaned input arrays
(not on cell addresses or the Excel function's name) lets ``ETF_HOLDING_COST`` and
``ETF_TRACKING_ERROR`` over the same ranges share one estimation, and lets an unchanged
sheet recalculate for the price of cleaning its inputs.

The cache is bounded twice: by the number of entries and by an estimate of the bytes the
stored results hold, evicting the least recently used first. Computations run outside the
lock, so a slow estimate never blocks other threads (classic xlwings may call functions
from several threads; Pyodide has one, and the lock is then free).
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import struct
import sys
import threading
from collections import OrderedDict
from dataclasses import fields, is_dataclass
from typing import Any, Callable

import numpy as np
import pandas as pd

__all__ = ["ContentCache", "content_key", "approx_nbytes", "default_cache"]


def _feed(h: "hashlib._Hash", obj: Any) -> None:
    """Hash ``obj`` with a type tag, so that 1, 1.0, "1" and [1] give different keys."""
    if obj is None:
        h.update(b"N")
    elif isinstance(obj, (bool, np.bool_)):
        h.update(b"B1" if obj else b"B0")
    elif isinstance(obj, (int, np.integer)):
        h.update(b"I" + str(int(obj)).encode())
    elif isinstance(obj, (float, np.floating)):
        h.update(b"F" + struct.pack("<d", float(obj)))
    elif isinstance(obj, str):
        b = obj.encode("utf-8", "surrogatepass")
        h.update(b"S" + struct.pack("<q", len(b)) + b)
    elif isinstance(obj, pd.DatetimeIndex):
        # the unit is part of the value: the same integers in "us" and "ns" differ
        h.update(b"D" + str(obj.dtype).encode())
        _feed(h, obj.asi8)
    elif isinstance(obj, np.ndarray):
        if obj.dtype.kind == "O":
            h.update(b"L" + struct.pack("<q", obj.size))
            for v in obj.ravel():
                _feed(h, v)
        else:
            a = np.ascontiguousarray(obj)
            h.update(b"A" + a.dtype.str.encode() + repr(a.shape).encode())
            h.update(memoryview(a).cast("B"))
    elif isinstance(obj, (list, tuple)):
        h.update(b"L" + struct.pack("<q", len(obj)))
        for v in obj:
            _feed(h, v)
    elif isinstance(obj, (pd.Timestamp, _dt.datetime, _dt.date)):
        h.update(b"T" + obj.isoformat().encode())
    elif callable(obj):
        h.update(b"C" + f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', repr(obj))}".encode())
    else:
        raise TypeError(f"cannot build a cache key from {type(obj).__name__}")


def content_key(*parts: Any) -> bytes:
    """A 20-byte digest of the parts' content (arrays by their bytes, dtype and shape)."""
    h = hashlib.blake2b(digest_size=20)
    for p in parts:
        _feed(h, p)
    return h.digest()


def approx_nbytes(obj: Any, _depth: int = 0) -> int:
    """Rough memory held by a result: array buffers plus Python object overhead."""
    if _depth > 6:
        return 64
    if isinstance(obj, np.ndarray):
        return int(obj.nbytes) + 112
    if isinstance(obj, (pd.Series, pd.Index)):
        return int(obj.memory_usage(deep=False)) + 200
    if isinstance(obj, BaseException):
        return 512 + sum(approx_nbytes(a, _depth + 1) for a in obj.args)
    if is_dataclass(obj) and not isinstance(obj, type):
        return 64 + sum(approx_nbytes(getattr(obj, f.name), _depth + 1) for f in fields(obj))
    if isinstance(obj, dict):
        return sys.getsizeof(obj) + sum(
            approx_nbytes(k, _depth + 1) + approx_nbytes(v, _depth + 1) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return sys.getsizeof(obj) + sum(approx_nbytes(v, _depth + 1) for v in obj)
    return sys.getsizeof(obj)


class ContentCache:
    """Least-recently-used results, bounded in entries and in (estimated) bytes.

    Parameters
    ----------
    max_entries : int
        Most results kept.
    max_bytes : int
        Most bytes kept, by :func:`approx_nbytes` of each result. A single result larger
        than this is returned but not kept.
    """

    def __init__(self, max_entries: int = 512, max_bytes: int = 64 * 2**20) -> None:
        self._lock = threading.Lock()
        self._data: OrderedDict[bytes, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self.max_entries = int(max_entries)
        self.max_bytes = int(max_bytes)
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._data)

    @property
    def nbytes(self) -> int:
        return self._bytes

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {"entries": len(self._data), "bytes": self._bytes, "hits": self.hits,
                    "misses": self.misses, "max_entries": self.max_entries,
                    "max_bytes": self.max_bytes}

    def configure(self, max_entries: int | None = None, max_bytes: int | None = None) -> None:
        """Change the bounds; entries beyond them are evicted at once."""
        with self._lock:
            if max_entries is not None:
                self.max_entries = int(max_entries)
            if max_bytes is not None:
                self.max_bytes = int(max_bytes)
            self._evict()

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._bytes = 0
            self.hits = self.misses = 0

    def get(self, key: bytes) -> tuple[bool, Any]:
        with self._lock:
            item = self._data.get(key)
            if item is None:
                self.misses += 1
                return False, None
            self._data.move_to_end(key)
            self.hits += 1
            return True, item[0]

    def put(self, key: bytes, value: Any, nbytes: int | None = None) -> None:
        size = (approx_nbytes(value) if nbytes is None else int(nbytes)) + 100
        size += len(key) if isinstance(key, (bytes, str)) else 0
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            if size > self.max_bytes or self.max_entries <= 0:
                return
            self._data[key] = (value, size)
            self._bytes += size
            self._evict()

    def _evict(self) -> None:
        while self._data and (len(self._data) > self.max_entries or self._bytes > self.max_bytes):
            _, (_, size) = self._data.popitem(last=False)
            self._bytes -= size

    def get_or_compute(self, key: bytes, compute: Callable[[], Any]) -> Any:
        """The stored value for ``key``, else ``compute()`` stored and returned.

        Two threads missing the same key at once both compute; the results are equal, and
        holding the lock through an estimate would serialize every other call.
        """
        found, value = self.get(key)
        if found:
            return value
        value = compute()
        self.put(key, value)
        return value


#: The cache the Excel functions share.
default_cache = ContentCache()
