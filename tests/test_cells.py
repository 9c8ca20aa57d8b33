"""The cell layer on its own: what one value means, and columns read as numbers or dates."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import schedula as sh
from formulas.tokens.operand import XlError

from xlwings_udfs import cells, text_fields
from xlwings_udfs.analytics.errors import InputError

ROOT = Path(__file__).resolve().parents[1]


class JsNull:
    """Stands in for Pyodide's JS null, which xlwings Lite passes for an empty cell."""

    def __repr__(self):
        return "jsnull"


def office_error(code="#N/A", error_type="NotAvailable"):
    return {"type": "Error", "basicType": "Error", "basicValue": code, "errorType": error_type}


def message(fn, *args, **kwargs) -> str:
    with pytest.raises(InputError) as err:
        fn(*args, **kwargs)
    return str(err.value)


# ----------------------------------------------------------------------------------------
# one value
# ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, kind", [
    (None, "blank"), ("", "blank"), (float("nan"), "blank"), (JsNull(), "blank"), (sh.EMPTY, "blank"),
    ("#N/A", "error"), ("#DIV/0!", "error"), ("#N/A fund: 12 returns", "error"),
    (office_error(), "error"), ({"type": "Error", "errorType": "Ref"}, "error"), (XlError("#REF!"), "error"),
    (True, "boolean"), (False, "boolean"), (np.bool_(True), "boolean"),
    (dt.datetime(2024, 1, 2), "date"), (dt.date(2024, 1, 2), "date"), (pd.Timestamp("2024-01-02"), "date"),
    (np.datetime64("2024-01-02"), "date"),
    (1, "number"), (1.5, "number"), (float("inf"), "number"), (np.float64(2.0), "number"), (np.int64(3), "number"),
    ("x", "text"), ("101.5", "text"), ("#hashtag", "text"), (" ", "text"), (Decimal("1.5"), "text"),
    ({"type": "FormattedNumber", "basicValue": 101.0}, "number"),
    ({"type": "FormattedNumber", "basicValue": ""}, "blank"),
])
def test_kind_of_every_value(value, kind):
    assert cells.kind(value) == kind
    assert kind in cells.KINDS


@pytest.mark.parametrize("value, code", [
    ("#N/A", "#N/A"), ("#VALUE! fund: 3 non-numeric cells", "#VALUE!"), ("#NAME?", "#NAME?"),
    (office_error("#DIV/0!", "Div0"), "#DIV/0!"), ({"type": "Error", "errorType": "Div0"}, "#DIV/0!"),
    ({"type": "Error", "errorType": "SomethingNew"}, "#VALUE!"), (XlError("#NUM!"), "#NUM!"),
    ("#hashtag", None), ("N/A", None), (None, None), (7, None),
])
def test_error_code(value, code):
    assert cells.error_code(value) == code


def test_show_quotes_a_value_as_a_message_does():
    assert cells.show(True) == "TRUE" and cells.show(False) == "FALSE"
    assert cells.show(dt.datetime(2024, 1, 2, 15, 30)) == "the date 2024-01-02"
    assert cells.show("abc") == "'abc'"
    assert cells.show("x" * 100) == "'" + "x" * 36 + "...'"


@pytest.mark.parametrize("text, value", [
    ("", None), ("   ", None), ("101.5", 101.5), (" -1e-3 ", -0.001), (".5", 0.5), ("7", 7.0),
    ("TRUE", True), ("false", False), ("#N/A", "#N/A"), ("#DIV/0!", "#DIV/0!"),
    ("#N/A N/A", "#N/A N/A"), ("2024-01-31", "2024-01-31"), ("31/01/2024", "31/01/2024"),
    # the missing-value words, in any case
    ("NaN", None), ("nan", None), ("null", None), ("NULL", None), ("NA", None),
    # words people type are text (an error in a number column), as in a cell
    (" n/a ", "n/a"), ("N/A", "N/A"), ("-", "-"), ("none", "none"),
    # numbers grouped by threes
    ("1,234.5", 1234.5), ("1,234,567", 1234567.0), ("1 234 567.5", 1234567.5), ("1'234.5", 1234.5),
    # not numbers
    ("inf", "inf"), ("1_000", "1_000"), ("'101.5", "'101.5"), ("12,34.5", "12,34.5"), ("1,5", "1,5"),
    ("١٢", "١٢"), ("0x10", "0x10"), ("$101.5", "$101.5"), ("5%", "5%"),
])
def test_from_text_reads_a_file_field_as_the_cell_it_stands_for(text, value):
    got = text_fields.from_text(text)
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize("text, value", [
    ("101,5", 101.5), ("-0,25", -0.25), ("1.234,5", 1234.5), ("1.234.567", 1234567.0),
    ("1 234,5", 1234.5), ("1\u00a0234,5", 1234.5), ("1,5e-3", 0.0015), ("101.5", "101.5"), ("1.5", "1.5"),
    ("NaN", None), ("7", 7.0),
])
def test_from_text_with_a_decimal_comma(text, value):
    got = text_fields.from_text(text, decimal=",")
    assert got == value and type(got) is type(value)


