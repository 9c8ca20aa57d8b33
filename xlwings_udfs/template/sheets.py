"""The sheets of the template workbook, one function each: the Start sheet, Fund Comparison,
Total Cost, What-If (with its chart), Data, Chart Data and xlwings.conf. Each writes the cells
that :mod:`.compute` computed where :mod:`.layout` puts them, in the style of :mod:`.style`.
"""
from __future__ import annotations

import math

from ..analytics.figures import FIGURES
from . import compare_sheet
from . import style as S
from . import text as T
from .cells import Cell, address, quoted
from .compute import TemplateBook
from .layout import CHART_COLUMNS, DATA_FIELDS, SHEETS, WHATIF_SIZES, WHATIF_YEARS

__all__ = ["start", "data", "comparison", "total", "whatif", "chart_data", "conf"]


def start(wb, ws, book: TemplateBook, fmt, host: str, namespace: str) -> None:
    from .. import functions as F

    ws.hide_gridlines(2)
    ws.set_column(0, 0, 2)
    ws.set_column(1, 1, 30)
    ws.set_column(2, 2, 104)
    d = book.data.dates
    shown = [k for k in (*book.layout.COMP_COLS, *book.layout.TC_COLS) if k in FIGURES]
    figures = [(FIGURES[k].label, FIGURES[k].definition) for k in dict.fromkeys(shown)]
    lines = T.start_sheet(book.version, len(book.data.funds), f"{d[0]:%Y-%m-%d}", f"{d[-1]:%Y-%m-%d}",
                          figures, host, namespace)
    r = 1
    for style, content in lines:
        if style == "title":
            ws.write_string(r, 1, content, fmt.title)
            ws.set_row(r, 24)
        elif style == "subtitle":
            S.text_block(ws, r, 1, 2, content, fmt.subtitle_wrap, 134)
            r += 1
        elif style == "h":
            r += 1
            ws.write_string(r, 1, content, fmt.h)
            ws.write_blank(r, 2, None, fmt.h)
            ws.set_row(r, 19)
        elif style == "p":
            S.text_block(ws, r, 1, 2, content, fmt.p, 134)
        elif style == "def":
            term, body = content
            ws.write_string(r, 1, term, fmt.term)
            ws.write_string(r, 2, body, fmt.p)
            ws.set_row(r, 15 * max(S.rows_for(body, 104), S.rows_for(term, 30)) + 3)
        elif style == "note":
            r += 1
            ws.write_string(r, 1, content, fmt.note)
        elif style == "version":
            ws.write_string(r, 1, content, fmt.term)
            # Only the package version: the rest of ETF_VERSION() describes the machine.
            table = F.ETF_VERSION()
            S.formula(ws, r, 2, Cell("=INDEX(ETF_VERSION(),1,2)", table[0][1]), fmt.mono)
        r += 1
    ws.activate()


def data(wb, ws, book: TemplateBook, fmt) -> None:
    # One header row, then the data: a whole column (B:B) is a header and values, which the
    # functions read like the named range below the header.
    lay, block = book.layout, book.data
    ws.write_string(lay.DATA_HEADER_ROW, 0, "Date", fmt.header_left)
    ws.write_comment(lay.DATA_HEADER_ROW, 0,
                     f"Daily data of {len(block.funds)} sample funds, {block.dates[0]:%Y-%m-%d} to "
                     f"{block.dates[-1]:%Y-%m-%d}. {T.DATA_NOTE}",
                     {"x_scale": 2.2, "y_scale": 1.4, "font_name": S.FONT})
    ws.set_column(0, 0, 11)
    for r, serial in enumerate(block.serials):
        ws.write_number(lay.DATA_FIRST + r, 0, serial, fmt.date)
    for j, f in enumerate(block.funds):
        c0 = lay.data_col(j, 0)
        for k, (prefix, label) in enumerate(DATA_FIELDS):
            c = c0 + k
            ws.write_string(lay.DATA_HEADER_ROW, c, f"{f.ticker} {label}", fmt.header)
            cf = fmt.volume if prefix == "VOLUME" else fmt.level
            for r, v in enumerate(f.series(prefix)):
                S.put(ws, lay.DATA_FIRST + r, c, None if math.isnan(v) else float(v), cf)
        ws.set_column(c0, c0 + 2, 11)
        ws.set_column(c0 + 3, c0 + 3, 13)
    ws.set_row(lay.DATA_HEADER_ROW, 32)
    ws.freeze_panes(lay.DATA_FIRST, 1)


