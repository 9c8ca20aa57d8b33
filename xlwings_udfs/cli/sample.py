"""The commands on the embedded sample: ``demo`` prints the fund comparison and total-cost
tables and writes the template workbook; ``template`` only writes the workbook.

``demo`` is run again and again: without ``--out``, a workbook already at the default path
(its own from an earlier run, perhaps edited since) is kept, and the run says how to
replace it or write elsewhere. A path named with ``--out`` is refused if it exists, as for
every command that writes.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from .errors import EXIT_OK, UsageError
from .output import check_out, write_book
from .parser import naming_the_option
from .render import consoles, frame_table

__all__ = ["demo", "template"]

#: The fund comparison as two terminal tables: a title and the figures of each.
COMPARISON_TABLES = (
    ("Holding cost (EHC, 95% interval) and tracking difference (TD: one-year windows)",
     ("holding_cost", "holding_cost_lower", "holding_cost_upper", "rolling_td_latest",
      "rolling_td_median", "rolling_td_high", "rolling_td_low")),
    ("Fee, tracking error (TE: noise-robust; traditional), market impact, fit",
     ("expense_ratio", "tracking_error", "tracking_error_traditional", "noise_share",
      "market_impact", "beta", "r_squared")),
)
#: The figures of the total-cost table.
TOTAL_COST_COLUMNS = ("expense_ratio", "dollars", "annual", "lower", "upper", "beyond_fee")


def _check(inputs) -> None:
    """Refuse total-cost inputs that the workbook's ETF_TOTAL_COST would refuse, naming the
    option, before the sample is computed."""
    from ..analytics import InputError, total_cost

    try:
        total_cost(inputs.trade_size, inputs.years, inputs.commission, holding_cost=0.0,
                   impact_model=inputs.impact_model, half_spread=inputs.half_spread)
    except InputError as err:
        raise naming_the_option(err) from None


def _host(args: argparse.Namespace) -> None:
    if args.namespace is not None and args.host != "server":
        raise UsageError("--namespace goes with --host server (the other hosts have none)")


def demo(args: argparse.Namespace) -> int:
    from ..template import DEFAULT_FILENAME, CostInputs, compute_template

    _host(args)
    out, err = consoles()
    path = kept = None
    if not args.no_workbook:
        if args.out is None and Path(DEFAULT_FILENAME).exists() and not args.force:
            kept = Path(DEFAULT_FILENAME)  # written by an earlier run, perhaps edited since: kept
        else:
            path = check_out(Path(args.out or DEFAULT_FILENAME), args.force)
    inputs = CostInputs(trade_size=args.trade_size, years=args.years, commission=args.commission,
                        impact_model=args.impact_model, half_spread=args.half_spread)
    _check(inputs)
    book = compute_template(inputs=inputs)
    d = book.data.dates
    comp = book.comparison_frame()
    out.print(f"[bold]Fund comparison[/]: {len(comp)} sample funds, daily data {d[0]:%Y-%m-%d} to "
              f"{d[-1]:%Y-%m-%d}. Negative = costs the investor; a year unless stated.")
    for title, keys in COMPARISON_TABLES:
        out.print(frame_table(title, comp[list(keys)]))
    total = book.total_cost_frame()
    model = inputs.impact_model
    out.print(frame_table(f"Total cost of a round trip: ${inputs.trade_size:,.0f} for {inputs.years:g} "
                          f"years, ${inputs.commission:,.2f} a trade, {model} impact",
                          total[list(TOTAL_COST_COLUMNS)]))
    if path is not None:
        write_book(book, path, args.force, args.host, args.namespace)
        err.print(f"Wrote {path} (opens with these numbers; connect the add-in to recalculate).")
    elif kept is not None:
        err.print(f"Kept {kept}, which was there already (it may hold your edits): --force replaces it, "
                  f"--out PATH writes the workbook elsewhere.")
    return EXIT_OK


def template(args: argparse.Namespace) -> int:
    from ..template import compute_template

    _host(args)
    _, err = consoles()
    path = check_out(Path(args.out), args.force)
    book = compute_template()
    write_book(book, path, args.force, args.host, args.namespace)
    err.print(f"Wrote {path} (for {args.host if args.host != 'server' else 'xlwings Server, namespace ' + (args.namespace or 'XLWINGS')})")
    return EXIT_OK
