"""What one spreadsheet value means, and a column of them read as numbers or as dates.

The same rules hold wherever a value comes from: a cell an Excel host passes (classic
xlwings, xlwings Server, xlwings Lite), a value the ``formulas`` engine computes, a cell of
an xlsx file or a field of a CSV file (through :func:`xlwings_udfs.text_fields.from_text`). So ``#N/A`` is an error
everywhere, a blank is a missing value everywhere, and a bad value is reported in the same
words with its position counted the same way. Nothing here knows about xlwings or about the
shape of a selection (that is :mod:`xlwings_udfs.excel`); nothing here estimates anything.

A value is one of (:func:`kind`):

* **blank**: None, ``""``, NaN, Pyodide's JS null (an empty cell in xlwings Lite), the
  ``formulas`` engine's empty token. A blank means "no value here", never zero.
* **error**: Excel's error values as text (``#N/A``, ``#DIV/0!`` ...), also the texts the
  classic Excel functions of this package return (``"#N/A fund: 12 returns ..."``), the
  error objects of Office.js (``{"type": "Error", "basicValue": "#N/A", ...}``) and the
  ``formulas`` engine's errors. An error in a data column is a broken upstream formula,
  not a missing value, so it is reported, never skipped.
* **boolean**: TRUE or FALSE.
* **date**: a ``datetime``, ``date``, ``numpy.datetime64`` or ``pandas.Timestamp``.
* **number**: an int or float (Python or numpy), not a boolean.
* **text**: anything else.

An Office.js value object that is not an error (a formatted number, say) stands for its
``basicValue``.

Reading a column
----------------
:func:`numbers` and :func:`dates` take a sequence of values and return a float vector (NaN
where blank) or a ``datetime64[ns]`` vector (NaT where blank), or raise
:class:`~xlwings_udfs.analytics.errors.InputError` naming the argument, the count of bad
values of the kind of the first one, that value, and its position, 1-based in the sequence
given::

    fund: 3 non-numeric cells ('x'), first at row 12

A caller whose sequence starts elsewhere in what the user sees (below a header row, on
line 2 of a file) moves the position with ``err.replace(row=err.row + offset)``, and may
name what it counts with ``axis`` (``"row"``, ``"column"``, ``"line"``).

In a date column, numbers are serial numbers of Excel's 1900 date system (how Office.js
passes dates), including Excel's fictitious 29 February 1900 (serial 60), which is refused.
The texts of a date column are read together (:mod:`xlwings_udfs.analytics.date_text`): ISO
(``2024-01-31``) always; ``31/01/2024``-style text only where the column settles the order of
day and month (a first number above 12 in some text, and no text saying otherwise), since
``01/02/2024`` means two different days in two locales; otherwise an error telling the user
how to make the dates clear (in a cell: enter dates, or ISO text; on the command line: its
``--date-format`` option).

Files
-----
A field of a text file stands for the cell it would be (:mod:`xlwings_udfs.text_fields`),
with the two conventions a cell does not need: a missing value may be written as one of the
words of ``text_fields.MISSING_WORDS``, and numbers are written with the file's decimal mark,
point or comma, their digits optionally grouped by threes (``text_fields.decimal_evidence``
says which marks a column shows). An error code stays an error, text stays text.
"""
from __future__ import annotations

import datetime as _dt
import marshal
import math
from numbers import Number
from typing import Any, Sequence

import numpy as np
import pandas as pd

from .analytics.date_text import is_date_text, parse_date_texts
from .analytics.errors import InputError

__all__ = [
    "ERROR_CODES",
    "KINDS",
    "basic_value",
    "error_code",
    "is_blank",
    "kind",
    "show",
    "ENTER_DATES",
    "is_date_text",
    "all_floats",
    "FLOAT_TYPES",
    "numbers",
    "dates",
    "parse_date",
    "excel_serial_to_datetime64",
    "DATE_MIN",
    "DATE_MAX",
]

