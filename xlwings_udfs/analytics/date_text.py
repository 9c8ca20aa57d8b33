"""Dates written as text: one reading for cells, files and Python, and no guessing.

``01/02/2024`` is 1 February in London and 2 January in New York. A date text is read:

* **ISO** (``2024-01-31``, with an optional time ``2024-01-31 16:00`` or ``T16:00:00`` and an
  optional UTC offset, which is dropped: the wall time is kept) always;
* **with a declared format** (``%d/%m/%Y``, or the same written ``DD/MM/YYYY``) when one is
  given, for every text that is not ISO;
* otherwise **only where the column itself settles it**: day, month and year as numbers
  separated by ``/``, ``-`` or ``.`` with a four-digit year, where some text has a first
  number above 12 (then every text is day/month/year) or a second number above 12 (then
  every text is month/day/year), and no text contradicts that order; a four-digit year first
  (``2024/01/31``) is year/month/day; English month names (``31 Jan 2024``,
  ``Jan 31, 2024``, ``31-Jan-2024``, ``January 31, 2024``) are unambiguous.

Anything else is an error naming the argument, the text and its position, with the way to
declare the format (the caller says how: a command-line option, or entering real dates).
"""
from __future__ import annotations

import datetime as _dt
import re
from typing import Sequence

import numpy as np

from .errors import InputError

__all__ = ["parse_date_texts", "is_date_text", "as_strptime_format", "check_date_format", "DECLARE_FORMAT"]

#: What to tell the user to do about an ambiguous or unreadable date, unless the caller
#: knows better (the command line names its option).
DECLARE_FORMAT = "give the dates as dates, or as text yyyy-mm-dd"

_ISO = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?")
_NUMERIC = re.compile(r"(\d{1,4})([/.-])(\d{1,2})\2(\d{1,4})(?:[ T](\d{1,2}:\d{2}(?::\d{2})?))?")
_NAMED = ("%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y", "%b %d %Y", "%B %d %Y", "%d-%b-%Y",
          "%d-%B-%Y", "%d.%b.%Y", "%d/%b/%Y")
_ORDER_WORDS = {"dmy": "day/month/year", "mdy": "month/day/year", "ymd": "year/month/day"}
_FRIENDLY = (("YYYY", "%Y"), ("YY", "%y"), ("MMM", "%b"), ("MM", "%m"), ("DD", "%d"))


def as_strptime_format(date_format: str) -> str:
    """A declared format as ``strptime`` reads it: ``DD/MM/YYYY`` becomes ``%d/%m/%Y``."""
    if "%" in date_format:
        return date_format
    out = date_format.upper()
    for token, directive in _FRIENDLY:
        out = out.replace(token, directive)
    return out


def check_date_format(date_format: str, name: str = "date_format") -> str:
    """A declared format, checked: it must write a day, a month and a year and read them
    back (``%d/%m/%Y``, ``DD/MM/YYYY``, ``%Y%m%d``)."""
    fmt = as_strptime_format(date_format)
    day = _dt.datetime(2024, 1, 31)
    try:
        ok = _dt.datetime.strptime(day.strftime(fmt), fmt).date() == day.date()
    except ValueError:
        ok = False
    if not ok:
        raise InputError(name, f"{date_format!r} is not a date format with a day, a month and a year "
                               f"(e.g. %d/%m/%Y or DD/MM/YYYY)")
    return date_format


def _iso(text: str) -> _dt.datetime:
    value = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value.replace(tzinfo=None)


def _named(text: str) -> _dt.datetime | None:
    for fmt in _NAMED:
        try:
            return _dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def is_date_text(text: object) -> bool:
    """Whether a text is written as a date in one of the layouts this module reads, whatever
    its day/month order: ``2024-01-31``, ``01/02/2024``, ``31 Jan 2024``. A first cell that is
    one is data, not a header."""
    if not isinstance(text, str):
        return False
    text = text.strip()
    return bool(_ISO.fullmatch(text) or _NUMERIC.fullmatch(text)) or _named(text) is not None


def _numeric_date(m: re.Match, order: str) -> _dt.datetime:
    a, _, b, c, time = m.groups()
    if order == "ymd":
        y, mo, d = int(a), int(b), int(c)
    elif order == "dmy":
        d, mo, y = int(a), int(b), int(c)
    else:
        mo, d, y = int(a), int(b), int(c)
    hh, mm, ss = ([int(p) for p in time.split(":")] + [0])[:3] if time else (0, 0, 0)
    return _dt.datetime(y, mo, d, hh, mm, ss)


