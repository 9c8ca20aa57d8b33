"""Which column of an input file is what: found by name, the same way in every file, unless
an option names it.

Names are compared without case or punctuation (:func:`.table.key`: ``Adj. Close*`` is
``adj close``), in the order of the lists below, the first present winning:

* **dates**: :data:`DATE_NAMES`; else a first column without a name whose first value is a
  date (how pandas writes its index);
* **a fund's levels**: :data:`LEVEL_NAMES`, distributions reinvested before not (``Adj
  Close`` before ``Close``), then a NAV, a price, a level, a value;
* **the index's levels**, in the fund's file: :data:`INDEX_NAMES`; in a file of its own, the
  same :data:`LEVEL_NAMES` as a fund's;
* **market price and volume** for the market impact: :data:`PRICE_NAMES` and
  :data:`VOLUME_NAMES`, found only when the fund's levels are a NAV: the impact compares the
  market price with the NAV, and a Yahoo-style export (Close and Adj Close) has no NAV;
* **the fund** of a panel: :data:`ID_NAMES`.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass, field

from .. import cells, text_fields
from .errors import FileProblem
from .table import Table, key

__all__ = ["DATE_NAMES", "LEVEL_NAMES", "INDEX_NAMES", "PRICE_NAMES", "VOLUME_NAMES", "ID_NAMES",
           "FundColumns", "fund_columns", "date_column", "id_column", "refuse_panel"]

DATE_NAMES = ("date", "dates", "datum", "fecha", "day", "trade date", "trading date", "as of date",
              "valuation date", "nav date", "price date", "timestamp", "datetime", "time")
LEVEL_NAMES = ("adj close", "adjusted close", "close", "closing price", "nav", "net asset value",
               "fund nav", "price", "level", "value", "last", "px last")
INDEX_NAMES = ("index", "benchmark", "index level", "index close", "benchmark level")
PRICE_NAMES = ("price", "market price", "close", "closing price", "last", "px last")
VOLUME_NAMES = ("volume", "vol", "shares traded")
ID_NAMES = ("fund", "ticker", "symbol", "isin", "id")

#: Levels that are a market price, not a NAV: against them a market price has no premium.
_MARKET_PRICES = frozenset({"adj close", "adjusted close", "close", "closing price", "price",
                            "market price", "last", "px last"})


def date_column(table: Table, given: str | None, required: bool = False, why: str = "") -> str | None:
    """The date column: the one given, one of :data:`DATE_NAMES`, or a first column without
    a name whose first value is a date."""
    found = table.find(given, DATE_NAMES, "date", "--dates", required=False)
    if found is None and table.names[0] in table.unnamed:
        first = next((v for v in table.raw(table.names[0]) if not cells.is_blank(v)), None)
        if cells.kind(first) == "date" or cells.is_date_text(first):
            found = table.names[0]
    if found is None and required:
        raise FileProblem(table.where, f"no date column (looked for {', '.join(DATE_NAMES[:6])}...){why}; "
                                       f"name it with --dates; columns: {', '.join(table.names)}")
    return found


def id_column(table: Table, given: str | None, required: bool) -> str | None:
    """The column naming the fund of each row of a panel."""
    return table.find(given, ID_NAMES, "fund name", "--id", required=required)


def refuse_panel(table: Table) -> None:
    """A file of several funds (a fund column naming more than one) is for ``universe``."""
    column = table.find(None, ID_NAMES, "fund name", "--id", required=False)
    if column is None:
        return
    names = [t for t in dict.fromkeys(table.text(column)) if t]
    if len(names) > 1 and not all(isinstance(text_fields.from_text(t), float) for t in names):
        shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
        raise FileProblem(table.where, f"{len(names)} funds in column {column!r} ({shown}): analyze takes one "
                                       f"fund; etf-analytics universe {table.path} gives each fund's figures")


@dataclass
class FundColumns:
    """The columns of a fund's file: its dates, levels, index (when the file holds it), and
    market price and volume (when there is a NAV to compare the price with)."""

    dates: str | None
    fund: str
    index: str | None
    price: str | None = None
    volume: str | None = None
    notes: list[str] = field(default_factory=list)


def fund_columns(table: Table, args: argparse.Namespace, index_in_file: bool,
                 fund_option: str = "--fund", fund_given: str | None = None) -> FundColumns:
    """The columns of one fund's file, found by name unless the options name them.

    ``index_in_file``: the index is a column of this file (else it comes from a file of its
    own). ``fund_given``: the fund column an option names, if any.
    """
    dates = date_column(table, args.dates)
    index = None
    if index_in_file:
        index = table.find(args.index, INDEX_NAMES, "index levels", "--index", required=False)
        if index is None:
            raise FileProblem(table.where, f"no index levels column (looked for {', '.join(INDEX_NAMES)}); name "
                                           f"it with --index, or give the index's own file: etf-analytics analyze "
                                           f"FUND_FILE INDEX_FILE; columns: {', '.join(table.names)}")
    fund = table.find(fund_given, LEVEL_NAMES, "fund levels", fund_option, exclude=(dates, index),
                      required=False)
    if fund is None:
        second = ("; the index may be a second file: etf-analytics analyze FUND_FILE INDEX_FILE"
                  if index_in_file else "")
        raise FileProblem(table.where, f"no fund levels column (looked for {', '.join(LEVEL_NAMES)}); "
                                       f"name it with {fund_option}{second}; columns: {', '.join(table.names)}")
    cols = FundColumns(dates, fund, index)
    taken = (dates, index, fund)
    explicit = args.price is not None or args.volume is not None
    price = table.find(args.price, PRICE_NAMES, "market price", "--price", required=False, exclude=taken)
    volume = table.find(args.volume, VOLUME_NAMES, "volume", "--volume", required=False, exclude=taken)
    if explicit:
        if price is None or volume is None:
            from .errors import UsageError

            raise UsageError("market impact needs both --price and --volume")
        cols.price, cols.volume = price, volume
    elif price is not None and volume is not None:
        if key(fund) in _MARKET_PRICES:
            cols.notes.append(f"no market impact: it compares the market price with the NAV, and {fund!r} "
                              f"is a market price (name a NAV column with {fund_option})")
        else:
            cols.price, cols.volume = price, volume
    return cols
