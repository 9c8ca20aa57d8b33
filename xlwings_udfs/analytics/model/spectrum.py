"""The model's spectrum: frequencies, periodogram bins, binned ordinates, the noise kernel.

The mathematics of the package docstring, shared by the plain estimator (``reference.py``)
and the fast path: nothing here is there for speed, except that the bin layout of a length is
cached (it is used for every fund of that length).

* Fourier frequencies :math:`\\lambda_j = 2\\pi j/n`, :math:`j=1..m`, :math:`m=\\lfloor(n-1)/2\\rfloor`
  (the zero frequency, which carries the drift, and the Nyquist frequency are left out).
* Bins: the lowest ``SINGLE_FREQUENCIES`` frequencies one by one, where the persistent part
  shows; the rest, where the spectrum is smooth, in ``GEOMETRIC_BINS`` geometrically widening
  bins. A short history (:math:`m \\le` ``MAX_BINS``) has every frequency in a bin of its own.
* Binned ordinates :math:`\\bar I_b` (periodogram) and :math:`\\bar C_b` (real parts, which
  carry the end effect :math:`\\delta`), scaled to a unit mean periodogram.
* The noise kernel :math:`\\bar k_n(\\lambda;\\phi,\\psi)`, the expected periodogram of n
  differenced ARMA(1,1) values with unit innovations, end effect aside, in closed form
  (``binned_kernel``); ``reference.binned_kernel`` computes it by the lag sum that defines it.
* The autocovariances of the MA(2) form of d, which the drift's GLS uses.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from .definition import FIT_TEST_LAGS

__all__ = ["SINGLE_FREQUENCIES", "GEOMETRIC_BINS", "MAX_BINS", "bin_edges", "bin_widths", "frequencies",
           "binned_ordinates", "noise_autocovariance", "kernel_coefficients", "noise_kernel", "binned_kernel",
           "ma_autocovariances", "fit_test_df", "chi2_sf"]

#: Lowest frequencies binned one by one.
SINGLE_FREQUENCIES = 48
#: Bins of the frequencies above them, geometrically widening.
GEOMETRIC_BINS = 64
#: Most bins a periodogram has. Figures over bins are padded to it, so that a fund's sums run
#: over the same layout in a panel as alone.
MAX_BINS = SINGLE_FREQUENCIES + GEOMETRIC_BINS


@lru_cache(maxsize=4096)
def bin_edges(m: int) -> np.ndarray:
    """Start offsets (0-based, into frequencies 1..m) of the periodogram bins, plus m.

    Cached and shared, so read-only. The cache holds a few thousand lengths (about 1 KB
    each): a panel of funds launched on different dates has a length per launch date, and
    each is read at every step of its fit.
    """
    if m <= SINGLE_FREQUENCIES + GEOMETRIC_BINS:
        edges = np.arange(m + 1)
    else:
        low = np.arange(SINGLE_FREQUENCIES)
        high = np.round(np.geomspace(SINGLE_FREQUENCIES, m, GEOMETRIC_BINS + 1)).astype(int)
        edges = np.unique(np.concatenate([low, high]))
    edges.flags.writeable = False
    return edges


@lru_cache(maxsize=4096)
def bin_widths(m: int) -> np.ndarray:
    """Number of frequencies in each bin of bin_edges(m), as floats. Cached, so read-only."""
    widths = np.diff(bin_edges(m)).astype(float)
    widths.flags.writeable = False
    return widths


def frequencies(n: int, lo: int = 0, hi: int | None = None):
    """w = |1 - e^{-i lambda_j}|^2 = 4 sin^2(lambda_j / 2) and c = cos(lambda_j), j = lo+1..hi.

    ``hi`` None: m = (n - 1) // 2, the last frequency used.
    """
    hi = (n - 1) // 2 if hi is None else hi
    w = 4.0 * np.sin((np.pi / n) * np.arange(lo + 1, hi + 1)) ** 2
    return w, 1.0 - 0.5 * w


def binned_ordinates(d: np.ndarray, unbinned: bool = False):
    """Binned periodogram |D_j|^2 / n and real parts Re(D_j) / n, scaled to a unit mean.

    ``d`` (n, k), complete columns of one length. Returns them as one array (bins, 2, k), the
    periodogram first, and the scale (k,): the mean periodogram (1 where it is zero); with
    ``unbinned``, also the same two before binning, (2, k, m) (a row per fund: the fit
    test's sums run along it), for the fit test.

    With D_j = sum_{t=0}^{n-1} d_t e^{-i lambda_j t}, differencing puts the same real number
    (the end effect) into every D_j; the real parts are what estimates it. The real parts
    are scaled by the square root of the scale, the periodogram by the scale.

    The ordinates are those of the demeaned returns, but the mean is not subtracted: at the
    Fourier frequencies used (j >= 1) a constant sums to zero, so it reaches only the
    ordinate at frequency 0, which is not used. Left in, it changes the others by rounding
    only, about 1e-15 of the largest times the ratio of the mean to the returns' spread, and
    the demeaned copy of the returns is spared: 3-4% of a panel's time.
    """
    n = d.shape[0]
    spec = np.fft.rfft(d, axis=0)[1 : (n - 1) // 2 + 1]
    pgram = spec.real**2
    pgram += spec.imag**2
    pgram /= n
    scale = pgram.sum(axis=0) / pgram.shape[0]
    scale = np.where(scale > 0, scale, 1.0)
    m, k = (n - 1) // 2, d.shape[1]
    # The bins are summed with a fund's frequencies contiguous (a row each: (2, k, m)), which
    # gives the sums of reduceat along the first axis of (m, 2, k) at a fraction of the
    # cost; the binned ordinates are returned laid out (bins, 2, k).
    by_fund = np.empty((2, k, m))
    np.divide(pgram.T, scale[:, None], out=by_fund[0])
    np.divide(spec.real.T, (n * np.sqrt(scale))[:, None], out=by_fund[1])
    sums = np.add.reduceat(by_fund, bin_edges(m)[:-1], axis=2).transpose(2, 0, 1)
    binned = np.divide(sums, bin_widths(m)[:, None, None], out=np.empty(sums.shape))
    if not unbinned:
        return binned, scale
    return binned, scale, by_fund


def noise_autocovariance(phi, psi, n: int) -> np.ndarray:
    """gamma(0..n-1) of ARMA(1,1) noise (1 - phi B) e = (1 + psi B) eta with unit innovations.

    gamma(0) = (1 + 2 phi psi + psi^2) / (1 - phi^2), gamma(1) = (phi + psi)(1 + phi psi) /
    (1 - phi^2), gamma(h) = phi^(h-1) gamma(1) for h >= 1; |phi| < 1. ``phi`` and ``psi``
    broadcast together; the lags run along a new last axis.
    """
    phi, psi = np.asarray(phi, dtype=float)[..., None], np.asarray(psi, dtype=float)[..., None]
    gamma0 = (1.0 + 2.0 * phi * psi + psi * psi) / (1.0 - phi * phi)
    gamma1 = (phi + psi) * (1.0 + phi * psi) / (1.0 - phi * phi)
    tail = gamma1 * phi ** (np.arange(1, n) - 1.0)
    return np.concatenate([np.broadcast_to(gamma0, tail.shape[:-1] + (1,)), tail], axis=-1)


def kernel_coefficients(n, phi, psi) -> np.ndarray:
    """Coefficients of the five functions w c^a / D^b of which the noise kernel is the sum.

    The kernel k_n(lambda; phi, psi) = w F(lambda), w = |1 - e^{-i lambda}|^2, where F is the
    Fejer-smoothed spectrum of the noise with unit innovations,

        F = sum_{|h|<n} (1 - |h|/n) gamma(h) e^{i lambda h}
          = gamma_0 + 2 gamma_1 Re[S_1 - S_2 / n],

    S_1 = sum_{h=1}^{n-1} phi^(h-1) e^{i lambda h}, S_2 = sum_{h=1}^{n-1} h phi^(h-1)
    e^{i lambda h}. In closed form (e^{i lambda n} = 1 at the Fourier frequencies), with
    c = cos(lambda), D = 1 - 2 phi c + phi^2 and p = phi^(n-1):

        F = (1 + 2 psi c + psi^2) / D - 2 gamma_1 p (1 - phi c) / D
            - (2 gamma_1 / n) [(1 + (n-1) p phi)((1 + phi^2) c - 2 phi)
                               - n p (1 - phi^2 - 2 phi c + 2 phi^2 c^2)] / D^2,

    the ARMA spectrum and its finite-sample corrections. Multiplied by w and sorted by the
    powers of c and D, k = sum_i coef_i f_i with f = (w/D, w c/D, w/D^2, w c/D^2, w c^2/D^2).

    ``n``, ``phi`` and ``psi`` broadcast together; returns (..., 5, J), the coefficients along
    the second last axis, J the last axis of the broadcast shape.
    """
    n = np.asarray(n, dtype=float)
    phi = np.asarray(phi, dtype=float)
    psi = np.asarray(psi, dtype=float)
    gamma1 = (phi + psi) * (1.0 + phi * psi) / (1.0 - phi * phi)
    p = phi ** (n - 1.0)
    g = 2.0 * gamma1 * p
    fejer = 2.0 * gamma1 / n
    lead = fejer * (1.0 + (n - 1.0) * p * phi)
    shape = fejer.shape  # that of n, phi and psi broadcast together
    coef = np.empty(shape[:-1] + (5,) + shape[-1:])
    coef[..., 0, :] = 1.0 + psi * psi - g
    coef[..., 1, :] = 2.0 * psi + g * phi
    coef[..., 2, :] = 2.0 * phi * lead + fejer * n * p * (1.0 - phi * phi)
    coef[..., 3, :] = -lead * (1.0 + phi * phi) - 2.0 * phi * fejer * n * p
    coef[..., 4, :] = 2.0 * phi * phi * fejer * n * p
    return coef


def noise_kernel(n: int, phi, psi) -> np.ndarray:
    """The noise kernel k_n of kernel_coefficients at each frequency j = 1..m of length ``n``.

    ``phi`` and ``psi`` broadcast together (shape s); returns s + (m,). The closed form.
    """
    phi, psi = np.broadcast_arrays(np.asarray(phi, dtype=float), np.asarray(psi, dtype=float))
    coef = kernel_coefficients(n, phi.reshape(-1, 1), psi.reshape(-1, 1))[:, :, 0]  # (shapes, 5)
    w, c = frequencies(n)
    f = phi.reshape(-1, 1)
    d = (1.0 - f) ** 2 + f * w  # D = (1 - phi)^2 + phi w: exact near lambda = 0
    terms = np.stack([w / d, w * c / d, w / d**2, w * c / d**2, w * c * c / d**2], axis=1)
    return np.einsum("si,sij->sj", coef, terms).reshape(phi.shape + (-1,))


def binned_kernel(n: int, phi, psi) -> np.ndarray:
    """The noise kernel k_n of kernel_coefficients, averaged over each bin of length ``n``.

    ``phi`` and ``psi`` broadcast together (shape s); returns s + (bins,). The closed form;
    the fast path computes the same sums for many lengths and shapes at once.
    """
    k = noise_kernel(n, phi, psi)
    m = (n - 1) // 2
    return np.add.reduceat(k, bin_edges(m)[:-1], axis=-1) / bin_widths(m)


def ma_autocovariances(s2, e2, phi, psi):
    """Autocovariances c0, c1, c2 of the MA(2) form of d: (1 - phi B)(d_t - mu) = x_t.

    x_t = (1 - phi B) u_t + (1 - B)(1 + psi B) eta_t, u white with variance ``s2`` (s_u^2),
    eta with variance ``e2`` (sigma_eta^2), so that
    c0 = s2 (1 + phi^2) + e2 (1 + (1 - psi)^2 + psi^2), c1 = -phi s2 - e2 (1 - psi)^2 and
    c2 = -psi e2; all further autocovariances are zero.
    """
    c0 = s2 * (1.0 + phi * phi) + e2 * (1.0 + (1.0 - psi) ** 2 + psi * psi)
    c1 = -phi * s2 - e2 * (1.0 - psi) ** 2
    c2 = -psi * e2
    return c0, c1, c2


def fit_test_df(fit) -> np.ndarray:
    """Degrees of freedom of the fit test: its lags less the parameters of the returns'
    dynamics the fit estimated (the persistent share, and phi and psi unless the noise is
    white, phi = psi = 0), at least 1. Per fund."""
    fitted = np.where((np.asarray(fit.noise_phi) == 0.0) & (np.asarray(fit.noise_psi) == 0.0), 1, 3)
    return np.maximum(FIT_TEST_LAGS - fitted, 1)


_ERFC = np.frompyfunc(math.erfc, 1, 1)


def chi2_sf(x, df) -> np.ndarray:
    """P(chi2(df) > x) for whole ``df`` >= 1, elementwise: the regularized upper incomplete
    gamma function Q(df / 2, x / 2) by its finite sums (with erfc for odd df)."""
    x, df = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(df))
    half = np.maximum(x, 0.0) / 2.0
    top = int(np.max(df, initial=0))
    if top <= 2:  # one or two degrees of freedom: erfc(sqrt(x / 2)) and exp(-x / 2)
        two = np.exp(-half)
        if not np.any(df == 1):
            return two
        return np.where(df == 1, np.asarray(_ERFC(np.sqrt(half)), dtype=float), two)
    odd = df % 2 == 1
    total = np.where(odd, np.asarray(_ERFC(np.sqrt(half)), dtype=float), 0.0)
    term = np.where(odd, np.sqrt(half) / math.gamma(1.5), 1.0)  # (x/2)^a / Gamma(a + 1), a = 0 or 1/2
    a = np.where(odd, 0.5, 0.0)
    for i in range(top // 2):
        total = total + np.where(i < df // 2, term * np.exp(-half), 0.0)
        term = term * half / (a + i + 1.0)
    return np.minimum(total, 1.0)
