"""Writing results: CSV, JSON and workbooks, each through the atomic writer of
:mod:`xlwings_udfs.template.files` (an existing file is replaced only with ``--force``, a
failed write leaves it intact), and a user's text never written where a spreadsheet would
run it as a formula.
"""
from __future__ import annotations

import json
import math
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

import numpy as np
import pandas as pd

from .errors import OutputExists, WriteFailed
from .render import label

__all__ = ["check_out", "csv_safe", "figures_csv", "figures_json", "plain", "write_book",
           "write_text", "write_universe_csv", "write_universe_xlsx"]


@contextmanager
def _writing(path: Path) -> Iterator[None]:
    """An existing output or a failed write as the command line's errors."""
    from ..template.files import OutputExistsError

    try:
        yield
    except OutputExistsError as err:
        raise OutputExists(str(err)) from None
    except OSError as err:
        raise WriteFailed(path, err.strerror or str(err)) from None


def check_out(path: Path, force: bool) -> Path:
    """Refuse an existing output before any work is done."""
    from ..template.files import check_writable

    with _writing(path):
        return check_writable(path, force)


def _write(path: Path, write: Callable[[Path], None], force: bool) -> Path:
    from ..template.files import write_atomically

    with _writing(path):
        return write_atomically(path, write, force=force)


def write_text(path: Path, text: str, force: bool) -> Path:
    """Write ``text`` as UTF-8."""
    return _write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"), force)


def write_book(book, path: Path, force: bool, host: str = "classic", namespace: str | None = None) -> None:
    """Write the template workbook computed as ``book``, for ``host``."""
    with _writing(path):
        from ..template import write_workbook
        from ..template.naming import DEFAULT_NAMESPACE

        write_workbook(book, path, force=force, host=host, namespace=namespace or DEFAULT_NAMESPACE)


def plain(v: Any) -> Any:
    """A JSON-safe value (NaN becomes null)."""
    if isinstance(v, (np.floating, float)):
        return None if math.isnan(float(v)) else float(v)
    if isinstance(v, np.integer):
        return int(v)
    return v


def figures_json(payload: Mapping[str, Any]) -> str:
    """One fund's figures as JSON: ``payload`` with its ``figures`` made JSON-safe."""
    out = {**payload, "figures": {k: plain(v) for k, v in payload["figures"].items()}}
    return json.dumps(out, indent=2) + "\n"


def figures_csv(figures: Mapping[str, Any]) -> str:
    """One fund's figures as CSV, one row each: key, label, value."""
    rows = pd.DataFrame({"figure": list(figures), "label": [label(k) for k in figures],
                         "value": [plain(v) for v in figures.values()]})
    return rows.to_csv(index=False, lineterminator="\n")


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that a spreadsheet would run as a formula (=, +, -, @ first) get a leading '.

    Fund names come from the user's file; a CSV opened in Excel must show them, not
    evaluate them. Numbers are left alone.
    """
    out = frame.copy()
    for col in out.columns:
        if not pd.api.types.is_numeric_dtype(out[col]):
            out[col] = out[col].map(
                lambda v: "'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@") else v)
    return out


def _universe_xlsx(result: pd.DataFrame, tmp: Path) -> None:
    import xlsxwriter

    from ..analytics.figures import FIGURES, excel_format
    from ..template.files import close_workbook

    wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False,
                                        "strings_to_numbers": False, "nan_inf_to_errors": True})
    ws = wb.add_worksheet("Figures")
    head = wb.add_format({"bold": True, "text_wrap": True, "valign": "bottom", "bg_color": "#DDEBF7"})
    fmts = {key: wb.add_format({"num_format": excel_format(FIGURES[key])})
            for key in result.columns if key in FIGURES}
    ws.write_string(0, 0, "Fund", head)
    for c, key in enumerate(result.columns, start=1):
        ws.write_string(0, c, label(key), head)
    for r, (fund, row) in enumerate(result.iterrows(), start=1):
        # Names come from the user's file: always text, so "=..." or "-x" cannot become a formula.
        ws.write_string(r, 0, str(fund))
        for c, key in enumerate(result.columns, start=1):
            v = row[key]
            if v is None or (isinstance(v, float) and math.isnan(v)):
                ws.write_blank(r, c, None)
            elif key not in fmts or isinstance(v, str):
                ws.write_string(r, c, str(v))
            else:
                ws.write_number(r, c, float(v), fmts[key])
    ws.set_row(0, 45)
    ws.set_column(0, 0, 16)
    ws.set_column(1, len(result.columns), 12)
    ws.freeze_panes(1, 1)
    close_workbook(wb)


def write_universe_xlsx(result: pd.DataFrame, path: Path, force: bool) -> Path:
    """The figures of many funds as a workbook: one row per fund, figures formatted as the
    registry says, fund names always text."""
    return _write(path, lambda tmp: _universe_xlsx(result, tmp), force)


def write_universe_csv(result: pd.DataFrame, path: Path, force: bool) -> Path:
    """The figures of many funds as CSV, names that a spreadsheet would run made safe."""
    text = csv_safe(result.reset_index()).to_csv(index=False, lineterminator="\n")
    return write_text(path, text, force)
