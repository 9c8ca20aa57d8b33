"""Every Excel function, fed whatever a spreadsheet can hold, answers with a cell value.

"Answers" means (the error policy of ``xlwings_udfs/excel/hosts.py``): on the classic host a value or a
one-line text starting with ``#VALUE!`` or ``#N/A``; on Office.js a value or an
``xlwings.XlwingsError``; never any other exception. Returned cells are plain Python
numbers, text or None (no NaN, no numpy scalars, no multi-line text, no traceback), and every
message starts with the argument it is about. When exactly one argument holds a bad cell,
the message must name that argument.

The analytics entry points get the same junk as 1-D sequences and may only raise
``InputError`` (of which ``NotEnoughData`` is a kind), whose message names an argument.
"""
from __future__ import annotations

import datetime as dt
import inspect
import json
import math
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from strategies import (
    CLASSIC,
    FAILING_DATE_KINDS,
    FAILING_LEVEL_KINDS,
    FAR_DATES,
    FAST,
    OFFICE_JS,
    SETTINGS,
    SHAPES,
    check_cell,
    check_message,
    check_value,
    column,
    corrupt,
    corrupt_dates,
    date_corruptions,
    level_corruptions,
    market_cases,
    office_error,
    ohlc_cases,
    outcome,
    scalar_cells,
    shape_variants,
    to_serial,
    tracking_cases,
)
from xlwings_udfs import analytics
from xlwings_udfs import functions as F
from xlwings_udfs.analytics import FIGURES, TRACKING_FIGURES, InputError
from xlwings_udfs.analytics.constants import MIN_RETURNS_TRADITIONAL

TRACKING = [F.ETF_HOLDING_COST, F.ETF_TRACKING_ERROR, F.ETF_TRACKING_ERROR_TRADITIONAL,
            F.ETF_TRACKING_DIFFERENCE, F.ETF_BETA, F.ETF_R_SQUARED, F.ETF_ANALYTICS,
            F.ETF_ROLLING_TD, F.ETF_HOLDING_COST_HISTORY]
#: The tracking functions that give one number for one fund with enough data.
SINGLE_FIGURE = TRACKING[:6]
ALL_FUNCTIONS = [getattr(F, name) for name in F.__all__]

#: Subjects a not-enough-data (#N/A) message may have besides an argument: the figure.
FIGURE_LABELS = frozenset(FIGURES[k].label for k in (*TRACKING_FIGURES, "breakeven_years", "prob_cheaper")) | {
    "Market impact", "Spread", "Return", "Performance gap"}


def arguments(fn) -> set[str]:
    return set(inspect.signature(fn).parameters)


def _id(fn) -> str:
    return fn.__name__


def _blank_args(fn, **given) -> list:
    """Every argument of ``fn`` omitted (None) except those given."""
    names = list(inspect.signature(fn).parameters)
    unknown = set(given) - set(names)
    assert not unknown, unknown
    return [given.get(n) for n in names]


def _flag_name(fn) -> str | None:
    """The flag argument of a tracking function, if it has one."""
    flags = [n for n in inspect.signature(fn).parameters if n in ("annualized", "lead_lag", "labels")]
    return flags[0] if flags else None


def judge(fn, out, must_name: set[str] | None = None, must_succeed: bool = False) -> None:
    """The checks every call passes, plus what this input must produce."""
    if out.ok:
        check_value(out.value)
        assert must_name is None, f"bad cells in {sorted(must_name)} gave a value: {out.value!r}"
        return
    figures = FIGURE_LABELS if out.code == "#N/A" else frozenset()
    base = check_message(out.error, arguments(fn), figures)
    assert not must_succeed, f"valid input gave an error: {out.error!r}"
    if must_name is not None:
        assert base in must_name, f"bad cells in {sorted(must_name)}, but the message is {out.error!r}"


def _must_fail(changes, failing) -> bool:
    """Whether a column with these changes must be refused (a text first cell is a header)."""
    return any(kind in failing and not (p == 0 and isinstance(v, str)) for p, kind, v in changes)


def _is_text_at_top(changes) -> bool:
    return any(p == 0 and isinstance(v, str) and v != "" for p, _, v in changes)


def _good_flag():
    return st.sampled_from([True, False, 1, 0, "TRUE", "false"])


