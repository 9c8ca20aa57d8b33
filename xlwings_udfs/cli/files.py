"""Reading input files: a file becomes a :class:`Table` of the values it holds, in which
columns are found by name and read as numbers, dates or text by the cell layer
(:mod:`xlwings_udfs.cells`), so that a value means in a file what it means in a cell.

Formats (chosen by the content, not the name):

* **text** (CSV): the delimiter (``,`` ``;`` tab or ``|``) found from the header and the
  first lines (or Excel's ``sep=;`` first line); UTF-8 with or without a byte-order mark,
  UTF-16 with one (Excel's "Unicode text"), else cp1252 (Windows' Western European code
  page, what European Excel writes), else latin-1. A field is the cell it stands for
  (:func:`~xlwings_udfs.cells.from_text`): empty or ``NaN``/``null``/``NA`` is a missing
  value, ``#N/A`` an error; numbers use the file's decimal mark, found from the numbers
  read together (a point, or a comma as in ``101,5`` and ``1.234,5``), refused when they
  show both or cannot tell (``1,234`` alone), unless declared.
* **xlsx** (also xlsm): the first sheet, or the one named; its cells typed as Excel has
  them: dates, numbers, text, booleans and error cells, read as the Excel functions read a
  selection. A formula without a saved value is an error, not a blank.

Lines with no value are not rows. A row with more values than the header, or fewer, is an
error naming its line: its values would land in the wrong columns.

Every position is where the user finds it: the line of a text file (the header is a line),
the row of a sheet; every bad value is a :class:`~.errors.BadValues` naming the column and
that position.
"""
from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from .. import cells
from ..analytics.errors import InputError
from .errors import BadValues, FileProblem

__all__ = ["Table", "read_table", "DECLARE_DATES", "key"]

#: What the command line tells the user to do about date texts it cannot read for sure.
DECLARE_DATES = "give the format with --date-format, e.g. --date-format %d/%m/%Y"

_DELIMITERS = (",", ";", "\t", "|")
_SAMPLE_LINES = 50


def key(name: str) -> str:
    """A column name as names are compared: case and punctuation aside (``Adj. Close*``,
    ``adj_close`` and ``ADJ CLOSE`` are all ``adj close``)."""
    return " ".join("".join(c if c.isalnum() else " " for c in name.casefold()).split())


