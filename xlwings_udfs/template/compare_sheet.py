"""Writing the Compare sheet, its charts, and the series of its cost histories on Chart Data.

The sheet's cells are computed by :mod:`.compare`; this module puts them where
:class:`.compare.CompareLayout` says, in the style of :mod:`.style`.
"""
from __future__ import annotations

from ..analytics.figures import FIGURES
from . import style as S
from . import text as T
from .cells import Cell
from .compare import CURVE_YEARS, HISTORY_COLUMNS, HISTORY_WINDOW, PROB_YEARS, CompareLayout
from .compute import TemplateBook
from .layout import SHEETS

__all__ = ["write", "history_data"]


_COMPARE_INPUT_LABELS = {"COMPARE_A": "Fund A (choose)", "COMPARE_B": "Fund B (choose)",
                         "COMPARE_SIZE": "Trade size", "COMPARE_CORRELATION": "Correlation of their deviations"}


def write(wb, ws, book: TemplateBook, fmt) -> None:
    lay, cmp = CompareLayout(), book.compare
    ws.write_string(0, 0, "Two funds, one trade: which costs less, over which holding period, and how sure is that?",
                    fmt.title)
    ws.set_row(0, 24)
    ws.write_string(1, 0, "For the two funds and the trade size chosen below; commission, impact model and "
                          "half-spread from Total Cost. Negative = costs the investor.", fmt.subtitle)
    values = {"COMPARE_A": (cmp.inputs.fund_a, fmt.in_text), "COMPARE_B": (cmp.inputs.fund_b, fmt.in_text),
              "COMPARE_SIZE": (cmp.inputs.trade_size, fmt.in_usd_left),
              "COMPARE_CORRELATION": (cmp.inputs.correlation, fmt.in_years)}
    for name in lay.INPUTS:
        r, c = lay.input(name)
        ws.write_string(r, 0, _COMPARE_INPUT_LABELS[name], fmt.label)
        v, f = values[name]
        S.put(ws, r, c, v, f)
    for name in ("COMPARE_A", "COMPARE_B"):
        r, c = lay.input(name)
        ws.data_validation(r, c, r, c, {"validate": "list", "source": "=FUND_LIST", "input_title": "Fund",
                                        "input_message": "Choose a fund of the comparison."})
    r, c = lay.input("COMPARE_CORRELATION")
    ws.data_validation(r, c, r, c, {"validate": "decimal", "criteria": "between", "minimum": -1, "maximum": 1,
                                    "error_message": "A correlation, from -1 to 1."})
    ws.write_string(lay.FUND_NO_ROW, 0, "Position in the fund list", fmt.note)
    for fund, cell in enumerate(cmp.fund_no):
        S.formula(ws, lay.FUND_NO_ROW, 1 + fund, cell, fmt.note)
    ws.write_string(r, 2, "0 = independent; positive if alike", fmt.note)
    # The two funds' figures
    ws.write_string(lay.FIGURE_HEADER, 0, "", fmt.header_left)
    ws.write_string(lay.FIGURE_HEADER, 1, "Fund A", fmt.header)
    ws.write_string(lay.FIGURE_HEADER, 2, "Fund B", fmt.header)
    figure_fmt = {"name": fmt.text, **S.figure_formats(wb, [k for k in cmp.figures if k in FIGURES])}
    for key, (a, b) in cmp.figures.items():
        r, _ = lay.figure(key, 0)
        ws.write_string(r, 0, "Name" if key == "name" else FIGURES[key].label, fmt.label)
        S.formula(ws, r, 1, a, figure_fmt[key])
        S.formula(ws, r, 2, b, figure_fmt[key])
    # The break-even and the odds
    ws.write_string(lay.BREAKEVEN_ROW, 0, FIGURES["breakeven_years"].label, fmt.label)
    S.formula(ws, lay.BREAKEVEN_ROW, 1, cmp.breakeven, fmt.num2)
    ws.write_string(lay.BREAKEVEN_ROW, 2, "years (before: cheaper to trade wins)", fmt.note)
    ws.write_string(lay.PROB_TITLE, 0, "Probability that A costs less, by holding period", fmt.h)
    ws.write_blank(lay.PROB_TITLE, 1, None, fmt.h)
    ws.write_string(lay.PROB_TITLE + 1, 0, "Years held", fmt.header_left)
    ws.write_string(lay.PROB_TITLE + 1, 1, FIGURES["prob_cheaper"].label, fmt.header)
    for k, (years, cell) in enumerate(zip(PROB_YEARS, cmp.prob)):
        ws.write_number(lay.PROB_TITLE + 2 + k, 0, years, fmt.in_years_grid)
        S.formula(ws, lay.PROB_TITLE + 2 + k, 1, cell, fmt.pct1)
    # The cost curves, and the break-even point, for the chart
    ws.write_string(lay.CURVE_TITLE, 0, "Expected total cost of the trade, by holding period ($)", fmt.h)
    for c in (1, 2):
        ws.write_blank(lay.CURVE_TITLE, c, None, fmt.h)
    ws.write_string(lay.CURVE_FIRST - 1, 0, "Years held", fmt.header_left)
    S.formula(ws, lay.CURVE_FIRST - 1, 1, Cell("=COMPARE_A", cmp.inputs.fund_a), fmt.header)
    S.formula(ws, lay.CURVE_FIRST - 1, 2, Cell("=COMPARE_B", cmp.inputs.fund_b), fmt.header)
    for i, (years, (a, b)) in enumerate(zip(CURVE_YEARS, cmp.curves)):
        ws.write_number(lay.CURVE_FIRST + i, 0, years, fmt.in_years_grid)
        S.formula(ws, lay.CURVE_FIRST + i, 1, a, fmt.usd)
        S.formula(ws, lay.CURVE_FIRST + i, 2, b, fmt.usd)
    ws.write_string(lay.MARKER_ROW, 0, "Break-even point (years, $)", fmt.label)
    S.formula(ws, lay.MARKER_ROW, 1, cmp.marker[0], fmt.num2)
    S.formula(ws, lay.MARKER_ROW, 2, cmp.marker[1], fmt.usd)
    S.text_block(ws, lay.MARKER_ROW + 2, 0, 2, T.COMPARE_FOOTER, fmt.note_wrap, 106)
    ws.set_column(0, 0, 34)
    ws.set_column(1, 2, 36)  # the funds' names

    sheet, last = SHEETS["compare"], lay.CURVE_FIRST + len(CURVE_YEARS) - 1
    chart = wb.add_chart({"type": "scatter", "subtype": "straight"})
    for col, color in ((1, "#2F5597"), (2, "#C55A11")):
        chart.add_series({"name": [sheet, lay.CURVE_FIRST - 1, col],
                          "categories": [sheet, lay.CURVE_FIRST, 0, last, 0],
                          "values": [sheet, lay.CURVE_FIRST, col, last, col],
                          "line": {"color": color, "width": 2.0}})
    chart.add_series({"name": "Break-even", "categories": [sheet, lay.MARKER_ROW, 1, lay.MARKER_ROW, 1],
                      "values": [sheet, lay.MARKER_ROW, 2, lay.MARKER_ROW, 2],
                      "marker": {"type": "diamond", "size": 9, "fill": {"color": "#000000"}}, "line": {"none": True}})
    chart.set_title({"name": "Expected total cost against the holding period", "name_font": {"size": 11, "bold": True}})
    chart.set_x_axis({"name": "years held", "min": 0, "max": 20, "num_font": {"size": 9}, "label_position": "low",
                      "name_font": {"size": 9, "bold": False}, "line": {"color": "#A6A6A6"}})
    chart.set_y_axis({"num_format": '$#,##0;$(#,##0)', "num_font": {"size": 9},
                      "major_gridlines": {"visible": True, "line": {"color": "#E7E6E6"}}})
    chart.set_legend({"position": "bottom", "font": {"size": 9}})
    chart.set_chartarea({"border": {"none": True}})
    chart.set_size({"width": 640, "height": 380})
    ws.insert_chart(lay.INPUT_FIRST, 3, chart, {"x_offset": 20, "y_offset": 0})
    for fund, letter in enumerate("AB"):
        ws.insert_chart(lay.CURVE_TITLE + 21 * fund, 3, _history_chart(wb, book, fund, letter),
                        {"x_offset": 20, "y_offset": 0})


