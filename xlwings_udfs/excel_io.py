"""Excel cell values in, Excel cell values out: the one place that knows about hosts.

Data flows one way: cells -> this module -> analytics -> this module -> cells. Nothing here
estimates anything; everything here exists because Excel hands over cells, not arrays.

Cells in
--------
Every host delivers a range argument as a list of rows, but not the same list. Classic
xlwings is asked for 2-D lists with error cells as text (``ndim=2, err_to_str=True``);
Office.js arguments are taken as Excel sent them (``convert="raw"``, see :data:`RANGE`):

* **dates** arrive as ``datetime`` (classic xlwings) or as serial numbers (Office.js: xlwings
  Server and xlwings Lite). Numbers in a date argument are read as serials of the 1900 date
  system, including Excel's fictitious 29 February 1900 (serial 60), which is refused. ISO
  text (``2024-01-31``) is accepted too; other text is not, since ``01/02/2024`` means two
  different days in two locales.
* **error cells** (``#N/A`` ...) arrive as text (classic), as Office.js error objects, as
  ``formulas`` engine errors, or as the text our own classic functions return
  (``"#N/A fund: ..."``). All are errors naming the argument, never silent blanks: a level
  series with an error in it is a broken upstream formula, not a missing value.
* **blanks** (None, ``""``, NaN, Pyodide's JS null) mean "no value on this date", as in the
  analytics. A one-row selection may arrive as a flat list (xlwings unwraps ``[[a, b]]``);
  a flat list is read as a row.
* **booleans and other text** in a number argument are errors naming the count and the
  first position.
* a **row** is read like a column; a **panel** (several columns of funds) takes its
  orientation from the single-series arguments beside it.
* a **header**: a first cell that is text (and, in a date argument, not a date) is a
  header, not data; in a panel, the first row of text names the funds.
* a **whole-column selection** (``B:B``, 1,048,576 rows) is trimmed of its trailing blank
  rows by comparing 4,096-row slices at C speed; rows blank in every argument of a call are
  dropped when dates are given (with dates a row is identified by its date; without dates
  rows are periods and interior blank rows stay). Error positions always refer to the
  selection the user made: "first at row 12" is row 12 of the selection, header included.

Cells out
---------
* A figure that cannot be estimated is never a stray NaN: a scalar becomes a not-enough-data
  error with the reason; a cell inside a spilled table becomes ``"#N/A"`` (a real #N/A on
  Office.js, the text ``#N/A`` in classic). numpy scalars become Python numbers.

Caching
-------
Two levels share one bounded, thread-safe LRU (:mod:`xlwings_udfs.cache`): a call whose
arguments hold the same cells (and cell types) as an earlier call of the same function gets
the earlier result without its cells being cleaned again (:func:`excel_function`); and an
analytics call on the same cleaned arrays (bytes, dtype, shape) is computed once for every
function that needs it (:func:`run`), so the figures of one fund share one estimate.

Errors, per host (``host()``)
-----------------------------
========================  ============================================  ====================================
                          classic xlwings (COM)                         Office.js (xlwings Server and Lite)
========================  ============================================  ====================================
bad input                 the text ``"#VALUE! fund: 3 non-numeric       ``raise xlwings.XlwingsError(msg)``:
                          cells ('x'), first at row 12"``               ``#VALUE!`` with msg on hover, no retry
not enough data           the text ``"#N/A fund: 12 returns on ...;     ``raise xlwings.XlwingsError("Not enough
                          at least 30 are needed"``                     data - fund: 12 returns ...")``
unexpected failure        ``"#VALUE! internal error: ..."``, logged     ``XlwingsError`` likewise, logged
========================  ============================================  ====================================

Why: classic xlwings writes an exception's traceback into the cell, and cannot return a real
error value, so a short one-line text starting with the error code is the most readable
thing it can show (and stays recognisable: ``LEFT(A1, 1) = "#"``). On Office.js, a plain
exception is an HTTP 500 that the add-in retries, while ``XlwingsError`` is shown at once
with its message on hover. For not-enough-data, returning the string ``"#N/A"`` would give a
real #N/A but lose the reason (Office.js has no way to attach a message to a returned
error value); the reason is what tells the user how much more data is needed, so it is
raised with the reason instead. Messages are one line and at most 255 characters.

The host is Office.js when xlwings picked its server decorators (``XLWINGS_ON_SERVER=true``)
or when running in Pyodide (``sys.platform == "emscripten"``, i.e. xlwings Lite); otherwise
classic. Tests switch it with :func:`use_host`.
"""
from __future__ import annotations

import contextlib
import contextvars
import datetime as _dt
import functools
import logging
import math
import os
import sys
from dataclasses import dataclass
from numbers import Number
from typing import Any, Callable, Iterator

import numpy as np
import pandas as pd

from .analytics.errors import InputError, NotAvailable, NotEnoughData
from .cache import ContentCache, approx_nbytes, content_key, default_cache

