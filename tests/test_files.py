"""Input files of the command line: how a file is read (delimiter, encoding, decimal mark,
blank lines, rows that do not fit, xlsx cells), which column is what, and the position every
message gives. The figures on real exports are in test_real_files.py.
"""
from __future__ import annotations

import codecs
import json
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from xlwings_udfs import cli
from xlwings_udfs.cli.files import read_table
from xlwings_udfs.cli.table import key
from xlwings_udfs.data import load_sample_universe

pytestmark = pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")


def run(capsys, *args) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def figures(capsys, *args) -> dict:
    code, out, err = run(capsys, "analyze", *args, "--format", "json")
    assert code == 0, err
    return json.loads(out)


@pytest.fixture(scope="module")
def ema() -> pd.DataFrame:
    """One sample fund: date, nav, index, price, volume (782 business days)."""
    u = load_sample_universe()
    return u[u.fund == "SYN-EMA"].drop(columns="fund").reset_index(drop=True)


@pytest.fixture(scope="module")
def reference(tmp_path_factory, ema) -> dict:
    """The fund's figures from a plain CSV: what every other way of writing it must give."""
    path = tmp_path_factory.mktemp("ref") / "ema.csv"
    ema.assign(date=ema.date.dt.strftime("%Y-%m-%d")).to_csv(path, index=False)
    code = cli.main(["analyze", str(path), "--format", "json", "--out", str(path.with_suffix(".json"))])
    assert code == 0
    return json.loads(path.with_suffix(".json").read_text())["figures"]


def same_figures(got: dict, want: dict) -> None:
    for k in ("holding_cost", "tracking_error", "market_impact", "n_obs", "n_skipped", "start", "end"):
        assert got[k] == pytest.approx(want[k], rel=1e-12) if isinstance(want[k], float) else got[k] == want[k], k


def _text(ema: pd.DataFrame, sep: str = ",", decimal: str = ".", date_format: str = "%Y-%m-%d") -> str:
    return ema.assign(date=ema.date.dt.strftime(date_format)).to_csv(
        index=False, sep=sep, decimal=decimal, lineterminator="\n", float_format="%.10f")


# ----------------------------------------------------------------------------------------
# text files: delimiter, encoding, decimal mark
# ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("sep, decimal, encoding", [
    (",", ".", "utf-8"), (";", ",", "cp1252"), ("\t", ".", "utf-16"), ("|", ".", "utf-8-sig"),
    (";", ".", "utf-8"), ("\t", ",", "latin-1"),
])
def test_delimiter_decimal_mark_and_encoding_found_from_the_file(capsys, tmp_path, ema, reference, sep, decimal,
                                                                  encoding):
    path = tmp_path / "f.csv"
    text = _text(ema, sep, decimal).replace("nav", "NAV (€)" if encoding != "latin-1" else "NAV (£)", 1)
    path.write_bytes(text.encode(encoding))
    got = figures(capsys, path)
    assert got["fund"] == ("NAV (€)" if encoding != "latin-1" else "NAV (£)")
    same_figures(got["figures"], reference)


def test_excel_sep_line_and_crlf(capsys, tmp_path, ema, reference):
    path = tmp_path / "f.csv"
    path.write_bytes(("sep=;\r\n" + _text(ema, ";", ",").replace("\n", "\r\n")).encode("cp1252"))
    same_figures(figures(capsys, path)["figures"], reference)
    path.write_text("sep=;\n" + _text(ema, ";", ",").replace("2022-01-05;", "2022-01-05;x", 1))
    # the sep line is line 1, the header line 2: the third row is on line 5
    assert one_line(run(capsys, "analyze", path)[2]).endswith("first at line 5")


def test_thousands_separators_grouped_by_three(capsys, tmp_path, ema, reference):
    for sep, decimal, group in ((",", ".", ","), (";", ",", "."), (";", ",", " ")):
        rows = [f"{d:%Y-%m-%d}{sep}" + sep.join(
            f'"{v:,.10f}"'.replace(",", "_").replace(".", decimal).replace("_", group) for v in r)
            for d, *r in ema[["date", "nav", "index", "price", "volume"]].itertuples(index=False)]
        path = tmp_path / "g.csv"
        path.write_text(sep.join(["date", "nav", "index", "price", "volume"]) + "\n" + "\n".join(rows) + "\n")
        same_figures(figures(capsys, path)["figures"], reference)


