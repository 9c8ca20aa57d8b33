"""Numbers that more than one module relies on, defined once."""
from __future__ import annotations

__all__ = ["Z95", "REFERENCE_TRADE", "TRADING_DAYS", "MIN_RETURNS_TRADITIONAL"]

#: Two-sided 95% quantile of the standard normal distribution, Phi^-1(0.975).
Z95 = 1.959963984540054
#: The trade size a market impact cost (MIC) is quoted for, in the currency of the prices
#: (Morningstar's convention: $100,000).
REFERENCE_TRADE = 100_000.0
#: Periods a year of daily data (trading days), and the default when nothing says otherwise.
TRADING_DAYS = 252.0
#: Fewest returns for the figures that need only the returns (traditional tracking error,
#: tracking difference, beta, R-squared): a year of monthly data. The model-based figures
#: need more (``model.MIN_RETURNS``).
MIN_RETURNS_TRADITIONAL = 12
