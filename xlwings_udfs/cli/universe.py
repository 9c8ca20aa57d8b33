"""The ``universe`` command: every figure for each fund of a long panel file (one row per
fund and date), a note instead of figures for a fund that cannot be analysed; printed as a
summary or written to CSV or a workbook.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .columns import fund_columns, id_column
from .errors import EXIT_OK, FileProblem, UsageError
from .files import read_table
from .table import Table
from .fund import FUND_COLUMNS, FundData, file_values, fund_figures
from .output import check_out, plain, write_universe_csv, write_universe_xlsx
from .parser import PROGRESS_FROM
from .render import consoles, frame_table

__all__ = ["fund_rows", "universe"]

#: The figures of the summary printed without ``--out``.
SUMMARY_COLUMNS = ("holding_cost", "tracking_error", "tracking_error_traditional", "noise_share",
                   "tracking_difference", "market_impact", "r_squared")


def fund_rows(table: Table, column: str) -> dict[str, np.ndarray]:
    """The rows of each fund, in the order of their first appearance, each fund's rows in
    the file's order; a row without a fund name is an error naming its line."""
    ids = table.text(column)
    blank = [i for i, t in enumerate(ids) if not t]
    if blank:
        raise table.bad(column, f"{len(blank)} row(s) without a fund name", blank[0])
    positions = pd.Series(np.arange(len(ids))).groupby(np.asarray(ids, dtype=object), sort=False).indices
    return {fund: np.asarray(positions[fund]) for fund in dict.fromkeys(ids)}


def _rows(data: FundData, funds: dict[str, np.ndarray], args, progress: bool) -> pd.DataFrame:
    """One row per fund, in the order of their first appearance: figures and a note. A
    fund's rows go to the analytics in the file's order (dates newest first are put in
    order there; dates in neither order are that fund's error), and its errors come back
    in the file's columns and lines."""
    from ..analytics import InputError

    records = []

    def one(fund: str) -> dict[str, Any]:
        part = data.take(funds[fund])
        try:
            figures, notes = fund_figures(part, args.periods_per_year, args.window, args.trade_size)
        except InputError as e:
            return {"fund": fund, "note": part.note(e)}
        return {"fund": fund, **{k: plain(v) for k, v in figures.items()}, "note": "; ".join(notes)}

    if progress:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        _, err = consoles()
        with Progress(TextColumn("[bold]Funds"), BarColumn(), MofNCompleteColumn(),
                      TimeRemainingColumn(), console=err, transient=True) as bar:
            task = bar.add_task("funds", total=len(funds))
            for fund in funds:
                records.append(one(fund))
                bar.advance(task)
    else:
        records = [one(f) for f in funds]
    result = pd.DataFrame.from_records(records).set_index("fund")
    keys = [k for k in FUND_COLUMNS if k in result.columns]
    return result.reindex(columns=keys + ["note"])


def universe(args: argparse.Namespace) -> int:
    out, err = consoles()
    suffix = Path(args.out).suffix.lower() if args.out else ""
    if args.out and suffix not in (".csv", ".xlsx"):
        raise UsageError(f"--out: use a .csv or .xlsx file, got {args.out}")
    path = check_out(Path(args.out), args.force) if args.out else None
    csv = Path(args.csv)
    table = read_table(csv, sheet=args.sheet, decimal=args.decimal)
    ids = id_column(table, args.id, required=True)
    cols = fund_columns(table, args, index_in_file=True, fund_option="--nav", fund_given=args.nav)
    data = file_values(table, cols.dates, cols.fund, cols.index, cols.price, cols.volume, args.date_format)
    data.notes.extend(cols.notes)
    funds = fund_rows(table, ids)
    progress = not args.no_progress and len(funds) >= PROGRESS_FROM and err.is_terminal
    result = _rows(data, funds, args, progress)
    no_figures = result.drop(columns="note").isna().all(axis=1)
    failed = int(no_figures.sum())
    if failed == len(result):
        first = result["note"].iloc[0]
        raise FileProblem(table.where, f"no fund could be analysed (first, {result.index[0]}: {first})")
    if path is None:
        show = [k for k in SUMMARY_COLUMNS if k in result.columns]
        out.print(frame_table(f"{csv.name}: {len(result)} funds (--out writes every figure)", result[show]))
    elif suffix == ".csv":
        write_universe_csv(result, path, args.force)
    else:
        write_universe_xlsx(result, path, args.force)
    if path is not None:
        err.print(f"Wrote {path}: {len(result)} funds"
                  + (f", {failed} without figures (see the note column)" if failed else ""))
    elif failed:
        err.print(f"{failed} fund(s) without figures: "
                  + "; ".join(f"{f}: {n}" for f, n in result.loc[no_figures, "note"].items()))
    return EXIT_OK
