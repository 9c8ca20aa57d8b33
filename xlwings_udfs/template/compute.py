"""What the template workbook holds: its formulas and their cached results.

:func:`compute_template` lays the sample out and computes every formula cell by calling the
Excel functions of :mod:`xlwings_udfs.functions` with the arguments Excel would pass them,
so the numbers a user sees before the add-in is connected are the ones it will compute.
Every figure comes from the Excel function that returns it (the registry of figures names
it); no cell re-derives a figure from others. Nothing here writes a file; :mod:`.writer` does.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..analytics.errors import InputError
from ..analytics.figures import COST_FIGURES, FIGURES
from .compare import CompareInputs, CompareLayout, CompareSheet, compute_compare
from .cells import MISSING, Arg, Cell, call, column_letters, index_of, literal, quoted, ref, single
from .layout import CHART_COLUMNS, SHEETS, WHATIF_SIZES, WHATIF_YEARS, Layout, chart_rows
from .sample import Fund, SampleBlock, sample_block

__all__ = [
    "CostInputs",
    "TemplateBook",
    "compute_template",
    "DEFAULT_CHOSEN",
]

#: The fund the What-If sheet opens with: one whose timing noise makes the point.
DEFAULT_CHOSEN = "SYN-EMA"
#: Tracking figures that have an Excel function of their own returning them alone from
#: (fund, index, dates); the others are asked of ETF_ANALYTICS by key.
_OWN_FUNCTION = ("holding_cost", "tracking_error", "tracking_error_traditional", "beta", "r_squared")
_COMP_TRACKING = ("holding_cost", "holding_cost_lower", "holding_cost_upper", "holding_cost_se",
                  "rolling_td_latest", "rolling_td_median", "rolling_td_high", "rolling_td_low",
                  "tracking_error", "tracking_error_traditional", "noise_share", "beta", "r_squared")


@dataclass(frozen=True)
class CostInputs:
    """The named inputs of the Total Cost sheet (Morningstar's worked example by default)."""

    trade_size: float = 1_000_000.0
    years: float = 3.0
    commission: float = 10.0
    impact_model: str = "square_root"
    half_spread: float = 0.0


def _column(values: Sequence[float]) -> list[list[Any]]:
    """A column of cells as a host passes it; a blank (NaN) cell arrives as None."""
    return [[None if (isinstance(v, float) and math.isnan(v)) else float(v)] for v in values]


def _number(cell: Cell, what: str) -> float:
    v = cell.value
    if isinstance(v, list):
        raise TypeError(f"{what}: expected one value from {cell.formula}, got an array")
    if isinstance(v, str):  # the function's own error message, e.g. for an input out of range
        raise ValueError(f"{what}: {v}")
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.number)) or not math.isfinite(v):
        raise ValueError(f"{what}: {cell.formula} returned {v!r}")
    return float(v)


@dataclass
class ComparisonRow:
    fund: Fund
    cells: dict[str, Cell]  # one per column of Layout.COMP_COLS but the inputs

    def value(self, key: str) -> Any:
        if key in ("ticker", "name", "expense_ratio"):
            return getattr(self.fund, key)
        return self.cells[key].value


@dataclass
class TotalCostRow:
    fund: Fund
    cells: dict[str, Cell]  # one per column of Layout.TC_COLS

    def value(self, key: str) -> Any:
        return self.cells[key].value


@dataclass
class WhatIf:
    chosen: str
    cells: dict[str, Cell]  # the rows of Layout.WI_ROWS except "fund"
    dollars: list[list[Cell]]  # years x sizes
    annual: list[list[Cell]]


@dataclass
class ChartSeries:
    """The chart's data: one row per plotted date, one formula per cell."""

    title: Cell
    fund_no: Cell
    periods: float
    columns: list[list[Any]]  # CHART_COLUMNS x the rows of chart_rows(): Cells, or numbers


