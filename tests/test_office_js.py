"""The Office.js path (xlwings Server and xlwings Lite), end to end through xlwings.

xlwings chooses its decorators when first imported, so the functions are loaded in a
subprocess started with ``XLWINGS_ON_SERVER=true`` and ``XLWINGS_LICENSE_KEY=noncommercial``
(tests/officejs_runner.py). There ``xlwings.server.custom_functions_meta`` describes the
functions to Excel and ``custom_functions_call`` runs the payloads Excel's add-in posts:
every argument a 2-D array, dates as serial numbers, empty cells as "" or null, error cells
as error objects, omitted arguments as null. Expected values come from the analytics
called directly in this process.
"""
from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from xlwings_udfs import __version__
from xlwings_udfs import functions as F
from xlwings_udfs.analytics.cost import total_cost
from xlwings_udfs.analytics.impact import market_impact_stats
from xlwings_udfs.analytics.spread import bid_ask_spread_stats
from xlwings_udfs.analytics.returns import period_return
from xlwings_udfs.analytics import FIGURES, TRACKING_FIGURES, tracking_stats
from xlwings_udfs.analytics.figures import COST_FIGURES
from xlwings_udfs.data import load_cn_etf, sample_panel

ROOT = Path(__file__).resolve().parents[1]
RUNNER = Path(__file__).with_name("officejs_runner.py")
NA_ERROR = {"type": "Error", "basicType": "Error", "basicValue": "#N/A", "errorType": "NotAvailable"}
FUND = "SYN-SP500A"


def serial(d) -> int:
    return int((pd.Timestamp(d) - pd.Timestamp("1899-12-30")).days)


def col(values, header=None):
    """A column as Office.js sends it: numbers, "" for an empty cell, serials for dates."""
    out = []
    for v in values:
        if isinstance(v, pd.Timestamp):
            v = serial(v)
        elif isinstance(v, (float, np.floating)) and np.isnan(v):
            v = ""
        elif isinstance(v, np.generic):
            v = v.item()
        out.append([v])
    return ([[header]] if header is not None else []) + out


def cell(v):
    return [[v]]


@pytest.fixture(scope="module")
def data():
    nav = sample_panel("nav")
    index = sample_panel("index")
    fund = nav[FUND].copy()
    fund.iloc[[40, 41]] = np.nan
    return {
        "nav": nav, "index": index, "fund": fund, "bench": index[FUND],
        "price": sample_panel("price")[FUND], "volume": sample_panel("volume")[FUND],
        "cn": load_cn_etf(),
    }


