"""The ``analyze`` command: every figure for one fund from the columns of an input file,
printed as a table or written as CSV or JSON.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import EXIT_OK, UsageError
from .files import read_table
from .fund import fund_figures, in_file_terms
from .output import check_out, figures_csv, figures_json, write_text
from .render import consoles, figures_table

__all__ = ["analyze"]


def analyze(args: argparse.Namespace) -> int:
    from ..analytics import InputError

    out, err = consoles()
    fmt = args.format or (Path(args.out).suffix.lower().lstrip(".") if args.out else "table")
    if fmt not in ("table", "csv", "json"):
        raise UsageError(f"--out: use a .csv or .json file (or --format), got {args.out}")
    if args.out and fmt == "table":
        raise UsageError("--format table prints to the terminal; give --out a .csv or .json name")
    path = check_out(Path(args.out), args.force) if args.out else None
    csv = Path(args.csv)
    table = read_table(csv)
    fund_col = table.column(args.fund, ("nav", "fund", "fund_nav"), "fund levels")
    index_col = table.column(args.index, ("index", "benchmark", "index_level"), "index levels")
    date_col = table.column(args.dates, ("date", "dates"), "dates", required=False)
    price_col = table.column(args.price, ("price", "close"), "price", required=False)
    volume_col = table.column(args.volume, ("volume",), "volume", required=False)
    if (price_col is None) != (volume_col is None) and (args.price or args.volume):
        raise UsageError("market impact needs both --price and --volume")
    with_mi = price_col is not None and volume_col is not None
    dates = table.dates(date_col) if date_col else None
    nav, index = table.numbers(fund_col), table.numbers(index_col)
    price = table.numbers(price_col) if with_mi else None
    volume = table.numbers(volume_col) if with_mi else None
    try:
        figures, notes = fund_figures(nav, index, dates, price, volume, args.periods_per_year,
                                      args.window, args.trade_size)
    except InputError as e:
        columns = {"fund": fund_col, "nav": fund_col, "index": index_col, "dates": date_col,
                   "price": price_col if with_mi else None, "volume": volume_col if with_mi else None}
        raise in_file_terms(e, table, columns) from None
    if fmt == "table":
        out.print(figures_table(f"{csv.name}: {fund_col} against {index_col}", figures))
        for note in notes:
            err.print(f"note: {note}")
        return EXIT_OK
    if fmt == "json":
        text = figures_json({"file": str(csv), "fund": fund_col, "index": index_col,
                             "figures": figures, "notes": notes})
    else:
        text = figures_csv(figures)
    if path is None:
        sys.stdout.write(text)
    else:
        write_text(path, text, args.force)
        err.print(f"Wrote {path}")
    return EXIT_OK
