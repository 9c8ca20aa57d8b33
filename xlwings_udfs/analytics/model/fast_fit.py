"""Fast path: the noise model fitted for a whole panel, funds of every length at once.

What it speeds up. ``reference.fit_noise_model`` fits one fund: the objective on the whole
grid in double precision, the refinement, the profile interval. Here a panel is fitted in a
few passes over all its funds:

* the funds are grouped by history length, and each length's funds are scanned together
  (``fast_grid.scan_near_minimum``: single precision, only the q near the minimum);
* everything after the scan runs over all the funds at once, each fund's figures padded to
  ``MAX_BINS`` bins (weight 0, kernel 1) and to the widest q window scanned (objective +inf);
* the refinement evaluates its seven stencil points in double precision from the length's
  tabulated kernel (``ScanGrid.kbar``), and the refined point of every fund with one call of
  ``fast_kernel.binned_kernels``;
* the profile interval is traced from the scanned single-precision values, over the q window
  only.

Why it is exact, or how close. Padding changes no sum (a bin of weight 0 adds 0, and log 1 =
0) and is never a minimum nor a parabola's neighbour (+inf), so a fund's figures are the same
alone and in any panel in which at most two funds share its length (beyond that the scan's
single-precision sums run in another order: see ``fast_grid``). The estimates are computed as
in the reference, to rounding, unless single precision ties two grid points; the interval
bounds and the mean of s_u^2, read off the single-precision scan, agree with the reference's
double-precision profile to about 1e-5 relative, 1e-3 at worst (see ``fast_grid``): given the
reference's double-precision table of the objective instead of the scan's, the profile
interval here gives the reference's bounds and mean, to rounding.

Plain equivalent: ``reference.fit_noise_model`` (one fund), with ``reference.profile``.
"""
from __future__ import annotations

import numpy as np

from .definition import CHI2_95, CHI2_95_BOUNDARY, GRID, NoiseModelFit, check_lengths
from .fast_grid import grids_for_lengths, scan_near_minimum
from .fast_kernel import binned_kernels
from .spectrum import MAX_BINS, binned_ordinates

__all__ = ["fit_noise_model"]

_Q_GRID, _PHI_GRID, _PSI_GRID, _V_GRID = GRID.q, GRID.phi, GRID.psi, GRID.v
_LOG_V = np.log(_V_GRID)
_SQRT_V = np.sqrt(_V_GRID)


