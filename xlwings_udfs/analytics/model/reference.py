"""The estimator written plainly: one fund, double precision, each step an equation of the
package docstring.

This is the definition the fast path is held to. It computes the same estimator, with the
same grid, the same parabolic refinement and the same rules for the profile interval, which
are part of the definition. It takes none of the fast path's shortcuts for speed: the noise
kernel comes from the lag sum that defines it, not from the closed form; the objective is
evaluated in double precision at every point of the grid, not in single precision, not only
near the minimum, not from tables kept between calls; the profile is traced over every q; and
the drift is a dense GLS solve with the banded covariance of the model, not a whitening
recursion with impulse responses and FFTs. Nothing is cached, and funds are fitted one at a
time. The dense solve is cubic in the length (about half a second at ten years of daily
data): this is for reading and for checking, not for use.

The grid is an argument (``definition.GRID`` by default), and the noise model enters through
``spectrum.noise_autocovariance`` (the kernel) and ``spectrum.ma_autocovariances`` (the
drift): a change of the model or of the estimator is made here first, and the fast path is
then held to it.
"""
from __future__ import annotations

import numpy as np

from .definition import CHI2_95, CHI2_95_BOUNDARY, GRID, MIN_RETURNS, Grid, NoiseModelFit
from .spectrum import bin_edges, bin_widths, binned_ordinates, ma_autocovariances, noise_autocovariance

__all__ = ["binned_kernel", "objective", "profile", "fit_noise_model", "likelihood_ratio", "gls_weights", "gls_drift"]


def binned_kernel(n: int, phi, psi) -> np.ndarray:
    """Bin means of k_n(lambda_j) = |1 - e^{-i lambda_j}|^2 sum_{|h|<n} (1 - |h|/n) gamma(h) e^{i lambda_j h}.

    The expected periodogram of n differenced ARMA(1,1) values with unit innovations, end
    effect aside, by the lag sum (gamma: spectrum.noise_autocovariance). ``phi`` and ``psi``
    broadcast together (shape s); returns s + (bins,).
    """
    m = (n - 1) // 2
    lam = 2.0 * np.pi * np.arange(1, m + 1) / n
    gamma = noise_autocovariance(phi, psi, n)  # s + (n,), lags 0..n-1
    lags = np.arange(1, n)
    fejer = gamma[..., :1] + 2.0 * (gamma[..., 1:] * (1.0 - lags / n)) @ np.cos(np.outer(lags, lam))
    k = 4.0 * np.sin(lam / 2.0) ** 2 * fejer
    return np.add.reduceat(k, bin_edges(m)[:-1], axis=-1) / bin_widths(m)


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


def profile(table: np.ndarray, logdet: np.ndarray, q: np.ndarray, v: np.ndarray):
    """Profile objective P(v) of s_u^2 = v (relative to the mean periodogram), and the ridge at q = 0.

    ``table`` and ``logdet``: the concentrated objective l and the term LD at every point of
    the grid, (q, phi, psi), at the grid values ``q``. The ridge: for each q, l minimized over
    psi (at each phi) and then over phi by parabolas, LD read at the same places,
    S(q) = exp(l - LD). For s_u^2 = v, P(v) = log v + min over q > 0 of
    [-log q + LD(q) + S(q) q / v], the minimum refined by a parabola in the q index. Its
    minimum over v is min l + 1 (the objective before sigma^2 is concentrated out).
    """
    ridge, at_psi = _parabolic_min(table)  # (q, phi)
    ridge_logdet = _interpolate(logdet, at_psi)
    ridge, at_phi = _parabolic_min(ridge)  # (q,)
    ridge_logdet = _interpolate(ridge_logdet, at_phi)
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


def _estimate(d: np.ndarray, grid: Grid):
    """The point estimate, and what the profile needs: a dict.

    The objective at every point of the grid; its minimum refined, along each axis, by the
    vertex of the parabola through the grid minimum and its two neighbours on that axis (an
    inner minimum, curving upward; at most half a step away), the point read off the grid
    values by linear interpolation in the index, and kept unless its objective is higher.
    """
    n = d.size
    ibar, cbar, scale = _ordinates(d)
    kernel = binned_kernel(n, grid.phi[:, None], grid.psi[None, :])  # (phi, psi, bins)
    q = grid.q[:, None, None, None]
    table, s_table, logdet = _objective(ibar, cbar, n, q + (1.0 - q) * kernel)  # (q, phi, psi)
    at = np.unravel_index(table.argmin(), table.shape)
    grid_best = table[at]
    point = []
    for axis, values in enumerate((grid.q, grid.phi, grid.psi)):
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
        (q, phi, psi), value, s = (grid.q[at[0]], grid.phi[at[1]], grid.psi[at[2]]), grid_best, s_table[at]
    return dict(scale=scale, n_freq=(n - 1) // 2, table=table, logdet=logdet, q=q, phi=phi, psi=psi, s=s,
                best=min(value, grid_best))


