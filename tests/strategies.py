"""Hypothesis strategies for what Excel hands a function: ranges as lists of rows.

A range reaches an Excel function as a 2-D list (``ndim=2``), and the two kinds of host
fill it differently (EXCEL_NOTES.md, "The hosts behave differently"):

* classic xlwings: dates are ``datetime``, an error cell is None or its text ("#N/A");
* Office.js (xlwings Server, xlwings Lite): dates are serial numbers, an empty cell may be
  ``""``, an error cell is a dict such as ``{"type": "Error", "basicValue": "#N/A", ...}``.

Bulk data come from a numpy generator seeded by Hypothesis (drawing hundreds of floats one
by one is slow and shrinks badly); Hypothesis chooses the seed, the sizes, and every
corruption: which cells, which kind of bad value, which shape.
"""
from __future__ import annotations

import datetime as dt
import math
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

__all__ = [
    "HOSTS",
    "CLASSIC",
    "OFFICE_JS",
    "SETTINGS",
    "FAST",
    "Case",
    "MarketCase",
    "office_error",
    "to_serial",
    "column",
    "row",
    "business_days",
    "date_cells",
    "tracking_cases",
    "market_cases",
    "ohlc_cases",
    "level_corruptions",
    "date_corruptions",
    "corrupt",
    "corrupt_dates",
    "scalar_cells",
    "shape_variants",
    "FAILING_LEVEL_KINDS",
    "FAILING_DATE_KINDS",
    "FAR_DATES",
    "Outcome",
    "outcome",
    "check_cell",
    "check_value",
    "check_message",
]

CLASSIC = "classic"
OFFICE_JS = "officejs"
HOSTS = (CLASSIC, OFFICE_JS)

# CI runs must be reproducible: the same examples on every run, no example database.
_CI = bool(os.environ.get("CI"))
SETTINGS = settings(
    max_examples=30,
    deadline=None,
    derandomize=_CI,
    database=None if _CI else settings.default.database,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.filter_too_much],
    print_blob=not _CI,
)
#: For properties whose every example runs an estimator on several hundred rows.
FAST = settings(SETTINGS, max_examples=15)

# ----------------------------------------------------------------------------------------
# single cells
# ----------------------------------------------------------------------------------------

_ERROR_TYPES = {"#N/A": "NotAvailable", "#DIV/0!": "Div0", "#VALUE!": "Value", "#REF!": "Ref",
                "#NAME?": "Name", "#NUM!": "Num", "#NULL!": "Null", "#SPILL!": "Spill",
                "#CALC!": "Calc", "#BUSY!": "Busy"}
_EPOCH = dt.datetime(1899, 12, 30)


def office_error(code: str = "#N/A") -> dict:
    """An error cell as Office.js sends it."""
    return {"type": "Error", "basicType": "Error", "basicValue": code,
            "errorType": _ERROR_TYPES.get(code, "Value")}


def to_serial(d: dt.datetime) -> float:
    """Excel's 1900-system serial of a date after February 1900."""
    return (d - _EPOCH).total_seconds() / 86_400.0


def error_cells(host: str) -> st.SearchStrategy:
    codes = st.sampled_from(sorted(_ERROR_TYPES))
    if host == OFFICE_JS:
        return codes.map(office_error)
    # err_to_str=True gives the text; our own classic functions return "#N/A reason..."
    return st.one_of(codes, codes.map(lambda c: f"{c} upstream: something failed"))


def blank_cell(host: str) -> st.SearchStrategy:
    return st.sampled_from([None, ""]) if host == OFFICE_JS else st.just(None)


def column(values: list) -> list[list]:
    """A one-column selection."""
    return [[v] for v in values]


def row(values: list) -> list[list]:
    """A one-row selection."""
    return [list(values)]


def date_cells(dates: list[dt.datetime], host: str) -> list:
    return [to_serial(d) for d in dates] if host == OFFICE_JS else list(dates)


# ----------------------------------------------------------------------------------------
# valid data
# ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    """A fund and its index: level lists (cells), dates and the host that sends them."""

    fund: list
    index: list
    dates: list[dt.datetime]
    host: str
    seed: int
    corrupted: dict[str, list[str]] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.fund)

    def date_cells(self) -> list:
        return date_cells(self.dates, self.host)