# ----------------------------------------------------------------------------------------
# tracking functions
# ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("fn", TRACKING, ids=_id)
@SETTINGS
@given(data=st.data())
def test_tracking_bad_cells_name_their_argument(fn, data):
    """Blanks, text, errors, booleans, NaN, inf, zero and negative levels, huge and tiny
    numbers, dates in a number column; duplicate, unsorted, blank and out-of-range dates."""
    case = data.draw(tracking_cases(max_rows=120), label="case")
    host = case.host
    target = data.draw(st.sampled_from(["fund", "index", "dates"]), label="target")
    with_dates = target == "dates" or data.draw(st.booleans(), label="with_dates")
    cells = {"fund": case.fund, "index": case.index, "dates": case.date_cells()}
    if target == "dates":
        changes = data.draw(date_corruptions(case.n, host), label="changes")
        cells["dates"] = corrupt_dates(cells["dates"], changes, host)
        strict = len(changes) == 1 and changes[0][1] in FAILING_DATE_KINDS
        if strict and changes[0][0] == 0 and isinstance(changes[0][2], str):
            strict = False
    else:
        changes = data.draw(level_corruptions(case.n, host), label="changes")
        cells[target] = corrupt(cells[target], changes)
        strict = _must_fail(changes, FAILING_LEVEL_KINDS)
    args = _blank_args(fn, fund=column(cells["fund"]), index=column(cells["index"]),
                       dates=column(cells["dates"]) if with_dates else None)
    out = outcome(fn, tuple(args), host)
    loose = _is_text_at_top(changes)  # a header: the lengths then differ, any argument may say so
    event(f"must fail: {strict}, header: {loose}")
    judge(fn, out, must_name={target} if strict and not loose else None)
    if strict and loose:
        assert not out.ok


@pytest.mark.parametrize("fn", TRACKING, ids=_id)
@SETTINGS
@given(data=st.data())
def test_tracking_shapes_and_scalars(fn, data):
    """Rows, two-column ranges, single cells, empty cells, mismatched lengths, headers,
    selections larger than the data, and any value in the scalar arguments."""
    case = data.draw(tracking_cases(max_rows=80), label="case")
    host = case.host
    shapes = st.sampled_from(SHAPES)
    fund = shape_variants(case.fund, data.draw(shapes, label="fund shape"))
    index = shape_variants(case.index, data.draw(shapes, label="index shape"))
    dates = data.draw(st.one_of(st.none(), shapes.map(lambda s: shape_variants(case.date_cells(), s))),
                      label="dates")
    ppy = data.draw(scalar_cells(host, st.sampled_from([252, 52, 12, 365.25, 1])), label="ppy")
    window = data.draw(scalar_cells(host, st.integers(30, 300)), label="window")
    given_ = dict(fund=fund, index=index, dates=dates, periods_per_year=ppy)
    if "window" in inspect.signature(fn).parameters:
        given_["window"] = window
    flag = _flag_name(fn)
    if flag:
        given_[flag] = data.draw(scalar_cells(host, _good_flag()), label=flag)
    judge(fn, outcome(fn, tuple(_blank_args(fn, **given_)), host))


@pytest.mark.parametrize("fn", TRACKING, ids=_id)
@FAST
@given(case=tracking_cases(min_rows=1, max_rows=400), data=st.data())
def test_tracking_valid_input_gives_numbers(fn, case, data):
    """Clean data of any length and magnitude (1e-300 to 1e300), as a row or a column:
    a number (or a table) once there are enough returns, else a not-enough-data message."""
    as_row = data.draw(st.booleans(), label="as_row")
    lay = (lambda c: [c]) if as_row else column
    with_dates = data.draw(st.booleans(), label="with_dates")
    args = [lay(case.fund), lay(case.index), lay(case.date_cells()) if with_dates else None]
    out = outcome(fn, tuple(args), case.host)
    # The holding cost and the noise-robust tracking error need the model's minimum; the
    # figures that need only the returns, a year of monthly data.
    model = fn in (F.ETF_HOLDING_COST, F.ETF_TRACKING_ERROR)
    minimum = analytics.MIN_RETURNS if model else MIN_RETURNS_TRADITIONAL
    enough = case.n - 1 >= minimum
    judge(fn, out, must_succeed=enough and fn in SINGLE_FIGURE + [F.ETF_ANALYTICS])
    if not enough:
        assert not out.ok and out.code == "#N/A", out
    if out.ok and fn in SINGLE_FIGURE:
        assert isinstance(out.value, float)


@pytest.mark.parametrize("fn", [F.ETF_HOLDING_COST, F.ETF_ANALYTICS], ids=_id)
@FAST
@given(case=tracking_cases(min_rows=40, max_rows=120), k=st.integers(2, 4), data=st.data())
def test_tracking_panels_with_bad_cells(fn, case, k, data):
    """Several fund columns (a panel), with a header row and bad cells in one column."""
    rng = np.random.default_rng(case.seed)
    funds = [[x * math.exp(rng.normal(0, 0.001)) for x in case.fund] for _ in range(k)]
    j = data.draw(st.integers(0, k - 1), label="column")
    changes = data.draw(level_corruptions(case.n, case.host), label="changes")
    funds[j] = corrupt(funds[j], changes)
    header = data.draw(st.booleans(), label="header")
    grid = [list(r) for r in zip(*funds)]
    if header:
        grid = [[f"Fund {c + 1}" for c in range(k)]] + grid
    index = column(case.index)
    dates = column(case.date_cells())
    if header:
        index, dates = [["Index"]] + index, [["Date"]] + dates
    out = outcome(fn, (grid, index, dates), case.host)
    strict = _must_fail(changes, FAILING_LEVEL_KINDS) and not (header is False and _is_text_at_top(changes))
    judge(fn, out, must_name={"fund"} if strict else None)
    if out.ok:
        width = len(out.value[0]) if isinstance(out.value, list) else 1
        assert width >= k if fn is F.ETF_HOLDING_COST else len(out.value) == k + 1