def _likelihood_ratio(est: dict, grid: Grid, v: np.ndarray):
    """LR at ``v`` and at s_u^2 = 0: 2 n_freq (P(v) - 1 - min l), min l the lower of the refined
    minimum and min P - 1 over the grid's v."""
    prof, ridge_zero = profile(est["table"], est["logdet"], grid.q, grid.v)
    best = min(est["best"], prof.min() - 1.0)
    if v is not grid.v:
        prof = profile(est["table"], est["logdet"], grid.q, v)[0]
    return 2.0 * est["n_freq"] * (prof - 1.0 - best), 2.0 * est["n_freq"] * (ridge_zero - best)


def fit_noise_model(d: np.ndarray, grid: Grid = GRID) -> NoiseModelFit:
    """Whittle estimate of (s_u^2, sigma_eta^2, phi, psi) of one fund's returns ``d`` (n,).

    Returns a NoiseModelFit of floats. A fund whose returns are all equal (it tracks exactly)
    has every figure zero.
    """
    d = _check(d)
    if np.all(d == d[0]):
        return NoiseModelFit(*[0.0] * 7)
    est = _estimate(d, grid)
    lr, lr_zero = _likelihood_ratio(est, grid, grid.v)
    lower, upper = _interval(lr, lr_zero, grid.v)
    # Mean of s_u^2 under exp(-LR/2) with a flat prior on s_u: ds_u ~ sqrt(v) dlog v.
    weight = np.exp(-0.5 * (lr - lr.min())) * np.sqrt(grid.v)
    mean = (weight * grid.v).sum() / weight.sum()
    scale, s, q = est["scale"], est["s"], est["q"]
    s_u2 = float(s * q * scale)
    return NoiseModelFit(
        persistent_var=s_u2,
        persistent_var_lower=float(min(lower * scale, s_u2)),
        persistent_var_upper=float(max(upper * scale, s_u2)),
        persistent_var_mean=float(mean * scale),
        noise_var=float(s * (1.0 - q) * scale),
        noise_phi=float(est["phi"]),
        noise_psi=float(est["psi"]),
    )


def likelihood_ratio(d: np.ndarray, s_u2, grid: Grid = GRID) -> np.ndarray:
    """Profile likelihood ratio of values ``s_u2`` of s_u^2 (units of d squared), as the fit reads it.

    Zero is the boundary, the likelihood ratio at q = 0. The interval of fit_noise_model is
    where this is at most 3.84, read off the grid's v with its end points interpolated.
    """
    d = _check(d)
    est = _estimate(d, grid)
    s_u2 = np.atleast_1d(np.asarray(s_u2, dtype=float))
    v = s_u2 / est["scale"]
    lr, lr_zero = _likelihood_ratio(est, grid, np.where(v > 0, v, 1.0))
    return np.where(v > 0, lr, lr_zero)


def gls_weights(n: int, fit: NoiseModelFit):
    """Weights a (n,) of the GLS drift on the returns d, and its variance given the spectrum.

    y_t = d_{t+1} - phi d_t (t = 0..n-2) is (1 - phi) mu plus an MA(2) error with the banded
    covariance C (c0 on the diagonal, c1 and c2 beside it: spectrum.ma_autocovariances). The
    two pre-sample innovations, which enter y_0 and y_1 only, are left free: regressors X =
    [(1 - phi) 1, indicator of t = 0, indicator of t = 1]. GLS: beta = (X'C^-1 X)^-1 X'C^-1 y,
    mu = beta_0, var = [(X'C^-1 X)^-1]_00. ``fit``: one fund's (floats).

    (The indicators take y_0 and y_1 out of the estimate: the same drift is the GLS of y_2..
    on the constant alone, with their own covariance, and the first two returns get no
    weight.)
    """
    phi = float(fit.noise_phi)
    c0, c1, c2 = ma_autocovariances(float(fit.persistent_var), float(fit.noise_var), phi, float(fit.noise_psi))
    m = n - 1
    lag = np.abs(np.subtract.outer(np.arange(m), np.arange(m)))
    cov = np.array([c0, c1, c2, 0.0])[np.minimum(lag, 3)]  # C_st = c_|s-t|
    if c0 == 0.0:  # no variance at all (a fund that tracks exactly): every weighting is exact
        cov = np.eye(m)
    x = np.zeros((m, 3))
    x[:, 0], x[0, 1], x[1, 2] = 1.0 - phi, 1.0, 1.0
    cinv_x = np.linalg.solve(cov, x)
    inv = np.linalg.inv(x.T @ cinv_x)
    on_y = cinv_x @ inv[:, 0]  # mu = on_y' y
    a = np.zeros(n)
    a[1:] += on_y
    a[:-1] -= phi * on_y
    return a, (inv[0, 0] if c0 > 0.0 else 0.0)


def gls_drift(d: np.ndarray, fit: NoiseModelFit):
    """GLS drift mu per period and its standard error, for one fund's returns ``d`` (n,).

    The variance given the spectrum takes s_u^2 as known; it is linear in s_u^2 (the
    persistent part of d is white), so averaged over the uncertainty of s_u^2 it adds
    (E[s_u^2] - s_u^2) |a|^2, E the mean under the profile likelihood
    (``persistent_var_mean``), a the weights on d; never less than the variance itself.
    """
    d = np.asarray(d, dtype=float)
    a, var = gls_weights(d.size, fit)
    extra = max(float(fit.persistent_var_mean) - float(fit.persistent_var), 0.0) * (a @ a)
    return float(a @ d), float(np.sqrt(max(var + extra, 0.0)))
