"""Fast path: the GLS drift by a whitening recursion, its weights filtered by FFT or by recursion.

What it speeds up. The drift is the GLS estimate in the regression of
y_t = d_{t+1} - phi d_t on the constant (1 - phi) and on the two pre-sample innovations
(regressors: an indicator of t = 0 and one of t = 1), the errors an MA(2) with the banded
covariance of ``spectrum.ma_autocovariances`` (package docstring, step 3). Solved as written
(``reference_gls.gls_drift``) that is a dense n x n system per fund. Here:

* *Spectral factorization.* The MA(2) is written (1 - a1 B)(1 - a2 B) a_t with |a_i| <= 1
  (``_ma_factors``: its palindromic quartic is a quadratic in z + 1/z, solved in closed form),
  and filtering by 1 / ((1 - a1 B)(1 - a2 B)), a real second-order recursion, whitens the
  regression: the drift is the first coefficient of an ordinary least-squares fit with three
  regressors (the whitened constant and the responses to the two pre-sample innovations).
* *Weights, not data.* The data are never filtered: the drift is a weighted sum of them, the
  regression's weights taken back through the filter (its transpose).
* *Impulse response by doubling.* The filter's impulse response, which the regressors are
  made of, is built by doubling its length (``_impulse_response``).
* *Regressors never built.* They are the impulse response h, h one period later and the
  running sums of h: Z'Z is six sums of their products down the columns
  (``_normal_matrix``), and the regression's weights on the whitened data are combined from
  h and its sums directly.
* *The weights taken back through the filter* (``_filter_transposed``): for a few funds as a
  convolution by FFT; for a wide block of funds by running the recursion backwards in time,
  every fund of the block at each step. The FFT's cost grows with the number of funds, the
  recursion's is a few small vector operations per date, nearly whatever the width (for
  256 funds x 15 years about 15 ms against 60 ms by FFT; the two break even between 64 and
  128 funds), so from ``_RECURSION_FUNDS`` funds on the recursion is used.
* *Short responses* (``_gls_short``): where the MA roots lie well inside the unit circle, as
  for nearly every fund, the impulse response dies out within a few dozen to a few hundred
  periods (``_reach``: where what is left of it adds up to 1e-18 at most). Beyond that h is
  0 and S its limit S_inf, so u is constant, u_bar = [(Z'Z)^{-1}]_11 (1 - phi) S_inf, and so
  is w, w_bar = u_bar S_inf, except within a reach of either end (near the last date
  w_{m-1-j} = u_bar S_j). Every sum then takes the rows within a reach of each end and, for
  the rows between, a count times a constant; the data enter through their first and last
  rows and their sum, mu = w_bar sum(y) + the ends' departures from w_bar. The work no
  longer grows with the length of the history. Funds whose roots lie near the circle (a
  reach beyond ``_REACH_MAX``), funds with fewer than four reaches of returns, and funds
  with returns across gaps take the whole recursion. Funds of a block go in groups of
  similar reach, each group cut at its longest.
* *Funds of different lengths together*: each column zero beyond its fund's data, which the
  causal filter leaves as the fund's own regression.
* *Spans*: a fund whose returns span several periods gets its drift per period as a'd / a'k
  and the variance of reference_gls.gls_drift, from the same weights (a'k and sum a_t^2 k_t are
  two more sums); funds whose spans are all 1 are left as they are, to the bit.

Why it is exact. The whitened regression is the same GLS problem: the truncated filter is the
inverse of the lower-triangular banded matrix Theta of the MA polynomial, and the covariance
sigma_a^2 Theta Theta' differs from the banded covariance of y only by terms in the
pre-sample innovations, which lie in the span of their regressors and so change neither the
estimate nor the variance of its first coefficient. Apart from rounding (1e-11 and less), the
one difference from the dense solve is the tiny ridge that keeps the 3 x 3 solve defined
where an initial-state response vanishes: 1e-12 of each initial state's own sum of squares
(``_inverse``). With rounding, the drift differed from the dense solve's by 8e-8 of its
standard error at most, the standard error by 2e-9, in funds whose deviations are all noise
(where the whitened constant's norm grows like n^3) up to n = 15,000; a constant's drift is
exact. The two routes of the filter compute the same sums in another order: they agree to
1e-12 of a fund's largest weight, 2e-11 where a root of the MA lies on the unit circle (the
FFT's rounding grows with the weights; the recursion stays within 1e-14 of one in long
double). A fund's drift alone and in a panel agree to about 1e-12 relative: the sums over
dates run down the panel's columns but along a lone fund's contiguous data, in another order.
The short route leaves out a tail of the response of 1e-18 at most (h_0 = 1, |S_inf| >= 1/4),
far below rounding, and adds the same terms in another order: it agrees with the whole
recursion to about 1e-13 for roots well inside the circle (the drift in units of its spread,
the variance relative), to about 1e-10 for roots near 0.95 in modulus or phi near 1, where
both routes round as far from a long-double computation. (With a mean of a thousand standard
deviations the whole recursion's rounding reaches 1e-9, the short route's stays near 3e-11.)

Plain equivalent: ``reference_gls.gls_drift`` (one fund, the banded covariance, a dense solve).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from .definition import NoiseModelFit, check_lengths, check_spans, spans_within, sums_within
from .spectrum import ma_autocovariances

__all__ = ["gls_drift"]


def gls_drift(d: np.ndarray, fit: NoiseModelFit, lengths: np.ndarray | None = None,
              spans: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """GLS drift mu per period and its standard error, for each column of ``d`` (n, k).

    ``lengths`` (k,): the number of returns of each column, which fill it from the top (what
    lies below them is ignored), so that funds of different lengths are estimated together.
    None: every column is complete. ``spans`` (n, k): the periods each return spans, or None:
    one each (``reference_gls.gls_drift``).
    """
    d = np.asarray(d, dtype=float)
    if d.ndim == 1:
        d = d[:, None]
    check_lengths(lengths, d.shape)
    spans = check_spans(spans, d.shape, lengths)
    a1, a2, sigma_a2 = _ma_factors(fit)
    c1, c2 = (a1 + a2).real, -(a1 * a2).real  # 1 / ((1 - a1 B)(1 - a2 B)), a real recursion
    reach = _reach(np.maximum(np.abs(a1), np.abs(a2)))
    mu, inv11, norm2, on_k, norm2_k = _gls_by_route(d, c1, c2, np.asarray(fit.noise_phi, dtype=float).reshape(-1),
                                                    None if lengths is None else np.asarray(lengths), spans, reach)
    # The model's variance takes s_u^2 as known; a fund whose estimate sits at or near zero
    # would get a far too small standard error. The variance is linear in s_u^2 (the
    # persistent part of d is white): averaged over the uncertainty of s_u^2 it grows by
    # (E[s_u^2] - s_u^2) |a|^2, E under the profile likelihood.
    s_u2 = np.asarray(fit.persistent_var, dtype=float)
    mean = np.maximum(fit.persistent_var_mean, s_u2)
    var = sigma_a2 * inv11 + (mean - s_u2) * norm2
    if on_k is not None:
        # Returns across gaps: the drift per period a'd / a'k, the persistent variance of each
        # return k_t s_u^2 (reference_gls.gls_drift).
        uneven = np.isfinite(on_k)
        var_k = sigma_a2 * inv11 - s_u2 * fit.span * norm2 + mean * norm2_k
        mu = np.where(uneven, mu / np.where(uneven, on_k, 1.0), mu)
        var = np.where(uneven, var_k / np.where(uneven, on_k * on_k, 1.0), var)
    return mu, np.sqrt(np.maximum(var, 0.0))


def _ma_factors(fit: NoiseModelFit):
    """Roots a1, a2 (|a| <= 1) and sigma_a^2 of (1 - phi B)(d - mu) = (1 - a1 B)(1 - a2 B) a.

    The autocovariances c0, c1, c2 of the right-hand side give a palindromic quartic; with
    w = z + 1/z it is the quadratic c2 w^2 + c1 w + (c0 - 2 c2) = 0, and each root w gives
    the pair z, 1/z of z^2 - w z + 1 = 0, of which the root inside the unit circle is kept.
    """
    # Degenerate funds (no noise, no deviation) make some branches below divide by zero;
    # np.where discards those branches, so their warnings mean nothing.
    with np.errstate(all="ignore"):
        s2, e2, phi, psi = fit.persistent_var * fit.span, fit.noise_var, fit.noise_phi, fit.noise_psi
        c0, c1, c2 = ma_autocovariances(s2, e2, phi, psi)
        tiny = np.abs(c2) <= 1e-12 * np.maximum(c0, 1e-300)
        c2s = np.where(tiny, 1.0, c2).astype(complex)
        disc = np.sqrt(c1 * c1 - 4.0 * c2s * (c0 - 2.0 * c2s))
        w_roots = [(-c1 + disc) / (2.0 * c2s), (-c1 - disc) / (2.0 * c2s)]
        # MA(1) when c2 = 0: the single root w = -c0 / c1 (no second factor).
        w_one = np.where(c1 != 0, -c0 / np.where(c1 != 0, c1, 1.0), np.inf).astype(complex)
        roots = []
        for w in w_roots:
            r = np.sqrt(w * w - 4.0)
            z1, z2 = (w + r) / 2.0, (w - r) / 2.0
            roots.append(np.where(np.abs(z1) <= np.abs(z2), z1, z2))
        r = np.sqrt(w_one * w_one - 4.0)
        z1, z2 = (w_one + r) / 2.0, (w_one - r) / 2.0
        single = np.where(np.isfinite(w_one), np.where(np.abs(z1) <= np.abs(z2), z1, z2), 0.0)
        a1 = np.where(tiny, single, roots[0])
        a2 = np.where(tiny, 0.0, roots[1])
        # A unit root (no persistent deviation, no noise reversal) sits on the circle.
        a1 = np.where(np.abs(a1) > 1.0, a1 / np.abs(a1), a1)
        a2 = np.where(np.abs(a2) > 1.0, a2 / np.abs(a2), a2)
        theta1, theta2 = -(a1 + a2).real, (a1 * a2).real
        return a1, a2, c0 / (1.0 + theta1 * theta1 + theta2 * theta2)


@lru_cache(maxsize=None)
def _fast_length(n: int) -> int:
    """The smallest 5-smooth number >= n: a size the FFT handles at full speed."""
    best = 1 << max(0, (n - 1).bit_length())
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            p = p35
            while p < n:
                p *= 2
            best = min(best, p)
            p35 *= 3
        p5 *= 5
    return best


def _impulse_response(c1: np.ndarray, c2: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """h_0..h_{m-1} of 1 / (1 - c1 B - c2 B^2) and their running sums S_t = h_0 + ... + h_t,
    one column per pair of coefficients: two arrays (m, k).

    Built by doubling rather than a loop over time: the recursion's state-transition powers
    give h_{L+j} = h_L h_j + c2 h_{L-1} h_{j-1} (h_{-1} = 0), and summing that over j,
    S_{L+j} = S_{L-1} + h_L S_j + c2 h_{L-1} S_{j-1} (S_{-1} = 0), so each step doubles the
    known length of both.
    """
    k = c1.shape[0]
    both = np.zeros((2, max(m, 2), k))  # h, then S: the same steps double both at once
    h, cum = both
    h[0], h[1] = 1.0, c1
    cum[0], cum[1] = 1.0, 1.0 + c1
    known = 2
    while known < m:
        h_last = c1 * h[known - 1] + c2 * h[known - 2]  # h_L
        c2_h = c2 * h[known - 1]  # c2 h_{L-1}
        add = min(known, m - known)
        np.multiply(h_last, both[:, :add], out=both[:, known : known + add])
        both[:, known + 1 : known + add] += c2_h * both[:, : add - 1]
        cum[known : known + add] += cum[known - 1]
        known += add
    return h[:m], cum[:m]


#: From this many funds in a block on, the weights go back through the filter by recursion.
_RECURSION_FUNDS = 128


def _filter_transposed(u: np.ndarray, h: np.ndarray, c1: np.ndarray, c2: np.ndarray) -> np.ndarray:
    """H'u for each column of ``u`` (m, k): w_s = sum_{t >= s} h_{t-s} u_t, H the
    lower-triangular Toeplitz matrix of the impulse response ``h`` (m, k) of
    1 / (1 - c1 B - c2 B^2).

    The same sums either way (module docstring): a convolution by FFT for a few funds, or
    for a block of ``_RECURSION_FUNDS`` or more the recursion
    w_s = u_s + c1 w_{s+1} + c2 w_{s+2} (w_m = w_{m+1} = 0) run from the last date back.
    """
    if u.shape[1] < _RECURSION_FUNDS:
        return _filter_transposed_by_fft(u, h)
    return _filter_transposed_by_recursion(u, c1, c2)


def _filter_transposed_by_fft(u: np.ndarray, h: np.ndarray) -> np.ndarray:
    """H'u as the convolution of h with u reversed in time, by FFT."""
    m = u.shape[0]
    size = _fast_length(2 * m - 1)
    spec = np.fft.rfft(u[::-1], size, axis=0)
    spec *= np.fft.rfft(h, size, axis=0)
    return np.fft.irfft(spec, size, axis=0)[m - 1 :: -1]