@dataclass
class Table:
    """The values of an input file, one column per header name.

    Attributes
    ----------
    path : Path
        The file, as the user named it (messages quote it).
    names : list of str
        The header, as written (spaces around a name dropped); an empty name is shown as
        ``column 3`` (``column C`` in a sheet).
    data : list of lists
        One list per column: the texts of a text file, the typed cells of a sheet.
    lines : ndarray
        The line of the file (the row of the sheet) of each data row, 1-based.
    axis : str
        ``"line"`` for a text file, ``"row"`` for a sheet.
    sheet : str or None
        The sheet read, for a workbook.
    decimal : str or None
        The decimal mark of a text file's numbers: declared, or None to find it.
    """

    path: Path
    names: list[str]
    data: list[list]
    lines: np.ndarray
    axis: str = "line"
    sheet: str | None = None
    decimal: str | None = None
    unsaved: dict[int, int] = field(default_factory=dict)  # column -> first row of a formula without a value
    unnamed: frozenset[str] = frozenset()  # the names given to columns without one

    @property
    def text_file(self) -> bool:
        return self.sheet is None

    @property
    def where(self) -> str:
        """The file as messages name it (with its sheet)."""
        return f"{self.path} (sheet {self.sheet!r})" if self.sheet is not None else str(self.path)

    @property
    def columns(self) -> list[str]:
        return list(self.names)

    def __len__(self) -> int:
        return len(self.lines)

    def line(self, position: int) -> int:
        """The line (row of the sheet) of data row ``position`` (0-based)."""
        return int(self.lines[position])

    def problem(self, problem: str) -> FileProblem:
        return FileProblem(self.where, problem)

    def bad(self, column: str, problem: str, position: int | None = None) -> BadValues:
        """The error for bad values of ``column``, the first at data row ``position``."""
        line = None if position is None else self.line(position)
        return BadValues(self.where, InputError(column, problem, row=line, axis=self.axis))

    def located(self, err: InputError, column: str, lines: np.ndarray | None = None) -> InputError:
        """An error about values of ``column`` (its row counting the values given, 1-based)
        with the column's name and the line of the file; ``lines`` are the lines of the
        values given, when they are not the whole column in the file's order."""
        lines = self.lines if lines is None else lines
        row = err.row
        line = int(lines[row - 1]) if row is not None and 1 <= row <= len(lines) and lines[row - 1] > 0 else None
        return err.replace(argument=column, row=line, axis=self.axis)

    # ------------------------------------------------------------------------------------
    # columns

    def _index(self, name: str) -> int:
        return self.names.index(name)

    def find(self, given: str | None, defaults: Sequence[str], what: str, option: str,
             required: bool = True, exclude: Sequence[str | None] = ()) -> str | None:
        """The column for ``what``: the one given (its name in any case), or the first of
        ``defaults`` present (names compared by :func:`key`), other than those of ``exclude``.

        A column given but absent, or a required one not found, is a :class:`FileProblem`
        listing the columns the file has; an optional one not found is None.
        """
        listing = f"columns: {', '.join(self.names)}"
        if given is not None:
            for match in (lambda n: n == given, lambda n: n.casefold() == given.casefold(),
                          lambda n: key(n) == key(given)):
                found = [n for n in self.names if match(n)]
                if found:
                    return self._unique(found[0], option)
            raise self.problem(f"no column {given!r} for {what}; {listing}")
        keys = {}
        for n in self.names:
            if n not in exclude:
                keys.setdefault(key(n), n)
        for name in defaults:
            if name in keys:
                return self._unique(keys[name], option)
        if required:
            raise self.problem(f"no {what} column (looked for {', '.join(defaults)}); name it with "
                               f"{option}; {listing}")
        return None

    def _unique(self, name: str, option: str) -> str:
        same = [j + 1 for j, n in enumerate(self.names) if key(n) == key(name)]
        if len(same) > 1:
            raise self.problem(f"columns {', '.join(map(str, same))} are all named {name!r}: rename "
                               f"the one to use, or name another with {option}")
        return name

    def raw(self, column: str) -> list:
        return self.data[self._index(column)]

    # ------------------------------------------------------------------------------------
    # values

    def text(self, column: str) -> list[str]:
        """A column as text, as it is written (a whole number of a sheet without ``.0``)."""
        out = []
        for v in self.raw(column):
            if isinstance(v, float) and v.is_integer():
                v = int(v)
            out.append("" if v is None else str(v).strip())
        return out

    def numbers(self, *columns: str) -> list[np.ndarray]:
        """Columns of numbers, read together (a text file's decimal mark is found from them
        all), each as a float vector with NaN where a value is missing; a value that is not
        a number is a :class:`BadValues` with its column and line."""
        decimal = self._decimal_mark(columns) if self.text_file else None
        out = []
        for column in columns:
            self._check_saved(column)
            raw = self.raw(column)
            values = cells.from_texts(raw, decimal) if self.text_file else raw
            try:
                out.append(cells.numbers(values, column))
            except InputError as err:
                if self.text_file and " non-numeric cell" in err.problem:
                    err = err.replace(problem=f"{err.problem} (for a missing value: empty, "
                                              f"{', '.join(cells.MISSING_WORDS[:-1])} or {cells.MISSING_WORDS[-1]})")
                raise BadValues(self.where, self.located(err, column)) from None
        return out

    def dates(self, column: str, date_format: str | None = None) -> pd.DatetimeIndex:
        """A column of dates, NaT where blank: dates and Excel serial numbers of a sheet as
        they are, date texts by the column rule (:func:`xlwings_udfs.cells.dates`); a value
        that is not a date is a :class:`BadValues` with its column and line."""
        self._check_saved(column)
        raw = self.raw(column)
        if self.text_file:
            values = [None if (v := t.strip()) == "" or v.lower() in _MISSING else v for t in raw]
        else:
            values = raw
        try:
            out = cells.dates(values, column, date_format=date_format, declare=DECLARE_DATES)
        except InputError as err:
            raise BadValues(self.where, self.located(err, column)) from None
        return pd.DatetimeIndex(out)

    def _check_saved(self, column: str) -> None:
        row = self.unsaved.get(self._index(column))
        if row is not None:
            raise BadValues(self.where, InputError(
                column, "a formula without a saved value (open the workbook in Excel and save it)",
                row=row, axis=self.axis))

    def _decimal_mark(self, columns: Sequence[str]) -> str:
        """The decimal mark of the numbers of ``columns``: declared, or the one they show."""
        if self.decimal is not None:
            return self.decimal
        seen: dict[str, tuple[str, int]] = {}
        for column in columns:
            for mark, position in cells.decimal_evidence(self.raw(column)).items():
                if position is not None and mark not in seen:
                    seen[mark] = (column, position)

        def at(mark: str) -> tuple[str, str]:
            column, position = seen[mark]
            return f"column {column!r}, {self.axis} {self.line(position)}", self.raw(column)[position].strip()

        if "." in seen and "," in seen:
            (p, t), (c, u) = at("."), at(",")
            raise self.problem(f"numbers written with a decimal point ({p}: {t!r}) and with a decimal comma "
                               f"({c}: {u!r}); give the decimal mark with --decimal")
        if "." in seen or "," in seen:
            return "." if "." in seen else ","
        if "either" in seen:
            where, text = at("either")
            whole, part = text.replace(",", ".").split(".")
            raise self.problem(f"{text!r} ({where}) could be {whole}{part} or {whole}.{part}, and no number "
                               f"of the file shows which mark is the decimal one; give it with --decimal . "
                               f"or --decimal ,")
        return "."