# Column headers of the inputs and identifiers; every figure's header is its short label.
_ID_HEADERS = {"ticker": "Fund", "name": "Name"}
_COMP_GROUPS = (
    ("holding_cost", "holding_cost_se", "Holding cost (EHC), a year"),
    ("rolling_td_latest", "rolling_td_low", "Tracking difference, 1-year windows"),
    ("expense_ratio", "expense_ratio", "Fee"),
    ("tracking_error", "noise_share", "Tracking error, a year"),
    ("market_impact", "market_impact", "Trading"),
    ("beta", "r_squared", "Fit to index"),
)


def _header(key: str) -> str:
    return _ID_HEADERS.get(key) or FIGURES[key].short


def comparison(wb, ws, book: TemplateBook, fmt) -> None:
    lay = book.layout
    cols = {k: i for i, k in enumerate(lay.COMP_COLS)}
    n = len(book.comparison)
    d = book.data.dates
    ws.write_string(0, 0, "Fund comparison: what each fund cost its holders", fmt.title)
    ws.set_row(0, 24)
    ws.write_string(1, 0, f"From the daily data on the Data sheet, {d[0]:%Y-%m-%d} to "
                          f"{d[-1]:%Y-%m-%d}. Negative = costs the investor.", fmt.subtitle)
    for a, b, label in _COMP_GROUPS:
        if cols[a] == cols[b]:
            ws.write_string(lay.COMP_GROUP_ROW, cols[a], label, fmt.group)
        else:
            S.merged_text(ws, lay.COMP_GROUP_ROW, cols[a], lay.COMP_GROUP_ROW, cols[b], label, fmt.group)
    for key, c in cols.items():
        ws.write_string(lay.COMP_HEADER_ROW, c, _header(key),
                        fmt.header_left if key in _ID_HEADERS else fmt.header)
        note = T.COMPARISON_NOTES.get(key) or FIGURES[key].definition
        ws.write_comment(lay.COMP_HEADER_ROW, c, note, {"x_scale": 1.6, "y_scale": 0.9, "font_name": S.FONT})
    ws.set_row(lay.COMP_GROUP_ROW, 18)
    ws.set_row(lay.COMP_HEADER_ROW, 47)  # three lines: "Market impact ($100k)"
    pct = S.figure_formats(wb, [k for k in lay.COMP_COLS if k in book.comparison[0].cells])
    for j, row in enumerate(book.comparison):
        r = lay.COMP_FIRST + j
        ws.write_string(r, cols["ticker"], row.fund.ticker, fmt.ticker)
        ws.write_string(r, cols["name"], row.fund.name, fmt.text)
        ws.write_number(r, cols["expense_ratio"], row.fund.expense_ratio, fmt.in_pct2)
        for key, f in pct.items():
            S.formula(ws, r, cols[key], row.cells[key], f)
    first, last = lay.COMP_FIRST, lay.COMP_FIRST + n - 1
    rng = lambda a, b: f"{address(first, cols[a])}:{address(last, cols[b])}"  # noqa: E731
    S.cost_scale(ws, rng("holding_cost", "holding_cost_upper"))
    S.cost_scale(ws, rng("rolling_td_latest", "rolling_td_low"))
    S.size_scale(ws, rng("tracking_error", "tracking_error_traditional"))
    S.size_scale(ws, rng("market_impact", "market_impact"))
    ws.conditional_format(rng("noise_share", "noise_share"),
                          {"type": "data_bar", "bar_color": "#9BC2E6", "bar_solid": True,
                           "min_type": "num", "min_value": 0, "max_type": "num", "max_value": 1})
    ws.data_validation(rng("expense_ratio", "expense_ratio"), {
        "validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 0.1,
        "input_title": "Expense ratio", "input_message": "The published fee, a year: 0.09% "
        "(type 0.09%, or 0.0009).", "error_message": "Between 0% and 10%."})
    S.text_block(ws, last + 2, 0, len(cols) - 1, T.COMPARISON_FOOTER, fmt.note_wrap, 215)
    ws.set_column(cols["ticker"], cols["ticker"], 12)
    ws.set_column(cols["name"], cols["name"], 41)
    ws.set_column(cols["holding_cost"], cols["r_squared"], 10.5)
    ws.set_column(cols["market_impact"], cols["market_impact"], 11.5)
    ws.freeze_panes(lay.COMP_FIRST, 2)


