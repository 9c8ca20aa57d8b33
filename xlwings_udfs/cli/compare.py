"""The ``compare`` command: two funds for one trade, as the workbook's Compare sheet shows them.

Each fund's figures (holding cost and its standard error, noise-robust tracking error,
market impact of a $100,000 trade) come from the embedded sample, or from a panel file as
``universe`` reads it; then, for the trade, the expected total cost of each at a few
holding periods, the probability that A costs less at each (``prob_cheaper``) and the
holding period at which the two cost the same (``breakeven``), or why there is none.
"""
from __future__ import annotations

import argparse
import math
from contextlib import ExitStack
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from .columns import fund_columns, id_column
from .errors import EXIT_OK, FileProblem, UsageError
from .files import read_table
from .fund import FundData, file_values, fund_figures
from .parser import naming_the_option
from .render import consoles, frame_table
from .universe import fund_rows

__all__ = ["compare", "SAMPLE_FILE", "FUND_FIGURES"]

#: The packaged panel of the embedded sample, read as a ``--universe`` file would be.
SAMPLE_FILE = "sample_universe.csv"
#: The figures of each fund that the comparison takes, in its table's order.
FUND_FIGURES = ("holding_cost", "holding_cost_se", "tracking_error", "market_impact")


def _figures(data: FundData, fund: str, where: str, args: argparse.Namespace) -> dict[str, Any]:
    """One fund's figures, or the reason it has none as a data error naming the fund."""
    from ..analytics import InputError
    from ..analytics.constants import REFERENCE_TRADE

    try:
        # The market impact at the reference trade, as total_cost takes it; it is scaled to
        # the trade size there.
        figures, notes = fund_figures(data, args.periods_per_year, args.window, REFERENCE_TRADE)
    except InputError as err:
        raise FileProblem(where, f"fund {fund!r}: {data.note(err)}") from None
    if "market_impact" not in figures:
        raise FileProblem(where, f"fund {fund!r}: no market impact without price and volume columns "
                                 f"(--price, --volume), and the total cost needs it")
    return {**figures, "notes": notes}


def _sample_details(tickers: list[str]) -> pd.DataFrame:
    from ..data import load_sample_funds

    return load_sample_funds().loc[tickers, ["name", "expense_ratio"]]


def _check_inputs(args: argparse.Namespace) -> None:
    """Refuse trade inputs that ETF_TOTAL_COST would refuse, naming the option, before any
    fund is computed."""
    from ..analytics import InputError, total_cost

    try:
        for years in args.years:
            total_cost(args.trade_size, years, args.commission, holding_cost=0.0,
                       impact_model=args.impact_model, half_spread=args.half_spread)
    except InputError as err:
        raise naming_the_option(err) from None


