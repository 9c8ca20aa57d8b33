"""The figures of one fund from columns of input files: every figure of ``tracking_stats``,
the market impact when there are prices and volumes, and the first and last date. The
analyze and universe commands both compute a fund through here, so the two report the same
figures in the same order.

A fund's values come from one file, or from two (the fund's and the index's) put on the
dates of either (:func:`two_files`). :class:`FundData` keeps, for every value passed to the
analytics, the file, column and line it comes from, so that an error of the analytics is
said in the user's terms (:meth:`FundData.in_file_terms`): the column and the line of the
file, the option that set an argument.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..analytics.errors import InputError
from ..analytics.figures import TRACKING_FIGURES
from .errors import BadValues, CliError, FileProblem
from .table import Table
from .parser import OPTIONS, naming_the_option

__all__ = ["FUND_COLUMNS", "FundData", "Source", "file_values", "fund_figures", "two_files"]

#: The columns of a fund's results, in order: the figures of the registry, then its first
#: and last date (the market impact only where there are prices and volumes).
FUND_COLUMNS: tuple[str, ...] = (*TRACKING_FIGURES, "market_impact", "start", "end")


@dataclass
class Source:
    """Where the values of one argument come from: a column of a file, and the line (row of
    a sheet) of each value passed, 0 where a value has no line (a date the file lacks)."""

    table: Table
    column: str
    lines: np.ndarray


@dataclass
class FundData:
    """One fund's values as the analytics take them, and where each comes from.

    ``sources`` maps the analytics' argument names (``fund``, ``nav``, ``index``, ``dates``,
    ``price``, ``volume``) to their :class:`Source`.
    """

    nav: np.ndarray
    index: np.ndarray
    dates: pd.DatetimeIndex | None
    price: np.ndarray | None
    volume: np.ndarray | None
    sources: dict[str, Source]
    notes: list[str] = field(default_factory=list)

    def take(self, rows: np.ndarray) -> "FundData":
        """The same fund on some rows only (one fund of a panel)."""
        def part(v):
            return None if v is None else v[rows]

        sources = {k: Source(s.table, s.column, s.lines[rows]) for k, s in self.sources.items()}
        return FundData(self.nav[rows], self.index[rows], part(self.dates), part(self.price),
                        part(self.volume), sources, list(self.notes))

    def position(self, row: int) -> str:
        """Row ``row`` (1-based, of the values passed) without dates: its line in the file."""
        s = self.sources["fund"]
        return f"{s.table.axis} {int(s.lines[row - 1])} (no dates)"

    def in_file_terms(self, err: InputError) -> InputError:
        """An error of the analytics about these values in the user's terms: the column and
        line of the file (see :meth:`error`), or the option that set the argument."""
        source = self.sources.get(err.argument)
        if source is not None:
            return source.table.located(err, source.column, source.lines)
        if err.argument in OPTIONS:
            return naming_the_option(err)
        return err

    def error(self, err: InputError) -> CliError | InputError:
        """:meth:`in_file_terms` as the command line's error to raise."""
        source = self.sources.get(err.argument)
        if source is not None:
            return BadValues(source.table.where, self.in_file_terms(err))
        if err.argument in OPTIONS:
            return naming_the_option(err)
        return FileProblem(self.sources["fund"].table.where, str(err))

    def note(self, err: InputError) -> str:
        """:meth:`in_file_terms` as a note in a table of funds: ``column 'nav': ..., first at
        line 69``."""
        e = self.in_file_terms(err)
        if err.argument in self.sources:
            e = e.replace(argument=f"column {e.argument!r}")
        return str(e)


def file_values(table: Table, dates: str | None, fund: str | None, index: str | None, price: str | None,
                volume: str | None, date_format: str | None) -> FundData:
    """The columns of one file read: numbers together (one decimal mark), dates by the
    column rule. A file without the fund (the index's) has no fund values, and the other
    way round."""
    names = [c for c in (fund, index, price, volume) if c is not None]
    values = dict(zip(names, table.numbers(*names)))
    sources = {}
    for arg, col in (("fund", fund), ("nav", fund), ("index", index), ("dates", dates), ("price", price),
                     ("volume", volume)):
        if col is not None:
            sources[arg] = Source(table, col, table.lines)
    d = table.dates(dates, date_format) if dates is not None else None
    return FundData(values.get(fund), values.get(index), d, values.get(price), values.get(volume), sources)


def two_files(fund: FundData, index: FundData) -> FundData:
    """A fund from its file and its index from another, on the dates of either, in date
    order: a date one file lacks is blank in its values (the analytics skip it, and count
    it). Each file's dates are put in order (newest first is reversed) and checked on their
    own first, so that an error names the file's line."""
    from ..analytics.dates import chronological

    parts = []
    for data in (fund, index):
        source = data.sources["dates"]
        try:
            idx, order = chronological(data.dates, None, source.column)
        except InputError as err:
            raise BadValues(source.table.where, source.table.located(err, source.column, source.lines)) from None
        parts.append((idx, order))
    axis = parts[0][0].union(parts[1][0])
    (fund_idx, fund_order), (index_idx, index_order) = parts
    on_fund, on_index = axis.get_indexer(fund_idx), axis.get_indexer(index_idx)

    def place(values: np.ndarray | None, at: np.ndarray, order: slice, blank: Any = np.nan) -> np.ndarray | None:
        """Values in date order, on the rows of their dates in ``axis``; ``blank`` elsewhere."""
        if values is None:
            return None
        values = np.asarray(values)
        out = np.full(axis.size, blank, dtype=values.dtype if blank == 0 else float)
        out[at] = values[order]
        return out

    sources = {name: Source(s.table, s.column, place(s.lines, on_fund, fund_order, 0))
               for name, s in fund.sources.items()}
    s = index.sources["index"]
    sources["index"] = Source(s.table, s.column, place(s.lines, on_index, index_order, 0))
    return FundData(place(fund.nav, on_fund, fund_order), place(index.index, on_index, index_order), axis,
                    place(fund.price, on_fund, fund_order), place(fund.volume, on_fund, fund_order), sources,
                    fund.notes + index.notes)


def fund_figures(data: FundData, periods_per_year: float | None, window: int | None,
                 trade_size: float) -> tuple[dict[str, Any], list[str]]:
    """A fund's figures by key (in the order of :data:`FUND_COLUMNS`) and its notes.

    Raises the analytics' :class:`~xlwings_udfs.analytics.errors.InputError` for data that
    give no figures (:meth:`FundData.error` says it in the file's terms).
    """
    from ..analytics import tracking_stats
    from ..analytics.impact import market_impact_stats

    stats = tracking_stats(data.nav, data.index, data.dates, periods_per_year, window)
    out: dict[str, Any] = {k: getattr(stats, k) for k in TRACKING_FIGURES}
    notes = list(data.notes) + [n.text for n in stats.notes]
    if data.price is not None and data.volume is not None:
        mi = market_impact_stats(data.price, data.nav, data.volume, data.dates, trade_size)
        out["market_impact"] = mi.impact
        if mi.note:
            notes.append(mi.note)
    out["start"] = _first_last(stats.start, data)
    out["end"] = _first_last(stats.end, data)
    return out, notes


def _first_last(v: Any, data: FundData) -> str:
    """A first or last date as text; without dates, the line of the file it is on."""
    v = v.item() if hasattr(v, "item") else v
    if data.dates is not None:
        return f"{pd.Timestamp(v):%Y-%m-%d}"  # datetime64 comes back as nanoseconds
    return data.position(int(v))
