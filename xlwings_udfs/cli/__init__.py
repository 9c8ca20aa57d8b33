"""The ``etf-analytics`` command line.

Commands
--------
``demo``      the comparison and total-cost tables for the embedded sample, printed, and the
              template workbook written (``./etf_cost_analytics.xlsx`` by default; one
              already there is kept).
``template``  rebuild the template workbook at ``--out``.
``analyze``   every figure for one fund from a CSV or xlsx file (fund and index columns), or
              from the fund's file and the index's, put together on their dates; printed, or
              written as CSV or JSON.
``universe``  every figure for many funds from a long panel file (one row per fund and
              date), printed as a summary or written to CSV or .xlsx.
``compare``   two funds of the sample or of a panel file for one trade: each fund's figures,
              the expected total cost of each and the probability that the first costs
              less at several holding periods, and the break-even holding period.

Input files are read by :mod:`.files` and the cell layer (:mod:`xlwings_udfs.cells`): a
value means in a file what it means in a cell, and every error names the column and the
line of the file.

Exit codes: 0 success; 1 bad input data (the message says which column and line); 2 a usage
error (unknown option, missing argument); 3 the output file exists (add ``--force``); 4 the
output could not be written; 5 an internal error, that is a bug (``ETF_ANALYTICS_TRACEBACK=1``
shows its traceback); 6 a library of the ``cli`` extra is not installed; 130 interrupted.
Errors are one line on stderr, never a traceback.

Modules: :mod:`.parser` (the options), :mod:`.files` (reading input files) and :mod:`.table`
(their values by column), :mod:`.columns` (which column is what), :mod:`.fund` (a fund's
values and figures), :mod:`.render` (terminal tables), :mod:`.output` (files written),
:mod:`.errors` (the failures and their exit codes), and one module per command or pair of
commands (:mod:`.sample`, :mod:`.analyze`, :mod:`.universe`, :mod:`.compare`), imported only
when it runs.
"""
from __future__ import annotations

import importlib
import os
import sys
from typing import Sequence

from .errors import (CLI_LIBRARIES, EXIT_DATA, EXIT_EXISTS, EXIT_INTERNAL, EXIT_INTERRUPTED,
                     EXIT_MISSING, EXIT_OK, EXIT_USAGE, EXIT_WRITE, PROG, CliError)
from .parser import PROGRESS_FROM, build_parser

__all__ = ["main", "EXIT_OK", "EXIT_DATA", "EXIT_USAGE", "EXIT_EXISTS", "EXIT_WRITE",
           "EXIT_INTERNAL", "EXIT_MISSING", "EXIT_INTERRUPTED", "PROGRESS_FROM"]

#: The environment variable that lets an internal error show its traceback.
TRACEBACK_VARIABLE = "ETF_ANALYTICS_TRACEBACK"

#: The module and function that run each command.
_COMMANDS = {"demo": ("sample", "demo"), "template": ("sample", "template"),
             "analyze": ("analyze", "analyze"), "universe": ("universe", "universe"),
             "compare": ("compare", "compare")}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (the console script exits with it)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "command", None):
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        module, function = _COMMANDS[args.command]
        return getattr(importlib.import_module(f"{__name__}.{module}"), function)(args)
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
    except ModuleNotFoundError as err:
        if err.name not in CLI_LIBRARIES:
            raise
        # A plain `pip install` has what the Excel functions need, not the command line's
        # libraries.
        print(f'{PROG}: error: the command line needs {err.name}: pip install "xlwings-etf-analytics[cli]"',
              file=sys.stderr)
        return EXIT_MISSING
    except Exception as err:
        if _is_input_error(err):  # a bad option value, or a bad input not in a file
            print(f"{PROG}: error: {err}", file=sys.stderr)
            return EXIT_DATA
        if os.environ.get(TRACEBACK_VARIABLE):
            raise
        print(f"{PROG}: error: {_internal(err)}", file=sys.stderr)
        return EXIT_INTERNAL


def _is_input_error(err: Exception) -> bool:
    """Whether ``err`` is an InputError of the analytics (which --help never loads, and which
    a failed import of the analytics must not load again)."""
    errors = sys.modules.get(f"{__package__.rpartition('.')[0]}.analytics.errors")
    return errors is not None and isinstance(err, errors.InputError)


def _internal(err: Exception) -> str:
    """One line for an unexpected exception: a bug, what it was, and how to see where."""
    lines = str(err).strip().splitlines()
    what = f"{type(err).__name__}: {lines[0]}" if lines else type(err).__name__
    return (f"internal error, a bug in {PROG}: unexpected {what} "
            f"(run again with {TRACEBACK_VARIABLE}=1 to see the traceback, and report it)")