@dataclass(frozen=True)
class MarketCase:
    """Price, NAV and volume of an ETF on the same trading days."""

    price: list
    nav: list
    volume: list
    dates: list[dt.datetime]
    host: str
    seed: int
    corrupted: dict[str, list[str]] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.price)

    def date_cells(self) -> list:
        return date_cells(self.dates, self.host)


def business_days(start: dt.datetime, n: int, gaps: np.ndarray | None = None) -> list[dt.datetime]:
    """``n`` weekdays from ``start``; ``gaps`` adds extra skipped weekdays (holidays)."""
    out, d, i = [], start, 0
    while d.weekday() >= 5:
        d += dt.timedelta(days=1)
    while len(out) < n:
        if d.weekday() < 5:
            out.append(d)
            if gaps is not None and gaps[i % gaps.size]:
                d += dt.timedelta(days=1)
            i += 1
        d += dt.timedelta(days=1)
    return out


_MAGNITUDES = (1.0, 100.0, 1e-6, 1e6, 1e-150, 1e150, 1e-300, 1e300)


@st.composite
def tracking_cases(draw, min_rows: int = 1, max_rows: int = 300, hosts=HOSTS,
                   magnitudes=_MAGNITUDES) -> Case:
    """A fund and its index, daily, with a drift, persistent deviations and noise."""
    n = draw(st.integers(min_rows, max_rows))
    seed = draw(st.integers(0, 2**32 - 1))
    host = draw(st.sampled_from(hosts))
    scale_f = draw(st.sampled_from(magnitudes))
    scale_i = draw(st.sampled_from(magnitudes))
    start = dt.datetime(1995, 1, 2) + dt.timedelta(days=draw(st.integers(0, 30 * 365)))
    rng = np.random.default_rng(seed)
    r_index = rng.normal(0.0003, 0.01, n)
    drift = rng.uniform(-0.0005, 0.0002)
    te = rng.uniform(0.0, 0.003)
    noise = rng.uniform(0.0, 0.004)
    log_i = np.cumsum(r_index) - r_index[0]
    log_gap = drift * np.arange(n) + np.cumsum(rng.normal(0.0, te, n)) + rng.normal(0.0, noise, n)
    index = scale_i * np.exp(log_i)
    fund = scale_f * np.exp(log_i + log_gap)
    dates = business_days(start, n, rng.random(64) < 0.05)
    return Case(fund=[float(x) for x in fund], index=[float(x) for x in index], dates=dates,
                host=host, seed=seed)


@st.composite
def market_cases(draw, min_rows: int = 1, max_rows: int = 300, hosts=HOSTS) -> MarketCase:
    """Daily closing price, NAV and share volume, with a mean-reverting premium."""
    n = draw(st.integers(min_rows, max_rows))
    seed = draw(st.integers(0, 2**32 - 1))
    host = draw(st.sampled_from(hosts))
    scale = draw(st.sampled_from((1.0, 20.0, 300.0, 1e-3, 1e5)))
    start = dt.datetime(2000, 1, 3) + dt.timedelta(days=draw(st.integers(0, 20 * 365)))
    rng = np.random.default_rng(seed)
    nav = scale * np.exp(np.cumsum(rng.normal(0.0002, 0.012, n)))
    prem = np.zeros(n)
    e = rng.normal(0.0, rng.uniform(0.0002, 0.005), n)
    for t in range(1, n):
        prem[t] = 0.5 * prem[t - 1] + e[t]
    price = nav * np.exp(prem)
    volume = np.round(rng.lognormal(rng.uniform(3, 14), 0.8, n))
    volume[rng.random(n) < rng.uniform(0.0, 0.3)] = 0.0   # days without trades
    return MarketCase(price=[float(x) for x in price], nav=[float(x) for x in nav],
                      volume=[float(x) for x in volume], dates=business_days(start, n),
                      host=host, seed=seed)


@dataclass(frozen=True)
class OhlcCase:
    """Daily open, high, low and close prices with a bid-ask bounce."""

    open: list
    high: list
    low: list
    close: list
    dates: list[dt.datetime]
    host: str
    seed: int

    @property
    def n(self) -> int:
        return len(self.close)

    def date_cells(self) -> list:
        return date_cells(self.dates, self.host)


