"""Reading input files: a file becomes a :class:`Table` of raw values, in which columns are
found by name and read as numbers, dates or text.

A file is read as it is written (every value text, nothing interpreted), so that each
reading says exactly which value of which column, on which line, it could not use: a
:class:`~.errors.BadValues` holding an InputError with the column and the line. Today a file
is CSV with a header row; the commands use only :func:`read_table` and the methods of
:class:`Table`, so other formats need only a new reader.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from ..analytics.errors import InputError
from .errors import BadValues, FileProblem

__all__ = ["Table", "read_table"]

#: Values that mean "no value" in a numeric column, besides a blank (any case).
_MISSING = ["NA", "N/A", "NAN", "#N/A", "NULL"]


@dataclass(frozen=True)
class Table:
    """The values of an input file, as text, one column per header name.

    Attributes
    ----------
    path : Path
        The file, as the user named it (messages quote it).
    frame : DataFrame
        One column per header (names stripped of spaces), every value a string.
    """

    path: Path
    frame: pd.DataFrame

    @property
    def columns(self) -> list[str]:
        return list(self.frame.columns)

    def __len__(self) -> int:
        return len(self.frame)

    def line(self, position: int) -> int:
        """The line of the file that holds data row ``position`` (0-based; the header is line 1)."""
        return position + 2

    def bad(self, column: str, problem: str, position: int | None = None) -> BadValues:
        """The error for bad values of ``column``, the first at data row ``position``."""
        line = None if position is None else self.line(position)
        return BadValues(self.path, InputError(column, problem, row=line, axis="line"))

    def column(self, given: str | None, defaults: Sequence[str], what: str,
               required: bool = True) -> str | None:
        """The column for ``what``: the one given, or the first default present (any case).

        A column given but absent, or a required one not found, is a :class:`FileProblem`
        listing the columns the file has; an optional one not found is None.
        """
        lower = {c.lower(): c for c in self.frame.columns}
        if given is not None:
            if given in self.frame.columns:
                return given
            if given.lower() in lower:
                return lower[given.lower()]
            raise FileProblem(self.path, f"no column {given!r} for {what}; "
                                         f"columns: {', '.join(self.frame.columns)}")
        for name in defaults:
            if name.lower() in lower:
                return lower[name.lower()]
        if required:
            option = "--" + what.split()[0]
            raise FileProblem(self.path, f"no {what} column (looked for {', '.join(defaults)}); "
                                         f"name it with {option}; columns: {', '.join(self.frame.columns)}")
        return None

    def text(self, column: str) -> pd.Series:
        """A column as it is written."""
        return self.frame[column].astype(str)

    def numbers(self, column: str) -> np.ndarray:
        """A numeric column; blank cells are missing values, text is an error with its line."""
        raw = self.frame[column].str.strip()
        blank = raw.eq("") | raw.str.upper().isin(_MISSING)
        values = pd.to_numeric(raw.where(~blank), errors="coerce")
        bad = values.isna() & ~blank
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise self.bad(column, f"{int(bad.sum())} non-numeric value(s) "
                                   f"({self.frame[column].iloc[i]!r})", i)
        return values.to_numpy(dtype=float)

    def dates(self, column: str) -> pd.DatetimeIndex:
        """A column of dates, in any format pandas recognises; a value that is not one is an
        error with its line."""
        raw = self.frame[column].str.strip()
        try:
            parsed = pd.to_datetime(raw, errors="coerce", format="mixed")
        except ValueError as err:  # dates in different time zones
            raise self._zones(column, raw, err) from None
        bad = parsed.isna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise self.bad(column, f"{int(bad.sum())} value(s) that are not dates "
                                   f"({self.frame[column].iloc[i]!r})", i)
        return pd.DatetimeIndex(parsed)

    def _zones(self, column: str, raw: pd.Series, err: ValueError) -> BadValues:
        """The error for dates that pandas refuses to put on one axis: the first whose time
        zone (or lack of one) differs from the first date's."""
        first = None
        for i, text in enumerate(raw):
            try:
                offset = pd.Timestamp(text).utcoffset()
            except (ValueError, TypeError):
                continue
            if first is None:
                first = (text, offset)
            elif offset != first[1]:
                return self.bad(column, f"dates in different time zones ({text!r}, after "
                                        f"{first[0]!r})", i)
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        return self.bad(column, f"not readable as dates ({reason})")


def read_table(path: str | Path) -> Table:
    """Read an input file (CSV with a header row) as text; a file that cannot be read, or
    has no data rows, is a :class:`FileProblem`."""
    path = Path(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except FileNotFoundError:
        raise FileProblem(path, "no such file") from None
    except IsADirectoryError:
        raise FileProblem(path, "is a folder, not a CSV file") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise FileProblem(path, f"not a readable CSV file ({first})") from None
    except OSError as err:
        raise FileProblem(path, f"{err.strerror or err}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise FileProblem(path, "no data rows")
    return Table(path, frame)
