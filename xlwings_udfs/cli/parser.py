"""The command line's grammar: commands, options, their help, and usage errors as one line
with exit code 2.

Nothing here imports numpy, pandas or rich, so ``--help`` answers at once; a command's
module is imported only once the command line has been parsed.
"""
from __future__ import annotations

import argparse
import math
import textwrap
from typing import TYPE_CHECKING

from .. import __version__
from .errors import PROG, UsageError

if TYPE_CHECKING:
    from ..analytics.errors import InputError

__all__ = ["OPTIONS", "PROGRESS_FROM", "build_parser", "naming_the_option"]

#: Runs over at least this many funds show a progress bar (on a terminal).
PROGRESS_FROM = 20

#: The option that sets each argument of the analytics functions.
OPTIONS = {"trade_size": "--trade-size", "years": "--years", "commission": "--commission",
           "impact_model": "--impact-model", "half_spread": "--half-spread",
           "periods_per_year": "--periods-per-year", "window": "--window"}


def naming_the_option(err: InputError) -> InputError:
    """An error about an argument the user set with an option, naming the option."""
    return err.replace(argument=OPTIONS[err.argument]) if err.argument in OPTIONS else err


def _checked_by(check):
    """An option type that runs one of the package's checks (imported only when the option is
    given) and turns its error into a usage error."""
    def parse(text: str):
        try:
            return check()(text)
        except ValueError as err:  # InputError: its problem, without the argument's name
            raise argparse.ArgumentTypeError(getattr(err, "problem", str(err))) from None

    return parse


def _naming_check(name: str):
    def load():
        from ..template import naming

        return getattr(naming, name)

    return load


def _workbook_path(text: str) -> str:
    """An output workbook: Excel opens .xlsx files; another extension would mislead."""
    if not text.lower().endswith(".xlsx"):
        raise argparse.ArgumentTypeError(f"a workbook is written as .xlsx, got {text!r}")
    return text


def _date_text_check():
    from ..analytics.date_text import check_date_format

    return check_date_format


def _file_options(p: argparse.ArgumentParser) -> None:
    """The options of reading input files, the same for every command that reads them."""
    p.add_argument("--date-format", type=_checked_by(_date_text_check), metavar="FORMAT",
                   help="how date texts are written, e.g. %%d/%%m/%%Y or DD/MM/YYYY (default: ISO, or another "
                        "layout where the file settles the order of day and month)")
    p.add_argument("--decimal", choices=(".", ","),
                   help="the decimal mark of a CSV file's numbers (default: found from the numbers)")
    p.add_argument("--sheet", metavar="NAME", help="the sheet of an .xlsx file (default: the first)")


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line and exit code 2, like every other error."""

    def error(self, message: str):
        raise UsageError(f"{message} (see {self.prog} --help)", prog=self.prog)


def _number(kind, allowed, what: str):
    """An option type: a number of ``kind`` (float or int) for which ``allowed`` holds,
    else a usage error saying what it ``must be``."""
    def parse(text: str):
        try:
            v = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not (math.isfinite(v) and allowed(v)):
            raise argparse.ArgumentTypeError(f"must be {what}: {text!r}")
        return v

    return parse


def _positive(kind):
    return _number(kind, lambda v: v > 0, "positive")


_non_negative = _number(float, lambda v: v >= 0, "zero or more")
_correlation = _number(float, lambda v: -1 <= v <= 1, "from -1 to 1")


_EPILOG = """exit codes: 0 ok; 1 bad input data; 2 usage error; 3 output exists (use --force);
4 output not written; 5 internal error (a bug; ETF_ANALYTICS_TRACEBACK=1 shows where);
6 a library of the cli extra is missing; 130 interrupted.

