"""Tables for the terminal, drawn with rich: every figure labelled and formatted as the
registry of figures says (:mod:`xlwings_udfs.analytics.figures`), costs in red.

rich is imported here only when a table or a console is made, so the rest of the command
line starts without it.
"""
from __future__ import annotations

import math
from typing import Any, Mapping

import pandas as pd

__all__ = ["TEXT_COLUMNS", "consoles", "figures_table", "frame_table", "label"]

#: Columns that are not figures of the registry, with their headers.
TEXT_COLUMNS = {"name": "Name", "start": "First date", "end": "Last date", "note": "Note"}


def consoles():
    """The consoles of standard output and standard error."""
    from rich.console import Console

    return Console(), Console(stderr=True)


def label(key: str) -> str:
    """What a column is called where it stands among others: the figure's label."""
    from ..analytics.figures import FIGURES

    return FIGURES[key].label if key in FIGURES else TEXT_COLUMNS.get(key, key)


def _header(key: str) -> str:
    """A narrow column header: the figure's short name."""
    from ..analytics.figures import FIGURES

    return FIGURES[key].short if key in FIGURES else TEXT_COLUMNS.get(key, key)


def _text(key: str, value: Any) -> str:
    """A value for the terminal, formatted as its figure of the registry (text as it is)."""
    from ..analytics.figures import FIGURES, format_value

    if key in FIGURES:
        return format_value(FIGURES[key], value)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return str(value)


def _style(key: str, value: Any) -> str:
    """Costs in red, so the eye finds them as in the workbook."""
    from ..analytics.figures import FIGURES

    f = FIGURES.get(key)
    if f is not None and f.cost and isinstance(value, (int, float)) and value < 0:
        return "red"
    return ""


def _cell(key: str, value: Any) -> str:
    text, style = _text(key, value), _style(key, value)
    return f"[{style}]{text}[/]" if style else text


def _table(title: str):
    from rich import box
    from rich.table import Table

    return Table(title=title, title_justify="left", title_style="bold", header_style="bold",
                 box=box.SIMPLE_HEAD, pad_edge=False)


def frame_table(title: str, frame: pd.DataFrame, index_label: str = "Fund",
                kinds: Mapping[str, str] | None = None, headers: Mapping[str, str] | None = None):
    """A table of ``frame``, one row per fund, whose columns are figure keys (or text columns).

    A column that is not named by its figure's key (two funds' total costs side by side)
    gets the figure from ``kinds`` (column -> key) and its header from ``headers``.
    """
    kinds, headers = dict(kinds or {}), dict(headers or {})
    key = {col: kinds.get(col, col) for col in frame.columns}
    texts = {col: [_text(key[col], v) for v in frame[col]] for col in frame.columns}
    names = [str(i) for i in frame.index]
    table = _table(title)
    # A column is never narrower than its widest value: on a narrow terminal the headers
    # wrap, the numbers stay whole.
    table.add_column(index_label, style="bold", min_width=max(map(len, names), default=4))
    for col in frame.columns:
        numeric = key[col] not in TEXT_COLUMNS
        table.add_column(headers.get(col, _header(key[col])), justify="right" if numeric else "left",
                         min_width=max(map(len, texts[col]), default=1) if numeric else None)
    for i, name in enumerate(names):
        table.add_row(name, *(_cell(key[col], frame[col].iloc[i]) for col in frame.columns))
    return table


def figures_table(title: str, figures: Mapping[str, Any]):
    """A table of one fund's figures, one row each: label and value."""
    table = _table(title)
    table.add_column("Figure")
    table.add_column("Value", justify="right")
    for key, v in figures.items():
        table.add_row(label(key), _cell(key, v))
    return table
