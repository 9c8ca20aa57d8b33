"""Excel cell values in, Excel cell values out: the one package that knows about hosts.

Data flows one way: cells -> this package -> analytics -> this package -> cells. Nothing
here estimates anything; everything here exists because Excel hands over cells, not arrays,
and shows cells, not exceptions. What one value means (blank, error, date, number...) is
decided outside, in :mod:`xlwings_udfs.cells`, so that it means the same in a file.

One concern a module:

* :mod:`.hosts`: which host is calling (classic xlwings, or Office.js: xlwings Server and
  xlwings Lite), how each hands cells over, and how each is told about an error.
* :mod:`.ranges`: a range argument's shape, whole-column trimming, headers, row or column.
* :mod:`.series`: the range arguments of a call read together as row-aligned series, with
  positions in the user's selection.
* :mod:`.args`: single-cell arguments (number, flag, text, date, list of names).
* :mod:`.calls`: the error policy around a call, the call cache, and :func:`run` for the
  analytics (shared estimates, errors placed in the selection).
* :mod:`.results`: figures to cell values (:func:`scalar`, :func:`table`).
* :mod:`.udf`: :func:`excel_udf`, which declares an Excel function to xlwings from a table
  of argument help.
"""
from __future__ import annotations

from .args import cell_texts, date, flag, number, text
from .calls import cache, excel_function, run
from .hosts import CELL, CLASSIC, NA, OFFICE_JS, RANGE, describe, host, use_host
from .results import scalar, table
from .series import Series, read_series
from .udf import excel_udf

__all__ = [
    "CLASSIC",
    "OFFICE_JS",
    "NA",
    "RANGE",
    "CELL",
    "host",
    "use_host",
    "describe",
    "cache",
    "excel_function",
    "excel_udf",
    "run",
    "Series",
    "read_series",
    "number",
    "flag",
    "text",
    "date",
    "cell_texts",
    "scalar",
    "table",
]