@st.composite
def ohlc_cases(draw, min_rows: int = 1, max_rows: int = 300, hosts=HOSTS) -> OhlcCase:
    n = draw(st.integers(min_rows, max_rows))
    seed = draw(st.integers(0, 2**32 - 1))
    host = draw(st.sampled_from(hosts))
    start = dt.datetime(2000, 1, 3) + dt.timedelta(days=draw(st.integers(0, 20 * 365)))
    rng = np.random.default_rng(seed)
    spread = rng.uniform(0.0, 0.02)
    mid = 50.0 * np.exp(np.cumsum(rng.normal(0.0, 0.015, (n, 4)).ravel() / 2.0)).reshape(n, 4)
    bounce = 1.0 + spread / 2.0 * rng.choice([-1.0, 1.0], (n, 4))
    px = mid * bounce
    o, c = px[:, 0], px[:, 3]
    high = np.maximum(px.max(1), np.maximum(o, c))
    low = np.minimum(px.min(1), np.minimum(o, c))
    as_list = lambda a: [float(x) for x in a]  # noqa: E731
    return OhlcCase(open=as_list(o), high=as_list(high), low=as_list(low), close=as_list(c),
                    dates=business_days(start, n), host=host, seed=seed)


# ----------------------------------------------------------------------------------------
# bad cells
# ----------------------------------------------------------------------------------------

#: Level-cell corruptions that must make the function report the argument.
FAILING_LEVEL_KINDS = frozenset({"text", "numeric_text", "error", "bool", "inf", "-inf", "zero",
                                 "negative", "date"})
#: Date-cell corruptions that must make the function report the argument.
FAILING_DATE_KINDS = frozenset({"blank", "nan", "duplicate", "unsorted", "text", "error", "bool",
                                "serial_low", "serial_60", "serial_high", "inf"})

LEVEL_KINDS = ("blank", "nan", "text", "numeric_text", "error", "bool", "inf", "-inf", "zero",
               "negative", "huge", "tiny", "date")


def _level_cell(kind: str, host: str) -> st.SearchStrategy:
    return {
        "blank": blank_cell(host),
        "nan": st.just(math.nan),
        "text": st.sampled_from(["n/a", "abc", "—", "1,234.5", " ", "TRUE", "=A1", "N/A (stale)"]),
        "numeric_text": st.sampled_from(["100", "1e3", "  42.5 "]),
        "error": error_cells(host),
        "bool": st.booleans(),
        "inf": st.just(math.inf),
        "-inf": st.just(-math.inf),
        "zero": st.sampled_from([0, 0.0, -0.0]),
        "negative": st.floats(-1e300, -1e-300),
        "huge": st.sampled_from([1e300, 1.7e308]),
        "tiny": st.sampled_from([5e-324, 1e-310, 2.2e-308]),
        "date": st.just(dt.datetime(2020, 1, 31)),
    }[kind]


@st.composite
def level_corruptions(draw, n: int, host: str, kinds=LEVEL_KINDS, max_cells: int = 4):
    """(positions, kinds, values) for a few bad cells in a column of ``n`` levels."""
    if n == 0:
        return []
    k = draw(st.integers(1, min(max_cells, n)))
    pos = draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k, unique=True))
    out = []
    for p in pos:
        kind = draw(st.sampled_from(kinds))
        out.append((p, kind, draw(_level_cell(kind, host))))
    return out


def corrupt(values: list, changes: list) -> list:
    values = list(values)
    for p, _, v in changes:
        values[p] = v
    return values


# "far_date" (a real date outside 1677-2262) is left to its own deterministic test
DATE_KINDS = ("blank", "duplicate", "unsorted", "text", "iso_text", "error", "bool",
              "serial_low", "serial_60", "serial_high", "inf", "nan")
FAR_DATES = (dt.datetime(1000, 1, 1), dt.datetime(1600, 6, 30), dt.datetime(2263, 1, 1),
             dt.datetime(9999, 12, 31))


