"""Fast path: the noise model fitted for a whole panel, funds of every length at once.

What it speeds up. ``reference.fit_noise_model`` fits one fund: the objective on the whole
grid in double precision, the refinement, the profile interval. Here a panel is fitted in a
few passes over all its funds:

* each fund's most recent ``definition.fit_lengths(n)`` returns are taken (a view, unless
  funds leave out different numbers of returns);
* the funds are grouped by that length, and each length's funds are scanned together
  (``fast_grid.scan_near_minimum``: single precision, only the q near the minimum; the few
  funds whose scan cancels are fitted again with it in double precision);
* everything after the scan runs over all the funds at once, each fund's figures padded to
  ``MAX_BINS`` bins (weight 0, kernel 1) and to the widest q window scanned (objective +inf);
* the refinement evaluates its ten stencil points (seven about the full model's minimum,
  within its block of shapes; three along q about white noise's) in double precision from the
  length's tabulated kernel (``ScanGrid.kbar``), and the refined points of every fund (both
  models) with one call of ``fast_kernel.binned_kernels``; the choice between white noise
  and the full model follows from the two refined values;
* the profile interval is traced from the scanned single-precision values, over the q window
  only, block by block of shapes (or shape 0 alone, for white noise);
* the dispersion and the fit test of every fund at once (``fast_checks``).

Why it is exact, or how close. Padding changes no sum (a bin of weight 0 adds 0, and log 1 =
0) and is never a minimum nor a parabola's neighbour (+inf), so a fund's figures are the same
alone and in any panel in which at most two funds share its fitted length (beyond that the
scan's single-precision sums run in another order: see ``fast_grid``). The estimates are computed as
in the reference, to rounding, unless single precision ties two grid points; the interval
bounds and the mean of s_u^2, read off the single-precision scan, agree with the reference's
double-precision profile to about 1e-5 relative, 1e-3 at worst (see ``fast_grid``): given the
reference's double-precision table of the objective instead of the scan's, the profile
interval here gives the reference's bounds and mean, to rounding.

A fund's choice between white noise and the full model agrees with the reference's unless
its likelihood ratio lies within the scan's accuracy of CHI2_SELECT (the refined values are in
double precision; only the grid minimum they start from is read off the scan).

Plain equivalent: ``reference.fit_noise_model`` (one fund), with ``reference.profile`` and
``reference.dispersion``.
"""
from __future__ import annotations

from dataclasses import fields

import numpy as np

from .definition import (CHI2_95, CHI2_95_BOUNDARY, CHI2_SELECT, GRID, NoiseModelFit, check_lengths, check_spans,
                         fit_lengths, spans_within)
from .fast_checks import dispersions, fit_tests
from .fast_grid import BLOCKS, CANCELLATION_LIMIT, N_SHAPES, grids_for_lengths, scan_margins, scan_near_minimum
from .fast_kernel import binned_kernels
from .spectrum import MAX_BINS, binned_ordinates

__all__ = ["fit_noise_model"]

_Q_GRID, _V_GRID = GRID.q, GRID.v


def _shape_tables():
    """Per shape (the scan's flat index): its block, its indices and sizes along phi and psi,
    its phi and psi; per block, its phi and psi values padded to the longest. And the stacked
    layout of the profile: the blocks' phi rows one after the other, a row of +inf between
    two blocks, the psi axis padded with +inf to the widest block: the position of each shape
    in it, flat."""
    width = max(psi.size for _, _, psi in BLOCKS)
    block, iphi, ipsi, nphi, npsi, at = ([] for _ in range(6))
    row = 0
    for b, (_, phi, psi) in enumerate(BLOCKS):
        for i in range(phi.size):
            for j in range(psi.size):
                block.append(b), iphi.append(i), ipsi.append(j), nphi.append(phi.size), npsi.append(psi.size)
                at.append((row + i) * width + j)
        row += phi.size + 1
    values = np.full((2, len(BLOCKS), max(max(phi.size, psi.size) for _, phi, psi in BLOCKS)), np.nan)
    for b, (_, phi, psi) in enumerate(BLOCKS):
        values[0, b, : phi.size], values[1, b, : psi.size] = phi, psi
    tables = [np.array(x) for x in (block, iphi, ipsi, nphi, npsi, at)]
    return (*tables, values, (row - 1, width))


