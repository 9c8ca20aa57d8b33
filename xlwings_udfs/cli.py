"""The ``etf-analytics`` command line.

Commands
--------
``demo``      the comparison and total-cost tables for the embedded sample, printed, and the
              template workbook written (``./etf_cost_analytics.xlsx`` by default).
``template``  rebuild the template workbook at ``--out``.
``analyze``   every figure for one fund from a CSV file (fund and index columns, optional
              dates, price and volume), printed or written as CSV or JSON.
``universe``  every figure for many funds from a long panel CSV (one row per fund and date),
              written to CSV or .xlsx.

Exit codes: 0 success; 1 bad input data (the message says which column and row); 2 a usage
error (unknown option, missing argument); 3 the output file exists (add ``--force``); 4 the
output could not be written; 130 interrupted. Errors are one line on stderr, never a
traceback.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import textwrap
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from . import __version__

__all__ = ["main", "EXIT_OK", "EXIT_DATA", "EXIT_USAGE", "EXIT_EXISTS", "EXIT_WRITE"]

EXIT_OK, EXIT_DATA, EXIT_USAGE, EXIT_EXISTS, EXIT_WRITE, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130
PROG = "etf-analytics"
#: Runs over at least this many funds show a progress bar (on a terminal).
PROGRESS_FROM = 20


class CliError(Exception):
    """A failure to report as one line, with its exit code."""

    def __init__(self, message: str, code: int = EXIT_DATA, prog: str = PROG) -> None:
        super().__init__(message)
        self.code = code
        self.prog = prog


# ----------------------------------------------------------------------------------------
# output
# ----------------------------------------------------------------------------------------

def _consoles():
    from rich.console import Console

    return Console(), Console(stderr=True)


def _text(key: str, value: Any) -> str:
    """A value for the terminal, formatted as its figure of the registry (text as it is)."""
    from .analytics.figures import FIGURES, format_value

    if key in FIGURES:
        return format_value(FIGURES[key], value)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return str(value)


def _style(key: str, value: Any) -> str:
    """Costs in red, so the eye finds them as in the workbook."""
    from .analytics.figures import FIGURES

    f = FIGURES.get(key)
    if f is not None and f.cost and isinstance(value, (int, float)) and value < 0:
        return "red"
    return ""


def _header(key: str) -> str:
    from .analytics.figures import FIGURES

    return FIGURES[key].short if key in FIGURES else _TEXT_COLUMNS.get(key, key)


#: Columns that are not figures of the registry.
_TEXT_COLUMNS = {"name": "Name", "start": "First date", "end": "Last date", "note": "Note"}


def _table(title: str, frame: pd.DataFrame, index_label: str = "Fund"):
    """A terminal table of ``frame``, whose columns are figure keys (or text columns)."""
    from rich import box
    from rich.table import Table

    texts = {col: [_text(col, v) for v in frame[col]] for col in frame.columns}
    names = [str(i) for i in frame.index]
    table = Table(title=title, title_justify="left", title_style="bold", header_style="bold",
                  box=box.SIMPLE_HEAD, pad_edge=False)
    # A column is never narrower than its widest value: on a narrow terminal the headers
    # wrap, the numbers stay whole.
    table.add_column(index_label, style="bold", min_width=max(map(len, names), default=4))
    for col in frame.columns:
        numeric = col not in _TEXT_COLUMNS
        table.add_column(_header(col), justify="right" if numeric else "left",
                         min_width=max(map(len, texts[col]), default=1) if numeric else None)
    for i, name in enumerate(names):
        cells = []
        for col in frame.columns:
            v, text = frame[col].iloc[i], texts[col][i]
            style = _style(col, v)
            cells.append(f"[{style}]{text}[/]" if style else text)
        table.add_row(name, *cells)
    return table


def _check_out(path: Path, force: bool) -> Path:
    """Refuse an existing output before any work is done."""
    from .template.files import OutputExistsError, check_writable

    try:
        return check_writable(path, force)
    except OutputExistsError as err:
        raise CliError(str(err), EXIT_EXISTS) from None
    except OSError as err:
        raise CliError(f"cannot write {path}: {err.strerror or err}", EXIT_WRITE) from None


def _write(path: Path, writer, force: bool) -> Path:
    from .template.files import OutputExistsError, write_atomically

    try:
        return write_atomically(path, writer, force=force)
    except OutputExistsError as err:
        raise CliError(str(err), EXIT_EXISTS) from None
    except OSError as err:
        raise CliError(f"cannot write {path}: {err.strerror or err}", EXIT_WRITE) from None


# ----------------------------------------------------------------------------------------
# reading CSV files
# ----------------------------------------------------------------------------------------

def _read_csv(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except FileNotFoundError:
        raise CliError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CliError(f"{path}: is a folder, not a CSV file") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise CliError(f"{path}: not a readable CSV file ({first})") from None
    except OSError as err:
        raise CliError(f"{path}: {err.strerror or err}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise CliError(f"{path}: no data rows")
    return frame


def _column(frame: pd.DataFrame, path: Path, given: str | None, defaults: Sequence[str],
            what: str, required: bool = True) -> str | None:
    """The column for ``what``: the one given, or the first default present (any case)."""
    lower = {c.lower(): c for c in frame.columns}
    if given is not None:
        if given in frame.columns:
            return given
        if given.lower() in lower:
            return lower[given.lower()]
        raise CliError(f"{path}: no column {given!r} for {what}; columns: {', '.join(frame.columns)}")
    for name in defaults:
        if name.lower() in lower:
            return lower[name.lower()]
    if required:
        option = "--" + what.split()[0]
        raise CliError(f"{path}: no {what} column (looked for {', '.join(defaults)}); "
                       f"name it with {option}; columns: {', '.join(frame.columns)}")
    return None


def _numbers(frame: pd.DataFrame, col: str, path: Path) -> np.ndarray:
    """A numeric column; blank cells are missing values, text is an error with its line."""
    raw = frame[col].str.strip()
    blank = raw.eq("") | raw.str.upper().isin(["NA", "N/A", "NAN", "#N/A", "NULL"])
    values = pd.to_numeric(raw.where(~blank), errors="coerce")
    bad = values.isna() & ~blank
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise CliError(f"{path}: column {col!r}: {int(bad.sum())} non-numeric value(s), first "
                       f"{frame[col].iloc[i]!r} on line {i + 2}")
    return values.to_numpy(dtype=float)


def _dates(frame: pd.DataFrame, col: str, path: Path) -> pd.DatetimeIndex:
    raw = frame[col].str.strip()
    parsed = pd.to_datetime(raw, errors="coerce", format="mixed")
    bad = parsed.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise CliError(f"{path}: column {col!r}: {int(bad.sum())} value(s) that are not dates, "
                       f"first {frame[col].iloc[i]!r} on line {i + 2}")
    return pd.DatetimeIndex(parsed)


# ----------------------------------------------------------------------------------------
# figures of one fund
# ----------------------------------------------------------------------------------------

def _fund_figures(nav: np.ndarray, index: np.ndarray, dates: pd.DatetimeIndex | None,
                  price: np.ndarray | None, volume: np.ndarray | None,
                  periods_per_year: float | None, window: int | None,
                  trade_size: float) -> tuple[dict[str, Any], list[str]]:
    """Every figure of tracking_stats, plus market impact when price and volume are given."""
    from .analytics import TRACKING_FIGURES, tracking_stats
    from .analytics.impact import market_impact_stats

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


def _label(key: str) -> str:
    from .analytics.figures import FIGURES

    return FIGURES[key].label if key in FIGURES else _TEXT_COLUMNS.get(key, key)


def _plain(v: Any) -> Any:
    """A JSON-safe value (NaN becomes null)."""
    if isinstance(v, (np.floating, float)):
        return None if math.isnan(float(v)) else float(v)
    if isinstance(v, np.integer):
        return int(v)
    return v


# ----------------------------------------------------------------------------------------
# commands
# ----------------------------------------------------------------------------------------

_COMP_TABLES = (
    ("Holding cost (EHC, 95% interval) and tracking difference (TD: one-year windows)",
     ("holding_cost", "holding_cost_lower", "holding_cost_upper", "rolling_td_latest",
      "rolling_td_median", "rolling_td_high", "rolling_td_low")),
    ("Fee, tracking error (TE: noise-robust; traditional), market impact, fit",
     ("expense_ratio", "tracking_error", "tracking_error_traditional", "noise_share",
      "market_impact", "beta", "r_squared")),
)
_TC_COLUMNS = ("expense_ratio", "dollars", "annual", "lower", "upper", "beyond_fee")


def cmd_demo(args: argparse.Namespace) -> int:
    from .template import DEFAULT_FILENAME, CostInputs, compute_template

    out, err = _consoles()
    path = None if args.no_workbook else _check_out(Path(args.out or DEFAULT_FILENAME), args.force)
    inputs = CostInputs(trade_size=args.trade_size, years=args.years, commission=args.commission,
                        impact_model=args.impact_model, half_spread=args.half_spread)
    book = _compute(compute_template, inputs=inputs)
    d = book.data.dates
    comp = book.comparison_frame()
    out.print(f"[bold]Fund comparison[/]: {len(comp)} sample funds, daily data {d[0]:%Y-%m-%d} to "
              f"{d[-1]:%Y-%m-%d}. Negative = costs the investor; a year unless stated.")
    for title, keys in _COMP_TABLES:
        out.print(_table(title, comp[list(keys)]))
    total = book.total_cost_frame()
    model = inputs.impact_model
    out.print(_table(f"Total cost of a round trip: ${inputs.trade_size:,.0f} for {inputs.years:g} "
                     f"years, ${inputs.commission:,.2f} a trade, {model} impact",
                     total[list(_TC_COLUMNS)]))
    if path is not None:
        _write_book(book, path, args.force)
        err.print(f"Wrote {path} (opens with these numbers; connect the add-in to recalculate).")
    return EXIT_OK


def _compute(fn, **kwargs):
    from .analytics import InputError

    try:
        return fn(**kwargs)
    except InputError as e:
        raise CliError(str(e)) from None


def _write_book(book, path: Path, force: bool) -> None:
    from .template.files import OutputExistsError

    try:
        from .template import write_workbook

        write_workbook(book, path, force=force)
    except OutputExistsError as err:
        raise CliError(str(err), EXIT_EXISTS) from None
    except OSError as err:
        raise CliError(f"cannot write {path}: {err.strerror or err}", EXIT_WRITE) from None


def cmd_template(args: argparse.Namespace) -> int:
    from .template import compute_template

    _, err = _consoles()
    path = _check_out(Path(args.out), args.force)
    book = _compute(compute_template)
    _write_book(book, path, args.force)
    err.print(f"Wrote {path}")
    return EXIT_OK


def cmd_analyze(args: argparse.Namespace) -> int:
    from .analytics import InputError

    out, err = _consoles()
    fmt = args.format or (Path(args.out).suffix.lower().lstrip(".") if args.out else "table")
    if fmt not in ("table", "csv", "json"):
        raise CliError(f"--out: use a .csv or .json file (or --format), got {args.out}", EXIT_USAGE)
    if args.out and fmt == "table":
        raise CliError("--format table prints to the terminal; give --out a .csv or .json name", EXIT_USAGE)
    path = _check_out(Path(args.out), args.force) if args.out else None
    csv = Path(args.csv)
    frame = _read_csv(csv)
    fund_col = _column(frame, csv, args.fund, ("nav", "fund", "fund_nav"), "fund levels")
    index_col = _column(frame, csv, args.index, ("index", "benchmark", "index_level"), "index levels")
    date_col = _column(frame, csv, args.dates, ("date", "dates"), "dates", required=False)
    price_col = _column(frame, csv, args.price, ("price", "close"), "price", required=False)
    volume_col = _column(frame, csv, args.volume, ("volume",), "volume", required=False)
    if (price_col is None) != (volume_col is None) and (args.price or args.volume):
        raise CliError("market impact needs both --price and --volume", EXIT_USAGE)
    dates = _dates(frame, date_col, csv) if date_col else None
    nav, index = _numbers(frame, fund_col, csv), _numbers(frame, index_col, csv)
    price = _numbers(frame, price_col, csv) if price_col and volume_col else None
    volume = _numbers(frame, volume_col, csv) if price_col and volume_col else None
    try:
        figures, notes = _fund_figures(nav, index, dates, price, volume, args.periods_per_year,
                                       args.window, args.trade_size)
    except InputError as e:
        raise CliError(f"{csv}: {e} (columns: fund {fund_col!r}, index {index_col!r})") from None
    if fmt == "table":
        from rich import box
        from rich.table import Table

        table = Table(title=f"{csv.name}: {fund_col} against {index_col}", title_justify="left",
                      title_style="bold", header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False)
        table.add_column("Figure")
        table.add_column("Value", justify="right")
        for key, v in figures.items():
            text, style = _text(key, v), _style(key, v)
            table.add_row(_label(key), f"[{style}]{text}[/]" if style else text)
        out.print(table)
        for note in notes:
            err.print(f"note: {note}")
        return EXIT_OK
    if fmt == "json":
        payload = {"file": str(csv), "fund": fund_col, "index": index_col,
                   "figures": {k: _plain(v) for k, v in figures.items()}, "notes": notes}
        text = json.dumps(payload, indent=2) + "\n"
    else:
        rows = pd.DataFrame({"figure": list(figures), "label": [_label(k) for k in figures],
                             "value": [_plain(v) for v in figures.values()]})
        text = rows.to_csv(index=False, lineterminator="\n")
    if path is None:
        sys.stdout.write(text)
    else:
        _write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"), force=args.force)
        err.print(f"Wrote {path}")
    return EXIT_OK


def _csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that a spreadsheet would run as a formula (=, +, -, @ first) get a leading '.

    Fund names come from the user's file; a CSV opened in Excel must show them, not
    evaluate them. Numbers are left alone.
    """
    out = frame.copy()
    for col in out.columns:
        if not pd.api.types.is_numeric_dtype(out[col]):
            out[col] = out[col].map(
                lambda v: "'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@") else v)
    return out