_TC_LABELS = {"TRADE_SIZE": "Trade size", "HOLDING_YEARS": "Holding period (years)",
              "COMMISSION": "Commission per trade", "IMPACT_MODEL": "Market impact model",
              "HALF_SPREAD": "Half-spread"}


def total(wb, ws, book: TemplateBook, fmt) -> None:
    lay, inp = book.layout, book.inputs
    cols = {k: i for i, k in enumerate(lay.TC_COLS)}
    ws.write_string(0, 0, "Total cost of a round trip: buy, hold, sell", fmt.title)
    ws.set_row(0, 24)
    ws.write_string(1, 0, "For each fund, at the inputs below. Negative = costs the investor.",
                    fmt.subtitle)
    ws.write_string(lay.TC_INPUT_FIRST - 1, 0, "Inputs", fmt.h)
    values = {"TRADE_SIZE": (inp.trade_size, fmt.in_usd_left), "HOLDING_YEARS": (inp.years, fmt.in_years),
              "COMMISSION": (inp.commission, fmt.in_usd2_left), "IMPACT_MODEL": (inp.impact_model, fmt.in_text),
              "HALF_SPREAD": (inp.half_spread, fmt.in_pct3_left)}
    for name in lay.TC_INPUTS:
        r, c = lay.tc_input(name)
        ws.write_string(r, 0, _TC_LABELS[name], fmt.label)
        v, f = values[name]
        S.put(ws, r, c, v, f)
        S.text_block(ws, r, c + 1, len(cols) - 1, T.TOTAL_COST_NOTES[name], fmt.note_wrap, 74)
    val = {
        "TRADE_SIZE": {"validate": "decimal", "criteria": ">", "value": 0,
                       "error_message": "A positive number of dollars."},
        "HOLDING_YEARS": {"validate": "decimal", "criteria": "between", "minimum": 0.01,
                          "maximum": 100, "error_message": "Between 0.01 and 100 years."},
        "COMMISSION": {"validate": "decimal", "criteria": ">=", "value": 0,
                       "error_message": "Zero or more dollars a trade."},
        "IMPACT_MODEL": {"validate": "list", "source": ["square_root", "morningstar"],
                         "error_message": "square_root or morningstar."},
        "HALF_SPREAD": {"validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 0.05,
                        "error_message": "A fraction between 0 and 5%."},
    }
    for name, spec in val.items():
        r, c = lay.tc_input(name)
        ws.data_validation(r, c, r, c, spec)
    S.merged_text(ws, lay.TC_GROUP_ROW, cols["dollars"], lay.TC_GROUP_ROW, cols["upper"],
                 "ETF_TOTAL_COST (one formula a row)", fmt.group)
    for key, c in cols.items():
        ws.write_string(lay.TC_HEADER_ROW, c, _header(key),
                        fmt.header_left if key in _ID_HEADERS else fmt.header)
    ws.set_row(lay.TC_HEADER_ROW, 32)
    ws.set_row(lay.TC_GROUP_ROW, 18)
    figure_fmt = S.figure_formats(wb, lay.TC_COLS[2:])
    for j, row in enumerate(book.total):
        r = lay.TC_FIRST + j
        S.formula(ws, r, cols["ticker"], row.cells["ticker"], fmt.ticker)
        S.formula(ws, r, cols["name"], row.cells["name"], fmt.text)
        for key, f in figure_fmt.items():
            S.formula(ws, r, cols[key], row.cells[key], f)
    first, last = lay.TC_FIRST, lay.TC_FIRST + len(book.total) - 1
    rng = lambda a, b: f"{address(first, cols[a])}:{address(last, cols[b])}"  # noqa: E731
    S.cost_scale(ws, rng("dollars", "dollars"), floor=None)
    S.cost_scale(ws, rng("annual", "annual"))
    S.cost_scale(ws, rng("beyond_fee", "beyond_fee"))
    S.text_block(ws, last + 2, 0, len(cols) - 1, T.TOTAL_COST_FOOTER, fmt.note_wrap, 138)
    ws.set_column(0, 0, 24)
    ws.set_column(1, 1, 41)
    ws.set_column(2, 2, 10.5)
    ws.set_column(3, 3, 14)
    ws.set_column(4, 4, 10.5)
    ws.set_column(5, 6, 14)
    ws.set_column(7, 7, 12)
    ws.freeze_panes(lay.TC_FIRST, 2)


