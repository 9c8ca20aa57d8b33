"""``etf-analytics compare``: two funds for one trade, the same numbers as the Compare sheet."""
from __future__ import annotations

import pandas as pd
import pytest

from xlwings_udfs import cli
from xlwings_udfs.analytics import breakeven, prob_cheaper, total_cost
from xlwings_udfs.analytics.figures import FIGURES, format_value
from xlwings_udfs.data import load_sample_universe
from xlwings_udfs.template import compute_template
from xlwings_udfs.template.compare import PROB_YEARS, CompareInputs

from test_cli import assert_one_line_error, run

pytestmark = pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")


@pytest.fixture(scope="module")
def universe() -> pd.DataFrame:
    return load_sample_universe()


@pytest.fixture(scope="module")
def book():
    """The template with its Compare sheet on the command's default funds and trade."""
    return compute_template(compare=CompareInputs("SYN-EMA", "SYN-EMB", 5_000_000.0, 0.0))


def _show(key: str, value) -> str:
    return format_value(FIGURES[key], value)


def _wide(monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # one line per table row, whatever the terminal


def test_compare_on_the_sample_prints_the_compare_sheets_numbers(capsys, book, monkeypatch):
    _wide(monkeypatch)
    code, out, err = run(capsys, "compare", "SYN-EMA", "SYN-EMB")
    assert code == 0, err
    comp = book.comparison_frame()
    for fund in ("SYN-EMA", "SYN-EMB"):
        row = next(l for l in out.splitlines() if l.strip().startswith(f"{'AB'[fund == 'SYN-EMB']} {fund} "))
        for key in ("holding_cost", "holding_cost_se", "tracking_error", "market_impact", "expense_ratio"):
            assert _show(key, comp.loc[fund, key]) in row, (key, row)
    sheet = book.compare
    for years, cell in zip(PROB_YEARS, sheet.prob):
        row = next(l for l in out.splitlines() if l.split()[:1] == [f"{years:g}"])
        assert row.split()[-1] == _show("prob_cheaper", cell.value)
    assert f"Break-even: {sheet.breakeven.value:.2f} years" in out


def test_compare_figures_are_the_analytics_on_the_two_funds(capsys, book, monkeypatch):
    """Every printed total, probability and horizon is the analytics' own, for other inputs."""
    _wide(monkeypatch)
    args = dict(trade_size=2e6, commission=25.0, impact_model="morningstar")
    code, out, _ = run(capsys, "compare", "SYN-SP500A", "SYN-GOLDA", "--trade-size", "2000000", "--commission",
                       "25", "--impact-model", "morningstar", "--years", "0.5", "4", "--correlation", "0.3")
    assert code == 0
    comp = book.comparison_frame()
    a, b = (comp.loc[f] for f in ("SYN-SP500A", "SYN-GOLDA"))

    def figures(f, suffix):
        return {f"holding_cost{suffix}": f.holding_cost, f"holding_cost_se{suffix}": f.holding_cost_se,
                f"tracking_error{suffix}": f.tracking_error, f"market_impact{suffix}": f.market_impact}

    for years in (0.5, 4.0):
        row = next(l for l in out.splitlines() if l.split()[:1] == [f"{years:g}"]).split()
        for fund, text in ((a, row[1]), (b, row[2])):
            expected = total_cost(years=years, holding_cost=fund.holding_cost, market_impact=fund.market_impact,
                                  tracking_error=fund.tracking_error, holding_cost_se=fund.holding_cost_se, **args)
            assert text == _show("dollars", expected.dollars)
        p = prob_cheaper(years=years, correlation=0.3, **args, **figures(a, "_a"), **figures(b, "_b"))
        assert row[3] == _show("prob_cheaper", p.prob_cheaper)
    be = breakeven(holding_cost_a=a.holding_cost, market_impact_a=a.market_impact, holding_cost_b=b.holding_cost,
                   market_impact_b=b.market_impact, **args)
    assert ("none within 100 years: " + be.reason if be.reason else f"{be.breakeven_years:.2f} years") in out


def test_no_break_even_says_which_fund_costs_less(capsys, monkeypatch):
    _wide(monkeypatch)
    code, out, _ = run(capsys, "compare", "SYN-SP500B", "SYN-EMA")
    assert code == 0
    assert "Break-even: none within 100 years: A costs less at every horizon." in out


def test_compare_on_a_panel_file_gives_the_samples_figures(capsys, tmp_path, universe, monkeypatch):
    """A panel file holding the two funds (one newest first, semicolons and decimal commas)
    gives what the sample gives: the file is read as universe reads it."""
    _wide(monkeypatch)
    funds = ("SYN-EMA", "SYN-EMB")
    parts = [universe[universe.fund == f] for f in funds]
    path = tmp_path / "two funds.csv"
    pd.concat([parts[0], parts[1].iloc[::-1]]).to_csv(path, index=False, sep=";", decimal=",")
    code, from_file, err = run(capsys, "compare", *funds, "--universe", str(path))
    assert code == 0, err
    code, from_sample, _ = run(capsys, "compare", *funds)

    def numbers(text: str) -> list[str]:
        rows = [l for l in text.splitlines() if l.strip()[:2] in ("A ", "B ") or l.split()[:1] in (["1"], ["10"])]
        return [" ".join(r.split()[:5]) for r in rows if "%" in r or "$" in r]

    assert numbers(from_file) == numbers(from_sample) and len(numbers(from_file)) == 4
    assert str(path) in from_file


def test_a_fund_without_prices_and_volumes_says_the_total_cost_needs_them(capsys, tmp_path, universe):
    path = tmp_path / "navs.csv"
    universe[universe.fund.isin(["SYN-EMA", "SYN-EMB"])].drop(columns=["price", "volume"]).to_csv(path, index=False)
    code, out, err = run(capsys, "compare", "SYN-EMA", "SYN-EMB", "--universe", str(path))
    assert code == cli.EXIT_DATA and out == ""
    assert_one_line_error(err)
    assert "fund 'SYN-EMA': no market impact without price and volume columns" in err


def test_a_fund_with_too_little_data_gives_its_reason_in_the_files_terms(capsys, tmp_path, universe):
    ema, emb = (universe[universe.fund == f] for f in ("SYN-EMA", "SYN-EMB"))
    path = tmp_path / "short.csv"
    pd.concat([ema, emb.head(8)]).to_csv(path, index=False)
    code, out, err = run(capsys, "compare", "SYN-EMA", "SYN-EMB", "--universe", str(path))
    assert code == cli.EXIT_DATA and out == ""
    assert_one_line_error(err)
    assert "fund 'SYN-EMB'" in err and "at least 12 are needed" in err


@pytest.mark.parametrize("args, code, needle", [
    (["SYN-EMA", "NOPE"], cli.EXIT_USAGE, "FUND_B: no fund 'NOPE' in the embedded sample; its funds are SYN-SP500A"),
    (["SYN-EMA", "SYN-EMA"], cli.EXIT_USAGE, "FUND_B: 'SYN-EMA' is FUND_A too"),
    (["SYN-EMA", "SYN-EMB", "--correlation", "1.5"], cli.EXIT_USAGE, "--correlation: must be from -1 to 1"),
    (["SYN-EMA", "SYN-EMB", "--years", "1", "200"], cli.EXIT_DATA, "--years: 200 is implausibly large"),
    (["SYN-EMA", "SYN-EMB", "--commission", "6000000"], cli.EXIT_DATA, "--commission"),
    (["SYN-EMA"], cli.EXIT_USAGE, "FUND_B"),
    (["SYN-EMA", "SYN-EMB", "--universe", "missing.csv"], cli.EXIT_DATA, "missing.csv: no such file"),
])
def test_bad_compare_arguments_are_one_line(capsys, args, code, needle):
    got, out, err = run(capsys, "compare", *args)
    assert got == code and out == ""
    assert_one_line_error(err)
    assert needle in err