_SHAPE_BLOCK, _SHAPE_IPHI, _SHAPE_IPSI, _SHAPE_NPHI, _SHAPE_NPSI, _STACKED_AT, _BLOCK_VALUES, _STACKED = _shape_tables()
_SHAPE_PHI = _BLOCK_VALUES[0][_SHAPE_BLOCK, _SHAPE_IPHI]
_SHAPE_PSI = _BLOCK_VALUES[1][_SHAPE_BLOCK, _SHAPE_IPSI]
# The refinement's four axes per shape of the full model's minimum: q, phi and psi of the full
# model, q of white noise. The index along each (within the shape's block; the q are the
# fund's own, 0 here), the size of each and the stride of a step along each in the scan's flat
# (q, shape) index.
_AXIS_INDEX = np.stack([np.zeros_like(_SHAPE_IPHI), _SHAPE_IPHI, _SHAPE_IPSI, np.zeros_like(_SHAPE_IPHI)], axis=1)
_AXIS_SIZE = np.stack([np.full_like(_SHAPE_NPHI, _Q_GRID.size), _SHAPE_NPHI, _SHAPE_NPSI,
                       np.full_like(_SHAPE_NPHI, _Q_GRID.size)], axis=1)
_AXIS_STRIDE = np.stack([np.full_like(_SHAPE_NPSI, N_SHAPES), _SHAPE_NPSI, np.ones_like(_SHAPE_NPSI),
                         np.full_like(_SHAPE_NPSI, N_SHAPES)], axis=1)
_STEPS = np.array([-1, 1])
_LOG_V = np.log(_V_GRID)
_SQRT_V = np.sqrt(_V_GRID)


def fit_noise_model(d: np.ndarray, lengths: np.ndarray | None = None, spans: np.ndarray | None = None) -> NoiseModelFit:
    """Whittle estimate of (s_u^2, sigma_eta^2, phi, psi) for each column of ``d`` (n, k).

    ``lengths`` (k,): the number of returns of each column, which fill it from the top (what
    lies below them is ignored), at least ``MIN_RETURNS``; None: every column is complete.
    ``spans`` (n, k): the periods each return spans, or None: one each (see
    ``reference.fit_noise_model``). Each fund is fitted to its most recent ``fit_lengths(n)``
    returns. The grid depends on that length, so the scan runs once per length, over the funds
    of that length; everything else runs over all the funds at once.

    The scan runs in single precision. The funds whose end effect takes most of the
    periodogram's weight somewhere near their minimum, as one return far from the others a
    few returns from either end of a noise-only fund's fitted returns does, are fitted again
    together with the scan in double precision (``fast_grid.CANCELLATION_LIMIT``). A fund
    right at the limit may be fitted again alone and not in a panel, or the other way
    round: its figures then differ by the scan's accuracy, as they may anyway.
    """
    d = np.asarray(d, dtype=float)
    if d.ndim == 1:
        d = d[:, None]
    fit, imprecise = _fit(d, lengths, spans, double=False)
    again = np.flatnonzero(imprecise)
    if again.size:
        redone, _ = _fit(d[:, again], None if lengths is None else np.asarray(lengths)[again],
                         None if spans is None else np.asarray(spans)[:, again], double=True)
        fit = NoiseModelFit(**{f.name: _with_columns(getattr(fit, f.name), again, getattr(redone, f.name))
                               for f in fields(NoiseModelFit)})
    return fit


