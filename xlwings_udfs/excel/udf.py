"""Declaring an Excel function once: how xlwings shows it and how its cells come in.

xlwings learns about an Excel function from decorators: ``@xw.func`` (its category in the
function wizard; its description is the docstring) and one ``@xw.arg`` for each parameter
(how the host converts the cells, the argument's help text). Written out by hand that is a
stack of up to a dozen decorators a function, with the same help texts and options
repeated. :func:`excel_udf` builds the stack from a table instead: the help of every
argument by name, shared by the functions, with per-function overrides where an argument
means something slightly different; and the set of arguments that are ranges, which get
:data:`~.hosts.RANGE` (a whole selection, raw on Office.js) while every other argument is a
single cell and gets :data:`~.hosts.CELL`.

The stack is the one a hand-written declaration has, so the metadata xlwings builds on
every host is the same: the call policy of :func:`~.calls.excel_function` innermost (xlwings
reads the signature through ``__wrapped__``), then ``xw.arg`` for each parameter from the
last to the first, then ``xw.func`` outermost. The xlwings decorators are looked up when a
function is declared, after xlwings has chosen them for its host (COM on Windows, the
server's with ``XLWINGS_ON_SERVER=true``, no-ops elsewhere).
"""
from __future__ import annotations

import inspect
from typing import Any, Callable, Collection, Mapping

import xlwings as xw

from .calls import excel_function
from .hosts import CELL, RANGE

__all__ = ["excel_udf"]


def excel_udf(fn: Callable[..., Any] | None = None, *, category: str, docs: Mapping[str, str],
              ranges: Collection[str], cached: bool = True, **doc_overrides: str) -> Any:
    """Declare ``fn`` an Excel function (``@excel_udf(...)`` or ``@excel_udf``).

    Parameters
    ----------
    category : str
        The function wizard's category.
    docs : mapping
        Help text by argument name; every parameter of ``fn`` needs one, here or in
        ``doc_overrides``.
    ranges : collection of str
        The arguments that take a range; the others take a single cell.
    cached : bool
        Whether a call with the same cells returns the earlier result (see
        :func:`~.calls.excel_function`).
    **doc_overrides : str
        Help texts of this function that differ from ``docs`` (an argument named like a
        keyword above cannot be given here).

    Raises
    ------
    TypeError
        When declaring: a parameter without help, or an override for no parameter.
    """

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        params = list(inspect.signature(fn).parameters)
        unknown = sorted(set(doc_overrides) - set(params))
        if unknown:
            raise TypeError(f"{fn.__name__}: help given for arguments it does not have: {unknown}")
        helps = {p: doc_overrides.get(p) or docs.get(p) for p in params}
        missing = [p for p, text in helps.items() if not text]
        if missing:
            raise TypeError(f"{fn.__name__}: no help text for {missing}")
        out = excel_function(fn, cached=cached)
        for p in reversed(params):
            options = RANGE if p in ranges else CELL
            out = xw.arg(p, **options, doc=helps[p])(out)
        return xw.func(category=category)(out)

    return decorate(fn) if fn is not None else decorate