@pytest.mark.parametrize("body, needle", [
    ("date;nav;index\n2024-01-02;101.5;1,5\n",
     "numbers written with a decimal point (column 'nav', line 2: '101.5') and with a decimal comma "
     "(column 'index', line 2: '1,5'); give the decimal mark with --decimal"),
    ('date,nav,index\n2024-01-02,"1,234",5\n',
     "'1,234' (column 'nav', line 2) could be 1234 or 1.234, and no number of the file shows which mark is the "
     "decimal one; give it with --decimal . or --decimal ,"),
])
def test_numbers_that_cannot_be_read_for_sure_are_refused(capsys, tmp_path, body, needle):
    path = tmp_path / "f.csv"
    path.write_text(body)
    code, _, err = run(capsys, "analyze", path)
    assert code == cli.EXIT_DATA and one_line(err) == f"etf-analytics: error: {path}: {needle}"


def test_a_declared_decimal_mark_settles_what_the_numbers_cannot(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("date;nav;volume\n2024-01-02;1,234;1.000\n2024-01-03;1,250;2.000\n")
    with pytest.raises(cli.errors.FileProblem, match="could be 1234 or 1.234"):
        read_table(path).numbers("nav", "volume")
    nav, volume = read_table(path, decimal=",").numbers("nav", "volume")
    np.testing.assert_array_equal(nav, [1.234, 1.25])
    np.testing.assert_array_equal(volume, [1000.0, 2000.0])
    nav, volume = read_table(path, decimal=".").numbers("nav", "volume")
    np.testing.assert_array_equal(nav, [1234.0, 1250.0])


def test_blank_lines_are_not_rows_but_are_counted(capsys, tmp_path, ema, reference):
    head, *rows = _text(ema).split("\n")
    rows = [r for r in rows if r]
    text = "\n".join([head, "", *rows[:10], ",,,,", *rows[10:19], "   ", "x" + rows[19][1:], *rows[20:]]) + "\n\n"
    path = tmp_path / "f.csv"
    path.write_text(text.replace("x" + rows[19][1:], rows[19]))
    same_figures(figures(capsys, path)["figures"], reference)
    bad = text.replace("x" + rows[19][1:], rows[19].split(",")[0] + ",abc," + ",".join(rows[19].split(",")[2:]))
    path.write_text(bad)
    # header line 1, blank line 2, rows on lines 3-12, line 13 blank, rows 14-22, line 23 blank: line 24
    assert one_line(run(capsys, "analyze", path)[2]).endswith(
        "column 'nav': 1 non-numeric cell ('abc') (for a missing value: empty, NaN, null or NA), first at line 24")


@pytest.mark.parametrize("row, needle", [
    ("2022-01-05,101,5,3900.1,99.2,1000",
     "line 4 has 6 values where the header (line 1) has 5: they would land in the wrong columns (a decimal comma "
     "in a comma-separated file? quote such numbers, or separate the fields with ;)"),
    ("2022-01-05,101.5,3900.1,99.2", "line 4 has 4 values where the header (line 1) has 5: they would land in "
                                    "the wrong columns"),
])
def test_a_row_that_does_not_fit_the_header_is_refused(capsys, tmp_path, ema, row, needle):
    lines = _text(ema).split("\n")
    lines[3] = row
    path = tmp_path / "f.csv"
    path.write_text("\n".join(lines))
    code, _, err = run(capsys, "analyze", path)
    assert code == cli.EXIT_DATA and one_line(err) == f"etf-analytics: error: {path}: {needle}"


def test_trailing_empty_fields_are_not_values(capsys, tmp_path, ema, reference):
    lines = [ln for ln in _text(ema).split("\n") if ln]
    path = tmp_path / "f.csv"
    for header, rows in ((",,", ",,"), ("", ",,"), (",,", ""), (",,", ",")):
        path.write_text("\n".join([lines[0] + header] + [ln + rows for ln in lines[1:]]) + "\n")
        same_figures(figures(capsys, path)["figures"], reference)


@pytest.mark.parametrize("content, needle", [
    (b"", "empty: no header and no data rows"),
    (b"\n\n  \n", "empty: no header and no data rows"),
    (b"date,nav,index\n", "no data rows"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "an Excel 97-2003 workbook (.xls): save it as .xlsx or CSV"),
    (b"\x00\x01\x02binary", "not a text file (CSV) or an xlsx workbook"),
    (b"PK\x03\x04 not really a zip", "not a readable xlsx workbook"),
])
def test_files_that_cannot_be_read(capsys, tmp_path, content, needle):
    path = tmp_path / "f.csv"
    path.write_bytes(content)
    code, _, err = run(capsys, "analyze", path)
    assert code == cli.EXIT_DATA and needle in one_line(err)


# ----------------------------------------------------------------------------------------
# values: the same rules as cells
# ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, needle", [
    ("#N/A", "column 'nav': 1 error cell (#N/A), first at line 5"),
    ("#DIV/0!", "column 'nav': 1 error cell (#DIV/0!), first at line 5"),
    ("#N/A N/A", "column 'nav': 1 error cell (#N/A), first at line 5"),  # Bloomberg's no-data text
    ("n/a", "column 'nav': 1 non-numeric cell ('n/a') (for a missing value: empty, NaN, null or NA), first at line 5"),
    ("TRUE", "column 'nav': 1 boolean cell (TRUE), first at line 5"),
    ("inf", "column 'nav': 1 non-numeric cell ('inf') (for a missing value: empty, NaN, null or NA), first at line 5"),
    ("0", "column 'nav': 1 zero or negative level (0); levels must be positive, first at line 5"),
])
def test_a_bad_value_is_named_as_in_a_cell(capsys, tmp_path, ema, value, needle):
    frame = ema.assign(date=ema.date.dt.strftime("%Y-%m-%d")).astype({"nav": object})
    frame.loc[3, "nav"] = value
    path = tmp_path / "f.csv"
    frame.to_csv(path, index=False)
    code, _, err = run(capsys, "analyze", path)
    assert code == cli.EXIT_DATA and one_line(err) == f"etf-analytics: error: {path}: {needle}"