@st.composite
def date_corruptions(draw, n: int, host: str, kinds=DATE_KINDS, max_cells: int = 3):
    """(position, kind) pairs; the values depend on the neighbours, see :func:`corrupt_dates`."""
    if n == 0:
        return []
    k = draw(st.integers(1, min(max_cells, n)))
    pos = draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k, unique=True))
    out = []
    for p in pos:
        kind = draw(st.sampled_from(kinds))
        if kind in ("duplicate", "unsorted") and n < 2:
            kind = "text"
        extra = {
            "blank": blank_cell(host),
            # texts that are not dates (01/02/2024 alone could be two days)
            "text": st.sampled_from(["01/02/2024", "Jan 31", "yesterday", "x", "2024-13-45"]),
            "error": error_cells(host),
            "bool": st.booleans(),
            "serial_low": st.sampled_from([-1.0, 0.0, 0.5, -45000.0]),
            "serial_60": st.sampled_from([60.0, 60.5]),
            "serial_high": st.sampled_from([2958466.0, 3e6, 1e12, 1e308]),
            "inf": st.sampled_from([math.inf, -math.inf]),
            "nan": st.just(math.nan),
            # valid Excel dates outside what a nanosecond timestamp holds (1677-2262)
            "far_date": st.sampled_from(FAR_DATES),
        }.get(kind, st.none())
        out.append((p, kind, draw(extra)))
    return out


def corrupt_dates(cells: list, changes: list, host: str) -> list:
    """Apply date corruptions; duplicates and swaps use the neighbouring cells."""
    cells = list(cells)
    for p, kind, v in changes:
        if kind == "duplicate":
            q = p - 1 if p > 0 else p + 1
            cells[p] = cells[q]
        elif kind == "unsorted":
            q = p + 1 if p + 1 < len(cells) else p - 1
            cells[p], cells[q] = cells[q], cells[p]
        elif kind == "iso_text":
            d = cells[p]
            if isinstance(d, float):
                d = _EPOCH + dt.timedelta(days=d)
            cells[p] = d.strftime("%Y-%m-%d") if isinstance(d, dt.datetime) else "2024-01-31"
        else:
            cells[p] = v
    return cells


# ----------------------------------------------------------------------------------------
# scalar arguments and shapes
# ----------------------------------------------------------------------------------------

def scalar_cells(host: str, good: st.SearchStrategy) -> st.SearchStrategy:
    """What a host may pass for a one-cell argument: good values, omitted, and bad ones.

    Office.js sends every argument as a 2-D array; classic sends a bare value (or a 2-D
    list when the argument is declared ``ndim=2``). Both forms are drawn.
    """
    bad = st.one_of(
        st.none(), blank_cell(host), st.just(math.nan), st.sampled_from([math.inf, -math.inf]),
        st.sampled_from([0, -1, -252.0, 1e300, 1e-300, 0.5, 7.25]), st.booleans(),
        st.sampled_from(["abc", "252", "", "daily", "#N/A"]), error_cells(host),
        st.just(dt.datetime(2020, 1, 1)),
    )
    cell = st.one_of(good, bad)
    return st.one_of(cell, cell.map(lambda v: [[v]]),
                     st.tuples(cell, cell).map(lambda t: [[t[0], t[1]]]))


SHAPES = ("column", "row", "two_columns", "single_cell", "empty", "truncated", "header",
          "padded", "row_of_one")


