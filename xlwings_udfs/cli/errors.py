"""What can go wrong on the command line, as types: each failure carries its exit code and
says in one line what went wrong.

A bad value is an :class:`~xlwings_udfs.analytics.errors.InputError`, whoever finds it:
found in an input file it travels as :class:`BadValues`, the file and the InputError in the
file's own terms (a column of the file, a line of it or a row of its sheet); a bad option
value is an InputError naming the option. An input file that cannot be used as a whole
(missing, unreadable, without a column) is a :class:`FileProblem`; an output that exists or cannot be written,
:class:`OutputExists` or :class:`WriteFailed`; a command line that cannot be run, a
:class:`UsageError`. Any other exception that escapes a command is a bug, and is reported
as one with :data:`EXIT_INTERNAL`.
"""
from __future__ import annotations

from os import PathLike
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..analytics.errors import InputError

__all__ = ["EXIT_OK", "EXIT_DATA", "EXIT_USAGE", "EXIT_EXISTS", "EXIT_WRITE", "EXIT_INTERRUPTED",
           "EXIT_INTERNAL", "EXIT_MISSING", "CLI_LIBRARIES", "PROG", "CliError", "UsageError", "FileProblem", "BadValues", "OutputExists",
           "WriteFailed"]

EXIT_OK = 0
#: Bad input: a value of a file or an option, a column or a whole input file.
EXIT_DATA = 1
#: A command line that cannot be run: unknown option, missing argument.
EXIT_USAGE = 2
#: The output file exists and ``--force`` was not given.
EXIT_EXISTS = 3
#: The output could not be written.
EXIT_WRITE = 4
#: An unexpected exception: a bug (``ETF_ANALYTICS_TRACEBACK=1`` shows its traceback).
EXIT_INTERNAL = 5
#: A library the command needs is not installed (the ``cli`` extra).
EXIT_MISSING = 6
EXIT_INTERRUPTED = 130

#: The libraries of the command line and the workbook builder, installed by the ``cli``
#: extra; the Excel functions need none of them.
CLI_LIBRARIES = frozenset({"rich", "openpyxl", "xlsxwriter"})

PROG = "etf-analytics"


class CliError(Exception):
    """A failure to report as one line on stderr, ending the command with :attr:`code`."""

    code = EXIT_DATA

    def __init__(self, message: str, prog: str = PROG) -> None:
        super().__init__(message)
        self.prog = prog


class UsageError(CliError):
    """A command line that cannot be run as given."""

    code = EXIT_USAGE


class FileProblem(CliError):
    """An input file that cannot be used as a whole: missing, unreadable, without data rows,
    or without a column the command needs."""

    def __init__(self, path: str | PathLike, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


class BadValues(CliError):
    """Bad values in an input file: the InputError, its argument a column of the file and
    its position a line of a text file (``axis="line"``) or a row of a sheet (``"row"``)."""

    def __init__(self, path: str | PathLike, error: InputError) -> None:
        super().__init__(f"{path}: {error.replace(argument=f'column {error.argument!r}')}")
        self.path = path
        self.error = error


class OutputExists(CliError):
    """The output file exists and overwriting it was not asked for."""

    code = EXIT_EXISTS


class WriteFailed(CliError):
    """The output could not be written (no such folder, no permission, disk full...)."""

    code = EXIT_WRITE

    def __init__(self, path: str | PathLike, reason: str) -> None:
        super().__init__(f"cannot write {path}: {reason}")
        self.path = path
        self.reason = reason
