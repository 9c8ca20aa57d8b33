"""Writing a computed :class:`~.book.TemplateBook` to an .xlsx file with XlsxWriter.

Formula cells are written with their cached results (XlsxWriter is the library that can),
spilling formulas as dynamic arrays over their explicit output range with the other spill
cells' values written after them. Text is always written as text (``write_string``), so a
fund name such as ``=HYPERLINK(...)`` or ``-Fund`` stays a name.
"""
from __future__ import annotations

import datetime as _dt
import math
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import xlsxwriter

from ..analytics.figures import FIGURES, excel_format
from .compute import TemplateBook
from .layout import CHART_COLUMNS, DATA_FIELDS, SHEETS, WHATIF_SIZES, WHATIF_YEARS
from .cells import Cell, address, quoted
from .files import close_workbook, write_atomically
from . import text as T

__all__ = ["write_workbook"]

# Excel recalculates a file on open when it asks for it (fullCalcOnLoad) or when the file was
# last calculated by an older calculation engine (a lower calcId). Either would replace every
# cached result by #NAME? where the add-in is not connected, so the file claims to have been
# calculated by the current engine of Excel 365 and does not ask for a recalculation.
_CALC_ID = 191029
_FIXED_DATE = _dt.datetime(2025, 1, 1)  # document properties: the same bytes for the same content

_RED, _WHITE, _ORANGE = "#F8696B", "#FFFFFF", "#F4B183"
_BLUE_DARK, _BLUE, _BLUE_LIGHT, _GREY = "#1F3864", "#BDD7EE", "#DDEBF7", "#595959"
_FONT = "Calibri"


def _formats(wb: xlsxwriter.Workbook) -> SimpleNamespace:
    base = {"font_name": _FONT, "font_size": 11}

    def f(**kw):
        return wb.add_format({**base, **kw})

    inp = {"font_color": "#0000FF", "bg_color": "#FFF2CC", "border": 1, "border_color": "#BFBFBF"}
    money = '$#,##0.00_);$(#,##0.00)'  # $(6,996.50), as Morningstar prints a cost
    return SimpleNamespace(
        title=f(bold=True, font_size=16, font_color=_BLUE_DARK),
        subtitle=f(italic=True, font_color=_GREY),
        subtitle_wrap=f(italic=True, font_color=_GREY, text_wrap=True, valign="top"),
        h=f(bold=True, font_size=12, font_color=_BLUE_DARK, bottom=1, border_color=_BLUE),
        p=f(text_wrap=True, valign="top"),
        term=f(bold=True, text_wrap=True, valign="top"),
        note=f(italic=True, font_color=_GREY),
        note_wrap=f(italic=True, font_color=_GREY, text_wrap=True, valign="top"),
        group=f(bold=True, align="center", valign="vcenter", bg_color=_BLUE, border=1,
                border_color=_WHITE),
        header=f(bold=True, text_wrap=True, align="center", valign="bottom", bg_color=_BLUE_LIGHT,
                 bottom=1, border_color="#8EA9DB"),
        header_left=f(bold=True, text_wrap=True, align="left", valign="bottom", bg_color=_BLUE_LIGHT,
                      bottom=1, border_color="#8EA9DB"),
        label=f(bold=True),
        text=f(),
        ticker=f(bold=True),
        pct2=f(num_format="0.00%"),
        pct3=f(num_format="0.000%"),
        pct4=f(num_format="0.0000%"),
        pct1=f(num_format="0.0%"),
        num3=f(num_format="0.000"),
        num4=f(num_format="0.0000"),
        usd=f(num_format=money),
        date=f(num_format="yyyy-mm-dd", align="left"),
        level=f(num_format="#,##0.0000"),
        volume=f(num_format="#,##0"),
        int_=f(num_format="0"),
        in_pct2=f(num_format="0.00%", **inp),
        in_pct3=f(num_format="0.000%", **inp),
        in_usd=f(num_format="$#,##0", **inp),
        in_usd2=f(num_format="$#,##0.00", **inp),
        in_years=f(num_format="0.##", align="left", **inp),
        in_years_grid=f(num_format='0.## "y"', bold=True, **inp),
        in_size_grid=f(num_format="$#,##0", bold=True, align="center", **inp),
        in_text=f(**inp),
        in_usd_left=f(num_format="$#,##0", align="left", **inp),
        in_usd2_left=f(num_format="$#,##0.00", align="left", **inp),
        in_pct3_left=f(num_format="0.000%", align="left", **inp),
        conf_key=f(bold=True),
        mono=f(font_name="Consolas", font_color=_GREY),
    )


