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

from .errors import EXIT_OK, FileProblem, UsageError
from .files import Table, read_table
from .fund import FUND_COLUMNS, fund_figures
from .output import check_out, plain, write_universe_csv, write_universe_xlsx
from .parser import PROGRESS_FROM
from .render import consoles, frame_table

__all__ = ["universe"]

#: The figures of the summary printed without ``--out``.
SUMMARY_COLUMNS = ("holding_cost", "tracking_error", "tracking_error_traditional", "noise_share",
                   "tracking_difference", "market_impact", "r_squared")


def _rows(table: Table, cols: dict[str, str | None], args, progress: bool) -> pd.DataFrame:
    """One row per fund, in the order of their first appearance: figures and a note."""
    from ..analytics import InputError

    ids = table.text(cols["id"])
    order = list(dict.fromkeys(ids))
    dates = table.dates(cols["date"]) if cols["date"] else None
    nav, index = table.numbers(cols["nav"]), table.numbers(cols["index"])
    with_mi = cols["price"] is not None and cols["volume"] is not None
    price = table.numbers(cols["price"]) if with_mi else None
    volume = table.numbers(cols["volume"]) if with_mi else None
    positions = pd.Series(np.arange(len(table))).groupby(ids.to_numpy()).indices
    records = []

    def one(fund: str) -> dict[str, Any]:
        rows = np.asarray(positions[fund])
        if dates is not None:
            rows = rows[np.argsort(dates[rows].to_numpy(), kind="stable")]
            d = dates[rows]
            if d.has_duplicates:
                return {"fund": fund, "note": f"{int(d.duplicated().sum())} repeated date(s)"}
        else:
            d = None
        try:
            figures, notes = fund_figures(
                nav[rows], index[rows], d, price[rows] if with_mi else None,
                volume[rows] if with_mi else None, args.periods_per_year, args.window, args.trade_size)
        except InputError as e:
            return {"fund": fund, "note": str(e)}
        return {"fund": fund, **{k: plain(v) for k, v in figures.items()}, "note": "; ".join(notes)}

    if progress:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        _, err = consoles()
        with Progress(TextColumn("[bold]Funds"), BarColumn(), MofNCompleteColumn(),
                      TimeRemainingColumn(), console=err, transient=True) as bar:
            task = bar.add_task("funds", total=len(order))
            for fund in order:
                records.append(one(fund))
                bar.advance(task)
    else:
        records = [one(f) for f in order]
    result = pd.DataFrame.from_records(records).set_index("fund")
    keys = [k for k in FUND_COLUMNS if k in result.columns]
    return result[keys + ["note"]]


def universe(args: argparse.Namespace) -> int:
    out, err = consoles()
    suffix = Path(args.out).suffix.lower() if args.out else ""
    if args.out and suffix not in (".csv", ".xlsx"):
        raise UsageError(f"--out: use a .csv or .xlsx file, got {args.out}")
    path = check_out(Path(args.out), args.force) if args.out else None
    csv = Path(args.csv)
    table = read_table(csv)
    cols = {
        "id": table.column(args.id, ("fund", "ticker", "symbol", "id"), "id (fund name)"),
        "nav": table.column(args.nav, ("nav", "fund_nav"), "nav levels"),
        "index": table.column(args.index, ("index", "benchmark"), "index levels"),
        "date": table.column(args.dates, ("date", "dates"), "dates", required=False),
        "price": table.column(args.price, ("price", "close"), "price", required=False),
        "volume": table.column(args.volume, ("volume",), "volume", required=False),
    }
    n_funds = table.text(cols["id"]).nunique()
    progress = not args.no_progress and n_funds >= PROGRESS_FROM and err.is_terminal
    result = _rows(table, cols, args, progress)
    no_figures = result.drop(columns="note").isna().all(axis=1)
    failed = int(no_figures.sum())
    if failed == len(result):
        first = result["note"].iloc[0]
        raise FileProblem(csv, f"no fund could be analysed (first, {result.index[0]}: {first})")
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
