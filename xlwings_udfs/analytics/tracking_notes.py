"""The notes that go with a fund's tracking figures: why a figure is missing, and what to doubt.

A note is one line about one fund, naming the figures it concerns (:class:`Note`), so that
the Excel functions can attach it to exactly those figures and the command line can print it
beside the fund. :func:`fund_notes` reads a block's figures (as ``tracking._block_figures``
computes them) and says, for each fund: which figures it cannot have and why (too few
returns, no variance, no rolling year), when the model's fit test sounds, and when a gain
looks like a total-return series compared with a price index.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .constants import MIN_RETURNS_TRADITIONAL, Z95
from .model import MIN_RETURNS

__all__ = ["FIT_ALARM", "Note", "fund_notes"]

#: A holding cost significantly above this (a gain, per year), up to a high dividend yield,
#: of a fund that tracks its index closely, is flagged in ``notes``.
_SUSPECT_GAIN, _MAX_YIELD = 0.005, 0.10
_TRACKER_R2, _TRACKER_BETA = 0.95, 0.1

# The figures that a note about one part of the estimation concerns.
_ROLLING = ("rolling_td_median", "rolling_td_high", "rolling_td_low", "rolling_td_latest")
_REGRESSION = ("beta", "beta_dimson", "r_squared", "alpha")
_DRIFT = ("holding_cost", "holding_cost_lower", "holding_cost_upper", "tracking_difference",
          "tracking_difference_cumulative")
# The figures that rest on the model describing the data well, beyond the drift itself.
_MODEL_FIT = ("tracking_error", "tracking_error_lower", "tracking_error_upper", "holding_cost_se",
              "holding_cost_lower", "holding_cost_upper", "noise_share", "model_fit_pvalue")
#: Below this p-value of the fit test, a note says the noise-robust figures may be off.
FIT_ALARM = 0.01


@dataclass(frozen=True)
class Note:
    """One thing the user should know about one fund's figures.

    Attributes
    ----------
    fund : str
        The fund it is about: its name in a panel with names, else ``"fund"`` or ``"fund 2"``.
    text : str
        One line.
    figures : tuple of str
        The keys of the figures it concerns (and explains, when they are missing); empty:
        every figure of the fund.
    """

    fund: str
    text: str
    figures: tuple[str, ...] = ()

    def concerns(self, figure: str) -> bool:
        return not self.figures or figure in self.figures


_MODEL = ("holding_cost", "holding_cost_lower", "holding_cost_upper", "holding_cost_se", "tracking_error",
          "tracking_error_lower", "tracking_error_upper", "noise_share", "model_fit_pvalue")


def fund_notes(r: dict, noise_share: np.ndarray, label) -> list[Note]:
    """A note for every figure a fund does not get, saying why; and the warnings (the fit test, a
    total-return series against a price index). ``r`` holds a block's figures by key, arrays by
    fund; ``label(j)`` names fund j.

    Each rule is a condition over every fund at once; the notes are then written for the few
    funds that meet one (most funds of a panel meet none), a fund's in the order of the rules.
    """
    n_ret, n_one, fit_p, beta = r["n_ret"], r["n_one_period"], r["fit_p"], r["beta"]
    enough = n_ret >= MIN_RETURNS_TRADITIONAL  # a fund with fewer returns gets this one note only
    model = enough & (n_ret >= MIN_RETURNS)
    one_short = enough & (n_one < MIN_RETURNS_TRADITIONAL)
    # The alarm needs a p-value: a fund without one gets the note that it has no residuals.
    alarm = model & np.isfinite(fit_p) & (fit_p < FIT_ALARM)
    rules = [  # (which funds, the note of fund j)
        (~enough, lambda j: Note(label(j), f"{int(n_ret[j])} returns on common dates; at least "
                                           f"{MIN_RETURNS_TRADITIONAL} are needed")),
        (enough & ~model, lambda j: Note(label(j), f"{int(n_ret[j])} returns on common dates: the holding cost "
                                                   f"and the noise-robust tracking error need at least {MIN_RETURNS}",
                                         _MODEL)),
        (one_short, lambda j: Note(label(j), f"only {int(n_one[j])} returns span a single period (the others "
                                             "cross gaps in the data): the traditional tracking error needs "
                                             f"{MIN_RETURNS_TRADITIONAL}", ("tracking_error_traditional", "noise_share"))),
        (model & ~one_short & ~np.isfinite(noise_share),
         lambda j: Note(label(j), "the fund's returns equal the index's on every date: there is no tracking "
                                  "variance to split into noise and persistent deviations", ("noise_share",))),
        (model & ~np.isfinite(fit_p),
         lambda j: Note(label(j), "the fund's returns differ from the index's by the same amount every period: "
                                  "there are no residuals to test the model's fit on", ("model_fit_pvalue",))),
        (alarm, lambda j: Note(label(j), f"the tracking model does not fit these data (fit test p = "
                                         f"{fit_p[j]:.3g} < {FIT_ALARM:g}): its residuals are autocorrelated, as "
                                         "when the persistent deviations have momentum, so the noise-robust "
                                         "tracking error, its interval and the holding cost's interval may be off",
                                 _MODEL_FIT)),
        (enough & (r["n_windows"] == 0),
         lambda j: Note(label(j), "less than one year of common data: no rolling window", _ROLLING)),
        (enough & ~np.isfinite(beta),
         lambda j: Note(label(j), "the index does not move on these dates: nothing to regress on", _REGRESSION)),
        (enough & np.isfinite(beta) & ~np.isfinite(r["r2"]),
         lambda j: Note(label(j), "the fund does not move on these dates: it has no variance for the index to "
                                  "explain", ("r_squared",))),
        (enough & np.isfinite(beta) & ~np.isfinite(r["beta_d"]),
         lambda j: Note(label(j), "the index returns a period before, at and after each date are not enough to "
                                  "separate three slopes", ("beta_dimson",))),
        (enough & _price_against_total_return(r),
         lambda j: Note(label(j), f"the fund beats its index by {r['ehc'][j]:.2%} a year while tracking it "
                                  "closely: is a total-return series being compared with a price index?", _DRIFT)),
    ]
    met = np.stack([which for which, _ in rules])  # (rules, funds)
    return [note(j) for j in np.flatnonzero(met.any(axis=0)).tolist()
            for i, (_, note) in enumerate(rules) if met[i, j]]


def _price_against_total_return(r: dict) -> np.ndarray:
    """A fund that tracks its index closely (beta near 1, R-squared near 1) yet beats it by
    about a dividend yield, year after year, is almost always a total-return series compared
    with a price index. A fund that merely outperforms a loosely related index (a hedge-fund
    index against equities) does not track it closely, and is not flagged. Per fund; NaN
    figures flag nothing."""
    gain = r["ehc"] - Z95 * r["ehc_se"]
    with np.errstate(invalid="ignore"):
        return ((_SUSPECT_GAIN < gain) & (r["ehc"] < _MAX_YIELD) & (r["r2"] >= _TRACKER_R2)
                & (np.abs(r["beta"] - 1.0) <= _TRACKER_BETA))
