"""The ``analyze`` command: every figure for one fund, from a file with the fund and its
index, or from the fund's file and the index's (put on their dates), printed as a table or
written as CSV or JSON.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .columns import LEVEL_NAMES, date_column, fund_columns, refuse_panel
from .errors import EXIT_OK, UsageError
from .files import read_table
from .table import Table
from .fund import FundData, file_values, fund_figures, two_files
from .output import check_out, figures_csv, figures_json, write_text
from .render import consoles, figures_table

__all__ = ["analyze", "read_fund"]


def _table(path: str, args: argparse.Namespace) -> Table:
    return read_table(path, sheet=args.sheet, decimal=args.decimal)


def read_fund(args: argparse.Namespace) -> tuple[FundData, str, str]:
    """The fund's values from ``args.fund_file`` (and ``args.index_file``), and the columns
    of the fund's and the index's levels."""
    fund_t = _table(args.fund_file, args)
    refuse_panel(fund_t)
    if args.index_file is None:
        cols = fund_columns(fund_t, args, index_in_file=True, fund_given=args.fund)
        data = file_values(fund_t, cols.dates, cols.fund, cols.index, cols.price, cols.volume, args.date_format)
        data.notes.extend(cols.notes)
        return data, cols.fund, cols.index
    index_t = _table(args.index_file, args)
    refuse_panel(index_t)
    why = "; two files are put together on their dates"
    fund_dates = date_column(fund_t, args.dates, required=True, why=why)
    index_dates = date_column(index_t, args.dates, required=True, why=why)
    cols = fund_columns(fund_t, args, index_in_file=False, fund_given=args.fund)
    index_col = index_t.find(args.index, LEVEL_NAMES, "index levels", "--index", exclude=(index_dates,))
    fund = file_values(fund_t, fund_dates, cols.fund, None, cols.price, cols.volume, args.date_format)
    fund.notes.extend(cols.notes)
    index = file_values(index_t, index_dates, None, index_col, None, None, args.date_format)
    data = two_files(fund, index)
    return data, cols.fund, index_col


def analyze(args: argparse.Namespace) -> int:
    from ..analytics import InputError

    out, err = consoles()
    fmt = args.format or (Path(args.out).suffix.lower().lstrip(".") if args.out else "table")
    if fmt not in ("table", "csv", "json"):
        raise UsageError(f"--out: use a .csv or .json file (or --format), got {args.out}")
    if args.out and fmt == "table":
        raise UsageError("--format table prints to the terminal; give --out a .csv or .json name")
    path = check_out(Path(args.out), args.force) if args.out else None
    data, fund_name, index_name = read_fund(args)
    try:
        figures, notes = fund_figures(data, args.periods_per_year, args.window, args.trade_size)
    except InputError as e:
        raise data.error(e) from None
    if fmt == "table":
        title = (f"{Path(args.fund_file).name}: {fund_name} against {index_name}" if args.index_file is None
                 else f"{Path(args.fund_file).name}: {fund_name} against {Path(args.index_file).name}: "
                      f"{index_name}")
        out.print(figures_table(title, figures))
        for note in notes:
            err.print(f"note: {note}")
        return EXIT_OK
    if fmt == "json":
        payload = {"file": str(args.fund_file), "fund": fund_name, "index": index_name}
        if args.index_file is not None:
            payload["index_file"] = str(args.index_file)
        text = figures_json({**payload, "figures": figures, "notes": notes})
    else:
        text = figures_csv(figures)
    if path is None:
        sys.stdout.write(text)
    else:
        write_text(path, text, args.force)
        err.print(f"Wrote {path}")
    return EXIT_OK