# ----------------------------------------------------------------------------------------
# one bad scalar, clean data
# ----------------------------------------------------------------------------------------

def _must_refuse_number(v, positive: bool = False, whole: bool = False) -> bool:
    """Whether a cell given for a numeric scalar must be refused."""
    while isinstance(v, list) and len(v) == 1:
        v = v[0]
    if isinstance(v, list):   # two cells: only one filled is read as that one
        filled = [c for c in v if c is not None and c != "" and not (isinstance(c, float) and c != c)]
        if len(filled) != 1:
            return len(filled) > 1
        v = filled[0]
    if v is None or v == "" or (isinstance(v, float) and math.isnan(v)):
        return False
    if isinstance(v, (bool, str, dict, dt.datetime)):
        return True
    if math.isinf(v):
        return True
    return (positive and v <= 0) or (whole and not float(v).is_integer())


@pytest.mark.parametrize("name", ["periods_per_year", "window"])
@SETTINGS
@given(case=tracking_cases(min_rows=60, max_rows=120, magnitudes=(100.0,)), data=st.data())
def test_bad_scalar_names_itself(name, case, data):
    host = case.host
    good = st.sampled_from([252, 52, 12]) if name == "periods_per_year" else st.integers(30, 59)
    v = data.draw(scalar_cells(host, good), label=name)
    args = [column(case.fund), column(case.index), column(case.date_cells()), None, None]
    args[3 if name == "periods_per_year" else 4] = v
    out = outcome(F.ETF_HOLDING_COST, tuple(args), host)
    refuse = _must_refuse_number(v, positive=True, whole=name == "window")
    judge(F.ETF_HOLDING_COST, out, must_name={name} if refuse else None)
    if not out.ok and out.code == "#VALUE!":
        assert out.subject == name, out.error


@pytest.mark.parametrize("fn, name", [(F.ETF_TRACKING_DIFFERENCE, "annualized"), (F.ETF_BETA, "lead_lag"),
                                      (F.ETF_ANALYTICS, "labels"), (F.ETF_ROLLING_TD, "labels")],
                         ids=lambda x: x if isinstance(x, str) else x.__name__)
@SETTINGS
@given(case=tracking_cases(min_rows=60, max_rows=80, magnitudes=(100.0,)), data=st.data())
def test_bad_flag_names_itself(fn, name, case, data):
    v = data.draw(scalar_cells(case.host, _good_flag()), label=name)
    args = _blank_args(fn, fund=column(case.fund), index=column(case.index),
                       dates=column(case.date_cells()), **{name: v})
    out = outcome(fn, tuple(args), case.host)
    judge(fn, out)
    if not out.ok and out.code == "#VALUE!":
        assert out.subject == name, out.error


# ----------------------------------------------------------------------------------------
# trading costs
# ----------------------------------------------------------------------------------------

@SETTINGS
@given(case=market_cases(max_rows=150), data=st.data())
def test_market_impact_bad_cells(case, data):
    host = case.host
    target = data.draw(st.sampled_from(["price", "nav", "volume", "dates", None]), label="target")
    cells = {"price": case.price, "nav": case.nav, "volume": case.volume, "dates": case.date_cells()}
    strict = False
    changes = []
    if target == "dates":
        changes = data.draw(date_corruptions(case.n, host), label="changes")
        cells["dates"] = corrupt_dates(cells["dates"], changes, host)
        strict = len(changes) == 1 and changes[0][1] in FAILING_DATE_KINDS and not _is_text_at_top(changes)
    elif target is not None:
        changes = data.draw(level_corruptions(case.n, host), label="changes")
        cells[target] = corrupt(cells[target], changes)
        failing = FAILING_LEVEL_KINDS - ({"zero"} if target == "volume" else set())
        strict = _must_fail(changes, failing) and not _is_text_at_top(changes)
    with_dates = target == "dates" or data.draw(st.booleans(), label="with_dates")
    good_sizes = [100_000, 1e6, 5_000]
    size = data.draw(scalar_cells(host, st.sampled_from(good_sizes)), label="trade_size")
    size_odd = size not in good_sizes and size is not None
    size_bad = _must_refuse_number(size, positive=True)
    args = (column(cells["price"]), column(cells["nav"]), column(cells["volume"]),
            column(cells["dates"]) if with_dates else None, size)
    out = outcome(F.ETF_MARKET_IMPACT, args, host)
    must = None
    if strict or size_bad:  # either may be reported first
        must = ({target} if changes else set()) | ({"trade_size"} if size_odd else set())
    event(f"must fail: {must is not None}, ok: {out.ok}")
    judge(F.ETF_MARKET_IMPACT, out, must_name=must)
    if out.ok:
        assert out.value >= 0