@dataclass
class TemplateBook:
    """Everything the template workbook shows, computed; :func:`.writer.write_workbook` saves it."""

    data: SampleBlock
    inputs: CostInputs
    layout: Layout
    names: dict[str, str]
    comparison: list[ComparisonRow]
    total: list[TotalCostRow]
    whatif: WhatIf
    chart: ChartSeries
    compare: CompareSheet
    version: str = ""

    def comparison_frame(self) -> pd.DataFrame:
        """The Fund Comparison table, one row per fund (fractions, not percent)."""
        keys = Layout.COMP_COLS[1:]
        return pd.DataFrame(
            [[r.value(k) for k in keys] for r in self.comparison],
            index=pd.Index([r.fund.ticker for r in self.comparison], name="fund"),
            columns=list(keys),
        )

    def total_cost_frame(self) -> pd.DataFrame:
        """The Total Cost table, one row per fund (dollars and fractions)."""
        keys = Layout.TC_COLS[1:]
        return pd.DataFrame(
            [[r.value(k) for k in keys] for r in self.total],
            index=pd.Index([r.fund.ticker for r in self.total], name="fund"),
            columns=list(keys),
        )

    def whatif_frame(self, value: str = "dollars") -> pd.DataFrame:
        grid = self.whatif.dollars if value == "dollars" else self.whatif.annual
        return pd.DataFrame([[c.value for c in row] for row in grid],
                            index=pd.Index(WHATIF_YEARS, name="years"),
                            columns=pd.Index(WHATIF_SIZES, name="trade_size"))


def _only(cell: Cell) -> Cell:
    """A call that returns a 1 x 1 array, as the value the cell shows."""
    v = cell.value
    if isinstance(v, list) and len(v) == 1 and isinstance(v[0], list) and len(v[0]) == 1:
        return Cell(cell.formula, v[0][0])
    return cell


def _tracking(F, key: str, nav: Arg, bench: Arg, dates: Arg) -> Cell:
    """The formula of a tracking figure: its own function, or ETF_ANALYTICS asked by key."""
    if key in _OWN_FUNCTION:
        name = FIGURES[key].excel
        return call(getattr(F, name), name, nav, bench, dates)
    return _only(call(F.ETF_ANALYTICS, "ETF_ANALYTICS", nav, bench, dates, MISSING, MISSING,
                      literal(False), literal(key)))


def _comparison(block: SampleBlock, lay: Layout, F) -> list[ComparisonRow]:
    dates = ref("DATES", _column(block.serials))
    rows = []
    for f in block.funds:
        nav, bench, price, volume = (ref(f"{p}_{f.key}", _column(f.series(p)))
                                     for p in ("NAV", "BENCH", "PRICE", "VOLUME"))
        c: dict[str, Cell] = {key: _tracking(F, key, nav, bench, dates) for key in _COMP_TRACKING}
        c["market_impact"] = call(F.ETF_MARKET_IMPACT, "ETF_MARKET_IMPACT", price, nav, volume, dates)
        for key, cell in c.items():
            _number(cell, f"{f.ticker} {key}")
        rows.append(ComparisonRow(f, c))
    return rows


def _total(block: SampleBlock, lay: Layout, comp: list[ComparisonRow], inputs: CostInputs,
           F) -> list[TotalCostRow]:
    named = [single(n, v) for n, v in (
        ("TRADE_SIZE", inputs.trade_size), ("HOLDING_YEARS", inputs.years),
        ("COMMISSION", inputs.commission))]
    model, spread = single("IMPACT_MODEL", inputs.impact_model), single("HALF_SPREAD", inputs.half_spread)
    rows = []
    for j, r in enumerate(comp):
        def from_comp(key: str) -> Arg:
            return single(lay.comp(j, key, sheet=True), r.value(key))

        c = {
            "ticker": Cell("=" + lay.comp(j, "ticker", sheet=True), r.fund.ticker),
            "name": Cell("=" + lay.comp(j, "name", sheet=True), r.fund.name),
            "expense_ratio": Cell("=" + lay.comp(j, "expense_ratio", sheet=True), r.fund.expense_ratio),
        }
        cost = call(F.ETF_TOTAL_COST, "ETF_TOTAL_COST", *named, from_comp("holding_cost"),
                    from_comp("market_impact"), from_comp("tracking_error"), from_comp("holding_cost_se"),
                    model, spread)
        for key in COST_FIGURES:  # ETF_TOTAL_COST returns them in this order, in one row
            c[key] = index_of(cost, COST_FIGURES.index(key) + 1)
            _number(c[key], r.fund.ticker)
        c["beyond_fee"] = Cell(f"={lay.tc(j, 'annual')}+{lay.tc(j, 'expense_ratio')}",
                               c["annual"].value + r.fund.expense_ratio)
        rows.append(TotalCostRow(r.fund, c))
    return rows


