"""Validation and alignment of the level series every estimator starts from.

This is the one place where inputs are checked. Every estimator calls these helpers, so a
bad argument produces the same one-line message whichever function it was given to.

Rules (see DESIGN.md, "Conventions"):

* Levels must be finite and strictly positive. ``None`` and NaN mean "no value on this
  date"; anything else that is not a number (text, booleans, infinities) is an error.
* Two series are compared on the dates both have. Rows before the first or after the last
  common date are outside the comparison; a date inside that span on which one series has
  no value is *skipped*: the next return compounds the levels across the gap. Skipped dates
  are counted and reported, never filled.
* Dates must be sorted ascending without duplicates. They are optional; without them, rows
  are consecutive periods.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from numbers import Number
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "InputError",
    "NotEnoughData",
    "Aligned",
    "as_numbers",
    "as_levels",
    "as_dates",
    "check_length",
    "check_choice",
    "union_dates",
    "align",
    "infer_periods_per_year",
    "check_positive_number",
]


class InputError(ValueError):
    """A bad argument. The message names the argument and, where it applies, the row.

    Rows are counted from 1, as a user counts them in the selection they passed.
    """

    def __init__(self, argument: str, problem: str, row: int | None = None) -> None:
        self.argument = argument
        self.problem = problem
        self.row = row
        where = f", first at row {row}" if row is not None else ""
        super().__init__(f"{argument}: {problem}{where}")


class NotEnoughData(InputError):
    """Valid input, but too little of it for the estimate asked for (Excel shows #N/A)."""


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _as_object_1d(values: Any, name: str) -> np.ndarray:
    """Flatten a row, a column or a 1-D sequence into a 1-D array.

    Numeric and datetime64 inputs keep their dtype (the fast path); anything else becomes an
    object array whose cells are checked one by one.
    """
    if isinstance(values, (pd.Series, pd.Index)):
        arr = values.to_numpy()
        if arr.dtype.kind not in "fiuM":
            arr = values.to_numpy(dtype=object)
    elif isinstance(values, pd.DataFrame):
        if values.shape[1] != 1:
            raise InputError(name, f"expected one column, got {values.shape[1]}")
        return _as_object_1d(values.iloc[:, 0], name)
    else:
        if values is None:
            raise InputError(name, "no values given")
        if isinstance(values, (Number, str, _dt.date, np.generic)):
            values = [values]
        arr = values if isinstance(values, np.ndarray) and values.dtype.kind in "fiuM" else None
        if arr is None:
            arr = np.asarray(values, dtype=object)
        if arr.ndim == 2:
            if 1 in arr.shape:
                arr = arr.reshape(-1)
            else:
                raise InputError(
                    name, f"expected a single row or column, got {arr.shape[0]} x {arr.shape[1]}"
                )
        elif arr.ndim != 1:
            raise InputError(name, f"expected a single row or column, got {arr.ndim} dimensions")
    return arr


def _to_float(arr: np.ndarray, name: str, row_offset: int = 0) -> np.ndarray:
    """Object array -> float array; None/NaN -> NaN; anything non-numeric is an error."""
    if arr.dtype.kind == "f":
        out = arr.astype(float, copy=False)
    elif arr.dtype.kind in "iu":
        out = arr.astype(float)
    else:
        is_number = np.fromiter(
            (
                v is None
                or (isinstance(v, (Number, np.number)) and not isinstance(v, (bool, np.bool_)))
                for v in arr
            ),
            dtype=bool,
            count=arr.size,
        )
        if not is_number.all():
            bad = np.flatnonzero(~is_number)
            first = arr[bad[0]]
            kind = "boolean" if isinstance(first, (bool, np.bool_)) else "non-numeric"
            raise InputError(
                name, f"{_plural(bad.size, kind + ' cell')} ({first!r})", row=int(bad[0]) + 1 + row_offset
            )
        out = np.array([np.nan if v is None else float(v) for v in arr], dtype=float)
    inf = np.isinf(out)
    if inf.any():
        bad = np.flatnonzero(inf)
        raise InputError(name, f"{_plural(bad.size, 'infinite value')}", row=int(bad[0]) + 1 + row_offset)
    return out


def as_numbers(values: Any, name: str) -> np.ndarray:
    """A row, a column or a 1-D sequence of numbers as a float vector, NaN where blank.

    Raises
    ------
    InputError
        For text, booleans and infinities.
    """
    return _to_float(_as_object_1d(values, name), name)


def as_levels(values: Any, name: str) -> np.ndarray:
    """A level series (NAV, index, price) as a float vector with NaN where there is no value.

    Raises
    ------
    InputError
        For text, booleans, infinities and zero or negative levels.
    """
    out = as_numbers(values, name)
    _check_positive(out, name)
    return out


def check_length(size: int, n: int, name: str, other: str) -> None:
    """``name`` has ``size`` values where ``other`` has ``n``: they must match."""
    if size != n:
        raise InputError(name, f"{size} values for {n} {other} values; the lengths must match")


def check_choice(value: Any, name: str, choices: tuple[str, ...]) -> str:
    """One of ``choices``; text is matched without case, with '-' or ' ' read as '_'."""
    v = value.strip().lower().replace("-", "_").replace(" ", "_") if isinstance(value, str) else value
    if v not in choices:
        raise InputError(name, f"must be one of {', '.join(repr(c) for c in choices)}, got {value!r}")
    return v


def _series_dates(x: Any) -> pd.DatetimeIndex | None:
    if isinstance(x, (pd.Series, pd.DataFrame)) and isinstance(x.index, pd.DatetimeIndex):
        return x.index
    return None


def union_dates(series: dict[str, Any]) -> tuple[list[Any], pd.DatetimeIndex | None]:
    """Pandas inputs that all carry dates, put on the union of their dates.

    ``series`` maps argument names to inputs. When every input is a Series or DataFrame
    indexed by dates, each index is checked (sorted, no duplicates: the message names the
    argument) and all are reindexed on the union, blank where an input has no value; the
    union is returned checked, in nanoseconds (as_dates). Anything else is returned as
    given, with no dates.
    """
    values = list(series.values())
    idx = [_series_dates(x) for x in values]
    if any(i is None for i in idx):
        return values, None
    idx = [as_dates(i, None, f"{name} dates") for i, name in zip(idx, series)]
    axis = idx[0]
    for i in idx[1:]:
        if not i.equals(axis):
            axis = axis.union(i)
    # Each input goes onto the union through its own checked index (time zone dropped, in
    # nanoseconds), so that its dates match the union's; one already on it is left as given.
    return [x if i.equals(axis) else x.set_axis(i, axis=0).reindex(axis) for x, i in zip(values, idx)], axis


def _check_positive(out: np.ndarray, name: str, columns: list[str] | None = None) -> None:
    with np.errstate(invalid="ignore"):
        nonpos = out <= 0
    if nonpos.any():
        pos = np.argwhere(nonpos)[0]
        if out.ndim == 2:
            label = columns[pos[1]] if columns else f"column {pos[1] + 1}"
            name = f"{name}[{label}]"
        raise InputError(
            name,
            f"{_plural(int(nonpos.sum()), 'zero or negative level')} ({out[tuple(pos)]:g}); "
            "levels must be positive",
            row=int(pos[0]) + 1,
        )


def _as_level_panel(values: Any, name: str) -> tuple[np.ndarray, list[str] | None]:
    """A (T, N) panel of levels, with column names when the input has them."""
    if isinstance(values, pd.DataFrame):
        names = [str(c) for c in values.columns]
        if all(dt.kind in "fiu" for dt in values.dtypes):
            out = values.to_numpy(dtype=float)
            inf = np.isinf(out)
            if inf.any():
                r, c = np.argwhere(inf)[0]
                raise InputError(f"{name}[{names[c]}]", "infinite value", row=int(r) + 1)
        else:
            cols = [_to_float(values.iloc[:, j].to_numpy(dtype=object), f"{name}[{names[j]}]")
                    for j in range(values.shape[1])]
            out = np.column_stack(cols) if cols else np.empty((len(values), 0))
    else:
        arr = values if isinstance(values, np.ndarray) and values.dtype.kind in "fiu" else None
        if arr is None:
            arr = np.asarray(values, dtype=object)
        names = None
        if arr.ndim != 2:
            raise InputError(name, f"expected a 2-D panel (dates x funds), got {arr.ndim} dimensions")
        if arr.dtype.kind in "fiu":
            out = arr.astype(float)
        else:
            out = np.column_stack(
                [_to_float(arr[:, j], f"{name}[column {j + 1}]") for j in range(arr.shape[1])]
            )
        inf = np.isinf(out)
        if inf.any():
            r, c = np.argwhere(inf)[0]
            raise InputError(f"{name}[column {c + 1}]", "infinite value", row=int(r) + 1)
    if out.shape[1] == 0:
        raise InputError(name, "the panel has no funds")
    _check_positive(out, name, names)
    return out, names


def as_dates(dates: Any, n: int | None, name: str = "dates") -> pd.DatetimeIndex:
    """Dates as a DatetimeIndex: same length as the data, no blanks, sorted, no duplicates.

    Accepts datetimes, dates, numpy/pandas timestamps and ISO strings. Excel serial numbers
    are converted by the Excel layer before they reach here; a bare number is an error.
    """
    if (isinstance(dates, pd.DatetimeIndex) and dates.tz is None and (n is None or dates.size == n)
            and not dates.hasnans and dates.is_monotonic_increasing and dates.is_unique):
        return _in_nanoseconds(dates, name)  # already valid: pandas caches these properties
    arr = _as_object_1d(dates, name)
    if n is not None and arr.size != n:
        raise InputError(name, f"{arr.size} dates for {n} values; the lengths must match")
    if arr.dtype.kind == "M":
        idx = pd.DatetimeIndex(arr)
        if idx.hasnans:
            bad = np.flatnonzero(idx.isna())
            raise InputError(name, f"{_plural(bad.size, 'blank date')}", row=int(bad[0]) + 1)
    elif arr.dtype.kind in "fiu":
        raise InputError(name, f"not a date ({arr[0]!r}); give dates, not numbers", row=1)
    else:
        idx = _object_dates(arr, name)
    if idx.tz is not None:
        idx = idx.tz_localize(None)
    idx = _in_nanoseconds(idx, name)
    if idx.size > 1:
        step = np.diff(idx.asi8)
        if (step == 0).any():
            i = int(np.flatnonzero(step == 0)[0]) + 1
            raise InputError(name, f"duplicate date {idx[i].date()}", row=i + 1)
        if (step < 0).any():
            i = int(np.flatnonzero(step < 0)[0]) + 1
            raise InputError(
                name, f"dates must be in ascending order ({idx[i].date()} after {idx[i - 1].date()})", row=i + 1
            )
    return idx


def _in_nanoseconds(idx: pd.DatetimeIndex, name: str) -> pd.DatetimeIndex:
    """Nanoseconds everywhere, so that integer date arithmetic means the same on every input."""
    if idx.unit == "ns":
        return idx
    try:
        return idx.as_unit("ns")
    except (ValueError, OverflowError):  # pandas' OutOfBoundsDatetime is a ValueError
        raise InputError(name, "must fall between 1677-09-22 and 2262-04-11") from None


def _object_dates(arr: np.ndarray, name: str) -> pd.DatetimeIndex:
    missing = np.array([v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT for v in arr])
    if missing.any():
        bad = np.flatnonzero(missing)
        raise InputError(name, f"{_plural(bad.size, 'blank date')}", row=int(bad[0]) + 1)
    for i, v in enumerate(arr):
        if isinstance(v, (bool, np.bool_)) or isinstance(v, (Number, np.number)):
            raise InputError(name, f"not a date ({v!r})", row=i + 1)
    try:
        return pd.DatetimeIndex(pd.to_datetime(arr, errors="raise"))
    except (ValueError, TypeError, OverflowError):
        for i, v in enumerate(arr):
            try:
                pd.Timestamp(v)
            except (ValueError, TypeError, OverflowError):
                raise InputError(name, f"not a date ({v!r})", row=i + 1) from None
        raise InputError(name, "could not be read as dates") from None


# Median spacing in calendar days -> periods per year. Daily data counts trading days.
_FREQUENCIES = ((0.5, 5.0, 252.0), (5.0, 10.0, 52.0), (10.0, 20.0, 26.0), (25.0, 35.0, 12.0),
                (80.0, 100.0, 4.0), (170.0, 200.0, 2.0), (350.0, 380.0, 1.0))


def infer_periods_per_year(dates: pd.DatetimeIndex | None, periods_per_year: float | None = None,
                           name: str = "periods_per_year") -> float:
    """Periods per year: as given, else from the median spacing of the dates, else 252.

    Daily data (median spacing under 5 days) counts 252 trading days a year, weekly 52,
    biweekly 26, monthly 12, quarterly 4, semiannual 2, annual 1.
    """
    if periods_per_year is not None:
        return check_positive_number(periods_per_year, name, upper=366 * 24)
    if dates is None or dates.size < 2:
        return 252.0
    step = np.diff(dates.asi8)
    mid = (step.size - 1) // 2, step.size // 2  # the median, without np.median's overhead
    spacing = float(np.partition(step, mid)[list(mid)].mean()) / 86_400e9
    for low, high, a in _FREQUENCIES:
        if low <= spacing < high:
            return a
    raise InputError(
        "dates",
        f"cannot infer the frequency from a median spacing of {spacing:.1f} days; give periods_per_year",
    )


def check_positive_number(value: Any, name: str, upper: float | None = None,
                          allow_zero: bool = False) -> float:
    """A scalar parameter: a finite number, positive (or >= 0), at most ``upper``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (Number, np.number)):
        raise InputError(name, f"must be a number, got {value!r}")
    v = float(value)
    if not np.isfinite(v):
        raise InputError(name, f"must be finite, got {v!r}")
    if v < 0 or (v == 0 and not allow_zero):
        raise InputError(name, f"must be {'zero or ' if allow_zero else ''}positive, got {v:g}")
    if upper is not None and v > upper:
        raise InputError(name, f"{v:g} is implausibly large (at most {upper:g})")
    return v


@dataclass(frozen=True)
class Aligned:
    """Fund levels (one column per fund) and index levels on one date axis.

    ``fund`` is (T, N) with NaN where a fund has no value; ``index`` is (T,). Rows where
    the index has no value stay in place: each fund's own comparison skips them.
    """

    fund: np.ndarray
    index: np.ndarray
    dates: pd.DatetimeIndex | None
    names: list[str] | None
    periods_per_year: float
    is_panel: bool


def align(fund: Any, index: Any, dates: Any = None, periods_per_year: float | None = None,
          fund_name: str = "fund", index_name: str = "index") -> Aligned:
    """Validate a fund (or a panel of funds) and an index, and put them on one date axis.

    With ``dates``, all inputs are row-aligned arrays of the same length. Without it, pandas
    objects indexed by dates are aligned on their dates (union; each pair then uses the
    dates both have); plain arrays must have the same length and are taken row by row.
    """
    fund_dates, index_dates = _series_dates(fund), _series_dates(index)
    axis = None
    if dates is None:
        (fund, index), axis = union_dates({fund_name: fund, index_name: index})
    is_panel = isinstance(fund, pd.DataFrame) and fund.shape[1] != 1 or (
        not isinstance(fund, (pd.Series, pd.DataFrame)) and np.ndim(fund) == 2
        and 1 not in np.shape(fund)
    )
    if is_panel:
        f, names = _as_level_panel(fund, fund_name)
    else:
        f, names = as_levels(fund, fund_name)[:, None], None
        if isinstance(fund, (pd.Series, pd.DataFrame)):
            names = [str(fund.name if isinstance(fund, pd.Series) else fund.columns[0])]
    i = as_levels(index, index_name)
    check_length(i.size, f.shape[0], index_name, fund_name)
    idx = None
    if axis is not None:
        idx = axis  # checked by union_dates
    elif dates is not None:
        idx = as_dates(dates, i.size)
    elif fund_dates is not None:
        idx = as_dates(fund_dates, i.size, f"{fund_name} dates")
    elif index_dates is not None:
        idx = as_dates(index_dates, i.size, f"{index_name} dates")
    a = infer_periods_per_year(idx, periods_per_year)
    return Aligned(fund=f, index=i, dates=idx, names=names, periods_per_year=a, is_panel=is_panel)
