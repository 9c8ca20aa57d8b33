"""The etf-analytics command line: outputs, exit codes, one-line errors, safe writes."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import xlsxwriter

from xlwings_udfs import cli
from xlwings_udfs.analytics import tracking_stats
from xlwings_udfs.analytics.impact import market_impact
from xlwings_udfs.data import load_sample_universe
from xlwings_udfs.template import DEFAULT_FILENAME, SHEETS

pytestmark = pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")

NASTY = ["=1+1", "+SUM(A1)", "-fund", "@fund", "=HYPERLINK(\"http://x\")"]


@pytest.fixture(scope="module")
def universe() -> pd.DataFrame:
    return load_sample_universe()


@pytest.fixture
def one_fund(tmp_path, universe) -> Path:
    path = tmp_path / "ema.csv"
    universe[universe.fund == "SYN-EMA"].drop(columns="fund").to_csv(path, index=False)
    return path


@pytest.fixture
def panel(tmp_path, universe) -> Path:
    """Three sample funds, two with names a spreadsheet would read as formulas, and one with
    too little data for any estimate."""
    parts = [universe[universe.fund == f] for f in ("SYN-SP500A", "SYN-EMA", "SYN-GOLDB")]
    renamed = [parts[1].assign(fund=NASTY[0]), parts[2].assign(fund=NASTY[1])]
    short = parts[0].head(5).assign(fund="TOO-SHORT")
    path = tmp_path / "panel.csv"
    pd.concat([parts[0], *renamed, short]).to_csv(path, index=False)
    return path


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(err: str) -> None:
    lines = [l for l in err.splitlines() if l.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err and lines[0].startswith("etf-analytics")


# ----------------------------------------------------------------------------------------
# help, usage
# ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("command", [[], ["demo"], ["template"], ["analyze"], ["universe"], ["compare"]])
def test_help_exits_zero_and_explains(capsys, command):
    code, out, _ = run(capsys, *command, "--help")
    assert code == 0
    assert "usage: etf-analytics" in out and "exit codes" in out
    assert "5 internal error" in out


def test_help_loads_neither_the_analytics_nor_the_output_libraries():
    """--help and usage errors answer at once: a command's modules load only when it runs."""
    heavy = ["numpy", "pandas", "rich", "xlsxwriter", "xlwings_udfs.analytics", "xlwings_udfs.template"]
    script = ("import sys; from xlwings_udfs.cli import main\n"
              "codes = [main(['--help']), main(['analyze', '--help']), main(['demo', '--years', 'x'])]\n"
              f"print(codes, [m for m in {heavy!r} if m in sys.modules])")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.stdout.strip().splitlines()[-1] == "[0, 0, 2] []", proc.stdout + proc.stderr


