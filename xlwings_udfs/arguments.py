"""The arguments of the Excel functions: the help Excel's function wizard shows for each, and
which of them take a range.

One table for every function, so that an argument called ``dates`` or ``holding_cost`` is
described the same way wherever it appears; a function overrides an entry in its decorator
where its argument says something more (:mod:`xlwings_udfs.functions`). Excel cuts a help
text at 255 characters.
"""
from __future__ import annotations

__all__ = ["ARGUMENT_HELP", "RANGE_ARGUMENTS"]

#: Argument help (the function wizard's text for each argument), by argument name, shared by
#: every function that has the argument; a function overrides it in its decorator where its
#: argument says something more.
ARGUMENT_HELP = {
    # ranges
    "fund": ("Fund levels (NAV or total-return index), one column or row; blanks = no value. "
             "Several columns = several funds (first row may name them)."),
    "index": "Index levels on the same rows as fund; blanks = no value that day.",
    "dates": "Optional dates of the rows, ascending. Without them rows are consecutive periods.",
    "figures": 'Optional: only these figures, by name or label, one a cell (e.g. "holding_cost_lower"). Default: all.',
    "price": "Daily closing market prices, one column or row; blanks = no value.",
    "nav": "Net asset value per share on the same rows.",
    "volume": "Shares traded on the same rows (0 = no trades, blank = unknown).",
    "open_price": "Daily opening prices, one column or row.",
    "high": "Daily high prices on the same rows.",
    "low": "Daily low prices on the same rows.",
    "close_price": "Daily closing prices on the same rows.",
    "levels": "Prices or NAVs per share, one column or row; blanks = no value.",
    "distributions": "Optional cash distributions per share on their ex-dates (same rows; blank = none).",
    "fund_a": "Levels of fund A (e.g. the ETF), one column or row.",
    "fund_b": "Levels of fund B (e.g. its sibling mutual fund) on the same rows.",
    "distributions_a": "Optional distributions per share of fund A on their ex-dates.",
    "distributions_b": "Optional distributions per share of fund B on their ex-dates.",
    # single cells
    "periods_per_year": "Optional periods per year (252 daily, 52 weekly, 12 monthly); inferred from dates if omitted.",
    "window": "Optional: use only the last N returns (252 = one year of daily data); at least 12.",
    "labels": "TRUE (default) to add a column of labels; FALSE for values only.",
    "lead_lag": "TRUE: Dimson beta with the index return a period before and after (for stale prices). Default FALSE.",
    "annualized": "TRUE: annualized (periods of a year or more). Default FALSE: cumulative.",
    "trade_size": "Trade size in the currency of the prices; default 100,000.",
    "years": "Holding period in years.",
    "commission": "Commission per trade in dollars (paid twice: buy and sell).",
    "holding_cost": "Estimated holding cost a year, e.g. ETF_HOLDING_COST (-0.0023 = lags 0.23% a year).",
    "market_impact": "Optional market impact of a $100,000 trade, e.g. ETF_MARKET_IMPACT. Default 0.",
    "tracking_error": "Optional annualized tracking error, for the 95% bounds. Default 0.",
    "holding_cost_se": "Optional standard error of holding_cost, for the 95% bounds. Default 0.",
    "impact_model": 'Optional: "square_root" (default) or "morningstar" (the published convention).',
    "half_spread": "Optional half bid-ask spread paid on each trade, a fraction. Default 0.",
    "header": "TRUE: add a header row. Default FALSE.",
    "start_date": "First day of the period.",
    "end_date": "Last day of the period.",
    "start_convention": ('Optional: "previous_close" (default) starts from the last close before start_date; '
                         '"start_close" from the close on start_date.'),
    "reinvest": ('Optional: "ex_date" (default) reinvests distributions at the ex-date close; '
                 '"none" keeps them as cash.'),
    "relative": "TRUE: the relative gap (1+rA)/(1+rB)-1. Default FALSE: rA - rB.",
    # two funds compared (A, B)
    "holding_cost_a": "Estimated holding cost of fund A a year, e.g. ETF_HOLDING_COST (-0.0023 = lags 0.23%).",
    "holding_cost_b": "Estimated holding cost of fund B a year.",
    "market_impact_a": "Market impact of a $100,000 trade in fund A, e.g. ETF_MARKET_IMPACT.",
    "market_impact_b": "Market impact of a $100,000 trade in fund B.",
    "holding_cost_se_a": "Standard error of fund A's holding cost (ETF_ANALYTICS, holding_cost_se).",
    "holding_cost_se_b": "Standard error of fund B's holding cost.",
    "tracking_error_a": "Noise-robust tracking error of fund A, e.g. ETF_TRACKING_ERROR.",
    "tracking_error_b": "Noise-robust tracking error of fund B.",
    "half_spread_a": "Optional half bid-ask spread of fund A, paid on each trade. Default 0.",
    "half_spread_b": "Optional half bid-ask spread of fund B. Default 0.",
    "correlation": "Optional correlation of the two funds' persistent deviations, -1 to 1. Default 0.",
}

#: The arguments that take a range (every other argument is a single cell).
RANGE_ARGUMENTS = frozenset({
    "fund", "index", "dates", "figures", "price", "nav", "volume", "open_price", "high", "low",
    "close_price", "levels", "distributions", "fund_a", "fund_b", "distributions_a",
    "distributions_b",
})