@pytest.mark.parametrize("word", ["", "NaN", "nan", "null", "NULL", "NA"])
def test_missing_value_words(capsys, tmp_path, ema, word):
    frame = ema.assign(date=ema.date.dt.strftime("%Y-%m-%d")).astype({"nav": object})
    frame.loc[3, "nav"] = word
    path = tmp_path / "f.csv"
    frame.to_csv(path, index=False)
    assert figures(capsys, path)["figures"]["n_skipped"] == 1


def test_dates_newest_first_and_in_a_settled_layout(capsys, tmp_path, ema, reference):
    path = tmp_path / "f.csv"
    path.write_text(_text(ema.iloc[::-1], date_format="%d.%m.%Y"))
    same_figures(figures(capsys, path)["figures"], reference)


def test_no_fake_dates(capsys, tmp_path, ema, reference):
    """Without dates, the first and last rows are lines of the file, said as such."""
    path = tmp_path / "f.csv"
    ema[["nav", "index"]].to_csv(path, index=False)
    got = figures(capsys, path)["figures"]
    assert (got["start"], got["end"]) == ("line 2 (no dates)", "line 783 (no dates)")
    code, out, _ = run(capsys, "analyze", path)
    assert code == 0 and "line 2 (no dates)" in out and "1.0000" not in out


# ----------------------------------------------------------------------------------------
# xlsx
# ----------------------------------------------------------------------------------------

def _book(path: Path, ema: pd.DataFrame, edit=None, sheet: str = "Fund", start_row: int = 1) -> Path:
    wb = openpyxl.Workbook()
    wb.active.title = "Readme"
    ws = wb.create_sheet(sheet)
    ws.cell(start_row, 2, "Date")
    for j, name in enumerate(["nav", "index", "price", "volume"], start=3):
        ws.cell(start_row, j, name)
    for i, r in enumerate(ema.itertuples(index=False), start=start_row + 1):
        ws.cell(i, 2, r.date.to_pydatetime()).number_format = "yyyy-mm-dd"
        for j, v in enumerate((r.nav, r.index, r.price, float(r.volume)), start=3):
            ws.cell(i, j, v)
    if edit:
        edit(ws)
    wb.save(path)
    return path


def test_xlsx_typed_cells_give_the_figures_of_the_csv(capsys, tmp_path, ema, reference):
    path = _book(tmp_path / "f.xlsx", ema, start_row=3)   # a blank first column and two blank rows above
    same_figures(figures(capsys, path, "--sheet", "fund")["figures"], reference)
    code, _, err = run(capsys, "analyze", path)
    assert code == cli.EXIT_DATA and "f.xlsx (sheet 'Readme'): empty" in one_line(err)
    code, _, err = run(capsys, "analyze", path, "--sheet", "Prices")
    assert one_line(err).endswith("no sheet 'Prices'; sheets: Readme, Fund")


