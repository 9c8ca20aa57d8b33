"""Pure numpy/pandas ETF cost analytics. Nothing here knows about Excel."""
from .inputs import InputError, NotEnoughData
from .model import MIN_RETURNS
from .tracking import FIGURES, TrackingStats, tracking_stats

__all__ = [
    "InputError",
    "NotEnoughData",
    "MIN_RETURNS",
    "FIGURES",
    "TrackingStats",
    "tracking_stats",
]
