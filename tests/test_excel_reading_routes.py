"""The quick routes of reading cells give what the plain routes give.

A column whose cells are all floats (numbers, Office.js dates) is read in one pass
(``cells.all_floats``) instead of a pass to tell the types apart and one to convert, and a
column of such cells in one pass from its rows (``ranges.column_floats``), without taking the
cells out of their rows first; the set
of a column's types is counted when there is one type (``ranges.cell_types``); serial
numbers that are all dates after February 1900 skip the masks (``excel_serial_to_datetime64``);
and datetimes at midnight (classic dates) are counted in days, not converted by pandas
(``cells._midnights``).
Each quick route decides again something the plain route decides, so here the two are run on
the same random columns (every kind of cell, both hosts) and must give the same arrays, bit
for bit, or the same error.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import math
from unittest import mock
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from strategies import HOSTS, SETTINGS, blank_cell, error_cells, to_serial
from xlwings_udfs import cells
from xlwings_udfs.analytics.errors import InputError
from xlwings_udfs.cells import all_floats, excel_serial_to_datetime64
from xlwings_udfs.excel import ranges, read_series
from xlwings_udfs.excel.ranges import column_floats


def _plain_types(values):
    return frozenset(map(type, values))


def _cells(host: str) -> st.SearchStrategy:
    """Any cell a host may pass, floats most often."""
    return st.one_of(
        st.floats(0.5, 1e6),
        st.floats(allow_nan=True, allow_infinity=True),  # NaN, inf, -0.0, subnormals
        st.integers(-5, 10**6),
        st.booleans(),
        blank_cell(host),
        error_cells(host),
        st.sampled_from(["abc", "1.5", " ", "2024-01-31", "31/01/2024", "TRUE"]),
        st.datetimes(dt.datetime(1900, 3, 1), dt.datetime(2200, 1, 1)),  # with a time of day
        st.dates(dt.date(1900, 3, 1), dt.date(2200, 1, 1)).map(
            lambda d: dt.datetime(d.year, d.month, d.day)),
        st.floats(0.5, 1e6).map(np.float64),
        st.integers(0, 100).map(np.int64),
    )


@st.composite
def _columns(draw, host: str, kind: str, n: int) -> list:
    """A column of ``n`` cells of one ``kind`` (floats, serials, datetimes), some replaced by
    any other cell, perhaps under a text header."""
    start = draw(st.dates(dt.date(1990, 1, 1), dt.date(2030, 1, 1)))
    days = [dt.datetime(start.year, start.month, start.day) + dt.timedelta(days=i) for i in range(n)]
    if kind == "floats":
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        cells = [float(v) for v in 100.0 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))]
    elif kind == "serials":
        cells = [to_serial(d) for d in days]
    else:
        cells = list(days)
    for i in draw(st.lists(st.integers(0, n - 1), max_size=3, unique=True)):
        cells[i] = draw(_cells(host))
    if draw(st.booleans()) and n > 1 and draw(st.integers(0, 9)) == 0:
        cells = [draw(_cells(host))] * n  # one kind of cell throughout
    header = [draw(st.sampled_from(["Fund", "Date"]))] if draw(st.integers(0, 4)) == 0 else []
    return [[v] for v in header + cells]


def _bits(v):
    if v is None:
        return None
    if isinstance(v, pd.DatetimeIndex):
        return ("D", str(v.dtype), v.asi8.tobytes())
    return (v.dtype.str, v.shape, np.ascontiguousarray(v).tobytes())


def _outcome(specs, dates):
    try:
        s = read_series(*specs, dates=dates)
    except InputError as err:
        return ("error", err.argument, err.problem, err.row, err.axis)
    return ("ok", {k: _bits(v) for k, v in s.values.items()},
            {k: p.tolist() for k, p in s.positions.items()}, s.headers, s.axis)


@SETTINGS
@given(st.data(), st.sampled_from(HOSTS))
def test_one_pass_floats_are_the_floats_of_the_plain_route(data, host):
    n = data.draw(st.integers(0, 30))
    values = tuple(data.draw(st.lists(_cells(host), min_size=n, max_size=n)))
    if data.draw(st.booleans()):
        values = tuple(float(v) for v in np.random.default_rng(n).normal(size=n)) + values[:1]
    out = all_floats(values)
    types = _plain_types(values)
    assert (out is not None) == (types == {float})
    if out is not None:
        expected = np.fromiter(values, dtype=float, count=len(values))
        assert out.dtype == expected.dtype and out.tobytes() == expected.tobytes()
    assert ranges.cell_types(values) == types


def test_one_pass_floats_refuse_what_is_not_a_float():
    for values in [(), (1.0, True), (1.0, 1), (1.0, None), (1.0, ""), (np.float64(1.0),),
                   (1.0, dt.datetime(2024, 1, 31)), (1.0, "#N/A"), (1.0, {"type": "Error"}),
                   [1.0, 2.0]]:
        assert all_floats(values) is None, values
    out = all_floats((1.5, -0.0, math.nan, math.inf))
    assert out.tobytes() == np.array([1.5, -0.0, math.nan, math.inf]).tobytes()


def _rows(host: str) -> st.SearchStrategy:
    """A row as a host or a Python caller may pass it: a list of one cell most often."""
    cell = _cells(host)
    return st.one_of(cell.map(lambda v: [v]), cell.map(lambda v: [v]), cell.map(lambda v: (v,)),
                     st.lists(cell, max_size=3), st.just([]), cell)


@SETTINGS
@given(st.data(), st.sampled_from(HOSTS))
def test_floats_read_from_the_rows_are_the_floats_of_the_cells(data, host):
    n = data.draw(st.integers(0, 30))
    rows = data.draw(st.lists(_rows(host), min_size=n, max_size=n))
    if data.draw(st.booleans()):
        rows = [[float(v)] for v in np.random.default_rng(n).normal(size=n)] + rows[:1]
    out = column_floats(rows)
    one_float_each = bool(rows) and all(type(r) is list and len(r) == 1 and type(r[0]) is float
                                        for r in rows)
    assert (out is not None) == one_float_each
    if out is not None:
        expected = all_floats(tuple(r[0] for r in rows))
        assert out.dtype == expected.dtype and out.tobytes() == expected.tobytes()


def test_floats_are_not_read_from_rows_of_another_form():
    class Row(list):
        pass

    for rows in [[], [[1.0], [2.0, 3.0]], [[1.0], []], [[1.0], (2.0,)], [[1.0], Row([2.0])],
                 [[1.0], 2.0], [[1.0], [True]], [[1.0], [1]], [[1.0], [None]], [[1.0], [np.float64(2.0)]],
                 [[1.0], ["2.0"]], [[1.0, 2.0], []], [[1.0], [[2.0]]]]:
        assert column_floats(rows) is None, rows
    out = column_floats([[1.5], [-0.0], [math.nan], [math.inf]])
    assert out.tobytes() == np.array([1.5, -0.0, math.nan, math.inf]).tobytes()


@SETTINGS
@given(st.data(), st.sampled_from(HOSTS), st.integers(1, 40))
def test_quick_and_plain_routes_read_the_same_series(data, host, n):
    date_kind = data.draw(st.sampled_from(["serials", "datetimes"]))
    fund = data.draw(_columns(host, "floats", n))
    index = fund if data.draw(st.integers(0, 9)) == 0 else data.draw(_columns(host, "floats", n))
    dates = data.draw(st.one_of(st.none(), _columns(host, date_kind, n)))
    specs = (("fund", fund, "panel"), ("index", index, "levels"))
    quick = _outcome(specs, dates)
    with _plain_routes():
        plain = _outcome(specs, dates)
    assert quick == plain


@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.parametrize("bad_serial", [False, True])
def test_a_column_of_floats_shorter_than_the_others_reads_as_on_the_plain_route(host, bad_serial):
    """Blanks after its last cell are restored as cells (Python floats, then blanks)."""
    blank = [None] if host == "classic" else [""]
    serials = [[45_000.0 + i] for i in range(8)]
    if bad_serial:
        serials[2] = [5e6]
    fund = [[100.0 + i] for i in range(10)]
    cases = [(fund, [[100.0 + i] for i in range(8)] + [blank] * 2, None),
             (fund, fund, serials + [blank] * 2),
             ([[100.0 + i] for i in range(6)] + [blank] * 4, fund, serials + [[45_008.0], [45_009.0]])]
    for f, i, d in cases:
        specs = (("fund", f, "panel"), ("index", i, "levels"))
        quick = _outcome(specs, d)
        with _plain_routes():
            assert quick == _outcome(specs, d)


@contextlib.contextmanager
def _plain_routes():
    with mock.patch.object(ranges, "all_floats", lambda values: None), \
            mock.patch.object(ranges, "column_floats", lambda rows: None), \
            mock.patch.object(ranges, "cell_types", _plain_types), \
            mock.patch.object(cells, "_midnights", lambda values: None):
        yield


try:
    _SANTIAGO = ZoneInfo("America/Santiago")  # 8 September 2024 began at 01:00 there
except ZoneInfoNotFoundError:  # no time zone database
    _SANTIAGO = dt.timezone(dt.timedelta(hours=-4))
_ZONES = [None, dt.timezone.utc, dt.timezone(dt.timedelta(hours=-5)), _SANTIAGO]


@SETTINGS
@given(st.lists(st.one_of(
    st.dates(dt.date(1677, 9, 1), dt.date(2262, 5, 1)).map(lambda d: dt.datetime(d.year, d.month, d.day)),
    st.datetimes(dt.datetime(1677, 9, 1), dt.datetime(2262, 5, 1)),
    st.sampled_from([dt.datetime(1677, 9, 21), dt.datetime(1677, 9, 22), dt.datetime(2262, 4, 11),
                     dt.datetime(2262, 4, 12), dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31),
                     dt.datetime(2024, 1, 31, 0, 0, 0, 1), dt.datetime(2024, 3, 31, fold=1),
                     dt.datetime(2024, 9, 8, tzinfo=_SANTIAGO)]),
    st.builds(lambda d, z: dt.datetime(d.year, d.month, d.day, tzinfo=z),
              st.dates(dt.date(1900, 1, 1), dt.date(2100, 1, 1)), st.sampled_from(_ZONES)),
), min_size=1, max_size=20))
def test_datetimes_counted_in_days_are_what_pandas_makes_of_them(values):
    def outcome():
        try:
            out = cells.dates(tuple(values), "dates")
        except InputError as err:
            return ("error", err.problem, err.row)
        return ("ok", out.dtype.str, out.view("i8").tobytes())

    quick = outcome()
    with mock.patch.object(cells, "_midnights", lambda values: None):
        assert quick == outcome()


@pytest.mark.skipif(not isinstance(_SANTIAGO, ZoneInfo), reason="no time zone database")
def test_a_midnight_a_time_zone_skipped_is_not_counted_in_days():
    out = cells.dates((dt.datetime(2024, 9, 8, tzinfo=_SANTIAGO), dt.datetime(2024, 9, 9)), "dates")
    assert out[0] == np.datetime64("2024-09-08T01:00", "ns")


@SETTINGS
@given(st.lists(st.one_of(st.floats(61.0, 140_000.0), st.floats(-10.0, 200_000.0),
                          st.sampled_from([60.0, 60.5, 61.0, 132_319.0, 132_319.99, 132_320.0,
                                           math.nan, math.inf])), min_size=1, max_size=20))
def test_serials_of_dates_after_february_1900_convert_as_the_masked_route_does(serials):
    s = np.array(serials)
    out, bad = excel_serial_to_datetime64(s)
    # a NaN makes the conversion take the masked route; the NaN's own cell is dropped
    masked, masked_bad = excel_serial_to_datetime64(np.append(s, math.nan))
    assert out.dtype == masked.dtype
    assert out.view("i8").tobytes() == masked[:-1].view("i8").tobytes()
    assert bad.tolist() == masked_bad[:-1].tolist()