def _with_columns(values: np.ndarray, columns: np.ndarray, replacements: np.ndarray) -> np.ndarray:
    """A copy of ``values`` (k,) with ``replacements`` at ``columns``."""
    values = np.array(values, dtype=float)
    values[columns] = replacements
    return values


def _fit(d: np.ndarray, lengths, spans, double: bool):
    """fit_noise_model's fit of ``d`` (n, k), the scan in single or ``double`` precision; and
    which funds the scan in single precision could not resolve (all False in double)."""
    check_lengths(lengths, d.shape)
    d, lengths, spans = _most_recent(d, lengths, check_spans(spans, d.shape, lengths))
    n, kf = d.shape
    raw = d
    span = np.ones(kf)  # each fund's mean span
    if spans is not None:
        # Funds whose returns span several periods: fitted less k_t times their drift per period.
        inside, k_in, uneven = spans_within(spans, lengths)
        span = k_in.sum(axis=0) / (n if lengths is None else np.asarray(lengths))
        uneven = np.flatnonzero(uneven)
        if uneven.size:
            d_in = np.where(inside[:, uneven], d[:, uneven], 0.0)
            d = d.copy()
            d[:, uneven] = d_in - k_in[:, uneven] * (d_in.sum(axis=0) / k_in[:, uneven].sum(axis=0))
    if lengths is None or np.all(lengths == lengths[0]):
        ns, group, members = np.array([n if lengths is None else lengths[0]]), np.zeros(kf, dtype=np.intp), [slice(None)]
    else:
        ns, group = np.unique(lengths, return_inverse=True)
        members = np.split(np.argsort(group, kind="stable"), np.cumsum(np.bincount(group))[:-1])
    grids = grids_for_lengths(ns)
    if double:
        grids = [g.in_double() for g in grids]
    kbars = [g.kbar for g in grids]
    # The dispersion widens what is read off the likelihood ratio, and so how much of the
    # grid the scan must read.
    c = dispersions(d, lengths)
    margins = scan_margins(c)
    n_q = _Q_GRID.size
    # Per fund, padded to MAX_BINS bins and to the widest q range scanned.
    ibar, cbar, weights = np.zeros((3, kf, MAX_BINS))
    scale, q_lo, nq, exact = np.empty(kf), np.empty(kf, dtype=np.intp), np.empty(kf, dtype=np.intp), np.empty(kf, dtype=bool)
    cancellation = np.empty(kf)
    windows, unbinned = [], []
    for g, cols in enumerate(members):
        # Each grid is let go once scanned: the memory of one length's scan rows is then used
        # again for the next length's, where fresh memory would take longer to fill than the
        # rows take to compute.
        grid, grids[g] = grids[g], None
        dg = d[: grid.n, cols]
        binned, scale[cols], raw_ordinates = binned_ordinates(dg, unbinned=True)
        unbinned.append(raw_ordinates)
        bins = binned.shape[0]
        ibar[cols, :bins], cbar[cols, :bins] = binned[:, 0].T, binned[:, 1].T
        weights[cols, :bins] = grid.weights
        # A fund that tracks exactly (every difference zero) has nothing to estimate.
        if spans is None:
            # Nearly every fund differs in its first two returns: the others' columns are
            # compared whole.
            same = dg[1] == dg[0]
            if same.any():
                same[same] = ~np.any(dg[:, same] != dg[:1, same], axis=0)
            exact[cols] = same
        else:
            per = raw[: grid.n, cols] / spans[: grid.n, cols]
            exact[cols] = ~np.any(per != per[:1], axis=0)
        first, window, cancellation[cols] = scan_near_minimum(_scan_ordinates(binned, grid), grid, margins[cols])
        q_lo[cols], nq[cols] = first, window.shape[1]
        windows.append((window, grid.logdet_by_q(first, first + window.shape[1] - 1)))
    del grid
    if len(windows) == 1:
        obj, logdet = windows[0][0], windows[0][1][None]  # one table for every fund
    else:
        obj = np.full((kf, nq.max(), N_SHAPES), np.inf, dtype=windows[0][0].dtype)  # +inf: padding
        logdet = np.zeros(obj.shape, dtype=obj.dtype)
        for cols, (window, window_logdet) in zip(members, windows):
            obj[cols, : window.shape[1]] = window
            logdet[cols, : window.shape[1]] = window_logdet
    del windows
    total = weights.sum(axis=1)
    w_total = weights / total[:, None]
    n_fund = ns[group]

    # The full model: the least grid value over every shape, refined within its block along
    # each axis by the parabola through it and its neighbours (about a centre moved off the
    # edge of the block). White noise: the least value over q at shape 0 (phi = psi = 0),
    # refined along q. All ten stencil points evaluated at once in double precision, the four
    # parabolas (full q, phi, psi; white q) drawn at once.
    flat = obj.reshape(kf, -1).argmin(axis=1)
    iq, shape = np.divmod(flat, N_SHAPES)
    iq += q_lo
    iq_white = obj[:, :, 0].argmin(axis=1) + q_lo
    block = _SHAPE_BLOCK[shape]
    idx = _AXIS_INDEX[shape]  # (k, 4), phi and psi within the block
    idx[:, 0], idx[:, 3] = iq, iq_white
    sizes, strides = _AXIS_SIZE[shape], _AXIS_STRIDE[shape]
    shift = np.minimum(np.maximum(idx, 1), sizes - 2) - idx  # centre - argmin
    moves = ((shift[:, :, None] + _STEPS) * strides[:, :, None]).reshape(kf, 8)
    points = np.empty((kf, 10), dtype=np.intp)
    points[:, 0] = iq * N_SHAPES + shape
    points[:, 1:7] = points[:, :1] + moves[:, :6]
    points[:, 7] = iq_white * N_SHAPES  # the white minimum itself, then its neighbours along q
    points[:, 8:] = points[:, 7:8] + moves[:, 6:]
    pq, pshape = np.divmod(points, N_SHAPES)
    kb = np.ones((kf, points.shape[1], MAX_BINS))
    for kbar, cols in zip(kbars, members):
        kb[cols, :, : kbar.shape[0]] = kbar[:, pshape[cols]].transpose(1, 2, 0)
    h = _Q_GRID[pq][:, :, None] + (1.0 - _Q_GRID[pq])[:, :, None] * kb  # (k, 10, bins)
    stencil, _ = _objective(ibar[:, None], cbar[:, None], w_total[:, None], n_fund[:, None], h)
    # Values at centre-1, centre, centre+1 along each axis; no step off an edge minimum.
    grid_best = stencil[:, [0, 7]]  # (k, 2): the full model, white noise
    lo, hi = stencil[:, [1, 3, 5, 8]], stencil[:, [2, 4, 6, 9]]  # (k, 4)
    curv = lo - 2.0 * stencil[:, [0, 0, 0, 7]] + hi
    frac = idx + _parabola_step(lo, hi, curv, (idx > 0) & (idx < sizes - 1) & (curv > 0))
    q = np.interp(frac[:, [0, 3]], np.arange(n_q), _Q_GRID)
    phi, psi = np.zeros((2, kf, 2))
    # phi and psi off their blocks' values, both in one pass: (phi rows, psi rows) at (k, 2).
    phi[:, 0], psi[:, 0] = _interp_rows(_BLOCK_VALUES[:, block].reshape(2 * kf, -1), frac[:, 1:3].T.ravel()).reshape(2, kf)
    # The full model's refined point needs its own kernel, unless its shape is the grid
    # minimum's (no parabola moved phi or psi: a minimum on the edge of its block along both
    # axes, as for most funds whose noise is white), whose kernel is in the stencil. White
    # noise's is the length's kernel of shape 0, also in the stencil.
    val, sigma2 = np.empty((2, kf, 2))
    val[:, 0], sigma2[:, 0] = _refined_objective(ibar, cbar, w_total, n_fund, q[:, 0], phi[:, 0], psi[:, 0],
                                                 shape, kb[:, 0])
    h_white = kb[:, 7] * (1.0 - q[:, 1:])
    h_white += q[:, 1:]
    val[:, 1], sigma2[:, 1] = _objective(ibar, cbar, w_total, n_fund, h_white)
    worse = val > grid_best  # the parabolic steps overshot: keep the grid point
    if worse.any():
        grid_point = np.stack([np.stack([_Q_GRID[iq], _Q_GRID[iq_white]], axis=1),
                               np.stack([_SHAPE_PHI[shape], np.zeros(kf)], axis=1),
                               np.stack([_SHAPE_PSI[shape], np.zeros(kf)], axis=1)])
        q, phi, psi = (np.where(worse, g, x) for g, x in zip(grid_point, (q, phi, psi)))
        rows = np.flatnonzero(worse.any(axis=1))
        val[rows], sigma2[rows] = _concentrated(ibar[rows], cbar[rows], w_total[rows], n_fund[rows],
                                                q[rows], phi[rows], psi[rows])
    best = np.minimum(val, grid_best)
    # White noise unless the full model's likelihood ratio against it, over the dispersion,
    # is above CHI2_SELECT.
    white = 2.0 * total * (best[:, 1] - best[:, 0]) / c <= CHI2_SELECT
    pick = lambda x: np.where(white, x[:, 1], x[:, 0])  # noqa: E731
    q, phi, psi, sigma2, best = pick(q), pick(phi), pick(psi), pick(sigma2), pick(best)
    lower, upper, mean = _profile_interval(obj, logdet, best, total, q_lo, nq, white, c)
    s_u2 = sigma2 * q * scale
    # A fund that tracks exactly has every figure zero (most panels have none: nothing to set).
    zero = (lambda x: np.where(exact, 0.0, x)) if exact.any() else (lambda x: x)  # noqa: E731
    p = fit_tests(unbinned, members, ns, kf, q, phi, psi, c)
    fit = NoiseModelFit(
        persistent_var=zero(s_u2 / span),
        persistent_var_lower=zero(np.minimum(lower * scale, s_u2) / span),
        persistent_var_upper=zero(np.maximum(upper * scale, s_u2) / span),
        persistent_var_mean=zero(mean * scale / span),
        noise_var=zero(sigma2 * (1.0 - q) * scale),
        noise_phi=zero(phi),
        noise_psi=zero(psi),
        dispersion=np.where(exact, 1.0, c),
        span=span,
        fit_pvalue=np.where(exact, np.nan, p),
    )
    return fit, (cancellation > CANCELLATION_LIMIT) & ~exact & (not double)