#: Excel's error values, as xlwings' ``err_to_str`` spells them.
ERROR_CODES = frozenset({
    "#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
    "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!",
    "#PYTHON!", "#EXTERNAL!",
})
# Office.js error objects name the error by type as well as by its text
_ERROR_TYPES = {"Div0": "#DIV/0!", "NotAvailable": "#N/A", "Name": "#NAME?", "Null": "#NULL!",
                "Num": "#NUM!", "Ref": "#REF!", "Value": "#VALUE!", "Spill": "#SPILL!",
                "Calc": "#CALC!", "Busy": "#BUSY!", "Connect": "#CONNECT!", "Blocked": "#BLOCKED!",
                "Field": "#FIELD!", "GettingData": "#GETTING_DATA"}

#: What a value can be, as :func:`kind` names it.
KINDS = ("blank", "error", "boolean", "date", "number", "text")

_NUMBER_TYPES = (int, float, np.integer, np.floating)
_DATE_TYPES = (_dt.date, np.datetime64, pd.Timestamp)


# ----------------------------------------------------------------------------------------
# one value
# ----------------------------------------------------------------------------------------

def error_code(value: Any) -> str | None:
    """The Excel error a value holds (``"#N/A"`` ...), or None.

    Also reads the texts of this package's classic Excel functions, which start with the
    error code (``"#N/A fund: 12 returns ..."``).
    """
    if isinstance(value, str):
        if value[:1] != "#":
            return None
        code = value.split(" ", 1)[0]
        return code if code in ERROR_CODES else None
    if isinstance(value, dict) and value.get("type") == "Error":
        return value.get("basicValue") or _ERROR_TYPES.get(value.get("errorType"), "#VALUE!")
    return None


def basic_value(value: Any) -> Any:
    """An Office.js value object other than an error (a formatted number, say) -> its value;
    anything else unchanged."""
    if isinstance(value, dict) and value.get("type") != "Error" and "basicValue" in value:
        return value["basicValue"]
    return value


def is_blank(value: Any) -> bool:
    """None, ``""``, NaN, Pyodide's JS null or the ``formulas`` engine's empty cell."""
    if value is None:
        return True
    t = type(value)
    if t is str:
        return value == ""
    if t is float:
        return value != value
    # Pyodide's JS null (xlwings Lite, raw arguments), and the ``formulas`` engine's empty
    # cell, a str subclass spelled "empty"
    name = t.__name__
    return name == "JsNull" or (name == "Token" and isinstance(value, str) and str(value) == "empty")


def kind(value: Any) -> str:
    """What a value is: one of :data:`KINDS`."""
    v = basic_value(value)
    if is_blank(v):
        return "blank"
    if isinstance(v, _NUMBER_TYPES) and not isinstance(v, (bool, np.bool_)):
        return "number"
    return _kind(v)[0]


def _kind(v: Any) -> tuple[str, str]:
    """A value that is neither blank nor a number: (kind, how to show it)."""
    code = error_code(v)
    if code:
        return "error", code
    if isinstance(v, (bool, np.bool_)):
        return "boolean", "TRUE" if v else "FALSE"
    if isinstance(v, _DATE_TYPES):
        return "date", show(v)
    return "text", show(v)