@pytest.fixture(scope="module")
def calls(data):
    """name -> (payload args); all run in one subprocess."""
    fund, bench, dates = data["fund"], data["bench"], data["fund"].index
    with_error = col(fund, "Fund")
    with_error[11] = [NA_ERROR]  # row 12 of the selection (row 1 is the header)
    short_panel = data["nav"].iloc[:, :3].copy()
    short_panel.iloc[:-25, 2] = np.nan
    cn = data["cn"]
    trailing = [[""]] * 100_000  # the blank tail of a whole-column selection
    return {
        "ehc": ("ETF_HOLDING_COST", [col(fund, "Fund"), col(bench, "Index"), col(dates, "Date"), None, None]),
        "ehc_whole_column": ("ETF_HOLDING_COST", [col(fund) + trailing, col(bench) + trailing,
                                                  col(dates) + trailing]),
        "ehc_empty_optional": ("ETF_HOLDING_COST", [col(fund), col(bench), col(dates), cell(""), cell(None)]),
        "ehc_error_cell": ("ETF_HOLDING_COST", [with_error, col(bench, "Index"), col(dates, "Date")]),
        "ehc_short": ("ETF_HOLDING_COST", [col(fund[:15]), col(bench[:15]), col(dates[:15])]),
        "te": ("ETF_TRACKING_ERROR", [col(fund), col(bench), col(dates)]),
        "te_trad": ("ETF_TRACKING_ERROR_TRADITIONAL", [col(fund), col(bench), col(dates)]),
        "td_1y_cum": ("ETF_TRACKING_DIFFERENCE", [col(fund), col(bench), col(dates), None, cell(252), cell(False)]),
        "rolling": ("ETF_ROLLING_TD", [col(fund), col(bench), col(dates), None, cell("")]),
        "beta_dimson": ("ETF_BETA", [col(fund), col(bench), col(dates), None, None, cell(True)]),
        "r2": ("ETF_R_SQUARED", [col(fund), col(bench), col(dates)]),
        "analytics": ("ETF_ANALYTICS", [col(fund), col(bench), col(dates)]),
        "panel": ("ETF_ANALYTICS", [[list(short_panel.columns)] + [[("" if np.isnan(v) else v) for v in r]
                                                                   for r in short_panel.to_numpy().tolist()],
                                    col(bench, "Index"), col(dates, "Date")]),
        "mic": ("ETF_MARKET_IMPACT", [col(data["price"]), col(data["nav"][FUND]), col(data["volume"]),
                                      col(dates), None]),
        "spread": ("ETF_SPREAD", [col(cn["open"]), col(cn["high"]), col(cn["low"]), col(cn["close"])]),
        "cost": ("ETF_TOTAL_COST", [cell(1_000_000), cell(3), cell(10), cell(-0.0023), cell(0.0012),
                                    None, None, cell("morningstar"), None, cell(True)]),
        "cost_error": ("ETF_TOTAL_COST", [cell(1_000_000), cell(3), cell(10), cell(NA_ERROR)]),
        "return": ("ETF_RETURN", [col(data["nav"][FUND]), col(dates), cell(serial("2023-01-01")),
                                  cell(serial("2023-12-31"))]),
        "return_uncovered": ("ETF_RETURN", [col(data["nav"][FUND]), col(dates), cell(serial("2023-01-01")),
                                            cell(serial("2031-12-31"))]),
        "version": ("ETF_VERSION", []),
    }