def _scan_ordinates(binned: np.ndarray, grid) -> np.ndarray:
    """The binned ordinates (bins, 2, k) of funds of ``grid``'s length that the scan reads, in
    the grid's precision, shifted by each fund's end effect under white noise.

    The objective profiles the end effect out: its scale S = A1 - A2^2 / A3 is the least over
    delta of mean(w (I - 2 delta C + delta^2 / n) / h), and shifting delta by any delta0 (I by
    -2 delta0 C + delta0^2 / n, C by -delta0 / n) leaves that least value as it is. A first
    return far from the others adds the same real number to every ordinate, as a large end
    effect does: A1 and A2^2 / A3 then both grow with its square, and their difference
    cancels in single precision (a first return 300 times the spread of the others moved the
    grid minimum, and s_u^2 by 99%).
    Shifted by delta0 = n sum(w C) / sum(w), the least over delta at h = 1, the end effect
    is nearly gone from the ordinates at every h, and S is the difference of two numbers of
    its own size. The shift is taken in double precision; the refinement, in double
    precision, reads the ordinates as they are.
    """
    i_bar, c_bar = binned[:, 0], binned[:, 1]  # (bins, k)
    n = grid.n
    delta0 = n * (grid.weights @ c_bar) / grid.total
    shifted = np.empty(binned.shape, dtype=grid.dtype)
    shifted[:, 0] = i_bar - 2.0 * delta0 * c_bar + delta0 * delta0 / n
    shifted[:, 1] = c_bar - delta0 / n
    return shifted


