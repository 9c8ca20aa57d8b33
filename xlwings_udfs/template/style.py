"""The look of the template workbook: colours, number formats, and the small writing helpers
every sheet uses (a value, a formula with its cached result, a wrapped text block, colour
scales)."""
from __future__ import annotations

import contextlib
import contextvars
import datetime as _dt
import math
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter

from ..analytics.figures import FIGURES, excel_format
from .cells import Cell
from .naming import DEFAULT_NAMESPACE, check_host, check_namespace, for_host
from .sample import EXCEL_EPOCH

__all__ = ["FONT", "formats", "figure_formats", "put", "cached", "formula", "merged_text", "text_block",
           "cost_scale", "size_scale", "rows_for", "host_names"]

_RED, _WHITE, _ORANGE = "#F8696B", "#FFFFFF", "#F4B183"
_BLUE_DARK, _BLUE, _BLUE_LIGHT, _GREY = "#1F3864", "#BDD7EE", "#DDEBF7", "#595959"
FONT = "Calibri"


def formats(wb: xlsxwriter.Workbook) -> SimpleNamespace:
    base = {"font_name": FONT, "font_size": 11}

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
        num2=f(num_format="0.00"),
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


def put(ws, r: int, c: int, value: Any, fmt=None) -> None:
    """A plain value; strings always as text, never parsed into a formula."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        ws.write_blank(r, c, None, fmt)
    elif isinstance(value, bool):
        ws.write_boolean(r, c, value, fmt)
    elif isinstance(value, str):
        ws.write_string(r, c, value, fmt)
    else:
        ws.write_number(r, c, float(value), fmt)


def cached(value: Any) -> Any:
    """A formula's result as the file stores it: a date as its Excel serial number."""
    if isinstance(value, bool) or isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, (_dt.date, np.datetime64)):
        return (pd.Timestamp(value) - EXCEL_EPOCH) / pd.Timedelta(days=1)
    return float(value)


# The host the workbook being written is for: its formulas call the ETF_ functions by the
# names that host binds (naming.for_host). Set by the writer for the duration of one write.
_host: contextvars.ContextVar[tuple[str, str]] = contextvars.ContextVar("template_host",
                                                                        default=("classic", DEFAULT_NAMESPACE))


@contextlib.contextmanager
def host_names(host: str, namespace: str = DEFAULT_NAMESPACE):
    """Write formulas with the function names of ``host`` inside the block."""
    token = _host.set((check_host(host), check_namespace(namespace)))
    try:
        yield
    finally:
        _host.reset(token)


def formula(ws, r: int, c: int, cell: Cell, fmt=None) -> None:
    """A formula with its cached result (what Excel and LibreOffice show until recalculated),
    its ETF_ calls spelled for the host being written."""
    ws.write_formula(r, c, for_host(cell.formula, *_host.get()), fmt, cached(cell.value))


def merged_text(ws, r1, c1, r2, c2, s: str, fmt) -> None:
    ws.merge_range(r1, c1, r2, c2, "", fmt)
    ws.write_string(r1, c1, s, fmt)


def cost_scale(ws, rng: str, floor: float | None = -0.01) -> None:
    """Red shading that deepens with the cost; gains (>= 0) stay white."""
    if floor is None:
        ws.conditional_format(rng, {"type": "2_color_scale", "min_type": "min", "min_color": _RED,
                                    "max_type": "num", "max_value": 0, "max_color": _WHITE})
    else:
        ws.conditional_format(rng, {"type": "2_color_scale", "min_type": "num", "min_value": floor,
                                    "min_color": _RED, "max_type": "num", "max_value": 0,
                                    "max_color": _WHITE})


def size_scale(ws, rng: str) -> None:
    """Orange shading for magnitudes (tracking error, market impact)."""
    ws.conditional_format(rng, {"type": "2_color_scale", "min_type": "num", "min_value": 0,
                                "min_color": _WHITE, "max_type": "max", "max_color": _ORANGE})


def rows_for(s: str, width_chars: float) -> int:
    """Lines a wrapped text needs in a column ``width_chars`` wide (prose runs ~20% narrower
    than the digit width Excel measures columns in)."""
    per_line = max(width_chars * 1.2, 1.0)
    return sum(max(1, math.ceil(len(part) / per_line)) for part in s.split("\n"))


def text_block(ws, r: int, c1: int, c2: int, s: str, fmt, width_chars: float) -> None:
    """A wrapped text over merged columns, with a row height that shows all of it."""
    merged_text(ws, r, c1, r, c2, s, fmt)
    ws.set_row(r, 15 * rows_for(s, width_chars) + 3)


def figure_formats(wb: xlsxwriter.Workbook, keys) -> dict:
    """One number format per figure column, from the registry of figures."""
    made: dict[str, object] = {}
    out = {}
    for key in keys:
        code = excel_format(FIGURES[key])
        if code not in made:
            made[code] = wb.add_format({"font_name": FONT, "font_size": 11, "num_format": code})
        out[key] = made[code]
    return out