@SETTINGS
@given(case=market_cases(max_rows=60), data=st.data())
def test_market_impact_shapes(case, data):
    shapes = st.sampled_from(SHAPES)
    args = tuple(shape_variants(c, data.draw(shapes)) for c in (case.price, case.nav, case.volume))
    dates = data.draw(st.one_of(st.none(), shapes.map(lambda s: shape_variants(case.date_cells(), s))))
    judge(F.ETF_MARKET_IMPACT, outcome(F.ETF_MARKET_IMPACT, args + (dates,), case.host))


@SETTINGS
@given(case=ohlc_cases(max_rows=150), data=st.data())
def test_spread_bad_cells(case, data):
    host = case.host
    names = ["open_price", "high", "low", "close_price"]
    cells = dict(zip(names, (case.open, case.high, case.low, case.close)))
    target = data.draw(st.sampled_from(names + [None]), label="target")
    strict = False
    if target is not None:
        changes = data.draw(level_corruptions(case.n, host), label="changes")
        cells[target] = corrupt(cells[target], changes)
        strict = _must_fail(changes, FAILING_LEVEL_KINDS) and not _is_text_at_top(changes)
    shape = data.draw(st.sampled_from(["column", "column", "row", "truncated", "single_cell"]))
    args = tuple(shape_variants(cells[n], shape if n == "high" else "column") for n in names)
    dates = data.draw(st.one_of(st.none(), st.just(column(case.date_cells()))))
    out = outcome(F.ETF_SPREAD, args + (dates,), host)
    # a bad price may also break a high >= low check on another column first
    judge(F.ETF_SPREAD, out, must_name=set(names) if strict and shape == "column" else None)
    if out.ok:
        assert out.value >= 0


_COST_ARGS = ["trade_size", "years", "commission", "holding_cost", "market_impact", "tracking_error",
              "holding_cost_se", "impact_model", "half_spread", "header"]
_COST_GOOD = {
    "trade_size": st.sampled_from([1_000_000, 100_000, 2_500.0, 1e9]),
    "years": st.sampled_from([3, 0.25, 10, 1]),
    "commission": st.sampled_from([10, 0, 4.95]),
    "holding_cost": st.sampled_from([-0.0023, 0.0, 0.001, -0.05]),
    "market_impact": st.sampled_from([0.0002, 0.0, 0.0143]),
    "tracking_error": st.sampled_from([0.0, 0.001, 0.02]),
    "holding_cost_se": st.sampled_from([0.0, 0.0005]),
    "impact_model": st.sampled_from(["square_root", "morningstar", "MORNINGSTAR"]),
    "half_spread": st.sampled_from([0.0, 0.0001]),
    "header": _good_flag(),
}


@SETTINGS
@given(data=st.data(), host=st.sampled_from([CLASSIC, OFFICE_JS]))
def test_total_cost_any_cells(data, host):
    bad = data.draw(st.sampled_from(_COST_ARGS + [None]), label="bad argument")
    args = []
    for name in _COST_ARGS:
        good = _COST_GOOD[name]
        v = data.draw(scalar_cells(host, good) if name == bad else good, label=name)
        args.append(v)
    out = outcome(F.ETF_TOTAL_COST, tuple(args), host)
    judge(F.ETF_TOTAL_COST, out, must_succeed=bad is None)
    if not out.ok:
        # A commission that is not less than the trade size is one error between two
        # arguments, reported on the commission with both values in the message.
        conflict = out.subject == "commission" and bad == "trade_size" and "not less than the trade size" in out.error
        assert out.subject == bad or conflict, out.error
    else:
        assert len(out.value[-1]) == 4 and all(isinstance(v, float) for v in out.value[-1])


# ----------------------------------------------------------------------------------------
# performance over a period
# ----------------------------------------------------------------------------------------

def _period_ends(case, data, host):
    """Start and end: dates of the data, between them, outside them, or junk."""
    d = case.dates
    # row 0 has no close before it, which the default convention needs
    i = data.draw(st.integers(min(1, case.n - 1), case.n - 1), label="start row")
    j = data.draw(st.integers(i, case.n - 1), label="end row")
    as_cell = (lambda x: to_serial(x)) if host == OFFICE_JS else (lambda x: x)
    junk = st.sampled_from([None, "", "yesterday", "2024-01-31", 60, -1, 1e9, True, math.nan,
                            [[None]], office_error() if host == OFFICE_JS else "#N/A",
                            dt.datetime(1850, 1, 1), dt.datetime(2300, 1, 1)])
    good_start = [as_cell(d[i]), as_cell(d[i] - dt.timedelta(days=3))]
    good_end = [as_cell(d[j]), as_cell(d[j] + dt.timedelta(days=1))]
    # mostly proper dates, so that the bad cells of the series are what is tested
    start = data.draw(st.one_of(*[st.sampled_from(good_start)] * 4, junk), label="start")
    end = data.draw(st.one_of(*[st.sampled_from(good_end)] * 4, junk), label="end")
    return start, end, start not in good_start or end not in good_end


