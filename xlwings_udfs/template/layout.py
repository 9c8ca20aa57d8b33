"""Where everything sits in the template workbook: sheets, rows, columns and defined names.

Shared by the computation (:mod:`.compute`, which writes formulas that refer to cells) and
the writer (:mod:`.writer`, which puts them there). Rows and columns are zero-based. The
columns of the comparison and total-cost tables are figures of the registry
(:mod:`xlwings_udfs.analytics.figures`), by key.
"""
from __future__ import annotations

from .cells import address, quoted
from .sample import SampleBlock

__all__ = ["SHEETS", "WHATIF_YEARS", "WHATIF_SIZES", "DATA_FIELDS", "CHART_STEP", "CHART_COLUMNS",
           "Layout", "chart_rows"]

#: Sheet names, in workbook order.
SHEETS = {
    "start": "Start",
    "comparison": "Fund Comparison",
    "total": "Total Cost",
    "whatif": "What-If",
    "compare": "Compare",
    "data": "Data",
    "chart": "Chart Data",
    "conf": "xlwings.conf",
}
#: Holding periods (rows) and trade sizes (columns) of the what-if tables.
WHATIF_YEARS = (1, 2, 3, 5, 10, 20)
WHATIF_SIZES = (10_000, 100_000, 1_000_000, 10_000_000, 100_000_000)
#: Data sheet columns of each fund block: (name prefix, header).
DATA_FIELDS = (("NAV", "NAV"), ("BENCH", "Benchmark"), ("PRICE", "Price"), ("VOLUME", "Volume"))
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


class Layout:
    """Where everything sits (zero-based rows and columns)."""

    # Data: one header row, then one row per date (whole-column references work).
    DATA_HEADER_ROW, DATA_FIRST = 0, 1
    # Fund Comparison: title, subtitle, blank, group header, column header, one row per fund.
    COMP_GROUP_ROW, COMP_HEADER_ROW, COMP_FIRST = 3, 4, 5
    COMP_COLS = (
        "ticker", "name", "holding_cost", "holding_cost_lower", "holding_cost_upper",
        "holding_cost_se", "rolling_td_latest", "rolling_td_median", "rolling_td_high",
        "rolling_td_low", "expense_ratio", "tracking_error", "tracking_error_traditional",
        "noise_share", "market_impact", "beta", "r_squared",
    )
    # Total Cost: title, subtitle, blank, "Inputs", five named inputs, blank, header, funds.
    TC_INPUT_FIRST = 4
    TC_INPUTS = ("TRADE_SIZE", "HOLDING_YEARS", "COMMISSION", "IMPACT_MODEL", "HALF_SPREAD")
    TC_GROUP_ROW, TC_HEADER_ROW, TC_FIRST = 10, 11, 12
    TC_COLS = ("ticker", "name", "expense_ratio", "dollars", "annual", "lower", "upper", "beyond_fee")
    # What-If: the chosen fund and its figures, then two grids.
    WI_FUND_ROW = 3
    WI_ROWS = ("fund", "name", "holding_cost", "holding_cost_se", "tracking_error", "market_impact",
               "commission", "model", "spread")
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
        for name, key in (("FUND_LIST", "ticker"), ("COMP_NAME", "name"), ("COMP_EHC", "holding_cost"),
                          ("COMP_EHC_SE", "holding_cost_se"), ("COMP_TE", "tracking_error"),
                          ("COMP_MIC", "market_impact")):
            out[name] = self.comp_column(key)
        for name in self.TC_INPUTS:
            r, c = self.tc_input(name)
            out[name] = address(r, c, True, SHEETS["total"])
        wi = SHEETS["whatif"]
        for name, key in (("CHOSEN_FUND", "fund"), ("FUND_EHC", "holding_cost"),
                          ("FUND_EHC_SE", "holding_cost_se"), ("FUND_TE", "tracking_error"),
                          ("FUND_MIC", "market_impact")):
            out[name] = address(self.wi_row(key), 1, True, wi)
        ch = SHEETS["chart"]
        out["CHART_TITLE"] = address(self.CH_TITLE_ROW, 0, True, ch)
        out["CHART_PERIODS"] = address(self.CH_PERIODS_ROW, 1, True, ch)
        out["CHART_FUND_NO"] = address(self.CH_NUMBER_ROW, 1, True, ch)
        return out