def _history_chart(wb, book: TemplateBook, fund: int, letter: str):
    """A fund's holding cost over a trailing year, with its 95% interval, date by date."""
    lay, ch = CompareLayout(), SHEETS["chart"]
    c0 = lay.history_column(fund)
    first, last = book.layout.CH_FIRST, book.layout.CH_FIRST + len(book.compare.history[letter]) - 1
    chart = wb.add_chart({"type": "line"})
    for c, name, line in ((1, "EHC", {"color": "#2F5597", "width": 2.0}),
                          (2, "95% interval", {"color": "#8EA9DB", "width": 1.0, "dash_type": "dash"}),
                          (3, "", {"color": "#8EA9DB", "width": 1.0, "dash_type": "dash"})):
        series = {"categories": [ch, first, c0, last, c0], "values": [ch, first, c0 + c, last, c0 + c],
                  "line": line}
        if name:
            series["name"] = name
        chart.add_series(series)
    chart.set_title({"name": [ch, lay.HISTORY_TITLE_ROW, c0], "name_font": {"size": 11, "bold": True}})
    chart.set_x_axis({"date_axis": True, "label_position": "low", "num_format": "mmm yyyy", "major_unit": 3,
                      "major_unit_type": "months", "num_font": {"size": 9}, "line": {"color": "#A6A6A6"}})
    chart.set_y_axis({"num_format": "0.0%", "num_font": {"size": 9},
                      "major_gridlines": {"visible": True, "line": {"color": "#E7E6E6"}}})
    chart.set_legend({"position": "bottom", "font": {"size": 9}, "delete_series": [2]})
    chart.set_chartarea({"border": {"none": True}})
    chart.set_size({"width": 640, "height": 380})
    return chart


def history_data(ws, book: TemplateBook, fmt) -> None:
    """The two compared funds' cost histories, for the Compare sheet's charts."""
    lay, cmp = CompareLayout(), book.compare
    fmts = (fmt.date, fmt.pct2, fmt.pct2, fmt.pct2)
    for fund, letter in enumerate("AB"):
        c0 = lay.history_column(fund)
        ticker = cmp.inputs.fund_a if letter == "A" else cmp.inputs.fund_b
        S.formula(ws, lay.HISTORY_TITLE_ROW, c0,
                  Cell(f'="Holding cost of "&COMPARE_{letter}&" over a trailing year ({HISTORY_WINDOW} returns)"',
                       f"Holding cost of {ticker} over a trailing year ({HISTORY_WINDOW} returns)"), fmt.label)
        for c, h in enumerate(HISTORY_COLUMNS):
            ws.write_string(book.layout.CH_HEADER_ROW, c0 + c, h, fmt.header_left if c == 0 else fmt.header)
        for i, row in enumerate(cmp.history[letter]):
            for c, (cell, f) in enumerate(zip(row, fmts)):
                S.formula(ws, book.layout.CH_FIRST + i, c0 + c, cell, f)
        ws.set_column(c0, c0, 12)
        ws.set_column(c0 + 1, c0 + 3, 11)
