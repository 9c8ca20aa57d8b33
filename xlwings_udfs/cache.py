"""A bounded, thread-safe memo of analytics results, keyed by the content of their inputs.

Excel recalculates a formula whenever anything upstream changes, and a comparison table asks
for six figures of the same fund with the same ranges. Keying on the cleaned input arrays
(not on cell addresses or the Excel function's name) lets ``ETF_HOLDING_COST`` and
``ETF_TRACKING_ERROR`` over the same ranges share one estimation, and lets an unchanged
sheet recalculate for the price of cleaning its inputs.

The cache is bounded twice: by the number of entries and by an estimate of the bytes the
stored results and their keys hold, evicting the least recently used first. Computations
run outside the lock, so a slow estimate never blocks other threads (classic xlwings may
call functions from several threads; Pyodide has one, and the lock is then free).
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import struct
import sys
import threading
from collections import OrderedDict
from dataclasses import fields, is_dataclass
from typing import Any, Callable, Hashable

import numpy as np
import pandas as pd

__all__ = ["ContentCache", "content_key", "SampledBytes", "approx_nbytes", "default_cache"]


#: Arrays up to this many bytes are kept whole in their key and compared whole on a lookup;
#: larger ones (a panel of funds) are keyed by a digest of their bytes.
_WHOLE_BYTES = 1 << 20


class SampledBytes(bytes):
    """An array's bytes in a key: compared whole, hashed on about 512 evenly spaced bytes.

    A lookup compares two keys whole only when their hashes match, so the hash need only tell
    different inputs apart most of the time, and hashing every byte of three 2,520-row
    columns costs more than the rest of the key.
    """

    __slots__ = ()

    def __hash__(self) -> int:
        # an odd stride: the bytes taken fall on every byte of 8-byte numbers, not on one
        return hash(self[:: len(self) // 512 | 1])


def _part(obj: Any) -> tuple:
    """``obj`` as a hashable tuple with a type tag, so that 1, 1.0, "1" and [1] give different
    keys, and equal tuples mean equal content."""
    if obj is None:
        return ("N",)
    if isinstance(obj, (bool, np.bool_)):
        return ("B", bool(obj))
    if isinstance(obj, (int, np.integer)):
        return ("I", int(obj))
    if isinstance(obj, (float, np.floating)):
        return ("F", struct.pack("<d", float(obj)))  # the bits: NaN equals itself, -0.0 is not 0.0
    if isinstance(obj, str):
        return ("S", obj)
    if isinstance(obj, pd.DatetimeIndex):
        # the unit is part of the value: the same integers in "us" and "ns" differ. A numpy
        # dtype's code ("<M8[ns]") names it at a fraction of the cost of str(); a time zone
        # is only in the name
        dtype = obj.dtype.str if isinstance(obj.dtype, np.dtype) else str(obj.dtype)
        return ("D", dtype, _part(obj.asi8))
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind == "O":
            return ("L", tuple(_part(v) for v in obj.ravel()))
        a = np.ascontiguousarray(obj)
        if a.nbytes <= _WHOLE_BYTES:
            return ("A", a.dtype.str, a.shape, SampledBytes(a.tobytes()))
        digest = hashlib.blake2b(memoryview(a).cast("B"), digest_size=20).digest()
        return ("H", a.dtype.str, a.shape, digest)
    if isinstance(obj, (list, tuple)):
        return ("L", tuple(_part(v) for v in obj))
    if isinstance(obj, (pd.Timestamp, _dt.datetime, _dt.date)):
        return ("T", obj.isoformat())
    if callable(obj):
        return ("C", f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', repr(obj))}")
    raise TypeError(f"cannot build a cache key from {type(obj).__name__}")


def content_key(*parts: Any) -> tuple:
    """A hashable key of the parts' content (arrays by their bytes, dtype and shape).

    Two keys are equal exactly when the parts are: an input of up to a megabyte is kept whole
    in the key (comparing its bytes is fast on every host, and they are hashed on a sample,
    :class:`SampledBytes`), a larger one is represented by a 20-byte BLAKE2 digest of its bytes.
    """
    return tuple(_part(p) for p in parts)


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
        self._data: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
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

    def get(self, key: Hashable) -> tuple[bool, Any]:
        with self._lock:
            item = self._data.get(key)
            if item is None:
                self.misses += 1
                return False, None
            self._data.move_to_end(key)
            self.hits += 1
            return True, item[0]

    def put(self, key: Hashable, value: Any, nbytes: int | None = None) -> None:
        size = (approx_nbytes(value) if nbytes is None else int(nbytes)) + 100
        size += approx_nbytes(key) if isinstance(key, (bytes, str, tuple)) else 0
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

    def get_or_compute(self, key: Hashable, compute: Callable[[], Any]) -> Any:
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
