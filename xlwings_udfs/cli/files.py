"""Reading input files: a file becomes a :class:`~.table.Table` of the values it holds, in
which columns are found by name and read as numbers, dates or text by the cell layer
(:mod:`xlwings_udfs.cells`), so that a value means in a file what it means in a cell.

Formats (chosen by the content, not the name):

* **text** (CSV): the delimiter (``,`` ``;`` tab or ``|``) found from the header and the
  first lines (or Excel's ``sep=;`` first line); UTF-8 with or without a byte-order mark,
  UTF-16 with one (Excel's "Unicode text"), else cp1252 (Windows' Western European code
  page, what European Excel writes), else latin-1. A field is the cell it stands for
  (:func:`~xlwings_udfs.text_fields.from_text`): empty or ``NaN``/``null``/``NA`` is a missing
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
from pathlib import Path

import numpy as np

from .. import cells
from .errors import FileProblem
from .table import Table

__all__ = ["read_table"]

_DELIMITERS = (",", ";", "\t", "|")
_SAMPLE_LINES = 50


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
