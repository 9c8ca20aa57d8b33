"""A range argument as the user selected it: its shape, its trailing blanks, its header.

A host passes a range as a list of rows (see :mod:`.hosts`); a Python caller may pass a
numpy array or a pandas object, and the ``formulas`` engine passes 2-D object arrays. This
module turns any of them into the cells of one or more series, in the user's orientation,
before any cell is read as a number or a date (that is :mod:`xlwings_udfs.cells`):

* a **row** is read like a column; a **panel** (several columns of funds) takes its
  orientation from the single-series arguments beside it (:func:`shape` is told which);
  a block of several rows and columns where one series belongs is refused.
* a **whole-column selection** (``B:B``, 1,048,576 rows) is cut after its last filled row
  by comparing 4,096-row slices with a blank template, at C speed (~15 ms a column where
  row-by-row Python would take ten times longer).
* a **header**: a first cell that is text (not an error code and, in a date argument, not
  a date written as text, ``2024-01-31`` or ``31/01/2024``) is a header, not data; in a
  panel, the first row of text names the funds.
  :attr:`Columns.offset` keeps the rows it took, so that positions still count from the
  top of the selection.

Each range of a call is read once (:func:`read_range` inside :func:`one_reading`): the
call cache's key and the cleaning share one reading.
"""
from __future__ import annotations

import contextlib
import contextvars
import marshal
from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np
import pandas as pd

from ..analytics.errors import InputError
from ..cache import SampledBytes
from ..cells import FLOAT_TYPES, all_floats, error_code, is_blank, is_date_text

__all__ = ["rows_of", "used_rows", "used_length", "cell_types", "column_floats", "Range", "read_range",
           "one_reading", "Columns", "shape", "strip_header"]


def rows_of(value: Any) -> list:
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


def used_rows(rows: list) -> int:
    """How many rows remain once trailing rows with only blanks are cut."""
    i = len(rows)
    if i == 0:
        return 0
    last = rows[-1]
    kind, width = (type(last), len(last)) if isinstance(last, (list, tuple)) else (None, 0)
    if kind is not None:
        blanks = {None, ""}
        if width and is_blank(last[0]) and last[0] is not None and last[0] != "":
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
            if not all(is_blank(v) for v in r):
                break
        elif not is_blank(r):
            break
        i -= 1
    return i


def used_length(values: list) -> int:
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
    while i > 0 and is_blank(values[i - 1]):
        i -= 1
    return i


def cell_types(values: tuple) -> frozenset:
    """The set of ``type(v)`` of the values.

    A column usually holds one type (floats, or dates): counting the first value's type is a
    third faster than building the set, which is built only when the count falls short.
    """
    if values:
        first = type(values[0])
        if list(map(type, values)).count(first) == len(values):
            return frozenset((first,))
    return frozenset(map(type, values))


# marshal (format 2) writes a list as "[" and its length in 4 bytes, then each item in turn: a
# row holding one float (a list, not a subclass) as "[", the length 1, "g" and the float's 8 bytes
_ONE_FLOAT_ROW = np.dtype([("head", "S6"), ("value", "<f8")])
_ONE_FLOAT_HEAD = b"[" + (1).to_bytes(4, "little") + b"g"


def column_floats(rows: list) -> np.ndarray | None:
    """A column's rows as a float vector when every row is a list of one ``float``, else None.

    What :func:`~xlwings_udfs.cells.all_floats` does for a tuple of cells, done on the rows as
    the host passes them, so that a column of floats is not first taken out of its rows (a
    pass in Python). A column whose first cell is no float (a header, dates) is not tried.
    """
    n = len(rows)
    if not n or type(rows[0]) is not list or not rows[0] or type(rows[0][0]) is not float:
        return None
    try:
        data = marshal.dumps(rows, 2)
    except ValueError:
        return None
    if len(data) != 5 + _ONE_FLOAT_ROW.itemsize * n or data[:5] != b"[" + n.to_bytes(4, "little"):
        return None
    rows_read = np.ndarray((n,), dtype=_ONE_FLOAT_ROW, buffer=data, offset=5)
    if rows_read["head"].tobytes() != _ONE_FLOAT_HEAD * n:
        return None
    return rows_read["value"].astype(float)


