"""Figures to cell values (xlwings_udfs.excel.results): no NaN and no numpy scalar reaches a cell."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from xlwings_udfs.analytics.errors import NotAvailable, NotEnoughData
from xlwings_udfs.excel import NA, scalar, table


def test_table_never_lets_nan_out():
    out = table([["a", np.float64(1.5)], ["b", np.nan], ["c", np.int64(3)], [float("inf")]])
    assert out == [["a", 1.5], ["b", NA], ["c", 3], [NA, None]]
    assert type(out[0][1]) is float and type(out[2][1]) is int


def test_table_writes_dates_as_datetime():
    out = table([[np.datetime64("2024-01-02"), pd.NaT, pd.Timestamp("2024-01-03")]])
    assert out == [[dt.datetime(2024, 1, 2), NA, dt.datetime(2024, 1, 3)]]
    assert type(out[0][0]) is dt.datetime


def test_scalar_turns_nan_into_not_available_with_the_reason():
    assert scalar(np.float64(0.25), "Beta") == 0.25
    assert type(scalar(np.array([0.5]), "Beta")) is float
    with pytest.raises(NotEnoughData, match="Beta: the index does not move"):
        scalar(np.nan, "Beta", "the index does not move")
    with pytest.raises(NotAvailable, match="^Spread: cannot be estimated from these data$"):
        scalar(None, "Spread")