@pytest.mark.parametrize("cell, value, needle", [
    ("C9", "#N/A", "column 'nav': 1 error cell (#N/A), first at row 9"),
    ("C9", "101.5", "column 'nav': 1 non-numeric cell ('101.5'), first at row 9"),   # a number stored as text
    ("C9", True, "column 'nav': 1 boolean cell (TRUE), first at row 9"),
    ("B9", "soon", "column 'Date': not a date ('soon'); give the format with --date-format, e.g. --date-format "
                   "%d/%m/%Y, first at row 9"),
    ("C9", "=C8*1.01", "column 'nav': a formula without a saved value (open the workbook in Excel and save it), "
                       "first at row 9"),
])
def test_xlsx_cells_read_as_the_excel_functions_read_them(capsys, tmp_path, ema, cell, value, needle):
    def edit(ws):
        ws[cell] = value
        if value == "#N/A":
            ws[cell].data_type = "e"

    path = _book(tmp_path / "f.xlsx", ema, edit)
    code, _, err = run(capsys, "analyze", path, "--sheet", "Fund")
    assert code == cli.EXIT_DATA
    assert one_line(err) == f"etf-analytics: error: {path} (sheet 'Fund'): {needle}"


def test_an_xlsx_named_csv_is_read_as_a_workbook(capsys, tmp_path, ema, reference):
    path = _book(tmp_path / "f.csv", ema)
    assert zipfile.is_zipfile(path)
    same_figures(figures(capsys, path, "--sheet", "Fund")["figures"], reference)


# ----------------------------------------------------------------------------------------
# which column is what
# ----------------------------------------------------------------------------------------

def test_names_compared_without_case_or_punctuation():
    assert key("Adj. Close*") == key("adj_close") == key(" ADJ  CLOSE ") == "adj close"
    assert key("NAV (€)") == "nav"


def test_adj_close_before_close_then_nav(capsys, tmp_path, ema):
    frame = ema.assign(date=ema.date.dt.strftime("%Y-%m-%d"), Close=ema.nav * 1.01, **{"Adj_Close": ema.nav})
    path = tmp_path / "f.csv"
    frame[["date", "nav", "Close", "Adj_Close", "index"]].to_csv(path, index=False)
    assert figures(capsys, path)["fund"] == "Adj_Close"
    frame[["date", "nav", "Close", "index"]].to_csv(path, index=False)
    assert figures(capsys, path)["fund"] == "Close"
    frame[["date", "nav", "index", "price", "volume"]].to_csv(path, index=False)
    got = figures(capsys, path)
    assert got["fund"] == "nav" and "market_impact" in got["figures"]  # a NAV: the market impact


def test_a_pandas_index_column_without_a_name_is_the_dates(capsys, tmp_path, ema, reference):
    path = tmp_path / "f.csv"
    ema.set_index("date").to_csv(path)    # header ",nav,index,price,volume"
    same_figures(figures(capsys, path)["figures"], reference)
    ema.to_csv(path)                      # a row number without a name is not a date column
    assert figures(capsys, path)["figures"]["start"] == "2022-01-03"


def test_a_panel_is_for_universe(capsys, tmp_path):
    path = tmp_path / "panel.csv"
    load_sample_universe().to_csv(path, index=False)
    code, _, err = run(capsys, "analyze", path)
    assert code == cli.EXIT_DATA
    assert one_line(err) == (f"etf-analytics: error: {path}: 9 funds in column 'fund' (SYN-SP500A, SYN-SP500B, "
                             f"SYN-EQWT, ...): analyze takes one fund; etf-analytics universe {path} gives each "
                             f"fund's figures")


