"""One Excel call (xlwings_udfs.excel.calls and .hosts): the host, the error policy of each
host, the call cache and the shared analytics cache."""
from __future__ import annotations

import numpy as np
import pytest
import xlwings as xw

from xlwings_udfs import excel
from xlwings_udfs.analytics.errors import InputError, NotEnoughData
from xlwings_udfs.excel import CLASSIC, OFFICE_JS, use_host


@pytest.fixture(autouse=True)
def _fresh_cache():
    excel.cache.clear()
    yield
    excel.cache.clear()


# ----------------------------------------------------------------------------------------
# hosts and the error policy
# ----------------------------------------------------------------------------------------

def test_host_detection(monkeypatch):
    monkeypatch.delenv("XLWINGS_ON_SERVER", raising=False)
    assert excel.host() == CLASSIC
    monkeypatch.setenv("XLWINGS_ON_SERVER", "true")
    assert excel.host() == OFFICE_JS
    monkeypatch.delenv("XLWINGS_ON_SERVER")
    monkeypatch.setattr("sys.platform", "emscripten")
    assert excel.host() == OFFICE_JS
    monkeypatch.setattr("sys.platform", "linux")
    with use_host(OFFICE_JS):
        assert excel.host() == OFFICE_JS
    assert excel.host() == CLASSIC


@excel.excel_function
def _udf(kind):
    if kind == "input":
        raise InputError("fund", "3 non-numeric cells ('x')", row=12)
    if kind == "short":
        raise NotEnoughData("fund", "12 returns on dates both series have; at least 30 are needed")
    if kind == "bug":
        return 1 / 0
    if kind == "long":
        raise InputError("fund", "x" * 500 + "\nsecond line")
    return 1.0


def test_classic_policy_returns_short_error_text():
    with use_host(CLASSIC):
        assert _udf("input") == "#VALUE! fund: 3 non-numeric cells ('x'), first at row 12"
        assert _udf("short") == "#N/A fund: 12 returns on dates both series have; at least 30 are needed"
        bug = _udf("bug")
        assert bug.startswith("#VALUE! internal error: ZeroDivisionError") and "Traceback" not in bug
        long = _udf("long")
        assert len(long) <= 8 + 255 and "\n" not in long


def test_office_js_policy_raises_xlwings_error():
    with use_host(OFFICE_JS):
        with pytest.raises(xw.XlwingsError, match=r"^fund: 3 non-numeric cells \('x'\), first at row 12$"):
            _udf("input")
        with pytest.raises(xw.XlwingsError, match="^Not enough data - fund: 12 returns"):
            _udf("short")
        with pytest.raises(xw.XlwingsError, match="internal error: ZeroDivisionError"):
            _udf("bug")
        assert _udf("ok") == 1.0


def test_cached_errors_follow_the_host_of_each_call():
    with use_host(CLASSIC):
        assert _udf("input").startswith("#VALUE!")
    with use_host(OFFICE_JS):
        with pytest.raises(xw.XlwingsError):
            _udf("input")


def test_use_host_takes_only_the_two_hosts():
    with pytest.raises(ValueError, match="host must be"):
        with use_host("lite"):
            pass


def test_office_js_reads_ranges_raw_and_classic_as_2d_text_errors():
    from xlwings_udfs.excel.hosts import range_options

    with use_host(OFFICE_JS):
        assert range_options() == {"convert": "raw"}
    with use_host(CLASSIC):
        assert range_options() == {"ndim": 2, "err_to_str": True}
    assert excel.CELL == {"err_to_str": True}


@excel.excel_function
def _passes_on(kind):
    if kind == "xlwings":
        raise xw.XlwingsError("already worded for Office.js")
    return kind


@pytest.mark.parametrize("host", [CLASSIC, OFFICE_JS])
def test_an_xlwings_error_is_passed_on_as_it_is(host):
    with use_host(host):
        with pytest.raises(xw.XlwingsError, match="^already worded for Office.js$"):
            _passes_on("xlwings")


_attempts = []