def test_from_texts_reads_a_column_as_from_text_reads_each_field():
    texts = ["101.5", "", " 7 ", "NaN", "#N/A", "1,234.5", "x", "TRUE", "1e3", "-.5", "5."]
    for decimal in (".", ","):
        got = text_fields.from_texts(texts, decimal)
        want = [text_fields.from_text(t, decimal) for t in texts]
        assert got == want and [type(g) for g in got] == [type(w) for w in want]
    assert all(type(v) is float for v in text_fields.from_texts(["1", "2.5", "3"]))  # numbers' fast path


@pytest.mark.parametrize("texts, expected", [
    (["100", "101.5", "1,5"], {".": 1, ",": 2, "either": None}),
    (["1,234", "101,5"], {".": None, ",": 1, "either": 0}),
    (["1.234.567", "0,25"], {".": None, ",": 0, "either": None}),
    (["1,234,567", "0.25"], {".": 0, ",": None, "either": None}),
    (["100", "1e3", "NaN", "x", "2024-01-31", "31.01.2024"], {".": None, ",": None, "either": None}),
])
def test_decimal_evidence_says_where_a_column_shows_its_mark(texts, expected):
    assert text_fields.decimal_evidence(texts) == expected


# ----------------------------------------------------------------------------------------
# a column of numbers
# ----------------------------------------------------------------------------------------

def test_numbers_blanks_are_nan_and_numbers_of_every_type_are_read():
    values = [1, 2.5, None, "", float("nan"), JsNull(), sh.EMPTY, np.float64(3.0), np.int64(4),
              {"type": "FormattedNumber", "basicValue": 5.0}]
    out = cells.numbers(values, "fund")
    np.testing.assert_array_equal(out, [1, 2.5, np.nan, np.nan, np.nan, np.nan, np.nan, 3, 4, 5])
    assert out.dtype == float


@pytest.mark.parametrize("bad, expected", [
    ("x", "fund: 2 non-numeric cells ('x'), first at row 3"),
    ("101.5", "fund: 2 non-numeric cells ('101.5'), first at row 3"),
    ("#N/A", "fund: 2 error cells (#N/A), first at row 3"),
    (office_error("#REF!", "Ref"), "fund: 2 error cells (#REF!), first at row 3"),
    (XlError("#DIV/0!"), "fund: 2 error cells (#DIV/0!), first at row 3"),
    (True, "fund: 2 boolean cells (TRUE), first at row 3"),
    (dt.datetime(2024, 1, 2), "fund: 2 date cells where a number belongs (the date 2024-01-02), first at row 3"),
])
def test_numbers_name_the_kind_the_count_and_the_first_position(bad, expected):
    values = [1.0, 2.0, bad, 3.0, bad]
    assert message(cells.numbers, values, "fund") == expected


def test_numbers_count_only_the_kind_of_the_first_bad_value():
    values = [1.0, None, "x", "#N/A", "y", True]
    with pytest.raises(InputError) as err:
        cells.numbers(values, "index")
    e = err.value
    assert (e.argument, e.problem, e.row, e.axis) == ("index", "2 non-numeric cells ('x')", 3, "row")
    assert message(cells.numbers, [None, "#N/A"], "index") == "index: 1 error cell (#N/A), first at row 2"


