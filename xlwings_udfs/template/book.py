"""What the template workbook holds: its data, its formulas and their cached results.

:func:`compute_template` lays the sample out and computes every formula cell by calling the
Excel functions of :mod:`xlwings_udfs.functions` with the arguments Excel would pass them,
so the numbers a user sees before the add-in is connected are the ones it will compute.
Nothing here writes a file; :mod:`.writer` does.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..analytics import FIGURES
from .cells import MISSING, Arg, Cell, address, call, column_letters, literal, quoted, ref, single

__all__ = [
    "SHEETS",
    "CostInputs",
    "Fund",
    "SampleBlock",
    "Layout",
    "TemplateBook",
    "compute_template",
    "sample_block",
    "WHATIF_YEARS",
    "WHATIF_SIZES",
    "CHART_STEP",
    "chart_rows",
]

#: Sheet names, in workbook order.
SHEETS = {
    "start": "Start",
    "comparison": "Fund Comparison",
    "total": "Total Cost",
    "whatif": "What-If",
    "data": "Data",
    "chart": "Chart Data",
    "conf": "xlwings.conf",
}
#: Holding periods (rows) and trade sizes (columns) of the what-if tables.
WHATIF_YEARS = (1, 2, 3, 5, 10, 20)
WHATIF_SIZES = (10_000, 100_000, 1_000_000, 10_000_000, 100_000_000)
#: The fund the What-If sheet opens with: one whose timing noise makes the point.
DEFAULT_CHOSEN = "SYN-EMA"
#: Data sheet columns of each fund block: (name prefix, header).
DATA_FIELDS = (("NAV", "NAV"), ("BENCH", "Benchmark"), ("PRICE", "Price"), ("VOLUME", "Volume"))
#: Excel's two-sided 95% normal quantile, written where a formula needs it.
Z95_FORMULA = "NORM.S.INV(0.975)"
_Z95 = 1.959963984540054
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")


@dataclass(frozen=True)
class CostInputs:
    """The named inputs of the Total Cost sheet (Morningstar's worked example by default)."""

    trade_size: float = 1_000_000.0
    years: float = 3.0
    commission: float = 10.0
    impact_model: str = "square_root"
    half_spread: float = 0.0


@dataclass(frozen=True)
class Fund:
    """One fund of the data sheet."""

    ticker: str
    key: str  # the ticker as it appears in defined names
    name: str
    category: str
    expense_ratio: float
    nav: np.ndarray
    bench: np.ndarray
    price: np.ndarray
    volume: np.ndarray

    def series(self, prefix: str) -> np.ndarray:
        return {"NAV": self.nav, "BENCH": self.bench, "PRICE": self.price, "VOLUME": self.volume}[prefix]


@dataclass(frozen=True)
class SampleBlock:
    """The data the workbook carries: shared dates and one block per fund."""

    dates: pd.DatetimeIndex
    funds: list[Fund]

    @property
    def serials(self) -> list[float]:
        """The dates as Excel serial numbers (what a date cell holds)."""
        return [float(d) for d in (self.dates - _EXCEL_EPOCH).days]

    @property
    def tickers(self) -> list[str]:
        return [f.ticker for f in self.funds]


def name_key(ticker: str, taken: set[str] | None = None) -> str:
    """A ticker made safe for a defined name: ``SYN-EMA`` -> ``SYN_EMA``."""
    key = re.sub(r"[^A-Za-z0-9]+", "_", ticker).strip("_").upper() or "FUND"
    if taken is not None:
        base, i = key, 2
        while key in taken:
            key, i = f"{base}_{i}", i + 1
        taken.add(key)
    return key


def sample_block(funds: Sequence[str] | int | None = None, rows: int | None = None) -> SampleBlock:
    """The embedded sample, optionally cut to some funds and the last ``rows`` dates.

    A cut-down block builds a smaller workbook of the same layout (for fast tests).
    """
    from ..data import load_sample_funds, sample_panel

    info = load_sample_funds()
    tickers = list(info.index)
    if isinstance(funds, int):
        tickers = tickers[:funds]
    elif funds is not None:
        tickers = list(funds)
    panels = {f: sample_panel(f, tickers) for f in ("nav", "index", "price", "volume")}
    if rows is not None:
        panels = {k: v.iloc[-int(rows):] for k, v in panels.items()}
    taken: set[str] = set()
    block = [
        Fund(
            ticker=t,
            key=name_key(t, taken),
            name=str(info.loc[t, "name"]),
            category=str(info.loc[t, "category"]),
            expense_ratio=float(info.loc[t, "expense_ratio"]),
            nav=panels["nav"][t].to_numpy(float),
            bench=panels["index"][t].to_numpy(float),
            price=panels["price"][t].to_numpy(float),
            volume=panels["volume"][t].to_numpy(float),
        )
        for t in tickers
    ]
    return SampleBlock(dates=pd.DatetimeIndex(panels["nav"].index), funds=block)


class Layout:
    """Where everything sits (zero-based rows and columns), shared by computing and writing."""

    # Data: title, note, blank, fund header, field header, then one row per date.
    DATA_FUND_ROW, DATA_FIELD_ROW, DATA_FIRST = 3, 4, 5
    # Fund Comparison: title, subtitle, blank, group header, column header, one row per fund.
    COMP_GROUP_ROW, COMP_HEADER_ROW, COMP_FIRST = 3, 4, 5
    COMP_COLS = (
        "ticker", "name", "ehc", "ehc_lower", "ehc_upper", "ehc_se", "td_1y",
        "roll_median", "roll_high", "roll_low", "roll_latest", "expense_ratio",
        "te", "te_trad", "noise_share", "mic", "beta", "r_squared",
    )
    # Total Cost: title, subtitle, blank, "Inputs", five named inputs, blank, header, funds.
    TC_INPUT_FIRST = 4
    TC_INPUTS = ("TRADE_SIZE", "HOLDING_YEARS", "COMMISSION", "IMPACT_MODEL", "HALF_SPREAD")
    TC_GROUP_ROW, TC_HEADER_ROW, TC_FIRST = 10, 11, 12
    TC_COLS = ("ticker", "name", "expense_ratio", "dollars", "annual", "lower", "upper", "beyond")
    # What-If: the chosen fund and its figures, then two grids.
    WI_FUND_ROW = 3
    WI_ROWS = ("fund", "name", "ehc", "ehc_se", "te", "mic", "commission", "model", "spread")
    WI_GRID1 = 14  # the title row; sizes on the next row, years below
    # Chart Data: title, chart title, periods a year, fund number, header, one row per date.
    CH_TITLE_ROW, CH_PERIODS_ROW, CH_NUMBER_ROW, CH_HEADER_ROW, CH_FIRST = 1, 2, 3, 4, 5

    def __init__(self, n_funds: int, n_rows: int) -> None:
        self.n_funds, self.n_rows = n_funds, n_rows

    # -- Data -------------------------------------------------------------------------
    @property
    def data_last(self) -> int:
        return self.DATA_FIRST + self.n_rows - 1

    @staticmethod
    def data_col(j: int, k: int) -> int:
        """Column of field ``k`` (0 NAV, 1 benchmark, 2 price, 3 volume) of fund ``j``."""
        return 1 + 4 * j + k

    def data_range(self, col: int) -> str:
        return (f"{quoted(SHEETS['data'])}!{address(self.DATA_FIRST, col, True)}:"
                f"{address(self.data_last, col, True)}")

    # -- Fund Comparison ----------------------------------------------------------------
    def comp(self, j: int, key: str, absolute: bool = False, sheet: bool = False) -> str:
        return address(self.COMP_FIRST + j, self.COMP_COLS.index(key), absolute,
                       SHEETS["comparison"] if sheet else None)

    def comp_column(self, key: str) -> str:
        c = self.COMP_COLS.index(key)
        last = self.COMP_FIRST + self.n_funds - 1
        return (f"{quoted(SHEETS['comparison'])}!{address(self.COMP_FIRST, c, True)}:"
                f"{address(last, c, True)}")

    # -- Total Cost ---------------------------------------------------------------------
    def tc_input(self, name: str) -> tuple[int, int]:
        return self.TC_INPUT_FIRST + self.TC_INPUTS.index(name), 1

    def tc(self, j: int, key: str) -> str:
        return address(self.TC_FIRST + j, self.TC_COLS.index(key))

    # -- What-If ------------------------------------------------------------------------
    def wi_row(self, key: str) -> int:
        return self.WI_FUND_ROW + self.WI_ROWS.index(key)

    @property
    def wi_grid2(self) -> int:
        return self.WI_GRID1 + len(WHATIF_YEARS) + 3

    # -- Chart Data ---------------------------------------------------------------------
    @property
    def ch_last(self) -> int:
        return self.CH_FIRST + len(chart_rows(self.n_rows)) - 1

    def names(self, block: SampleBlock) -> dict[str, str]:
        """Every defined name of the workbook and what it refers to."""
        out = {"DATES": self.data_range(0)}
        for j, f in enumerate(block.funds):
            for k, (prefix, _) in enumerate(DATA_FIELDS):
                out[f"{prefix}_{f.key}"] = self.data_range(self.data_col(j, k))
        for name, key in (("FUND_LIST", "ticker"), ("COMP_NAME", "name"), ("COMP_EHC", "ehc"),
                          ("COMP_EHC_SE", "ehc_se"), ("COMP_TE", "te"), ("COMP_MIC", "mic")):
            out[name] = self.comp_column(key)
        for name in self.TC_INPUTS:
            r, c = self.tc_input(name)
            out[name] = address(r, c, True, SHEETS["total"])
        wi = SHEETS["whatif"]
        for name, key in (("CHOSEN_FUND", "fund"), ("FUND_EHC", "ehc"), ("FUND_EHC_SE", "ehc_se"),
                          ("FUND_TE", "te"), ("FUND_MIC", "mic")):
            out[name] = address(self.wi_row(key), 1, True, wi)
        ch = SHEETS["chart"]
        out["CHART_TITLE"] = address(self.CH_TITLE_ROW, 0, True, ch)
        out["CHART_PERIODS"] = address(self.CH_PERIODS_ROW, 1, True, ch)
        out["CHART_FUND_NO"] = address(self.CH_NUMBER_ROW, 1, True, ch)
        return out


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


def index_of(cell: Cell, k: int) -> Cell:
    """``=INDEX(array, k)``: the k-th value of a one-row or one-column result.

    An error (a single value where an array was expected) passes through, as in Excel.
    """
    if isinstance(cell.value, list):
        value = [v for row in cell.value for v in row][k - 1]
    else:
        value = cell.value
    return Cell(f"=INDEX({cell.formula[1:]},{k})", value)


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
    """Everything the template workbook shows, computed; :meth:`write` saves it."""

    data: SampleBlock
    inputs: CostInputs
    layout: Layout
    names: dict[str, str]
    comparison: list[ComparisonRow]
    total: list[TotalCostRow]
    whatif: WhatIf
    chart: ChartSeries
    version: str = ""
    notes: list[str] = field(default_factory=list)

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

    def write(self, path, force: bool = False):
        """Write the workbook atomically; an existing file needs ``force``."""
        from .writer import write_workbook

        return write_workbook(self, path, force=force)


def _comparison(block: SampleBlock, lay: Layout, F) -> list[ComparisonRow]:
    dates = ref("DATES", _column(block.serials))
    se_row = list(FIGURES).index("holding_cost_se") + 1
    rows = []
    for j, f in enumerate(block.funds):
        nav, bench = (ref(f"{p}_{f.key}", _column(f.series(p))) for p in ("NAV", "BENCH"))
        price, volume = (ref(f"{p}_{f.key}", _column(f.series(p))) for p in ("PRICE", "VOLUME"))
        c: dict[str, Cell] = {}
        c["ehc"] = call(F.ETF_HOLDING_COST, "ETF_HOLDING_COST", nav, bench, dates)
        analytics = call(F.ETF_ANALYTICS, "ETF_ANALYTICS", nav, bench, dates, MISSING, MISSING, literal(False))
        c["ehc_se"] = index_of(analytics, se_row)
        ehc, se = _number(c["ehc"], f.ticker), _number(c["ehc_se"], f.ticker)
        a_ehc, a_se = lay.comp(j, "ehc"), lay.comp(j, "ehc_se")
        c["ehc_lower"] = Cell(f"={a_ehc}-{Z95_FORMULA}*{a_se}", ehc - _Z95 * se)
        c["ehc_upper"] = Cell(f"={a_ehc}+{Z95_FORMULA}*{a_se}", ehc + _Z95 * se)
        c["td_1y"] = call(F.ETF_TRACKING_DIFFERENCE, "ETF_TRACKING_DIFFERENCE", nav, bench, dates,
                          MISSING, literal(252))
        rolling = call(F.ETF_ROLLING_TD, "ETF_ROLLING_TD", nav, bench, dates, MISSING, literal(False))
        for k, key in enumerate(("roll_median", "roll_high", "roll_low", "roll_latest"), start=1):
            c[key] = index_of(rolling, k)
        c["te"] = call(F.ETF_TRACKING_ERROR, "ETF_TRACKING_ERROR", nav, bench, dates)
        c["te_trad"] = call(F.ETF_TRACKING_ERROR_TRADITIONAL, "ETF_TRACKING_ERROR_TRADITIONAL",
                            nav, bench, dates)
        te, trad = _number(c["te"], f.ticker), _number(c["te_trad"], f.ticker)
        c["noise_share"] = Cell(f"=MAX(0,MIN(1,1-({lay.comp(j, 'te')}/{lay.comp(j, 'te_trad')})^2))",
                                max(0.0, min(1.0, 1.0 - (te / trad) ** 2)))
        c["mic"] = call(F.ETF_MARKET_IMPACT, "ETF_MARKET_IMPACT", price, nav, volume, dates)
        c["beta"] = call(F.ETF_BETA, "ETF_BETA", nav, bench, dates)
        c["r_squared"] = call(F.ETF_R_SQUARED, "ETF_R_SQUARED", nav, bench, dates)
        for key in ("td_1y", "roll_median", "roll_high", "roll_low", "roll_latest", "mic", "beta", "r_squared"):
            _number(c[key], f.ticker)
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
        cost = call(F.ETF_TOTAL_COST, "ETF_TOTAL_COST", *named, from_comp("ehc"), from_comp("mic"),
                    from_comp("te"), from_comp("ehc_se"), model, spread)
        for k, key in enumerate(("dollars", "annual", "lower", "upper"), start=1):
            c[key] = index_of(cost, k)
            _number(c[key], r.fund.ticker)
        c["beyond"] = Cell(f"={lay.tc(j, 'annual')}+{lay.tc(j, 'expense_ratio')}",
                           c["annual"].value + r.fund.expense_ratio)
        rows.append(TotalCostRow(r.fund, c))
    return rows


_LOOKUP = "INDEX({column},MATCH(CHOSEN_FUND,FUND_LIST,0))"


def _whatif(lay: Layout, comp: list[ComparisonRow], inputs: CostInputs, chosen: str, F) -> WhatIf:
    row = next(r for r in comp if r.fund.ticker == chosen)
    c = {
        "name": Cell("=" + _LOOKUP.format(column="COMP_NAME"), row.fund.name),
        "ehc": Cell("=" + _LOOKUP.format(column="COMP_EHC"), row.value("ehc")),
        "ehc_se": Cell("=" + _LOOKUP.format(column="COMP_EHC_SE"), row.value("ehc_se")),
        "te": Cell("=" + _LOOKUP.format(column="COMP_TE"), row.value("te")),
        "mic": Cell("=" + _LOOKUP.format(column="COMP_MIC"), row.value("mic")),
        "commission": Cell("=COMMISSION", inputs.commission),
        "model": Cell("=IMPACT_MODEL", inputs.impact_model),
        "spread": Cell("=HALF_SPREAD", inputs.half_spread),
    }
    fixed = [single("COMMISSION", inputs.commission), single("FUND_EHC", row.value("ehc")),
             single("FUND_MIC", row.value("mic")), single("FUND_TE", row.value("te")),
             single("FUND_EHC_SE", row.value("ehc_se")), single("IMPACT_MODEL", inputs.impact_model),
             single("HALF_SPREAD", inputs.half_spread)]
    dollars, annual = [], []
    for i, years in enumerate(WHATIF_YEARS):
        d_row, a_row = [], []
        for k, size in enumerate(WHATIF_SIZES):
            for top, out, pick in ((lay.WI_GRID1, d_row, 1), (lay.wi_grid2, a_row, 2)):
                # Row-absolute sizes and column-absolute years: the formula copies across the grid.
                size_ref = f"{column_letters(1 + k)}${top + 2}"
                years_ref = f"${column_letters(0)}{top + 3 + i}"
                inner = call(F.ETF_TOTAL_COST, "ETF_TOTAL_COST", single(size_ref, float(size)),
                             single(years_ref, float(years)), *fixed)
                out.append(index_of(inner, pick))
        dollars.append(d_row)
        annual.append(a_row)
    return WhatIf(chosen, c, dollars, annual)


#: The chart plots every CHART_STEP-th date (a week of trading days): the shape of a
#: three-year series is unchanged, and the workbook keeps few formulas to recalculate.
CHART_STEP = 5
CHART_COLUMNS = ("Date", "Returns since the first date", "Fund level", "Index level",
                 "Cumulative tracking difference", "Trend at the EHC")


def chart_rows(n_rows: int) -> list[int]:
    """Positions (0-based, in the data) of the dates the chart plots: every CHART_STEP-th and
    the last."""
    rows = list(range(0, n_rows, CHART_STEP))
    if rows[-1] != n_rows - 1:
        rows.append(n_rows - 1)
    return rows


def _chart(block: SampleBlock, lay: Layout, comp: list[ComparisonRow], chosen: str) -> ChartSeries:
    j = block.tickers.index(chosen)
    f = block.funds[j]
    tickers = ",".join('"' + t.replace('"', '""') + '"' for t in block.tickers)
    periods = 252.0
    ehc = comp[j].value("ehc")
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


def compute_template(
    funds: Sequence[str] | int | None = None,
    rows: int | None = None,
    inputs: CostInputs = CostInputs(),
    chosen_fund: str | None = None,
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

    Returns
    -------
    TemplateBook
    """
    from .. import __version__
    from .. import functions as F

    block = sample_block(funds, rows)
    if not block.funds:
        raise ValueError("funds: at least one fund is needed")
    chosen = chosen_fund or (DEFAULT_CHOSEN if DEFAULT_CHOSEN in block.tickers else block.tickers[0])
    if chosen not in block.tickers:
        raise ValueError(f"chosen_fund: {chosen!r} is not among {', '.join(block.tickers)}")
    lay = Layout(len(block.funds), len(block.dates))
    comp = _comparison(block, lay, F)
    total = _total(block, lay, comp, inputs, F)
    whatif = _whatif(lay, comp, inputs, chosen, F)
    chart = _chart(block, lay, comp, chosen)
    return TemplateBook(block, inputs, lay, lay.names(block), comp, total, whatif, chart,
                        version=__version__)