def test_version(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.strip().startswith("etf-analytics ")


@pytest.mark.parametrize("args", [["bogus"], ["demo", "--years", "-1"], ["template"],
                                  ["analyze"], ["demo", "--impact-model", "linear"]])
def test_usage_errors_are_one_line_with_code_2(capsys, args):
    code, _, err = run(capsys, *args)
    assert code == cli.EXIT_USAGE
    assert_one_line_error(err)


def test_no_command_prints_help(capsys):
    code, _, err = run(capsys)
    assert code == cli.EXIT_USAGE and "COMMAND" in err


def test_console_script_entry_point_runs():
    proc = subprocess.run([sys.executable, "-c", "import sys; from xlwings_udfs.cli import main; "
                           "sys.exit(main(['analyze', 'no-such-file.csv']))"],
                          capture_output=True, text=True)
    assert proc.returncode == cli.EXIT_DATA
    assert proc.stderr.strip() == "etf-analytics: error: no-such-file.csv: no such file"


# ----------------------------------------------------------------------------------------
# demo and template
# ----------------------------------------------------------------------------------------

def test_demo_prints_the_tables_and_writes_the_workbook(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "demo")
    assert code == 0, err
    for text in ("Holding cost (EHC", "Total cost of a round trip", "SYN-EMA", "SYN-GOLDB", "$("):
        assert text in out
    path = tmp_path / DEFAULT_FILENAME
    assert zipfile.is_zipfile(path) and str(path.name) in err
    ws = openpyxl.load_workbook(path, data_only=True)[SHEETS["comparison"]]
    assert ws["A6"].value == "SYN-SP500A" and isinstance(ws["C6"].value, float)


def test_demo_run_again_prints_its_tables_and_keeps_the_workbook(capsys, tmp_path, monkeypatch):
    """The README's main job works every time: a second run prints the tables, exits 0 and
    keeps the workbook the first wrote (the user may have edited it), saying how to replace
    it or write another."""
    monkeypatch.chdir(tmp_path)
    assert run(capsys, "demo")[0] == 0
    path = tmp_path / DEFAULT_FILENAME
    before, stamp = path.read_bytes(), path.stat().st_mtime_ns
    code, out, err = run(capsys, "demo")
    assert code == 0, err
    assert "Holding cost (EHC" in out and "Total cost of a round trip" in out
    assert path.read_bytes() == before and path.stat().st_mtime_ns == stamp
    assert " ".join(err.split()) == (f"Kept {DEFAULT_FILENAME}, which was there already (it may hold your edits): --force "
                           f"replaces it, --out PATH writes the workbook elsewhere.")
    code, _, err = run(capsys, "demo", "--force")
    assert code == 0 and "Wrote" in err and zipfile.is_zipfile(path)


def test_demo_does_not_overwrite_without_force(capsys, tmp_path):
    path = tmp_path / "mine.xlsx"
    path.write_bytes(b"my own work")
    code, out, err = run(capsys, "demo", "--out", str(path))
    assert code == cli.EXIT_EXISTS
    assert_one_line_error(err)
    assert "--force" in err and out == ""  # refused before computing anything
    assert path.read_bytes() == b"my own work"
    code, _, _ = run(capsys, "demo", "--out", str(path), "--force")
    assert code == 0 and zipfile.is_zipfile(path)


def test_demo_inputs_reach_the_workbook(capsys, tmp_path):
    path = tmp_path / "b.xlsx"
    code, _, err = run(capsys, "demo", "--out", str(path), "--years", "7", "--trade-size", "250000",
                       "--impact-model", "morningstar")
    assert code == 0, err
    ws = openpyxl.load_workbook(path)[SHEETS["total"]]
    assert (ws["B5"].value, ws["B6"].value, ws["B8"].value) == (250000, 7, "morningstar")


def test_template_writes_and_refuses_to_overwrite(capsys, tmp_path):
    path = tmp_path / "t.xlsx"
    assert run(capsys, "template", "--out", str(path))[0] == 0
    before = path.read_bytes()
    code, _, err = run(capsys, "template", "--out", str(path))
    assert code == cli.EXIT_EXISTS and path.read_bytes() == before
    assert_one_line_error(err)


@pytest.mark.parametrize("host, spelled", [("classic", "=ETF_HOLDING_COST("),
                                          ("lite", "=_xldudf_ETF_HOLDING_COST("),
                                          ("server", "=_xldudf_XLWINGS_ETF_HOLDING_COST(")])
def test_template_for_each_host_spells_the_functions_as_it_binds_them(capsys, tmp_path, host, spelled):
    path = tmp_path / f"{host}.xlsx"
    code, _, err = run(capsys, "template", "--host", host, "--out", str(path))
    assert code == 0, err
    ws = openpyxl.load_workbook(path)[SHEETS["comparison"]]
    assert ws["C6"].value.startswith(spelled)


def test_template_with_the_namespace_of_a_development_server(capsys, tmp_path):
    path = tmp_path / "dev.xlsx"
    code, _, err = run(capsys, "template", "--host", "server", "--namespace", "xlwings_dev", "--out", str(path))
    assert code == 0 and "XLWINGS_DEV" in err
    assert openpyxl.load_workbook(path)[SHEETS["comparison"]]["C6"].value.startswith(
        "=_xldudf_XLWINGS_DEV_ETF_HOLDING_COST(")


@pytest.mark.parametrize("args, needle", [
    (["--host", "web"], "--host: must be one of classic, lite, server"),
    (["--host", "server", "--namespace", "no spaces"], "--namespace: 'no spaces' is not a namespace"),
    (["--host", "lite", "--namespace", "XLWINGS"], "--namespace goes with --host server"),
])
def test_template_bad_host_or_namespace_is_a_usage_error(capsys, tmp_path, args, needle):
    path = tmp_path / "book.xlsx"
    code, _, err = run(capsys, "template", *args, "--out", str(path))
    assert code == 2 and needle in err and len(err.strip().splitlines()) == 1
    assert not path.exists()


@pytest.mark.parametrize("command", ["template", "demo"])
def test_a_workbook_with_another_extension_is_refused(capsys, tmp_path, command):
    path = tmp_path / "t.csv"
    code, _, err = run(capsys, command, "--out", str(path))
    assert code == 2 and ".xlsx" in err
    assert not path.exists()


def test_unwritable_output_is_code_4(capsys, tmp_path):
    code, _, err = run(capsys, "template", "--out", str(tmp_path / "no" / "such" / "dir.xlsx"))
    assert code == cli.EXIT_WRITE
    assert_one_line_error(err)


# ----------------------------------------------------------------------------------------
# analyze
# ----------------------------------------------------------------------------------------

def test_analyze_prints_the_figures(capsys, one_fund):
    code, out, err = run(capsys, "analyze", str(one_fund))
    assert code == 0, err
    for label in ("Estimated holding cost (EHC)", "Tracking error (noise-robust)",
                  "Market impact cost (MIC)", "2022-01-03", "2024-12-31"):
        assert label in out


def test_analyze_json_equals_the_python_results(capsys, one_fund, universe):
    code, out, err = run(capsys, "analyze", str(one_fund), "--format", "json")
    assert code == 0, err
    got = json.loads(out)["figures"]
    ema = universe[universe.fund == "SYN-EMA"]
    dates = pd.DatetimeIndex(ema.date)
    s = tracking_stats(ema.nav.to_numpy(), ema["index"].to_numpy(), dates)
    assert got["holding_cost"] == pytest.approx(s.holding_cost, rel=1e-12)
    assert got["tracking_error"] == pytest.approx(s.tracking_error, rel=1e-12)
    assert got["rolling_td_median"] == pytest.approx(s.rolling_td_median, rel=1e-12)
    assert got["market_impact"] == pytest.approx(
        market_impact(ema.price.to_numpy(), ema.nav.to_numpy(), ema.volume.to_numpy(), dates), rel=1e-12)
    assert got["n_obs"] == 781 and got["start"] == "2022-01-03"


def test_analyze_writes_csv_and_json_files(capsys, one_fund, tmp_path):
    out_csv = tmp_path / "f.csv"
    assert run(capsys, "analyze", str(one_fund), "--out", str(out_csv))[0] == 0
    table = pd.read_csv(out_csv)
    assert list(table.columns) == ["figure", "label", "value"]
    assert "holding_cost" in set(table.figure)
    code, _, err = run(capsys, "analyze", str(one_fund), "--out", str(out_csv))
    assert code == cli.EXIT_EXISTS
    out_json = tmp_path / "f.json"
    assert run(capsys, "analyze", str(one_fund), "--out", str(out_json))[0] == 0
    assert "figures" in json.loads(out_json.read_text())


def test_analyze_with_named_columns_and_no_dates(capsys, tmp_path, universe):
    frame = universe[universe.fund == "SYN-GOLDA"][["nav", "index"]].rename(
        columns={"nav": "My NAV", "index": "Gold"})
    path = tmp_path / "g.csv"
    frame.to_csv(path, index=False)
    code, out, err = run(capsys, "analyze", str(path), "--fund", "My NAV", "--index", "gold",
                         "--format", "json")
    assert code == 0, err
    got = json.loads(out)
    assert got["fund"] == "My NAV" and got["figures"]["periods_per_year"] == 252
    assert "market_impact" not in got["figures"]


@pytest.mark.parametrize("content, needle", [
    (None, "no such file"),
    ("date,index,volume\n2024-01-02,1,1\n", "no fund levels column"),
    ("date,price\n2024-01-02,1\n", "no index levels column (looked for index, benchmark, index level, index close, "
                                    "benchmark level); name it with --index, or give the index's own file: "
                                    "etf-analytics analyze FUND_FILE INDEX_FILE; columns: date, price"),
    ("date,nav,index\n2024-01-02,1,1\n2024-01-03,abc,1\n",
     "column 'nav': 1 non-numeric cell ('abc') (for a missing value: empty, NaN, null or NA), first at line 3"),
    ("date,nav,index\n2024-01-02,1,1\nnot a date,1,1\n",
     "column 'date': not a date ('not a date'); give the format with --date-format, e.g. --date-format %d/%m/%Y, "
     "first at line 3"),
    ("date,nav,index\n2024-01-02,1,1\n2024-01-03,1.01,1\n", "returns"),
    ("", "empty: no header and no data rows"),
    ("date,nav,index\n", "no data rows"),
])
def test_analyze_bad_input_is_one_line_with_code_1(capsys, tmp_path, content, needle):
    path = tmp_path / "bad.csv"
    if content is not None:
        path.write_text(content)
    code, _, err = run(capsys, "analyze", str(path))
    assert code == cli.EXIT_DATA
    assert_one_line_error(err)
    assert needle in err


def _levels(n: int) -> list[tuple[str, float, float]]:
    return [(f"{pd.Timestamp('2024-01-02') + pd.offsets.BDay(k):%Y-%m-%d}", 100 + 0.1 * k, 100 + 0.101 * k)
            for k in range(n)]


def _swap(rows: list, i: int) -> list:
    rows = list(rows)
    rows[i], rows[i + 1] = rows[i + 1], rows[i]
    return rows


@pytest.mark.parametrize("rows, needle", [
    # found while reading the file
    ([("2024-01-02", "1", "1"), ("2024-01-03", "x", "1")],
     "column 'Fund NAV': 1 non-numeric cell ('x') (for a missing value: empty, NaN, null or NA), first at line 3"),
    # found by the analytics, said with the file's column and line
    (_swap(_levels(40), 5), "column 'Day': dates in neither ascending nor descending order (2024-01-09 after 2024-01-10), first at line 8"),
    ([*_levels(40)[:10], ("2024-01-15", "-5", "101")],
     "column 'Fund NAV': 1 zero or negative level (-5); levels must be positive, first at line 12"),
    (_levels(5), "column 'Fund NAV': 4 returns on dates both series have"),
    # newest first is put in order, but not a file in neither order
    (_swap(_levels(40)[::-1], 10),
     "column 'Day': dates in neither ascending nor descending order (2024-02-12 after 2024-02-09), first at line 13"),
    ([*_levels(40)[:10], ("2024-01-15", "#N/A", "101")], "column 'Fund NAV': 1 error cell (#N/A), first at line 12"),
])
def test_bad_data_names_the_column_and_the_line(capsys, tmp_path, rows, needle):
    path = tmp_path / "f.csv"
    path.write_text("Day,Fund NAV,Benchmark\n" + "".join(f"{d},{n},{i}\n" for d, n, i in rows))
    code, _, err = run(capsys, "analyze", str(path), "--fund", "Fund NAV", "--dates", "day")
    assert code == cli.EXIT_DATA
    assert_one_line_error(err)
    assert f"etf-analytics: error: {path}: {needle}" in err


def test_a_bad_option_value_names_the_option(capsys, one_fund):
    code, _, err = run(capsys, "analyze", str(one_fund), "--window", "3")
    assert code == cli.EXIT_DATA
    assert_one_line_error(err)
    assert "error: --window: must be a whole number from 12 to 1000000000, got 3" in err


# ----------------------------------------------------------------------------------------
# a bug is not bad data
# ----------------------------------------------------------------------------------------

@pytest.fixture
def bug(monkeypatch):
    """An exception from inside the package that says nothing about the input."""
    def broken(*args, **kwargs):
        raise ValueError("operands could not be broadcast together\nshapes (3,) (4,)")

    monkeypatch.setattr("xlwings_udfs.analytics.tracking_stats", broken)
    monkeypatch.delenv("ETF_ANALYTICS_TRACEBACK", raising=False)


@pytest.mark.parametrize("command", ["analyze", "universe"])
def test_an_unexpected_exception_is_an_internal_error(capsys, bug, one_fund, panel, command):
    code, out, err = run(capsys, command, str(one_fund if command == "analyze" else panel))
    assert code == cli.EXIT_INTERNAL != cli.EXIT_DATA
    assert_one_line_error(err)
    assert "internal error, a bug" in err and "ValueError: operands could not be broadcast together" in err
    assert "ETF_ANALYTICS_TRACEBACK=1" in err and out == ""


def test_the_traceback_of_an_internal_error_on_request(capsys, bug, one_fund, monkeypatch):
    monkeypatch.setenv("ETF_ANALYTICS_TRACEBACK", "1")
    with pytest.raises(ValueError, match="broadcast"):
        cli.main(["analyze", str(one_fund)])


def test_the_console_script_reports_a_bug_with_exit_code_5():
    script = ("import sys, xlwings_udfs.analytics as a\n"
              "def broken(*args, **kwargs): raise KeyError('fund')\n"
              "a.tracking_stats = broken\n"
              "from xlwings_udfs.cli import main\n"
              "sys.exit(main(sys.argv[1:]))\n")
    sample = Path(__file__).resolve().parents[1] / "xlwings_udfs" / "data" / "sample_universe.csv"
    env = {k: v for k, v in os.environ.items() if k != "ETF_ANALYTICS_TRACEBACK"}
    proc = subprocess.run([sys.executable, "-c", script, "universe", str(sample)],
                          capture_output=True, text=True, env=env)
    assert proc.returncode == cli.EXIT_INTERNAL == 5
    assert proc.stderr.strip() == ("etf-analytics: error: internal error, a bug in etf-analytics: "
                                   "unexpected KeyError: 'fund' (run again with "
                                   "ETF_ANALYTICS_TRACEBACK=1 to see the traceback, and report it)")


# ----------------------------------------------------------------------------------------
# universe
# ----------------------------------------------------------------------------------------

def test_universe_csv_has_one_row_per_fund_with_a_note_for_failures(capsys, panel, tmp_path):
    out = tmp_path / "u.csv"
    code, _, err = run(capsys, "universe", str(panel), "--out", str(out))
    assert code == 0, err
    table = pd.read_csv(out, keep_default_na=False, na_values=[""])
    # Names a spreadsheet would run as formulas are written with a leading apostrophe.
    assert list(table.fund) == ["SYN-SP500A", "'" + NASTY[0], "'" + NASTY[1], "TOO-SHORT"]
    short = table.set_index("fund").loc["TOO-SHORT"]
    assert pd.isna(short.holding_cost) and "returns" in short.note
    assert table.holding_cost.notna().sum() == 3
    assert "1 without figures" in err


def test_universe_xlsx_writes_fund_names_as_text(capsys, panel, tmp_path):
    out = tmp_path / "u.xlsx"
    code, _, err = run(capsys, "universe", str(panel), "--out", str(out))
    assert code == 0, err
    ws = openpyxl.load_workbook(out).active
    names = [ws.cell(r, 1) for r in range(2, 6)]
    assert [c.value for c in names] == ["SYN-SP500A", NASTY[0], NASTY[1], "TOO-SHORT"]
    assert all(c.data_type == "s" for c in names)
    with zipfile.ZipFile(out) as z:
        assert "<f>" not in z.read("xl/worksheets/sheet1.xml").decode()


def test_universe_prints_a_summary_without_out(capsys, panel):
    code, out, err = run(capsys, "universe", str(panel))
    assert code == 0
    assert "SYN-SP500A" in out and "EHC" in out and "TOO-SHORT" in err


@pytest.fixture
def many_funds(tmp_path, universe) -> Path:
    """Enough funds for a progress bar: one sample fund's first year under many names."""
    year = universe[universe.fund == "SYN-EMA"].head(260)
    path = tmp_path / "many.csv"
    pd.concat([year.assign(fund=f"F{k:02d}") for k in range(cli.PROGRESS_FROM)]).to_csv(path, index=False)
    return path


def test_universe_progress_bar_on_a_terminal(capsys, many_funds, tmp_path, monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    code, _, err = run(capsys, "universe", str(many_funds), "--out", str(tmp_path / "p.csv"))
    assert code == 0, err
    assert "Funds" in err and f"/{cli.PROGRESS_FROM}" in err
    assert len(pd.read_csv(tmp_path / "p.csv")) == cli.PROGRESS_FROM
    code, _, err = run(capsys, "universe", str(many_funds), "--out", str(tmp_path / "q.csv"),
                       "--no-progress")
    assert code == 0 and "Funds" not in err


def test_universe_failed_write_keeps_the_original(capsys, panel, tmp_path, monkeypatch):
    out = tmp_path / "u.xlsx"
    out.write_bytes(b"last week's results")

    def disk_full(workbook):
        Path(workbook.filename).write_bytes(b"partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(xlsxwriter.Workbook, "close", disk_full)
    code, _, err = run(capsys, "universe", str(panel), "--out", str(out), "--force")
    assert code == cli.EXIT_WRITE
    assert_one_line_error(err)
    assert "No space left on device" in err
    assert out.read_bytes() == b"last week's results"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["panel.csv", "u.xlsx"]


def test_universe_with_no_analysable_fund_is_code_1(capsys, tmp_path, universe):
    path = tmp_path / "short.csv"
    universe.groupby("fund").head(4).to_csv(path, index=False)
    code, _, err = run(capsys, "universe", str(path), "--out", str(tmp_path / "x.csv"))
    assert code == cli.EXIT_DATA
    assert_one_line_error(err)
    assert "no fund could be analysed" in err
    assert not (tmp_path / "x.csv").exists()


@pytest.mark.parametrize("args, needle", [
    (["--trade-size", "5"], "--commission: 10 a trade is not less than the trade size (5)"),
    (["--years", "0.001"], "--years: 0.001 years is shorter than a day"),
    (["--half-spread", "0.6"], "--half-spread: 0.6 is implausibly large"),
])
def test_demo_with_impossible_inputs_is_one_line_with_code_1(capsys, tmp_path, args, needle):
    code, out, err = run(capsys, "demo", *args, "--out", str(tmp_path / "x.xlsx"))
    assert code == cli.EXIT_DATA
    assert_one_line_error(err)
    assert needle in err and out == "" and not (tmp_path / "x.xlsx").exists()
