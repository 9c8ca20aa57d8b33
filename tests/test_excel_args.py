"""Single-cell arguments (xlwings_udfs.excel.args): every form a host passes, and the messages."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from xlwings_udfs.analytics.errors import InputError
from xlwings_udfs.excel import args

OFFICE_NA = {"type": "Error", "basicType": "Error", "basicValue": "#N/A", "errorType": "NotAvailable"}


def test_number_reads_every_host_form():
    assert args.number(None, "window", default=7) == 7
    assert args.number([[None]], "window", default=7) == 7
    assert args.number("", "window", default=7) == 7
    assert args.number([[252.0]], "window") == 252.0
    assert args.number([[252]], "window") == 252          # Office.js passes integers as int
    assert args.number(np.float64(3.5), "x") == 3.5
    assert args.number(np.array([[3.5]]), "x") == 3.5
    assert args.number({"type": "FormattedNumber", "basicValue": 2.0}, "x") == 2.0


@pytest.mark.parametrize("cell, match", [
    ("#N/A", r"^window: error cell \(#N/A\); fix the cell it refers to$"),
    ({"type": "Error", "basicValue": "#DIV/0!", "errorType": "Div0"}, r"error cell \(#DIV/0!\)"),
    ("#N/A fund: 12 returns", r"error cell \(#N/A\)"),
    (True, "^window: must be a number, got TRUE$"),
    ("abc", "^window: must be a number, got 'abc'$"),
    (dt.datetime(2024, 1, 2), "^window: must be a number, got the date 2024-01-02$"),
    ([[1, 2]], "^window: expected a single cell, got 2 cells$"),
    ([[1], [2], [3]], "^window: expected a single cell, got 3 cells$"),
])
def test_number_rejects_what_is_not_a_number(cell, match):
    with pytest.raises(InputError, match=match):
        args.number(cell, "window")


def test_number_required():
    with pytest.raises(InputError, match="^commission: no value"):
        args.number(None, "commission", required=True)


@pytest.mark.parametrize("cell, expected", [
    (None, True), ("", True), (True, True), (False, False), (0, False), (1.0, True), ("false", False),
    ([[True]], True), ("TRUE", True), (" true ", True), (np.bool_(False), False), ([[0]], False),
])
def test_flag(cell, expected):
    assert args.flag(cell, "labels", True) is expected


@pytest.mark.parametrize("cell, expected", [
    (2, "labels: must be TRUE or FALSE, got 2"),
    ("maybe", "labels: must be TRUE or FALSE, got 'maybe'"),
    (dt.datetime(2024, 1, 2), "labels: must be TRUE or FALSE, got the date 2024-01-02"),
    ("#N/A", "labels: error cell (#N/A); fix the cell it refers to"),
    (OFFICE_NA, "labels: error cell (#N/A); fix the cell it refers to"),
])
def test_flag_rejects_other_values(cell, expected):
    with pytest.raises(InputError) as err:
        args.flag(cell, "labels", True)
    assert str(err.value) == expected


def test_text():
    assert args.text(None, "impact_model", "square_root") == "square_root"
    assert args.text([["morningstar"]], "impact_model", "square_root") == "morningstar"
    with pytest.raises(InputError, match="^impact_model: must be text, got 5$"):
        args.text(5, "impact_model", "square_root")
    with pytest.raises(InputError, match=r"^impact_model: error cell \(#N/A\)"):
        args.text(OFFICE_NA, "impact_model", "square_root")


def test_date():
    assert args.date(45292, "start_date") == pd.Timestamp("2024-01-01")
    assert args.date([[45292.0]], "start_date") == pd.Timestamp("2024-01-01")
    assert args.date(dt.datetime(2024, 1, 1), "start_date") == pd.Timestamp("2024-01-01")
    assert args.date("2024-01-31", "start_date") == pd.Timestamp("2024-01-31")
    # a text is read as a column of one: a day over 12 says which number is the day
    assert args.date("31/01/2024", "start_date") == pd.Timestamp("2024-01-31")
    with pytest.raises(InputError, match="^start_date: '01/02/2024' could be day/month or month/day .*yyyy-mm-dd$"):
        args.date("01/02/2024", "start_date")
    with pytest.raises(InputError, match="^start_date: not a date .*yyyy-mm-dd"):
        args.date("soon", "start_date")
    with pytest.raises(InputError, match="^end_date: no date"):
        args.date(None, "end_date")
    with pytest.raises(InputError, match="^start_date: error cell \\(#N/A\\)$"):
        args.date("#N/A", "start_date")


def test_serial_60_is_named_as_the_fake_leap_day():
    with pytest.raises(InputError, match="29 February 1900"):
        args.date(60, "start_date")


def test_cell_texts():
    assert args.cell_texts([["beta"], [None], [" R-squared "], [""]], "figures") == ["beta", "R-squared"]
    assert args.cell_texts([["beta", "alpha"]], "figures") == ["beta", "alpha"]
    assert args.cell_texts("beta", "figures") == ["beta"]
    assert args.cell_texts([[None]], "figures") == []
    with pytest.raises(InputError, match="^figures: must be text, got 3.0$"):
        args.cell_texts([["beta"], [3.0]], "figures")
    with pytest.raises(InputError, match=r"^figures: error cell \(#REF!\)"):
        args.cell_texts([["#REF!"]], "figures")