def fit_noise_model(d: np.ndarray, lengths: np.ndarray | None = None) -> NoiseModelFit:
    """Whittle estimate of (s_u^2, sigma_eta^2, phi, psi) for each column of ``d`` (n, k).

    ``lengths`` (k,): the number of returns of each column, which fill it from the top (what
    lies below them is ignored), at least ``MIN_RETURNS``; None: every column is complete.
    The grid depends on the length, so the scan runs once per length, over the funds of that
    length; everything else runs over all the funds at once.
    """
    d = np.asarray(d, dtype=float)
    if d.ndim == 1:
        d = d[:, None]
    n, kf = d.shape
    check_lengths(lengths, d.shape)
    if lengths is None or np.all(lengths == lengths[0]):
        ns, group, members = np.array([n if lengths is None else lengths[0]]), np.zeros(kf, dtype=np.intp), [slice(None)]
    else:
        ns, group = np.unique(lengths, return_inverse=True)
        members = np.split(np.argsort(group, kind="stable"), np.cumsum(np.bincount(group))[:-1])
    grids = grids_for_lengths(ns)
    kbars = [g.kbar for g in grids]
    shape3 = (_Q_GRID.size, _PHI_GRID.size, _PSI_GRID.size)
    n_shapes = shape3[1] * shape3[2]
    # Per fund, padded to MAX_BINS bins and to the widest q range scanned.
    ibar, cbar, weights = np.zeros((3, kf, MAX_BINS))
    scale, q_lo, nq, exact = np.empty(kf), np.empty(kf, dtype=np.intp), np.empty(kf, dtype=np.intp), np.empty(kf, dtype=bool)
    windows = []
    for g, cols in enumerate(members):
        # Each grid is let go once scanned: the memory of one length's scan rows is then used
        # again for the next length's, where fresh memory would take longer to fill than the
        # rows take to compute.
        grid, grids[g] = grids[g], None
        dg = d[: grid.n, cols]
        binned, scale[cols] = binned_ordinates(dg)
        bins = binned.shape[0]
        ibar[cols, :bins], cbar[cols, :bins] = binned[:, 0].T, binned[:, 1].T
        weights[cols, :bins] = grid.weights
        # A fund that tracks exactly (every difference zero) has nothing to estimate.
        exact[cols] = ~np.any(dg != dg[:1], axis=0)
        first, window = scan_near_minimum(binned.astype(np.float32), grid)
        q_lo[cols], nq[cols] = first, window.shape[1]
        windows.append((window, grid.logdet_by_q(first, first + window.shape[1] - 1)))
    del grid
    if len(windows) == 1:
        obj, logdet = windows[0][0], windows[0][1][None]  # one table for every fund
    else:
        obj = np.full((kf, nq.max(), n_shapes), np.inf, dtype=np.float32)  # +inf: padding
        logdet = np.zeros(obj.shape, dtype=np.float32)
        for cols, (window, window_logdet) in zip(members, windows):
            obj[cols, : window.shape[1]] = window
            logdet[cols, : window.shape[1]] = window_logdet
    del windows
    n_pad = obj.shape[1]
    total = weights.sum(axis=1)
    flat = obj.reshape(kf, -1).argmin(axis=1) + q_lo * n_shapes  # a point of the whole grid
    idx = np.stack(np.unravel_index(flat, shape3), axis=1)  # (k, 3)

    # The parabolic refinement uses the argmin and its neighbours along each axis (about a
    # centre moved off the edge of the grid), all seven evaluated at once in double precision.
    sizes = np.array(shape3)
    strides = np.array([n_shapes, shape3[2], 1])
    shift = np.minimum(np.maximum(idx, 1), sizes - 2) - idx  # centre - argmin
    moves = ((shift[:, :, None] + np.array([-1, 1])) * strides[:, None]).reshape(kf, 6)
    points = flat[:, None] + np.concatenate([np.zeros((kf, 1), dtype=moves.dtype), moves], axis=1)
    iq, ishape = np.divmod(points, strides[0])
    kb = np.ones((kf, 7, MAX_BINS))
    for kbar, cols in zip(kbars, members):
        kb[cols, :, : kbar.shape[0]] = kbar[:, ishape[cols]].transpose(1, 2, 0)
    h = _Q_GRID[iq][:, :, None] + (1.0 - _Q_GRID[iq])[:, :, None] * kb  # (k, 7, bins)
    w_total = weights / total[:, None]
    n_fund = ns[group]
    stencil, _ = _objective(ibar[:, None], cbar[:, None], w_total[:, None], n_fund[:, None], h)
    grid_best = stencil[:, 0]
    # Values at centre-1, centre, centre+1 along each axis; no step off an edge minimum.
    lo, hi = stencil[:, 1::2], stencil[:, 2::2]  # (k, 3)
    curv = lo - 2.0 * grid_best[:, None] + hi
    frac = idx + _parabola_step(lo, hi, curv, (idx > 0) & (idx < sizes - 1) & (curv > 0))
    q = np.interp(frac[:, 0], np.arange(shape3[0]), _Q_GRID)
    phi = np.interp(frac[:, 1], np.arange(shape3[1]), _PHI_GRID)
    psi = np.interp(frac[:, 2], np.arange(shape3[2]), _PSI_GRID)
    val, sigma2 = _concentrated(ibar, cbar, w_total, n_fund, q, phi, psi)
    worse = np.flatnonzero(val > grid_best)  # the parabolic steps overshot: keep the grid point
    if worse.size:
        q[worse], phi[worse], psi[worse] = _Q_GRID[idx[worse, 0]], _PHI_GRID[idx[worse, 1]], _PSI_GRID[idx[worse, 2]]
        val[worse], sigma2[worse] = _concentrated(ibar[worse], cbar[worse], w_total[worse], n_fund[worse],
                                                  q[worse], phi[worse], psi[worse])
    lower, upper, mean = _profile_interval(obj.reshape(kf, n_pad, *shape3[1:]), logdet.reshape(-1, n_pad, *shape3[1:]),
                                           np.minimum(val, grid_best), total, q_lo, nq)
    s_u2 = sigma2 * q * scale
    zero = lambda x: np.where(exact, 0.0, x)  # noqa: E731
    return NoiseModelFit(
        persistent_var=zero(s_u2),
        persistent_var_lower=zero(np.minimum(lower * scale, s_u2)),
        persistent_var_upper=zero(np.maximum(upper * scale, s_u2)),
        persistent_var_mean=zero(mean * scale),
        noise_var=zero(sigma2 * (1.0 - q) * scale),
        noise_phi=zero(phi),
        noise_psi=zero(psi),
    )