@SETTINGS
@given(case=tracking_cases(max_rows=120), data=st.data())
def test_return_any_cells(case, data):
    host = case.host
    levels, dates = list(case.fund), case.date_cells()
    target = data.draw(st.sampled_from(["levels", "dates", "distributions", None]), label="target")
    dist = None
    if target == "distributions" or data.draw(st.booleans(), label="distributions"):
        dist = [0.0] * case.n
        if case.n > 5:
            dist[case.n // 2] = 0.5
    strict = False
    if target == "levels":
        changes = data.draw(level_corruptions(case.n, host), label="changes")
        levels = corrupt(levels, changes)
        strict = _must_fail(changes, FAILING_LEVEL_KINDS) and not _is_text_at_top(changes)
    elif target == "dates":
        changes = data.draw(date_corruptions(case.n, host), label="changes")
        dates = corrupt_dates(dates, changes, host)
        strict = len(changes) == 1 and changes[0][1] in FAILING_DATE_KINDS and not _is_text_at_top(changes)
    elif target == "distributions":
        changes = data.draw(level_corruptions(case.n, host, kinds=("text", "error", "bool", "inf", "blank",
                                                                    "negative", "huge")), label="changes")
        dist = corrupt(dist, changes)
        strict = _must_fail(changes, {"text", "error", "bool", "inf"}) and not _is_text_at_top(changes)
    start, end, junk_ends = _period_ends(case, data, host)
    flags = [data.draw(st.one_of(g, st.none())) for g in (
        _good_flag(), st.sampled_from(["previous_close", "start_close"]), st.sampled_from(["ex_date", "none"]))]
    args = (column(levels), column(dates), start, end, column(dist) if dist else None, *flags)
    out = outcome(F.ETF_RETURN, args, host)
    event(f"must fail: {strict and not junk_ends}, ok: {out.ok}")
    judge(F.ETF_RETURN, out, must_name={target} if strict and not junk_ends else None)


@SETTINGS
@given(case=tracking_cases(max_rows=120), data=st.data())
def test_performance_gap_any_cells(case, data):
    host = case.host
    a, b, dates = list(case.fund), list(case.index), case.date_cells()
    target = data.draw(st.sampled_from(["fund_a", "fund_b", "dates", None]), label="target")
    strict = False
    if target in ("fund_a", "fund_b"):
        changes = data.draw(level_corruptions(case.n, host), label="changes")
        if target == "fund_a":
            a = corrupt(a, changes)
        else:
            b = corrupt(b, changes)
        strict = _must_fail(changes, FAILING_LEVEL_KINDS) and not _is_text_at_top(changes)
    elif target == "dates":
        changes = data.draw(date_corruptions(case.n, host), label="changes")
        dates = corrupt_dates(dates, changes, host)
        strict = len(changes) == 1 and changes[0][1] in FAILING_DATE_KINDS and not _is_text_at_top(changes)
    start, end, junk_ends = _period_ends(case, data, host)
    flags = [data.draw(st.one_of(g, st.none())) for g in (
        _good_flag(), st.sampled_from(["previous_close", "start_close"]), st.sampled_from(["ex_date", "none"]),
        _good_flag())]
    args = (column(a), column(b), column(dates), start, end, None, None, *flags)
    out = outcome(F.ETF_PERFORMANCE_GAP, args, host)
    event(f"must fail: {strict and not junk_ends}, ok: {out.ok}")
    # a junk start or end may be reported first
    judge(F.ETF_PERFORMANCE_GAP, out, must_name={target} if strict and not junk_ends else None)


def _dated_calls(dates_cells):
    """One call of every function that takes a dates column, on 60 clean rows."""
    rng = np.random.default_rng(11)
    n = len(dates_cells)
    index = list(100 * np.exp(np.cumsum(rng.normal(0, 0.01, n))))
    fund = [x * (1 - 0.0001 * k) for k, x in enumerate(index)]
    volume = [1000.0] * n
    d = column(dates_cells)
    return [
        (F.ETF_HOLDING_COST, (column(fund), column(index), d)),
        (F.ETF_ANALYTICS, (column(fund), column(index), d)),
        (F.ETF_MARKET_IMPACT, (column(fund), column(index), column(volume), d)),
        (F.ETF_SPREAD, (column(fund), column([x * 1.01 for x in fund]), column([x * 0.99 for x in fund]),
                        column(fund), d)),
        (F.ETF_RETURN, (column(fund), d, dates_cells[5], dates_cells[-1])),
        (F.ETF_PERFORMANCE_GAP, (column(fund), column(index), d, dates_cells[5], dates_cells[-1])),
    ]


@pytest.mark.parametrize("far", FAR_DATES, ids=lambda d: str(d.year))
@pytest.mark.parametrize("how", ["one cell", "every cell"])
def test_dates_a_timestamp_cannot_hold_are_reported(far, how):
    """Excel dates run from 1900 to 9999 (and text or other tools give earlier ones); the
    analytics hold dates as nanosecond timestamps (1677-2262). A date outside that span,
    as the classic host sends it (a datetime), is either handled or reported as a bad
    ``dates`` cell; it is never an internal error."""
    cells = [dt.datetime(2015, 1, 5) + dt.timedelta(days=k) for k in range(60)]
    if how == "one cell":  # at the end where it keeps the dates ascending
        cells[0 if far < cells[0] else -1] = far
    else:
        first = far if far.year < 9999 else far - dt.timedelta(days=59)
        cells = [first + dt.timedelta(days=k) for k in range(60)]
    failures = []
    for fn, args in _dated_calls(cells):
        try:
            judge(fn, outcome(fn, args, CLASSIC))
        except AssertionError as err:
            failures.append(f"{fn.__name__}: {str(err).splitlines()[0]}")
    assert not failures, "\n".join(failures)


_TWO_FUNDS_GOOD = {
    "trade_size": st.sampled_from([5_000_000, 100_000, 1e9]),
    "years": st.sampled_from([2, 0.25, 10]),
    "commission": st.sampled_from([10, 0]),
    "holding_cost_a": st.sampled_from([-0.0009, 0.0, -0.05]),
    "holding_cost_b": st.sampled_from([-0.0025, 0.001]),
    "holding_cost_se_a": st.sampled_from([0.0003, 0.0]),
    "holding_cost_se_b": st.sampled_from([0.0004, 0.002]),
    "tracking_error_a": st.sampled_from([0.001, 0.0]),
    "tracking_error_b": st.sampled_from([0.002, 0.03]),
    "market_impact_a": st.sampled_from([0.0001, 0.0]),
    "market_impact_b": st.sampled_from([0.00002, 0.004]),
    "correlation": st.sampled_from([0.0, -1.0, 0.7]),
    "impact_model": st.sampled_from(["square_root", "morningstar"]),
    "half_spread_a": st.sampled_from([0.0, 0.0001]),
    "half_spread_b": st.sampled_from([0.0, 0.0002]),
}


@pytest.mark.parametrize("fn", [F.ETF_BREAKEVEN, F.ETF_PROB_CHEAPER], ids=_id)
@SETTINGS
@given(data=st.data(), host=st.sampled_from([CLASSIC, OFFICE_JS]))
def test_two_funds_any_cells(fn, data, host):
    """A bad cell in any argument of the comparison of two funds is named; good cells give a
    number or (no break-even) a reason."""
    names = list(inspect.signature(fn).parameters)
    bad = data.draw(st.sampled_from(names + [None]), label="bad argument")
    args = tuple(data.draw(scalar_cells(host, _TWO_FUNDS_GOOD[n]) if n == bad else _TWO_FUNDS_GOOD[n], label=n)
                 for n in names)
    out = outcome(fn, args, host)
    judge(fn, out, must_succeed=bad is None and fn is F.ETF_PROB_CHEAPER)
    if not out.ok and out.code != "#N/A":
        conflict = out.subject == "commission" and bad == "trade_size" and "not less than the trade size" in out.error
        assert out.subject == bad or conflict, out.error
    if out.ok and fn is F.ETF_PROB_CHEAPER:
        assert 0.0 <= out.value <= 1.0


def test_every_excel_function_is_exercised_here():
    """A new ETF_ function must get its own bad-input property above."""
    covered = set(TRACKING) | {F.ETF_MARKET_IMPACT, F.ETF_SPREAD, F.ETF_TOTAL_COST, F.ETF_RETURN,
                               F.ETF_PERFORMANCE_GAP, F.ETF_VERSION, F.ETF_BREAKEVEN, F.ETF_PROB_CHEAPER}
    assert {fn.__name__ for fn in ALL_FUNCTIONS} == {fn.__name__ for fn in covered}


@pytest.mark.parametrize("host", [CLASSIC, OFFICE_JS])
def test_version_is_a_table(host):
    out = outcome(F.ETF_VERSION, (), host)
    judge(F.ETF_VERSION, out, must_succeed=True)
    assert isinstance(out.value, list)


# ----------------------------------------------------------------------------------------
# the analytics entry points
# ----------------------------------------------------------------------------------------

def _analytics_outcome(fn, *args, **kwargs):
    """Call an analytics function: a result, or an InputError whose message names an argument."""
    names = set(inspect.signature(fn).parameters)
    try:
        return fn(*args, **kwargs)
    except InputError as err:
        msg = str(err)
        assert "\n" not in msg and msg.strip()
        base = err.argument.split("[", 1)[0].strip()
        assert base in names or base in {"dates", "fund dates", "index dates"}, msg
        return None


def _finite_or_nan(x) -> None:
    arr = np.asarray(x, dtype=float)
    assert not np.isinf(arr).any(), x


_ANALYTICS_KINDS = ("blank", "nan", "text", "numeric_text", "bool", "inf", "-inf", "zero", "negative",
                    "huge", "tiny", "date")


@SETTINGS
@given(case=tracking_cases(max_rows=150, hosts=(CLASSIC,)), data=st.data())
def test_analytics_tracking_stats_any_cells(case, data):
    fund, index = list(case.fund), list(case.index)
    target = data.draw(st.sampled_from(["fund", "index", None]))
    if target:
        changes = data.draw(level_corruptions(case.n, CLASSIC, kinds=_ANALYTICS_KINDS))
        if target == "fund":
            fund = corrupt(fund, changes)
        else:
            index = corrupt(index, changes)
    dates = data.draw(st.sampled_from([None, "dates", "shuffled", "short"]))
    d = {None: None, "dates": case.dates, "shuffled": case.dates[::-1], "short": case.dates[:-1]}[dates]
    ppy = data.draw(st.sampled_from([None, 252, 0, -1, math.nan, math.inf, "252", True]))
    stats = _analytics_outcome(analytics.tracking_stats, fund, index, d, ppy)
    if stats is not None:
        for key in TRACKING_FIGURES:
            _finite_or_nan(getattr(stats, key))
        assert not stats.tracking_error < 0 and not stats.tracking_error_traditional < 0


@SETTINGS
@given(case=market_cases(max_rows=150, hosts=(CLASSIC,)), data=st.data())
def test_analytics_market_impact_any_cells(case, data):
    cols = {"price": list(case.price), "nav": list(case.nav), "volume": list(case.volume)}
    target = data.draw(st.sampled_from(["price", "nav", "volume", None]))
    if target:
        cols[target] = corrupt(cols[target], data.draw(level_corruptions(case.n, CLASSIC, kinds=_ANALYTICS_KINDS)))
    size = data.draw(st.sampled_from([100_000, 0, -5, math.inf, math.nan, 1e300, "x"]))
    mic = _analytics_outcome(analytics.market_impact, cols["price"], cols["nav"], cols["volume"],
                             case.dates, size)
    if mic is not None:
        assert math.isfinite(mic) and mic >= 0


@SETTINGS
@given(case=ohlc_cases(max_rows=100, hosts=(CLASSIC,)), data=st.data())
def test_analytics_bid_ask_spread_any_cells(case, data):
    cols = [list(case.open), list(case.high), list(case.low), list(case.close)]
    j = data.draw(st.integers(0, 4))
    if j < 4:
        cols[j] = corrupt(cols[j], data.draw(level_corruptions(case.n, CLASSIC, kinds=_ANALYTICS_KINDS)))
    s = _analytics_outcome(analytics.bid_ask_spread, *cols, case.dates)
    if s is not None:
        assert math.isfinite(s) and s >= 0


@SETTINGS
@given(data=st.data())
def test_analytics_total_cost_any_values(data):
    junk = st.sampled_from([0, -1, math.nan, math.inf, -math.inf, 1e300, 1e-300, "x", True, None])
    args = {}
    for name, good in (("trade_size", [1e6, 1e5]), ("years", [3, 0.5]), ("commission", [10, 0]),
                       ("holding_cost", [-0.0023, 0.001]), ("market_impact", [0.0002, 0.0]),
                       ("tracking_error", [0.0, 0.01]), ("holding_cost_se", [0.0, 0.001])):
        args[name] = data.draw(st.one_of(st.sampled_from(good), junk), label=name)
    args["impact_model"] = data.draw(st.sampled_from(["square_root", "morningstar", "other", 3, None]))
    tc = _analytics_outcome(analytics.total_cost, **args)
    if tc is not None:
        for key in ("dollars", "annual", "lower", "upper"):
            v = getattr(tc, key)
            assert math.isfinite(float(np.asarray(v, dtype=float).ravel()[0])), (key, v)


@pytest.mark.parametrize("impact_model", ["square_root", "morningstar"])
@pytest.mark.parametrize("years", [5e-324, 1e-300, 1e-9])
def test_total_cost_tiny_holding_period_is_finite_or_refused(years, impact_model):
    """A holding period of a few seconds or less is accepted by the range check (years > 0);
    then every figure must still be a number, or the period must be refused as too short."""
    try:
        tc = analytics.total_cost(1e6, years, 10, -0.0023, 0.0002, 0.001, 0.0005,
                                  impact_model=impact_model)
    except InputError as err:
        assert err.argument == "years"
        return
    for key in ("dollars", "annual", "lower", "upper", "annual_lower", "annual_upper"):
        assert math.isfinite(getattr(tc, key)), (key, getattr(tc, key))


@SETTINGS
@given(case=tracking_cases(max_rows=120, hosts=(CLASSIC,)), data=st.data())
def test_analytics_period_return_and_gap_any_cells(case, data):
    a, b = list(case.fund), list(case.index)
    if data.draw(st.booleans()):
        a = corrupt(a, data.draw(level_corruptions(case.n, CLASSIC, kinds=_ANALYTICS_KINDS)))
    dates = case.dates if data.draw(st.booleans()) else case.dates[::-1]
    i, j = data.draw(st.integers(0, case.n - 1)), data.draw(st.integers(0, case.n - 1))
    start = data.draw(st.sampled_from([case.dates[i], "2010-01-01", None, 5, "x"]))
    end = data.draw(st.sampled_from([case.dates[j], case.dates[j] + dt.timedelta(days=400), None]))
    r = _analytics_outcome(analytics.period_return, a, dates, start, end)
    if r is not None:
        _finite_or_nan(r.value)
    g = _analytics_outcome(analytics.performance_gap, a, b, dates, start, end)
    if g is not None:
        _finite_or_nan(g.gap)


# ----------------------------------------------------------------------------------------
# through xlwings' own Office.js call path
# ----------------------------------------------------------------------------------------

_SERVER_SCRIPT = textwrap.dedent("""
    import asyncio, json, sys
    import xlwings as xw, xlwings.server
    from xlwings_udfs import functions
    out = []
    for p in json.load(sys.stdin):
        p = {"client": "Office.js", "caller_address": "[Book1.xlsx]Sheet1!E1", "session_id": "t",
             "culture_info_name": "en-US", "date_format": "M/d/yyyy", "version": xw.__version__,
             "runtime": "1.4", **p}
        try:
            out.append({"result": asyncio.run(xlwings.server.custom_functions_call(p, functions))})
        except Exception as err:
            out.append({"error": type(err).__name__, "message": str(err)})
    json.dump(out, sys.stdout, default=repr)
""")


def _server_payloads():
    """A fixed set of bad calls as Excel's Office.js add-in would post them."""
    rng = np.random.default_rng(7)
    n = 60
    index = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    fund = index * np.exp(np.cumsum(rng.normal(-0.0001, 0.0005, n)))
    start = dt.datetime(2021, 1, 4)
    serials = [to_serial(start + dt.timedelta(days=int(d))) for d in range(n)]
    col = lambda xs: [[float(x) if isinstance(x, (int, float, np.floating)) else x] for x in xs]  # noqa: E731
    err = office_error("#N/A")
    f, i, d = col(fund), col(index), col(serials)
    bad_f = f[:10] + [["n/a"]] + f[11:]
    err_f = f[:5] + [[err]] + f[6:]
    dup_d = d[:20] + [d[19]] + d[21:]
    # (function, arguments, what must come back: "value" or the arguments the message may name)
    calls = [
        ("etf_holding_cost", [f, i, d, None, None], "value"),
        ("etf_holding_cost", [bad_f, i, d, None, None], {"fund"}),            # text
        ("etf_holding_cost", [err_f, i, d, None, None], {"fund"}),            # error cell
        ("etf_holding_cost", [f, i, dup_d, None, None], {"dates"}),           # duplicate date
        ("etf_holding_cost", [f, i[:-3], d, None, None], {"fund", "index"}),  # lengths
        ("etf_holding_cost", [f[:5], i[:5], None, None, None], {"fund"}),     # too short
        ("etf_tracking_error", [f, i, [[-5.0]] * n, None, None], {"dates"}),  # serial out of range
        ("etf_tracking_error", [f, [[0.0]] + i[1:], d, None, None], {"index"}),  # zero level
        ("etf_analytics", [f, i, d, [["daily"]], None, None], {"periods_per_year"}),
        ("etf_rolling_td", [f, i, d, None, [["maybe"]]], {"labels"}),
        ("etf_beta", [f, [[""]] * n, d, None, None, None], {"fund", "index"}),
        ("etf_market_impact", [f, i, [[1000.0]] * n, d, [[-1.0]]], {"trade_size"}),
        ("etf_total_cost", [[[1e6]], [[3]], [[10]], [[err]], None, None, None, None, None, None], {"holding_cost"}),
        ("etf_total_cost", [[[1e6]], [[3]], [[10]], [[-0.0023]], None, None, None, [["linear"]], None, None],
         {"impact_model"}),
        ("etf_return", [f, d, [[serials[3]]], [["soon"]], None, None, None, None], {"end_date"}),
        ("etf_performance_gap", [f, i, d, [[serials[3]]], [[serials[40]]], None, None, None, None, None, None],
         "value"),
        ("etf_spread", [f, f, f, [[1e308]] * n, None], {"open_price", "high", "low", "close_price"}),
        ("etf_version", [], "value"),
    ]
    # Office.js posts the function's id, which xlwings makes the Python name
    return [({"func_name": name.upper(), "args": args}, expect) for name, args, expect in calls]


def test_office_js_call_path_raises_only_xlwings_errors():
    """The real Office.js path: a bad input is a 400 (XlwingsError), never a 500 that retries."""
    env = dict(os.environ, XLWINGS_ON_SERVER="true", XLWINGS_LICENSE_KEY="noncommercial")
    calls = _server_payloads()
    payloads = [p for p, _ in calls]
    proc = subprocess.run([sys.executable, "-c", _SERVER_SCRIPT], input=json.dumps(payloads),
                          capture_output=True, text=True, env=env, timeout=120,
                          cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(proc.stdout)
    assert len(results) == len(payloads)
    for (p, expect), r in zip(calls, results):
        name = p["func_name"]
        fn = getattr(F, name)
        if expect == "value":
            assert "result" in r, (name, r)
            for row_ in r["result"]:
                for v in row_:
                    check_cell(v, name)
        else:
            assert r.get("error") == "XlwingsError", (name, r)
            msg = r["message"].removeprefix("Not enough data - ")
            base = check_message(msg, arguments(fn), FIGURE_LABELS)
            assert base in expect, (name, r["message"])
