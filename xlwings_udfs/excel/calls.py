"""One Excel call: the error policy around it, and the two caches that spare its work.

Excel recalculates a formula whenever anything upstream changes, and a comparison sheet
asks for several figures of the same fund over the same ranges. Two levels share one
bounded, thread-safe LRU (:mod:`xlwings_udfs.cache`):

* **the call** (:func:`excel_function`): a call whose arguments hold the same cells (and
  cell types: TRUE and 1 are told apart) as an earlier call of the same function gets the
  earlier result, or error, without its cells being cleaned again. Recalculating an
  unchanged sheet then costs one hash of each range.
* **the analytics** (:func:`run`): an analytics call on the same cleaned arrays (bytes,
  dtype, shape) is computed once for every function that needs it, so the figures of one
  fund share one estimate.

Input errors are cached as well (the same bad cells give the same message), as plain field
values rebuilt for each call: an error raised again keeps no traceback of earlier calls,
and is placed in each call's own selection (the same arrays may come from selections with
and without a header). Unexpected exceptions are not cached; they are logged and shown as
an internal error, never as a traceback in a cell nor as a plain exception that the
Office.js add-in would retry (see :mod:`.hosts`).
"""
from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pandas as pd
from xlwings import XlwingsError

from ..analytics.errors import InputError
from ..cache import ContentCache, approx_nbytes, content_key, default_cache
from .hosts import fail
from .ranges import one_reading, read_range
from .series import Series

__all__ = ["cache", "excel_function", "run"]

logger = logging.getLogger(__name__)

#: The results cache the Excel functions share (see :mod:`xlwings_udfs.cache`).
cache: ContentCache = default_cache


def excel_function(fn: Callable[..., Any] | None = None, *, cached: bool = True) -> Any:
    """Make a Python function an Excel function: error policy, call cache, no tracebacks.

    Goes under the xlwings decorators, which read the signature through ``__wrapped__``.
    With ``cached``, a call whose arguments hold the same cells as an earlier call returns
    the earlier result (or error) without reading the cells again. ``cached=False`` is for
    results that depend on more than the arguments (the host, the versions).
    """

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        name = f"{fn.__module__}.{fn.__qualname__}"

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with one_reading():
                key = None
                if cached:
                    try:
                        key = _CallKey((name, tuple(_freeze(a) for a in args),
                                        tuple(sorted((k, _freeze(v)) for k, v in kwargs.items()))))
                        found, out = cache.get(key)
                        if found:
                            return _deliver(out)
                    except (TypeError, InputError):  # unhashable or unreadable: no caching
                        key = None
                try:
                    out = fn(*args, **kwargs)
                except InputError as err:
                    out = _Raised(err)
                except XlwingsError:  # already in the form Office.js shows
                    raise
                except Exception as err:  # never a traceback in a cell, never a retry storm
                    logger.exception("%s failed", fn.__name__)
                    return fail(err)
                if key is not None:
                    cache.put(key, out, nbytes=_key_nbytes(key) + approx_nbytes(out))
                return _deliver(out)

        return wrapper

    return decorate(fn) if fn is not None else decorate


class _CallKey:
    """A call's frozen arguments, hashed once, on a sample of each range's cells.

    A lookup compares two keys whole only when their hashes match, so the hash need only tell
    different calls apart most of the time: hashing every cell of three 2,520-cell ranges
    costs more than the rest of the key, and a sample of them (:func:`_sample`) will do (a
    column of floats is keyed by their bytes, hashed on a sample too:
    :class:`~xlwings_udfs.cache.SampledBytes`).
    Equality still compares every cell and the cell types.
    """

    __slots__ = ("parts", "_hash")

    def __init__(self, parts: tuple) -> None:
        self.parts = parts
        self._hash = hash(_sample(parts))

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _CallKey) and self._hash == other._hash and self.parts == other.parts


#: Tuples longer than this are hashed on about this many of their items, first and last included.
_SAMPLE = 64


def _sample(part: Any) -> Any:
    """A stand-in for ``part`` to hash: long tuples (a range's cells, its rows) by their length
    and evenly spaced items; equal parts give equal samples."""
    if not isinstance(part, tuple):
        return part
    if len(part) > _SAMPLE:
        items = part[:: len(part) // _SAMPLE] + part[-1:]
        if not isinstance(items[0], tuple):  # cells, hashed as they are
            return len(part), items
        part = (len(part), *items)
    return tuple(map(_sample, part))


def _freeze(value: Any) -> Any:
    """A hashable stand-in for an argument: equal when the cells (and their types) are."""
    if isinstance(value, (list, tuple)):
        return read_range(value).key()
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "biufcmM":
            return ("a", value.dtype.str, value.shape, value.tobytes())
        return read_range(value).key()
    if isinstance(value, (pd.Series, pd.DataFrame, pd.Index)):
        raise TypeError("pandas arguments are not cached")
    return (type(value), value)


def _key_nbytes(key: _CallKey) -> int:
    """Rough size of a call key: the cell objects it keeps alive."""
    total = 200
    for part in key.parts[1]:
        tag = part[0] if isinstance(part, tuple) and part else None
        if tag == "v":       # one series: a reference and a float or datetime per cell
            total += 48 * len(part[3])
        elif tag == "g":     # several columns
            total += 48 * sum(map(len, part[3]))
        elif tag in ("a", "f"):  # array bytes, a column of floats' bytes
            total += len(part[3])
        else:
            total += 64
    return total


def _deliver(out: Any) -> Any:
    if isinstance(out, _Raised):
        return fail(out.rebuild())
    if isinstance(out, list):  # the caller owns what it gets; the cache keeps its own copy
        return [list(r) if isinstance(r, list) else r for r in out]
    return out


@dataclass(frozen=True)
class _Raised:
    """An input error kept in the cache: a copy of its fields, without traceback and frames."""

    error: InputError

    def __init__(self, err: InputError) -> None:
        object.__setattr__(self, "error", err.replace())

    def rebuild(self) -> InputError:
        """A fresh error with the same fields, to raise or report."""
        return self.error.replace()


def run(fn: Callable[..., Any], *args: Any, series: Series | None = None,
        rename: dict[str, str] | None = None, cached: bool = True) -> Any:
    """``fn(*args)`` through the cache, with errors placed in the user's selection.

    The key is ``fn`` and the content of ``args`` (array bytes, scalars), so every Excel
    function that needs the same estimate on the same cells shares one computation.
    ``rename`` maps the analytics' argument names to the Excel function's
    (``{"open": "open_price"}``).
    """

    def compute() -> Any:
        try:
            return fn(*args)
        except InputError as err:
            # kept as the analytics raised it: the same arrays may come from selections
            # with and without a header, whose rows are numbered differently
            return _Raised(err)

    if cached:
        try:
            key = content_key(fn, *args)
        except TypeError:
            key = None
        out = cache.get_or_compute(key, compute) if key is not None else compute()
    else:
        out = compute()
    if isinstance(out, _Raised):
        err = out.rebuild()
        if series is not None:
            raise series.locate(err, rename)
        if rename and err.argument in rename:
            raise err.replace(argument=rename[err.argument])
        raise err
    return out