def show(value: Any) -> str:
    """A value as a message quotes it: ``TRUE``, ``the date 2024-01-02``, ``'abc'`` (a long
    repr cut short at 37 characters, with an ellipsis)."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, _DATE_TYPES):
        return f"the date {pd.Timestamp(value).date()}"
    s = repr(value)
    return s if len(s) <= 40 else s[:37] + "...'"


# ----------------------------------------------------------------------------------------
# a column of values
# ----------------------------------------------------------------------------------------

#: What a cell's user is told to do about a date text that is unreadable or ambiguous.
ENTER_DATES = "enter dates, or text as yyyy-mm-dd"

_FAST_NUMBERS = frozenset({float, int, type(None)})
#: The cell types of a column of floats (what :func:`all_floats` reads), as ``types`` gives them.
FLOAT_TYPES = frozenset({float})
_FAST_DATES = frozenset({_dt.datetime, pd.Timestamp, type(None)})
_DATETIMES = frozenset({_dt.datetime})

_KIND_WORDS = {"error": ("error cell", "error cells"), "boolean": ("boolean cell", "boolean cells"),
               "text": ("non-numeric cell", "non-numeric cells"),
               "date": ("date cell where a number belongs", "date cells where a number belongs")}


def _sequence(values: Any) -> Any:
    """A list, tuple or 1-D array of values, positions counted from 0."""
    if isinstance(values, (pd.Series, pd.Index)):
        values = values.to_numpy()
    if isinstance(values, np.ndarray):
        return values.reshape(-1) if values.ndim != 1 else values
    return values if isinstance(values, (list, tuple)) else list(values)


# marshal (format 2) writes a tuple as "(" and its length in 4 bytes, then each value in turn:
# a float (not a subclass) as "g" and its 8 bytes, little-endian; any other value differently
_MARSHAL_TUPLE = b"("
_MARSHAL_FLOAT = b"g"


def all_floats(values: tuple) -> np.ndarray | None:
    """A tuple of values as a float vector when every value is a ``float``, else None.

    The common column (numbers, or Office.js dates) in one pass in C, where telling its types
    apart and converting it take a pass each in Python: :mod:`marshal` writes a float as the
    code ``g`` and its 8 bytes, so the tuple's bytes hold a float vector exactly when every
    value's code is ``g``. A value marshal cannot write (a date, a numpy number) is no float.
    """
    if not isinstance(values, tuple) or not values or type(values[0]) is not float:
        return None  # a column of dates or texts is not tried
    n = len(values)
    try:
        data = marshal.dumps(values, 2)
    except ValueError:
        return None
    if (len(data) != 5 + 9 * n or data[:5] != _MARSHAL_TUPLE + n.to_bytes(4, "little")
            or data[5::9] != _MARSHAL_FLOAT * n):
        return None
    return np.ndarray((n,), dtype="<f8", buffer=data, offset=6, strides=(9,)).astype(float)


def numbers(values: Sequence[Any], name: str, *, types: frozenset | None = None) -> np.ndarray:
    """A column of values as a float vector, NaN where blank.

    Parameters
    ----------
    values : sequence
        The values, in the order the user sees them (a list, tuple, 1-D array or Series).
    name : str
        The argument (or column) they belong to, for the message.
    types : frozenset, optional
        The set of ``type(v)`` of the values, when the caller already has it.

    Raises
    ------
    InputError
        For an error, a boolean, a date or text: ``3 non-numeric cells ('x')``, counting
        the values of the first bad value's kind, at the first one's position (1-based).
    """
    values = _sequence(values)
    if isinstance(values, np.ndarray):
        if values.dtype.kind in "fiu":
            return values.astype(float)
        values = values.tolist()
    types = types if types is not None else frozenset(map(type, values))
    if types == FLOAT_TYPES:  # np.fromiter reads plain floats a fifth faster than np.array
        return np.fromiter(values, dtype=float, count=len(values))
    if types <= _FAST_NUMBERS:
        return np.array(values, dtype=float)
    out = np.full(len(values), np.nan)
    bad: list[tuple[int, str, str]] = []
    for i, v in enumerate(values):
        v = basic_value(v)
        if is_blank(v):
            continue
        if isinstance(v, _NUMBER_TYPES) and not isinstance(v, (bool, np.bool_)):
            out[i] = float(v)
            continue
        what, shown = _kind(v)
        bad.append((i, what, shown))
    if bad:
        i, what, shown = bad[0]
        count = sum(1 for b in bad if b[1] == what)
        one, many = _KIND_WORDS[what]
        raise InputError(name, f"{count} {one if count == 1 else many} ({shown})", row=i + 1)
    return out


def dates(values: Sequence[Any], name: str, *, types: frozenset | None = None,
          date_format: str | None = None, declare: str = ENTER_DATES) -> np.ndarray:
    """A column of values as a ``datetime64[ns]`` vector, NaT where blank.

    Dates are taken as they are (a time zone is dropped, the wall time kept); numbers are
    Excel serial numbers; the texts of the column are read together by
    :func:`~xlwings_udfs.analytics.date_text.parse_date_texts`: ISO always, the declared
    ``date_format`` if one is given, other layouts where the column settles the order of day
    and month (``31/01/2024`` fixes day/month/year for every text of the column).

    Parameters
    ----------
    declare : str
        How the user can make an ambiguous or unreadable date text clear, for the message:
        by default, enter dates or ISO text (a cell); the command line names its option.

    Raises
    ------
    InputError
        For a value that is not a date, with the reason (``not a date ('soon'); enter
        dates, or text as yyyy-mm-dd``); with several values that are not dates, ``4 cells
        are not dates; the first: ...``; at the first one's position (1-based).
    """
    values = _sequence(values)
    if isinstance(values, np.ndarray):
        if values.dtype.kind == "M":
            try:
                return pd.DatetimeIndex(values).as_unit("ns").to_numpy()
            except (ValueError, OverflowError):  # beyond nanoseconds: named value by value below
                values = [None if np.isnat(v) else v for v in values]
        elif values.dtype.kind == "f":
            return _serial_dates(values, values, name)
        else:
            values = values.tolist()
    types = types if types is not None else frozenset(map(type, values))
    if types <= _FAST_NUMBERS:
        serials = (np.fromiter(values, dtype=float, count=len(values)) if types == FLOAT_TYPES
                   else np.array(values, dtype=float))
        return _serial_dates(serials, values, name)
    if types == _DATETIMES:
        out = _midnights(values)
        if out is not None:
            return out
    if types <= _FAST_DATES and types != {type(None)}:
        try:
            idx = pd.DatetimeIndex(list(values))
            if idx.tz is not None:
                idx = idx.tz_localize(None)
            return idx.as_unit("ns").to_numpy()
        except (ValueError, OverflowError):
            pass  # a date nanoseconds cannot hold: the value-by-value pass names it
    out = np.full(len(values), np.datetime64("NaT", "ns"))
    bad: list[tuple[int, str]] = []
    texts: list[str | None] = [None] * len(values)
    any_text = False
    for i, v in enumerate(values):
        v = basic_value(v)
        if is_blank(v):
            continue
        if isinstance(v, str) and not error_code(v):
            texts[i] = v
            any_text = True
            continue
        ts, problem = parse_date(v)
        if problem:
            bad.append((i, problem))
        else:
            out[i] = ts.as_unit("ns").to_datetime64()
    text_error = None
    if any_text:
        try:
            read = parse_date_texts(texts, name, date_format, declare)
        except InputError as err:
            text_error = err
        else:
            is_text = np.array([t is not None for t in texts])
            out[is_text] = read[is_text]
    if text_error is not None and (not bad or text_error.row is None or text_error.row <= bad[0][0] + 1):
        raise text_error
    if bad:
        i, problem = bad[0]
        if len(bad) == 1:
            raise InputError(name, problem, row=i + 1)
        raise InputError(name, f"{len(bad)} cells are not dates; the first: {problem}", row=i + 1)
    return out


def _midnights(values: Sequence[_dt.datetime]) -> np.ndarray | None:
    """Datetimes at midnight without a time zone (classic xlwings' date cells) as
    datetime64[ns], or None when one has a time of day or a time zone or lies outside
    ``DATE_MIN``-``DATE_MAX``.

    Their days are counted exactly; then one comparison checks that the datetimes are those
    days' midnights, as numpy writes them back as naive datetimes: a time of day makes a
    datetime differ from its midnight, and an aware datetime never equals a naive one. That
    is done in C, where reading each cell's time and time zone takes two passes in Python.
    Measured in the Excel layer (2,520 classic date cells), a call takes 8-9% less than with
    pandas converting the datetimes, and 4-5% less than with those two passes.
    """
    days = np.fromiter(map(_dt.datetime.toordinal, values), dtype=np.int64, count=len(values))
    if days.min() < _FIRST_DAY or days.max() > _LAST_DAY:
        return None
    midnights = (days - _DAY_1970).astype("datetime64[D]")
    if tuple(midnights.astype("datetime64[us]").tolist()) != tuple(values):
        return None
    return midnights.astype("datetime64[ns]")


def _serial_dates(serials: np.ndarray, values: Sequence[Any], name: str) -> np.ndarray:
    """Serial numbers as datetime64[ns] (NaN: NaT); an invalid one is named as its value in
    ``values`` shows."""
    out, bad = excel_serial_to_datetime64(serials)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        v = values[i]  # from an array, shown as the Python number it holds
        _, problem = parse_date(v.item() if isinstance(v, np.generic) else v)
        if bad.sum() > 1:
            problem = f"{int(bad.sum())} cells are not dates; the first: {problem}"
        raise InputError(name, problem, row=i + 1)
    return out


# ----------------------------------------------------------------------------------------
# dates
# ----------------------------------------------------------------------------------------

_EPOCH_1899_12_30 = np.datetime64("1899-12-30", "ns").astype(np.int64)
# datetime64[ns] ends in April 2262: serial 135,140 is 2269-12-31, safely past any fund
_LAST_SERIAL = float((np.datetime64("2262-04-10", "D") - np.datetime64("1899-12-30", "D")).astype(int))

#: The first and last days a date may be: dates are held as nanosecond timestamps.
DATE_MIN = pd.Timestamp("1677-09-22")
DATE_MAX = pd.Timestamp("2262-04-11")
# datetimes as day numbers (date.toordinal)
_FIRST_DAY, _LAST_DAY = DATE_MIN.toordinal(), DATE_MAX.toordinal()
_DAY_1970 = _dt.date(1970, 1, 1).toordinal()


def excel_serial_to_datetime64(serial: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Serials of the 1900 date system -> datetime64[ns], and a mask of invalid serials.

    Excel counts 1900 as a leap year (Lotus compatibility): serial 60 is 29 February 1900,
    a day that never existed, and serials 1-59 are one day later than a plain count from
    30 December 1899 gives. NaN stays NaT (a blank); fractions are times of day, kept to
    the microsecond.
    """
    s = np.asarray(serial, dtype=float)
    if s.size and s.min() >= 61.0 and s.max() < _LAST_SERIAL + 1.0:
        # every serial a date after February 1900, the usual column: nothing to mask or shift
        # (a NaN fails both comparisons)
        return _serials_to_ns(s), np.zeros(s.shape, dtype=bool)
    finite = np.isfinite(s)
    with np.errstate(invalid="ignore"):
        bad = finite & ((s < 1.0) | (s >= _LAST_SERIAL + 1.0) | (np.floor(s) == 60.0))
        days = np.where(s < 60.0, s + 1.0, s)
    ok = finite & ~bad
    out = np.where(ok, _serials_to_ns(np.where(ok, days, 0.0)), np.datetime64("NaT", "ns"))
    return out, bad


def _serials_to_ns(days: np.ndarray) -> np.ndarray:
    """Days since 30 December 1899, valid ones, as datetime64[ns], to the microsecond."""
    us = np.round(days * 86_400e6).astype(np.int64)
    return (_EPOCH_1899_12_30 + us * 1000).view("datetime64[ns]")


def parse_date(value: Any, declare: str = ENTER_DATES) -> tuple[pd.Timestamp | None, str | None]:
    """One value as a date: ``(timestamp, None)``, or ``(None, why it is not one)``.

    A date (time zone dropped), an Excel serial number, or a date text read as a column of
    one (:func:`dates`: ``31/01/2024`` is a date, ``01/02/2024`` could be two); a blank is
    ``(None, "blank date")``.
    """
    v = basic_value(value)
    if is_blank(v):
        return None, "blank date"
    if isinstance(v, bool):
        return None, f"not a date ({show(v)})"
    if isinstance(v, Number):
        out, bad = excel_serial_to_datetime64(np.array([float(v)]))
        if bad[0]:
            if math.floor(float(v)) == 60:
                return None, "Excel serial 60 is 29 February 1900, a day that does not exist"
            return None, f"not a date ({v!r} is not an Excel date serial)"
        return pd.Timestamp(out[0]), None
    if isinstance(v, _DATE_TYPES):
        try:
            ts = pd.Timestamp(v)
        except (ValueError, OverflowError):
            return None, f"not a date ({show(v)})"
        if ts is pd.NaT:
            return None, "blank date"
        ts = ts.tz_localize(None) if ts.tz is not None else ts
        if not DATE_MIN <= ts <= DATE_MAX:
            return None, (f"{ts.date()} is outside the supported dates "
                          f"({DATE_MIN.date()} to {DATE_MAX.date()})")
        return ts, None
    code = error_code(v)
    if code:
        return None, f"error cell ({code})"
    if isinstance(v, str):
        try:
            out = parse_date_texts([v], declare=declare)[0]
        except InputError as err:
            return None, err.problem
        return (None, "blank date") if np.isnat(out) else (pd.Timestamp(out), None)
    return None, f"not a date ({show(v)})"
