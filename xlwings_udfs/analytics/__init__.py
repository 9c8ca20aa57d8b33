"""Pure numpy/pandas ETF cost analytics. Nothing here knows about Excel."""
from .cost import IMPACT_MODELS, TotalCost, total_cost, total_cost_grid
from .impact import (
    BidAskSpread,
    MarketImpact,
    bid_ask_spread,
    bid_ask_spread_stats,
    market_impact,
    market_impact_stats,
)
from .errors import InputError, NotAvailable, NotEnoughData
from .model import MIN_RETURNS
from .returns import PerformanceGap, PeriodReturn, performance_gap, period_return
from .figures import FIGURES, TRACKING_FIGURES, Figure
from .tracking import TrackingStats, tracking_stats

__all__ = [
    "InputError",
    "NotEnoughData",
    "NotAvailable",
    "MIN_RETURNS",
    "FIGURES",
    "TRACKING_FIGURES",
    "Figure",
    "TrackingStats",
    "tracking_stats",
    "MarketImpact",
    "market_impact",
    "market_impact_stats",
    "BidAskSpread",
    "bid_ask_spread",
    "bid_ask_spread_stats",
    "IMPACT_MODELS",
    "TotalCost",
    "total_cost",
    "total_cost_grid",
    "PeriodReturn",
    "PerformanceGap",
    "period_return",
    "performance_gap",
]
