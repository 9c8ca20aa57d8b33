"""The estimator written plainly: one fund, double precision, each step an equation of the
package docstring.

This is the definition the fast path is held to. It computes the same estimator, with the
same grid, the same parabolic refinement and the same rules for the profile interval, which
are part of the definition. It takes none of the fast path's shortcuts for speed: the noise
kernel comes from the lag sum that defines it, not from the closed form; the objective is
evaluated in double precision at every point of the grid, not in single precision, not only
near the minimum, not from tables kept between calls; and the profile is traced over every
q. Nothing is cached, and funds are fitted one at a time. The drift given the fit, a dense
GLS solve, is in ``reference_gls``.

The grid is an argument (``definition.GRID`` by default), and the noise model enters through
``spectrum.noise_autocovariance`` (the kernel; ``spectrum.ma_autocovariances`` for the
drift): a change of the model or of the estimator is made here first, and the fast path is
then held to it.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from .definition import (CHI2_95, CHI2_95_BOUNDARY, CHI2_SELECT, DISPERSION_BLOCK, DISPERSION_MIN_BLOCKS,
                         FIT_TEST_LAGS, GRID, MIN_RETURNS, Grid, NoiseModelFit, check_spans, fit_lengths)
from .spectrum import bin_edges, bin_widths, binned_ordinates, chi2_sf, fit_test_df, noise_autocovariance

__all__ = ["kernel", "binned_kernel", "objective", "profile", "dispersion", "fit_noise_model", "likelihood_ratio",
           "spectral_autocorrelations", "fit_test"]


def kernel(n: int, phi, psi) -> np.ndarray:
    """k_n(lambda_j) = |1 - e^{-i lambda_j}|^2 sum_{|h|<n} (1 - |h|/n) gamma(h) e^{i lambda_j h}, j = 1..m.

    The expected periodogram of n differenced ARMA(1,1) values with unit innovations, end
    effect aside, by the lag sum (gamma: spectrum.noise_autocovariance). ``phi`` and ``psi``
    broadcast together (shape s); returns s + (m,).
    """
    m = (n - 1) // 2
    lam = 2.0 * np.pi * np.arange(1, m + 1) / n
    gamma = noise_autocovariance(phi, psi, n)  # s + (n,), lags 0..n-1
    lags = np.arange(1, n)
    fejer = gamma[..., :1] + 2.0 * (gamma[..., 1:] * (1.0 - lags / n)) @ np.cos(np.outer(lags, lam))
    return 4.0 * np.sin(lam / 2.0) ** 2 * fejer


def binned_kernel(n: int, phi, psi) -> np.ndarray:
    """Bin means of the kernel k_n (``kernel``): s + (bins,)."""
    m = (n - 1) // 2
    return np.add.reduceat(kernel(n, phi, psi), bin_edges(m)[:-1], axis=-1) / bin_widths(m)


def _ordinates(d: np.ndarray):
    """Binned periodogram I_b and real parts C_b of one fund (scaled), and the scale."""
    binned, scale = binned_ordinates(d[:, None])
    return binned[:, 0, 0], binned[:, 1, 0], scale[0]


def _objective(ibar, cbar, n: int, h: np.ndarray):
    """Concentrated objective l, scale S and log-determinant term LD at binned spectra ``h`` (..., bins).

    With w_b the share of the frequencies in bin b: A1 = sum w I / h, A2 = sum w C / h,
    A3 = sum w / (n h); the end effect profiled out, S = A1 - A2^2 / A3; LD = sum w log h;
    l = log S + LD.
    """
    w = bin_widths((n - 1) // 2) / ((n - 1) // 2)
    a1, a2, a3 = (w * ibar / h).sum(axis=-1), (w * cbar / h).sum(axis=-1), (w / h).sum(axis=-1) / n
    s = np.maximum(a1 - a2 * a2 / a3, 1e-300)
    logdet = (w * np.log(h)).sum(axis=-1)
    return np.log(s) + logdet, s, logdet


def objective(d: np.ndarray, q: float, phi: float, psi: float) -> float:
    """The concentrated objective l(q, phi, psi) of one fund's returns ``d`` (n,), at any point.

    The spectrum shape h = q + (1 - q) k_n(phi, psi), the kernel by the lag sum. Twice the
    number of frequencies times a difference of l is a likelihood ratio.
    """
    d = np.asarray(d, dtype=float)
    ibar, cbar, _ = _ordinates(d)
    return float(_objective(ibar, cbar, d.size, q + (1.0 - q) * binned_kernel(d.size, phi, psi))[0])


def _parabolic_min(values: np.ndarray):
    """Minimum along the last axis, refined by the parabola through the grid minimum and its two
    neighbours, and where it lies (a fractional index).

    Not refined: a minimum on the edge of the grid, next to +inf (a point left out), or where
    the three values do not curve upwards.
    """
    size = values.shape[-1]
    if size < 3:
        return values.min(axis=-1), values.argmin(axis=-1).astype(float)
    i = values.argmin(axis=-1)[..., None]
    c = np.clip(i, 1, size - 2)
    lo, mid, hi = (np.take_along_axis(values, c + s, axis=-1)[..., 0] for s in (-1, 0, 1))
    with np.errstate(invalid="ignore"):  # inf - inf next to a point left out: not refined
        curv = lo - 2.0 * mid + hi
        ok = (i[..., 0] == c[..., 0]) & (curv > 0) & np.isfinite(curv)
        curv = np.where(ok, curv, 1.0)
        step = np.where(ok, 0.5 * (lo - hi) / curv, 0.0)  # the vertex, within half a step (mid is the least)
        best = np.where(ok, mid - (lo - hi) ** 2 / (8.0 * curv), np.take_along_axis(values, i, axis=-1)[..., 0])
    return best, i[..., 0] + step


def _interpolate(table: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Linear interpolation of ``table`` (..., size) at fractional indices ``at`` (...)."""
    if table.shape[-1] == 1:
        return table[..., 0]
    i = np.clip(np.floor(at).astype(int), 0, table.shape[-1] - 2)
    t = at - i
    lo = np.take_along_axis(table, i[..., None], axis=-1)[..., 0]
    hi = np.take_along_axis(table, i[..., None] + 1, axis=-1)[..., 0]
    return lo * (1.0 - t) + hi * t