_WI_LABELS = {"fund": "Fund (choose)", "name": "Name", "commission": "Commission per trade",
              "model": "Market impact model", "spread": "Half-spread"}


def whatif(wb, ws, book: TemplateBook, fmt) -> None:
    lay, wi = book.layout, book.whatif
    ws.write_string(0, 0, "What-if: the cost of a round trip by holding period and trade size",
                    fmt.title)
    ws.set_row(0, 24)
    ws.write_string(1, 0, "For the fund chosen below. Negative = costs the investor.", fmt.subtitle)
    cell_fmt = {"name": fmt.text, "commission": fmt.usd, "model": fmt.text, "spread": fmt.pct3,
                **S.figure_formats(wb, [k for k in lay.WI_ROWS if k in FIGURES])}
    for key in lay.WI_ROWS:
        r = lay.wi_row(key)
        ws.write_string(r, 0, _WI_LABELS[key] if key in _WI_LABELS else FIGURES[key].label, fmt.label)
        if key == "fund":
            ws.write_string(r, 1, wi.chosen, fmt.in_text)
            ws.data_validation(r, 1, r, 1, {"validate": "list", "source": "=FUND_LIST",
                                            "input_title": "Fund",
                                            "input_message": "Choose a fund of the comparison."})
            ws.write_string(r, 2, "from the drop-down", fmt.note)
        else:
            S.formula(ws, r, 1, wi.cells[key], cell_fmt[key])
    ws.write_string(lay.wi_row("commission"), 2, "from Total Cost", fmt.note)
    for top, grid, title, f in ((lay.WI_GRID1, wi.dollars, "Total cost of a round trip ($)", fmt.usd),
                                (lay.wi_grid2, wi.annual, "Annual cost", fmt.pct2)):
        ws.write_string(top, 0, title, fmt.h)
        for k in range(len(WHATIF_SIZES)):
            ws.write_blank(top, 1 + k, None, fmt.h)
        ws.write_string(top + 1, 0, "Years held \\ trade size", fmt.header_left)
        for k, size in enumerate(WHATIF_SIZES):
            ws.write_number(top + 1, 1 + k, size, fmt.in_size_grid)
        for i, years in enumerate(WHATIF_YEARS):
            ws.write_number(top + 2 + i, 0, years, fmt.in_years_grid)
            for k, cell in enumerate(grid[i]):
                S.formula(ws, top + 2 + i, 1 + k, cell, f)
        if f is not fmt.usd:  # dollars grow with the trade size; only the rates compare
            rng = f"{address(top + 2, 1)}:{address(top + 1 + len(WHATIF_YEARS), len(WHATIF_SIZES))}"
            S.cost_scale(ws, rng)
    S.text_block(ws, lay.wi_grid2 + 3 + len(WHATIF_YEARS), 0, len(WHATIF_SIZES), T.WHATIF_FOOTER,
                fmt.note_wrap, 103)
    ws.set_column(0, 0, 30)
    ws.set_column(1, len(WHATIF_SIZES), 15)

    ch = SHEETS["chart"]
    rows = f"${lay.CH_FIRST + 1}:${{col}}${lay.ch_last + 1}"
    col = lambda letter: f"={quoted(ch)}!${letter}{rows.format(col=letter)}"  # noqa: E731
    chart = wb.add_chart({"type": "line"})
    chart.add_series({"name": "Cumulative tracking difference", "categories": col("A"),
                      "values": col("E"), "line": {"color": "#2F5597", "width": 1.25}})
    chart.add_series({"name": "Trend at the holding cost (EHC)", "categories": col("A"),
                      "values": col("F"), "line": {"color": "#C00000", "width": 2.0, "dash_type": "dash"}})
    chart.set_title({"name": [ch, lay.CH_TITLE_ROW, 0], "name_font": {"size": 11, "bold": True}})
    chart.set_x_axis({"date_axis": True, "label_position": "low", "num_format": "mmm yyyy", "major_unit": 6,
                      "major_unit_type": "months", "num_font": {"size": 9},
                      "line": {"color": "#A6A6A6"}})
    chart.set_y_axis({"num_format": "0.0%", "num_font": {"size": 9},
                      "major_gridlines": {"visible": True, "line": {"color": "#E7E6E6"}},
                      "name": "fund vs index, since the first date", "name_font": {"size": 9, "bold": False}})
    chart.set_legend({"position": "bottom", "font": {"size": 9}})
    chart.set_chartarea({"border": {"none": True}})
    chart.set_size({"width": 760, "height": 430})
    ws.insert_chart(lay.WI_FUND_ROW, len(WHATIF_SIZES) + 2, chart, {"x_offset": 10, "y_offset": 0})


