"""A field of a text (CSV) file as the cell value it stands for.

A CSV file holds only text; a cell holds a number, a date, a boolean, an error or nothing.
:func:`from_text` makes the one the other, so that a file's column goes through the same
rules as a range of cells (:mod:`xlwings_udfs.cells`): an empty field and the few words of
:data:`MISSING_WORDS` are blanks, ``#N/A`` stays an error, a number is read with the file's
decimal mark. :func:`decimal_evidence` says which mark a column shows, for the reader that
has to choose one.
"""
from __future__ import annotations

import re
from typing import Any, Sequence

import numpy as np
import pandas as pd

__all__ = ["MISSING_WORDS", "DECIMAL_MARKS", "is_missing", "from_text", "from_texts", "decimal_evidence"]


#: The words a text file may write for a missing value, in any case, besides an empty field:
#: what programs write for "no value" (numpy and pandas ``NaN``, JSON and databases ``null``,
#: R ``NA``). Words people type (``n/a``, ``-``, ``none``) are text, and an error in a number
#: column, as in a cell; ``#N/A`` is an error everywhere.
MISSING_WORDS = ("NaN", "null", "NA")
_MISSING = frozenset(w.lower() for w in MISSING_WORDS)


def is_missing(text: str) -> bool:
    """Whether a field stands for no value: empty, only spaces, or a word of
    :data:`MISSING_WORDS` in any case."""
    s = text.strip()
    return s == "" or s.lower() in _MISSING


#: The decimal marks a text file may use.
DECIMAL_MARKS = (".", ",")
_GROUP_MARKS = {".": ",' \u00a0\u202f", ",": ".' \u00a0\u202f"}


def _number_patterns(decimal: str) -> tuple[re.Pattern, re.Pattern]:
    """A plain number (``-101.5``, ``1e-3``) and a number in groups of three digits
    (``1,234,567.5``), written with the decimal mark ``decimal``."""
    d = re.escape(decimal)
    plain = re.compile(rf"[+-]?(?:[0-9]+(?:{d}[0-9]*)?|{d}[0-9]+)(?:[eE][+-]?[0-9]+)?")
    grouped = re.compile(rf"[+-]?[1-9][0-9]{{0,2}}([{re.escape(_GROUP_MARKS[decimal])}])[0-9]{{3}}"
                         rf"(?:\1[0-9]{{3}})*(?:{d}[0-9]*)?")
    return plain, grouped


_NUMBERS = {mark: _number_patterns(mark) for mark in DECIMAL_MARKS}


def _as_number(s: str, decimal: str) -> float | None:
    plain, grouped = _NUMBERS[decimal]
    if plain.fullmatch(s):
        return float(s.replace(",", ".") if decimal == "," else s)
    m = grouped.fullmatch(s)
    if m:
        s = s.replace(m.group(1), "")
        return float(s.replace(",", ".") if decimal == "," else s)
    return None


def from_text(text: str, decimal: str = ".") -> Any:
    """A field of a text (CSV) file as the value it stands for in a cell.

    Blank (or only spaces) and the words of :data:`MISSING_WORDS` (any case) -> None, a
    missing value; an error code (``#N/A``) stays text, which is an error; ``TRUE``/``FALSE``
    in any case -> a boolean; a number written with the file's decimal mark ``decimal``
    (``-101.5``, ``1e-3``; with ``","``: ``-101,5``), its digits before the mark optionally
    in groups of three separated by the other mark, a space or an apostrophe (``1,234,567.5``;
    with ``","``: ``1.234.567,5``) -> a float; anything else -> the text without surrounding
    spaces, which :func:`~xlwings_udfs.cells.dates` reads as a date and
    :func:`~xlwings_udfs.cells.numbers` refuses. ``inf`` and
    digits other than 0-9 are text.
    """
    if not isinstance(text, str):
        return text
    if is_missing(text):
        return None
    s = text.strip()
    upper = s.upper()
    if upper in ("TRUE", "FALSE"):
        return upper == "TRUE"
    number = _as_number(s, decimal)
    return s if number is None else number


def from_texts(texts: Sequence[str], decimal: str = ".") -> list:
    """A column of fields of a text file as cell values: :func:`from_text` of each, the plain
    numbers read at once."""
    stripped = pd.Series(list(texts), dtype=object).str.strip()
    plain = stripped.str.fullmatch(_NUMBERS[decimal][0].pattern, na=False).to_numpy(dtype=bool)
    out = np.array(stripped.tolist(), dtype=object) if len(stripped) else np.array([], dtype=object)
    if plain.any():
        numbers = stripped[plain]
        if decimal == ",":
            numbers = numbers.str.replace(",", ".", regex=False)
        out[plain] = numbers.astype(float).tolist()
    for i in np.flatnonzero(~plain):
        out[i] = from_text(texts[i], decimal)
    return out.tolist()


def decimal_evidence(texts: Sequence[str]) -> dict[str, int | None]:
    """Where a column of texts shows its decimal mark, by what :func:`from_text` reads.

    Returns the position (0-based) of the first text that is a number with a decimal point
    only (``"."``: ``101.5``, ``1,234.5``, ``1,234,567``), of the first that is one with a
    decimal comma only (``","``: ``101,5``, ``1.234,5``), and of the first that is a number
    with either mark, a different one (``"either"``: ``1,234`` is 1234 with a decimal point,
    1.234 with a decimal comma); None where there is none.
    """
    stripped = pd.Series(list(texts), dtype=object).str.strip()

    def reads(mark: str) -> np.ndarray:
        plain, grouped = _NUMBERS[mark]
        return (stripped.str.fullmatch(plain.pattern, na=False).to_numpy(dtype=bool)
                | stripped.str.fullmatch(grouped.pattern, na=False).to_numpy(dtype=bool))

    point, comma = reads("."), reads(",")
    marked = stripped.str.contains(r"[.,]", regex=True, na=False).to_numpy(dtype=bool)

    def first(hit: np.ndarray) -> int | None:
        return int(np.flatnonzero(hit)[0]) if hit.any() else None

    return {".": first(point & ~comma), ",": first(comma & ~point), "either": first(point & comma & marked)}