def _ridge(table: np.ndarray, logdet: np.ndarray):
    """l minimized over psi (at each phi) and then over phi by parabolas, per q, and LD read at
    the same places, for one block of shapes: (q, phi, psi) -> (q,), (q,); and the least
    grid value over phi of the minima over psi, before the parabola over phi (q,)."""
    ridge, at_psi = _parabolic_min(table)  # (q, phi)
    ridge_logdet = _interpolate(logdet, at_psi)
    least = ridge.min(axis=-1)
    ridge, at_phi = _parabolic_min(ridge)  # (q,)
    return ridge, _interpolate(ridge_logdet, at_phi), least


def profile(tables, logdets, q: np.ndarray, v: np.ndarray):
    """Profile objective P(v) of s_u^2 = v (relative to the mean periodogram), and the ridge at q = 0.

    ``tables`` and ``logdets``: the concentrated objective l and the term LD at every point of
    each block of shapes, (q, phi, psi), at the grid values ``q`` (one array: one block). The
    ridge: for each q and block, l minimized over psi (at each phi) and then over phi by
    parabolas, LD read at the same places; at each q, that of the block whose least value
    before the parabola over phi is the lower (the first block on a tie), as the parabola is
    drawn about the least point of all; and S(q) = exp(l - LD). For s_u^2 = v,
    P(v) = log v + min over q > 0 of [-log q + LD(q) + S(q) q / v], the minimum refined by a
    parabola in the q index. Its minimum over v is min l + 1 (the objective before sigma^2 is
    concentrated out).
    """
    if isinstance(tables, np.ndarray):
        tables, logdets = [tables], [logdets]
    ridges = [_ridge(t, ld) for t, ld in zip(tables, logdets)]
    ridge, ridge_logdet, least = ridges[0]
    for other, other_logdet, other_least in ridges[1:]:
        lower = other_least < least
        ridge, ridge_logdet = np.where(lower, other, ridge), np.where(lower, other_logdet, ridge_logdet)
        least = np.minimum(least, other_least)
    s = np.exp(ridge - ridge_logdet)
    with np.errstate(divide="ignore"):
        terms = np.where(q > 0, ridge_logdet - np.log(q) + (s * q) / v[:, None], np.inf)  # (v, q)
    return np.log(v) + _parabolic_min(terms)[0], ridge[0]