def _put(ws, r: int, c: int, value: Any, fmt=None) -> None:
    """A plain value; strings always as text, never parsed into a formula."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        ws.write_blank(r, c, None, fmt)
    elif isinstance(value, bool):
        ws.write_boolean(r, c, value, fmt)
    elif isinstance(value, str):
        ws.write_string(r, c, value, fmt)
    else:
        ws.write_number(r, c, float(value), fmt)


def _cached(value: Any) -> Any:
    if isinstance(value, bool) or isinstance(value, str):
        return value
    if value is None:
        return ""
    return float(value)


def _formula(ws, r: int, c: int, cell: Cell, fmt=None) -> None:
    """A formula with its cached result (what Excel and LibreOffice show until recalculated)."""
    ws.write_formula(r, c, cell.formula, fmt, _cached(cell.value))


def _merged_text(ws, r1, c1, r2, c2, s: str, fmt) -> None:
    ws.merge_range(r1, c1, r2, c2, "", fmt)
    ws.write_string(r1, c1, s, fmt)


def _cost_scale(ws, rng: str, floor: float | None = -0.01) -> None:
    """Red shading that deepens with the cost; gains (>= 0) stay white."""
    if floor is None:
        ws.conditional_format(rng, {"type": "2_color_scale", "min_type": "min", "min_color": _RED,
                                    "max_type": "num", "max_value": 0, "max_color": _WHITE})
    else:
        ws.conditional_format(rng, {"type": "2_color_scale", "min_type": "num", "min_value": floor,
                                    "min_color": _RED, "max_type": "num", "max_value": 0,
                                    "max_color": _WHITE})


def _size_scale(ws, rng: str) -> None:
    """Orange shading for magnitudes (tracking error, market impact)."""
    ws.conditional_format(rng, {"type": "2_color_scale", "min_type": "num", "min_value": 0,
                                "min_color": _WHITE, "max_type": "max", "max_color": _ORANGE})


def _rows_for(s: str, width_chars: float) -> int:
    """Lines a wrapped text needs in a column ``width_chars`` wide (prose runs ~20% narrower
    than the digit width Excel measures columns in)."""
    per_line = max(width_chars * 1.2, 1.0)
    return sum(max(1, math.ceil(len(part) / per_line)) for part in s.split("\n"))


def _text_block(ws, r: int, c1: int, c2: int, s: str, fmt, width_chars: float) -> None:
    """A wrapped text over merged columns, with a row height that shows all of it."""
    _merged_text(ws, r, c1, r, c2, s, fmt)
    ws.set_row(r, 15 * _rows_for(s, width_chars) + 3)


def _start(wb, ws, book: TemplateBook, fmt) -> None:
    from .. import functions as F

    ws.hide_gridlines(2)
    ws.set_column(0, 0, 2)
    ws.set_column(1, 1, 30)
    ws.set_column(2, 2, 104)
    d = book.data.dates
    shown = [k for k in (*book.layout.COMP_COLS, *book.layout.TC_COLS) if k in FIGURES]
    figures = [(FIGURES[k].label, FIGURES[k].definition) for k in dict.fromkeys(shown)]
    lines = T.start_sheet(book.version, len(book.data.funds), f"{d[0]:%Y-%m-%d}", f"{d[-1]:%Y-%m-%d}",
                          figures)
    r = 1
    for style, content in lines:
        if style == "title":
            ws.write_string(r, 1, content, fmt.title)
            ws.set_row(r, 24)
        elif style == "subtitle":
            _text_block(ws, r, 1, 2, content, fmt.subtitle_wrap, 134)
            r += 1
        elif style == "h":
            r += 1
            ws.write_string(r, 1, content, fmt.h)
            ws.write_blank(r, 2, None, fmt.h)
            ws.set_row(r, 19)
        elif style == "p":
            _text_block(ws, r, 1, 2, content, fmt.p, 134)
        elif style == "def":
            term, body = content
            ws.write_string(r, 1, term, fmt.term)
            ws.write_string(r, 2, body, fmt.p)
            ws.set_row(r, 15 * max(_rows_for(body, 104), _rows_for(term, 30)) + 3)
        elif style == "note":
            r += 1
            ws.write_string(r, 1, content, fmt.note)
        elif style == "version":
            ws.write_string(r, 1, content, fmt.term)
            # Only the package version: the rest of ETF_VERSION() describes the machine.
            table = F.ETF_VERSION()
            ws.write_formula(r, 2, "=INDEX(ETF_VERSION(),1,2)", fmt.mono, _cached(table[0][1]))
        r += 1
    ws.activate()


def _data(wb, ws, book: TemplateBook, fmt) -> None:
    lay, block = book.layout, book.data
    ws.write_string(0, 0, f"Daily data: {len(block.funds)} sample funds, "
                          f"{block.dates[0]:%Y-%m-%d} to {block.dates[-1]:%Y-%m-%d}", fmt.title)
    ws.set_row(0, 24)
    ws.write_string(1, 0, T.DATA_NOTE, fmt.note)
    ws.write_string(lay.DATA_FIELD_ROW, 0, "Date", fmt.header_left)
    ws.write_blank(lay.DATA_FUND_ROW, 0, None, fmt.group)
    ws.set_column(0, 0, 11)
    for r, serial in enumerate(block.serials):
        ws.write_number(lay.DATA_FIRST + r, 0, serial, fmt.date)
    for j, f in enumerate(block.funds):
        c0 = lay.data_col(j, 0)
        _merged_text(ws, lay.DATA_FUND_ROW, c0, lay.DATA_FUND_ROW, c0 + 3, f.ticker, fmt.group)
        for k, (prefix, label) in enumerate(DATA_FIELDS):
            c = c0 + k
            ws.write_string(lay.DATA_FIELD_ROW, c, label, fmt.header)
            cf = fmt.volume if prefix == "VOLUME" else fmt.level
            for r, v in enumerate(f.series(prefix)):
                _put(ws, lay.DATA_FIRST + r, c, None if math.isnan(v) else float(v), cf)
        ws.set_column(c0, c0 + 2, 11)
        ws.set_column(c0 + 3, c0 + 3, 13)
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


def _figure_formats(wb, keys, fmt) -> dict:
    """One number format per figure column, from the registry."""
    made: dict[str, object] = {}
    out = {}
    for key in keys:
        code = excel_format(FIGURES[key])
        if code not in made:
            made[code] = wb.add_format({"font_name": _FONT, "font_size": 11, "num_format": code})
        out[key] = made[code]
    return out


def _comparison(wb, ws, book: TemplateBook, fmt) -> None:
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
            _merged_text(ws, lay.COMP_GROUP_ROW, cols[a], lay.COMP_GROUP_ROW, cols[b], label, fmt.group)
    for key, c in cols.items():
        ws.write_string(lay.COMP_HEADER_ROW, c, _header(key),
                        fmt.header_left if key in _ID_HEADERS else fmt.header)
        note = T.COMPARISON_NOTES.get(key) or FIGURES[key].definition
        ws.write_comment(lay.COMP_HEADER_ROW, c, note, {"x_scale": 1.6, "y_scale": 0.9, "font_name": _FONT})
    ws.set_row(lay.COMP_GROUP_ROW, 18)
    ws.set_row(lay.COMP_HEADER_ROW, 47)  # three lines: "Market impact ($100k)"
    pct = _figure_formats(wb, [k for k in lay.COMP_COLS if k in book.comparison[0].cells], fmt)
    for j, row in enumerate(book.comparison):
        r = lay.COMP_FIRST + j
        ws.write_string(r, cols["ticker"], row.fund.ticker, fmt.ticker)
        ws.write_string(r, cols["name"], row.fund.name, fmt.text)
        ws.write_number(r, cols["expense_ratio"], row.fund.expense_ratio, fmt.in_pct2)
        for key, f in pct.items():
            _formula(ws, r, cols[key], row.cells[key], f)
    first, last = lay.COMP_FIRST, lay.COMP_FIRST + n - 1
    rng = lambda a, b: f"{address(first, cols[a])}:{address(last, cols[b])}"  # noqa: E731
    _cost_scale(ws, rng("holding_cost", "holding_cost_upper"))
    _cost_scale(ws, rng("rolling_td_latest", "rolling_td_low"))
    _size_scale(ws, rng("tracking_error", "tracking_error_traditional"))
    _size_scale(ws, rng("market_impact", "market_impact"))
    ws.conditional_format(rng("noise_share", "noise_share"),
                          {"type": "data_bar", "bar_color": "#9BC2E6", "bar_solid": True,
                           "min_type": "num", "min_value": 0, "max_type": "num", "max_value": 1})
    ws.data_validation(rng("expense_ratio", "expense_ratio"), {
        "validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 0.1,
        "input_title": "Expense ratio", "input_message": "The published fee, a year: 0.09% "
        "(type 0.09%, or 0.0009).", "error_message": "Between 0% and 10%."})
    _text_block(ws, last + 2, 0, len(cols) - 1, T.COMPARISON_FOOTER, fmt.note_wrap, 215)
    ws.set_column(cols["ticker"], cols["ticker"], 12)
    ws.set_column(cols["name"], cols["name"], 41)
    ws.set_column(cols["holding_cost"], cols["r_squared"], 10.5)
    ws.set_column(cols["market_impact"], cols["market_impact"], 11.5)
    ws.freeze_panes(lay.COMP_FIRST, 2)


_TC_LABELS = {"TRADE_SIZE": "Trade size", "HOLDING_YEARS": "Holding period (years)",
              "COMMISSION": "Commission per trade", "IMPACT_MODEL": "Market impact model",
              "HALF_SPREAD": "Half-spread"}


def _total(wb, ws, book: TemplateBook, fmt) -> None:
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
        _put(ws, r, c, v, f)
        _text_block(ws, r, c + 1, len(cols) - 1, T.TOTAL_COST_NOTES[name], fmt.note_wrap, 74)
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
    _merged_text(ws, lay.TC_GROUP_ROW, cols["dollars"], lay.TC_GROUP_ROW, cols["upper"],
                 "ETF_TOTAL_COST (one formula a row)", fmt.group)
    for key, c in cols.items():
        ws.write_string(lay.TC_HEADER_ROW, c, _header(key),
                        fmt.header_left if key in _ID_HEADERS else fmt.header)
    ws.set_row(lay.TC_HEADER_ROW, 32)
    ws.set_row(lay.TC_GROUP_ROW, 18)
    figure_fmt = _figure_formats(wb, lay.TC_COLS[2:], fmt)
    for j, row in enumerate(book.total):
        r = lay.TC_FIRST + j
        _formula(ws, r, cols["ticker"], row.cells["ticker"], fmt.ticker)
        _formula(ws, r, cols["name"], row.cells["name"], fmt.text)
        for key, f in figure_fmt.items():
            _formula(ws, r, cols[key], row.cells[key], f)
    first, last = lay.TC_FIRST, lay.TC_FIRST + len(book.total) - 1
    rng = lambda a, b: f"{address(first, cols[a])}:{address(last, cols[b])}"  # noqa: E731
    _cost_scale(ws, rng("dollars", "dollars"), floor=None)
    _cost_scale(ws, rng("annual", "annual"))
    _cost_scale(ws, rng("beyond_fee", "beyond_fee"))
    _text_block(ws, last + 2, 0, len(cols) - 1, T.TOTAL_COST_FOOTER, fmt.note_wrap, 138)
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


def _whatif(wb, ws, book: TemplateBook, fmt) -> None:
    lay, wi = book.layout, book.whatif
    ws.write_string(0, 0, "What-if: the cost of a round trip by holding period and trade size",
                    fmt.title)
    ws.set_row(0, 24)
    ws.write_string(1, 0, "For the fund chosen below. Negative = costs the investor.", fmt.subtitle)
    cell_fmt = {"name": fmt.text, "commission": fmt.usd, "model": fmt.text, "spread": fmt.pct3,
                **_figure_formats(wb, [k for k in lay.WI_ROWS if k in FIGURES], fmt)}
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
            _formula(ws, r, 1, wi.cells[key], cell_fmt[key])
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
                _formula(ws, top + 2 + i, 1 + k, cell, f)
        if f is not fmt.usd:  # dollars grow with the trade size; only the rates compare
            rng = f"{address(top + 2, 1)}:{address(top + 1 + len(WHATIF_YEARS), len(WHATIF_SIZES))}"
            _cost_scale(ws, rng)
    _text_block(ws, lay.wi_grid2 + 3 + len(WHATIF_YEARS), 0, len(WHATIF_SIZES), T.WHATIF_FOOTER,
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


def _chart_data(wb, ws, book: TemplateBook, fmt) -> None:
    lay, s = book.layout, book.chart
    _text_block(ws, 0, 0, 4, T.CHART_NOTE, fmt.note_wrap, 68)
    _formula(ws, lay.CH_TITLE_ROW, 0, s.title, fmt.label)
    ws.write_string(lay.CH_PERIODS_ROW, 0, "Periods a year", fmt.label)
    ws.write_number(lay.CH_PERIODS_ROW, 1, s.periods, fmt.in_years)
    ws.write_string(lay.CH_NUMBER_ROW, 0, "Fund's block on Data", fmt.label)
    _formula(ws, lay.CH_NUMBER_ROW, 1, s.fund_no, fmt.int_)
    for c, h in enumerate(CHART_COLUMNS):
        ws.write_string(lay.CH_HEADER_ROW, c, h, fmt.header_left if c == 0 else fmt.header)
    ws.set_row(lay.CH_HEADER_ROW, 47)
    fmts = (fmt.date, fmt.int_, fmt.level, fmt.level, fmt.pct3, fmt.pct3)
    for c, (column, f) in enumerate(zip(s.columns, fmts)):
        for i, cell in enumerate(column):
            if isinstance(cell, Cell):
                _formula(ws, lay.CH_FIRST + i, c, cell, f)
            else:
                ws.write_number(lay.CH_FIRST + i, c, cell, f)
    ws.set_column(0, 0, 16)
    ws.set_column(1, 1, 11)
    ws.set_column(2, 3, 12)
    ws.set_column(4, 5, 15)
    ws.freeze_panes(lay.CH_FIRST, 1)


def _conf(wb, ws, book: TemplateBook, fmt) -> None:
    # Classic xlwings reads the keys in column A from A1 down and the values beside them.
    ws.write_string(0, 0, "UDF Modules", fmt.conf_key)
    ws.write_string(0, 1, "xlwings_udfs.functions", fmt.text)
    ws.set_column(0, 0, 16)
    ws.set_column(1, 1, 28)


def _write(book: TemplateBook, path: Path) -> None:
    wb = xlsxwriter.Workbook(str(path), {"use_future_functions": True, "strings_to_formulas": False,
                                         "strings_to_urls": False, "strings_to_numbers": False})
    wb.calc_on_load = False
    wb.calc_id = _CALC_ID
    wb.set_properties({"title": "ETF cost analytics", "subject": "ETF cost analytics template",
                       "author": "xlwings-etf-analytics", "created": _FIXED_DATE,
                       "comments": f"Built by xlwings-etf-analytics {book.version}"})
    fmt = _formats(wb)
    sheets = {key: wb.add_worksheet(name) for key, name in SHEETS.items()}
    for name, target in book.names.items():
        wb.define_name(name, "=" + target)
    _start(wb, sheets["start"], book, fmt)
    _comparison(wb, sheets["comparison"], book, fmt)
    _total(wb, sheets["total"], book, fmt)
    _whatif(wb, sheets["whatif"], book, fmt)
    _data(wb, sheets["data"], book, fmt)
    _chart_data(wb, sheets["chart"], book, fmt)
    _conf(wb, sheets["conf"], book, fmt)
    for key in ("comparison", "total", "whatif"):  # the tables print one page wide
        sheets[key].set_landscape()
        sheets[key].fit_to_pages(1, 0)
    close_workbook(wb)


def write_workbook(book: TemplateBook, path, force: bool = False) -> Path:
    """Write ``book`` to ``path`` atomically; an existing file is replaced only with ``force``."""
    return write_atomically(path, lambda tmp: _write(book, tmp), force=force)
