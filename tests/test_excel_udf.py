"""Declaring an Excel function (xlwings_udfs.excel.udf): the decorator stack xlwings sees.

On Linux the xlwings decorators are no-ops, so these tests put recording stand-ins in their
place and check what ``excel_udf`` asks of them. What xlwings then tells Excel on Office.js
is checked end to end in test_office_js.py.
"""
from __future__ import annotations

import inspect

import pytest
import xlwings

from xlwings_udfs import excel, functions as F
from xlwings_udfs.excel import CLASSIC, excel_udf, use_host

DOCS = {"levels": "The levels.", "dates": "Their dates.", "window": "How many.", "labels": "Labels?"}


@pytest.fixture
def recorded(monkeypatch):
    """The xlwings decorator calls, in the order they are applied."""
    log = []

    def func(**kwargs):
        def apply(f):
            log.append(("func", kwargs))
            return f
        return apply

    def arg(name, **kwargs):
        def apply(f):
            log.append(("arg", name, kwargs))
            return f
        return apply

    monkeypatch.setattr(xlwings, "func", func)
    monkeypatch.setattr(xlwings, "arg", arg)
    return log


def test_every_argument_gets_its_options_and_help_then_the_function_its_category(recorded):
    @excel_udf(category="Tests", docs=DOCS, ranges={"levels", "dates"}, window="How many returns.")
    def ETF_TEST(levels, dates=None, window=None):
        """Test function."""
        return 1.0

    assert recorded == [
        ("arg", "window", {**excel.CELL, "doc": "How many returns."}),
        ("arg", "dates", {**excel.RANGE, "doc": "Their dates."}),
        ("arg", "levels", {**excel.RANGE, "doc": "The levels."}),
        ("func", {"category": "Tests"}),
    ]
    # the wizard reads the name, the docstring and the signature through the wrapper
    assert ETF_TEST.__name__ == "ETF_TEST" and ETF_TEST.__doc__ == "Test function."
    assert str(inspect.signature(ETF_TEST)) == "(levels, dates=None, window=None)"


def test_the_function_gets_the_error_policy_and_the_call_cache(recorded):
    calls = []

    @excel_udf(category="Tests", docs=DOCS, ranges={"levels"})
    def ETF_SUM(levels):
        """Sum."""
        calls.append(1)
        return excel.scalar(sum(r[0] for r in levels), "Sum")

    with use_host(CLASSIC):
        assert ETF_SUM([[1.0], [2.0]]) == ETF_SUM([[1.0], [2.0]]) == 3.0
        assert ETF_SUM([[float("nan")]]) == "#N/A Sum: cannot be estimated from these data"
    assert len(calls) == 2


def test_uncached_functions_run_every_time(recorded):
    calls = []

    @excel_udf(category="Tests", docs=DOCS, ranges=(), cached=False)
    def ETF_NOW():
        """Now."""
        calls.append(1)
        return len(calls)

    assert (ETF_NOW(), ETF_NOW()) == (1, 2)
    assert recorded == [("func", {"category": "Tests"})]


def test_an_argument_without_help_is_refused_when_declared(recorded):
    with pytest.raises(TypeError, match=r"ETF_BAD: no help text for \['other'\]"):
        @excel_udf(category="Tests", docs=DOCS, ranges=())
        def ETF_BAD(levels, other=None):
            """Bad."""


def test_help_for_an_argument_the_function_lacks_is_refused(recorded):
    with pytest.raises(TypeError, match=r"help given for arguments it does not have: \['windows'\]"):
        @excel_udf(category="Tests", docs=DOCS, ranges=(), windows="typo")
        def ETF_BAD(levels, window=None):
            """Bad."""


def test_the_excel_functions_declare_help_for_every_argument_from_one_table():
    """Every argument of every function has its help in the table, short enough for the wizard."""
    for name in F.__all__:
        for p in inspect.signature(getattr(F, name)).parameters:
            assert p in F.ARGUMENT_HELP, (name, p)
    assert all(0 < len(text) <= 255 for text in F.ARGUMENT_HELP.values())
    assert F.RANGE_ARGUMENTS <= set(F.ARGUMENT_HELP)