def _interval(lr: np.ndarray, lr_zero: float, v: np.ndarray):
    """95% interval of s_u^2 from the profile likelihood ratio ``lr`` at the grid values ``v``.

    The v with LR <= 3.84, from the first to the last; each end where LR crosses 3.84,
    interpolated linearly in log v. The lower end is 0 where LR(0) is within the boundary's
    95% point (2.71) or the interval reaches the lowest v; the upper end is the highest v
    where the interval reaches it; (0, highest v) where no v is inside.
    """
    inside = np.flatnonzero(lr <= CHI2_95)
    if inside.size == 0:
        return 0.0, v[-1]
    log_v = np.log(v)

    def crossing(i_out, i_in):
        a, b = lr[i_out], lr[i_in]
        t = min(max((a - CHI2_95) / (a - b), 0.0), 1.0) if a != b else 1.0
        return np.exp(log_v[i_out] + t * (log_v[i_in] - log_v[i_out]))

    first, last = inside[0], inside[-1]
    lower = crossing(first - 1, first) if first > 0 and lr_zero > CHI2_95_BOUNDARY else 0.0
    upper = crossing(last + 1, last) if last < v.size - 1 else v[-1]
    return lower, upper


def _check(d: np.ndarray) -> np.ndarray:
    d = np.asarray(d, dtype=float)
    if d.ndim != 1 or d.size < MIN_RETURNS:
        raise ValueError(f"d must be one fund's returns, at least {MIN_RETURNS} of them")
    return d


def _most_recent(d: np.ndarray, spans=None):
    """The returns (and their spans) the noise model is fitted to: the most recent
    ``fit_lengths(n)`` of the fund's n; the spans None where those all span one period."""
    start = d.size - int(fit_lengths(d.size))
    return d[start:], (None if spans is None else check_spans(spans[start:], (d.size - start,)))


def _refined_minimum(ibar, cbar, n: int, axes, table: np.ndarray, s_table: np.ndarray) -> dict:
    """The minimum of one block's ``table`` (q, phi, psi) on its ``axes`` (their grid values),
    refined along each axis by the vertex of the parabola through the grid minimum and its two
    neighbours on that axis (an inner minimum, curving upward; at most half a step away), the
    point read off the grid values by linear interpolation in the index, and kept unless its
    objective is higher."""
    at = np.unravel_index(table.argmin(), table.shape)
    grid_best = table[at]
    point = []
    for axis, values in enumerate(axes):
        i, step = at[axis], 0.0
        if 0 < i < values.size - 1:
            lo, hi = (table[tuple(j + s if a == axis else j for a, j in enumerate(at))] for s in (-1, 1))
            curv = lo - 2.0 * grid_best + hi
            if curv > 0:
                step = min(max(0.5 * (lo - hi) / curv, -0.5), 0.5)
        point.append(float(np.interp(i + step, np.arange(values.size), values)))
    q, phi, psi = point
    value, s, _ = _objective(ibar, cbar, n, q + (1.0 - q) * binned_kernel(n, phi, psi))
    if value > grid_best:  # the parabolas overshot: the grid point
        (q, phi, psi), value, s = tuple(v[i] for v, i in zip(axes, at)), grid_best, s_table[at]
    return dict(q=q, phi=phi, psi=psi, s=s, best=min(value, grid_best), grid_best=grid_best)