Signs: every cost is the investor's return impact (negative costs money); figures are
fractions shown as percentages."""


def _d(text: str) -> str:
    return textwrap.fill(text, 88)


def build_parser() -> argparse.ArgumentParser:
    """The parser of the whole command line; ``args.command`` names the command to run."""
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
    d.add_argument("--out", metavar="PATH", type=_workbook_path,
                   help="workbook to write (default: ./etf_cost_analytics.xlsx)")
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

    t = sub.add_parser("template", formatter_class=fmt, epilog=_EPILOG, help="rebuild the template workbook",
                       description=_d("Build the template workbook from the embedded sample, for one "
                                   "xlwings host: Excel binds a formula by the function name stored "
                                   "in the file, and the hosts name the functions differently."))
    t.add_argument("--out", required=True, metavar="PATH", type=_workbook_path, help="workbook to write (.xlsx)")
    t.add_argument("--force", action="store_true", help="overwrite an existing file")
    for q in (d, t):
        q.add_argument("--host", type=_checked_by(_naming_check("check_host")), default="classic",
                       help="classic (desktop xlwings, the default), lite (xlwings Lite) or server "
                            "(xlwings Server): how the workbook's formulas name the functions")
        q.add_argument("--namespace", type=_checked_by(_naming_check("check_namespace")), metavar="NAME",
                       help="with --host server: the server's namespace (default XLWINGS; XLWINGS_DEV "
                            "for XLWINGS_ENVIRONMENT=dev)")

    a = sub.add_parser("analyze", formatter_class=fmt, epilog=_EPILOG,
                       help="figures for one fund from its file (and its index's)",
                       description=_d("Every figure for one fund: from one file with the fund's levels and "
                                   "the index's, or from the fund's file and the index's file, put together "
                                   "on their dates. A file is CSV (delimiter and decimal comma found from "
                                   "the file) or .xlsx. Columns are found by name, any case: dates (date, "
                                   "datum, ...), the fund's levels (Adj Close before Close, then nav, price, "
                                   "level, value), the index's (index or benchmark; in its own file, as "
                                   "the fund's), price and volume for the market impact (with a NAV); "
                                   "options name them."))
    a.add_argument("fund_file", metavar="FUND_FILE", help="CSV or .xlsx file, one row per date, with a header row")
    a.add_argument("index_file", metavar="INDEX_FILE", nargs="?",
                   help="the index's file, if the fund's file has no index column")
    a.add_argument("--fund", metavar="COLUMN", help="column of fund levels (default: Adj Close, Close, nav, ...)")
    a.add_argument("--index", metavar="COLUMN",
                   help="column of index levels (default: index or benchmark; in INDEX_FILE as --fund)")
    a.add_argument("--dates", metavar="COLUMN", help="column of dates, in each file (default: date, if present)")
    a.add_argument("--price", metavar="COLUMN", help="column of market prices (default: price, if there is a NAV)")
    a.add_argument("--volume", metavar="COLUMN", help="column of shares traded (default: volume, if there is a NAV)")
    _file_options(a)
    a.add_argument("--periods-per-year", type=_positive(float), metavar="N",
                   help="periods a year (default: inferred from the dates, else 252)")
    a.add_argument("--window", type=_positive(int), metavar="N", help="use only the last N returns")
    a.add_argument("--trade-size", type=_positive(float), default=100_000, metavar="DOLLARS",
                   help="trade size for the market impact (default 100,000)")
    a.add_argument("--format", choices=("table", "csv", "json"),
                   help="output format (default: table, or from the --out extension)")
    a.add_argument("--out", metavar="PATH", help="write CSV or JSON to this file instead of printing")
    a.add_argument("--force", action="store_true", help="overwrite an existing output file")

    u = sub.add_parser("universe", formatter_class=fmt, epilog=_EPILOG, help="figures for many funds from a panel file",
                       description=_d("Every figure for each fund of a long panel file (CSV or .xlsx): one "
                                   "row per fund and date, with columns fund, date, nav, index and "
                                   "optionally price and volume (found by name, any case, unless given). "
                                   "A fund that cannot be analysed gets a note instead of figures."))
    u.add_argument("csv", metavar="FILE", help="panel file (CSV or .xlsx) with a header row")
    u.add_argument("--out", metavar="PATH", help="write all figures to a .csv or .xlsx file (default: print a summary)")
    u.add_argument("--force", action="store_true", help="overwrite an existing output file")
    _panel_options(u)
    u.add_argument("--trade-size", type=_positive(float), default=100_000, metavar="DOLLARS",
                   help="trade size for the market impact (default 100,000)")
    u.add_argument("--no-progress", action="store_true",
                   help=f"no progress bar (shown on a terminal from {PROGRESS_FROM} funds)")

    c = sub.add_parser("compare", formatter_class=fmt, epilog=_EPILOG,
                       help="which of two funds costs less for a trade and a holding period",
                       description=_d("Two funds for one trade, as the workbook's Compare sheet shows them: "
                                   "each fund's holding cost (EHC) and its standard error, tracking error "
                                   "and market impact; the expected total cost of each and the probability "
                                   "that A costs less at several holding periods; and the holding period "
                                   "at which the two cost the same. The funds are tickers of the embedded "
                                   "sample (SYN-EMA, SYN-EMB, ...), or of a panel file given with --universe "
                                   "(read as the universe command reads it, with prices and volumes)."))
    c.add_argument("fund_a", metavar="FUND_A", help="the first fund (A)")
    c.add_argument("fund_b", metavar="FUND_B", help="the second fund (B)")
    c.add_argument("--universe", metavar="FILE",
                   help="panel file (CSV or .xlsx) holding both funds (default: the embedded sample)")
    c.add_argument("--trade-size", type=_positive(float), default=5_000_000, metavar="DOLLARS",
                   help="dollars bought, held and sold (default 5,000,000)")
    c.add_argument("--years", type=_positive(float), nargs="+", default=[1.0, 2.0, 3.0, 5.0, 10.0],
                   metavar="YEARS", help="holding periods of the table (default 1 2 3 5 10)")
    c.add_argument("--commission", type=_non_negative, default=10.0, metavar="DOLLARS",
                   help="commission per trade (default 10)")
    c.add_argument("--impact-model", choices=("square_root", "morningstar"), default="square_root",
                   help="how market impact scales with size (default square_root)")
    c.add_argument("--half-spread", type=_non_negative, default=0.0, metavar="FRACTION",
                   help="half the bid-ask spread, paid on each trade of either fund (default 0)")
    c.add_argument("--correlation", type=_correlation, default=0.0, metavar="RHO",
                   help="correlation of the two funds' deviations from their indices, -1 to 1 (default 0; "
                        "funds on the same index, replicated alike, move together)")
    _panel_options(c, "--universe file")
    return p


def _panel_options(p: argparse.ArgumentParser, file: str = "file") -> None:
    """The columns of a panel file (one row per fund and date) and how to read it."""
    p.add_argument("--id", metavar="COLUMN", help=f"column of the {file} naming the fund (default: fund, ticker or symbol)")
    p.add_argument("--nav", metavar="COLUMN", help="column of fund levels (default: Adj Close, Close, nav, ...)")
    p.add_argument("--index", metavar="COLUMN", help="column of index levels (default: index or benchmark)")
    p.add_argument("--dates", metavar="COLUMN", help="column of dates (default: date, if present)")
    p.add_argument("--price", metavar="COLUMN", help="column of market prices (default: price, if there is a NAV)")
    p.add_argument("--volume", metavar="COLUMN", help="column of shares traded (default: volume, if there is a NAV)")
    _file_options(p)
    p.add_argument("--periods-per-year", type=_positive(float), metavar="N",
                   help="periods a year (default: inferred from the dates)")
    p.add_argument("--window", type=_positive(int), metavar="N", help="use only the last N returns of each fund")
