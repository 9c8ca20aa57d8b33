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

:func:`regression` and :func:`dimson_beta` are the plain versions: any returns, a column per
fund, each fund paired with its own index returns. :func:`regression_on_index_rows` and
:func:`dimson_beta_on_index_rows` compute the same figures faster for the usual case, funds
whose returns all lie on the rows of one series of index returns (see their docstrings).
"""
from __future__ import annotations

import numpy as np

__all__ = ["regression", "dimson_beta", "regression_on_index_rows", "dimson_beta_on_index_rows"]


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
    return _sum_of_slopes(xtx, xty)


def _sum_of_slopes(xtx: np.ndarray, xty: np.ndarray) -> np.ndarray:
    """Solve each fund's normal equations (k, 4, 4) (k, 4) and sum the three slopes; NaN for a
    fund with fewer than 10 rows or a singular system."""
    out = np.full(xtx.shape[0], np.nan)
    good = xtx[:, 0, 0] >= 10
    if good.any():
        take = slice(None) if good.all() else good  # every fund's system, without a copy
        try:
            coef = np.linalg.solve(xtx[take], xty[take][:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:  # a singular system (a constant index, say): the others
            good &= np.abs(np.linalg.det(np.where(good[:, None, None], xtx, np.eye(4)))) > 0
            coef = np.linalg.solve(xtx[good], xty[good][:, :, None])[:, :, 0]
        out[good] = coef[:, 1:].sum(1)
    return out


# ---------------------------------------------------------------------------------------
# funds on the rows of one index series
# ---------------------------------------------------------------------------------------
#
# What these speed up. In a block of funds compared with one index, a fund with no date
# skipped inside its span has its returns on the index's own rows: fund j's returns are
# rf[start[j]:stop[j], j] and their index returns ri[start[j]:stop[j]], one series for all.
# The plain functions take the index returns as a column per fund, mask every fund's rows
# and form every sum of products fund by fund (some fifteen passes over a block). Here the
# funds that share a span of rows (all of them, in a panel of funds with one history) are
# taken together, on that span's rows: the index's side (its mean and sum of squares, X'X)
# once, and the funds' side as column sums and one matrix product, with no masking.
#
# Why it is the same. These are the plain version's sums, centred as it centres them, over
# the same rows; only their order of summation differs (a matrix product instead of column
# sums), so the figures agree to rounding (tests hold them to 1e-12 relative). Sums that are
# zero because the index stands still over a fund's rows stay exactly zero, so such a fund
# gets NaN, as in the plain version.


def _by_span(start: np.ndarray, stop: np.ndarray):
    """(first row, end row, the funds that have that span: a list, or a slice where they are
    neighbours, as all of them in a panel of one history or one fund in a panel of staggered
    launches: their columns are then read as a view, not copied)."""
    spans: dict[tuple[int, int], list[int]] = {}
    for j, span in enumerate(zip(start.tolist(), stop.tolist())):
        spans.setdefault(span, []).append(j)
    if len(spans) == 1:
        ((s, e),) = spans
        return [(s, e, slice(None))]
    return [(s, e, slice(funds[0], funds[-1] + 1) if funds[-1] - funds[0] == len(funds) - 1 else funds)
            for (s, e), funds in spans.items()]


def regression_on_index_rows(rf: np.ndarray, ri: np.ndarray, start: np.ndarray, stop: np.ndarray,
                             periods_per_year: float):
    """:func:`regression` for funds whose returns lie on the rows of one index series.

    ``ri`` (m,) the index returns, finite; ``rf`` (m, k) the funds' returns on the same rows,
    fund j's on rows ``start[j]`` to ``stop[j] - 1`` (other rows are not read). Beta,
    R-squared and annualized alpha per fund, as :func:`regression` gives them for
    ``rf[start[j]:stop[j], j]`` against ``ri[start[j]:stop[j]]``.
    """
    k = rf.shape[1]
    beta, r2, alpha = np.full(k, np.nan), np.full(k, np.nan), np.full(k, np.nan)
    for s, e, funds in _by_span(start, stop):
        if e <= s:
            continue
        x, y = ri[s:e], rf[s:e, funds]
        mx, my = x.sum() / (e - s), y.sum(0) / (e - s)
        xc, yc = x - mx, y - my
        sxx, syy, sxy = xc @ xc, np.einsum("ij,ij->j", yc, yc), xc @ yc
        with np.errstate(invalid="ignore", divide="ignore"):
            b = sxy / sxx
            beta[funds], alpha[funds] = b, periods_per_year * (my - b * mx)
            r2[funds] = np.where(syy > 0, sxy * sxy / (sxx * syy), np.nan)
    return beta, r2, alpha


def dimson_beta_on_index_rows(rf: np.ndarray, ri: np.ndarray, start: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """:func:`dimson_beta` for funds whose returns lie on the rows of one index series.

    Arguments as :func:`regression_on_index_rows`. As :func:`dimson_beta` does on a fund's
    own returns, it uses the rows with the index return a period before and after among the
    fund's rows: ``start[j] + 1`` to ``stop[j] - 2``. The regressors (the constant, the index
    return at t-1, t and t+1) are shared: X'X once per span of rows, X'y for the span's funds
    one matrix product.
    """
    m, k = rf.shape
    z = np.zeros((m, 4))  # the regressors on each row; lag and lead are never used at the ends
    z[:, 0], z[:, 2] = 1.0, ri
    z[1:, 1], z[:-1, 3] = ri[:-1], ri[1:]
    xtx, xty = np.zeros((k, 4, 4)), np.zeros((k, 4))
    for s, e, funds in _by_span(np.minimum(start + 1, m), np.maximum(stop - 1, start + 1)):
        if e > s:
            rows = z[s:e]
            xtx[funds], xty[funds] = rows.T @ rows, (rows.T @ rf[s:e, funds]).T
    return _sum_of_slopes(xtx, xty)
