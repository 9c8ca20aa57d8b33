"""Writing a computed :class:`~.compute.TemplateBook` to an .xlsx file with XlsxWriter.

Formula cells are written with their cached results (XlsxWriter is the library that can),
spilling formulas as dynamic arrays over their explicit output range with the other spill
cells' values written after them. Text is always written as text (``write_string``), so a
fund name such as ``=HYPERLINK(...)`` or ``-Fund`` stays a name.
"""
from __future__ import annotations

import datetime as _dt
from pathlib import Path

import xlsxwriter

from . import compare_sheet
from . import sheets as sheets_
from . import style as S
from .compute import TemplateBook
from .files import close_workbook, write_atomically
from .layout import SHEETS
from .naming import DEFAULT_NAMESPACE, check_host, check_namespace

__all__ = ["write_workbook"]

# Excel recalculates a file on open when it asks for it (fullCalcOnLoad) or when the file was
# last calculated by an older calculation engine (a lower calcId). Either would replace every
# cached result by #NAME? where the add-in is not connected, so the file claims to have been
# calculated by the current engine of Excel 365 and does not ask for a recalculation.
_CALC_ID = 191029
_FIXED_DATE = _dt.datetime(2025, 1, 1)  # document properties: the same bytes for the same content


def _write(book: TemplateBook, path: Path, host: str = "classic", namespace: str = DEFAULT_NAMESPACE) -> None:
    wb = xlsxwriter.Workbook(str(path), {"use_future_functions": True, "strings_to_formulas": False,
                                         "strings_to_urls": False, "strings_to_numbers": False})
    wb.calc_on_load = False
    wb.calc_id = _CALC_ID
    wb.set_properties({"title": "ETF cost analytics", "subject": "ETF cost analytics template",
                       "author": "xlwings-etf-analytics", "created": _FIXED_DATE,
                       "comments": f"Built by xlwings-etf-analytics {book.version}"})
    fmt = S.formats(wb)
    # The xlwings.conf sheet tells classic xlwings where the functions are; the Office.js
    # hosts do not read it.
    sheets = {key: wb.add_worksheet(name) for key, name in SHEETS.items() if key != "conf" or host == "classic"}
    for name, target in book.names.items():
        wb.define_name(name, "=" + target)
    sheets_.start(wb, sheets["start"], book, fmt, host, namespace)
    sheets_.comparison(wb, sheets["comparison"], book, fmt)
    sheets_.total(wb, sheets["total"], book, fmt)
    sheets_.whatif(wb, sheets["whatif"], book, fmt)
    compare_sheet.write(wb, sheets["compare"], book, fmt)
    sheets_.data(wb, sheets["data"], book, fmt)
    sheets_.chart_data(wb, sheets["chart"], book, fmt)
    if "conf" in sheets:
        sheets_.conf(wb, sheets["conf"], book, fmt)
    for key in ("comparison", "total", "whatif"):  # the tables print one page wide
        sheets[key].set_landscape()
        sheets[key].fit_to_pages(1, 0)
    close_workbook(wb)


def write_workbook(book: TemplateBook, path, force: bool = False, host: str = "classic",
                   namespace: str = DEFAULT_NAMESPACE) -> Path:
    """Write ``book`` to ``path`` atomically; an existing file is replaced only with ``force``.

    ``host`` (``"classic"``, ``"lite"`` or ``"server"``) decides how every ETF_ call is
    spelled, and ``namespace`` the Server's namespace (:mod:`.naming`); the cached values are
    the same for every host.
    """
    host, namespace = check_host(host), check_namespace(namespace)

    def write(tmp: Path) -> None:
        with S.host_names(host, namespace):
            _write(book, tmp, host, namespace)

    return write_atomically(path, write, force=force)
