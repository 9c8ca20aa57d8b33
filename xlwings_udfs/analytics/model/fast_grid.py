"""Fast path: the scan of the concentrated objective over the grid, in single precision.

What it speeds up. The estimate starts from the minimum of the concentrated objective over
the whole grid (195 q times 73 noise shapes: 9 x 7 that catch up, 5 + 5 that overshoot),
and the profile interval reads it at every q. For one length, everything in the objective but the fund's ordinates is the same for
every fund: 1/h at each grid point and bin (weighted), the log-determinant term
sum_b w_b log h_b and A3 = sum_b w_b / (n h_b). Those are tabulated once per length
(``ScanGrid``), in single precision, and the objective of all the funds of that length is then
two matrix products of their ordinates with the table (A1 and A2 of every point at once).
Three further savings:

* *Levels.* The q are scanned coarse to fine: every 16th q, then every 4th next to the best of
  those, then every q next to the best of those ("next to": a likelihood ratio within the
  fund's margin of the best so far, plus one step either side). What is read off the scan
  must lie within the margin, with room for the coarse levels' error (a q between two coarse
  ones can lie below both; the simulated scenarios needed a room of 11 to 26, though a
  narrow enough minimum can hide between two coarse q whatever the room): the choice of
  white noise (a likelihood ratio up to CHI2_SELECT times the fund's dispersion c), the
  interval (CHI2_95 times c, from the minimum of the model kept, which for white noise lies
  up to CHI2_SELECT times c above the best of all shapes) and the mean of s_u^2 (weights
  exp(-LR/2), whatever c). So the margin (``scan_margins``) is ``_SCAN_MARGIN`` = 60 at
  c = 1 and grows by CHI2_SELECT + CHI2_95 for each unit of c above 1: the interval keeps a
  room of 47 or more whatever c, and the mean's weights beyond the margin are below e^-25.
  (A margin of 60 whatever c cut the interval of funds whose variance changes a lot, c of 8
  and more, as through 2008: in simulations, bounds off by a quarter at c of 20-25, and a
  lower bound three times too high at c = 24.) For one fund with a long history a sixth to
  two fifths of the grid is read (all of it for a very short one).
* *Lazily built rows.* Only the rows a scan reads are ever built, a page of ``_PAGE`` q at a
  time, and the table of the last few lengths is kept (``grids_for_lengths``): a panel whose
  funds have many lengths would otherwise spend most of its time building rows nobody reads,
  and a workbook uses the same lengths again and again.
* *Single precision* halves the memory traffic of the scan.

How close it is. Rows are built whole pages at a time, always the same pages, so the table
does not depend on which funds built which rows earlier. The scan's values are accurate to a
few 1e-7 (single-precision rounding, and the cancellation in S = A1 - A2^2 / A3, kept small
by the ordinates' shift by the end effect: ``fast_fit._scan_ordinates``), and its sums
run in an order that can depend on the range of rows scanned, on how many funds share the
length (one or two funds: one matrix-vector product each; more: a matrix product), and on
the processor and the BLAS library's version, so a fund's figures can move at that level
with the other funds of its length and from one machine to another. Against a
double-precision scan of the whole grid (``reference.fit_noise_model``): the estimates are
refined in double precision and agree to rounding, unless two grid points tie within that
accuracy, where the refinement may start from the other one (an estimate as good by the
likelihood, to a likelihood ratio of a few 1e-3; a tracking error of zero may become a tiny
positive one). What is read off the scanned values directly, the interval bounds and the
mean of s_u^2 (and so the drift's standard error), agree to about 1e-5 relative, and to 1e-3
where a rounding moves the minimum of the profile along one of its axes to the neighbouring
grid point (the parabola is then drawn through the other three points).

Where the end effect takes most of A1 near a fund's minimum (A2^2 / A3 many times S), S
cancels in single precision. The shift by white noise's end effect takes a large first
return out, but not one tens of times the spread of the others a few returns from either end
(a bad price there), which is partly an end effect at some shapes only. In funds whose
deviations are all noise, a second or last return 30 or 100 times the spread moved the
bounds by up to 2e-2 relative, and a second price 300 times the spread off for a day the
lower bound by 4e-2. So the scan measures the cancellation, the largest (A2^2 / A3) / S at
its coarsest level's points within the fund's margin, and ``fast_fit.fit_noise_model`` fits
a fund whose cancellation is above ``CANCELLATION_LIMIT`` again with the grid's twin in
double precision (``ScanGrid.in_double``): the reference's figures to rounding.
Such returns put noise-only funds at 20 to 160. Of simulated funds without them, 6% of
noise-only funds of 60 returns go above the limit (where a fit costs little), 0.15% of 250
returns and none of 500 or more; of white and AR(1) funds, 0.5% of 60 returns and none of
more. In funds with persistent deviations, a second or last return up to 100 times the
spread stays below it (up to about 3), the bounds within 4e-5 of the reference's; a second
price 300 times the spread off goes above. Just below the limit, a noise-only fund's bounds
can be 3e-4 off (a second return 3.75 times the spread: cancellation 3.2).

Plain equivalent: ``reference.fit_noise_model`` evaluates the objective in double precision
at every point of the grid, one fund at a time.
"""
from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections import OrderedDict

