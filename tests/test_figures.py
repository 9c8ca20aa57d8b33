"""The registry of figures: complete, consistent with the result objects, and the README's table."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from xlwings_udfs import functions
from xlwings_udfs.analytics import BreakEven, CostComparison, TotalCost, TrackingStats
from xlwings_udfs.analytics.figures import (
    CHOICE_FIGURES,
    COST_FIGURES,
    FIGURES,
    TRACKING_FIGURES,
    excel_format,
    figure,
    format_value,
    markdown_table,
)

README = Path(__file__).resolve().parents[1] / "README.md"


def test_every_figure_names_a_field_of_its_result_object():
    tracking = {f.name for f in dataclasses.fields(TrackingStats)}
    assert set(TRACKING_FIGURES) <= tracking
    cost = {f.name for f in dataclasses.fields(TotalCost)}
    assert set(COST_FIGURES) <= cost
    choice = {f.name for c in (BreakEven, CostComparison) for f in dataclasses.fields(c)}
    assert set(CHOICE_FIGURES) <= choice


def test_labels_and_headers_are_unique():
    labels = [f.label for f in FIGURES.values()]
    shorts = [FIGURES[k].short for k in TRACKING_FIGURES]
    assert len(set(labels)) == len(labels)
    assert len(set(shorts)) == len(shorts)


def test_every_named_excel_function_exists():
    for f in FIGURES.values():
        assert not f.excel or f.excel in functions.__all__, f.key


def test_lookup_by_key_or_label():
    assert figure("holding_cost_lower") is FIGURES["holding_cost_lower"]
    assert figure("ehc 95% LOWER") is FIGURES["holding_cost_lower"]
    with pytest.raises(KeyError, match="holding_cost"):
        figure("ehc_low")


@pytest.mark.parametrize("key, value, text, fmt", [
    ("holding_cost", -0.0023, "-0.23%", "0.00%"),
    ("tracking_error", 0.001234, "0.123%", "0.000%"),
    ("market_impact", 0.00002, "0.0020%", "0.0000%"),
    ("dollars", -6996.5, "$(6,996.50)", "$#,##0.00_);$(#,##0.00)"),
    ("r_squared", 0.99991, "0.9999", "0.0000"),
    ("n_obs", 756.0, "756", "0"),
    ("periods_per_year", 252.0, "252", "0"),
    ("beta", float("nan"), "n/a", "0.000"),
    ("breakeven_years", 1.41568597, "1.42", "0.00"),
    ("prob_cheaper", 0.6344, "63.4%", "0.0%"),
])
def test_formats_agree_between_the_terminal_and_the_workbook(key, value, text, fmt):
    assert format_value(FIGURES[key], value) == text
    assert excel_format(FIGURES[key]) == fmt


def test_the_readme_table_is_the_registry():
    assert markdown_table() in README.read_text(encoding="utf-8"), (
        "README.md's table of figures differs from the registry: paste "
        "`python -c 'from xlwings_udfs.analytics.figures import markdown_table; print(markdown_table())'`")