__all__ = [
    "CLASSIC",
    "OFFICE_JS",
    "NA",
    "ERROR_CODES",
    "host",
    "use_host",
    "excel_function",
    "NotAvailable",
    "Series",
    "read_series",
    "number",
    "flag",
    "text",
    "cell_texts",
    "date",
    "run",
    "scalar",
    "table",
    "describe",
    "excel_serial_to_datetime64",
    "cache",
    "RANGE",
    "CELL",
]

logger = logging.getLogger(__name__)

CLASSIC = "classic"
OFFICE_JS = "officejs"
#: What a figure that cannot be estimated shows inside a spilled table.
NA = "#N/A"
#: Excel's error values, as xlwings' ``err_to_str`` spells them.
ERROR_CODES = frozenset({
    "#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
    "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!",
    "#PYTHON!", "#EXTERNAL!",
})
# Office.js error objects name the error by type instead
_ERROR_TYPES = {"Div0": "#DIV/0!", "NotAvailable": "#N/A", "Name": "#NAME?", "Null": "#NULL!",
                "Num": "#NUM!", "Ref": "#REF!", "Value": "#VALUE!", "Spill": "#SPILL!",
                "Calc": "#CALC!", "Busy": "#BUSY!", "Connect": "#CONNECT!", "Blocked": "#BLOCKED!",
                "Field": "#FIELD!", "GettingData": "#GETTING_DATA"}
_MAX_MESSAGE = 255

#: The results cache the Excel functions share (see :mod:`xlwings_udfs.cache`).
cache: ContentCache = default_cache

# ----------------------------------------------------------------------------------------
# hosts and the error policy
# ----------------------------------------------------------------------------------------

_host_override: contextvars.ContextVar[str | None] = contextvars.ContextVar("excel_host", default=None)


def host() -> str:
    """``"officejs"`` (xlwings Server or Lite) or ``"classic"`` (COM, or a plain Python call)."""
    forced = _host_override.get()
    if forced is not None:
        return forced
    if os.environ.get("XLWINGS_ON_SERVER") == "true" or sys.platform == "emscripten":
        return OFFICE_JS
    return CLASSIC


@contextlib.contextmanager
def use_host(name: str) -> Iterator[None]:
    """Behave as ``name`` (``"classic"`` or ``"officejs"``) inside the block."""
    if name not in (CLASSIC, OFFICE_JS):
        raise ValueError(f"host must be {CLASSIC!r} or {OFFICE_JS!r}, got {name!r}")
    token = _host_override.set(name)
    try:
        yield
    finally:
        _host_override.reset(token)


def _range_options() -> dict[str, Any]:
    # Office.js: take the cells as Excel sent them. xlwings' own cleaning of an Office.js
    # argument tries (and, outside Pyodide, fails) an import for every cell, ~0.2 ms each:
    # 20 s for 100,000 cells. This module reads "", null and error objects itself.
    # Classic: 2-D lists with error cells as "#N/A"-style text (COM gives error codes as
    # large negative integers, which would pass for numbers).
    if host() == OFFICE_JS:
        return {"convert": "raw"}
    return {"ndim": 2, "err_to_str": True}


#: xlwings options for a range argument (``@xw.arg(name, **RANGE, doc=...)``), chosen once
#: at import, as xlwings chooses its decorators.
RANGE: dict[str, Any] = _range_options()
#: xlwings options for a single-cell argument: error cells as "#N/A"-style text.
CELL: dict[str, Any] = {"err_to_str": True}


class NotAvailable(NotEnoughData):
    """A figure the data do not determine (a constant index has no beta, say)."""


def describe(err: BaseException) -> str:
    """The one-line message for an error, positions in the user's words."""
    if isinstance(err, InputError):
        where = ""
        if err.row is not None:
            where = f", first at {getattr(err, 'axis', 'row')} {err.row}"
        msg = f"{err.argument}: {err.problem}{where}"
    else:
        msg = f"internal error: {type(err).__name__}: {err}"
    msg = " ".join(str(msg).split())
    return msg if len(msg) <= _MAX_MESSAGE else msg[: _MAX_MESSAGE - 3] + "..."


def _fail(err: BaseException) -> str:
    msg = describe(err)
    not_enough = isinstance(err, NotEnoughData)
    if host() == OFFICE_JS:
        from xlwings import XlwingsError

        raise XlwingsError(f"Not enough data - {msg}" if not_enough else msg) from None
    return f"{NA} {msg}" if not_enough else f"#VALUE! {msg}"


def excel_function(fn: Callable[..., Any] | None = None, *, cached: bool = True) -> Any:
    """Make a Python function an Excel function: error policy, call cache, no tracebacks.

    Goes under the xlwings decorators, which read the signature through ``__wrapped__``.
    With ``cached``, a call whose arguments hold the same cells as an earlier call returns
    the earlier result (or error) without reading the cells again: the cost of recalculating
    an unchanged sheet is then one hash of each range. ``cached=False`` is for results that
    depend on more than the arguments (the host, the versions).
    """

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        name = f"{fn.__module__}.{fn.__qualname__}"

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            token = _call_ranges.set({})
            try:
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
                except Exception as err:  # never a traceback in a cell, never a retry storm
                    if type(err).__name__ == "XlwingsError":
                        raise
                    logger.exception("%s failed", fn.__name__)
                    return _fail(err)
                if key is not None:
                    cache.put(key, out, nbytes=_key_nbytes(key) + approx_nbytes(out))
                return _deliver(out)
            finally:
                _call_ranges.reset(token)

        return wrapper

    return decorate(fn) if fn is not None else decorate


