"""Fast path: the dispersion and the fit test of every fund of a panel at once.

Both are checks on a fitted model, computed for all the funds in a few array passes:

* the dispersion (``reference.dispersion``), which widens the intervals where the variance
  changes over time, from the block sums of the squared differences of all the funds at once,
  only the blocks a fund fills counted;
* the fit test (``reference.fit_test``), a portmanteau test of the whitened residuals, from
  the periodogram the fit computed before binning, with the kernel in closed form at every
  frequency, the funds of each length together. Its sums of the whitened ordinates u_j are
  combined from three sums (of I_j / h_j, C_j / h_j and 1 / h_j), u not formed, except for
  the funds where that combination cancels: those where the end effect carries half the
  periodogram or more (a first or last return far off), whose sums are taken of u itself.

Plain equivalents: ``reference.dispersion`` and ``reference.fit_test``, one fund at a time;
the tests hold them together.
"""
from __future__ import annotations

import numpy as np

from .definition import DISPERSION_BLOCK, DISPERSION_MIN_BLOCKS, FIT_TEST_LAGS, sums_within
from .fast_kernel import _cached_frequencies
from .spectrum import chi2_sf, kernel_coefficients

__all__ = ["dispersions", "fit_tests"]


def dispersions(d: np.ndarray, lengths) -> np.ndarray:
    """reference.dispersion of each column (``lengths`` as in fit_noise_model): the block sums
    of the squares of all the funds at once, and only the blocks a fund fills counted."""
    n, kf = d.shape
    block = DISPERSION_BLOCK
    lengths = np.full(kf, n) if lengths is None else np.asarray(lengths)
    blocks = lengths // block
    n_blocks = n // block
    mean = sums_within(d, None if lengths.min() == n else lengths) / lengths  # as d.mean(axis=0) for one fund
    # What lies below a column's returns (anything) only reaches the sums of blocks the column
    # does not fill, which are left out below: it is not masked first.
    with np.errstate(invalid="ignore", over="ignore"):
        x = d[: n_blocks * block] - mean
        x *= x
    sums = x.reshape(n_blocks, block, kf).sum(axis=1)  # (blocks, k)
    whole = np.arange(n_blocks)[:, None] < blocks[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        s2 = np.where(whole, sums, 0.0).sum(axis=0) / (blocks * block)
        means = np.where(whole, sums / block - s2, 0.0)
        c = 1.0 + np.einsum("ij,ij->j", means[:-1], means[1:]) / (blocks - 1) / (s2 * s2)
    return np.where((s2 > 0.0) & (blocks >= DISPERSION_MIN_BLOCKS), np.maximum(c, 1.0), 1.0)


def fit_tests(unbinned, members, ns, kf: int, q, phi, psi, c) -> np.ndarray:
    """reference.fit_test of every fund, from its periodogram and real parts before binning
    (``unbinned``: per length, (2, funds, m), a row per fund, scaled as the fit's;
    ``members``: the funds of each length) and its fit (q per return, phi, psi and the
    dispersion c), one length at a time (``_fit_tests_of_one_length``)."""
    p = np.empty(kf)
    for n, cols, (i_j, c_j) in zip(ns, members, unbinned):
        p[cols] = _fit_tests_of_one_length(int(n), i_j, c_j, q[cols], phi[cols], psi[cols], c[cols])
    return p


def _fit_tests_of_one_length(n: int, i_j, c_j, q, phi, psi, c) -> np.ndarray:
    """The fit tests of funds of one length n: a row per fund, the frequencies along it.

    The kernel k_n at every frequency in its closed form (spectrum.kernel_coefficients:
    w (a0 + a1 c) / D + w (a2 + a3 c + a4 c^2) / D^2, D = (1 - phi)^2 + phi w), the spectrum
    shape h = q + (1 - q) k_n, the end effect delta and u_j = (I_j - 2 delta C_j + delta^2 / n)
    / h_j (the scaled |D_j - delta|^2 / (n h_j)), and the sums of u_j cos(l lambda_j), from
    those of I_j / h_j, C_j / h_j and 1 / h_j: three matrix products with the table of ones and
    the lags' cosines; or of u_j itself where the end effect carries half the periodogram or
    more.
    """
    w, cos = _cached_frequencies(n, 0, (n - 1) // 2)  # cos = 1 - w / 2
    coef = kernel_coefficients(np.full((q.size, 1), float(n)), phi[:, None], psi[:, None])[:, :, 0]  # (k, 5)
    coef = np.moveaxis(coef[:, None, :], -1, 0)  # (5, k, 1): broadcasts along the frequencies
    # The shape times 1 - q, then + q. White noise (phi = psi = 0) has the kernel w itself:
    # its coefficients are 1 and zeros, and D is 1, so the closed form gives w exactly. It is
    # computed for the other funds only.
    at_q = q[:, None]
    h = np.multiply(w, 1.0 - at_q)
    noise = np.flatnonzero((phi != 0.0) | (psi != 0.0))  # rows
    if noise.size:
        h[noise] = _kernel(w, cos, coef[:, noise], phi[noise, None]) * (1.0 - at_q[noise])
    h += at_q
    inv_h = np.reciprocal(h, out=h)
    # The table of ones and cos(l lambda) for l = 1..H, by the Chebyshev recursion
    # T_{l+1} = 2 c T_l - T_{l-1}.
    lags = [cos]
    for _ in range(FIT_TEST_LAGS - 1):
        lags.append(2.0 * cos * lags[-1] - (lags[-2] if len(lags) > 1 else 1.0))
    cosines = np.stack([np.ones_like(cos), *lags], axis=1)
    # The sums of u_j = (i_j - 2 delta c_j + delta^2 / n) / h_j, and of u_j times each lag's
    # cosines, from those of i_j / h_j, c_j / h_j and 1 / h_j: u is not formed.
    s_i, s_c, s_h = (x @ cosines for x in (np.multiply(i_j, inv_h), np.multiply(c_j, inv_h), inv_h))
    with np.errstate(invalid="ignore", divide="ignore"):  # a fund that tracks exactly: NaN
        delta = s_c[:, 0] / (s_h[:, 0] / n)
        s_u = s_i - 2.0 * delta[:, None] * s_c + (delta * delta / n)[:, None] * s_h
        # Where the end effect carries half the periodogram or more (a first or last return
        # far off), the combination cancels: those funds' sums are taken of u itself.
        cancels = s_u[:, 0] < 0.5 * s_i[:, 0]
        if cancels.any():
            at_delta = delta[cancels, None]
            u = (i_j[cancels] - 2.0 * at_delta * c_j[cancels] + at_delta * at_delta / n) * inv_h[cancels]
            s_u[cancels] = u @ cosines
        r = s_u[:, 1:] / s_u[:, :1]  # the autocorrelations, (funds, lags)
        q_stat = (r * r).sum(axis=1)
    df = np.maximum(FIT_TEST_LAGS - np.where((phi == 0.0) & (psi == 0.0), 1, 3), 1)  # spectrum.fit_test_df
    return chi2_sf(n * q_stat / c, df)


def _kernel(w, cos, coef, phi):
    """The noise kernel k_n from its coefficients ``coef`` (5, ...) and phi, at frequencies with
    ``w`` = |1 - e^{-i lambda}|^2 and ``cos`` = cos(lambda): w (a0 + a1 c) / D
    + w (a2 + a3 c + a4 c^2) / D^2, D = (1 - phi)^2 + phi w. All broadcast together."""
    inv_d = phi * w
    inv_d += (1.0 - phi) ** 2
    np.reciprocal(inv_d, out=inv_d)  # 1 / D
    h = (coef[0] + coef[1] * cos) * inv_d
    h += (coef[2] + (coef[3] + coef[4] * cos) * cos) * (inv_d * inv_d)
    h *= w
    return h