import numpy as np

from .definition import CHI2_95, CHI2_SELECT, GRID
from .fast_kernel import grid_kernels
from .spectrum import MAX_BINS, bin_edges, bin_widths

__all__ = ["BLOCKS", "CANCELLATION_LIMIT", "N_SHAPES", "ScanGrid", "grids_for_lengths", "scan_margins",
           "scan_near_minimum"]

_Q_GRID = GRID.q


def _shape_layout():
    """The noise shapes of every block of GRID, flattened phi-major block after block: their
    offsets, (phi, psi) sizes and grid values."""
    blocks, offset = [], 0
    for phi, psi in GRID.blocks:
        blocks.append((offset, phi, psi))
        offset += phi.size * psi.size
    return tuple(blocks), offset


#: (offset, phi values, psi values) of each block of shapes, and the number of shapes.
BLOCKS, N_SHAPES = _shape_layout()
_LEVEL_STRIDES = (16, 4, 1)
_SCAN_MARGIN = 60.0
#: A fund whose scan shows a cancellation, (A2^2 / A3) / S, above this is fitted again with
#: the scan in double precision (module docstring, "How close it is"). S is the difference
#: of A1 and A2^2 / A3, whose sum is (1 + 2 x the cancellation) S, and its rounding grows
#: about as that sum: 4 allows about nine times that of a fund without an end effect.
CANCELLATION_LIMIT = 4.0


def scan_margins(c: np.ndarray) -> np.ndarray:
    """How far above the least likelihood ratio a q stays in play, for funds of dispersion
    ``c`` (module docstring, "Levels")."""
    # (fmax: a dispersion that could not be computed, NaN, leaves the margin at c = 1)
    return _SCAN_MARGIN + (CHI2_SELECT + CHI2_95) * (np.fmax(c, 1.0) - 1.0)


def _scan_levels() -> tuple[np.ndarray, ...]:
    """The q indices each level adds, ascending; every level includes the last q."""
    taken = np.zeros(_Q_GRID.size, dtype=bool)
    levels = []
    for stride in _LEVEL_STRIDES:
        q = np.union1d(np.arange(0, _Q_GRID.size, stride), [_Q_GRID.size - 1])
        q = q[~taken[q]]
        taken[q] = True
        levels.append(q)
    return tuple(levels)


# The table stores its q level by level, each level by q, so that the q of one level within a
# range are one contiguous block of rows ("slots" count q in that stored order).
_LEVELS = _scan_levels()
_LEVEL_LISTS = [q.tolist() for q in _LEVELS]  # for bisect
_LEVEL_START = np.cumsum([0] + [q.size for q in _LEVELS])
_STORED_Q = np.concatenate(_LEVELS)
_SLOT_OF_Q = np.argsort(_STORED_Q)
# Rows are built a page of slots at a time, always the same pages: a matrix-vector product
# may sum a row in an order that depends on how many rows it is given, and the table must not
# depend on which rows earlier funds happened to build.
_PAGE = 4


