"""The template workbook: built from the embedded sample by the package, committed under
``workbook/``, rebuilt with ``etf-analytics template --out PATH``.

>>> from xlwings_udfs.template import build_workbook
>>> book = build_workbook("etf_cost_analytics.xlsx")          # doctest: +SKIP
>>> book.comparison_frame().loc["SYN-EMA", "holding_cost"]    # doctest: +SKIP

See :mod:`.layout` for where everything sits, :mod:`.compute` for the formulas and their
cached results, and :mod:`.writer` for the file.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

from .compute import CostInputs, TemplateBook, compute_template
from .layout import SHEETS, WHATIF_SIZES, WHATIF_YEARS, Layout
from .files import OutputExistsError, check_writable, write_atomically
from .writer import write_workbook

__all__ = [
    "DEFAULT_FILENAME",
    "SHEETS",
    "WHATIF_YEARS",
    "WHATIF_SIZES",
    "CostInputs",
    "Layout",
    "TemplateBook",
    "OutputExistsError",
    "build_workbook",
    "check_writable",
    "compute_template",
    "write_atomically",
    "write_workbook",
]

#: File name of the template, in ``workbook/`` and as the default output of the CLI.
DEFAULT_FILENAME = "etf_cost_analytics.xlsx"


def build_workbook(
    path: str | os.PathLike,
    force: bool = False,
    funds: Sequence[str] | int | None = None,
    rows: int | None = None,
    inputs: CostInputs = CostInputs(),
    chosen_fund: str | None = None,
) -> TemplateBook:
    """Compute the template for the embedded sample and write it to ``path``.

    An existing file is refused (:class:`OutputExistsError`) before anything is computed,
    unless ``force``; the file is written atomically, so a failure leaves any original
    intact. The other parameters are those of :func:`compute_template`.
    """
    check_writable(path, force)
    book = compute_template(funds=funds, rows=rows, inputs=inputs, chosen_fund=chosen_fund)
    write_workbook(book, Path(path), force=force)
    return book