def parse_date_texts(texts: Sequence[object], name: str = "dates", date_format: str | None = None,
                     declare: str = DECLARE_FORMAT) -> np.ndarray:
    """Read a column of date texts by the rules of this module.

    Parameters
    ----------
    texts : sequence
        Strings; ``None`` and blank strings are missing dates (NaT). Positions in messages
        count from 1 in this sequence.
    name : str
        The argument or column, for messages.
    date_format : str, optional
        The declared format (``%d/%m/%Y`` or ``DD/MM/YYYY``) of every text that is not ISO.
    declare : str
        How the user declares a format, for the message of an ambiguous date.

    Returns
    -------
    numpy.ndarray
        datetime64[ns], NaT where a text is missing.

    Raises
    ------
    InputError
        For a text that is not a date, a column whose day/month order is ambiguous or
        contradictory, or a text that does not match the declared format.
    """
    out = np.full(len(texts), np.datetime64("NaT", "ns"))
    if _plain_iso(texts, out):
        return out
    fmt = as_strptime_format(date_format) if date_format else None
    pending: list[tuple[int, str, re.Match]] = []  # numeric texts whose order the column decides
    for i, raw in enumerate(texts):
        if raw is None:
            continue
        text = str(raw).strip()
        if not text:
            continue
        if _ISO.fullmatch(text):
            try:
                value = _iso(text)
            except ValueError:
                raise InputError(name, f"not a date ({text!r})", row=i + 1) from None
            out[i] = _stamp(value, name, i)
            continue
        if fmt is not None:
            try:
                value = _dt.datetime.strptime(text, fmt)
            except ValueError:
                raise InputError(name, f"{text!r} does not match the date format {date_format!r}",
                                 row=i + 1) from None
            out[i] = _stamp(value, name, i)
            continue
        m = _NUMERIC.fullmatch(text)
        if m is not None:
            pending.append((i, text, m))
            continue
        named = _named(text)
        if named is None:
            raise InputError(name, f"not a date ({text!r}); {declare}", row=i + 1)
        out[i] = _stamp(named, name, i)
    if pending:
        order = _column_order(pending, name, declare)
        for i, text, m in pending:
            try:
                value = _numeric_date(m, order[i])
            except ValueError:
                raise InputError(name, f"not a date ({text!r} read as {_ORDER_WORDS[order[i]]})",
                                 row=i + 1) from None
            out[i] = _stamp(value, name, i)
    return out


# Dates are held as nanosecond timestamps: these are the first and last days they reach.
_FIRST_DAY, _LAST_DAY = _dt.datetime(1677, 9, 22), _dt.datetime(2262, 4, 11)


def _stamp(value: _dt.datetime, name: str, i: int) -> np.datetime64:
    """A date as a nanosecond timestamp; one outside what those hold is an error, never a
    wrapped-around date."""
    if not _FIRST_DAY <= value <= _LAST_DAY:
        raise InputError(name, f"{value.date()} is outside the supported dates ({_FIRST_DAY.date()} to "
                               f"{_LAST_DAY.date()})", row=i + 1)
    return np.datetime64(value, "ns")


_PLAIN_ISO = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _plain_iso(texts: Sequence[object], out: np.ndarray) -> bool:
    """The common case at once: every text ``yyyy-mm-dd`` (or None), every one a real day.
    Fills ``out`` and returns True; False leaves the texts to be read one by one."""
    at, days = [], []
    for i, text in enumerate(texts):
        if text is None:
            continue
        if type(text) is not str or not _PLAIN_ISO.fullmatch(text):
            return False
        at.append(i)
        days.append(text)
    try:
        read = np.array(days, dtype="datetime64[D]")
    except ValueError:  # 2024-02-30: named where it is, one by one
        return False
    if read.size and (read.min() < np.datetime64(_FIRST_DAY.date()) or read.max() > np.datetime64(_LAST_DAY.date())):
        return False  # outside what nanoseconds hold: named one by one
    out[at] = read
    return True


def _column_order(pending, name: str, declare: str) -> dict[int, str]:
    """The order of the numeric texts: year first where the year is, else the one order the
    column allows (some first number over 12: day first; some second over 12: month first)."""
    order: dict[int, str] = {}
    day_first = month_first = None
    undecided = []
    for i, text, m in pending:
        a, _, b, c, _ = m.groups()
        if len(a) == 4:
            order[i] = "ymd"
            continue
        if len(c) != 4:
            raise InputError(name, f"{text!r} has a two-digit year, which could be of two centuries; "
                                   f"{declare}", row=i + 1)
        if int(a) > 12 and int(b) > 12:
            raise InputError(name, f"not a date ({text!r}: no month); {declare}", row=i + 1)
        if int(a) > 12 and day_first is None:
            day_first = (i, text)
        if int(b) > 12 and month_first is None:
            month_first = (i, text)
        undecided.append(i)
    if day_first and month_first:
        # at the second of the two: the first one's order is what the column said until then
        ((_, t1), o1), ((j, t2), o2) = sorted([(day_first, "day/month"), (month_first, "month/day")])
        raise InputError(name, f"{t2!r} is {o2} but {t1!r} is {o1}: the dates of a column are in one "
                               f"order; {declare}", row=j + 1)
    if undecided and not (day_first or month_first):
        i = undecided[0]
        text = next(t for k, t, _ in pending if k == i)
        raise InputError(name, f"{text!r} could be day/month or month/day and no date in the column "
                               f"settles it; {declare}", row=i + 1)
    for i in undecided:
        order[i] = "dmy" if day_first else "mdy"
    return order
