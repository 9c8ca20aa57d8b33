"""The Compare sheet: two funds chosen from drop-downs, for one trade and a range of horizons.

The question an analyst brings is "A or B, for this trade, held about this long?". The sheet
shows each fund's figures (looked up from Fund Comparison), the holding period at which their
expected total costs are equal (``ETF_BREAKEVEN``), the probability that A costs less at 1,
2, 3, 5 and 10 years (``ETF_PROB_CHEAPER``), and the expected total cost of each against the
holding period (``ETF_TOTAL_COST``), with the break-even marked on the chart, and each
fund's holding cost over a trailing year at every date (``ETF_HOLDING_COST_HISTORY``), so
that a fee cut or a change of replication shows. Commission, impact model and half-spread
are the Total Cost sheet's; trade size and the correlation of the two funds' deviations are
the sheet's own inputs.

A fund chosen from a drop-down reaches the history through defined names that pick its
columns of the Data sheet (``COMPARE_A_NAV`` is ``CHOOSE(COMPARE_A_NO, NAV_..., ...)``); the
history's series sit on the Chart Data sheet, every CHART_STEP-th window end.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..analytics.figures import COST_FIGURES
from .cells import MISSING, Arg, Cell, address, call, index_of, literal, ref, single
from .layout import chart_rows

__all__ = ["CompareInputs", "CompareSheet", "compute_compare", "COMPARE_FIGURES", "PROB_YEARS", "CURVE_YEARS"]

#: The two funds' figures the sheet looks up, in its rows, by the defined names of their
#: Fund Comparison columns.
COMPARE_FIGURES = (("name", "COMP_NAME"), ("holding_cost", "COMP_EHC"), ("holding_cost_se", "COMP_EHC_SE"),
                   ("tracking_error", "COMP_TE"), ("market_impact", "COMP_MIC"))
#: Horizons of the probability row, and of the cost curves (the chart's points).
PROB_YEARS = (1, 2, 3, 5, 10)
CURVE_YEARS = (0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4, 5, 6, 8, 10, 12.5, 15, 20)
#: Returns in each window of the cost history: a year of daily data (the sample holds three).
HISTORY_WINDOW = 252
#: Columns of a fund's history on Chart Data: the window's end, the EHC, its 95% interval.
HISTORY_COLUMNS = ("End of window", "EHC", "EHC 95% lower", "EHC 95% upper")
# Names of the fund figures on the sheet: FUND_A_EHC, ...
_SHORT = {"holding_cost": "EHC", "holding_cost_se": "EHC_SE", "tracking_error": "TE", "market_impact": "MIC"}


@dataclass(frozen=True)
class CompareInputs:
    """The sheet's own inputs: the two funds, the trade size and the correlation."""

    fund_a: str = "SYN-EMA"
    fund_b: str = "SYN-EMB"
    trade_size: float = 5_000_000.0
    correlation: float = 0.0


@dataclass
class CompareSheet:
    """Every formula of the Compare sheet with its cached value."""

    inputs: CompareInputs
    figures: dict[str, tuple[Cell, Cell]]  # key -> (fund A, fund B)
    breakeven: Cell
    prob: list[Cell]                        # one per PROB_YEARS
    curves: list[tuple[Cell, Cell]]         # one (A, B) per CURVE_YEARS
    marker: tuple[Cell, Cell]               # the break-even point: (years, cost)
    fund_no: tuple[Cell, Cell]              # each fund's position in FUND_LIST
    history: dict[str, list[list[Cell]]]    # "A", "B" -> rows of HISTORY_COLUMNS


class CompareLayout:
    """Where the Compare sheet's cells sit (zero-based)."""

    INPUT_FIRST = 3
    INPUTS = ("COMPARE_A", "COMPARE_B", "COMPARE_SIZE", "COMPARE_CORRELATION")
    FUND_NO_ROW = INPUT_FIRST + len(INPUTS)  # hidden helpers: each fund's position in FUND_LIST
    # The history's series on Chart Data, right of the What-If chart's: fund A from column
    # HISTORY_COLUMN, fund B beside it; a title row and a header row above the data.
    HISTORY_COLUMN = 8
    HISTORY_TITLE_ROW = 1
    FIGURE_HEADER = 8
    BREAKEVEN_ROW = 15
    PROB_TITLE = 17  # a header row below it, then one row per horizon
    CURVE_TITLE = PROB_TITLE + len(PROB_YEARS) + 3
    CURVE_FIRST = CURVE_TITLE + 2
    MARKER_ROW = CURVE_FIRST + len(CURVE_YEARS) + 1

    def input(self, name: str) -> tuple[int, int]:
        return self.INPUT_FIRST + self.INPUTS.index(name), 1

    def figure(self, key: str, fund: int) -> tuple[int, int]:
        """Row and column of a fund's figure (fund 0 is A, 1 is B)."""
        return self.FIGURE_HEADER + 1 + [k for k, _ in COMPARE_FIGURES].index(key), 1 + fund

    def history_column(self, fund: int) -> int:
        return self.HISTORY_COLUMN + fund * (len(HISTORY_COLUMNS) + 1)

    def names(self, sheet: str, data_names: dict[str, list[str]] | None = None) -> dict[str, str]:
        """The sheet's defined names; with ``data_names`` (NAV and BENCH names of the funds,
        in FUND_LIST order), the names that pick the chosen funds' columns."""
        out = {name: address(*self.input(name), True, sheet) for name in self.INPUTS}
        for fund, letter in enumerate("AB"):
            out[f"COMPARE_{letter}_NO"] = address(self.FUND_NO_ROW, 1 + fund, True, sheet)
            for field, names in (data_names or {}).items():
                out[f"COMPARE_{letter}_{field}"] = f"CHOOSE(COMPARE_{letter}_NO,{','.join(names)})"
        for key, short in _SHORT.items():
            for fund, letter in enumerate("AB"):
                out[f"FUND_{letter}_{short}"] = address(*self.figure(key, fund), True, sheet)
        out["COMPARE_BREAKEVEN"] = address(self.BREAKEVEN_ROW, 1, True, sheet)
        return out