class _CallKey:
    """A call's frozen arguments with their hash computed once.

    Tuples do not keep their hash, and a key of three 2,520-cell ranges costs ~60 us to
    hash; the cache looks a key up and then stores it.
    """

    __slots__ = ("parts", "_hash")

    def __init__(self, parts: tuple) -> None:
        self.parts = parts
        self._hash = hash(parts)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _CallKey) and self._hash == other._hash and self.parts == other.parts


def _freeze(value: Any) -> Any:
    """A hashable stand-in for an argument: equal when the cells (and their types) are."""
    if isinstance(value, (list, tuple)):
        return _range(value).key()
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "biufcmM":
            return ("a", value.dtype.str, value.shape, value.tobytes())
        return _range(value).key()
    if isinstance(value, (pd.Series, pd.DataFrame, pd.Index)):
        raise TypeError("pandas arguments are not cached")
    return (type(value), value)


def _key_nbytes(key: Any) -> int:
    """Rough size of a call key: the cell objects it keeps alive."""
    total = 200
    for part in key.parts[1]:
        tag = part[0] if isinstance(part, tuple) and part else None
        if tag == "v":       # one series: a reference and a float or datetime per cell
            total += 48 * len(part[3])
        elif tag == "g":     # several columns
            total += 48 * sum(map(len, part[3]))
        elif tag == "a":     # array bytes
            total += len(part[3])
        else:
            total += 64
    return total


def _deliver(out: Any) -> Any:
    if isinstance(out, _Raised):
        return _fail(out.rebuild())
    if isinstance(out, list):  # the caller owns what it gets; the cache keeps its own copy
        return [list(r) if isinstance(r, list) else r for r in out]
    return out


# ----------------------------------------------------------------------------------------
# single cells
# ----------------------------------------------------------------------------------------

def _error_code(v: Any) -> str | None:
    """The Excel error a cell holds, or None. Also reads our own classic error texts."""
    if isinstance(v, str):
        if v[:1] != "#":
            return None
        code = v.split(" ", 1)[0]
        return code if code in ERROR_CODES else None
    if isinstance(v, dict) and v.get("type") == "Error":
        return v.get("basicValue") or _ERROR_TYPES.get(v.get("errorType"), "#VALUE!")
    return None


def _plain(v: Any) -> Any:
    """An Office.js value object other than an error (a formatted number, say) -> its value."""
    if isinstance(v, dict) and v.get("type") != "Error" and "basicValue" in v:
        return v["basicValue"]
    return v


def _is_blank(v: Any) -> bool:
    if v is None:
        return True
    t = type(v)
    if t is str:
        return v == ""
    if t is float:
        return v != v
    # Pyodide's JS null (xlwings Lite, raw arguments), and the ``formulas`` engine's empty
    # cell, a str subclass spelled "empty"
    name = t.__name__
    return name == "JsNull" or (name == "Token" and isinstance(v, str) and str(v) == "empty")


def _unwrap(value: Any, name: str) -> Any:
    """One cell from whatever a host passes for a scalar argument."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    while isinstance(value, (list, tuple)):
        if len(value) != 1:
            cells = sum(len(row) if isinstance(row, (list, tuple)) else 1 for row in value)
            raise InputError(name, f"expected a single cell, got {cells} cells")
        value = value[0]
    if isinstance(value, np.generic):
        value = value.item()
    return _plain(value)


def _bad_scalar(v: Any, name: str, what: str) -> InputError:
    code = _error_code(v)
    if code:
        return InputError(name, f"error cell ({code}); fix the cell it refers to")
    if isinstance(v, bool):
        return InputError(name, f"must be {what}, got {'TRUE' if v else 'FALSE'}")
    return InputError(name, f"must be {what}, got {_show(v)}")


def number(value: Any, name: str, default: Any = None, required: bool = False) -> Any:
    """A numeric argument: None (omitted or empty cell) is ``default``; range checks are the
    analytics' job."""
    v = _unwrap(value, name)
    if _is_blank(v):
        if required:
            raise InputError(name, "no value (the cell is empty)")
        return default
    if isinstance(v, bool) or not isinstance(v, Number):
        raise _bad_scalar(v, name, "a number")
    return v


def flag(value: Any, name: str, default: bool) -> bool:
    """TRUE/FALSE (also 1/0 and the texts TRUE/FALSE); None is ``default``."""
    v = _unwrap(value, name)
    if _is_blank(v):
        return default
    if isinstance(v, bool):
        return v
    if isinstance(v, Number) and float(v) in (0.0, 1.0):
        return bool(v)
    if isinstance(v, str) and v.strip().upper() in ("TRUE", "FALSE") and not _error_code(v):
        return v.strip().upper() == "TRUE"
    raise _bad_scalar(v, name, "TRUE or FALSE")


