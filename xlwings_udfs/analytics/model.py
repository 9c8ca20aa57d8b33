"""The tracking model and its estimation: drift, persistent deviations and timing noise.

Model
-----
With :math:`d_t` the log return difference (fund minus index) and :math:`L_t=\\sum_{s\\le t} d_s`,

.. math::

    L_t = \\mu t + w_t + e_t,\\qquad w_t = w_{t-1} + u_t,\\; u_t \\sim (0, s_u^2),\\qquad
    e_t = \\phi e_{t-1} + \\eta_t,\\; \\eta_t \\sim (0, \\sigma_\\eta^2)

so :math:`d_t = \\mu + u_t + (1-B) e_t`. The drift :math:`\\mu` is the holding cost per period,
the random walk :math:`w` the persistent mis-tracking, and :math:`e` the stationary timing
noise (stale and fair-value prices, different cut-off times). AR(1) noise lets a stale price
take several days to catch up; :math:`\\phi = 0` is white noise. :math:`\\phi` is bounded by
0.8 (a half-life of about three periods): noise that reverts more slowly than that cannot be
told apart from persistent deviations in a few years of data, and is counted as persistent.

Estimation
----------
1. *Spectrum: Whittle likelihood with the end effect profiled out.* The spectrum of
   :math:`d` is

   .. math::

       g(\\lambda) = s_u^2 + \\sigma_\\eta^2 k(\\lambda;\\phi),\\qquad
       k(\\lambda;\\phi) = \\frac{2(1-\\cos\\lambda)}{1 - 2\\phi\\cos\\lambda + \\phi^2}.

   With :math:`D_j=\\sum_{t=0}^{n-1} d_t e^{-i\\lambda_j t}` at the Fourier frequencies
   :math:`\\lambda_j = 2\\pi j/n`, differencing gives
   :math:`D_j = U_j + (1-e^{-i\\lambda_j})E_j e^{i\\lambda_j} + \\delta`: the same real
   number :math:`\\delta=e_n-e_0` (the end effect) enters every ordinate. Left in the
   periodogram it is a flat floor of about :math:`2\\sigma_e^2/n`, shared by all frequencies,
   that looks like persistent deviations exactly where the noise dominates (scenario "no
   persistent deviation" would show a spurious tracking error, with an overconfident
   interval). So :math:`\\delta` is a nuisance parameter and is profiled out; the rest is
   the usual Whittle likelihood, the ordinates independent complex normals with variance
   :math:`n\\,\\bar g_n(\\lambda_j)`, where :math:`\\bar g_n` uses the Fejer-smoothed noise
   spectrum (cf. Sykulski, Olhede, Guillaumin, Lilly and Early, 2019, "The debiased
   Whittle likelihood", Biometrika 106(2)). With :math:`g=\\sigma^2[q + (1-q)\\bar k_n]`,
   :math:`q = s_u^2/(s_u^2+\\sigma_\\eta^2)`, the scale and :math:`\\delta` concentrate out in
   closed form, and the objective in :math:`(q, \\phi)` is evaluated on one fixed grid for
   every fund at once (matrix products of the binned ordinates with :math:`1/h`); a
   quadratic fit around the grid minimum refines it. The zero frequency, which carries the
   drift, is left out.
2. *Interval for* :math:`s_u^2`: the 95% likelihood-ratio (profile) interval, from the same
   grid: for :math:`s_u^2=v` the objective is :math:`\\log v-\\log q+\\overline{\\log h}+Sq/v`
   (S the concentrated scale), minimized over q with :math:`\\phi` on its profile ridge.
   Unlike a Wald interval it is skewed like the estimate and reaches zero when the data
   allow it; zero, a boundary value, is tested against the 50:50 chi2(0)/chi2(1) mixture.
3. *Drift: GLS.* The model implies the ARMA(1,1) form
   :math:`(1-\\phi B)(d_t-\\mu) = (1+\\theta B)a_t` (spectral factorization of
   :math:`g(\\lambda)|1-\\phi e^{i\\lambda}|^2`). Filtering by :math:`(1+\\theta B)^{-1}`
   (a first-order recursion) turns it into a regression of the whitened data on the whitened
   constant and on :math:`(-\\theta)^t`, the effect of the unknown initial state. The
   coefficient on the constant is the GLS drift, :math:`\\sigma_a^2[(Z'Z)^{-1}]_{11}` its
   variance. Leaving the initial state free matters: when the noise dominates, the GLS
   drift approaches the slope of a trend line through the levels, whose error shrinks like
   :math:`n^{-3/2}`, against :math:`n^{-1}` for the point-to-point figure.

Every function here takes complete (no NaN) columns of equal length, one column per fund.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

__all__ = ["NoiseModelFit", "fit_noise_model", "gls_drift", "MIN_RETURNS"]

#: Fewest return observations for which the model is estimated.
MIN_RETURNS = 30

# Profile grid: q, the persistent share of the innovation variance, uniform in logit(q) so
# that it is as fine next to "no noise" (q -> 1, domestic funds) as next to "no persistent
# deviation" (q -> 0); phi from negative (bid-ask-like bounce) to a three-period half-life.
_Q_GRID = np.concatenate([[0.0], 1.0 / (1.0 + np.exp(-np.linspace(-14.0, 10.0, 150))), [1.0]])
_PHI_GRID = np.linspace(-0.5, 0.8, 27)
# Values of s_u^2, relative to the mean periodogram, at which the profile is evaluated.
_V_GRID = np.logspace(-7.0, 0.5, 151)
_CHI2_95 = 3.841458820694124
# s_u^2 = 0 lies on the boundary: its likelihood ratio is a 50:50 mixture of chi2(0) and
# chi2(1) (Self and Liang, 1987), whose 95% point is the 90% point of chi2(1).
_CHI2_95_BOUNDARY = 2.705543454095404
# Periodogram binning: the lowest frequencies, where the persistent part shows, one by one;
# higher ones, where the spectrum is smooth, in geometrically widening bins.
_SINGLE_FREQUENCIES = 64
_GEOMETRIC_BINS = 160


@dataclass(frozen=True)
class NoiseModelFit:
    """Estimated spectrum parameters, one value per fund (arrays of shape (k,)).

    Attributes
    ----------
    persistent_var : s_u^2, variance per period of the persistent (random-walk) deviations.
    persistent_var_lower, persistent_var_upper : its 95% profile-likelihood interval.
    noise_var : sigma_eta^2, innovation variance of the timing noise.
    noise_phi : phi, AR(1) coefficient of the timing noise in levels.
    """

    persistent_var: np.ndarray
    persistent_var_lower: np.ndarray
    persistent_var_upper: np.ndarray
    noise_var: np.ndarray
    noise_phi: np.ndarray


def _expected_kernel(n: int, phi: np.ndarray) -> np.ndarray:
    """Expected periodogram of the noise, end effect aside: k_n(lambda_j; phi), j = 1..(n-1)//2.

    |1 - e^{-i lambda}|^2 times the Fejer-smoothed spectrum of AR(1) e (unit innovations);
    ``phi`` is a vector and the result has shape (m, phi.size).
    """
    m = (n - 1) // 2
    lags = np.arange(n)[:, None]
    phi = np.asarray(phi, dtype=float)[None, :]
    c = (1.0 - lags / n) * phi**lags / (1.0 - phi * phi)  # tapered autocovariance of e
    fejer_e = 2.0 * np.fft.rfft(c, axis=0).real - c[0:1]
    lam = 2.0 * np.pi * np.arange(1, m + 1) / n
    return 2.0 * (1.0 - np.cos(lam))[:, None] * fejer_e[1 : m + 1]


def _bin_edges(m: int) -> np.ndarray:
    """Start offsets (0-based, into frequencies 1..m) of the periodogram bins, plus m."""
    if m <= _SINGLE_FREQUENCIES + _GEOMETRIC_BINS:
        return np.arange(m + 1)
    low = np.arange(_SINGLE_FREQUENCIES)
    high = np.round(np.geomspace(_SINGLE_FREQUENCIES, m, _GEOMETRIC_BINS + 1)).astype(int)
    return np.unique(np.concatenate([low, high]))


def _bin_mean(x: np.ndarray, edges: np.ndarray) -> np.ndarray:
    return np.add.reduceat(x, edges[:-1], axis=0) / np.diff(edges)[:, None]


# Fine phi grid on which the binned kernel is tabulated for the refined estimates.
_PHI_FINE = np.linspace(_PHI_GRID[0], _PHI_GRID[-1], 521)


@lru_cache(maxsize=64)
def _fine_kernel(n: int) -> np.ndarray:
    """Binned k_n on the fine phi grid, shape (B, len(_PHI_FINE)); linear in phi between."""
    return _bin_mean(_expected_kernel(n, _PHI_FINE), _bin_edges((n - 1) // 2))


def _kernel_at(n: int, phi: np.ndarray) -> np.ndarray:
    """Binned k_n at one phi per fund, shape (B, k), interpolated on the fine grid."""
    table = _fine_kernel(n)
    pos = np.clip((phi - _PHI_FINE[0]) / (_PHI_FINE[1] - _PHI_FINE[0]), 0, _PHI_FINE.size - 1)
    i = np.minimum(pos.astype(int), _PHI_FINE.size - 2)
    w = pos - i
    return table[:, i] * (1.0 - w) + table[:, i + 1] * w


@lru_cache(maxsize=64)
def _grid_for_length(n: int):
    """Everything about the profile grid that depends only on the sample length."""
    edges = _bin_edges((n - 1) // 2)
    weights = np.diff(edges).astype(float)
    kbar = _bin_mean(_expected_kernel(n, _PHI_GRID), edges)  # (B, P)
    q = _Q_GRID[None, :, None]
    h = q + (1.0 - q) * kbar[:, None, :]  # (B, nq, nphi)
    total = weights.sum()
    inv_h = (weights[:, None, None] / h).reshape(h.shape[0], -1) / total
    logdet = (weights[:, None, None] * np.log(h)).sum(axis=0) / total  # (nq, nphi)
    return edges, weights, total, inv_h, logdet


def _ordinates(d: np.ndarray):
    """Binned periodogram |D_j|^2 / n and real parts Re(D_j) / n, scaled to a unit mean.

    With D_j = sum_{t=0}^{n-1} d_t e^{-i lambda_j t}, differencing puts the same real number
    e_n - e_0 (the end effect) into every D_j; the real parts are what estimates it.
    """
    n = d.shape[0]
    spec = np.fft.rfft(d - d.mean(axis=0), axis=0)[1 : (n - 1) // 2 + 1]
    pgram = (spec.real**2 + spec.imag**2) / n
    scale = pgram.mean(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    edges = _bin_edges((n - 1) // 2)
    return _bin_mean(pgram / scale, edges), _bin_mean(spec.real / (n * np.sqrt(scale)), edges), scale


def _refine(obj: np.ndarray):
    """Sub-grid minimum of a (k, nq, nphi) objective by a quadratic fit on the 3x3 stencil.

    Returns fractional grid indices (iq, iphi) and the grid argmin (iq0, iphi0).
    """
    kf, nq, npp = obj.shape
    iq0, ip0 = np.divmod(obj.reshape(kf, -1).argmin(axis=1), npp)
    cq = np.clip(iq0, 1, nq - 2)
    cp = np.clip(ip0, 1, npp - 2)
    off = np.array([-1, 0, 1])
    nb = obj[np.arange(kf)[:, None, None], (cq[:, None] + off)[:, :, None], (cp[:, None] + off)[:, None, :]]
    gq = (nb[:, 2, 1] - nb[:, 0, 1]) / 2.0
    gp = (nb[:, 1, 2] - nb[:, 1, 0]) / 2.0
    hqq = nb[:, 2, 1] - 2.0 * nb[:, 1, 1] + nb[:, 0, 1]
    hpp = nb[:, 1, 2] - 2.0 * nb[:, 1, 1] + nb[:, 1, 0]
    hqp = (nb[:, 2, 2] - nb[:, 2, 0] - nb[:, 0, 2] + nb[:, 0, 0]) / 4.0
    det = hqq * hpp - hqp * hqp
    convex = (hqq > 0) & (hpp > 0) & (det > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        # Newton step of the 2-D quadratic; where it is not convex, 1-D parabolas per axis.
        sq = np.where(convex, -(hpp * gq - hqp * gp) / det, np.where(hqq > 0, -gq / hqq, 0.0))
        sp = np.where(convex, -(hqq * gp - hqp * gq) / det, np.where(hpp > 0, -gp / hpp, 0.0))
    iq = np.clip(cq + np.clip(sq, -1.0, 1.0), 0, nq - 1)
    ip = np.clip(cp + np.clip(sp, -1.0, 1.0), 0, npp - 1)
    return iq, ip, iq0, ip0


def _concentrated(ibar, cbar, weights, total, n, q, phi):
    """Objective and scale at one (q, phi) per fund (end effect profiled out)."""
    h = q + (1.0 - q) * _kernel_at(n, phi)
    wh = weights[:, None] / h / total
    a1, a2, a3 = (wh * ibar).sum(0), (wh * cbar).sum(0), wh.sum(0) / n
    sigma2 = np.maximum(a1 - a2 * a2 / a3, 1e-300)
    return np.log(sigma2) + (weights[:, None] * np.log(h)).sum(axis=0) / total, sigma2


def fit_noise_model(d: np.ndarray) -> NoiseModelFit:
    """Debiased Whittle estimate of (s_u^2, sigma_eta^2, phi) for each column of ``d``.

    ``d`` is (n, k) with complete columns and ``n >= MIN_RETURNS``.
    """
    d = np.asarray(d, dtype=float)
    if d.ndim == 1:
        d = d[:, None]
    n, kf = d.shape
    edges, weights, total, inv_h, logdet = _grid_for_length(n)
    nq, npp = logdet.shape
    ibar, cbar, scale = _ordinates(d)
    # The end-effect term, common to all ordinates, is profiled out: for shape h the scale
    # is S = A1 - A2^2 / A3 with A1 = mean(w I / h), A2 = mean(w C / h), A3 = mean(w / (n h)).
    a3 = inv_h.sum(axis=0) / n
    obj = np.empty((kf, nq * npp))
    chunk = max(1, 2_000_000 // (nq * npp))  # bounds memory on large panels
    for s in range(0, kf, chunk):
        both = np.concatenate([ibar[:, s : s + chunk], cbar[:, s : s + chunk]], axis=1)
        # A few funds: einsum's own loop. A threaded BLAS call costs milliseconds of thread
        # wake-up for a matrix-vector product on a busy machine; for a panel it pays off.
        prod = np.einsum("bk,bg->kg", both, inv_h) if both.shape[1] <= 8 else both.T @ inv_h
        w = both.shape[1] // 2
        sig = prod[:w] - prod[w:] ** 2 / a3
        obj[s : s + chunk] = np.log(np.maximum(sig, 1e-300)) + logdet.reshape(-1)
    obj = obj.reshape(kf, nq, npp)
    iq, ip, iq0, ip0 = _refine(obj)
    q = np.interp(iq, np.arange(nq), _Q_GRID)
    phi = np.interp(ip, np.arange(npp), _PHI_GRID)
    val, sigma2 = _concentrated(ibar, cbar, weights, total, n, q, phi)
    grid_best = obj[np.arange(kf), iq0, ip0]
    worse = val > grid_best  # the quadratic step overshot: keep the grid point
    if worse.any():
        q = np.where(worse, _Q_GRID[iq0], q)
        phi = np.where(worse, _PHI_GRID[ip0], phi)
        val, sigma2 = _concentrated(ibar, cbar, weights, total, n, q, phi)
    lower, upper = _profile_interval(obj, logdet, np.minimum(val, grid_best), total)
    s_u2 = sigma2 * q * scale
    return NoiseModelFit(
        persistent_var=s_u2,
        persistent_var_lower=np.minimum(lower * scale, s_u2),
        persistent_var_upper=np.maximum(upper * scale, s_u2),
        noise_var=sigma2 * (1.0 - q) * scale,
        noise_phi=phi,
    )


def _parabolic_min(values: np.ndarray, axis: int):
    """Minimum along ``axis`` refined by a parabola through the grid minimum and its neighbours.

    Returns the refined minimum and the fractional index of the argmin. A minimum on the edge
    of the grid is left as it is.
    """
    values = np.moveaxis(values, axis, -1)
    size = values.shape[-1]
    i = values.argmin(axis=-1)
    c = np.clip(i, 1, size - 2)
    take = lambda j: np.take_along_axis(values, j[..., None], axis=-1)[..., 0]  # noqa: E731
    lo, mid, hi = take(c - 1), take(c), take(c + 1)
    curv = lo - 2.0 * mid + hi
    edge = (i == 0) | (i == size - 1) | ~(curv > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        step = np.where(edge, 0.0, np.clip(0.5 * (lo - hi) / curv, -0.5, 0.5))
    best = np.where(edge, take(i), mid - 0.25 * (lo - hi) * step)
    return best, np.where(edge, i, c + step)


def _profile_interval(obj, logdet, best, total):
    """95% likelihood-ratio interval for s_u^2 (in the units of the scaled periodogram).

    The profile is a minimum over grid points; taken literally, the grid spacing inflates the
    likelihood ratio by about one unit, enough to make a 95% interval cover 85%. Parabolic
    interpolation of the minimum, over phi and then over log q, removes that error.
    """
    kf, nq, npp = obj.shape
    obj_q, ip = _parabolic_min(obj, axis=2)  # phi on its profile ridge, for each q: (k, nq)
    ld_q = np.stack([np.interp(ip[:, j], np.arange(npp), logdet[j]) for j in range(nq)], axis=1)
    s_q = np.exp(obj_q - ld_q)[:, 1:]  # concentrated scale S(q) for q > 0
    base = ld_q[:, 1:] - np.log(_Q_GRID[1:])[None, :]
    qs = _Q_GRID[1:]
    logv = np.log(_V_GRID)
    prof = np.empty((kf, _V_GRID.size))
    chunk = max(1, 4_000_000 // (_V_GRID.size * qs.size))
    for s in range(0, kf, chunk):
        sl = slice(s, s + chunk)
        terms = base[sl, None, :] + s_q[sl, None, :] * (qs[None, None, :] / _V_GRID[None, :, None])
        prof[sl] = logv[None, :] + _parabolic_min(terms, axis=2)[0]
    # At its optimum over the scale, the unconcentrated objective is the concentrated one + 1.
    best = np.minimum(best, prof.min(axis=1) - 1.0)
    lr = 2.0 * total * (prof - 1.0 - best[:, None])
    lr_at_zero = 2.0 * total * (obj_q[:, 0] - best)
    inside = lr <= _CHI2_95
    any_in = inside.any(axis=1)
    first = np.where(any_in, inside.argmax(axis=1), 0)
    last = np.where(any_in, _V_GRID.size - 1 - inside[:, ::-1].argmax(axis=1), _V_GRID.size - 1)
    rows = np.arange(kf)

    def crossing(i_out, i_in):
        a, b = lr[rows, i_out], lr[rows, i_in]
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(a != b, np.clip((a - _CHI2_95) / (a - b), 0.0, 1.0), 1.0)
        return np.exp(logv[i_out] + t * (logv[i_in] - logv[i_out]))

    has_lower = any_in & (first > 0) & (lr_at_zero > _CHI2_95_BOUNDARY)
    lower = np.where(has_lower, crossing(np.maximum(first - 1, 0), first), 0.0)
    has_upper = any_in & (last < _V_GRID.size - 1)
    upper = np.where(has_upper, crossing(np.minimum(last + 1, _V_GRID.size - 1), last), _V_GRID[-1])
    return lower, upper


def _ma_root(fit: NoiseModelFit):
    """theta and sigma_a^2 of (1 - phi B)(d - mu) = (1 + theta B) a."""
    s_u2, s_e2, phi = fit.persistent_var, fit.noise_var, fit.noise_phi
    c0 = s_u2 * (1.0 + phi * phi) + 2.0 * s_e2
    c1 = -phi * s_u2 - s_e2
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = np.where(c0 > 0, c1 / c0, 0.0)
        root = np.sqrt(np.maximum(1.0 - 4.0 * rho * rho, 0.0))
        theta = np.where(np.abs(rho) > 1e-12, (1.0 - root) / (2.0 * rho), 0.0)
    theta = np.clip(theta, -1.0, 1.0)
    return theta, c0 / (1.0 + theta * theta)


def _recursive_filter(y: np.ndarray, coef: np.ndarray) -> np.ndarray:
    """x_t = y_t + coef * x_{t-1}, x_{-1} = 0, for each column (coef one per column).

    A blocked scan: blocks of about sqrt(n) rows are filtered side by side from rest, then
    each block gets the carry of the block before it, times the powers of ``coef``. That is
    two short Python loops of vector operations instead of one over every row.
    """
    n, k = y.shape
    b = max(1, int(np.ceil(np.sqrt(n))))
    nb = -(-n // b)
    pad = np.zeros((nb * b, k))
    pad[:n] = y
    blocks = pad.reshape(nb, b, k)
    local = np.empty_like(blocks)
    local[:, 0] = blocks[:, 0]
    for j in range(1, b):
        local[:, j] = blocks[:, j] + coef * local[:, j - 1]
    powers = np.cumprod(np.broadcast_to(coef, (b, k)), axis=0)  # coef^1 .. coef^b
    carry = np.zeros(k)
    for i in range(nb):
        local[i] += powers * carry
        carry = local[i, -1]
    return local.reshape(nb * b, k)[:n]


def gls_drift(d: np.ndarray, fit: NoiseModelFit) -> tuple[np.ndarray, np.ndarray]:
    """GLS drift mu per period and its standard error, for each column of ``d`` (n, k)."""
    d = np.asarray(d, dtype=float)
    if d.ndim == 1:
        d = d[:, None]
    theta, sigma_a2 = _ma_root(fit)
    phi = fit.noise_phi
    y = d[1:] - phi * d[:-1]  # the AR part, conditional on the first observation
    m, k = y.shape
    # (1 + theta B)^{-1} applied to the data, to the constant and to the initial state.
    stacked = _recursive_filter(np.concatenate([y, np.ones((m, k))], axis=1), np.concatenate([-theta, -theta]))
    whitened, z1 = stacked[:, :k], (1.0 - phi) * stacked[:, k:]
    z2 = np.vstack([np.ones((1, k)), np.cumprod(np.broadcast_to(-theta, (m - 1, k)), axis=0)])
    s11, s12, s22 = (z1 * z1).sum(0), (z1 * z2).sum(0), (z2 * z2).sum(0)
    r1, r2 = (z1 * whitened).sum(0), (z2 * whitened).sum(0)
    det = s11 * s22 - s12 * s12
    mu = (s22 * r1 - s12 * r2) / det
    return mu, np.sqrt(np.maximum(sigma_a2 * s22 / det, 0.0))
