"""The errors every layer raises and reports: what is wrong, with which argument, and where.

An error carries its parts as fields, not only as text, so that the layer that shows it can
say where in the user's own terms without parsing a message: the Excel layer turns ``row``
into a position in the selected range (header included), the command line into a line of the
file. ``str(err)`` is the one-line message:

    fund: 3 non-numeric cells ('x'), first at row 12
"""
from __future__ import annotations

__all__ = ["InputError", "NotEnoughData", "NotAvailable", "POSITION_WORDS"]

#: What a position counts: rows of a column, columns of a selected row, lines of a file.
POSITION_WORDS = ("row", "column", "line")


class InputError(ValueError):
    """A bad argument: the argument, the problem, and the first position where it occurs.

    Attributes
    ----------
    argument : str
        The argument (or column) at fault, as the caller named it: ``"fund"``,
        ``"fund[SPY]"`` for one column of a panel.
    problem : str
        What is wrong, without the argument's name: ``"3 non-numeric cells ('x')"``.
    row : int or None
        1-based position of the first offending value, counted in the data the caller
        passed (the Excel layer and the command line translate it into the user's selection
        or file); None when the problem is not at one position.
    axis : str
        What ``row`` counts, one of :data:`POSITION_WORDS`; ``"row"`` unless a layer that
        knows better says otherwise.
    """

    def __init__(self, argument: str, problem: str, row: int | None = None, axis: str = "row") -> None:
        if axis not in POSITION_WORDS:
            raise ValueError(f"axis must be one of {POSITION_WORDS}, got {axis!r}")
        self.argument = argument
        self.problem = problem
        self.row = row
        self.axis = axis
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """The one-line message: ``argument: problem, first at row N``."""
        where = f", first at {self.axis} {self.row}" if self.row is not None else ""
        return f"{self.argument}: {self.problem}{where}"

    def __str__(self) -> str:
        return self.message

    def replace(self, **fields) -> "InputError":
        """The same error (same class) with some of its fields replaced: ``err.replace(row=12)``."""
        parts = {"argument": self.argument, "problem": self.problem, "row": self.row, "axis": self.axis}
        unknown = set(fields) - set(parts)
        if unknown:
            raise TypeError(f"unknown fields: {sorted(unknown)}")
        return type(self)(**{**parts, **fields})

    def __reduce__(self):  # picklable with its fields (the default pickles only the message)
        return (type(self), (self.argument, self.problem, self.row, self.axis))


class NotEnoughData(InputError):
    """Valid input, but too little of it for the estimate asked for (Excel shows #N/A)."""


class NotAvailable(NotEnoughData):
    """A figure these data do not determine (a constant index has no beta, say)."""