@pytest.mark.parametrize("values", [
    [1.0, None, 3.0],
    (1.0, None, 3.0),
    np.array([1.0, np.nan, 3.0]),
    np.array([1, None, 3], dtype=object),
    pd.Series([1.0, np.nan, 3.0], index=[10, 20, 30]),
])
def test_numbers_take_any_sequence(values):
    np.testing.assert_array_equal(cells.numbers(values, "x"), [1.0, np.nan, 3.0])


def test_positions_count_the_sequence_given_whatever_its_index():
    values = pd.Series([1.0, 2.0, "x"], index=["a", "b", "c"], dtype=object)
    with pytest.raises(InputError) as err:
        cells.numbers(values, "fund")
    assert err.value.row == 3


def test_a_caller_moves_the_position_into_its_own_terms():
    # a file whose values start on line 2, below its header line
    with pytest.raises(InputError) as err:
        cells.numbers([text_fields.from_text(s) for s in ["100", "101", "n/a", "103"]], "nav")
    moved = err.value.replace(row=err.value.row + 1, axis="line")
    assert str(moved) == "nav: 1 non-numeric cell ('n/a'), first at line 4"


def test_a_file_and_a_cell_give_the_same_message():
    from_file = [text_fields.from_text(s) for s in ["100", "", "#N/A", "TRUE", "#N/A"]]
    from_cells = [100.0, None, "#N/A", True, "#N/A"]
    assert message(cells.numbers, from_file, "nav") == message(cells.numbers, from_cells, "nav") == (
        "nav: 2 error cells (#N/A), first at row 3")


# ----------------------------------------------------------------------------------------
# a column of dates
# ----------------------------------------------------------------------------------------

def _serial(d) -> float:
    return float((pd.Timestamp(d) - pd.Timestamp("1899-12-30")).days)


def test_dates_from_datetimes_serials_iso_text_and_blanks():
    want = pd.to_datetime(["2024-01-02", "2024-01-03", None, "2024-01-05"]).to_numpy()
    as_datetimes = [dt.datetime(2024, 1, 2), pd.Timestamp("2024-01-03"), None, dt.datetime(2024, 1, 5)]
    as_serials = [_serial("2024-01-02"), _serial("2024-01-03"), None, _serial("2024-01-05")]
    as_text = ["2024-01-02", " 2024-01-03 ", "", "2024-01-05"]
    mixed = [dt.date(2024, 1, 2), 45294, JsNull(), {"type": "FormattedNumber", "basicValue": 45296}]
    for values in (as_datetimes, as_serials, as_text, mixed, np.array(want)):
        out = cells.dates(values, "dates")
        assert out.dtype == np.dtype("datetime64[ns]")
        np.testing.assert_array_equal(out, want)


def test_date_texts_are_read_as_a_column():
    """31/01/2024 settles day/month for every text of the column, among dates and serials."""
    out = cells.dates(["31/01/2024", "01/02/2024", dt.datetime(2024, 2, 2), _serial("2024-02-05"), None],
                      "dates")
    assert [str(d)[:10] for d in out] == ["2024-01-31", "2024-02-01", "2024-02-02", "2024-02-05", "NaT"]
    out = cells.dates(["01/02/2024", "03/02/2024"], "dates", date_format="%d/%m/%Y")
    assert [str(d)[:10] for d in out] == ["2024-02-01", "2024-02-03"]


def test_dates_drop_the_time_zone_and_keep_the_wall_time():
    out = cells.dates([pd.Timestamp("2024-01-02 09:30", tz="US/Eastern")], "dates")
    assert pd.Timestamp(out[0]) == pd.Timestamp("2024-01-02 09:30")