def _universe_rows(frame: pd.DataFrame, csv: Path, cols: dict[str, str | None], args,
                   progress: bool) -> pd.DataFrame:
    from .analytics import InputError

    ids = frame[cols["id"]].astype(str)
    order = list(dict.fromkeys(ids))
    dates = _dates(frame, cols["date"], csv) if cols["date"] else None
    nav, index = _numbers(frame, cols["nav"], csv), _numbers(frame, cols["index"], csv)
    with_mi = cols["price"] is not None and cols["volume"] is not None
    price = _numbers(frame, cols["price"], csv) if with_mi else None
    volume = _numbers(frame, cols["volume"], csv) if with_mi else None
    positions = pd.Series(np.arange(len(frame))).groupby(ids.to_numpy()).indices
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
            figures, notes = _fund_figures(
                nav[rows], index[rows], d, price[rows] if with_mi else None,
                volume[rows] if with_mi else None, args.periods_per_year, args.window, args.trade_size)
        except InputError as e:
            return {"fund": fund, "note": str(e)}
        return {"fund": fund, **{k: _plain(v) for k, v in figures.items()}, "note": "; ".join(notes)}

    if progress:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        _, err = _consoles()
        with Progress(TextColumn("[bold]Funds"), BarColumn(), MofNCompleteColumn(),
                      TimeRemainingColumn(), console=err, transient=True) as bar:
            task = bar.add_task("funds", total=len(order))
            for fund in order:
                records.append(one(fund))
                bar.advance(task)
    else:
        records = [one(f) for f in order]
    result = pd.DataFrame.from_records(records).set_index("fund")
    from .analytics import TRACKING_FIGURES

    keys = [k for k in (*TRACKING_FIGURES, "market_impact", "start", "end") if k in result.columns]
    return result[keys + ["note"]]