@excel.excel_function
def _flaky(x):
    _attempts.append(x)
    if len(_attempts) == 1:
        raise RuntimeError("first time only")
    return 2.0


def test_an_unexpected_failure_is_not_cached():
    with use_host(CLASSIC):
        assert _flaky(1.0).startswith("#VALUE! internal error: RuntimeError: first time only")
        assert _flaky(1.0) == 2.0
        assert _flaky(1.0) == 2.0
    assert len(_attempts) == 2


def test_describe_is_one_line_of_at_most_255_characters():
    err = InputError("fund", "a\nb  " + "x" * 400, row=3)
    msg = excel.describe(err)
    assert "\n" not in msg and len(msg) == 255 and msg.startswith("fund: a b xxx") and msg.endswith("...")
    assert excel.describe(ZeroDivisionError("division by zero")) == (
        "internal error: ZeroDivisionError: division by zero")


# ----------------------------------------------------------------------------------------
# the call cache and the shared analytics cache
# ----------------------------------------------------------------------------------------

def test_a_repeated_call_is_answered_from_the_cache(fund_index, monkeypatch):
    # How much faster that is, is measured in benchmarks/bench_udf.py.
    from xlwings_udfs import functions as F

    calls = []
    real = F.tracking_stats
    monkeypatch.setattr(F, "tracking_stats", lambda *args: calls.append(1) or real(*args))
    fund, index, dates, _ = fund_index
    excel.cache.clear()
    a = F.ETF_HOLDING_COST(fund, index, dates)
    b = F.ETF_HOLDING_COST(fund, index, dates)
    assert a == b and len(calls) == 1
    excel.cache.clear()
    assert F.ETF_HOLDING_COST(fund, index, dates) == a and len(calls) == 2


def test_figures_of_the_same_ranges_share_one_estimate(fund_index, monkeypatch):
    from xlwings_udfs import functions as F
    from xlwings_udfs.analytics import tracking

    calls = []
    real = tracking.tracking_stats

    def counting(*args):
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(F, "tracking_stats", counting)
    fund, index, dates, _ = fund_index
    F.ETF_HOLDING_COST(fund, index, dates)
    F.ETF_TRACKING_ERROR(fund, index, dates)
    F.ETF_ANALYTICS(fund, index, dates)
    assert len(calls) == 1


def test_the_cache_of_the_functions_stays_within_its_bounds(fund_index):
    from xlwings_udfs.functions import ETF_HOLDING_COST

    fund, index, dates, _ = fund_index
    excel.cache.configure(max_entries=8)
    try:
        for k in range(12):
            ETF_HOLDING_COST(fund[k:k + 400], index[k:k + 400], dates[k:k + 400])
        assert len(excel.cache) <= 8
    finally:
        excel.cache.configure(max_entries=512)


def test_a_cached_error_is_placed_in_each_call_s_own_selection(fund_index):
    from xlwings_udfs.functions import ETF_HOLDING_COST

    fund, index, dates, _ = fund_index
    d = [r[:] for r in dates]
    d[50] = d[49]
    with use_host(CLASSIC):
        plain = ETF_HOLDING_COST(fund, index, d)
        headed = ETF_HOLDING_COST([["F"]] + fund, [["I"]] + index, [["Date"]] + d)
    assert plain.endswith("first at row 51") and headed.endswith("first at row 52")



def test_run_shares_one_computation_and_renames_the_arguments_of_its_errors():
    calls = []

    def estimate(values):
        calls.append(1)
        if np.isnan(values).any():
            raise InputError("open", "1 blank value", row=2)
        return float(values.sum())

    a = np.array([1.0, 2.0])
    assert excel.run(estimate, a) == excel.run(estimate, a.copy()) == 3.0 and len(calls) == 1
    for _ in range(2):  # the error is cached too, and renamed each time
        with pytest.raises(InputError) as err:
            excel.run(estimate, np.array([1.0, np.nan]), rename={"open": "open_price"})
        assert str(err.value) == "open_price: 1 blank value, first at row 2"
    assert len(calls) == 2