def shape_variants(cells: list, shape: str, cut: int = 0) -> Any:
    """One argument's cells laid out in a shape a user may select."""
    if shape == "column":
        return column(cells)
    if shape == "row":
        return row(cells)
    if shape == "two_columns":
        half = max(len(cells) // 2, 1)
        a, b = cells[:half], cells[half:2 * half]
        b = b + [None] * (len(a) - len(b))
        return [[x, y] for x, y in zip(a, b)]
    if shape == "single_cell":
        return [[cells[0] if cells else None]]
    if shape == "empty":
        return [[None]]
    if shape == "truncated":
        return column(cells[: max(len(cells) - 1 - cut, 0)] or [None])
    if shape == "header":
        return column(["Fund NAV"] + cells)
    if shape == "padded":  # a larger selection than the data: blank rows below
        return column(cells + [None] * (3 + cut))
    if shape == "row_of_one":
        return [[cells[-1] if cells else None]]
    raise ValueError(shape)


# ----------------------------------------------------------------------------------------
# what a function may give back
# ----------------------------------------------------------------------------------------

# A date cell comes back as a datetime on classic xlwings (which writes it as an Excel date)
# and as a serial number, a float, on Office.js.
_CELL_TYPES = (float, int, str, type(None), dt.datetime)
_ERROR_PREFIXES = ("#VALUE! ", "#N/A ")
_NOT_ENOUGH = "Not enough data - "


@dataclass(frozen=True)
class Outcome:
    """A call's result as the user sees it: a value, or an error message (either host)."""

    value: Any = None
    error: str | None = None
    code: str | None = None      # "#VALUE!" (bad input) or "#N/A" (not enough data)

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def subject(self) -> str | None:
        """What the message is about: the text before the first ': '."""
        if self.error is None or ": " not in self.error:
            return None
        return self.error.split(": ", 1)[0]


def outcome(fn, args: tuple, host: str) -> Outcome:
    """Call an Excel function as ``host`` would and classify what comes back.

    Classic returns its errors as text starting with the error code; Office.js raises
    ``XlwingsError``. Any other exception fails the calling test, as it would show a
    traceback (classic) or be retried by the add-in (Office.js).
    """
    from xlwings import XlwingsError

    from xlwings_udfs import excel

    with excel.use_host(host):
        try:
            value = fn(*args)
        except XlwingsError as err:
            assert host == OFFICE_JS, f"classic host raised XlwingsError: {err}"
            msg = str(err)
            if msg.startswith(_NOT_ENOUGH):
                return Outcome(error=msg[len(_NOT_ENOUGH):], code="#N/A")
            return Outcome(error=msg, code="#VALUE!")
    if isinstance(value, str):
        for prefix in _ERROR_PREFIXES:
            if value.startswith(prefix):
                assert host == CLASSIC, f"Office.js host returned error text instead of raising: {value!r}"
                return Outcome(error=value[len(prefix):], code=prefix.strip())
    return Outcome(value=value)


def check_cell(v: Any, where: str = "") -> None:
    """One returned cell: a plain Python number, text, a date or None that Excel can show."""
    assert type(v) in _CELL_TYPES, f"cell {where}: {type(v).__name__} {v!r} is not an Excel cell value"
    if type(v) is dt.datetime:
        assert v.tzinfo is None, f"cell {where}: {v!r} has a time zone, which Excel cannot hold"
    if type(v) is float:
        assert math.isfinite(v), f"cell {where}: {v!r} (NaN shows #NUM! or a blank)"
    if type(v) is str:
        assert "\n" not in v and "\r" not in v, f"cell {where}: multi-line text {v!r}"
        assert "Traceback" not in v, f"cell {where}: traceback text {v!r}"
        assert len(v) <= 255, f"cell {where}: {len(v)} characters"


def check_value(value: Any) -> None:
    """A scalar cell, or a rectangular 2-D list of cells."""
    if isinstance(value, list):
        assert value and all(isinstance(r, list) for r in value), f"not a 2-D list: {value!r}"
        widths = {len(r) for r in value}
        assert len(widths) == 1 and widths != {0}, f"ragged or empty rows: {value!r}"
        for i, r in enumerate(value):
            for j, v in enumerate(r):
                check_cell(v, f"[{i}][{j}]")
    else:
        check_cell(value)


def check_message(msg: str, arguments: set[str], figures: set[str] = frozenset()) -> str:
    """A one-line message whose subject is an argument (or, for #N/A, a figure).

    Returns the argument's base name (``fund[column 2]`` -> ``fund``).
    """
    check_cell(msg)
    assert msg.strip(), "empty message"
    assert "internal error" not in msg, f"an internal error reached the cell: {msg!r}"
    assert ": " in msg, f"message names no argument: {msg!r}"
    subject = msg.split(": ", 1)[0]
    base = subject.split("[", 1)[0].strip()
    assert base in arguments or subject in figures, (
        f"message {msg!r} is about {subject!r}, which is none of the arguments {sorted(arguments)}")
    return base