def _interp_last(table: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Linear interpolation of ``table`` (..., n) at fractional positions ``pos`` (...).

    The leading axes of ``table`` broadcast against ``pos`` (a table shared by every fund).
    """
    n = table.shape[-1]
    i = np.minimum(np.maximum(np.floor(pos).astype(np.intp), 0), n - 2)
    w = pos - i
    at = np.arange(table.size // n).reshape(table.shape[:-1]) * n + i
    flat = np.ascontiguousarray(table).reshape(-1)
    return flat[at] * (1.0 - w) + flat[at + 1] * w


def _profile_over_v(base, s_q, q):
    """min over q of log v - log q + LD(q) + S(q) q / v, for each v of GRID.v.

    ``base`` is -log q + LD and ``s_q`` is S, both (k, nq) at the grid values ``q`` (k, nq);
    a ``base`` of +inf leaves a q out. The minimum over q is refined by a parabola in the
    grid index.
    """
    kf = base.shape[0]
    prof = np.empty((kf, _V_GRID.size))
    sq = s_q * q
    chunk = max(1, 4_000_000 // (_V_GRID.size * base.shape[1]))
    for s in range(0, kf, chunk):
        sl = slice(s, s + chunk)
        terms = base[sl, None, :] + sq[sl, None, :] / _V_GRID[None, :, None]
        prof[sl] = _LOG_V + _parabolic_min(terms)[0]
    return prof


def _profile_interval(obj, logdet, best, total, q_lo, nq):
    """95% likelihood-ratio interval for s_u^2 (in the units of the scaled periodogram).

    ``obj`` (k, q, phi, psi) and ``logdet`` (the same, or one table for every fund) cover, for
    each fund, the ``nq`` q of GRID.q from index ``q_lo`` on: those near its minimum (the
    others are too unlikely to matter), then padding (an ``obj`` of +inf). ``best`` and
    ``total`` are per fund. The profile is a minimum over grid points; taken literally, the
    grid spacing inflates the likelihood ratio by about one unit, enough to make a 95%
    interval cover 85%. Parabolic interpolation of the minimum, over psi, phi and then q,
    removes that error.
    """
    kf, n_pad, nphi, npsi = obj.shape
    iq = q_lo[:, None] + np.arange(n_pad)
    q = _Q_GRID[np.minimum(iq, _Q_GRID.size - 1)]
    obj_p, ipsi = _parabolic_min(obj)  # over psi: (k, nq, nphi)
    ld_p = _interp_last(logdet, ipsi)
    obj_q, iphi = _parabolic_min(obj_p)  # over phi: (k, nq)
    ld_q = _interp_last(ld_p, iphi)
    # q = 0 is the boundary, tested on its own below; it and the padding stay out of the profile.
    use = (iq > 0) & (np.arange(n_pad) < nq[:, None])
    s_q = np.where(use, np.exp(np.where(use, obj_q - ld_q, 0.0)), 0.0)  # concentrated scale S(q)
    base = np.where(use, ld_q - np.log(np.where(use, q, 1.0)), np.inf)
    prof = _profile_over_v(base, s_q, q)
    # At its optimum over the scale, the unconcentrated objective is the concentrated one + 1.
    best = np.minimum(best, prof.min(axis=1) - 1.0)
    lr = 2.0 * total[:, None] * (prof - 1.0 - best[:, None])
    lr_at_zero = np.where(q_lo == 0, 2.0 * total * (obj_q[:, 0] - best), np.inf)
    inside = lr <= CHI2_95
    any_in = inside.any(axis=1)
    first = np.where(any_in, inside.argmax(axis=1), 0)
    last = np.where(any_in, _V_GRID.size - 1 - inside[:, ::-1].argmax(axis=1), _V_GRID.size - 1)
    rows = np.arange(kf)

    # Where the likelihood ratio crosses the 95% point, between the last v outside the interval
    # and the first inside it: below the interval (row 0) and above it (row 1).
    i_out = np.array([np.maximum(first - 1, 0), np.minimum(last + 1, _V_GRID.size - 1)])
    i_in = np.array([first, last])
    a, b = lr[rows, i_out], lr[rows, i_in]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(a != b, np.minimum(np.maximum((a - CHI2_95) / (a - b), 0.0), 1.0), 1.0)
    crossing = np.exp(_LOG_V[i_out] + t * (_LOG_V[i_in] - _LOG_V[i_out]))
    has_lower = any_in & (first > 0) & (lr_at_zero > CHI2_95_BOUNDARY)
    lower = np.where(has_lower, crossing[0], 0.0)
    has_upper = any_in & (last < _V_GRID.size - 1)
    upper = np.where(has_upper, crossing[1], _V_GRID[-1])
    # Mean of s_u^2 under exp(-LR/2) with a flat prior on s_u: ds_u ~ sqrt(v) dlog v on this
    # log-spaced grid.
    weight = np.exp(-0.5 * (lr - lr.min(axis=1, keepdims=True))) * _SQRT_V
    mean = (weight * _V_GRID[None, :]).sum(axis=1) / weight.sum(axis=1)
    return lower, upper, mean


def _parabola_step(lo, hi, curv, ok):
    """Vertex of the parabola through (-1, lo), (0, mid), (1, hi), curv = lo - 2 mid + hi.

    Kept within half a grid step of the middle point; 0 where ``ok`` is false (a minimum on
    the edge of the grid, or no upward curvature).
    """
    step = np.minimum(np.maximum(0.5 * (lo - hi) / np.where(ok, curv, 1.0), -0.5), 0.5)
    return np.where(ok, step, 0.0)


def _parabolic_min(values: np.ndarray):
    """Minimum along the last axis refined by a parabola through the grid minimum and its neighbours.

    Returns the refined minimum and the fractional index of the argmin. A minimum on the edge
    of the grid is left as it is; so is one next to a value of +inf, which marks padding (a
    fund's own grid ends there).
    """
    size = values.shape[-1]
    flat = values.reshape(-1, size)
    i = flat.argmin(axis=1)
    c = np.minimum(np.maximum(i, 1), size - 2)
    at = c + np.arange(0, flat.size, size)  # flat positions of the centres
    v = flat.reshape(-1)
    lo, mid, hi = v[at - 1], v[at], v[at + 1]
    with np.errstate(invalid="ignore"):  # inf - inf next to padding: not a parabola, not used
        curv = lo - 2.0 * mid + hi
        ok = (i == c) & (curv > 0) & (curv < np.inf)  # an inner minimum, curving up
        step = _parabola_step(lo, hi, curv, ok)
        best = np.where(ok, mid - 0.25 * (lo - hi) * step, v[at + (i - c)])
    shape = values.shape[:-1]
    return best.reshape(shape), np.where(ok, c + step, i).reshape(shape)


def _objective(ibar, cbar, w_total, n, h):
    """Concentrated objective and scale of each fund at spectra ``h`` (..., bins).

    ``ibar``, ``cbar``: the fund's binned ordinates; ``w_total``: its bin widths over their
    total, zero beyond its own bins; ``n``: its length; all broadcast against ``h``. The
    end-effect term is profiled out as in the scan (fast_grid), here in double precision.
    """
    wh = w_total / h
    a1, a2, a3 = (wh * ibar).sum(axis=-1), (wh * cbar).sum(axis=-1), wh.sum(axis=-1) / n
    sigma2 = np.maximum(a1 - a2 * a2 / a3, 1e-300)
    return np.log(sigma2) + (w_total * np.log(h)).sum(axis=-1), sigma2


def _concentrated(ibar, cbar, w_total, ns, q, phi, psi):
    """Objective and scale at one (q, phi, psi) per fund: rows (k, MAX_BINS) as in _objective."""
    h = binned_kernels(ns, phi, psi)[:, :, 0, 0]
    h *= (1.0 - q)[:, None]
    h += q[:, None]
    return _objective(ibar, cbar, w_total, ns, h)
