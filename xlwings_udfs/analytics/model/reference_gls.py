"""The GLS drift written plainly: one fund, double precision, the model's banded covariance
and a dense solve.

The definition the fast path (``fast_gls``: a whitening recursion, impulse responses and
FFTs) is held to. The dense solve is cubic in the length (about half a second at ten years
of daily data): this is for reading and for checking, not for use. The fit it takes is
``reference.fit_noise_model``'s (or the fast path's: the same figures).
"""
from __future__ import annotations

import numpy as np

from .definition import NoiseModelFit, check_spans
from .spectrum import ma_autocovariances

__all__ = ["gls_weights", "gls_drift"]


def _regression(n: int, fit: NoiseModelFit):
    """The drift's regression: y's covariance C (m x m, m = n - 1) and regressors X (m x 3).

    y_t = d_{t+1} - phi d_t (t = 0..n-2) is (1 - phi) mu plus an MA(2) error with the banded
    covariance C (c0 on the diagonal, c1 and c2 beside it: spectrum.ma_autocovariances). The
    persistent variance in C is the fit's per period times its mean span: the variance per
    return. The two pre-sample innovations, which enter y_0 and y_1 only, are left free:
    regressors X = [1 - phi, indicator of t = 0, indicator of t = 1].
    """
    phi = float(fit.noise_phi)
    per_return = float(fit.persistent_var) * float(fit.span)
    c0, c1, c2 = ma_autocovariances(per_return, float(fit.noise_var), phi, float(fit.noise_psi))
    m = n - 1
    lag = np.abs(np.subtract.outer(np.arange(m), np.arange(m)))
    cov = np.array([c0, c1, c2, 0.0])[np.minimum(lag, 3)]  # C_st = c_|s-t|
    if c0 == 0.0:  # no variance at all (a fund that tracks exactly): every weighting is exact
        cov = np.eye(m)
    x = np.zeros((m, 3))
    x[:, 0], x[0, 1], x[1, 2] = 1.0 - phi, 1.0, 1.0
    return cov, x, c0


def gls_weights(n: int, fit: NoiseModelFit):
    """Weights a (n,) of the GLS drift on the returns d, and its variance given the spectrum.

    GLS in the regression of ``_regression``: beta = (X'C^-1 X)^-1 X'C^-1 y, mu = beta_0,
    var = [(X'C^-1 X)^-1]_00. ``fit``: one fund's (floats); the drift per return.

    (The indicators take y_0 and y_1 out of the estimate: the same drift is the GLS of y_2..
    on the constant alone, with their own covariance, and the first two returns get no
    weight.)
    """
    phi = float(fit.noise_phi)
    cov, x, c0 = _regression(n, fit)
    cinv_x = np.linalg.solve(cov, x)
    inv = np.linalg.inv(x.T @ cinv_x)
    on_y = cinv_x @ inv[:, 0]  # mu = on_y' y
    a = np.zeros(n)
    a[1:] += on_y
    a[:-1] -= phi * on_y
    return a, (inv[0, 0] if c0 > 0.0 else 0.0)


def gls_drift(d: np.ndarray, fit: NoiseModelFit, spans=None):
    """GLS drift mu per period and its standard error, for one fund's returns ``d`` (n,).

    The variance given the spectrum takes s_u^2 as known; it is linear in s_u^2 (the
    persistent part of d is white), so averaged over the uncertainty of s_u^2 it adds
    (E[s_u^2] - s_u^2) |a|^2, E the mean under the profile likelihood
    (``persistent_var_mean``), a the weights on d; never less than the variance itself.

    ``spans`` (as in fit_noise_model): a return across k_t periods has mean k_t mu and k_t
    periods of persistent deviations. The weights a of the GLS above (the returns' covariance
    taken as stationary, with the persistent variance per return) then give the drift per
    period a'd / a'k, unbiased whatever the weights; its variance is a'Sa / (a'k)^2 with S
    the returns' covariance with the persistent variance k_t s_u^2 of each return: the
    variance above less its persistent part s_u^2 kbar |a|^2, plus s_u^2 sum a_t^2 k_t (and
    the same for the uncertainty of s_u^2). (The GLS with k as regressor would weigh long
    returns more where the persistent deviations dominate, against the efficient
    point-to-point weighting, and understate its variance.)
    """
    d = np.asarray(d, dtype=float)
    spans = check_spans(spans, d.shape)
    a, var = gls_weights(d.size, fit)
    s_u2, mean = float(fit.persistent_var), max(float(fit.persistent_var_mean), float(fit.persistent_var))
    if spans is None:
        extra = (mean - s_u2) * (a @ a)
        return float(a @ d), float(np.sqrt(max(var + extra, 0.0)))
    on_k = a @ spans
    var = var - s_u2 * float(fit.span) * (a @ a) + mean * ((a * a) @ spans)
    return float(a @ d / on_k), float(np.sqrt(max(var, 0.0)) / abs(on_k))