class ScanGrid:
    """Everything about the profile grid that depends only on the sample length n.

    Shapes are flattened phi-major, block after block (``BLOCKS``): shape index = offset of the
    block + i_phi * (its psi values) + i_psi. ``kbar``
    (bins x shapes) is the binned noise kernel in double precision, for the refinement. The
    scan rows (points (q, shape), q in slot order; ``inv_h_t`` points x bins, ``logdet`` and
    ``a3`` one value per point) are in ``dtype``: single precision, or double for the twin
    that ``in_double`` gives, for the few funds whose scan in single precision cancels
    (``scan_near_minimum``).

    The scan rows of a q are computed the first time a scan reads them. The arrays are
    allocated whole by the first scan (about 6 MB for all the rows; the memory pages of rows
    never built are mostly never touched). ``kbar`` comes from grids_for_lengths, which
    computes the kernels of many lengths together.
    """

    def __init__(self, n: int, kbar: np.ndarray, dtype=np.float32):
        self.n = n
        self.dtype = np.dtype(dtype)
        self.weights = bin_widths((n - 1) // 2)
        self.total = self.weights.sum()
        self.kbar = kbar  # (bins, shapes), from grids_for_lengths
        self._k = np.ascontiguousarray(self.kbar.T, dtype=self.dtype)  # (shapes, bins)
        self._wt = (self.weights / self.total).astype(self.dtype)
        self.inv_h_t = self.logdet = self.a3 = None  # allocated by the first scan
        self._built = np.zeros(_Q_GRID.size, dtype=bool)  # by slot
        self._lock = threading.Lock()  # xlwings Server may run two calls at once

    def in_double(self) -> "ScanGrid":
        """The same grid with its scan rows in double precision.

        Few funds need it, and its rows take twice the memory (up to 13 MB): the twins of the
        last two lengths asked for are kept (a workbook recalculates the same funds again).
        """
        if self.dtype == np.float64:
            return self
        with _GRID_CACHE_LOCK:
            twin = _DOUBLE_CACHE.get(self.n)
            if twin is None:
                twin = _DOUBLE_CACHE[self.n] = ScanGrid(self.n, self.kbar, np.float64)
                while len(_DOUBLE_CACHE) > _DOUBLE_CACHE_SIZE:
                    _DOUBLE_CACHE.popitem(last=False)
            else:
                _DOUBLE_CACHE.move_to_end(self.n)
        return twin

    def rows(self, first: int, stop: int) -> slice:
        """The scan rows of slots first..stop-1, built if they are not yet."""
        if not self._built[first:stop].all():
            with self._lock:
                if self.inv_h_t is None:
                    n_shapes, n_bins = self._k.shape
                    points = _Q_GRID.size * n_shapes
                    self.inv_h_t = np.empty((points, n_bins), dtype=self.dtype)
                    self.logdet = np.empty(points, dtype=self.dtype)
                    self.a3 = np.empty(points, dtype=self.dtype)
                    self._wt_row = np.tile(self._wt, n_shapes)  # the weights of a slot's row of h
                    self._inv_n = np.full(n_bins, 1.0 / self.n, dtype=self.dtype)
                # Pages not built yet (by their first slots), in runs of consecutive pages,
                # each run built at once.
                page = first // _PAGE
                runs = []
                for p in (np.flatnonzero(~self._built[page * _PAGE : stop : _PAGE]) + page).tolist():
                    if runs and runs[-1][1] == p:
                        runs[-1][1] = p + 1
                    else:
                        runs.append([p, p + 1])
                for p0, p1 in runs:
                    self._build(p0 * _PAGE, min(p1 * _PAGE, _Q_GRID.size))
        n_shapes = self._k.shape[0]
        return slice(first * n_shapes, stop * n_shapes)

    def logdet_by_q(self, q_lo: int, q_hi: int) -> np.ndarray:
        """log-determinant term, (q, shape), for the q of GRID.q from q_lo to q_hi (built)."""
        return self.logdet.reshape(_Q_GRID.size, -1)[_SLOT_OF_Q[q_lo : q_hi + 1]]

    def _build(self, first: int, stop: int) -> None:
        """Rows of slots first..stop-1, whole pages."""
        n_shapes, n_bins = self._k.shape
        # One row of h per slot, every shape and bin of it: the operations then run along
        # rows of shapes x bins values, not of bins alone.
        q = _Q_GRID[_STORED_Q[first:stop]].astype(self.dtype)[:, None]
        h = (1.0 - q) * self._k.reshape(-1)
        h += q  # in place: q + (...) broadcasts q through a slow loop, several times longer
        rows = slice(first * n_shapes, stop * n_shapes)
        np.divide(self._wt_row, h, out=self.inv_h_t[rows].reshape(stop - first, -1))
        log_h = np.log(h, out=h).reshape(-1, n_bins)
        # A3 = mean(w / (n h)) of the end-effect profile, the same for every fund. The sums
        # are taken a page at a time: how a matrix-vector product splits its rows between
        # threads, and so how it rounds a row's sum, depends on how many rows it is given.
        # (A stack of pages is one matrix-vector product per page; the last page of the grid
        # is short.)
        inv_h_t, a3, logdet = self.inv_h_t[rows], self.a3[rows], self.logdet[rows]
        page = _PAGE * n_shapes
        whole = inv_h_t.shape[0] // page * page
        for table, vector, out in ((inv_h_t, self._inv_n, a3), (log_h, self._wt, logdet)):
            np.matmul(table[:whole].reshape(-1, page, n_bins), vector, out=out[:whole].reshape(-1, page))
            if whole < table.shape[0]:
                out[whole:] = table[whole:] @ vector
        self._built[first:stop] = True


_GRID_CACHE: OrderedDict[int, ScanGrid] = OrderedDict()
_GRID_CACHE_SIZE = 16
_DOUBLE_CACHE: OrderedDict[int, ScanGrid] = OrderedDict()
_DOUBLE_CACHE_SIZE = 2
_GRID_CACHE_LOCK = threading.Lock()


def grids_for_lengths(ns: np.ndarray) -> list[ScanGrid]:
    """The grid of each length of ``ns``; the kernels of those not cached computed together.

    The last few grids used are cached: the lengths of a workbook's funds are used again and
    again, while a panel with many launch dates uses each length once per call anyway.
    """
    ns = np.asarray(ns).tolist()
    with _GRID_CACHE_LOCK:
        grids = [_GRID_CACHE.get(n) for n in ns]
        for n, g in zip(ns, grids):
            if g is not None:
                _GRID_CACHE.move_to_end(n)
    missing = [n for n, g in zip(ns, grids) if g is None]
    if missing:
        blocks = [(phi, psi) for _, phi, psi in BLOCKS]
        kbars = [k.reshape(len(missing), MAX_BINS, -1) for k in grid_kernels(np.array(missing), blocks)]
        made = {}
        for s, n in enumerate(missing):
            bins = bin_edges((n - 1) // 2).size - 1
            made[n] = ScanGrid(n, np.concatenate([k[s, :bins] for k in kbars], axis=1))
        grids = [made[n] if g is None else g for n, g in zip(ns, grids)]
        with _GRID_CACHE_LOCK:
            for n, g in made.items():
                _GRID_CACHE.setdefault(n, g)  # another call may have cached it, with rows built
            while len(_GRID_CACHE) > _GRID_CACHE_SIZE:
                _GRID_CACHE.popitem(last=False)
    return grids


def _scan(ordinates: np.ndarray, grid: ScanGrid, rows: slice, out: np.ndarray, cancellation=None) -> None:
    """Concentrated objective (k x points, in the grid's precision) at the scan rows ``rows``
    of ``grid``, into ``out``; and, if ``cancellation`` (k x points) is given, the end
    effect's term over the scale there, (A2^2 / A3) / S, into it.

    ``ordinates`` (bins, 2, k), in the grid's precision: the binned periodogram I and real
    parts C of each fund. The end-effect term, common to all ordinates, is profiled out: for
    shape h the scale is S = A1 - A2^2 / A3 with A1 = mean(w I / h), A2 = mean(w C / h),
    A3 = mean(w / (n h)).
    """
    a3, logdet = grid.a3[rows], grid.logdet[rows]
    grid = grid.inv_h_t[rows]
    kf = ordinates.shape[2]
    chunk = max(1, 2_000_000 // max(grid.shape[0], 1))  # bounds memory on large panels
    for s in range(0, kf, chunk):
        both = ordinates[:, :, s : s + chunk].reshape(ordinates.shape[0], -1)  # the I, then the C
        # A fund or two: one matrix-vector product per column, the fastest pass over the grid
        # (a matrix product with two columns takes several times longer); a panel: one matrix
        # product.
        if both.shape[1] <= 4:
            prod = np.matmul(grid, both.T[:, :, None])[:, :, 0]  # a stack of matrix-vector products
        else:
            prod = both.T @ grid.T
        w = both.shape[1] // 2
        end = prod[w:] ** 2
        end /= a3  # A2^2 / A3
        sig = prod[:w]
        sig -= end
        np.maximum(sig, np.float32(1e-30), out=sig)
        if cancellation is not None:
            np.divide(end, sig, out=cancellation[s : s + chunk])
        np.add(np.log(sig, out=sig), logdet, out=out[s : s + chunk])


def scan_near_minimum(ordinates: np.ndarray, grid: ScanGrid, margins: np.ndarray):
    """The scan, level by level, over the q still in play, for funds of one length.

    ``ordinates`` as in _scan; ``margins`` (k,) from ``scan_margins``. Returns the first q
    index scanned in full, q_lo, the objective (k, q, shapes) at every q from there to the
    last, q_hi (the minimum of every fund, and all the q its interval can depend on, lie in
    that range), and each fund's cancellation (k,): the largest (A2^2 / A3) / S at the
    coarsest level's points within its margin (see ``CANCELLATION_LIMIT``).
    """
    kf = ordinates.shape[2]
    n_shapes = N_SHAPES
    # Filled where scanned, by slot (in the order of the table's rows: a level's q within a
    # range are consecutive slots), and the least value over the shapes of each slot.
    obj = np.empty((kf, _Q_GRID.size * n_shapes), dtype=grid.dtype)
    least = np.empty((kf, _Q_GRID.size), dtype=grid.dtype)
    scanned = np.zeros(_Q_GRID.size, dtype=bool)  # by q
    near_best = (margins / (2.0 * grid.total)).astype(grid.dtype)[:, None]  # in the objective's units
    q_lo, q_hi = 0, _Q_GRID.size - 1
    for level, q_level in enumerate(_LEVELS):
        i0, i1 = bisect_left(_LEVEL_LISTS[level], q_lo), bisect_right(_LEVEL_LISTS[level], q_hi)
        first, stop = _LEVEL_START[level] + i0, _LEVEL_START[level] + i1
        rows = grid.rows(first, stop)
        ratio = np.empty((kf, rows.stop - rows.start), dtype=grid.dtype) if level == 0 else None
        _scan(ordinates, grid, rows, obj[:, rows], ratio)
        if level == len(_LEVELS) - 1:
            break
        least[:, first:stop] = obj[:, rows].reshape(kf, stop - first, n_shapes).min(axis=2)
        if level == 0:  # the whole grid, every 16th q
            within = obj[:, rows] <= least[:, first:stop].min(axis=1, keepdims=True) + near_best
            cancellation = np.max(ratio, axis=1, where=within, initial=0.0)
            del ratio, within
        scanned[q_level[i0:i1]] = True
        q_in = np.flatnonzero(scanned[q_lo : q_hi + 1]) + q_lo
        by_q = least[:, _SLOT_OF_Q[q_in]]
        near = (by_q <= by_q.min(axis=1, keepdims=True) + near_best).any(axis=0)
        c0, c1 = np.flatnonzero(near)[[0, -1]]
        q_lo, q_hi = q_in[max(c0 - 1, 0)], q_in[min(c1 + 1, q_in.size - 1)]  # one step beyond
    # The last level leaves every q from q_lo to q_hi scanned.
    return q_lo, obj.reshape(kf, _Q_GRID.size, n_shapes)[:, _SLOT_OF_Q[q_lo : q_hi + 1]], cancellation