def _estimate(d: np.ndarray, grid: Grid, c: float = 1.0):
    """The point estimate, the model it is in, and what the profile needs: a dict.

    The objective at every point of the grid, block by block of noise shapes. The full model's
    estimate is the least grid value, refined within its block (``_refined_minimum``; the
    first block where two tie). White noise is the column phi = psi = 0 of the first block,
    its minimum refined along q. White noise is kept unless the full model's likelihood ratio
    against it, over the dispersion ``c``, exceeds ``CHI2_SELECT``; the profile is then traced
    in the model kept.
    """
    n = d.size
    m = (n - 1) // 2
    ibar, cbar, scale = _ordinates(d)
    q = grid.q[:, None, None, None]
    blocks = []
    for phi, psi in grid.blocks:
        kernel = binned_kernel(n, phi[:, None], psi[None, :])  # (phi, psi, bins)
        table, s_table, logdet = _objective(ibar, cbar, n, q + (1.0 - q) * kernel)  # (q, phi, psi)
        blocks.append(((grid.q, phi, psi), table, s_table, logdet))
    first = int(np.argmin([b[1].min() for b in blocks]))
    full = _refined_minimum(ibar, cbar, n, blocks[first][0], blocks[first][1], blocks[first][2])
    (q_axis, phi, psi), table, s_table, logdet = blocks[0]
    if phi[0] != 0.0 or psi[0] != 0.0:
        raise ValueError("the grid's phi and psi must start at 0 (white noise)")
    white = _refined_minimum(ibar, cbar, n, (q_axis, phi[:1], psi[:1]), table[:, :1, :1], s_table[:, :1, :1])
    select = 2.0 * m * (white["best"] - full["best"]) / c
    if select <= CHI2_SELECT:
        est, tables, logdets = white, [table[:, :1, :1]], [logdet[:, :1, :1]]
    else:
        est, tables, logdets = full, [b[1] for b in blocks], [b[3] for b in blocks]
    return dict(est, scale=scale, n_freq=m, tables=tables, logdets=logdets, white=select <= CHI2_SELECT,
                select=select)


def _likelihood_ratio(est: dict, grid: Grid, v: np.ndarray):
    """LR at ``v`` and at s_u^2 = 0: 2 n_freq (P(v) - 1 - min l), min l the lower of the refined
    minimum and min P - 1 over the grid's v."""
    prof, ridge_zero = profile(est["tables"], est["logdets"], grid.q, grid.v)
    best = min(est["best"], prof.min() - 1.0)
    if v is not grid.v:
        prof = profile(est["tables"], est["logdets"], grid.q, v)[0]
    return 2.0 * est["n_freq"] * (prof - 1.0 - best), 2.0 * est["n_freq"] * (ridge_zero - best)


