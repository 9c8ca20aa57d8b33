"""The range arguments of one call, read together as row-aligned series.

An Excel function's series (fund and index, price, NAV and volume, their dates) are rows of
one table to the user: row 12 of ``fund`` goes with row 12 of ``index``. So they are read
together (:func:`read_series`), and whatever is decided about a row is decided for all:

* **lengths**: trailing blanks are cut per argument (see :mod:`.ranges`), then a series
  whose last cells are blank while the others go on is blank there, not shorter; after
  that the lengths must agree, and when they differ by one where only one argument had a
  text header, the message says which argument the header was taken from.
* **blank rows**: with dates, a row is identified by its date, and rows blank in every
  argument are dropped (spacer rows, the top of a whole-column selection above the data);
  without dates rows are periods, so only the blank rows above the data are dropped and
  interior blank rows stay (skipped periods). A blank date beside values is an error.
* **positions**: every error names a position in the selection the user made: "first at
  row 12" is row 12 of the selection, header included; for arguments selected as rows it
  says "column". :meth:`Series.locate` translates the positions of an error the
  analytics raise on the cleaned arrays.

Each cell is read by :mod:`xlwings_udfs.cells`: levels and numbers as floats (NaN where
blank), dates as ``datetime64[ns]``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import cells
from ..analytics.errors import InputError
from ..analytics.validation import plural
from .ranges import Columns, read_range, shape, strip_header

__all__ = ["Series", "read_series"]


@dataclass
class Series:
    """The cleaned, row-aligned range arguments of one call.

    ``values[name]`` is a float vector (levels, numbers), a (T, N) float array (a panel)
    or a ``DatetimeIndex`` (dates), all of the same length; omitted arguments are None.
    ``positions[name][i]`` is the 1-based position in the user's selection of row ``i``;
    ``axis`` says what those positions count: ``"row"`` for columns, ``"column"`` for
    arguments selected as rows.
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
        return err.replace(argument=argument, row=row, axis=self.axis)


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
    present = [(n, read_range(v), k) for n, v, k in specs if v is not None]
    missing = {n for n, v, k in specs if v is None}
    # orientation: a single-series argument given as a row makes the panel row-oriented too
    as_row = any(k != "panel" and rng.n_rows == 1 and rng.width > 1 for n, rng, k in present)
    raws: list[Columns] = []
    for n, rng, k in present:
        raw = shape(rng, n, k, as_row if k == "panel" else None)
        strip_header(raw)
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
        if any(len(c) < target for c in r.columns):  # as cells: a float vector's as Python floats
            r.columns = [tuple(c.tolist() if isinstance(c, np.ndarray) else c) + (None,) * (target - len(c))
                         for c in r.columns]
            r.types = r.floats = None
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
            raise e.replace(row=None if e.row is None else e.row + r.offset, axis=axis) from None
        blank &= np.isnat(v) if v.dtype.kind == "M" else (np.isnan(v).all(axis=1) if v.ndim == 2 else np.isnan(v))
        values[r.name] = v
    has_dates = any(r.kind == "dates" for r in raws)
    keep = _rows_to_keep(blank, interior=has_dates and drop_blank_rows)
    rows = (np.arange(n) if keep is None else keep) + 1
    positions = {r.name: rows + r.offset if r.offset else rows for r in raws}  # read only: shared
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
                    r.name, f"{plural(int(nat.sum()), 'blank date')} beside values", row=i + 1))
            values[r.name] = pd.DatetimeIndex(d, copy=False)  # d is this call's own array
    for m in missing:
        values[m] = None
    values.setdefault("dates", None)
    return series


def _convert(r: Columns) -> np.ndarray:
    """One argument's cells as datetime64[ns], a float vector or a (T, N) float panel."""
    if r.kind == "dates":  # Office.js dates: serial numbers, read at once when all are floats
        return cells.dates(r.floats if r.floats is not None else r.columns[0], r.name, types=r.types)
    if r.kind == "panel" and len(r.columns) > 1:
        cols = []
        for j, c in enumerate(r.columns):
            label = r.header[j] if r.header and r.header[j] else f"column {j + 1}"
            try:
                cols.append(cells.numbers(c, r.name))
            except InputError as e:
                raise e.replace(argument=f"{r.name}[{label}]") from None
        return np.column_stack(cols)
    if r.floats is not None:  # what cells.numbers makes of floats
        return r.floats
    return cells.numbers(r.columns[0], r.name, types=r.types)


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