def _write_universe_xlsx(result: pd.DataFrame, tmp: Path) -> None:
    import xlsxwriter

    from .template.files import close_workbook

    from .analytics.figures import FIGURES, excel_format

    wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False,
                                        "strings_to_numbers": False, "nan_inf_to_errors": True})
    ws = wb.add_worksheet("Figures")
    head = wb.add_format({"bold": True, "text_wrap": True, "valign": "bottom", "bg_color": "#DDEBF7"})
    fmts = {key: wb.add_format({"num_format": excel_format(FIGURES[key])})
            for key in result.columns if key in FIGURES}
    ws.write_string(0, 0, "Fund", head)
    for c, key in enumerate(result.columns, start=1):
        ws.write_string(0, c, _label(key), head)
    for r, (fund, row) in enumerate(result.iterrows(), start=1):
        # Names come from the user's file: always text, so "=..." or "-x" cannot become a formula.
        ws.write_string(r, 0, str(fund))
        for c, key in enumerate(result.columns, start=1):
            v = row[key]
            if v is None or (isinstance(v, float) and math.isnan(v)):
                ws.write_blank(r, c, None)
            elif key not in fmts or isinstance(v, str):
                ws.write_string(r, c, str(v))
            else:
                ws.write_number(r, c, float(v), fmts[key])
    ws.set_row(0, 45)
    ws.set_column(0, 0, 16)
    ws.set_column(1, len(result.columns), 12)
    ws.freeze_panes(1, 1)
    close_workbook(wb)