def _filter_transposed_by_recursion(u: np.ndarray, c1: np.ndarray, c2: np.ndarray) -> np.ndarray:
    """H'u by the recursion run backwards in time, every fund at each date."""
    m, k = u.shape
    w = np.zeros((m + 2, k))  # two rows of zeros beyond the last date
    term = np.empty(k)
    for s in range(m - 1, -1, -1):
        ws = w[s]
        np.multiply(c1, w[s + 1], out=ws)
        np.multiply(c2, w[s + 2], out=term)
        ws += term
        ws += u[s]
    return w[:m]


def _column_dots(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """sum_t a_t b_t down each column."""
    return np.einsum("tk,tk->k", a, b)


def _normal_matrix(h: np.ndarray, cum_h: np.ndarray, one_minus_phi: np.ndarray, last) -> np.ndarray:
    """Z'Z (k, 3, 3) of the regressors z0 = (1 - phi) S, z1 = h and z2_t = h_{t-1} (z2_0 = 0).

    ``h`` and ``cum_h`` (S), (m, k), are zero beyond each fund's ``last`` row (a shorter
    fund's regressors end there). Each entry is a sum of products of h and S; z2 is h one
    period later, so its square sums are those of h without its last value: six sums down the
    columns instead of the products of three built regressors.
    """
    k = h.shape[1]
    g = one_minus_phi
    hh = _column_dots(h, h)
    ztz = np.empty((k, 3, 3))
    ztz[:, 0, 0] = g * g * _column_dots(cum_h, cum_h)
    ztz[:, 0, 1] = ztz[:, 1, 0] = g * _column_dots(cum_h, h)
    ztz[:, 0, 2] = ztz[:, 2, 0] = g * _column_dots(cum_h[1:], h[:-1])
    ztz[:, 1, 1] = hh
    ztz[:, 1, 2] = ztz[:, 2, 1] = _column_dots(h[1:], h[:-1])
    ztz[:, 2, 2] = hh - h[last, np.arange(k)] ** 2
    return ztz


#: The ridge on the initial states' regressors, in units of their own sums of squares.
_RIDGE = np.diag([0.0, 1e-12, 1e-12])


def _inverse(ztz: np.ndarray) -> np.ndarray:
    """(Z'Z)^{-1} of each fund, (k, 3, 3), with a tiny ridge: it keeps the solve defined when
    an initial-state response vanishes (a = 0).

    Z'Z is scaled to a unit diagonal, the ridge added, the inverse scaled back: the ridge is
    1e-12 of each initial state's own sum of squares, and none on the whitened constant, so
    that returns that are a constant get exactly that constant as their drift. (A ridge of
    1e-12 of the trace, which the whitened constant's n^3 dominates where the noise does,
    moved the drift of such funds by up to 4e-3 of its standard error at n = 2520, and every
    drift by 4e-12 relative.)
    """
    diagonal = np.diagonal(ztz, axis1=1, axis2=2)
    scale = 1.0 / np.sqrt(np.where(diagonal > 0.0, diagonal, 1.0))  # a vanished regressor: 1
    outer = scale[:, :, None] * scale[:, None, :]
    return np.linalg.inv(ztz * outer + _RIDGE) * outer


def _gls(d, c1, c2, phi, lengths, spans=None):
    """GLS drift, [(Z'Z)^{-1}]_11 and |a|^2 (a: the drift's weights on d) for columns of ``d``;
    with spans, a'k and sum a_t^2 k_t (NaN for the funds whose spans are all 1), else None.

    ``c1``, ``c2``: the whitening recursion of each fund; ``lengths`` and ``spans`` as in
    gls_drift. Dates run down the rows and funds across, as the data come: every step is a
    pass over whole rows or a sum down the columns, and the recursion reads a row per date.
    """
    n, k = d.shape
    uneven = sp = None
    if spans is not None:
        _, sp, uneven = spans_within(spans, lengths)
        uneven = np.flatnonzero(uneven)
        if not uneven.size:
            uneven = sp = None
    y = d[1:] - phi * d[:-1]  # the AR part, conditional on the first observation
    m = n - 1
    h, cum_h = _impulse_response(c1, c2, m)
    # Regressors: the whitened constant (1 - phi) S, S the running sums of the impulse
    # response h, and the responses to the two unknown initial innovations (h, and h one
    # period later). They are never built: Z'Z and u below are read off h and S.
    last = m - 1 if lengths is None else lengths - 2  # each fund's last y
    if lengths is not None:
        # A shorter fund's regression ends with its data: the filter is causal, so its
        # regressors and data up to there are those of the fund alone, and zeros beyond
        # leave every sum below (and the weights w) as they would be.
        beyond = np.arange(m)[:, None] >= (lengths - 1)[None, :]
        # (The filter reads h only up to each fund's last return, so the weights w within
        # a fund's data do not change.)
        y[beyond] = 0.0
        h[beyond] = 0.0
        cum_h[beyond] = 0.0
    inv = _inverse(_normal_matrix(h, cum_h, 1.0 - phi, last))
    # mu = e_1'(Z'Z)^{-1} Z' x = u'x with u = Z (Z'Z)^{-1} e_1 and x = H y the whitened data,
    # so mu = (H'u)'y: the weights u taken back through the filter (its transpose, the same
    # convolution run backwards in time) and through y_t = d_{t+1} - phi d_t. The data are
    # never filtered themselves.
    u = cum_h * (inv[:, 0, 0] * (1.0 - phi))
    u += inv[:, 0, 1] * h
    u[1:] += inv[:, 0, 2] * h[:-1]
    if lengths is not None:
        u[beyond] = 0.0  # the third regressor, h one period later, ends with the data too
    w = _filter_transposed(u, h, c1, c2)
    if lengths is not None:
        w[beyond] = 0.0  # the FFT route's rounding, where the weights are exactly zero
    # The weights on d are a_t = w_{t-1} - phi w_t (w_{-1} = w_m = 0): the inner ones, then
    # the two ends.
    inner = w[:-1] - phi * w[1:]
    norm2 = _column_dots(inner, inner) + (phi * w[0]) ** 2 + w[-1] ** 2
    mu = _column_dots(w, y)
    on_k = norm2_k = None
    if uneven is not None:
        # a'k = w'(k_{t+1} - phi k_t), and sum a_t^2 k_t as |a|^2 above.
        on_k, norm2_k = np.full(k, np.nan), np.full(k, np.nan)
        ks, wu, pu = sp[:, uneven], w[:, uneven], phi[uneven]
        on_k[uneven] = _column_dots(wu, ks[1:] - pu * ks[:-1])
        inner_u = inner[:, uneven]
        norm2_k[uneven] = _column_dots(inner_u * inner_u, ks[1:-1]) + (pu * wu[0]) ** 2 * ks[0] \
            + wu[-1] ** 2 * ks[-1]
    return mu, inv[:, 0, 0], norm2, on_k, norm2_k


#: A response whose tail adds up to less than this (with h_0 = 1 and |S_inf| >= 1/4) is cut
#: there: what it leaves out lies far below the rounding of every sum that uses it.
_TAIL = 1e-18
#: The longest response cut short; beyond it (a root within about 0.05 of the unit circle)
#: the whole recursion is run.
_REACH_MAX = 1024


def _reach(r: np.ndarray) -> np.ndarray:
    """How far each fund's impulse response reaches: the least T >= 2 for which its tail beyond
    T adds up to _TAIL at most, or 0 when that is beyond _REACH_MAX (or the root ``r`` is on
    the unit circle).

    ``r`` is the larger modulus of the two MA roots. The response is the convolution of the
    roots' powers, h_t = sum_{i+j=t} a1^i a2^j, so |h_t| <= (t+1) r^t and the tail from T on
    adds up to (T+1) r^T / (1-r)^2 at most: T is enough when T log(1/r) >= log(T+1) + b,
    b = log(1/_TAIL) - 2 log(1-r). Iterating T <- (log(T+1) + b) / log(1/r) from T = 2
    climbs to the least such T in a few steps (the logarithm hardly moves).
    """
    r = np.asarray(r, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # r = 0: rate inf; r >= 1: no reach
        rate = -np.log(r)
        b = -np.log(_TAIL) - 2.0 * np.log1p(-r)
        t = np.full(r.shape, 2.0)
        for _ in range(8):
            t = np.maximum(np.ceil((np.log(t + 1.0) + b) / rate), 2.0)
        enough = (r < 1.0) & (t <= _REACH_MAX) & (t * rate >= np.log(t + 1.0) + b)
    return np.where(enough, t, 0).astype(np.intp)


def _gls_by_route(d, c1, c2, phi, lengths, spans, reach):
    """_gls's results, each fund by the shorter route it can take.

    A fund whose impulse response dies out well within its data (``reach``, from _reach, at
    most about a quarter of its returns) and whose returns each span one period goes by
    _gls_short, the others by _gls. Funds go by the short route in groups of reaches within
    a factor of two, each group cut at its longest reach (a longer cut leaves out even less,
    and every fund of the group has returns enough for it), so that one fund whose response
    reaches far does not hold the others to its cut.
    """
    n, k = d.shape
    ends = np.full(k, n) if lengths is None else lengths
    m = ends - 1
    candidate = (reach > 0) & (m >= 4 * reach + 2)
    if spans is not None:
        candidate &= ~spans_within(spans, lengths)[2]  # spans all 1
    # Reaches in (2^(g-1), 2^g] make group g: its cut is under twice each member's reach.
    group = np.where(candidate, np.ceil(np.log2(np.maximum(reach, 1))), -1)
    groups = [np.flatnonzero(group == g) for g in np.unique(group[candidate])]
    if not groups:
        return _gls(d, c1, c2, phi, lengths, spans)
    # Each fund's sum of returns, read by the short route for the rows between its ends, for
    # every group.
    totals = sums_within(d, lengths)
    if len(groups) == 1 and groups[0].size == k:
        return (*_gls_short(d, groups[0], ends, totals, c1, c2, phi, int(reach.max())), None, None)
    mu, inv11, norm2 = np.empty((3, k))
    for cols in groups:
        mu[cols], inv11[cols], norm2[cols] = _gls_short(d, cols, ends[cols], totals[cols], c1[cols], c2[cols],
                                                        phi[cols], int(reach[cols].max()))
    rest = np.flatnonzero(~candidate)
    on_k = norm2_k = None
    if rest.size:
        pick = lambda x: None if x is None else x[..., rest]  # noqa: E731
        mu[rest], inv11[rest], norm2[rest], on_rest, norm2_k_rest = _gls(
            d[:, rest], c1[rest], c2[rest], phi[rest], pick(lengths), pick(spans))
        if on_rest is not None:
            on_k, norm2_k = np.full(k, np.nan), np.full(k, np.nan)
            on_k[rest], norm2_k[rest] = on_rest, norm2_k_rest
    return mu, inv11, norm2, on_k, norm2_k


def _gls_short(d, cols, ends, totals, c1, c2, phi, reach):
    """_gls's drift, [(Z'Z)^{-1}]_11 and |a|^2 for the columns ``cols`` of ``d``, their
    impulse responses cut at ``reach`` (module docstring, "Short responses").

    ``ends``, ``totals`` (the sums of their returns), ``c1``, ``c2`` and ``phi`` are those of
    the columns ``cols``; each fund has at least 2 reach + 1 returns y (the rows within a
    reach of either end do not overlap). Reads the first reach + 2 and the last reach rows
    of each fund's data.
    """
    k = cols.size
    m = ends - 1  # returns y of each fund
    g = 1.0 - phi
    h, cum_h = _impulse_response(c1, c2, reach)
    s_inf = cum_h[-1]
    # h and S over 2 reach + 1 rows: h zero from row reach on, S its limit.
    rows = 2 * reach + 1
    hz, sz = np.zeros((rows, k)), np.empty((rows, k))
    hz[:reach], sz[:reach], sz[reach:] = h, cum_h, s_inf
    # Z'Z: the sums over rows 0..reach, where the third regressor (h one period later) ends
    # with h_{reach-1}, plus (1 - phi)^2 S_inf^2 for each of the m - reach - 1 rows beyond,
    # where only the whitened constant is not zero.
    ztz = _normal_matrix(hz[: reach + 1], sz[: reach + 1], g, reach)
    ztz[:, 0, 0] += (m - reach - 1) * (g * s_inf) ** 2
    inv = _inverse(ztz)
    # u as in _gls over rows 0..2 reach; from row reach + 1 on it is u_bar.
    alpha = inv[:, 0, 0] * g
    u = sz * alpha
    u += inv[:, 0, 1] * hz
    u[1:] += inv[:, 0, 2] * hz[:-1]
    u_bar = alpha * s_inf
    # w = H'u: the first reach + 1 weights from u's first rows; from there to m - reach,
    # w_bar = u_bar S_inf; the last reach - 1, w_{m-1-j} = u_bar S_j.
    w_head = _filter_transposed(u, hz, c1, c2)[: reach + 1]
    w_bar = u_bar * s_inf
    w_tail = np.empty((reach, k))  # w_{m-reach} .. w_{m-1}
    w_tail[0] = w_bar
    w_tail[1:] = u_bar * cum_h[reach - 2 :: -1]
    # The data: y's first reach + 1 values, its last reach - 1 and its sum.
    head = d[: reach + 2] if k == d.shape[1] else d[: reach + 2, cols]
    y_head = head[1:] - phi * head[:-1]
    tail = d[m[None, :] - np.arange(reach)[:, None], cols[None, :]]  # d_m, d_{m-1}, .. d_{m-reach+1}
    y_tail = tail[:-1] - phi * tail[1:]  # y_{m-1}, y_{m-2}, ..
    sum_y = (totals - head[0]) - phi * (totals - tail[0])
    mu = w_bar * sum_y + _column_dots(w_head - w_bar, y_head) + u_bar * _column_dots(cum_h[: reach - 1] - s_inf, y_tail)
    # |a|^2 as in _gls: the inner weights w_t - phi w_{t+1} of the first rows, of the last,
    # and (1 - phi) w_bar for each of the m - 2 reach - 1 between, then the two ends.
    inner_head = w_head - phi * np.vstack([w_head[1:], w_bar[None]])
    inner_tail = w_tail[:-1] - phi * w_tail[1:]
    norm2 = (_column_dots(inner_head, inner_head) + _column_dots(inner_tail, inner_tail)
             + (m - 2 * reach - 1) * (g * w_bar) ** 2 + (phi * w_head[0]) ** 2 + u_bar**2)
    return mu, inv[:, 0, 0], norm2
