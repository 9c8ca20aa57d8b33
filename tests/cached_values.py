"""How closely a cell computed here must match the value cached in a committed workbook.

The committed workbooks' cached values were computed on the machine that built them. Most
figures are computed, or refined, in double precision, and agree from one machine to another
to rounding. Those read off the likelihood scan, which runs in single precision
(``model.fast_grid``: the interval bounds and the mean of s_u^2, and so the holding cost's
standard error, its bounds and what is built on them), move by the scan's rounding: the order
in which BLAS sums a matrix product (the scan of a panel is one; the holding cost's history
is a panel of its windows) depends on the processor and on the BLAS library's version.

Which cells those are is measured, not listed: the cells whose value moves when the template
is computed with every fund's scan in double precision (``scan_dependent_cells``). They are
held to ``SCAN_REL`` relative or ``SCAN_ABS`` absolute, every other cell to ``REL``. On the
sample template, 471 cells move with the scan's precision: by up to 9e-6 relative, or
1.8e-8 absolute for a bound of the holding cost near zero (the difference of two figures;
7.7e-5 of itself). Computed on another machine, they differed from the committed values by
up to 3.8e-6 relative (1.8e-8 near zero), and on one machine with OpenBLAS 0.3.30 against
0.3.31 by up to 1.9e-6 (1e-8); the other cells agreed to 7e-13.
"""
from __future__ import annotations

import contextlib
import math
from pathlib import Path
from typing import Iterator

import openpyxl

from xlwings_udfs import excel
from xlwings_udfs.analytics.model import fast_fit
from xlwings_udfs.template import compute_template, write_workbook

__all__ = ["REL", "SCAN_ABS", "SCAN_REL", "matches_cached", "scan_dependent_cells"]

#: A cell that does not depend on the scan's rounding: rounding, far below what is shown.
REL = 1e-9
#: A cell that does: 11 times the most such a cell moved relative to itself with the scan's
#: precision (above); near zero, 5 times the most one moved, a thousandth of the 0.01% a
#: fraction is shown to.
SCAN_REL, SCAN_ABS = 1e-4, 1e-7
#: Cells whose value moves by more than this with the scan's precision depend on it.
_MOVED = 1e-12


def matches_cached(got, cached, scan_dependent: bool) -> bool:
    """Whether a value computed here matches the value cached for its cell: numbers to the
    tolerance above, anything else (text, a boolean, an error) exactly."""
    if not (_is_number(got) and _is_number(cached)):
        return got == cached
    if scan_dependent:
        return math.isclose(got, cached, rel_tol=SCAN_REL, abs_tol=SCAN_ABS)
    return math.isclose(got, cached, rel_tol=REL, abs_tol=1e-15)


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


@contextlib.contextmanager
def _scan_in_double() -> Iterator[None]:
    """Inside the block, every fund is fitted with the scan in double precision.

    Every fund goes the way of those whose single-precision scan cancels (above a limit below
    any cancellation, every fund is fitted again in double precision). The Excel functions'
    call cache is emptied on the way in and out: it must neither answer from the
    single-precision figures nor keep these.
    """
    limit = fast_fit.CANCELLATION_LIMIT
    excel.cache.clear()
    fast_fit.CANCELLATION_LIMIT = -1.0
    try:
        yield
    finally:
        fast_fit.CANCELLATION_LIMIT = limit
        excel.cache.clear()


def _numbers(path: Path) -> dict[tuple[str, str], float]:
    """(sheet, "A1") -> the cached number of every cell that holds one."""
    out = {}
    for ws in openpyxl.load_workbook(path, data_only=True).worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
                    out[(ws.title, cell.coordinate)] = float(cell.value)
    return out


def _template_numbers(path: Path) -> dict[tuple[str, str], float]:
    write_workbook(compute_template(), path, host="classic")
    return _numbers(path)


def scan_dependent_cells(folder: Path) -> frozenset[tuple[str, str]]:
    """(sheet, "A1") of the template's cells whose value moves when the scan runs in double
    precision. The cells are the same in every host's copy. ``folder`` receives the two
    workbooks written to read them."""
    single = _template_numbers(folder / "scan_in_single_precision.xlsx")
    with _scan_in_double():
        double = _template_numbers(folder / "scan_in_double_precision.xlsx")
    assert single.keys() == double.keys()
    return frozenset(where for where, value in single.items()
                     if not math.isclose(value, double[where], rel_tol=_MOVED, abs_tol=0.0))
