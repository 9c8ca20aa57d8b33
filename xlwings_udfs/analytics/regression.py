"""Regression of fund returns on index returns: beta, R-squared, alpha, and the Dimson beta.

Every function takes one column per fund (NaN where a fund has no return) and works on a
whole block of funds at once, from column sums: no loop over funds.

.. math::

    r^f_t = \\alpha + \\beta r^i_t + \\varepsilon_t, \\qquad
    R^2 = \\frac{S_{fi}^2}{S_{ff} S_{ii}},

with :math:`S` the centred sums of squares and products. The Dimson (1979) beta adds the
index return one period before and after, :math:`r^f_t = \\alpha + \\sum_{k=-1}^{1}
\\beta_k r^i_{t+k} + \\varepsilon_t`, and reports :math:`\\sum_k \\beta_k`, which undoes stale
and non-synchronous prices.
"""
from __future__ import annotations

import numpy as np

__all__ = ["regression", "dimson_beta"]


def regression(rf: np.ndarray, ri: np.ndarray, periods_per_year: float):
    """Beta, R-squared and annualized alpha per column, ignoring NaN rows."""
    ok = np.isfinite(rf) & np.isfinite(ri)
    n = ok.sum(0)
    x = np.where(ok, ri, 0.0)
    y = np.where(ok, rf, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mx, my = x.sum(0) / n, y.sum(0) / n
        xc, yc = np.where(ok, x - mx, 0.0), np.where(ok, y - my, 0.0)
        sxx, syy, sxy = (xc * xc).sum(0), (yc * yc).sum(0), (xc * yc).sum(0)
        beta = sxy / sxx
        r2 = sxy * sxy / (sxx * syy)
        alpha = periods_per_year * (my - beta * mx)
    return beta, np.where(syy > 0, r2, np.nan), alpha


def dimson_beta(rf: np.ndarray, ri: np.ndarray) -> np.ndarray:
    """Sum of the slopes on the index return at t-1, t and t+1 (Dimson, 1979)."""
    lag, lead = np.full_like(ri, np.nan), np.full_like(ri, np.nan)
    lag[1:], lead[:-1] = ri[:-1], ri[1:]
    ok = np.isfinite(rf) & np.isfinite(lag) & np.isfinite(ri) & np.isfinite(lead)
    xs = [np.where(ok, c, 0.0) for c in (lag, ri, lead)]
    y = np.where(ok, rf, 0.0)
    k = rf.shape[1]
    # Column sums of products, one per entry: as fast as a batched matrix product for one
    # fund, and several times faster for a block of funds (no transposed copies). The
    # constant's row is the count and the column sums.
    xtx = np.empty((k, 4, 4))
    xty = np.empty((k, 4))
    xtx[:, 0, 0], xty[:, 0] = ok.sum(0), y.sum(0)
    for a in range(3):
        xtx[:, 0, a + 1] = xtx[:, a + 1, 0] = xs[a].sum(0)
        xty[:, a + 1] = (xs[a] * y).sum(0)
        for b in range(a, 3):
            xtx[:, a + 1, b + 1] = xtx[:, b + 1, a + 1] = (xs[a] * xs[b]).sum(0)
    out = np.full(k, np.nan)
    good = xtx[:, 0, 0] >= 10
    if good.any():
        try:
            coef = np.linalg.solve(xtx[good], xty[good][:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:  # a singular system (a constant index, say): the others
            good &= np.abs(np.linalg.det(np.where(good[:, None, None], xtx, np.eye(4)))) > 0
            coef = np.linalg.solve(xtx[good], xty[good][:, :, None])[:, :, 0]
        out[good] = coef[:, 1:].sum(1)
    return out