_LOOKUP = "INDEX({column},MATCH(CHOSEN_FUND,FUND_LIST,0))"


def _whatif(lay: Layout, comp: list[ComparisonRow], inputs: CostInputs, chosen: str, F) -> WhatIf:
    row = next(r for r in comp if r.fund.ticker == chosen)
    c = {
        "name": Cell("=" + _LOOKUP.format(column="COMP_NAME"), row.fund.name),
        "holding_cost": Cell("=" + _LOOKUP.format(column="COMP_EHC"), row.value("holding_cost")),
        "holding_cost_se": Cell("=" + _LOOKUP.format(column="COMP_EHC_SE"), row.value("holding_cost_se")),
        "tracking_error": Cell("=" + _LOOKUP.format(column="COMP_TE"), row.value("tracking_error")),
        "market_impact": Cell("=" + _LOOKUP.format(column="COMP_MIC"), row.value("market_impact")),
        "commission": Cell("=COMMISSION", inputs.commission),
        "model": Cell("=IMPACT_MODEL", inputs.impact_model),
        "spread": Cell("=HALF_SPREAD", inputs.half_spread),
    }
    fixed = [single("COMMISSION", inputs.commission), single("FUND_EHC", row.value("holding_cost")),
             single("FUND_MIC", row.value("market_impact")), single("FUND_TE", row.value("tracking_error")),
             single("FUND_EHC_SE", row.value("holding_cost_se")), single("IMPACT_MODEL", inputs.impact_model),
             single("HALF_SPREAD", inputs.half_spread)]
    dollars, annual = [], []
    for i, years in enumerate(WHATIF_YEARS):
        d_row, a_row = [], []
        for k, size in enumerate(WHATIF_SIZES):
            for top, out, key in ((lay.WI_GRID1, d_row, "dollars"), (lay.wi_grid2, a_row, "annual")):
                # Row-absolute sizes and column-absolute years: the formula copies across the grid.
                size_ref = f"{column_letters(1 + k)}${top + 2}"
                years_ref = f"${column_letters(0)}{top + 3 + i}"
                inner = call(F.ETF_TOTAL_COST, "ETF_TOTAL_COST", single(size_ref, float(size)),
                             single(years_ref, float(years)), *fixed)
                out.append(index_of(inner, COST_FIGURES.index(key) + 1))
        dollars.append(d_row)
        annual.append(a_row)
    return WhatIf(chosen, c, dollars, annual)


