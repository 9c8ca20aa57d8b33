"""What can go wrong on the command line, as types: each failure carries its exit code and
says in one line what went wrong.

Problems with an input file (missing, unreadable, without a column, a bad value) are
:class:`FileProblem`; an output that exists or cannot be written, :class:`OutputExists` and
:class:`WriteFailed`; a command line that cannot be run, :class:`UsageError`.
"""
from __future__ import annotations

from os import PathLike

__all__ = ["EXIT_OK", "EXIT_DATA", "EXIT_USAGE", "EXIT_EXISTS", "EXIT_WRITE", "EXIT_INTERRUPTED",
           "PROG", "CliError", "UsageError", "FileProblem", "OutputExists", "WriteFailed"]

EXIT_OK = 0
#: Bad input data: a value, a column or a whole input file.
EXIT_DATA = 1
#: A command line that cannot be run: unknown option, missing argument.
EXIT_USAGE = 2
#: The output file exists and ``--force`` was not given.
EXIT_EXISTS = 3
#: The output could not be written.
EXIT_WRITE = 4
EXIT_INTERRUPTED = 130

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
