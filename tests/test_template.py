"""The template workbook: layout, cached results, the committed copy, and live evaluation.

The cached results are computed by calling the Excel functions; here they are checked
against the analytics layer directly, the committed workbook against a fresh build, and
(slow) the whole workbook is recalculated by the ``formulas`` package with the Python
functions registered, including after changing its inputs.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from cached_values import matches_cached
from xlwings_udfs import functions
from xlwings_udfs.analytics import tracking_stats
from xlwings_udfs.analytics.figures import FIGURES, excel_format
from xlwings_udfs.analytics.cost import total_cost, total_cost_grid
from xlwings_udfs.analytics.impact import market_impact
from xlwings_udfs.data import load_sample_funds, sample_panel
from xlwings_udfs.template import (
    DEFAULT_FILENAME,
    SHEETS,
    WHATIF_SIZES,
    WHATIF_YEARS,
    CostInputs,
    Layout,
    OutputExistsError,
    build_workbook,
    compute_template,
    write_workbook,
)
from xlwings_udfs.template import writer
from xlwings_udfs.template.layout import chart_rows
from xlwings_udfs.template.naming import HOSTS, WORKBOOK_FILES, bare_name
from xlwings_udfs.template.cells import address

WORKBOOKS = Path(__file__).resolve().parents[1] / "workbook"


def rebuild(host: str) -> str:
    return (f"rebuild it: etf-analytics template --host {host} --out workbook/{WORKBOOK_FILES[host]} "
            "--force")
EPOCH = dt.datetime(1899, 12, 30)

pytestmark = pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")


# ----------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------

def _formula_text(v):
    return v.text if hasattr(v, "text") else v


def _serial(v):
    """openpyxl reads date-formatted numbers as datetimes; the cell holds the serial."""
    if isinstance(v, dt.datetime):
        return (v - EPOCH) / dt.timedelta(days=1)
    return v


def _cells(path: Path) -> dict[tuple[str, str], tuple[object, object]]:
    """(sheet, "A1") -> (formula or value as written, cached value) for every non-empty cell."""
    wf = openpyxl.load_workbook(path)
    wv = openpyxl.load_workbook(path, data_only=True)
    out = {}
    for ws in wf.worksheets:
        values = wv[ws.title]
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is None:
                    continue
                out[(ws.title, cell.coordinate)] = (_formula_text(cell.value),
                                                    _serial(values[cell.coordinate].value))
    return out


def _formulas(cells):
    return {k: v for k, v in cells.items() if isinstance(v[0], str) and v[0].startswith("=")}


def _as_classic(formula: str) -> str:
    """A formula with every stored function name read back as the bare ETF_ name."""
    return re.sub(r"_xldudf_[A-Za-z0-9_]+(?=\()", lambda m: bare_name(m.group(0), set(functions.__all__)), formula)


def test_every_call_is_spelled_as_its_host_binds_it(cells, host):
    names = set()
    for formula, _ in _formulas(cells).values():
        names |= set(re.findall(r"(?<![A-Za-z0-9_.])([A-Za-z_][A-Za-z0-9_.]*ETF_[A-Z_]+)\(", formula))
        names |= set(re.findall(r"(?<![A-Za-z0-9_.])(ETF_[A-Z_]+)\(", formula))
    prefix = {"classic": "", "lite": "_xldudf_", "server": "_xldudf_XLWINGS_"}[host]
    assert names and all(n.startswith(prefix + "ETF_") for n in names), sorted(names)[:5]


def _same(a, b, rel=1e-9) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(a, b, rel_tol=rel, abs_tol=1e-15)
    return a == b


def _sample(ticker):
    nav = sample_panel("nav", [ticker])[ticker]
    return nav, sample_panel("index", [ticker])[ticker], sample_panel("price", [ticker])[ticker], \
        sample_panel("volume", [ticker])[ticker]


# ----------------------------------------------------------------------------------------
# fixtures
# ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def book():
    return compute_template()


@pytest.fixture(scope="module", params=HOSTS)
def host(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def built(book, host, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("built") / WORKBOOK_FILES[host]
    write_workbook(book, path, host=host)
    return path


@pytest.fixture(scope="module")
def cells(built):
    return _cells(built)


# ----------------------------------------------------------------------------------------
# layout
# ----------------------------------------------------------------------------------------

def test_sheets_are_in_order_with_the_xlwings_conf_sheet_for_classic_xlwings(built, host):
    wb = openpyxl.load_workbook(built)
    if host == "classic":
        assert wb.sheetnames == list(SHEETS.values())
        conf = wb[SHEETS["conf"]]
        assert (conf["A1"].value, conf["B1"].value) == ("UDF Modules", "xlwings_udfs.functions")
    else:  # the Office.js hosts do not read it
        assert wb.sheetnames == [v for k, v in SHEETS.items() if k != "conf"]
    assert wb.active.title == SHEETS["start"]


def test_defined_names_point_at_the_data_and_the_inputs(built, book):
    wb = openpyxl.load_workbook(built)
    names = {n: wb.defined_names[n].attr_text for n in wb.defined_names}
    n = len(book.data.dates)
    assert names["DATES"] == f"Data!$A$2:$A${1 + n}"
    assert names["NAV_SYN_SP500A"] == f"Data!$B$2:$B${1 + n}"
    assert names["BENCH_SYN_SP500A"] == f"Data!$C$2:$C${1 + n}"
    assert names["VOLUME_SYN_GOLDB"].startswith("Data!$AK$2:")
    for ticker in book.data.tickers:
        key = ticker.replace("-", "_")
        assert {f"NAV_{key}", f"BENCH_{key}", f"PRICE_{key}", f"VOLUME_{key}"} <= set(names)
    for name in ("TRADE_SIZE", "HOLDING_YEARS", "COMMISSION", "IMPACT_MODEL", "HALF_SPREAD"):
        assert names[name].startswith("'Total Cost'!$B$")
    assert names["CHOSEN_FUND"] == "'What-If'!$B$4"
    assert names["FUND_LIST"] == "'Fund Comparison'!$A$6:$A$14"


def test_formulas_call_the_excel_functions_on_named_ranges(cells, host):
    formulas = {k: (_as_classic(f), v) for k, (f, v) in _formulas(cells).items()}
    texts = [f for f, _ in formulas.values()]
    called = set(re.findall(r"\b(ETF_[A-Z_]+)\(", " ".join(texts)))
    assert called <= set(functions.__all__)
    assert {"ETF_HOLDING_COST", "ETF_TRACKING_ERROR", "ETF_TRACKING_ERROR_TRADITIONAL",
            "ETF_BETA", "ETF_R_SQUARED", "ETF_MARKET_IMPACT", "ETF_TOTAL_COST", "ETF_ANALYTICS"} <= called
    for text in texts:
        assert not re.search(r"[A-Za-z_]\[", text), f"structured reference in {text}"
        for m in re.finditer(r"ETF_(HOLDING_COST|TRACKING_ERROR|BETA|R_SQUARED)\(([^)]*)\)", text):
            fund, index, dates = m.group(2).split(",")[:3]
            assert re.fullmatch(r"NAV_\w+", fund) and re.fullmatch(r"BENCH_\w+", index)
            assert dates == "DATES"
    assert formulas[(SHEETS["comparison"], "C6")][0] == "=ETF_HOLDING_COST(NAV_SYN_SP500A,BENCH_SYN_SP500A,DATES)"
    assert formulas[(SHEETS["comparison"], "D6")][0] == \
        '=ETF_ANALYTICS(NAV_SYN_SP500A,BENCH_SYN_SP500A,DATES,,,FALSE,"holding_cost_lower")'
    assert formulas[(SHEETS["comparison"], "O6")][0] == \
        "=ETF_MARKET_IMPACT(PRICE_SYN_SP500A,NAV_SYN_SP500A,VOLUME_SYN_SP500A,DATES)"
    assert formulas[(SHEETS["total"], "D13")][0].startswith(
        "=INDEX(ETF_TOTAL_COST(TRADE_SIZE,HOLDING_YEARS,COMMISSION,'Fund Comparison'!C6,")


def test_every_comparison_figure_is_the_value_of_its_excel_function(cells, built):
    """No cell re-derives a figure from others: one definition per figure, in Python."""
    for (sheet, a1), (formula, _) in _formulas(cells).items():
        if sheet == SHEETS["comparison"]:
            assert re.fullmatch(r"=ETF_[A-Z_]+\([^()]*\)", _as_classic(formula)), f"{a1}: {formula}"
    ws = openpyxl.load_workbook(built)[SHEETS["comparison"]]
    for c, key in enumerate(Layout.COMP_COLS):
        if key in FIGURES:
            assert ws.cell(Layout.COMP_HEADER_ROW + 1, c + 1).value == FIGURES[key].short
            assert ws.cell(Layout.COMP_FIRST + 1, c + 1).number_format == excel_format(FIGURES[key])


def test_no_array_formulas_so_libreoffice_shows_the_cached_values(built):
    # LibreOffice recalculates array formulas on load (and does not know ETF_ functions).
    with zipfile.ZipFile(built) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/sheet"):
                xml = z.read(name).decode()
                assert 't="array"' not in xml, name


def test_every_formula_has_a_cached_value(cells):
    for where, (formula, cached) in _formulas(cells).items():
        assert cached is not None and cached != "", f"{where} {formula} has no cached value"
        assert not (isinstance(cached, str) and cached.startswith("#")), f"{where}: {cached}"


def test_excel_is_not_asked_to_recalculate_on_open(built):
    with zipfile.ZipFile(built) as z:
        xml = z.read("xl/workbook.xml").decode()
    calc = re.search(r"<calcPr[^>]*/>", xml).group(0)
    assert "fullCalcOnLoad" not in calc
    assert 'calcId="191029"' in calc


def test_formats_validation_and_panes(built):
    wb = openpyxl.load_workbook(built)
    comp, total, whatif = wb[SHEETS["comparison"]], wb[SHEETS["total"]], wb[SHEETS["whatif"]]
    assert comp["C6"].number_format == "0.00%"
    assert comp["O6"].number_format == "0.0000%"
    assert "$" in total["D13"].number_format and "(" in total["D13"].number_format
    assert total["E13"].number_format == "0.00%"
    assert comp.freeze_panes == "C6"
    assert wb[SHEETS["data"]].freeze_panes == "B2"
    lists = {str(dv.sqref): dv.formula1 for ws in (total, whatif) for dv in ws.data_validations.dataValidation
             if dv.type == "list"}
    assert lists["B4"] == "FUND_LIST"
    assert lists["B8"] == '"square_root,morningstar"'
    assert comp.conditional_formatting, "costs are coloured by size"
    assert comp.column_dimensions["B"].width > 30


# ----------------------------------------------------------------------------------------
# cached values against the analytics layer
# ----------------------------------------------------------------------------------------

def test_comparison_equals_the_python_results(book):
    frame = book.comparison_frame()
    funds = load_sample_funds()
    for ticker in frame.index:
        nav, index, price, volume = _sample(ticker)
        s = tracking_stats(nav, index, nav.index)
        row = frame.loc[ticker]
        expected = {key: getattr(s, key) for key in frame.columns if hasattr(s, key)}
        expected["market_impact"] = market_impact(price, nav, volume, nav.index)
        expected["expense_ratio"] = funds.loc[ticker, "expense_ratio"]
        assert set(expected) == set(frame.columns) - {"name"}
        for key, value in expected.items():
            assert row[key] == pytest.approx(value, rel=1e-9, abs=1e-15), (ticker, key)


def test_total_cost_and_what_if_equal_the_python_results(book):
    comp, total = book.comparison_frame(), book.total_cost_frame()
    inp = book.inputs
    for ticker in total.index:
        c = comp.loc[ticker]
        tc = total_cost(inp.trade_size, inp.years, inp.commission, c.holding_cost, c.market_impact,
                        c.tracking_error, c.holding_cost_se, inp.impact_model, inp.half_spread)
        row = total.loc[ticker]
        assert [row.dollars, row.annual, row.lower, row.upper] == pytest.approx(
            [tc.dollars, tc.annual, tc.lower, tc.upper], rel=1e-12)
        assert row.beyond_fee == pytest.approx(tc.annual + c.expense_ratio, rel=1e-12)
    c = comp.loc[book.whatif.chosen]
    for value in ("dollars", "annual"):
        grid = total_cost_grid(WHATIF_YEARS, WHATIF_SIZES, inp.commission, c.holding_cost,
                               c.market_impact, c.tracking_error, c.holding_cost_se,
                               inp.impact_model, inp.half_spread, value=value)
        np.testing.assert_allclose(book.whatif_frame(value).to_numpy(float), grid.to_numpy(), rtol=1e-12)


def test_chart_series_is_the_cumulative_tracking_difference(book):
    nav, index, _, _ = _sample(book.whatif.chosen)
    rows = chart_rows(len(nav))
    cum = ((nav / nav.iloc[0]) / (index / index.iloc[0]) - 1).to_numpy()[rows]
    got = [c.value for c in book.chart.columns[4]]
    np.testing.assert_allclose(got, cum, rtol=1e-12, atol=1e-15)
    assert rows[0] == 0 and rows[-1] == len(nav) - 1


# ----------------------------------------------------------------------------------------
# the committed workbook, and writing safely
# ----------------------------------------------------------------------------------------

def test_committed_workbook_matches_the_builder(cells, host, scan_dependent):
    """The committed copy is what the builder writes: every cached value to rounding, or,
    where it depends on the rounding of the single-precision scan (the processor's own), to
    that rounding (cached_values)."""
    committed_path = WORKBOOKS / WORKBOOK_FILES[host]
    assert committed_path.exists(), f"{committed_path} is missing; {rebuild(host)}"
    committed = _cells(committed_path)
    assert committed.keys() == cells.keys(), f"cells differ; {rebuild(host)}"
    for where, (formula, value) in cells.items():
        c_formula, c_value = committed[where]
        assert c_formula == formula or _same(c_formula, formula), f"{where}: formula differs; {rebuild(host)}"
        assert matches_cached(value, c_value, where in scan_dependent), \
            f"{where}: {c_value!r} != {value!r}; {rebuild(host)}"


def test_the_cells_that_move_with_the_scans_precision_are_those_read_off_the_scan(book, scan_dependent):
    """What the committed copies hold to the scan's rounding (cached_values): every fund's
    holding cost standard error and bounds, and none of the model's point estimates or the
    traditional figures."""
    lay, sheet = book.layout, SHEETS["comparison"]
    for j in range(len(book.comparison)):
        for key in ("holding_cost_se", "holding_cost_lower", "holding_cost_upper"):
            assert (sheet, lay.comp(j, key)) in scan_dependent, (j, key)
        for key in ("holding_cost", "tracking_error", "noise_share", "tracking_error_traditional",
                    "rolling_td_median", "beta", "r_squared"):
            assert (sheet, lay.comp(j, key)) not in scan_dependent, (j, key)


def test_committed_names_match_the_builder(built, host):
    a, b = openpyxl.load_workbook(WORKBOOKS / WORKBOOK_FILES[host]), openpyxl.load_workbook(built)
    assert {n: a.defined_names[n].attr_text for n in a.defined_names} == \
        {n: b.defined_names[n].attr_text for n in b.defined_names}, rebuild(host)


def test_whole_columns_of_the_data_sheet_give_the_named_ranges_figures(book):
    """The Data sheet is one header row and the data: B:B works as well as NAV_SYN_SP500A."""
    ws = openpyxl.load_workbook(WORKBOOKS / DEFAULT_FILENAME, data_only=True)[SHEETS["data"]]
    blank_rows = 1_048_576 - ws.max_row

    def whole(col):  # a whole column as a host passes it: header, values, then blank rows
        cells = [[_serial(c.value)] for c in next(ws.iter_cols(min_col=col, max_col=col))]
        return cells + [[None]] * blank_rows

    lay = book.layout
    for j in (0, book.data.tickers.index("SYN-EMA")):
        nav, bench = whole(lay.data_col(j, 0) + 1), whole(lay.data_col(j, 1) + 1)
        got = functions.ETF_HOLDING_COST(nav, bench, whole(1))
        assert got == pytest.approx(book.comparison[j].value("holding_cost"), rel=1e-12)


def test_an_existing_file_is_not_overwritten_without_force(tmp_path):
    path = tmp_path / "book.xlsx"
    path.write_bytes(b"mine")
    with pytest.raises(OutputExistsError):
        build_workbook(path, funds=1, rows=300)
    assert path.read_bytes() == b"mine"
    build_workbook(path, force=True, funds=1, rows=300)
    assert zipfile.is_zipfile(path)


def test_a_failed_write_leaves_the_original_and_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "book.xlsx"
    path.write_bytes(b"mine")
    small = compute_template(funds=1, rows=300)

    def broken(book, tmp, *host):
        Path(tmp).write_bytes(b"half a workbook")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writer, "_write", broken)
    with pytest.raises(OSError):
        write_workbook(small, path, force=True)
    assert path.read_bytes() == b"mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx"]


def test_fund_names_are_written_as_text_never_as_formulas(tmp_path):
    small = compute_template(funds=2, rows=300)
    nasty = ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2", "@SUM(A1)"]
    for row, name in zip(small.comparison, nasty):
        row.fund = dataclasses.replace(row.fund, name=name)
    path = write_workbook(small, tmp_path / "names.xlsx")
    ws = openpyxl.load_workbook(path)[SHEETS["comparison"]]
    for j, name in enumerate(nasty[:2]):
        cell = ws.cell(Layout.COMP_FIRST + 1 + j, 2)
        assert cell.data_type == "s" and cell.value == name


def test_cost_inputs_reach_the_named_cells(tmp_path):
    small = build_workbook(tmp_path / "in.xlsx", funds=2, rows=300,
                           inputs=CostInputs(trade_size=250_000, years=7, commission=4.95,
                                             impact_model="morningstar"))
    ws = openpyxl.load_workbook(tmp_path / "in.xlsx")[SHEETS["total"]]
    assert [ws[f"B{r}"].value for r in range(5, 10)] == [250_000, 7, 4.95, "morningstar", 0]
    assert small.total[0].cells["dollars"].value == pytest.approx(
        total_cost(250_000, 7, 4.95, *(small.comparison[0].value(k) for k in
                                       ("holding_cost", "market_impact", "tracking_error", "holding_cost_se")),
                   impact_model="morningstar").dollars)


# ----------------------------------------------------------------------------------------
# live evaluation with the formulas package (slow: builds a graph of every cell)
# ----------------------------------------------------------------------------------------

_EVALUATIONS: dict = {}


def _evaluation(host: str):
    """The committed copy for ``host`` loaded into ``formulas`` and calculated, once a run."""
    from workbook_eval import Evaluation

    if host not in _EVALUATIONS:
        _EVALUATIONS[host] = Evaluation(WORKBOOKS / WORKBOOK_FILES[host])
    return _EVALUATIONS[host]


@pytest.fixture(scope="module")
def evaluated(host):
    return _evaluation(host)


@pytest.fixture(scope="module")
def evaluated_server():
    """Recalculation after changed inputs is checked on one copy: the cells are the same in
    all three, and the Server's is the one whose function names differ the most."""
    return _evaluation("server")


@pytest.mark.slow
def test_every_formula_recomputes_to_its_cached_value(evaluated, scan_dependent):
    from workbook_eval import is_error

    committed = _formulas(_cells(evaluated.path))
    assert len(committed) > 500
    for (sheet, a1), (formula, cached) in committed.items():
        got = evaluated[(sheet, a1)]
        assert not is_error(got), f"{sheet}!{a1} {formula} -> {got}"
        assert matches_cached(got, cached, (sheet, a1) in scan_dependent), \
            f"{sheet}!{a1} {formula}: {got!r} != cached {cached!r}"


@pytest.mark.slow
def test_recomputed_figures_equal_the_python_results(evaluated, book):
    lay, comp = book.layout, book.comparison_frame()
    sheet = SHEETS["comparison"]
    for j, ticker in enumerate(comp.index):
        nav, index, price, volume = _sample(ticker)
        s = tracking_stats(nav, index, nav.index)
        for key in ("holding_cost", "holding_cost_lower", "tracking_error", "noise_share", "rolling_td_low"):
            assert evaluated[(sheet, lay.comp(j, key))] == pytest.approx(getattr(s, key), rel=1e-9), key
        assert evaluated[(sheet, lay.comp(j, "market_impact"))] == pytest.approx(
            market_impact(price, nav, volume, nav.index), rel=1e-9)


def _tc_cells(lay: Layout, j: int) -> list[tuple[str, str]]:
    return [(SHEETS["total"], lay.tc(j, k)) for k in ("dollars", "annual", "lower", "upper", "beyond_fee")]


@pytest.mark.slow
def test_changing_holding_years_and_an_expense_ratio_recomputes_total_cost(evaluated_server, book):
    evaluated = evaluated_server
    lay, comp = book.layout, book.comparison_frame()
    r, c = lay.tc_input("HOLDING_YEARS")
    ema = list(comp.index).index("SYN-EMA")
    er_cell = (SHEETS["comparison"], lay.comp(ema, "expense_ratio"))
    grid_cell = (SHEETS["whatif"], address(lay.WI_GRID1 + 2, 1))
    new = evaluated.calculate({(SHEETS["total"], address(r, c)): 10.0, er_cell: 0.01})
    inp = book.inputs
    for j, ticker in enumerate(comp.index):
        f = comp.loc[ticker]
        tc = total_cost(inp.trade_size, 10.0, inp.commission, f.holding_cost, f.market_impact,
                        f.tracking_error, f.holding_cost_se, inp.impact_model, inp.half_spread)
        er = 0.01 if ticker == "SYN-EMA" else f.expense_ratio
        got = [new[k] for k in _tc_cells(lay, j)]
        assert got == pytest.approx([tc.dollars, tc.annual, tc.lower, tc.upper, tc.annual + er],
                                    rel=1e-9), ticker
        assert got[0] != pytest.approx(evaluated[_tc_cells(lay, j)[0]], rel=1e-6)
    # The what-if grid has its own holding periods.
    assert new[grid_cell] == evaluated[grid_cell]


@pytest.mark.slow
def test_choosing_another_fund_recomputes_what_if_and_the_chart(evaluated_server, book):
    evaluated = evaluated_server
    lay, comp = book.layout, book.comparison_frame()
    sheet, chart = SHEETS["whatif"], SHEETS["chart"]
    new = evaluated.calculate({(sheet, address(lay.wi_row("fund"), 1)): "SYN-GOLDA"})
    g = comp.loc["SYN-GOLDA"]
    assert new[(sheet, address(lay.wi_row("name"), 1))] == g["name"]
    assert new[(sheet, address(lay.wi_row("holding_cost"), 1))] == pytest.approx(g.holding_cost, rel=1e-12)
    assert new[(sheet, address(lay.wi_row("market_impact"), 1))] == pytest.approx(g.market_impact, rel=1e-12)
    inp = book.inputs
    for top, value in ((lay.WI_GRID1, "dollars"), (lay.wi_grid2, "annual")):
        grid = total_cost_grid(WHATIF_YEARS, WHATIF_SIZES, inp.commission, g.holding_cost,
                               g.market_impact, g.tracking_error, g.holding_cost_se,
                               inp.impact_model, inp.half_spread, value=value)
        got = [[new[(sheet, address(top + 2 + i, 1 + k))] for k in range(len(WHATIF_SIZES))]
               for i in range(len(WHATIF_YEARS))]
        np.testing.assert_allclose(got, grid.to_numpy(), rtol=1e-9)
    assert new[(chart, address(lay.CH_NUMBER_ROW, 1))] == book.data.tickers.index("SYN-GOLDA") + 1
    assert "SYN-GOLDA" in new[(chart, address(lay.CH_TITLE_ROW, 0))]
    nav, index, _, _ = _sample("SYN-GOLDA")
    rows = chart_rows(len(nav))
    cum = ((nav / nav.iloc[0]) / (index / index.iloc[0]) - 1).to_numpy()[rows]
    trend = np.exp(g.holding_cost * np.asarray(rows) / 252.0) - 1
    got_cum = [new[(chart, address(lay.CH_FIRST + k, 4))] for k in range(len(rows))]
    got_trend = [new[(chart, address(lay.CH_FIRST + k, 5))] for k in range(len(rows))]
    np.testing.assert_allclose(got_cum, cum, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(got_trend, trend, rtol=1e-9, atol=1e-15)
    # Everything else is as before.
    assert new[(SHEETS["total"], "D13")] == evaluated[(SHEETS["total"], "D13")]


# ----------------------------------------------------------------------------------------
# the Compare sheet
# ----------------------------------------------------------------------------------------

def test_compare_sheet_equals_the_python_results(book):
    from xlwings_udfs.analytics import breakeven, prob_cheaper
    from xlwings_udfs.template.compare import CURVE_YEARS, PROB_YEARS

    cmp, comp, inp = book.compare, book.comparison_frame(), book.inputs
    a, b = comp.loc[cmp.inputs.fund_a], comp.loc[cmp.inputs.fund_b]
    size = cmp.inputs.trade_size
    be = breakeven(size, inp.commission, a.holding_cost, a.market_impact, b.holding_cost, b.market_impact,
                   inp.impact_model, inp.half_spread, inp.half_spread)
    assert cmp.breakeven.value == pytest.approx(be.breakeven_years, rel=1e-12)
    for years, cell in zip(PROB_YEARS, cmp.prob):
        p = prob_cheaper(size, years, inp.commission, a.holding_cost, a.holding_cost_se, a.tracking_error,
                         a.market_impact, b.holding_cost, b.holding_cost_se, b.tracking_error, b.market_impact,
                         cmp.inputs.correlation, inp.impact_model, inp.half_spread, inp.half_spread)
        assert cell.value == pytest.approx(p.prob_cheaper, rel=1e-12)
    for years, (ca, cb) in zip(CURVE_YEARS, cmp.curves):
        for cell, f in ((ca, a), (cb, b)):
            tc = total_cost(size, years, inp.commission, f.holding_cost, f.market_impact, f.tracking_error,
                            f.holding_cost_se, inp.impact_model, inp.half_spread)
            assert cell.value == pytest.approx(tc.dollars, rel=1e-12)
    # the two curves cross at the break-even
    assert cmp.marker[0].value == cmp.breakeven.value


@pytest.mark.slow
def test_choosing_other_funds_to_compare_recomputes_the_sheet(evaluated_server, book):
    from xlwings_udfs.analytics import breakeven
    from xlwings_udfs.template.compare import CompareLayout

    lay, comp, inp = CompareLayout(), book.comparison_frame(), book.inputs
    sheet = SHEETS["compare"]
    cells = {(sheet, address(*lay.input("COMPARE_A"))): "SYN-GOLDA",
             (sheet, address(*lay.input("COMPARE_B"))): "SYN-GOLDB"}
    new = evaluated_server.calculate(cells)
    a, b = comp.loc["SYN-GOLDA"], comp.loc["SYN-GOLDB"]
    be = breakeven(book.compare.inputs.trade_size, inp.commission, a.holding_cost, a.market_impact,
                   b.holding_cost, b.market_impact, inp.impact_model, inp.half_spread, inp.half_spread)
    assert new[(sheet, address(lay.BREAKEVEN_ROW, 1))] == pytest.approx(be.breakeven_years, rel=1e-9)
    assert new[(sheet, address(*lay.figure("holding_cost", 1)))] == pytest.approx(b.holding_cost, rel=1e-12)