def compare(args: argparse.Namespace) -> int:
    from ..analytics import breakeven, prob_cheaper, total_cost

    out, err = consoles()
    if args.fund_b == args.fund_a:
        raise UsageError(f"FUND_B: {args.fund_b!r} is FUND_A too; name two different funds")
    _check_inputs(args)
    with ExitStack() as stack:
        if args.universe is None:
            path = stack.enter_context(resources.as_file(resources.files("xlwings_udfs.data") / SAMPLE_FILE))
            where = "the embedded sample"
        else:
            path = Path(args.universe)
            where = str(path)
        table = read_table(path, sheet=args.sheet, decimal=args.decimal)
        ids = id_column(table, args.id, required=True)
        cols = fund_columns(table, args, index_in_file=True, fund_option="--nav", fund_given=args.nav)
        data = file_values(table, cols.dates, cols.fund, cols.index, cols.price, cols.volume, args.date_format)
        rows = fund_rows(table, ids)
    for option, fund in (("FUND_A", args.fund_a), ("FUND_B", args.fund_b)):
        if fund not in rows:
            raise UsageError(f"{option}: no fund {fund!r} in {where}; its funds are {', '.join(rows)}")
    a, b = (_figures(data.take(rows[f]), f, where, args) for f in (args.fund_a, args.fund_b))

    funds = pd.DataFrame([{k: f[k] for k in FUND_FIGURES} for f in (a, b)],
                         index=[f"A {args.fund_a}", f"B {args.fund_b}"])
    names = {args.fund_a: "", args.fund_b: ""}
    if args.universe is None:
        details = _sample_details([args.fund_a, args.fund_b])
        funds["expense_ratio"] = details["expense_ratio"].to_numpy()
        names = {t: f", {n}" for t, n in details["name"].items()}
    trade = dict(trade_size=args.trade_size, commission=args.commission, impact_model=args.impact_model)
    model = args.impact_model.replace("_", " ")
    out.print(f"[bold]{args.fund_a} (A) or {args.fund_b} (B)[/]: ${args.trade_size:,.0f} bought and sold, "
              f"${args.commission:,.2f} a trade, {model} impact"
              + (f", half-spread {args.half_spread:.4%}" if args.half_spread else "")
              + ". Negative = costs the investor.")
    for letter, fund, f in (("A", args.fund_a, a), ("B", args.fund_b, b)):
        out.print(f"{letter} {fund}{names[fund]}: {where}, {f['start']} to {f['end']}")
    out.print(frame_table("Each fund's figures, a year", funds))

    def cost(f: dict[str, Any], years: float) -> float:
        return total_cost(years=years, holding_cost=f["holding_cost"], market_impact=f["market_impact"],
                          tracking_error=f["tracking_error"], holding_cost_se=f["holding_cost_se"],
                          half_spread=args.half_spread, **trade).dollars

    years = list(args.years)
    odds = prob_cheaper(years=years, **trade,
                        holding_cost_a=a["holding_cost"], holding_cost_se_a=a["holding_cost_se"],
                        tracking_error_a=a["tracking_error"], market_impact_a=a["market_impact"],
                        holding_cost_b=b["holding_cost"], holding_cost_se_b=b["holding_cost_se"],
                        tracking_error_b=b["tracking_error"], market_impact_b=b["market_impact"],
                        correlation=args.correlation, half_spread_a=args.half_spread,
                        half_spread_b=args.half_spread)
    horizons = pd.DataFrame({"cost_a": [cost(a, y) for y in years], "cost_b": [cost(b, y) for y in years],
                             "prob_cheaper": list(odds.prob_cheaper)},
                            index=[f"{y:g}" for y in years])
    out.print(frame_table(f"Expected total cost; P(A costs less), correlation {args.correlation:g}", horizons,
                          index_label="Years", kinds={"cost_a": "dollars", "cost_b": "dollars"},
                          headers={"cost_a": f"A {args.fund_a}", "cost_b": f"B {args.fund_b}"}))
    be = breakeven(holding_cost_a=a["holding_cost"], market_impact_a=a["market_impact"],
                   holding_cost_b=b["holding_cost"], market_impact_b=b["market_impact"],
                   half_spread_a=args.half_spread, half_spread_b=args.half_spread, **trade)
    out.print(_breakeven_line(be, args.fund_a, args.fund_b))
    for letter, fund, f in (("A", args.fund_a, a), ("B", args.fund_b, b)):
        if f["notes"]:
            err.print(f"Note, {letter} {fund}: " + "; ".join(f["notes"]))
    return EXIT_OK


def _breakeven_line(be, fund_a: str, fund_b: str) -> str:
    """The break-even horizon and which fund costs less on each side, or why there is none."""
    from ..analytics.choice import MAX_YEARS

    name = {"A": f"A ({fund_a})", "B": f"B ({fund_b})"}
    if math.isnan(be.breakeven_years):
        return f"[bold]Break-even[/]: none within {MAX_YEARS:g} years: {be.reason}."
    line = (f"[bold]Break-even[/]: {_years(be.breakeven_years)}. Held for less, {name[be.cheaper_before]} "
            f"is expected to cost less; held for longer, {name[be.cheaper_after]}")
    if not math.isnan(be.second_breakeven_years):
        line += f", until {_years(be.second_breakeven_years)}"
    return line + "."


def _years(years: float) -> str:
    """A holding period in years, and in days where it is a matter of weeks."""
    return f"{years:.2f} years" + (f" ({years * 365.25:.0f} days)" if years < 0.25 else "")