def _chart(block: SampleBlock, lay: Layout, comp: list[ComparisonRow], chosen: str) -> ChartSeries:
    j = block.tickers.index(chosen)
    f = block.funds[j]
    tickers = ",".join('"' + t.replace('"', '""') + '"' for t in block.tickers)
    periods = 252.0
    ehc = comp[j].value("holding_cost")
    data = quoted(SHEETS["data"])
    cols: list[list[Cell | float]] = [[] for _ in CHART_COLUMNS]
    first = lay.CH_FIRST + 1
    for k, i in enumerate(chart_rows(lay.n_rows)):
        r, rd = lay.CH_FIRST + 1 + k, lay.DATA_FIRST + 1 + i  # Excel rows here and on Data
        level = lambda field: "=CHOOSE(CHART_FUND_NO," + ",".join(  # noqa: E731
            f"{data}!{column_letters(lay.data_col(m, field))}{rd}" for m in range(len(block.funds))) + ")"
        # Plain formulas, one a cell: LibreOffice recalculates array formulas on load, which
        # would replace the cached series by errors where the add-in is absent.
        cols[0].append(Cell(f"={data}!A{rd}", block.serials[i]))
        cols[1].append(float(i))
        cols[2].append(Cell(level(0), float(f.nav[i])))
        cols[3].append(Cell(level(1), float(f.bench[i])))
        cols[4].append(Cell(f"=(C{r}/C${first})/(D{r}/D${first})-1",
                            float((f.nav[i] / f.nav[0]) / (f.bench[i] / f.bench[0]) - 1.0)))
        cols[5].append(Cell(f"=EXP(FUND_EHC*B{r}/CHART_PERIODS)-1", float(np.exp(ehc * i / periods) - 1.0)))
    return ChartSeries(
        title=Cell('="Cumulative tracking difference of "&CHOSEN_FUND&" against its index, '
                   'with the holding-cost trend"',
                   f"Cumulative tracking difference of {chosen} against its index, "
                   "with the holding-cost trend"),
        fund_no=Cell(f"=MATCH(CHOSEN_FUND,{{{tickers}}},0)", j + 1),
        periods=periods,
        columns=cols,
    )


def _default_pair(tickers: list[str]) -> CompareInputs:
    """The two emerging-market funds of the sample (alike, each with its strengths, both
    uncertain), else the first two funds of a cut-down sample."""
    default = CompareInputs()
    if default.fund_a in tickers and default.fund_b in tickers:
        return default
    return CompareInputs(tickers[0], tickers[min(1, len(tickers) - 1)])


def compute_template(
    funds: Sequence[str] | int | None = None,
    rows: int | None = None,
    inputs: CostInputs = CostInputs(),
    chosen_fund: str | None = None,
    compare: CompareInputs | None = None,
) -> TemplateBook:
    """Compute every cell of the template workbook for the embedded sample.

    Parameters
    ----------
    funds : sequence of str or int, optional
        Tickers to include (or the first ``funds`` of the sample). Default: all nine.
    rows : int, optional
        Keep only the last ``rows`` dates. Default: all.
    inputs : CostInputs
        Values of the named inputs on the Total Cost sheet.
    chosen_fund : str, optional
        The fund the What-If sheet and the chart show at first.
    compare : CompareInputs, optional
        The two funds, trade size and correlation the Compare sheet opens with.

    Returns
    -------
    TemplateBook
    """
    from .. import __version__
    from .. import functions as F

    block = sample_block(funds, rows)
    if not block.funds:
        raise InputError("funds", "at least one fund is needed")
    chosen = chosen_fund or (DEFAULT_CHOSEN if DEFAULT_CHOSEN in block.tickers else block.tickers[0])
    if chosen not in block.tickers:
        raise InputError("chosen_fund", f"{chosen!r} is not among {', '.join(block.tickers)}")
    lay = Layout(len(block.funds), len(block.dates))
    comp = _comparison(block, lay, F)
    total = _total(block, lay, comp, inputs, F)
    whatif = _whatif(lay, comp, inputs, chosen, F)
    chart = _chart(block, lay, comp, chosen)
    pair = compare or _default_pair(block.tickers)
    for t in (pair.fund_a, pair.fund_b):
        if t not in block.tickers:
            raise InputError("compare", f"{t!r} is not among {', '.join(block.tickers)}")
    rows = {r.fund.ticker: {"name": r.fund.name, **{k: r.value(k) for k in r.cells}} for r in comp}
    series = {f.ticker: {p: _column(f.series(p)) for p in ("NAV", "BENCH")} for f in block.funds}
    compare_sheet = compute_compare(F, rows, pair, inputs.commission, inputs.impact_model, inputs.half_spread,
                                    series, _column(block.serials))
    data_names = {p: [f"{p}_{f.key}" for f in block.funds] for p in ("NAV", "BENCH")}
    names = {**lay.names(block), **CompareLayout().names(SHEETS["compare"], data_names)}
    return TemplateBook(block, inputs, lay, names, comp, total, whatif, chart, compare_sheet,
                        version=__version__)