def text(value: Any, name: str, default: str) -> str:
    """A choice given as text; None is ``default``; the analytics check the choices."""
    v = _unwrap(value, name)
    if _is_blank(v):
        return default
    if not isinstance(v, str) or _error_code(v):
        raise _bad_scalar(v, name, "text")
    return v


def cell_texts(value: Any, name: str) -> list[str]:
    """The texts of a range's filled cells, row by row (a list of names, say); blanks skipped."""
    out = []
    for row in _rows(value):
        for v in (row if isinstance(row, (list, tuple)) else [row]):
            v = _plain(v.item() if isinstance(v, np.generic) else v)
            if _is_blank(v):
                continue
            if not isinstance(v, str) or _error_code(v):
                raise _bad_scalar(v, name, "text")
            out.append(v.strip())
    return out


def date(value: Any, name: str) -> pd.Timestamp:
    """A single date: a datetime, an Excel serial number or ISO text."""
    v = _unwrap(value, name)
    if _is_blank(v):
        raise InputError(name, "no date (the cell is empty)")
    stamp, problem = _one_date(v)
    if problem:
        raise InputError(name, problem)
    return stamp


def _show(v: Any) -> str:
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (_dt.datetime, _dt.date, pd.Timestamp, np.datetime64)):
        return f"the date {pd.Timestamp(v).date()}"
    s = repr(v)
    return s if len(s) <= 40 else s[:37] + "...'"


# ----------------------------------------------------------------------------------------
# Excel serial dates
# ----------------------------------------------------------------------------------------

_NS_PER_DAY = 86_400 * 10**9
_EPOCH_1899_12_30 = np.datetime64("1899-12-30", "ns").astype(np.int64)
# datetime64[ns] ends in April 2262: serial 135,140 is 2269-12-31, safely past any fund
_LAST_SERIAL = float((np.datetime64("2262-04-10", "D") - np.datetime64("1899-12-30", "D")).astype(int))


