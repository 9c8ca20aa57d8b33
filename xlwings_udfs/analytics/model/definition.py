"""The estimator's fixed choices, shared by the plain estimator and the fast path.

What is estimated (``NoiseModelFit``), from how many returns (``MIN_RETURNS``; the noise model
from the most recent ``fit_lengths``), on which grid
(``Grid``, ``GRID``), at which levels the likelihood ratio is read (``CHI2_95``,
``CHI2_95_BOUNDARY``), when the noise is taken as white (``CHI2_SELECT``), and the fit test's
lags (``FIT_TEST_LAGS``). The grid is part of the estimator's definition, not a speed device: the
estimates are the grid minimum refined by parabolas, and the profile likelihood is traced over
it. ``reference.py`` takes the grid as an argument, so that a change of the noise model (a
wider range of coefficients, say) is made and checked there first; the fast path then
follows, its tests holding it to the reference.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["MIN_RETURNS", "NoiseModelFit", "Grid", "GRID", "CHI2_95", "CHI2_95_BOUNDARY", "CHI2_SELECT",
           "FIT_TEST_LAGS", "DISPERSION_BLOCK", "DISPERSION_MIN_BLOCKS", "check_lengths", "check_spans",
           "spans_within", "sums_within", "FIT_LADDER_FROM", "FIT_LENGTH_LARGEST_PRIME", "fit_lengths"]

#: Fewest return observations for which the model is estimated.
MIN_RETURNS = 30

#: 95% point of chi2(1), the profile interval's likelihood-ratio level.
CHI2_95 = 3.841458820694124
#: s_u^2 = 0 lies on the boundary: its likelihood ratio is a 50:50 mixture of chi2(0) and
#: chi2(1) (Self and Liang, 1987), whose 95% point is the 90% point of chi2(1).
CHI2_95_BOUNDARY = 2.705543454095404
#: The noise is taken as white unless white noise is rejected against the full noise model by
#: a likelihood ratio above this: the 99% point of chi2(2), two more coefficients.
CHI2_SELECT = 9.210340371976184
#: Lags of the portmanteau test of the model's fit.
FIT_TEST_LAGS = 3
#: Returns in a block of the squared returns whose means measure a changing variance (a month
#: of daily data), and the fewest blocks for which it is measured.
DISPERSION_BLOCK = 21
DISPERSION_MIN_BLOCKS = 4

#: The noise model is fitted to a fund's most recent returns: all of them below
#: ``FIT_LADDER_FROM``, from there as many as the largest number at most its count of returns
#: whose prime factors are all at most ``FIT_LENGTH_LARGEST_PRIME`` (``fit_lengths``).
FIT_LADDER_FROM = 500
FIT_LENGTH_LARGEST_PRIME = 11


def _smooth_numbers(largest_prime: int, limit: int) -> np.ndarray:
    """Every number from 1 to ``limit`` whose prime factors are all at most ``largest_prime``, in order."""
    out = [1]
    for p in (2, 3, 5, 7, 11, 13, 17, 19, 23):
        if p > largest_prime:
            break
        grown = []
        for x in out:
            while x <= limit:
                grown.append(x)
                x *= p
        out = grown
    return np.array(sorted(out))


#: Up to 2^31 returns: 15,012 lengths, built in a few milliseconds.
_FIT_LADDER = _smooth_numbers(FIT_LENGTH_LARGEST_PRIME, 2**31)


def fit_lengths(n):
    """How many of its most recent returns a fund of ``n`` returns has its noise model fitted
    to: all n below ``FIT_LADDER_FROM`` (500), from there the largest 11-smooth number (prime
    factors 2, 3, 5, 7, 11 only) at most n.

    Why a ladder of lengths. What the likelihood is made of (the noise kernel at every Fourier
    frequency for every shape of the grid, the scan's tables) depends on the length alone, and
    funds of one length share it: funds launched on different days, a distinct length each,
    share 137 ladder lengths from five to fifteen years of daily data rather than 2,500
    lengths of their own, and a panel of them is fitted about three times as quickly. A
    length with small prime factors only is also one the Fourier transform handles at full
    speed. What it costs: the oldest returns beyond the ladder's length are left out of the
    noise model (not of the drift, which is estimated from every return given the fitted
    model): 0.4-0.7% of the returns on average, at most 2.5% (at most 2.2% from 1,000 returns,
    1.8% from 2,500). The oldest, because the most recent returns say the most about how the
    fund tracks now. Shorter histories (every monthly one, daily ones under two years), where
    each return weighs more and a few left out can move the figures, are fitted whole. A
    length on the ladder (500, 504, 1,000, 1,008, 2,520, ...) is fitted whole.
    """
    n = np.asarray(n)
    if np.any(n < 1) or np.any(n > _FIT_LADDER[-1]):
        raise ValueError(f"a number of returns must be from 1 to {_FIT_LADDER[-1]}")
    return np.where(n < FIT_LADDER_FROM, n, _FIT_LADDER[np.searchsorted(_FIT_LADDER, n, side="right") - 1])


@dataclass(frozen=True)
class NoiseModelFit:
    """Estimated spectrum parameters, one value per fund (arrays of shape (k,); floats from
    ``reference.fit_noise_model``, which fits one fund).

    Attributes
    ----------
    persistent_var : s_u^2, variance per period of the persistent (random-walk) deviations.
    persistent_var_lower, persistent_var_upper : its 95% profile-likelihood interval.
    persistent_var_mean : its mean under the normalized profile likelihood (a flat prior on
        s_u >= 0), which the drift's standard error uses.
    noise_var : sigma_eta^2, innovation variance of the timing noise.
    noise_phi, noise_psi : AR and MA coefficients of the timing noise in levels (both zero
        where white noise was not rejected).
    dispersion : the factor c by which a changing variance inflates the likelihood ratio, at
        least 1; the interval is read at c times the chi2 points.
    span : mean periods a return spans (1: every return one period). The variances above are
        per period; per return, the persistent one is ``span`` times as large.
    fit_pvalue : p-value of the test of the model's fit (NaN for a fund that tracks exactly).

    With the spans of a fund's returns, the persistent variances are per period; without,
    per return (the same thing).
    """

    persistent_var: np.ndarray
    persistent_var_lower: np.ndarray
    persistent_var_upper: np.ndarray
    persistent_var_mean: np.ndarray
    noise_var: np.ndarray
    noise_phi: np.ndarray
    noise_psi: np.ndarray
    dispersion: np.ndarray = 1.0
    span: np.ndarray = 1.0
    fit_pvalue: np.ndarray = float("nan")


@dataclass(frozen=True)
class Grid:
    """The points at which the concentrated likelihood and the profile are evaluated.

    Attributes
    ----------
    q : persistent share of the innovation variance, s_u^2 / (s_u^2 + sigma_eta^2), ascending
        from 0 to 1.
    phi, psi : AR and MA coefficients of the noise that catches up (both >= 0), ascending,
        each starting at 0 (white noise is phi = psi = 0).
    v : values of s_u^2, relative to the fund's mean periodogram, at which the profile
        likelihood is evaluated; ascending, log-spaced (the interval's end points are
        interpolated in log v, and the mean of s_u^2 weights them as such).
    phi_neg, psi_neg : the coefficients of noise that overshoots (<= 0), ascending, each
        ending at 0; empty: none.

    The shapes of the noise are blocks, each a rectangle of (phi, psi): ``phi`` x ``psi``
    (noise that catches up), then ``phi_neg`` x {0} (an overshoot that decays, AR(1)) and
    {0} x ``psi_neg`` (an overshoot corrected the next period, MA(1)). Opposite signs are left
    out (there the two factors can cancel); the blocks meet at white noise.
    """

    q: np.ndarray
    phi: np.ndarray
    psi: np.ndarray
    v: np.ndarray
    phi_neg: np.ndarray = field(default_factory=lambda: np.zeros(0))
    psi_neg: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def blocks(self) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
        """The (phi, psi) rectangles: catching up first, then overshooting (if any)."""
        zero = np.zeros(1)
        extra = ([(self.phi_neg, zero)] if self.phi_neg.size else []) + ([(zero, self.psi_neg)] if self.psi_neg.size else [])
        return ((self.phi, self.psi), *extra)


def _read_only(x: np.ndarray) -> np.ndarray:
    x.flags.writeable = False
    return x


#: The grid: q uniform in logit(q), so that it is as fine next to "no noise" (q -> 1,
#: domestic funds) as next to "no persistent deviation" (q -> 0), plus both ends; phi from
#: white noise to a three-period half-life (0.8); psi from none to a shock caught up over
#: several days (0.9). Noise that overshoots: AR(1) with phi down to -0.6, or MA(1) with psi
#: down to -0.8 (a correction that goes 80% too far and is undone the next period), each
#: alone (a shape with both negative is nearly one of the two, and every shape costs scan
#: time in every fund). Minima between grid points are found by parabolic
#: interpolation, so the grid can be coarse. v from 1e-7 to 10^0.5 of the mean periodogram,
#: 151 values.
GRID = Grid(
    q=_read_only(np.concatenate([[0.0], 1.0 / (1.0 + np.exp(-np.linspace(-14.0, 10.0, 193))), [1.0]])),
    phi=_read_only(np.linspace(0.0, 0.8, 9)),
    psi=_read_only(np.linspace(0.0, 0.9, 7)),
    v=_read_only(np.logspace(-7.0, 0.5, 151)),
    phi_neg=_read_only(np.array([-0.6, -0.45, -0.3, -0.15, 0.0])),
    psi_neg=_read_only(np.array([-0.8, -0.6, -0.4, -0.2, 0.0])),
)


def check_spans(spans, shape, lengths=None):
    """``spans`` like the returns (periods each return spans, >= 1 within each column's
    length), or None; returns it as floats, or None where every span is 1."""
    if spans is None:
        return None
    spans = np.asarray(spans, dtype=float)
    if spans.shape != tuple(shape):
        raise ValueError(f"spans must have the shape of the returns, {tuple(shape)}")
    if len(shape) == 1:
        inside = np.ones(shape, dtype=bool)
    else:
        n = np.full(shape[1], shape[0]) if lengths is None else np.asarray(lengths)
        inside = np.arange(shape[0])[:, None] < n[None, :]
    if np.any(spans[inside] < 1.0) or not np.all(np.isfinite(spans[inside])):
        raise ValueError("spans must be at least 1 period for every return")
    return None if np.all(spans[inside] == 1.0) else spans


def spans_within(spans: np.ndarray, lengths) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For ``spans`` (n, k) as check_spans returns them: where each column's returns lie
    (its first ``lengths`` rows, every row when None), the spans there with 0 below them,
    and which columns have a span other than 1 among their returns."""
    n, k = spans.shape
    ends = np.full(k, n) if lengths is None else np.asarray(lengths)
    inside = np.arange(n)[:, None] < ends[None, :]
    within = np.where(inside, spans, 0.0)
    return inside, within, np.any(within != inside, axis=0)


def sums_within(d: np.ndarray, lengths) -> np.ndarray:
    """Each column's sum over its returns (its first ``lengths`` rows, every row when None).

    Of columns of different lengths, a column at a time down its returns: summed as a fund
    alone has its sum taken, what lies below is not read, and it is about five times as
    quick as a sum through a mask of the block (128 funds of 15 years)."""
    if lengths is None:
        return d.sum(axis=0)
    return np.array([d[:n, j].sum() for j, n in enumerate(np.asarray(lengths).tolist())])


def check_lengths(lengths, shape) -> None:
    """``lengths``, one per column of an array of ``shape``, from MIN_RETURNS to its rows."""
    if lengths is not None and (np.shape(lengths) != shape[1:] or np.min(lengths) < MIN_RETURNS
                                or np.max(lengths) > shape[0]):
        raise ValueError(f"lengths must be {shape[1]} whole numbers from {MIN_RETURNS} to {shape[0]}")