def _most_recent(d: np.ndarray, lengths, spans):
    """The returns the noise model is fitted to, each column's most recent ``fit_lengths(n)``
    of its n, moved to the top of the column, with their lengths and spans (None where those
    all span one period; as ``reference._most_recent`` for one fund).

    Nothing is copied where no column leaves a return out (every length on the ladder) or
    where every column leaves out as many: a view of the rows kept. Otherwise each column is
    copied on its own, into a column-major array.
    """
    rows, k = d.shape
    n = np.full(k, rows) if lengths is None else np.asarray(lengths)
    kept = fit_lengths(n)
    left_out = n - kept
    if not left_out.any():
        return d, lengths, spans
    if np.all(left_out == left_out[0]):
        part = slice(int(left_out[0]), int(left_out[0] + kept.max()))
        lengths = None if lengths is None else kept
        return d[part], lengths, None if spans is None else check_spans(spans[part], d[part].shape, lengths)
    recent = np.zeros((kept.max(), k), order="F")
    recent_spans = None if spans is None else np.ones(recent.shape, order="F")
    for j, (start, stop) in enumerate(zip(left_out.tolist(), n.tolist())):
        recent[: stop - start, j] = d[start:stop, j]
        if spans is not None:
            recent_spans[: stop - start, j] = spans[start:stop, j]
    return recent, kept, None if spans is None else check_spans(recent_spans, recent.shape, kept)


