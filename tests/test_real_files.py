"""SPY against the S&P 500 from files written the way real exports are, read by the command
line and, for the same cells, by the Excel functions: the same figures, or the same message
at the same position.

The files (``tests/data``, with their license notices in ``tests/data/LICENSES``):

* ``spy_daily_2008_2017.csv.gz``: a Yahoo Finance export of SPY, ``Date,Open,High,Low,Close,
  Adj Close,Volume``, ISO dates, oldest first, 2007-12-31 to 2017-12-29 (2519 days);
* ``sp500_index_daily_1999_2018.csv.gz``: the same export of the S&P 500 price index,
  dates written M/D/YYYY (``1/4/1999``), 1999 to 2018: every SPY date is among its dates.

From these the tests write what other users' exports look like: newest first; European
(``;``, decimal commas, thousands points, dd/mm/yyyy dates, a cp1252 header); an .xlsx with
real date cells; month-end and month-start series with dd/mm/yyyy dates. Every figure is
checked against ``tracking_stats`` on the same data as the package ships it
(``load_spy_sp500``) and stated:

* daily, Adj Close (distributions reinvested) against the price index: EHC +2.09% a year,
  the distribution yield (with the note that a total-return series is being compared with
  a price index); Close against the price index: EHC -0.01% a year; 2518 returns, 252 a year;
* month-end Close, dd/mm/yyyy: EHC -0.023% a year, 120 returns, 12 a year;
* month-start Close from January 2008, dd/mm/yyyy: no day is above 12, so the dates alone
  cannot say which number is the day: an error naming --date-format (in Excel: enter dates
  or ISO text); with --date-format %d/%m/%Y, EHC -0.028% a year, 119 returns, 12 a year.
  The former reading of ``universe`` (pandas' mixed parsing, then sorting) took
  ``01/02/2008`` as 2 January, and gave 252 periods a year and an EHC of -0.67%, with
  exit code 0.
"""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from strategies import CLASSIC, OFFICE_JS, outcome, to_serial
from xlwings_udfs import cli, excel
from xlwings_udfs import functions as F
from xlwings_udfs.analytics import tracking_stats
from xlwings_udfs.data import load_spy_sp500

DATA = Path(__file__).resolve().parent / "data"
DECLARE = "give the format with --date-format, e.g. --date-format %d/%m/%Y"

pytestmark = pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")


@pytest.fixture(autouse=True)
def _fresh_cache():
    excel.cache.clear()
    yield


def run(capsys, *args) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def figures(capsys, *args) -> dict:
    code, out, err = run(capsys, "analyze", *args, "--format", "json")
    assert code == 0, err
    return json.loads(out)


def text_of(name: str) -> str:
    with gzip.open(DATA / name, "rt", encoding="utf-8") as f:
        return f.read()


@pytest.fixture(scope="module")
def shipped():
    """SPY and the price index as the package ships them: the reference for every figure."""
    return load_spy_sp500()