class Range:
    """A range argument read once per call: its rows, trailing blanks cut.

    ``values`` holds the cells of a single row or column: a tuple (so it can key the call
    cache), or, for a column whose cells are all floats (the usual column of numbers, or
    Office.js dates), their float vector, read from the rows in one pass (:func:`column_floats`).
    ``lines`` holds the rows of a multi-column range, or the rows of a multi-row range
    read row-wise. ``types`` is the set of Python types of the cells, which decides
    whether the fast conversion applies; ``floats`` the cells as a float vector when every
    one is a float. ``full`` is the length of the selection before trimming.
    """

    __slots__ = ("n_rows", "width", "values", "lines", "full", "_types", "_floats")

    def __init__(self, value: Any) -> None:
        rows = rows_of(value)
        self.n_rows = len(rows)
        first = rows[0] if rows else []
        self.width = len(first) if isinstance(first, (list, tuple)) else 1
        self.values: tuple | np.ndarray | None = None
        self.lines: list | None = None
        self._types: frozenset | None = None
        self._floats: np.ndarray | None = None
        if self.n_rows == 1 and self.width > 1:
            flat = list(first)
            self.full = len(flat)
            self.values = tuple(flat[:used_length(flat)])
        elif self.width == 1:
            used = used_rows(rows)
            part = rows[:used] if used < self.n_rows else rows
            floats = column_floats(part)
            if floats is not None:
                self.values = self._floats = floats
                self._types = FLOAT_TYPES
            else:
                try:
                    self.values = tuple([r[0] for r in part])
                except (TypeError, IndexError, KeyError):  # ragged input from a Python caller
                    self.values = tuple((r[0] if r else None) if isinstance(r, (list, tuple)) else r
                                        for r in part)
            self.full = self.n_rows
        else:
            used = used_rows(rows)
            self.lines = [list(r) for r in rows[:used]]
            self.full = self.n_rows

    @property
    def types(self) -> frozenset:
        if self._types is None:
            self._read_types()
        return self._types

    @property
    def floats(self) -> np.ndarray | None:
        if self._types is None:
            self._read_types()
        return self._floats

    def _read_types(self) -> None:
        """``types`` and ``floats`` together: a column of floats is told by reading it as one."""
        if self.values is None:
            self._types = frozenset()
            return
        self._floats = all_floats(self.values)
        self._types = FLOAT_TYPES if self._floats is not None else cell_types(self.values)

    def key(self) -> tuple:
        """Content and cell types: equal keys mean the same cells, TRUE and 1 told apart.

        TRUE equals 1 (and 1.0) in Python, so cells compare equal where a boolean and a
        number swap places, and the set of types is the same: where booleans sit beside
        other values, their places are part of the key. A column held as floats is keyed by
        their bytes, which tell every float apart (a float vector holds no boolean).
        """
        if isinstance(self.values, np.ndarray):
            return ("f", self.n_rows, self.width, SampledBytes(self.values.tobytes()))
        if self.values is not None:
            places = _boolean_places(self.values) if _mixes_booleans(self.types) else None
            return ("v", self.n_rows, self.width, self.values, self.types, places)
        lines = tuple(map(tuple, self.lines))
        types = frozenset(t for line in lines for t in map(type, line))
        places = tuple(map(_boolean_places, lines)) if _mixes_booleans(types) else None
        return ("g", self.n_rows, self.width, lines, types, places)


_BOOLEANS = frozenset({bool, np.bool_})


def _mixes_booleans(types: frozenset) -> bool:
    """Booleans beside other values (a range of booleans only is told apart by its values)."""
    return bool(types & _BOOLEANS) and not types <= _BOOLEANS


def _boolean_places(values: tuple) -> tuple:
    """The positions of the booleans among ``values``."""
    return tuple(i for i, v in enumerate(values) if type(v) in _BOOLEANS)


_call_ranges: contextvars.ContextVar[dict | None] = contextvars.ContextVar("excel_call_ranges", default=None)


@contextlib.contextmanager
def one_reading() -> Iterator[None]:
    """Inside the block (one Excel call), :func:`read_range` reads each range value once."""
    token = _call_ranges.set({})
    try:
        yield
    finally:
        _call_ranges.reset(token)


def read_range(value: Any) -> Range:
    """The range, read once for the current call (the call cache key and the cleaning
    share it)."""
    memo = _call_ranges.get()
    if memo is None:
        return Range(value)
    hit = memo.get(id(value))
    if hit is not None and hit[0] is value:
        return hit[1]
    rng = Range(value)
    memo[id(value)] = (value, rng)
    return rng


@dataclass
class Columns:
    """One range argument after shape handling, before its cells are read.

    ``columns`` holds one sequence of cells per series (a single series has one; a column
    of floats may be their float vector, see :attr:`Range.values`);
    ``offset`` the positions of the selection before the first value (a header row);
    ``full_length`` the values the selection holds after the header, untrimmed; ``types``
    the cell types of a single series, when known, and ``floats`` its cells as a float
    vector when every one is a float (see :attr:`Range.floats`). Whatever changes
    ``columns`` sets both to None.
    """

    name: str
    kind: str                 # "levels", "numbers", "dates" or "panel"
    columns: list
    offset: int = 0
    header: list[str] | None = None
    full_length: int = 0
    types: frozenset | None = None
    floats: np.ndarray | None = None


def shape(rng: Range, name: str, kind: str, transpose: bool | None) -> Columns:
    """A read range -> series; a panel given as rows (``transpose``) has a fund a row."""
    if rng.n_rows == 0 or rng.width == 0:
        raise InputError(name, "no values given")
    if rng.values is not None:
        return Columns(name, kind, [rng.values], full_length=rng.full, types=rng.types,
                       floats=rng.floats)
    if kind != "panel":
        raise InputError(name, f"expected a single row or column, got {rng.n_rows} rows x {rng.width} columns")
    lines = rng.lines
    if transpose:
        used = max((used_length(line) for line in lines), default=0)
        columns = [line[:used] + [None] * (used - len(line[:used])) for line in lines]
        return Columns(name, kind, columns, full_length=rng.width)
    columns = [list(c) for c in zip(*lines)] if lines else [[] for _ in range(rng.width)]
    return Columns(name, kind, columns, full_length=rng.full)


def strip_header(raw: Columns) -> None:
    """Take a header off: a first cell (first row of a panel) that is text, not an error."""
    first = [c[0] for c in raw.columns if len(c)]
    if not first:
        return

    def is_header(v: Any) -> bool:
        if not isinstance(v, str) or v == "" or error_code(v):
            return False
        if raw.kind == "dates":  # a date written as text (31/01/2024) is data
            return not is_date_text(v)
        return True

    if raw.kind == "panel" and len(raw.columns) > 1:
        texts = [is_header(v) for v in first]
        others = [not is_blank(v) and not t for v, t in zip(first, texts)]
        if not any(texts) or any(others):
            return
        raw.header = [str(v).strip() if t else "" for v, t in zip(first, texts)]
    elif is_header(first[0]):
        raw.header = [str(first[0]).strip()]
    else:
        return
    raw.columns = [c[1:] for c in raw.columns]
    raw.types = raw.floats = None
    raw.offset = 1
    raw.full_length = max(raw.full_length - 1, 0)