def cmd_universe(args: argparse.Namespace) -> int:
    out, err = _consoles()
    suffix = Path(args.out).suffix.lower() if args.out else ""
    if args.out and suffix not in (".csv", ".xlsx"):
        raise CliError(f"--out: use a .csv or .xlsx file, got {args.out}", EXIT_USAGE)
    path = _check_out(Path(args.out), args.force) if args.out else None
    csv = Path(args.csv)
    frame = _read_csv(csv)
    cols = {
        "id": _column(frame, csv, args.id, ("fund", "ticker", "symbol", "id"), "id (fund name)"),
        "nav": _column(frame, csv, args.nav, ("nav", "fund_nav"), "nav levels"),
        "index": _column(frame, csv, args.index, ("index", "benchmark"), "index levels"),
        "date": _column(frame, csv, args.dates, ("date", "dates"), "dates", required=False),
        "price": _column(frame, csv, args.price, ("price", "close"), "price", required=False),
        "volume": _column(frame, csv, args.volume, ("volume",), "volume", required=False),
    }
    n_funds = frame[cols["id"]].nunique()
    progress = not args.no_progress and n_funds >= PROGRESS_FROM and err.is_terminal
    result = _universe_rows(frame, csv, cols, args, progress)
    no_figures = result.drop(columns="note").isna().all(axis=1)
    failed = int(no_figures.sum())
    if failed == len(result):
        first = result["note"].iloc[0]
        raise CliError(f"{csv}: no fund could be analysed (first, {result.index[0]}: {first})")
    if path is None:
        show = [k for k in ("holding_cost", "tracking_error",
                            "tracking_error_traditional", "noise_share", "tracking_difference",
                            "market_impact", "r_squared") if k in result.columns]
        out.print(_table(f"{csv.name}: {len(result)} funds (--out writes every figure)", result[show]))
    elif suffix == ".csv":
        text = _csv_safe(result.reset_index()).to_csv(index=False, lineterminator="\n")
        _write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"), force=args.force)
    else:
        _write(path, lambda tmp: _write_universe_xlsx(result, tmp), force=args.force)
    if path is not None:
        err.print(f"Wrote {path}: {len(result)} funds"
                  + (f", {failed} without figures (see the note column)" if failed else ""))
    elif failed:
        err.print(f"{failed} fund(s) without figures: "
                  + "; ".join(f"{f}: {n}" for f, n in result.loc[no_figures, "note"].items()))
    return EXIT_OK