def excel_serial_to_datetime64(serial: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Serials of the 1900 date system -> datetime64[ns], and a mask of invalid serials.

    Excel counts 1900 as a leap year (Lotus compatibility): serial 60 is 29 February 1900,
    a day that never existed, and serials 1-59 are one day later than a plain count from
    30 December 1899 gives. NaN stays NaT (a blank); fractions are times of day, kept to
    the microsecond.
    """
    s = np.asarray(serial, dtype=float)
    finite = np.isfinite(s)
    with np.errstate(invalid="ignore"):
        bad = finite & ((s < 1.0) | (s >= _LAST_SERIAL + 1.0) | (np.floor(s) == 60.0))
        days = np.where(s < 60.0, s + 1.0, s)
    ok = finite & ~bad
    us = np.round(np.where(ok, days, 0.0) * 86_400e6).astype(np.int64)
    ns = _EPOCH_1899_12_30 + us * 1000
    out = np.where(ok, ns, np.iinfo(np.int64).min).view("datetime64[ns]")
    return out, bad


# Dates are held as nanosecond timestamps, which span these days.
_DATE_MIN = pd.Timestamp("1677-09-22")
_DATE_MAX = pd.Timestamp("2262-04-11")


def _one_date(v: Any) -> tuple[pd.Timestamp | None, str | None]:
    """One cell as a date, or the reason it is not one."""
    if isinstance(v, bool):
        return None, f"not a date ({_show(v)})"
    if isinstance(v, Number):
        out, bad = excel_serial_to_datetime64(np.array([float(v)]))
        if bad[0]:
            if math.floor(float(v)) == 60:
                return None, "Excel serial 60 is 29 February 1900, a day that does not exist"
            return None, f"not a date ({v!r} is not an Excel date serial)"
        return pd.Timestamp(out[0]), None
    if isinstance(v, (_dt.datetime, _dt.date, np.datetime64, pd.Timestamp)):
        try:
            ts = pd.Timestamp(v)
        except (ValueError, OverflowError):
            return None, f"not a date ({_show(v)})"
        if ts is pd.NaT:
            return None, "blank date"
        ts = ts.tz_localize(None) if ts.tz is not None else ts
        if not _DATE_MIN <= ts <= _DATE_MAX:
            return None, (f"{ts.date()} is outside the supported dates "
                          f"({_DATE_MIN.date()} to {_DATE_MAX.date()})")
        return ts, None
    code = _error_code(v)
    if code:
        return None, f"error cell ({code})"
    if isinstance(v, str):
        try:
            ts = pd.Timestamp(_dt.datetime.fromisoformat(v.strip()))
        except ValueError:
            return None, f"not a date ({_show(v)}); enter dates, or text as yyyy-mm-dd"
        return (ts.tz_localize(None) if ts.tz is not None else ts), None
    return None, f"not a date ({_show(v)})"


# ----------------------------------------------------------------------------------------
# ranges: shape, trimming, headers
# ----------------------------------------------------------------------------------------

def _rows(value: Any) -> list:
    """Any range value as a list of rows."""
    if isinstance(value, pd.DataFrame):
        return [[str(c) for c in value.columns]] + value.to_numpy(dtype=object).tolist()
    if isinstance(value, (pd.Series, pd.Index)):
        return [[v] for v in value.tolist()]
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return [[value.item()]]
        if value.ndim == 1:
            return [[v] for v in value.tolist()]
        if value.ndim == 2:
            return value.tolist()
        raise InputError("range", f"expected 2 dimensions, got {value.ndim}")
    if isinstance(value, (list, tuple)):
        if not value:
            return []
        if isinstance(value[0], (list, tuple)):
            return value if isinstance(value, list) else list(value)
        # Office.js hands a one-row selection over as a flat list (xlwings unwraps [[a, b]])
        return [list(value)]
    return [[value]]


_CHUNK = 4096
_templates: dict[tuple[type, int, Any], list] = {}


def _blank_template(kind: type, width: int, blank: Any) -> list:
    key = (kind, width, blank)
    t = _templates.get(key)
    if t is None:
        row = kind([blank] * width)
        t = _templates[key] = [row] * _CHUNK
    return t


def _used_rows(rows: list) -> int:
    """How many rows remain once trailing rows with only blanks are cut.

    Whole-column selections are mostly blank; comparing 4,096-row slices with a template
    runs in C (~15 ms for 1,048,576 rows), row-by-row Python would take ten times longer.
    """
    i = len(rows)
    if i == 0:
        return 0
    last = rows[-1]
    kind, width = (type(last), len(last)) if isinstance(last, (list, tuple)) else (None, 0)
    if kind is not None:
        blanks = {None, ""}
        if width and _is_blank(last[0]) and last[0] is not None and last[0] != "":
            blanks = [None, "", last[0]]  # e.g. Pyodide's JS null
        templates = [_blank_template(kind, width, b) for b in blanks]
        while i >= _CHUNK:
            chunk = rows[i - _CHUNK:i]
            if any(chunk == t for t in templates):
                i -= _CHUNK
            else:
                break
    while i > 0:
        r = rows[i - 1]
        if isinstance(r, (list, tuple)):
            if not all(_is_blank(v) for v in r):
                break
        elif not _is_blank(r):
            break
        i -= 1
    return i


def _used_length(values: list) -> int:
    """Length of a flat list without its trailing blanks (a selected row)."""
    i = len(values)
    if i >= _CHUNK:
        blank_none, blank_text = [None] * _CHUNK, [""] * _CHUNK
        while i >= _CHUNK:
            chunk = values[i - _CHUNK:i]
            if chunk == blank_none or chunk == blank_text:
                i -= _CHUNK
            else:
                break
    while i > 0 and _is_blank(values[i - 1]):
        i -= 1
    return i


class _Range:
    """A range argument read once per call: its rows, trailing blanks cut.

    ``values`` holds the cells of a single row or column (a tuple, so it can key the call
    cache); ``lines`` the rows of a multi-column range, or the rows of a multi-row range
    read row-wise. ``types`` is the set of Python types of ``values``, which decides
    whether the fast conversion applies.
    """

    __slots__ = ("n_rows", "width", "values", "lines", "full", "_types")

    def __init__(self, value: Any) -> None:
        rows = _rows(value)
        self.n_rows = len(rows)
        first = rows[0] if rows else []
        self.width = len(first) if isinstance(first, (list, tuple)) else 1
        self.values: tuple | None = None
        self.lines: list | None = None
        self._types: frozenset | None = None
        if self.n_rows == 1 and self.width > 1:
            flat = list(first)
            self.full = len(flat)
            self.values = tuple(flat[:_used_length(flat)])
        elif self.width == 1:
            used = _used_rows(rows)
            part = rows[:used] if used < self.n_rows else rows
            try:
                self.values = tuple([r[0] for r in part])
            except (TypeError, IndexError, KeyError):  # ragged input from a Python caller
                self.values = tuple((r[0] if r else None) if isinstance(r, (list, tuple)) else r
                                    for r in part)
            self.full = self.n_rows
        else:
            used = _used_rows(rows)
            self.lines = [list(r) for r in rows[:used]]
            self.full = self.n_rows

    @property
    def types(self) -> frozenset:
        if self._types is None:
            self._types = frozenset(map(type, self.values)) if self.values is not None else frozenset()
        return self._types

    def key(self) -> tuple:
        """Content and cell types: equal keys mean the same cells, TRUE and 1 told apart."""
        if self.values is not None:
            return ("v", self.n_rows, self.width, self.values, self.types)
        lines = tuple(map(tuple, self.lines))
        types = frozenset(t for line in lines for t in map(type, line))
        return ("g", self.n_rows, self.width, lines, types)


_call_ranges: contextvars.ContextVar[dict | None] = contextvars.ContextVar("excel_call_ranges", default=None)


def _range(value: Any) -> _Range:
    """The range read once for the current call (the call cache key and the cleaning share it)."""
    memo = _call_ranges.get()
    if memo is None:
        return _Range(value)
    hit = memo.get(id(value))
    if hit is not None and hit[0] is value:
        return hit[1]
    rng = _Range(value)
    memo[id(value)] = (value, rng)
    return rng


@dataclass
class _Raw:
    """One range argument after shape handling, before cell conversion."""

    name: str
    kind: str                 # "levels", "numbers", "dates" or "panel"
    columns: list             # one sequence of cells per series (a single series has one)
    offset: int = 0           # selection positions before the first value (a header)
    header: list[str] | None = None
    full_length: int = 0      # values the selection holds after the header (untrimmed)
    types: frozenset | None = None   # cell types of a single series, when known


def _shape(rng: _Range, name: str, kind: str, transpose: bool | None) -> _Raw:
    """A read range -> series, in the orientation asked for."""
    if rng.n_rows == 0 or rng.width == 0:
        raise InputError(name, "no values given")
    if rng.values is not None:
        return _Raw(name, kind, [rng.values], full_length=rng.full, types=rng.types)
    if kind != "panel":
        raise InputError(name, f"expected a single row or column, got {rng.n_rows} rows x {rng.width} columns")
    lines = rng.lines
    if transpose:
        # each selected row is one fund
        used = max((_used_length(line) for line in lines), default=0)
        columns = [line[:used] + [None] * (used - len(line[:used])) for line in lines]
        return _Raw(name, kind, columns, full_length=rng.width)
    columns = [list(c) for c in zip(*lines)] if lines else [[] for _ in range(rng.width)]
    return _Raw(name, kind, columns, full_length=rng.full)


def _strip_header(raw: _Raw) -> None:
    """A first cell (row of a panel) that is text, not an error, is a header."""
    first = [c[0] for c in raw.columns if c]
    if not first:
        return

    def is_header(v: Any) -> bool:
        if not isinstance(v, str) or v == "" or _error_code(v):
            return False
        if raw.kind == "dates":
            return _one_date(v)[1] is not None
        return True

    if raw.kind == "panel" and len(raw.columns) > 1:
        texts = [is_header(v) for v in first]
        others = [not _is_blank(v) and not t for v, t in zip(first, texts)]
        if not any(texts) or any(others):
            return
        raw.header = [str(v).strip() if t else "" for v, t in zip(first, texts)]
    elif is_header(first[0]):
        raw.header = [str(first[0]).strip()]
    else:
        return
    raw.columns = [c[1:] for c in raw.columns]
    raw.types = None
    raw.offset = 1
    raw.full_length = max(raw.full_length - 1, 0)


# ----------------------------------------------------------------------------------------
# cell conversion
# ----------------------------------------------------------------------------------------

_FAST_NUMBERS = frozenset({float, int, type(None)})
_FAST_DATES = frozenset({_dt.datetime, pd.Timestamp, type(None)})



def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _cell_kind(v: Any) -> tuple[str, str]:
    """Classify a cell that is not a plain number: (kind, how to show it)."""
    code = _error_code(v)
    if code:
        return "error", code
    if isinstance(v, (bool, np.bool_)):
        return "boolean", "TRUE" if v else "FALSE"
    if isinstance(v, (_dt.date, np.datetime64, pd.Timestamp)):
        return "date", _show(v)
    return "text", _show(v)


_KIND_WORDS = {"error": ("error cell", "error cells"), "boolean": ("boolean cell", "boolean cells"),
               "text": ("non-numeric cell", "non-numeric cells"),
               "date": ("date cell where a number belongs", "date cells where a number belongs")}


def _numbers(cells: Any, name: str, types: frozenset | None = None) -> np.ndarray:
    """Cells -> float vector, NaN for blanks; any other cell is an error naming the first."""
    if (types if types is not None else set(map(type, cells))) <= _FAST_NUMBERS:
        return np.array(cells, dtype=float)
    out = np.full(len(cells), np.nan)
    bad: list[tuple[int, str, str]] = []
    for i, v in enumerate(cells):
        v = _plain(v)
        if _is_blank(v):
            continue
        if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_)):
            out[i] = float(v)
            continue
        kind, shown = _cell_kind(v)
        bad.append((i, kind, shown))
    if bad:
        i, kind, shown = bad[0]
        count = sum(1 for b in bad if b[1] == kind)
        one, many = _KIND_WORDS[kind]
        raise InputError(name, f"{count} {one if count == 1 else many} ({shown})", row=i + 1)
    return out


def _dates(cells: Any, name: str, types: frozenset | None = None) -> np.ndarray:
    """Cells -> datetime64[ns] vector, NaT for blanks; serial numbers are Excel dates."""
    types = types if types is not None else frozenset(map(type, cells))
    if types <= _FAST_NUMBERS:
        out, bad = excel_serial_to_datetime64(np.array(cells, dtype=float))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            _, problem = _one_date(cells[i])
            if bad.sum() > 1:
                problem = f"{int(bad.sum())} cells are not dates; the first: {problem}"
            raise InputError(name, problem, row=i + 1)
        return out
    if types <= _FAST_DATES and types != {type(None)}:
        try:
            idx = pd.DatetimeIndex(list(cells))
            if idx.tz is not None:
                idx = idx.tz_localize(None)
            return idx.as_unit("ns").to_numpy()
        except (ValueError, OverflowError):
            pass  # a date nanoseconds cannot hold: the cell-by-cell pass names it
    out = np.full(len(cells), np.datetime64("NaT", "ns"))
    bad: list[tuple[int, str]] = []
    for i, v in enumerate(cells):
        v = _plain(v)
        if _is_blank(v):
            continue
        ts, problem = _one_date(v)
        if problem:
            bad.append((i, problem))
        else:
            out[i] = ts.as_unit("ns").to_datetime64()
    if bad:
        i, problem = bad[0]
        if len(bad) == 1:
            raise InputError(name, problem, row=i + 1)
        raise InputError(name, f"{len(bad)} cells are not dates; the first: {problem}", row=i + 1)
    return out


# ----------------------------------------------------------------------------------------
# a group of row-aligned series
# ----------------------------------------------------------------------------------------

@dataclass
class Series:
    """The cleaned, row-aligned range arguments of one call.

    ``values[name]`` is a float vector (levels, numbers), a (T, N) float array (a panel)
    or a ``DatetimeIndex`` (dates), all of the same length; omitted arguments are None.
    ``positions[name][i]`` is the 1-based position in the user's selection of row ``i``.
    """

    values: dict[str, Any]
    positions: dict[str, np.ndarray]
    headers: dict[str, list[str] | None]
    axis: str = "row"

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def names(self, name: str) -> list[str]:
        """Column names of a panel: its header row, else "fund 1", "fund 2", ..."""
        v = self.values[name]
        k = v.shape[1] if getattr(v, "ndim", 1) == 2 else 1
        head = self.headers.get(name) or []
        return [(head[j] if j < len(head) and head[j] else f"fund {j + 1}") for j in range(k)]

    def locate(self, err: InputError, rename: dict[str, str] | None = None) -> InputError:
        """The same error with its row as a position in the user's selection, and the
        argument under its Excel name (``rename`` maps analytics names to Excel names)."""
        argument = (rename or {}).get(err.argument, err.argument)
        base = argument.split("[", 1)[0].strip()
        row = err.row
        pos = self.positions.get(base)
        if row is not None and pos is not None and 1 <= row <= pos.size:
            row = int(pos[row - 1])
        if self.axis == "column":
            argument = argument.replace("[column", "[row")
        out = type(err)(argument, err.problem, row)
        out.axis = self.axis
        return out


def read_series(*specs: tuple[str, Any, str], dates: Any = None, drop_blank_rows: bool = True) -> Series:
    """Clean row-aligned range arguments together.

    Parameters
    ----------
    specs : (name, value, kind)
        ``kind`` is ``"levels"`` (positive numbers, blanks allowed), ``"numbers"`` (any
        numbers, blanks allowed), ``"panel"`` (several columns of levels) or ``"dates"``.
        A None value is an omitted optional argument.
    dates : range, optional
        The ``dates`` argument, cleaned as ``("dates", dates, "dates")``.
    drop_blank_rows : bool
        With dates, drop rows that are blank in every argument (spacer rows, and the top
        of a whole-column selection above the data).
    """
    specs = list(specs) + ([("dates", dates, "dates")] if dates is not None else [])
    present = [(n, _range(v), k) for n, v, k in specs if v is not None]
    missing = {n for n, v, k in specs if v is None}
    # orientation: a single-series argument given as a row makes the panel row-oriented too
    as_row = any(k != "panel" and rng.n_rows == 1 and rng.width > 1 for n, rng, k in present)
    raws: list[_Raw] = []
    for n, rng, k in present:
        raw = _shape(rng, n, k, as_row if k == "panel" else None)
        _strip_header(raw)
        raws.append(raw)
    if not raws:
        raise InputError(specs[0][0], "no values given")
    # Trailing blanks were cut per argument; a series whose last cells are blank while the
    # others go on is blank there, not shorter: restore it up to the common length.
    used = max(len(r.columns[0]) for r in raws)
    for r in raws:
        target = min(used, r.full_length)
        if target == 0:
            raise InputError(r.name, "no values given" if r.header is None else "only a header, no values")
        if any(len(c) < target for c in r.columns):
            r.columns = [tuple(c) + (None,) * (target - len(c)) for c in r.columns]
            r.types = None
    first = raws[0]
    n = len(first.columns[0])
    for r in raws[1:]:
        m = len(r.columns[0])
        if m != n:
            culprit, other, hint = r, first, ""
            if abs(m - n) == 1 and (r.header is None) != (first.header is None):
                hint = " (a text header was taken from its first cell)"
                # The argument whose first cell was read as a header is the likely mistake.
                culprit, other = (first, r) if first.header is not None else (r, first)
            raise InputError(culprit.name, f"{len(culprit.columns[0])} values for "
                                           f"{len(other.columns[0])} {other.name} values; select the "
                                           f"same rows for every series{hint}")
    axis = "column" if as_row else "row"
    values: dict[str, Any] = {}
    blank = np.ones(n, dtype=bool)
    for r in raws:
        try:
            v = _convert(r)
        except InputError as e:  # rows counted in the selection, header included
            err = type(e)(e.argument, e.problem, None if e.row is None else e.row + r.offset)
            err.axis = axis
            raise err from None
        blank &= np.isnat(v) if v.dtype.kind == "M" else (np.isnan(v).all(axis=1) if v.ndim == 2 else np.isnan(v))
        values[r.name] = v
    has_dates = any(r.kind == "dates" for r in raws)
    keep = _rows_to_keep(blank, interior=has_dates and drop_blank_rows)
    base = np.arange(n) if keep is None else keep
    positions = {r.name: base + 1 + r.offset for r in raws}
    if keep is not None:
        values = {k: v[keep] for k, v in values.items()}
    series = Series(values=values, positions=positions, headers={r.name: r.header for r in raws},
                    axis=axis)
    for r in raws:
        if r.kind == "dates":
            d = values[r.name]
            nat = np.isnat(d)
            if nat.any():
                i = int(np.flatnonzero(nat)[0])
                raise series.locate(InputError(
                    r.name, f"{_plural(int(nat.sum()), 'blank date')} beside values", row=i + 1))
            values[r.name] = pd.DatetimeIndex(d)
    for m in missing:
        values[m] = None
    values.setdefault("dates", None)
    return series


def _convert(r: _Raw) -> np.ndarray:
    """One argument's cells as datetime64[ns], a float vector or a (T, N) float panel."""
    if r.kind == "dates":
        return _dates(r.columns[0], r.name, r.types)
    if r.kind == "panel" and len(r.columns) > 1:
        cols = []
        for j, c in enumerate(r.columns):
            label = r.header[j] if r.header and r.header[j] else f"column {j + 1}"
            try:
                cols.append(_numbers(c, r.name))
            except InputError as e:
                raise InputError(f"{r.name}[{label}]", e.problem, e.row) from None
        return np.column_stack(cols)
    return _numbers(r.columns[0], r.name, r.types)


def _rows_to_keep(blank: np.ndarray, interior: bool) -> np.ndarray | None:
    """Indices of the rows to keep, or None for all of them."""
    if not blank.any():
        return None
    if interior:
        keep = np.flatnonzero(~blank)
    else:
        filled = np.flatnonzero(~blank)
        start = int(filled[0]) if filled.size else 0
        keep = np.arange(start, blank.size)
    return keep if keep.size != blank.size else None


# ----------------------------------------------------------------------------------------
# calling the analytics
# ----------------------------------------------------------------------------------------

def run(fn: Callable[..., Any], *args: Any, series: Series | None = None,
        rename: dict[str, str] | None = None, cached: bool = True) -> Any:
    """``fn(*args)`` through the cache, with errors placed in the user's selection.

    The key is ``fn`` and the content of ``args`` (array bytes, scalars), so every Excel
    function that needs the same estimate on the same cells shares one computation. Input
    errors are kept too (the same bad cells give the same message); unexpected exceptions
    are not.
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
        raise (series.locate(err, rename) if series is not None else _renamed(err, rename))
    return out


def _renamed(err: InputError, rename: dict[str, str] | None) -> InputError:
    if not rename or err.argument not in rename:
        return err
    return type(err)(rename[err.argument], err.problem, err.row)


@dataclass(frozen=True)
class _Raised:
    """An input error kept in the cache (without its traceback and frames)."""

    cls: type
    argument: str
    problem: str
    row: int | None
    axis: str

    def __init__(self, err: InputError) -> None:
        object.__setattr__(self, "cls", type(err))
        object.__setattr__(self, "argument", err.argument)
        object.__setattr__(self, "problem", err.problem)
        object.__setattr__(self, "row", err.row)
        object.__setattr__(self, "axis", getattr(err, "axis", "row"))

    def rebuild(self) -> InputError:
        err = self.cls(self.argument, self.problem, self.row)
        err.axis = self.axis
        return err


# ----------------------------------------------------------------------------------------
# results
# ----------------------------------------------------------------------------------------

def _missing(v: Any) -> bool:
    if v is None:
        return True
    try:
        return not math.isfinite(v)
    except TypeError:
        return False


def scalar(value: Any, what: str, reason: str | None = None) -> float:
    """A single figure as a cell value; NaN or inf is an error with the reason."""
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.reshape(-1)[0]
    if isinstance(value, np.generic):
        value = value.item()
    if _missing(value):
        raise NotAvailable(what, reason or "cannot be estimated from these data")
    return value


def _cell(v: Any) -> Any:
    if isinstance(v, np.generic):
        v = v.item()
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, (pd.Timestamp, _dt.datetime, _dt.date, np.datetime64)):
        ts = pd.Timestamp(v)
        return NA if ts is pd.NaT else ts.to_pydatetime()
    if _missing(v):
        return NA
    return v


def table(rows: list[list[Any]]) -> list[list[Any]]:
    """A 2-D result: NaN -> ``"#N/A"``, numpy scalars -> Python numbers, rows of equal width."""
    width = max((len(r) for r in rows), default=0)
    return [[_cell(v) for v in r] + [None] * (width - len(r)) for r in rows]
