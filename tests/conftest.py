"""Fixtures shared by several test modules."""
from __future__ import annotations

import pytest

from xlwings_udfs.data import sample_panel


@pytest.fixture(scope="module")
def fund_index():
    """One synthetic fund and its index, as a column of cells each, with datetime dates."""
    nav, idx = sample_panel("nav"), sample_panel("index")
    fund = nav.iloc[:, 0]
    return ([[v] for v in fund.tolist()], [[v] for v in idx.iloc[:, 0].tolist()],
            [[d.to_pydatetime()] for d in fund.index], fund.index)


@pytest.fixture(scope="session")
def scan_dependent(tmp_path_factory) -> frozenset:
    """The template's cells whose value moves with the rounding of the single-precision scan
    (see cached_values), computed once a run."""
    # Imported here: it needs openpyxl and the template, which the function tests run in
    # Pyodide's numpy and pandas (test_environments) do not install.
    from cached_values import scan_dependent_cells

    return scan_dependent_cells(tmp_path_factory.mktemp("scan_precision"))