def test_a_column_named_twice(capsys, tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("date,nav,NAV,index\n2024-01-02,1,1,1\n")
    code, _, err = run(capsys, "analyze", path)
    assert code == cli.EXIT_DATA and "columns 2, 3 are all named 'nav'" in err


def test_read_table_keeps_the_lines_of_its_rows(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text('\ufeffa;b\n\n1;"x\ny"\n2;3\n')
    t = read_table(path)
    assert t.names == ["a", "b"] and list(t.lines) == [3, 5] and t.raw("b") == ["x\ny", "3"]


# ----------------------------------------------------------------------------------------
# universe: the same file rules, and a fund's notes in the file's lines
# ----------------------------------------------------------------------------------------

@pytest.fixture
def panel(tmp_path) -> pd.DataFrame:
    u = load_sample_universe()
    u = u[u.fund.isin(["SYN-SP500A", "SYN-EMA", "SYN-GOLDA"])].copy()
    u["date"] = u.date.dt.strftime("%Y-%m-%d")
    return u.reset_index(drop=True)


def _universe(capsys, tmp_path, frame: pd.DataFrame, *args) -> pd.DataFrame:
    src, out = tmp_path / "panel.csv", tmp_path / "u.csv"
    frame.to_csv(src, index=False)
    code, _, err = run(capsys, "universe", src, "--out", out, "--force", *args)
    assert code == 0, err
    return pd.read_csv(out, keep_default_na=False, na_values=[""]).set_index("fund")


def test_universe_a_funds_note_gives_the_line_of_the_file(capsys, tmp_path, panel):
    bad = panel.astype({"nav": object})
    bad.loc[67, "nav"] = -1.0                     # line 69: the 68th row of the first fund
    got = _universe(capsys, tmp_path, bad)
    assert got.loc["SYN-SP500A", "note"] == ("column 'nav': 1 zero or negative level (-1); levels must be "
                                             "positive, first at line 69")
    assert got.holding_cost.notna().sum() == 2


def test_universe_funds_newest_first_and_in_neither_order(capsys, tmp_path, panel):
    want = _universe(capsys, tmp_path, panel)
    parts = [g for _, g in panel.groupby("fund", sort=False)]
    swapped = parts[2].copy()
    swapped.iloc[[10, 11]] = swapped.iloc[[11, 10]].to_numpy()
    frame = pd.concat([parts[0].iloc[::-1], parts[1], swapped])
    got = _universe(capsys, tmp_path, frame)
    assert got.loc["SYN-SP500A", "holding_cost"] == pytest.approx(want.loc["SYN-SP500A", "holding_cost"], rel=1e-12)
    line = len(parts[0]) + len(parts[1]) + 12 + 1   # the 12th row of the third fund, below the header
    assert got.loc["SYN-GOLDA", "note"] == (f"column 'date': dates in neither ascending nor descending order "
                                            f"(2022-01-17 after 2022-01-18), first at line {line}")


def test_universe_without_dates_gives_lines_not_dates(capsys, tmp_path, panel):
    got = _universe(capsys, tmp_path, panel.drop(columns="date"))
    assert got.loc["SYN-EMA", "start"] == f"line {len(panel[panel.fund == 'SYN-SP500A']) + 2} (no dates)"


def test_universe_reads_xlsx_panels(capsys, tmp_path, panel):
    src, out = tmp_path / "panel.xlsx", tmp_path / "u.csv"
    panel.assign(date=pd.to_datetime(panel.date)).to_excel(src, index=False)
    code, _, err = run(capsys, "universe", src, "--out", out)
    assert code == 0, err
    want = _universe(capsys, tmp_path, panel)
    got = pd.read_csv(out).set_index("fund")
    np.testing.assert_allclose(got.holding_cost, want.holding_cost, rtol=1e-12)


def test_universe_a_bad_value_stops_the_run_with_its_line(capsys, tmp_path, panel):
    bad = panel.astype({"index": object})
    bad.loc[100, "index"] = "#N/A"
    src = tmp_path / "panel.csv"
    bad.to_csv(src, index=False)
    code, _, err = run(capsys, "universe", src, "--out", tmp_path / "u.csv")
    assert code == cli.EXIT_DATA
    assert one_line(err) == f"etf-analytics: error: {src}: column 'index': 1 error cell (#N/A), first at line 102"


# ----------------------------------------------------------------------------------------
# options
# ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("args, needle", [
    (["--date-format", "%d/%m"], "'%d/%m' is not a date format with a day, a month and a year"),
    (["--decimal", ";"], "invalid choice"),
])
def test_bad_file_options_are_usage_errors(capsys, tmp_path, args, needle):
    code, _, err = run(capsys, "analyze", tmp_path / "f.csv", *args)
    assert code == cli.EXIT_USAGE and needle in one_line(err)


def test_utf16_excel_unicode_text(tmp_path, ema):
    """Excel's "Unicode text": UTF-16 with a byte-order mark, tab-separated."""
    path = tmp_path / "f.txt"
    path.write_bytes(codecs.BOM_UTF16_LE + _text(ema, "\t").encode("utf-16-le"))
    t = read_table(path)
    assert t.names == ["date", "nav", "index", "price", "volume"] and len(t) == len(ema)
