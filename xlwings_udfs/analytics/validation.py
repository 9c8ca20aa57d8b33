"""Checks of the values every estimator takes: the one place where inputs are validated.

Every estimator calls these helpers, so a bad argument produces the same one-line message
(an :class:`~.errors.InputError` naming the argument and the first bad position) whichever
function it was given to. Dates are checked in :mod:`.dates`, and series are put on one date
axis in :mod:`.alignment`.

Rules:

* Levels (NAV, index level, price) must be finite and strictly positive. ``None`` and NaN
  mean "no value on this date"; anything else that is not a number (text, booleans,
  infinities) is an error.
* Volumes are finite and zero or more; zero means a day without trades.
* Scalar parameters are numbers (never text, never booleans), within stated bounds; a flag
  is TRUE/FALSE (or 1/0); a choice is one of a stated set of words. A parameter given as an
  array (a grid of what-if values) has each value checked the same way, and the arrays of a
  call must broadcast together.
"""
from __future__ import annotations

import datetime as _dt
from numbers import Number
from typing import Any, Callable

import numpy as np
import pandas as pd

from .errors import InputError

__all__ = [
    "plural",
    "as_numbers",
    "as_levels",
    "as_vector",
    "as_level_panel",
    "as_volume",
    "check_length",
    "check_choice",
    "check_positive_number",
    "check_signed_number",
    "check_whole_number",
    "check_flag",
    "check_each",
    "broadcast",
]


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def as_vector(values: Any, name: str) -> np.ndarray:
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
        return as_vector(values.iloc[:, 0], name)
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
                name, f"{plural(bad.size, kind + ' cell')} ({first!r})", row=int(bad[0]) + 1 + row_offset
            )
        out = np.array([np.nan if v is None else float(v) for v in arr], dtype=float)
    inf = np.isinf(out)
    if inf.any():
        bad = np.flatnonzero(inf)
        raise InputError(name, f"{plural(bad.size, 'infinite value')}", row=int(bad[0]) + 1 + row_offset)
    return out


def as_numbers(values: Any, name: str) -> np.ndarray:
    """A row, a column or a 1-D sequence of numbers as a float vector, NaN where blank.

    Raises
    ------
    InputError
        For text, booleans and infinities.
    """
    return _to_float(as_vector(values, name), name)


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
            f"{plural(int(nonpos.sum()), 'zero or negative level')} ({out[tuple(pos)]:g}); "
            "levels must be positive",
            row=int(pos[0]) + 1,
        )


def as_level_panel(values: Any, name: str) -> tuple[np.ndarray, list[str] | None]:
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


def check_signed_number(value: Any, name: str, limit: float, hint: str = "") -> float:
    """A scalar parameter of either sign: a finite number with ``|value| <= limit``.

    ``hint`` is added to the message of a value beyond the limit (a likely units mistake).
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (Number, np.number)):
        raise InputError(name, f"must be a number, got {value!r}")
    v = float(value)
    if not np.isfinite(v):
        raise InputError(name, f"must be finite, got {v!r}")
    if abs(v) > limit:
        raise InputError(name, f"{v:g} is implausibly large (at most {limit:g} in size){hint}")
    return v


def check_whole_number(value: Any, name: str, low: int, high: int) -> int:
    """A whole number from ``low`` to ``high`` (a float such as 3.0 is accepted)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (Number, np.number)):
        raise InputError(name, f"must be a whole number, got {value!r}")
    if not float(value).is_integer() or not low <= value <= high:
        raise InputError(name, f"must be a whole number from {low} to {high}, got {value!r}")
    return int(value)


def check_flag(value: Any, name: str) -> bool:
    """TRUE or FALSE: a boolean, or the numbers 1 and 0."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (Number, np.number)) and float(value) in (0.0, 1.0):
        return bool(value)
    raise InputError(name, f"must be TRUE or FALSE, got {value!r}")


def as_volume(values: Any, name: str) -> np.ndarray:
    """Trading volume: finite numbers >= 0, NaN where unknown.

    Unlike a level, a volume may be zero: a day without trades.
    """
    out = as_numbers(values, name)
    with np.errstate(invalid="ignore"):
        neg = out < 0
    if neg.any():
        i = int(np.flatnonzero(neg)[0])
        raise InputError(name, f"negative volume ({out[i]:g}); volume must be >= 0", row=i + 1)
    return out


def check_each(value: Any, name: str, check: Callable[[Any, str], float]) -> np.ndarray:
    """A parameter given as a number or an array, each value checked by ``check(value, name)``.

    ``check`` is a scalar check with its bounds (such as :func:`check_positive_number`); the
    result is a float array, 0-d for a number. The first bad value of an array is reported at
    its position in the flattened array, counted from 1; a numeric array has each distinct
    value checked once.
    """
    def ok(v: Any) -> bool:
        try:
            check(v, name)
            return True
        except InputError:
            return False

    if np.ndim(value) == 0:
        v = value.item() if isinstance(value, (np.ndarray, np.generic)) else value
        return np.asarray(check(v, name), dtype=float)
    arr = np.asarray(value)
    if arr.dtype.kind not in "fiu":  # keep each value's own type: text stays text
        arr = np.asarray(value, dtype=object)
    if arr.size == 0:
        raise InputError(name, "no values given")
    flat = arr.reshape(-1)
    if flat.dtype.kind in "fiu":
        bad = [v for v in np.unique(flat) if not ok(v.item())]
        first = np.flatnonzero(np.isin(flat, bad) | np.isnan(flat))[0] if bad else None
    else:
        first = next((i for i, v in enumerate(flat) if not ok(v)), None)
    if first is not None:
        v = flat[first]
        try:
            check(v.item() if isinstance(v, np.generic) else v, name)
        except InputError as err:
            raise err.replace(row=int(first) + 1) from None
    return flat.astype(float).reshape(arr.shape)


def broadcast(named: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
    """The arrays broadcast to one shape (float copies); the first that does not fit is named."""
    shape: tuple[int, ...] = ()
    for name, arr in named.items():
        try:
            shape = np.broadcast_shapes(shape, np.shape(arr))
        except ValueError:
            raise InputError(name, f"shape {np.shape(arr)} does not broadcast with the other "
                                   f"arguments' {shape}") from None
    return tuple(np.broadcast_to(a, shape).astype(float) for a in named.values())