def dispersion(d: np.ndarray) -> float:
    """The factor c >= 1 by which a changing variance inflates the likelihood ratio.

    Whittle's likelihood takes the Fourier ordinates as independent. When the variance of
    the returns changes over time (a crisis), ordinates at nearby frequencies move together,
    the score of the likelihood varies c = E[sigma_t^4] / E[sigma_t^2]^2 times as much as the
    likelihood's curvature says, and a likelihood ratio is c times too large.
    c - 1 = Var(sigma_t^2) / E[sigma_t^2]^2 is read off the squared demeaned returns x_t in
    consecutive blocks of ``DISPERSION_BLOCK`` returns (those after the last whole block left
    out), s2 their mean: the mean product of the deviations from s2 of the means of
    neighbouring blocks, over s2^2. A variance that changes over weeks moves neighbouring
    blocks together; the sampling error of each block's mean does not (nor timing noise,
    which correlates the squares over a few lags only, nor fat tails). Never below 1, and 1
    with fewer than ``DISPERSION_MIN_BLOCKS`` blocks.
    """
    blocks = d.size // DISPERSION_BLOCK
    x = ((d - d.mean()) ** 2)[: blocks * DISPERSION_BLOCK]
    s2 = x.mean() if blocks else 0.0
    if s2 == 0.0 or blocks < DISPERSION_MIN_BLOCKS:
        return 1.0
    means = x.reshape(blocks, DISPERSION_BLOCK).mean(axis=1) - s2
    return float(max(1.0, 1.0 + (means[:-1] @ means[1:]) / (blocks - 1) / (s2 * s2)))


def _span_of(spans, n: int) -> float:
    """Mean periods a return spans (1 without spans)."""
    return 1.0 if spans is None else float(np.mean(spans))


def fit_noise_model(d: np.ndarray, grid: Grid = GRID, spans=None) -> NoiseModelFit:
    """Whittle estimate of (s_u^2, sigma_eta^2, phi, psi) of one fund's returns ``d`` (n,).

    ``spans`` (n,): the periods each return spans (a return across a gap in the fund's data
    spans several), or None: one each. The model is fitted to the returns as they come, one a
    step, less k_t times their drift per period (sum d / sum k: the mean of a return varies
    with its span, which would otherwise add a white term to the persistent part); a return
    across k periods carries k periods of persistent deviations and one step of the timing
    noise, so the persistent variance found per step is the mean span times the variance per
    period: it (with its interval and mean) is divided by the mean span.

    The model is fitted to the fund's most recent ``fit_lengths(n)`` returns (and their spans),
    which every step below takes as the whole history: those left out, at most 2.5% of them
    from 500 returns on, are the oldest (``definition.fit_lengths``).

    Returns a NoiseModelFit of floats, with the p-value of the test of its fit (``fit_test``).
    A fund whose returns are all equal (it tracks exactly) has every figure zero.
    """
    d = _check(d)
    d, spans = _most_recent(d, check_spans(spans, d.shape))
    if np.all(d == d[0]) if spans is None else np.all(d / spans == d[0] / spans[0]):
        return NoiseModelFit(*[0.0] * 7, span=_span_of(spans, d.size))
    if spans is not None:
        d = d - spans * (d.sum() / spans.sum())
    c = dispersion(d)
    est = _estimate(d, grid, c)
    lr, lr_zero = _likelihood_ratio(est, grid, grid.v)
    lower, upper = _interval(lr / c, lr_zero / c, grid.v)
    # Mean of s_u^2 under exp(-LR/2) with a flat prior on s_u: ds_u ~ sqrt(v) dlog v.
    weight = np.exp(-0.5 * (lr - lr.min())) * np.sqrt(grid.v)
    mean = (weight * grid.v).sum() / weight.sum()
    span = _span_of(spans, d.size)
    scale, s, q = est["scale"], est["s"], est["q"]
    s_u2 = float(s * q * scale)
    fit = NoiseModelFit(
        persistent_var=s_u2 / span,
        persistent_var_lower=float(min(lower * scale, s_u2)) / span,
        persistent_var_upper=float(max(upper * scale, s_u2)) / span,
        persistent_var_mean=float(mean * scale) / span,
        noise_var=float(s * (1.0 - q) * scale),
        noise_phi=float(est["phi"]),
        noise_psi=float(est["psi"]),
        dispersion=c,
        span=span,
    )
    return replace(fit, fit_pvalue=fit_test(d, fit))