_MISSING = frozenset(w.lower() for w in cells.MISSING_WORDS)


# ----------------------------------------------------------------------------------------
# reading
# ----------------------------------------------------------------------------------------

def read_table(path: str | Path, sheet: str | None = None, decimal: str | None = None) -> Table:
    """Read an input file: a text file (CSV) or an xlsx workbook, by its content; ``sheet``
    names the sheet of a workbook (a text file has none).

    A file that cannot be read, has no header or no data rows, or rows whose values do not
    fit the header, is a :class:`FileProblem`.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise FileProblem(path, "no such file") from None
    except IsADirectoryError:
        raise FileProblem(path, "is a folder, not a file") from None
    except OSError as err:
        raise FileProblem(path, f"{err.strerror or err}") from None
    if raw.startswith(b"PK\x03\x04"):
        return _read_workbook(path, raw, sheet)
    if raw.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileProblem(path, "an Excel 97-2003 workbook (.xls): save it as .xlsx or CSV")
    return _read_text(path, _decode(path, raw), decimal)


def _decode(path: Path, raw: bytes) -> str:
    """The text of a file: UTF-8 (with or without a byte-order mark), UTF-16 with one, else
    cp1252, else latin-1 (which reads any bytes)."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise FileProblem(path, "not a readable text file (broken UTF-16)") from None
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8):]
    if b"\x00" in raw[:4096]:
        raise FileProblem(path, "not a text file (CSV) or an xlsx workbook")
    for encoding in ("utf-8", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


_SEP_LINE = re.compile(r"sep=(.)\s*", re.IGNORECASE)


def _delimiter(lines: list[str]) -> str:
    """The delimiter that splits the header and the first lines into the same number of
    fields, the most; among equals, the first of ``, ; tab |``."""
    best, best_count = ",", 1
    for d in _DELIMITERS:
        counts = [len(r) for r in csv.reader(lines, delimiter=d) if any(f.strip() for f in r)]
        if counts and counts[0] > best_count and all(c == counts[0] for c in counts[1:]):
            best, best_count = d, counts[0]
    if best_count > 1:
        return best
    # no delimiter gives every line the same count: the one that splits the header most
    counts = {d: len(next(csv.reader(lines[:1], delimiter=d), [])) for d in _DELIMITERS}
    return max(_DELIMITERS, key=lambda d: counts[d])


def _read_text(path: Path, text: str, decimal: str | None) -> Table:
    stream = io.StringIO(text, newline="")
    first = stream.readline()
    m = _SEP_LINE.fullmatch(first.rstrip("\r\n"))
    offset = 1 if m else 0
    if m:
        delimiter = m.group(1)
    else:
        stream.seek(0)
        sample = [ln for ln in (stream.readline() for _ in range(_SAMPLE_LINES)) if ln.strip()]
        delimiter = _delimiter(sample)
        stream.seek(0)
        if not sample:
            raise FileProblem(path, "empty: no header and no data rows")
    reader = csv.reader(stream, delimiter=delimiter)
    header: list[str] | None = None
    header_line = 0
    rows: list[list[str]] = []
    lines: list[int] = []
    try:
        while True:
            start = reader.line_num + 1 + offset
            try:
                record = next(reader)
            except StopIteration:
                break
            if not any(f.strip() for f in record):
                continue
            if header is None:
                header, header_line = [f.strip() for f in record], start
                named = len(header)  # a header may end in delimiters its rows leave out
                while named > 1 and header[named - 1] == "":
                    named -= 1
                continue
            if len(record) != len(header):
                if len(record) > len(header) and not any(f.strip() for f in record[len(header):]):
                    record = record[:len(header)]
                elif named <= len(record) < len(header):
                    record = record + [""] * (len(header) - len(record))
                else:
                    hint = (" (a decimal comma in a comma-separated file? quote such numbers, or separate "
                            "the fields with ;)" if delimiter == "," and len(record) > len(header) else "")
                    raise FileProblem(path, f"line {start} has {len(record)} values where the header (line "
                                            f"{header_line}) has {len(header)}: they would land in the wrong "
                                            f"columns{hint}")
            rows.append(record)
            lines.append(start)
    except csv.Error as err:
        raise FileProblem(path, f"not a readable CSV file (line {reader.line_num + offset}: {err})") from None
    if header is None:
        raise FileProblem(path, "empty: no header and no data rows")
    if not rows:
        raise FileProblem(path, "no data rows")
    names = [n if n else f"column {j + 1}" for j, n in enumerate(header)]
    data = [list(c) for c in zip(*rows)]
    unnamed = frozenset(f"column {j + 1}" for j, n in enumerate(header) if not n)
    return Table(path, names, data, np.array(lines, dtype=np.int64), "line", None, decimal, unnamed=unnamed)


def _read_workbook(path: Path, raw: bytes, sheet: str | None) -> Table:
    import openpyxl
    from openpyxl.utils import get_column_letter
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)  # whatever its name
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise FileProblem(path, f"not a readable xlsx workbook ({first})") from None
    try:
        names = book.sheetnames
        if sheet is None:
            chosen = names[0]
        else:
            matches = [n for n in names if n == sheet] or [n for n in names if n.casefold() == sheet.casefold()]
            if not matches:
                raise FileProblem(path, f"no sheet {sheet!r}; sheets: {', '.join(names)}")
            chosen = matches[0]
        ws = book[chosen]
        if not hasattr(ws, "iter_rows"):
            raise FileProblem(path, f"sheet {chosen!r} is a chart, not cells")
        ws.reset_dimensions()  # a wrong dimension record would cut the sheet
        grid = [list(r) for r in ws.iter_rows(min_row=1, values_only=True)]
    finally:
        book.close()
    where = f"{path} (sheet {chosen!r})"
    width = max((len(r) for r in grid), default=0)
    grid = [r + [None] * (width - len(r)) for r in grid]
    filled = [any(not cells.is_blank(v) for v in r) for r in grid]
    if not any(filled):
        raise FileProblem(where, "empty: no header and no data rows")
    top = filled.index(True)
    header_cells = grid[top]
    rows = [(i + 1, grid[i]) for i in range(top + 1, len(grid)) if filled[i]]
    if not rows:
        raise FileProblem(where, "no data rows")
    used = [j for j in range(width) if not cells.is_blank(header_cells[j])
            or any(not cells.is_blank(r[j]) for _, r in rows)]
    names = []
    for j in used:
        v = header_cells[j]
        names.append(f"column {get_column_letter(j + 1)}" if cells.is_blank(v) else str(v).strip())
    data = [[r[j] for _, r in rows] for j in used]
    lines = np.array([i for i, _ in rows], dtype=np.int64)
    unsaved = _unsaved_formulas(raw, chosen, used, lines)
    unnamed = frozenset(n for j, n in zip(used, names) if cells.is_blank(header_cells[j]))
    return Table(path, names, data, lines, "row", chosen, None, unsaved, unnamed)


def _unsaved_formulas(raw: bytes, sheet: str, used: list[int], lines: np.ndarray) -> dict[int, int]:
    """The first row, per column (an index into ``used``), of a formula whose value the
    file does not hold (a workbook written by a program and never opened in Excel): read as
    a blank it would silently become a missing value."""
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        if not any(n.startswith("xl/worksheets/") and n.endswith(".xml") and re.search(rb"<f[ >/]", z.read(n))
                   for n in z.namelist()):
            return {}
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=False)
    values = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    try:
        ws, wv = book[sheet], values[sheet]
        ws.reset_dimensions()
        wv.reset_dimensions()
        column = {j: k for k, j in enumerate(used)}
        keep = set(int(x) for x in lines)
        out: dict[int, int] = {}
        for i, (formulas, saved) in enumerate(zip(ws.iter_rows(min_row=1), wv.iter_rows(min_row=1, values_only=True)),
                                              start=1):
            if i not in keep:
                continue
            for j, c in enumerate(formulas):
                if j in column and getattr(c, "data_type", None) == "f" and (j >= len(saved) or saved[j] is None):
                    out.setdefault(column[j], i)
        return out
    finally:
        book.close()
        values.close()