@pytest.fixture(scope="module")
def office_js(calls):
    payloads = [{"func_name": name, "args": args} for name, args in calls.values()]
    env = dict(os.environ, XLWINGS_ON_SERVER="true", XLWINGS_LICENSE_KEY="noncommercial",
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([sys.executable, str(RUNNER)], input=json.dumps({"calls": payloads}),
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout)
    out["by_case"] = dict(zip(calls, out["results"]))
    return out


def result(office_js, case):
    r = office_js["by_case"][case]
    assert "result" in r, r
    return r["result"]


def error(office_js, case):
    r = office_js["by_case"][case]
    assert "error" in r, r
    return r["error"], r["message"]


# ----------------------------------------------------------------------------------------
# what Excel is told about the functions
# ----------------------------------------------------------------------------------------

def test_meta_lists_every_function_with_descriptions(office_js):
    meta = {f["name"]: f for f in office_js["meta"]["functions"]}
    assert sorted(meta) == sorted(F.__all__)
    for name, f in meta.items():
        py = getattr(F, name)
        assert f["description"] == py.__doc__ and len(f["description"]) <= 255
        params = inspect.signature(py).parameters
        assert [p["name"] for p in f["parameters"]] == list(params)
        for p in f["parameters"]:
            assert p["description"] and not p["description"].startswith("Positional argument"), (name, p)
            assert len(p["description"]) <= 255
            has_default = params[p["name"]].default is not inspect.Parameter.empty
            assert p.get("optional", False) == has_default, (name, p["name"])
        assert f["result"]["dimensionality"] == "matrix"


def test_runs_as_office_js(office_js):
    assert office_js["host"] == "officejs"


# ----------------------------------------------------------------------------------------
# values
# ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def stats(data):
    return tracking_stats(data["fund"], data["bench"])


def test_tracking_figures(office_js, data, stats):
    assert result(office_js, "ehc") == [[pytest.approx(stats.holding_cost)]]
    assert result(office_js, "ehc_whole_column") == [[pytest.approx(stats.holding_cost)]]
    assert result(office_js, "ehc_empty_optional") == [[pytest.approx(stats.holding_cost)]]
    assert result(office_js, "te") == [[pytest.approx(stats.tracking_error)]]
    assert result(office_js, "te_trad") == [[pytest.approx(stats.tracking_error_traditional)]]
    assert result(office_js, "beta_dimson") == [[pytest.approx(stats.beta_dimson)]]
    assert result(office_js, "r2") == [[pytest.approx(stats.r_squared)]]
    one_year = tracking_stats(data["fund"], data["bench"], window=252)
    assert result(office_js, "td_1y_cum") == [[pytest.approx(one_year.tracking_difference_cumulative)]]


def test_spilled_tables(office_js, stats):
    rolling = result(office_js, "rolling")
    assert [r[0] for r in rolling][0] == FIGURES["rolling_td_median"].label
    assert [r[1] for r in rolling] == pytest.approx([stats.rolling_td_median, stats.rolling_td_high,
                                                    stats.rolling_td_low, stats.rolling_td_latest])
    table = result(office_js, "analytics")
    assert [r[0] for r in table] == [FIGURES[k].label for k in TRACKING_FIGURES]
    assert table[0][1] == pytest.approx(stats.holding_cost)


def test_panel_with_a_short_fund_shows_real_na_errors(office_js, data):
    table = result(office_js, "panel")
    assert table[0][0] == "Fund" and [r[0] for r in table[1:]] == list(data["nav"].columns[:3])
    short = table[3]
    assert short[1] == {"type": "Error", "errorType": "NotAvailable"}  # a real #N/A, not #NUM!
    flat = [v for r in table for v in r]
    assert {"type": "Error", "errorType": "Num"} not in flat


def test_trading_costs(office_js, data):
    mic = market_impact_stats(data["price"], data["nav"][FUND], data["volume"], data["fund"].index).impact
    assert result(office_js, "mic") == [[pytest.approx(mic)]]
    cn = data["cn"]
    spread = bid_ask_spread_stats(cn["open"], cn["high"], cn["low"], cn["close"]).spread
    assert result(office_js, "spread") == [[pytest.approx(spread)]]
    want = total_cost(1_000_000, 3, 10, -0.0023, 0.0012, impact_model="morningstar")
    assert result(office_js, "cost") == [
        [FIGURES[k].label for k in COST_FIGURES],
        pytest.approx([want.dollars, want.annual, want.lower, want.upper]),
    ]


def test_period_return_from_serial_dates(office_js, data):
    want = period_return(data["nav"][FUND], None, "2023-01-01", "2023-12-31").value
    assert result(office_js, "return") == [[pytest.approx(want)]]


def test_version(office_js):
    table = dict(tuple(r) for r in result(office_js, "version"))
    assert table["xlwings-etf-analytics"] == __version__ and "Office.js" in table["host"]


# ----------------------------------------------------------------------------------------
# errors: XlwingsError (shown on hover, not retried), one line, the argument and the row
# ----------------------------------------------------------------------------------------

def test_error_cell_names_the_argument_and_the_row(office_js):
    assert error(office_js, "ehc_error_cell") == ("XlwingsError", "fund: 1 error cell (#N/A), first at row 12")
    assert error(office_js, "cost_error") == (
        "XlwingsError", "holding_cost: error cell (#N/A); fix the cell it refers to")


def test_not_enough_data_keeps_its_reason(office_js):
    kind, msg = error(office_js, "ehc_short")
    assert kind == "XlwingsError"
    assert msg == ("Not enough data - Estimated holding cost (EHC): 14 returns on common dates: the holding "
                   "cost and the noise-robust tracking error need at least 30")
    kind, msg = error(office_js, "return_uncovered")
    assert kind == "XlwingsError" and msg.startswith("Not enough data - end_date: 2031-12-31")


def test_no_error_is_a_plain_exception(office_js):
    # a plain exception would be an HTTP 500, which the add-in retries
    for case, r in office_js["by_case"].items():
        if "error" in r:
            assert r["error"] == "XlwingsError", case
            assert "\n" not in r["message"] and "Traceback" not in r["message"]