def _refined_objective(ibar, cbar, w_total, ns, q, phi, psi, shape, kernel):
    """Objective and scale (k,) at the refined points (q, phi, psi) (k,) of the full model.

    ``shape`` (k,) is the flat index of the grid minimum's shape and ``kernel`` (k, MAX_BINS)
    its kernel at each fund's length. Where phi and psi are that shape's, the kernel is
    that one; elsewhere it is computed at the refined point (_concentrated).
    """
    h = kernel * (1.0 - q)[:, None]
    h += q[:, None]
    val, sigma2 = _objective(ibar, cbar, w_total, ns, h)
    moved = np.flatnonzero((phi != _SHAPE_PHI[shape]) | (psi != _SHAPE_PSI[shape]))
    if moved.size:
        val[moved], sigma2[moved] = (x[:, 0] for x in _concentrated(
            ibar[moved], cbar[moved], w_total[moved], ns[moved], q[moved, None], phi[moved, None], psi[moved, None]))
    return val, sigma2


def _interp_rows(values: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Each row of ``values`` (k, size) read at its fractional index ``at`` (k,), linearly,
    as np.interp over the row's own values (``at`` within them)."""
    i = np.floor(at).astype(np.intp)
    i = np.where(i < at, i, np.maximum(i - 1, 0))  # np.interp's interval: x in (x_i, x_i+1]
    rows = np.arange(values.shape[0])
    lo, hi = values[rows, i], values[rows, np.minimum(i + 1, values.shape[1] - 1)]
    return np.where(at == i, lo, (hi - lo) * (at - i) + lo)


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
    # A few funds at a time: their terms (about half a megabyte) stay in the cache from the
    # sum to the minimum, where a larger chunk would go out to memory and back.
    chunk = max(1, 65_536 // (_V_GRID.size * base.shape[1]))
    for s in range(0, kf, chunk):
        sl = slice(s, s + chunk)
        terms = base[sl, None, :] + sq[sl, None, :] / _V_GRID[None, :, None]
        prof[sl] = _LOG_V + _parabolic_min(terms)[0]
    return prof


def _profile_interval(obj, logdet, best, total, q_lo, nq, white, c):
    """95% likelihood-ratio interval for s_u^2 (in the units of the scaled periodogram).

    ``obj`` (k, q, shapes) and ``logdet`` (the same, or one table for every fund) cover, for
    each fund, the ``nq`` q of GRID.q from index ``q_lo`` on: those near its minimum (the
    others are too unlikely to matter), then padding (an ``obj`` of +inf). ``best``, ``total``,
    ``white`` (the model kept is white noise: shape 0 alone) and ``c`` (the dispersion: the
    interval is read at c times the chi2 points) are per fund. The profile is a minimum over
    grid points; taken literally, the grid spacing inflates the likelihood ratio by about one
    unit, enough to make a 95% interval cover 85%. Parabolic interpolation of the minimum,
    over psi, phi (within each block of shapes) and then q, removes that error.
    """
    kf, n_pad, _ = obj.shape
    iq = q_lo[:, None] + np.arange(n_pad)
    q = _Q_GRID[np.minimum(iq, _Q_GRID.size - 1)]
    # White noise: shape 0 alone. The full model: over psi within each block, then over phi
    # over the blocks' rows stacked with a row of +inf between them (the parabola drawn about
    # the least point of all, within its block), for the funds that keep it.
    obj_q = obj[:, :, 0].astype(float)
    ld_q = np.broadcast_to(logdet[:, :, 0], obj_q.shape).astype(float)
    full = np.flatnonzero(~white)
    if full.size:
        sub = obj if full.size == kf else obj[full]
        stacked = np.full(sub.shape[:2] + (_STACKED[0] * _STACKED[1],), np.inf, dtype=obj.dtype)
        stacked[:, :, _STACKED_AT] = sub
        stacked_ld = np.zeros((logdet.shape[0] if logdet.shape[0] == 1 else full.size,) + stacked.shape[1:],
                              dtype=obj.dtype)
        stacked_ld[:, :, _STACKED_AT] = logdet if logdet.shape[0] == 1 or full.size == kf else logdet[full]
        obj_p, ipsi = _parabolic_min(stacked.reshape(sub.shape[:2] + _STACKED))  # over psi: (k, nq, rows)
        ld_p = _interp_last(stacked_ld.reshape(stacked_ld.shape[:2] + _STACKED), ipsi)
        ridge, iphi = _parabolic_min(obj_p)  # over phi: (k, nq)
        obj_q[full], ld_q[full] = ridge, _interp_last(ld_p, iphi)
    # q = 0 is the boundary, tested on its own below; it and the padding stay out of the profile.
    use = (iq > 0) & (np.arange(n_pad) < nq[:, None])
    s_q = np.where(use, np.exp(np.where(use, obj_q - ld_q, 0.0)), 0.0)  # concentrated scale S(q)
    base = np.where(use, ld_q - np.log(np.where(use, q, 1.0)), np.inf)
    prof = _profile_over_v(base, s_q, q)
    # At its optimum over the scale, the unconcentrated objective is the concentrated one + 1.
    best = np.minimum(best, prof.min(axis=1) - 1.0)
    lr_raw = 2.0 * total[:, None] * (prof - 1.0 - best[:, None])
    lr = lr_raw / c[:, None]
    lr_at_zero = np.where(q_lo == 0, 2.0 * total * (obj_q[:, 0] - best), np.inf) / c
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
    weight = np.exp(-0.5 * (lr_raw - lr_raw.min(axis=1, keepdims=True))) * _SQRT_V
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
    """Objective and scale at (q, phi, psi) (k, j), j points per fund: rows (k, MAX_BINS) as in
    _objective; returns (k, j)."""
    h = binned_kernels(ns, phi, psi[:, :, None])[:, :, :, 0].transpose(0, 2, 1)  # (k, j, bins)
    h *= (1.0 - q)[:, :, None]
    h += q[:, :, None]
    return _objective(ibar[:, None], cbar[:, None], w_total[:, None], ns[:, None], h)