@pytest.mark.parametrize("values, expected", [
    (["2024-01-02", "soon"], "dates: not a date ('soon'); enter dates, or text as yyyy-mm-dd, first at row 2"),
    (["2024-01-02", "01/02/2024", "03/02/2024"],
     "dates: '01/02/2024' could be day/month or month/day and no date in the column settles it; enter "
     "dates, or text as yyyy-mm-dd, first at row 2"),
    (["13/01/2024", "01/13/2024"],
     "dates: '01/13/2024' is month/day but '13/01/2024' is day/month: the dates of a column are in one "
     "order; enter dates, or text as yyyy-mm-dd, first at row 2"),
    ([dt.datetime(2024, 1, 2), True, "soon"], "dates: not a date (TRUE), first at row 2"),
    ([dt.datetime(2024, 1, 2), "soon", True],
     "dates: not a date ('soon'); enter dates, or text as yyyy-mm-dd, first at row 2"),
    ([45292.0, 60.0], "dates: Excel serial 60 is 29 February 1900, a day that does not exist, first at row 2"),
    ([45292.0, 0.0, -3.0], "dates: 2 cells are not dates; the first: not a date (0.0 is not an Excel date "
                           "serial), first at row 2"),
    ([dt.datetime(2024, 1, 2), "#N/A"], "dates: error cell (#N/A), first at row 2"),
    ([dt.datetime(2024, 1, 2), True], "dates: not a date (TRUE), first at row 2"),
    ([dt.datetime(2024, 1, 2), dt.datetime(1500, 1, 1)],
     "dates: 1500-01-01 is outside the supported dates (1677-09-22 to 2262-04-11), first at row 2"),
    (np.array(["2024-01-02", "1500-01-01"], dtype="datetime64[D]"),
     "dates: 1500-01-01 is outside the supported dates (1677-09-22 to 2262-04-11), first at row 2"),
])
def test_dates_say_why_a_value_is_not_a_date(values, expected):
    assert message(cells.dates, values, "dates") == expected


@pytest.mark.parametrize("value, expected", [
    (45292, pd.Timestamp("2024-01-01")), ("2024-01-31", pd.Timestamp("2024-01-31")),
    (dt.date(2024, 1, 31), pd.Timestamp("2024-01-31")),
])
def test_parse_date_of_one_value(value, expected):
    assert cells.parse_date(value) == (expected, None)


def test_parse_date_reads_a_text_as_a_column_of_one():
    assert cells.parse_date("31/01/2024") == (pd.Timestamp("2024-01-31"), None)
    assert cells.parse_date("01/02/2024")[1] == ("'01/02/2024' could be day/month or month/day and no date "
                                                 "in the column settles it; enter dates, or text as yyyy-mm-dd")


@pytest.mark.parametrize("value", [None, "", "01/02/2024", "soon", True, 60, "#N/A", 1e9])
def test_parse_date_gives_the_reason_instead_of_raising(value):
    stamp, problem = cells.parse_date(value)
    assert stamp is None and problem


# ----------------------------------------------------------------------------------------
# Excel serial dates
# ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("serial, expected", [
    (1, "1900-01-01"), (59, "1900-02-28"), (61, "1900-03-01"), (45292, "2024-01-01"),
    (45292.5, "2024-01-01 12:00"), (36526, "2000-01-01"),
])
def test_serials_follow_the_1900_date_system(serial, expected):
    out, bad = cells.excel_serial_to_datetime64(np.array([serial], dtype=float))
    assert not bad[0]
    assert pd.Timestamp(out[0]) == pd.Timestamp(expected)


def test_serials_agree_with_xlwings_after_february_1900():
    import xlwings as xw

    serials = np.arange(61.0, 60000.0, 997.0)
    out, _ = cells.excel_serial_to_datetime64(serials)
    assert [pd.Timestamp(x) for x in out] == [pd.Timestamp(xw.to_datetime(s)) for s in serials]


@pytest.mark.parametrize("serial", [60, 60.5, 0, -3, 1e9])
def test_impossible_serials_are_flagged(serial):
    _, bad = cells.excel_serial_to_datetime64(np.array([serial], dtype=float))
    assert bad[0]


def test_blank_serial_is_nat():
    out, bad = cells.excel_serial_to_datetime64(np.array([np.nan]))
    assert np.isnat(out[0]) and not bad[0]


# ----------------------------------------------------------------------------------------
# no Excel here
# ----------------------------------------------------------------------------------------

def test_the_cell_layer_does_not_import_xlwings():
    code = ("import sys; import xlwings_udfs.cells; "
            "assert 'xlwings' not in sys.modules, sorted(m for m in sys.modules if m.startswith('xlwings'))")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
