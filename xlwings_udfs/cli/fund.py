"""The figures of one fund from columns of an input file: every figure of
``tracking_stats``, the market impact when there are prices and volumes, and the first and
last date. The analyze and universe commands both compute a fund through here, so the two
report the same figures in the same order; :func:`in_file_terms` says what went wrong with
the columns and lines of the file.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd

from ..analytics.errors import InputError
from ..analytics.figures import TRACKING_FIGURES
from .errors import BadValues, CliError, FileProblem
from .files import Table
from .parser import OPTIONS, naming_the_option

__all__ = ["FUND_COLUMNS", "fund_figures", "in_file_terms"]

#: The columns of a fund's results, in order: the figures of the registry, then its first
#: and last date (the market impact only where there are prices and volumes).
FUND_COLUMNS: tuple[str, ...] = (*TRACKING_FIGURES, "market_impact", "start", "end")


def fund_figures(nav: np.ndarray, index: np.ndarray, dates: pd.DatetimeIndex | None,
                 price: np.ndarray | None, volume: np.ndarray | None,
                 periods_per_year: float | None, window: int | None,
                 trade_size: float) -> tuple[dict[str, Any], list[str]]:
    """A fund's figures by key (in the order of :data:`FUND_COLUMNS`) and its notes.

    Raises the analytics' :class:`~xlwings_udfs.analytics.errors.InputError` for data that
    give no figures.
    """
    from ..analytics import tracking_stats
    from ..analytics.impact import market_impact_stats

    stats = tracking_stats(nav, index, dates, periods_per_year, window)
    out: dict[str, Any] = {k: getattr(stats, k) for k in TRACKING_FIGURES}
    notes = [n.text for n in stats.notes]
    if price is not None and volume is not None:
        mi = market_impact_stats(price, nav, volume, dates, trade_size)
        out["market_impact"] = mi.impact
        if mi.note:
            notes.append(mi.note)
    out["start"] = _date_text(stats.start, dates is not None)
    out["end"] = _date_text(stats.end, dates is not None)
    return out, notes


def _date_text(v: Any, is_date: bool) -> Any:
    """A first or last date as text; without dates it is a row number."""
    v = v.item() if hasattr(v, "item") else v
    if is_date:
        return f"{pd.Timestamp(v):%Y-%m-%d}"  # datetime64 comes back as nanoseconds
    return v


def in_file_terms(err: InputError, table: Table, columns: Mapping[str, str | None]) -> CliError | InputError:
    """An error of :func:`fund_figures` in the user's terms, to raise.

    ``columns`` gives the column of ``table`` passed as each argument (``fund``, ``index``,
    ``dates``, ``nav``, ``price``, ``volume``), every one a whole column in the file's order:
    an error about one of them names the column and the line of the file. An error about an
    argument set by an option names the option.
    """
    column = columns.get(err.argument)
    if column is not None:
        line = None if err.row is None else table.line(err.row - 1)
        return BadValues(table.path, err.replace(argument=column, row=line, axis="line"))
    if err.argument in OPTIONS:
        return naming_the_option(err)
    return FileProblem(table.path, str(err))