def chart_data(wb, ws, book: TemplateBook, fmt) -> None:
    lay, s = book.layout, book.chart
    S.text_block(ws, 0, 0, 4, T.CHART_NOTE, fmt.note_wrap, 68)
    S.formula(ws, lay.CH_TITLE_ROW, 0, s.title, fmt.label)
    ws.write_string(lay.CH_PERIODS_ROW, 0, "Periods a year", fmt.label)
    ws.write_number(lay.CH_PERIODS_ROW, 1, s.periods, fmt.in_years)
    ws.write_string(lay.CH_NUMBER_ROW, 0, "Fund's block on Data", fmt.label)
    S.formula(ws, lay.CH_NUMBER_ROW, 1, s.fund_no, fmt.int_)
    for c, h in enumerate(CHART_COLUMNS):
        ws.write_string(lay.CH_HEADER_ROW, c, h, fmt.header_left if c == 0 else fmt.header)
    ws.set_row(lay.CH_HEADER_ROW, 47)
    fmts = (fmt.date, fmt.int_, fmt.level, fmt.level, fmt.pct3, fmt.pct3)
    for c, (column, f) in enumerate(zip(s.columns, fmts)):
        for i, cell in enumerate(column):
            if isinstance(cell, Cell):
                S.formula(ws, lay.CH_FIRST + i, c, cell, f)
            else:
                ws.write_number(lay.CH_FIRST + i, c, cell, f)
    ws.set_column(0, 0, 16)
    ws.set_column(1, 1, 11)
    ws.set_column(2, 3, 12)
    ws.set_column(4, 5, 15)
    ws.freeze_panes(lay.CH_FIRST, 1)
    compare_sheet.history_data(ws, book, fmt)


def conf(wb, ws, book: TemplateBook, fmt) -> None:
    # Classic xlwings reads the keys in column A from A1 down and the values beside them.
    ws.write_string(0, 0, "UDF Modules", fmt.conf_key)
    ws.write_string(0, 1, "xlwings_udfs.functions", fmt.text)
    ws.set_column(0, 0, 16)
    ws.set_column(1, 1, 28)
