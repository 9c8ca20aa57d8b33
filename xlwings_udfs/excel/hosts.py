"""Which Excel host is calling, how it hands cells over, and how it is told about an error.

The Excel functions run on three hosts that differ in what they pass and in what they can
show; this module is where those differences are decided, so that the rest of the package
sees one kind of cell and one kind of failure.

Cells in
--------
Every host delivers a range argument as a list of rows, but not the same list. Classic
xlwings is asked for 2-D lists with error cells as text (``ndim=2, err_to_str=True``):
COM gives error codes as large negative integers, which would pass for numbers. Office.js
arguments are taken as Excel sent them (``convert="raw"``): xlwings' own cleaning of an
Office.js argument tries (and, outside Pyodide, fails) an import for every cell, ~0.2 ms
each, 20 s for 100,000 cells, and :mod:`xlwings_udfs.cells` reads ``""``, null and error
objects itself. The differences that remain:

* **dates** arrive as ``datetime`` (classic xlwings) or as serial numbers (Office.js:
  xlwings Server and xlwings Lite);
* **error cells** arrive as text (classic) or as Office.js error objects;
* **blanks** arrive as None, ``""`` or, in xlwings Lite, Pyodide's JS null;
* a **one-row selection** may arrive as a flat list (xlwings unwraps ``[[a, b]]``).

Errors out
----------
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

Inside a spilled table a figure that cannot be estimated is :data:`NA`, which Office.js
shows as a real #N/A and classic xlwings as the text ``#N/A``.

The host is Office.js when xlwings picked its server decorators (``XLWINGS_ON_SERVER=true``)
or when running in Pyodide (``sys.platform == "emscripten"``, i.e. xlwings Lite); otherwise
classic. Tests switch it with :func:`use_host`.
"""
from __future__ import annotations

import contextlib
import contextvars
import os
import sys
from typing import Any, Iterator

from xlwings import XlwingsError

from ..analytics.errors import InputError, NotEnoughData

__all__ = ["CLASSIC", "OFFICE_JS", "NA", "MAX_MESSAGE", "host", "use_host", "range_options",
           "RANGE", "CELL", "describe", "fail"]

CLASSIC = "classic"
OFFICE_JS = "officejs"
#: What a figure that cannot be estimated shows inside a spilled table.
NA = "#N/A"
#: The longest message a cell shows.
MAX_MESSAGE = 255

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


def range_options() -> dict[str, Any]:
    """The xlwings options of a range argument on the current host (see "Cells in")."""
    if host() == OFFICE_JS:
        return {"convert": "raw"}
    return {"ndim": 2, "err_to_str": True}


#: xlwings options for a range argument (``@xw.arg(name, **RANGE, doc=...)``), chosen once
#: at import, as xlwings chooses its decorators.
RANGE: dict[str, Any] = range_options()
#: xlwings options for a single-cell argument: error cells as "#N/A"-style text.
CELL: dict[str, Any] = {"err_to_str": True}


def describe(err: BaseException) -> str:
    """The one-line message for an error, at most :data:`MAX_MESSAGE` characters.

    An :class:`InputError` says itself (``fund: 3 non-numeric cells ('x'), first at row
    12``); anything else is an internal error named by its type.
    """
    if isinstance(err, InputError):
        msg = err.message
    else:
        msg = f"internal error: {type(err).__name__}: {err}"
    msg = " ".join(str(msg).split())
    return msg if len(msg) <= MAX_MESSAGE else msg[: MAX_MESSAGE - 3] + "..."


def fail(err: BaseException) -> str:
    """What a call that failed with ``err`` gives Excel on this host (see "Errors out"):
    the text for the cell (classic), or :class:`xlwings.XlwingsError` raised (Office.js)."""
    msg = describe(err)
    not_enough = isinstance(err, NotEnoughData)
    if host() == OFFICE_JS:
        raise XlwingsError(f"Not enough data - {msg}" if not_enough else msg) from None
    return f"{NA} {msg}" if not_enough else f"#VALUE! {msg}"