def likelihood_ratio(d: np.ndarray, s_u2, grid: Grid = GRID) -> np.ndarray:
    """Profile likelihood ratio of values ``s_u2`` of s_u^2 (units of d squared), as the fit reads it.

    Zero is the boundary, the likelihood ratio at q = 0. In the model the fit keeps (white
    noise, or the full one). The interval of fit_noise_model is where this, divided by the
    fit's ``dispersion``, is at most 3.84, read off the grid's v with its end points
    interpolated. Of the returns the fit takes (the most recent ``fit_lengths(n)``).
    """
    d, _ = _most_recent(_check(d))
    est = _estimate(d, grid, dispersion(d))
    s_u2 = np.atleast_1d(np.asarray(s_u2, dtype=float))
    v = s_u2 / est["scale"]
    lr, lr_zero = _likelihood_ratio(est, grid, np.where(v > 0, v, 1.0))
    return np.where(v > 0, lr, lr_zero)


def spectral_autocorrelations(d: np.ndarray, h: np.ndarray, lags: int, end_effect: bool = True) -> np.ndarray:
    """Autocorrelations at lags 1..``lags`` of the returns ``d`` (n,) whitened by the spectrum
    shape ``h`` (m,) (the fit's q + (1 - q) k_n at each frequency), from the periodogram.

    u_j = |D_j - delta|^2 / (n h_j), D_j the Fourier sums of the demeaned returns, delta the
    end effect (the weighted least squares value common to the real parts, weights 1 / h_j);
    the autocorrelation at lag l is sum_j u_j cos(lambda_j l) / sum_j u_j, as the circular
    sample autocorrelation is the cosine transform of the periodogram. For h = 1 and delta = 0
    (``end_effect`` False) it is the circular autocorrelation of the demeaned returns (n odd).
    """
    n = d.size
    m = (n - 1) // 2
    lam = 2.0 * np.pi * np.arange(1, m + 1) / n
    big_d = np.exp(-1j * np.outer(lam, np.arange(n))) @ (d - d.mean())
    delta = (big_d.real / h).sum() / (1.0 / h).sum() if end_effect else 0.0
    u = np.abs(big_d - delta) ** 2 / (n * h)
    return np.array([(u * np.cos(lam * lag)).sum() / u.sum() for lag in range(1, lags + 1)])


def fit_test(d: np.ndarray, fit: NoiseModelFit, spans=None) -> float:
    """p-value of the portmanteau test of the model's fit, for one fund's returns ``d`` (n,).

    Under the model the returns whitened by the fitted spectrum are uncorrelated: their
    periodogram is flat. The test reads the autocorrelations r_l of the whitened returns at
    lags 1..H (H = ``FIT_TEST_LAGS``) off the periodogram over the fitted spectrum
    (``spectral_autocorrelations``, the shape q + (1 - q) k_n with the fit's q per return),
    and Q = n sum_l r_l^2 / c (Box and Pierce; c the dispersion, which inflates Q as it does a
    likelihood ratio) is about chi2 with H - p degrees of freedom (at least 1), p the
    parameters of the returns' dynamics that were fitted: the persistent share, and phi and
    psi unless the noise was taken as white (``spectrum.fit_test_df``). With spans, the
    returns less k_t times their drift per period, as fitted; of the returns the fit takes (the
    most recent ``fit_lengths(n)``). NaN for a fund that tracks exactly.
    """
    d = np.asarray(d, dtype=float)
    d, spans = _most_recent(d, check_spans(spans, d.shape))
    if spans is not None:
        d = d - spans * (d.sum() / spans.sum())
    per_return = float(fit.persistent_var) * float(fit.span)
    total = per_return + float(fit.noise_var)
    if total == 0.0:
        return float("nan")
    q = per_return / total
    h = q + (1.0 - q) * kernel(d.size, float(fit.noise_phi), float(fit.noise_psi))
    r = spectral_autocorrelations(d, h, FIT_TEST_LAGS)
    return float(chi2_sf(d.size * (r @ r) / float(fit.dispersion), fit_test_df(fit)))