@pytest.fixture(scope="module")
def truth(shipped):
    return {"adj": tracking_stats(shipped["spy_adj_close"], shipped["sp500_close"]),
            "close": tracking_stats(shipped["spy_close"], shipped["sp500_close"])}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The exports, as files."""
    folder = tmp_path_factory.mktemp("exports")
    spy, gspc = text_of("spy_daily_2008_2017.csv.gz"), text_of("sp500_index_daily_1999_2018.csv.gz")
    out = {"spy": folder / "SPY.csv", "gspc": folder / "GSPC.csv", "newest": folder / "SPY_newest.csv",
           "europe": folder / "SPY_de.csv", "xlsx": folder / "SPY.xlsx"}
    out["spy"].write_text(spy, encoding="utf-8")
    out["gspc"].write_text(gspc, encoding="utf-8")
    head, *rows = spy.strip("\n").split("\n")
    out["newest"].write_text("\n".join([head, *rows[::-1]]) + "\n", encoding="utf-8")

    # European: ; between fields, decimal commas, volumes grouped by points, dd/mm/yyyy,
    # German column names (Eröffnung is not UTF-8 in cp1252), CRLF line ends
    frame = pd.read_csv(out["spy"], dtype=str)
    lines = ["Datum;Eröffnung;Hoch;Tief;Schluss;Adj Close;Volumen"]
    for r in frame.itertuples(index=False):
        y, m, d = r.Date.split("-")
        prices = [v.replace(".", ",") for v in (r.Open, r.High, r.Low, r.Close, r._5)]
        lines.append(";".join([f"{d}/{m}/{y}", *prices, f"{int(r.Volume):,}".replace(",", ".")]))
    out["europe"].write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))

    # an .xlsx saved with real date cells, on a sheet named after the fund
    typed = pd.read_csv(out["spy"], parse_dates=["Date"])
    with pd.ExcelWriter(out["xlsx"], engine="openpyxl") as book:
        pd.DataFrame({"note": ["prices"]}).to_excel(book, sheet_name="About", index=False)
        typed.to_excel(book, sheet_name="SPY", index=False)
    return out


def check(got: dict, want) -> None:
    """The figures of a file equal ``tracking_stats`` on the data as shipped."""
    f = got["figures"]
    for key in ("holding_cost", "tracking_error", "tracking_error_traditional", "tracking_difference", "beta"):
        assert f[key] == pytest.approx(getattr(want, key), rel=1e-9, abs=1e-12), key
    assert (f["n_obs"], f["periods_per_year"], f["n_skipped"]) == (want.n_obs, want.periods_per_year, want.n_skipped)
    assert (f["start"], f["end"]) == (f"{want.start:%Y-%m-%d}", f"{want.end:%Y-%m-%d}")


# ----------------------------------------------------------------------------------------
# daily: the fund's export and the index's, put together on their dates
# ----------------------------------------------------------------------------------------

def test_a_yahoo_export_against_the_index_export(capsys, files, truth):
    got = figures(capsys, files["spy"], files["gspc"])
    # Adj Close before Close, in each file; the index's M/D/YYYY dates read as such (a
    # second number above 12 settles the order), and its 1999-2007 and 2018 dates lie
    # outside the fund's
    assert (got["fund"], got["index"], got["index_file"]) == ("Adj Close", "Adj Close", str(files["gspc"]))
    check(got, truth["adj"])
    f = got["figures"]
    assert f["holding_cost"] == pytest.approx(0.02087, abs=5e-5)   # the distribution yield
    assert (f["n_obs"], f["periods_per_year"], f["n_skipped"]) == (2518, 252, 0)
    assert any("total-return series" in n for n in got["notes"])
    # the export has no NAV: no market impact, and a note says why
    assert "market_impact" not in f and any("no market impact" in n for n in got["notes"])


def test_the_close_against_the_index(capsys, files, truth):
    got = figures(capsys, files["spy"], files["gspc"], "--fund", "close")
    check(got, truth["close"])
    assert got["figures"]["holding_cost"] == pytest.approx(-0.000174, abs=5e-6)
    assert not any("total-return series" in n for n in got["notes"])


@pytest.mark.parametrize("export", ["newest", "europe", "xlsx"])
def test_other_exports_of_the_same_data_give_the_same_figures(capsys, files, truth, export):
    args = [files[export], files["gspc"]] + (["--sheet", "spy"] if export == "xlsx" else [])
    check(figures(capsys, *args), truth["adj"])
    check(figures(capsys, *args, "--fund", "Schluss" if export == "europe" else "Close"), truth["close"])


def test_the_table_names_both_files(capsys, files):
    code, out, err = run(capsys, "analyze", files["europe"], files["gspc"])
    assert code == 0, err
    assert "SPY_de.csv: Adj Close against GSPC.csv: Adj Close" in out and "2.09%" in out


def test_a_file_without_dates_cannot_be_put_with_another(capsys, files, tmp_path):
    nodates = tmp_path / "levels.csv"
    nodates.write_text("Close\n" + "\n".join(str(100 + k) for k in range(50)) + "\n")
    code, _, err = run(capsys, "analyze", nodates, files["gspc"])
    assert code == cli.EXIT_DATA and len(err.strip().splitlines()) == 1
    assert (f"{nodates}: no date column (looked for date, dates, datum, fecha, day, trade date...); two files are "
            f"put together on their dates; name it with --dates; columns: Close") in err


# ----------------------------------------------------------------------------------------
# monthly, dd/mm/yyyy: the column settles the order, or the user declares it
# ----------------------------------------------------------------------------------------

def _monthly(shipped, which: str) -> pd.DataFrame:
    groups = shipped.groupby(shipped.index.to_period("M"))
    data = groups.tail(1) if which == "end" else groups.head(1).loc["2008-01-01":]
    return data


def _write_monthly(path: Path, data: pd.DataFrame, fmt: str = "%d/%m/%Y") -> Path:
    pd.DataFrame({"Date": data.index.strftime(fmt), "Close": data["spy_close"].to_numpy(),
                  "Index": data["sp500_close"].to_numpy()}).to_csv(path, index=False)
    return path


def test_month_ends_written_dd_mm_yyyy(capsys, shipped, tmp_path):
    data = _monthly(shipped, "end")
    got = figures(capsys, _write_monthly(tmp_path / "m.csv", data))
    want = tracking_stats(data["spy_close"], data["sp500_close"])
    check(got, want)
    f = got["figures"]
    # read month first, the same file gives an EHC of -3.33%
    assert f["holding_cost"] == pytest.approx(-0.000092, abs=5e-6)
    assert (f["n_obs"], f["periods_per_year"]) == (120, 12)
    # the price's quarterly sawtooth (SPY pays its dividends out each quarter, the index's
    # constituents through the year) is a pattern the tracking model has no term for
    assert any("does not fit these data" in n for n in got["notes"])


def test_month_starts_written_dd_mm_yyyy_need_their_format(capsys, shipped, tmp_path):
    data = _monthly(shipped, "start")
    path = _write_monthly(tmp_path / "m.csv", data)
    code, out, err = run(capsys, "analyze", path)
    assert code == cli.EXIT_DATA and out == ""
    assert err.strip() == (f"etf-analytics: error: {path}: column 'Date': '02/01/2008' could be day/month or "
                           f"month/day and no date in the column settles it; {DECLARE}, first at line 2")
    want = tracking_stats(data["spy_close"], data["sp500_close"])
    for fmt in ("%d/%m/%Y", "DD/MM/YYYY"):
        got = figures(capsys, path, "--date-format", fmt)
        check(got, want)
    assert got["figures"]["holding_cost"] == pytest.approx(-0.000185, abs=5e-6)
    assert (got["figures"]["n_obs"], got["figures"]["periods_per_year"]) == (119, 12)
    # the same dates written month first, declared as such
    check(figures(capsys, _write_monthly(tmp_path / "us.csv", data, "%m/%d/%Y"), "--date-format", "%m/%d/%Y"),
          want)


def test_universe_reads_month_starts_as_analyze_does(capsys, shipped, tmp_path):
    """universe used to read 01/02/2008 as 2 January and sort: 252 periods a year, an EHC of
    -0.67%, exit code 0."""
    data = _monthly(shipped, "start")
    frame = pd.read_csv(_write_monthly(tmp_path / "m.csv", data), dtype=str)
    panel = tmp_path / "panel.csv"
    frame.rename(columns={"Close": "nav"}).assign(fund="SPY").to_csv(panel, index=False)
    code, _, err = run(capsys, "universe", panel, "--out", tmp_path / "u.csv")
    assert code == cli.EXIT_DATA and "could be day/month or month/day" in err and "--date-format" in err
    code, _, err = run(capsys, "universe", panel, "--out", tmp_path / "u.csv", "--date-format", "%d/%m/%Y")
    assert code == 0, err
    row = pd.read_csv(tmp_path / "u.csv").iloc[0]
    assert row["periods_per_year"] == 12 and row["n_obs"] == 119
    assert row["holding_cost"] == pytest.approx(tracking_stats(data["spy_close"], data["sp500_close"]).holding_cost,
                                                rel=1e-9)


# ----------------------------------------------------------------------------------------
# bad values: named with their column and line
# ----------------------------------------------------------------------------------------

def _edit(path: Path, line: int, column: int, value: str, out: Path) -> Path:
    lines = path.read_text().split("\n")
    fields = lines[line - 1].split(",")
    fields[column] = value
    lines[line - 1] = ",".join(fields)
    out.write_text("\n".join(lines))
    return out


def test_na_in_a_number_column_is_an_error_naming_column_and_line(capsys, files, tmp_path):
    path = _edit(files["spy"], 69, 5, "#N/A", tmp_path / "na.csv")
    code, _, err = run(capsys, "analyze", path, files["gspc"])
    assert code == cli.EXIT_DATA
    assert err.strip() == f"etf-analytics: error: {path}: column 'Adj Close': 1 error cell (#N/A), first at line 69"


@pytest.mark.parametrize("word", ["", "null", "NaN", "NA"])
def test_a_missing_value_skips_its_date(capsys, files, tmp_path, truth, word):
    got = figures(capsys, _edit(files["spy"], 69, 5, word, tmp_path / "gap.csv"), files["gspc"])["figures"]
    assert (got["n_obs"], got["n_skipped"]) == (2517, 1)
    assert got["holding_cost"] == pytest.approx(truth["adj"].holding_cost, abs=2e-4)


def test_dates_in_neither_order_are_an_error(capsys, files, tmp_path):
    lines = files["spy"].read_text().split("\n")
    lines[100], lines[101] = lines[101], lines[100]   # lines 101 and 102 of the file
    path = tmp_path / "swapped.csv"
    path.write_text("\n".join(lines))
    code, _, err = run(capsys, "analyze", path, files["gspc"])
    assert code == cli.EXIT_DATA
    assert err.strip() == (f"etf-analytics: error: {path}: column 'Date': dates in neither ascending nor "
                           f"descending order (2008-05-22 after 2008-05-23), first at line 102")


# ----------------------------------------------------------------------------------------
# the same cells through the Excel functions
# ----------------------------------------------------------------------------------------

def _selection(values, header: str) -> list[list]:
    return [[header]] + [[None if isinstance(v, float) and np.isnan(v) else v] for v in values]


def _ehc(host, fund, index, dates):
    return outcome(F.ETF_HOLDING_COST, (fund, index, dates), host)


@pytest.mark.parametrize("host", [CLASSIC, OFFICE_JS])
def test_excel_reads_dd_mm_yyyy_text_as_the_command_line_does(capsys, shipped, tmp_path, host):
    ends, starts = _monthly(shipped, "end"), _monthly(shipped, "start")
    out = _ehc(host, _selection(ends["spy_close"], "Close"), _selection(ends["sp500_close"], "Index"),
               _selection(list(ends.index.strftime("%d/%m/%Y")), "Date"))
    cli_figure = figures(capsys, _write_monthly(tmp_path / "m.csv", ends))["figures"]["holding_cost"]
    assert out.ok and out.value == pytest.approx(cli_figure, rel=1e-12)
    out = _ehc(host, _selection(starts["spy_close"], "Close"), _selection(starts["sp500_close"], "Index"),
               _selection(list(starts.index.strftime("%d/%m/%Y")), "Date"))
    assert out.error == ("dates: '02/01/2008' could be day/month or month/day and no date in the column settles "
                         "it; enter dates, or text as yyyy-mm-dd, first at row 2")


@pytest.mark.parametrize("host", [CLASSIC, OFFICE_JS])
def test_excel_gives_the_figures_and_the_messages_of_the_files(capsys, files, shipped, truth, host):
    """The SPY sheet as Excel holds it (header in row 1, as the file's line 1), against the
    index on the same rows: the figures of the files, and each bad cell named at the row the
    command line names as a line."""
    days = shipped.index
    dates = [to_serial(d.to_pydatetime()) if host == OFFICE_JS else d.to_pydatetime() for d in days]
    fund, index = list(shipped["spy_adj_close"]), list(shipped["sp500_close"])
    out = _ehc(host, _selection(fund, "Adj Close"), _selection(index, "Index"), _selection(dates, "Date"))
    assert out.ok and out.value == pytest.approx(truth["adj"].holding_cost, rel=1e-9)
    # newest first
    out = _ehc(host, _selection(fund[::-1], "Adj Close"), _selection(index[::-1], "Index"),
               _selection(dates[::-1], "Date"))
    assert out.value == pytest.approx(truth["adj"].holding_cost, rel=1e-9)
    # #N/A on row 69, as on line 69 of the file
    bad = list(fund)
    bad[67] = "#N/A"
    out = _ehc(host, _selection(bad, "Adj Close"), _selection(index, "Index"), _selection(dates, "Date"))
    assert out.error == "fund: 1 error cell (#N/A), first at row 69"
    # a blank cell skips its date, as an empty field does
    gap = list(fund)
    gap[67] = None
    out = _ehc(host, _selection(gap, "Adj Close"), _selection(index, "Index"), _selection(dates, "Date"))
    assert out.value == pytest.approx(figures(capsys, _edit(files["spy"], 69, 5, "", files["spy"].with_name(
        f"gap_{host}.csv")), files["gspc"])["figures"]["holding_cost"], rel=1e-9)
    # dates in neither order: rows 101 and 102, as lines 101 and 102
    swapped = list(dates)
    swapped[99], swapped[100] = swapped[100], swapped[99]
    out = _ehc(host, _selection(fund, "Adj Close"), _selection(index, "Index"), _selection(swapped, "Date"))
    assert out.error == ("dates: dates in neither ascending nor descending order (2008-05-22 after 2008-05-23), "
                         "first at row 102")
