"""Pure numpy/pandas ETF cost analytics. Nothing here knows about Excel.

One concept per module: the tracking model and its estimator (:mod:`.model`), the tracking
figures built on it (:mod:`.tracking`, with :mod:`.rolling` and :mod:`.regression`), market
impact (:mod:`.impact`), the bid-ask spread (:mod:`.spread`), the total cost of a round trip
(:mod:`.cost`), which of two funds costs less over a horizon (:mod:`.choice`), returns over a
period (:mod:`.returns`); the registry of figures (:mod:`.figures`); and the checks every input goes through (:mod:`.validation`,
:mod:`.dates`, :mod:`.alignment`), with the errors they raise (:mod:`.errors`).
"""
from .choice import BreakEven, CostComparison, breakeven, prob_cheaper
from .cost import IMPACT_MODELS, TotalCost, total_cost, total_cost_grid
from .errors import InputError, NotAvailable, NotEnoughData
from .figures import FIGURES, TRACKING_FIGURES, Figure
from .history import HoldingCostHistory, holding_cost_history
from .impact import MarketImpact, market_impact, market_impact_stats
from .model import MIN_RETURNS
from .returns import PerformanceGap, PeriodReturn, performance_gap, period_return
from .spread import BidAskSpread, bid_ask_spread, bid_ask_spread_stats
from .tracking import Note, TrackingStats, tracking_stats

__all__ = [
    "InputError",
    "NotEnoughData",
    "NotAvailable",
    "MIN_RETURNS",
    "FIGURES",
    "TRACKING_FIGURES",
    "Figure",
    "Note",
    "TrackingStats",
    "tracking_stats",
    "HoldingCostHistory",
    "holding_cost_history",
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
    "BreakEven",
    "CostComparison",
    "breakeven",
    "prob_cheaper",
    "PeriodReturn",
    "PerformanceGap",
    "period_return",
    "performance_gap",
]