def compute_compare(F, rows: dict[str, dict[str, object]], inputs: CompareInputs, commission: float,
                    impact_model: str, half_spread: float, series: dict[str, dict[str, list]],
                    dates: list) -> CompareSheet:
    """The Compare sheet's cells for ``inputs``; ``rows`` are Fund Comparison's values by fund,
    ``series`` the NAV and BENCH columns of each fund as a host passes them, ``dates`` the
    DATES column."""
    lay = CompareLayout()
    figures: dict[str, tuple[Cell, Cell]] = {}
    for key, column in COMPARE_FIGURES:
        pair = []
        for letter, fund in (("A", inputs.fund_a), ("B", inputs.fund_b)):
            pair.append(Cell(f"=INDEX({column},MATCH(COMPARE_{letter},FUND_LIST,0))", rows[fund][key]))
        figures[key] = (pair[0], pair[1])

    def fund(letter: str, key: str) -> Arg:
        return single(f"FUND_{letter}_{_SHORT[key]}", figures[key]["AB".index(letter)].value)

    size, corr = single("COMPARE_SIZE", inputs.trade_size), single("COMPARE_CORRELATION", inputs.correlation)
    commission_, model, spread = (single("COMMISSION", commission), single("IMPACT_MODEL", impact_model),
                                  single("HALF_SPREAD", half_spread))
    be = call(F.ETF_BREAKEVEN, "ETF_BREAKEVEN", size, commission_, fund("A", "holding_cost"),
              fund("A", "market_impact"), fund("B", "holding_cost"), fund("B", "market_impact"), model,
              spread, spread)
    prob = []
    for k, years in enumerate(PROB_YEARS):
        years_ref = single(f"$A{lay.PROB_TITLE + 3 + k}", float(years))
        prob.append(call(F.ETF_PROB_CHEAPER, "ETF_PROB_CHEAPER", size, years_ref, commission_,
                         fund("A", "holding_cost"), fund("A", "holding_cost_se"), fund("A", "tracking_error"),
                         fund("A", "market_impact"), fund("B", "holding_cost"), fund("B", "holding_cost_se"),
                         fund("B", "tracking_error"), fund("B", "market_impact"), corr, model, spread, spread))

    def dollars(letter: str, years: Arg) -> Cell:
        cost = call(F.ETF_TOTAL_COST, "ETF_TOTAL_COST", size, years, commission_, fund(letter, "holding_cost"),
                    fund(letter, "market_impact"), fund(letter, "tracking_error"),
                    fund(letter, "holding_cost_se"), model, spread)
        return index_of(cost, COST_FIGURES.index("dollars") + 1)

    curves = []
    for i, years in enumerate(CURVE_YEARS):
        years_ref = single(f"$A{lay.CURVE_FIRST + 1 + i}", float(years))
        curves.append((dollars("A", years_ref), dollars("B", years_ref)))
    # The break-even point on the chart; #N/A (no point drawn) where there is none.
    found = isinstance(be.value, float)
    at_be = dollars("A", single("COMPARE_BREAKEVEN", be.value if found else 1.0))
    marker = (Cell("=IF(ISNUMBER(COMPARE_BREAKEVEN),COMPARE_BREAKEVEN,NA())", be.value if found else "#N/A"),
              Cell(f"=IF(ISNUMBER(COMPARE_BREAKEVEN),{at_be.formula[1:]},NA())",
                   at_be.value if found else "#N/A"))
    tickers = list(rows)
    fund_no = tuple(Cell(f"=MATCH(COMPARE_{letter},FUND_LIST,0)", tickers.index(t) + 1)
                    for letter, t in (("A", inputs.fund_a), ("B", inputs.fund_b)))
    history = {letter: _history(F, letter, series[t], dates)
               for letter, t in (("A", inputs.fund_a), ("B", inputs.fund_b))}
    return CompareSheet(inputs, figures, be, prob, curves, marker, fund_no, history)


def _history(F, letter: str, series: dict[str, list], dates: list) -> list[list[Cell]]:
    """A fund's holding cost over a trailing year, every CHART_STEP-th window end (and the
    last): one row of HISTORY_COLUMNS each, read from one ETF_HOLDING_COST_HISTORY call."""
    table = call(F.ETF_HOLDING_COST_HISTORY, "ETF_HOLDING_COST_HISTORY", ref(f"COMPARE_{letter}_NAV", series["NAV"]),
                 ref(f"COMPARE_{letter}_BENCH", series["BENCH"]), ref("DATES", dates), literal(HISTORY_WINDOW),
                 MISSING, literal(False))
    if not isinstance(table.value, list):
        raise ValueError(f"the cost history of fund {letter}: {table.value}")
    return [[index_of(table, k + 1, c + 1) for c in range(len(HISTORY_COLUMNS))]
            for k in chart_rows(len(table.value))]