# ----------------------------------------------------------------------------------------
# argument parsing
# ----------------------------------------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    """Usage errors as one line and exit code 2, like every other error."""

    def error(self, message: str):
        raise CliError(f"{message} (see {self.prog} --help)", EXIT_USAGE, prog=self.prog)


def _positive(kind):
    def parse(text: str):
        try:
            v = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not (v > 0) or (isinstance(v, float) and not math.isfinite(v)):
            raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
        return v

    return parse


def _non_negative(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (v >= 0) or not math.isfinite(v):
        raise argparse.ArgumentTypeError(f"must be zero or more: {text!r}")
    return v


_EPILOG = """exit codes: 0 ok; 1 bad input data; 2 usage error; 3 output exists (use --force);
4 output not written; 130 interrupted.

Signs: every cost is the investor's return impact (negative costs money); figures are
fractions shown as percentages."""


def _d(text: str) -> str:
    return textwrap.fill(text, 88)


def build_parser() -> argparse.ArgumentParser:
    fmt = argparse.RawDescriptionHelpFormatter
    p = _Parser(prog=PROG, formatter_class=fmt, epilog=_EPILOG,
                description=_d("ETF cost analytics: noise-robust holding cost and tracking error, "
                            "market impact and total cost, from daily NAV, index, price and volume."))
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    d = sub.add_parser("demo", formatter_class=fmt, epilog=_EPILOG,
                       help="tables for the embedded sample, and the template workbook",
                       description=_d("Compute the fund comparison and total-cost tables for the "
                                   "embedded sample of 9 funds, print them, and write the "
                                   "template workbook with the same numbers."))
    d.add_argument("--out", metavar="PATH", help="workbook to write (default: ./etf_cost_analytics.xlsx)")
    d.add_argument("--force", action="store_true", help="overwrite an existing workbook")
    d.add_argument("--no-workbook", action="store_true", help="only print the tables")
    d.add_argument("--trade-size", type=_positive(float), default=1_000_000, metavar="DOLLARS",
                   help="trade size for the total cost (default 1,000,000)")
    d.add_argument("--years", type=_positive(float), default=3.0, help="holding period in years (default 3)")
    d.add_argument("--commission", type=_non_negative, default=10.0, metavar="DOLLARS",
                   help="commission per trade (default 10)")
    d.add_argument("--impact-model", choices=("square_root", "morningstar"), default="square_root",
                   help="how market impact scales with size (default square_root)")
    d.add_argument("--half-spread", type=_non_negative, default=0.0, metavar="FRACTION",
                   help="half the bid-ask spread, paid on each trade (default 0)")
    d.set_defaults(run=cmd_demo)

    t = sub.add_parser("template", formatter_class=fmt, epilog=_EPILOG, help="rebuild the template workbook",
                       description=_d("Build the template workbook from the embedded sample."))
    t.add_argument("--out", required=True, metavar="PATH", help="workbook to write (.xlsx)")
    t.add_argument("--force", action="store_true", help="overwrite an existing file")
    t.set_defaults(run=cmd_template)

    a = sub.add_parser("analyze", formatter_class=fmt, epilog=_EPILOG, help="figures for one fund from a CSV file",
                       description=_d("Every figure for one fund from a CSV file with a column of fund "
                                   "levels (NAV) and one of index levels; optional dates, and price and "
                                   "volume for the market impact. Columns are found by name (nav, index, "
                                   "date, price, volume; any case) unless given."))
    a.add_argument("csv", help="CSV file, one row per date, with a header row")
    a.add_argument("--fund", metavar="COLUMN", help="column of fund levels (default: nav or fund)")
    a.add_argument("--index", metavar="COLUMN", help="column of index levels (default: index or benchmark)")
    a.add_argument("--dates", metavar="COLUMN", help="column of dates (default: date, if present)")
    a.add_argument("--price", metavar="COLUMN", help="column of market prices (default: price, if present)")
    a.add_argument("--volume", metavar="COLUMN", help="column of shares traded (default: volume, if present)")
    a.add_argument("--periods-per-year", type=_positive(float), metavar="N",
                   help="periods a year (default: inferred from the dates, else 252)")
    a.add_argument("--window", type=_positive(int), metavar="N", help="use only the last N returns")
    a.add_argument("--trade-size", type=_positive(float), default=100_000, metavar="DOLLARS",
                   help="trade size for the market impact (default 100,000)")
    a.add_argument("--format", choices=("table", "csv", "json"),
                   help="output format (default: table, or from the --out extension)")
    a.add_argument("--out", metavar="PATH", help="write CSV or JSON to this file instead of printing")
    a.add_argument("--force", action="store_true", help="overwrite an existing output file")
    a.set_defaults(run=cmd_analyze)

    u = sub.add_parser("universe", formatter_class=fmt, epilog=_EPILOG, help="figures for many funds from a panel CSV",
                       description=_d("Every figure for each fund of a long panel CSV: one row per fund "
                                   "and date, with columns fund, date, nav, index and optionally price "
                                   "and volume (found by name, any case, unless given). A fund that "
                                   "cannot be analysed gets a note instead of figures."))
    u.add_argument("csv", help="panel CSV file with a header row")
    u.add_argument("--out", metavar="PATH", help="write all figures to a .csv or .xlsx file (default: print a summary)")
    u.add_argument("--force", action="store_true", help="overwrite an existing output file")
    u.add_argument("--id", metavar="COLUMN", help="column naming the fund (default: fund or ticker)")
    u.add_argument("--nav", metavar="COLUMN", help="column of fund levels (default: nav)")
    u.add_argument("--index", metavar="COLUMN", help="column of index levels (default: index or benchmark)")
    u.add_argument("--dates", metavar="COLUMN", help="column of dates (default: date, if present)")
    u.add_argument("--price", metavar="COLUMN", help="column of market prices (default: price, if present)")
    u.add_argument("--volume", metavar="COLUMN", help="column of shares traded (default: volume, if present)")
    u.add_argument("--periods-per-year", type=_positive(float), metavar="N",
                   help="periods a year (default: inferred from the dates)")
    u.add_argument("--window", type=_positive(int), metavar="N", help="use only the last N returns of each fund")
    u.add_argument("--trade-size", type=_positive(float), default=100_000, metavar="DOLLARS",
                   help="trade size for the market impact (default 100,000)")
    u.add_argument("--no-progress", action="store_true",
                   help=f"no progress bar (shown on a terminal from {PROGRESS_FROM} funds)")
    u.set_defaults(run=cmd_universe)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (the console script exits with it)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "command", None):
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        return args.run(args)
    except SystemExit as done:  # --help and --version
        return done.code if isinstance(done.code, int) else EXIT_OK
    except CliError as err:
        print(f"{err.prog}: error: {err}", file=sys.stderr)
        return err.code
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader went away (| head): nothing left to say
        return EXIT_OK
    except Exception as err:  # a bug: still one line, with what to report
        if os.environ.get("ETF_ANALYTICS_TRACEBACK"):
            raise
        print(f"{PROG}: error: unexpected {type(err).__name__}: {err} "
              "(set ETF_ANALYTICS_TRACEBACK=1 to see where)", file=sys.stderr)
        return EXIT_DATA


if __name__ == "__main__":
    sys.exit(main())
