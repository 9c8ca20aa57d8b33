"""The tracking model and its estimation: drift, persistent deviations and timing noise.

Model
-----
With :math:`d_t` the log return difference (fund minus index) and :math:`L_t=\\sum_{s\\le t} d_s`,

.. math::

    L_t = \\mu t + w_t + e_t,\\qquad w_t = w_{t-1} + u_t,\\; u_t \\sim (0, s_u^2),\\qquad
    (1-\\phi B) e_t = (1+\\psi B)\\eta_t,\\; \\eta_t \\sim (0, \\sigma_\\eta^2)

so :math:`d_t = \\mu + u_t + (1-B) e_t`. The drift :math:`\\mu` is the holding cost per period,
the random walk :math:`w` the persistent mis-tracking, and :math:`e` the stationary timing
noise (stale and fair-value prices, different cut-off times). ARMA(1,1) noise covers a
stale price that catches up gradually (:math:`\\phi>0`) or within a few days (:math:`\\psi>0`,
as in a shock absorbed over three days); :math:`\\phi=\\psi=0` is white noise, such as
bid-ask bounce in the levels. Both coefficients are kept non-negative: with opposite signs
the two factors can cancel (:math:`\\psi=-\\phi` is white noise again), a ridge along which the
likelihood is flat, and over which the profile likelihood of the tracking error becomes
overconfident (its 95% interval covered 75-80% over ten years). :math:`\\phi` is bounded by 0.8
(a half-life of about three periods): noise that reverts more slowly than that cannot be
told apart from persistent deviations in a few years of data, and is counted as persistent
(a quarterly dividend sawtooth in a price-return comparison, for instance).

Estimation
----------
1. *Spectrum: Whittle likelihood with the end effect profiled out.* The spectrum of
   :math:`d` is

   .. math::

       g(\\lambda) = s_u^2 + \\sigma_\\eta^2 k(\\lambda;\\phi,\\psi),\\qquad
       k(\\lambda;\\phi,\\psi) = 2(1-\\cos\\lambda)
       \\frac{1 + 2\\psi\\cos\\lambda + \\psi^2}{1 - 2\\phi\\cos\\lambda + \\phi^2}.

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
   closed form, and the objective in :math:`(q, \\phi, \\psi)` is evaluated on one fixed grid for
   every fund at once (matrix products of the binned ordinates with :math:`1/h`); parabolas
   through the grid minimum refine it, one axis at a time. The zero frequency, which carries the
   drift, is left out.
2. *Interval for* :math:`s_u^2`: the 95% likelihood-ratio (profile) interval, from the same
   grid: for :math:`s_u^2=v` the objective is :math:`\\log v-\\log q+\\overline{\\log h}+Sq/v`
   (S the concentrated scale), minimized over q with :math:`(\\phi, \\psi)` on their profile ridge.
   Unlike a Wald interval it is skewed like the estimate and reaches zero when the data
   allow it; zero, a boundary value, is tested against the 50:50 chi2(0)/chi2(1) mixture.
3. *Drift: GLS.* The model implies the ARMA(1,2) form
   :math:`(1-\\phi B)(d_t-\\mu) = (1-a_1B)(1-a_2B)a_t`, :math:`|a_i|\\le1` (spectral
   factorization of :math:`g(\\lambda)|1-\\phi e^{i\\lambda}|^2`: its palindromic quartic is a
   quadratic in :math:`z+1/z`, solved in closed form). Filtering by the inverse MA part (a
   real second-order recursion, applied as a convolution with its impulse response) turns it
   into a regression of the whitened data on the
   whitened constant and on the responses to the two unknown initial innovations. The
   coefficient on the constant is the GLS drift, :math:`\\sigma_a^2[(Z'Z)^{-1}]_{11}` its
   variance given the spectrum. The data need not be filtered themselves: the drift is a
   weighted sum of them, with the regression's weights taken back through the filter.
   Leaving the initial state free matters: when the noise
   dominates, the GLS drift approaches the slope of a trend line through the levels, whose
   error shrinks like :math:`n^{-3/2}`, against :math:`n^{-1}` for the point-to-point figure.
4. *Standard error of the drift.* :math:`s_u^2` is itself uncertain, and an estimate at
   zero would make the variance above far too small (the drift of a fund with undetected
   persistent deviations would look precise). The reported variance is averaged over that
   uncertainty: it is linear in :math:`s_u^2`, so it adds
   :math:`(\\bar s_u^2-\\hat s_u^2)\\lVert a\\rVert^2`, with :math:`a` the weights of the
   estimate and :math:`\\bar s_u^2` the mean of :math:`s_u^2` under the normalized profile
   likelihood with a flat prior on :math:`s_u` (the tracking error). With no persistent
   deviation at all, this makes the interval conservative.

Every function here takes one column per fund. fit_noise_model and gls_drift take columns of
different lengths, each filling its column from the top; the rest take complete (no NaN)
columns of equal length.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

__all__ = ["NoiseModelFit", "fit_noise_model", "gls_drift", "MIN_RETURNS"]

#: Fewest return observations for which the model is estimated.
MIN_RETURNS = 30

# Profile grid: q, the persistent share of the innovation variance, uniform in logit(q) so
# that it is as fine next to "no noise" (q -> 1, domestic funds) as next to "no persistent
# deviation" (q -> 0); phi from white noise to a three-period half-life; psi from none to a
# shock caught up over several days. Minima between grid points are found by parabolic
# interpolation, so the grid can be coarse.
_Q_GRID = np.concatenate([[0.0], 1.0 / (1.0 + np.exp(-np.linspace(-14.0, 10.0, 193))), [1.0]])
_PHI_GRID = np.linspace(0.0, 0.8, 9)
_PSI_GRID = np.linspace(0.0, 0.9, 7)
# The scan narrows in on the minimum over q in levels: every 16th q, then every 4th q next to
# the best of those, then every q next to the best of those ("next to": a likelihood ratio
# within _SCAN_MARGIN of the best so far, plus one step either side). The margin is far
# beyond the 95% interval (3.84) and the grid's own error (about 1): the q that the estimate,
# its interval and the mean of s_u^2 depend on are all scanned (the mean's weights beyond it
# are below e^-30). For one fund with a long history a sixth to two fifths of the grid is
# read (all of it for a very short one), and only what is read is ever built (see _Grid).
_LEVEL_STRIDES = (16, 4, 1)
_SCAN_MARGIN = 60.0


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


# The grid stores its q level by level, each level by q, so that the q of one level within a
# range are one contiguous block of rows ("slots" count q in that stored order).
_LEVELS = _scan_levels()
_LEVEL_START = np.cumsum([0] + [q.size for q in _LEVELS])
_STORED_Q = np.concatenate(_LEVELS)
_SLOT_OF_Q = np.argsort(_STORED_Q)
# Rows are built a page of slots at a time, always the same pages: a matrix-vector product
# may sum a row in an order that depends on how many rows it is given, and the grid must not
# depend on which rows earlier funds happened to build. (The scan itself is not so
# independent: its single-precision sums run in an order that depends on the range of rows
# scanned and on whether one or two funds (matrix-vector products) or more (one matrix
# product) share the length, which in a panel depends on the other funds. The interval
# bounds and the drift's standard error, read off the scanned profile, can move by about
# 5e-5 relative, 2e-4 where the tracking error is essentially zero; the estimates
# themselves, refined in double precision, by rounding, unless two grid points tie in single
# precision: a tracking error of zero may become one of 1e-5.)
_PAGE = 4
# Values of s_u^2, relative to the mean periodogram, at which the profile is evaluated.
_V_GRID = np.logspace(-7.0, 0.5, 151)
_LOG_V = np.log(_V_GRID)
_SQRT_V = np.sqrt(_V_GRID)
_CHI2_95 = 3.841458820694124
# s_u^2 = 0 lies on the boundary: its likelihood ratio is a 50:50 mixture of chi2(0) and
# chi2(1) (Self and Liang, 1987), whose 95% point is the 90% point of chi2(1).
_CHI2_95_BOUNDARY = 2.705543454095404
# Periodogram binning: the lowest frequencies, where the persistent part shows, one by one;
# higher ones, where the spectrum is smooth, in geometrically widening bins.
_SINGLE_FREQUENCIES = 48
_GEOMETRIC_BINS = 64
#: Most bins a periodogram has; figures over bins are padded to it, so that a fund's sums run
#: over the same layout in a panel as alone.
_MAX_BINS = _SINGLE_FREQUENCIES + _GEOMETRIC_BINS
# Frequencies (times values of phi) per chunk of the kernel's bin sums: bounds its memory.
_KERNEL_CHUNK = 400_000


@dataclass(frozen=True)
class NoiseModelFit:
    """Estimated spectrum parameters, one value per fund (arrays of shape (k,)).

    Attributes
    ----------
    persistent_var : s_u^2, variance per period of the persistent (random-walk) deviations.
    persistent_var_lower, persistent_var_upper : its 95% profile-likelihood interval.
    persistent_var_mean : its mean under the normalized profile likelihood (a flat prior on
        s_u >= 0), which the drift's standard error uses.
    noise_var : sigma_eta^2, innovation variance of the timing noise.
    noise_phi, noise_psi : AR and MA coefficients of the timing noise in levels.
    """

    persistent_var: np.ndarray
    persistent_var_lower: np.ndarray
    persistent_var_upper: np.ndarray
    persistent_var_mean: np.ndarray
    noise_var: np.ndarray
    noise_phi: np.ndarray
    noise_psi: np.ndarray


def _binned_kernel(ns: np.ndarray, phi: np.ndarray, psi: np.ndarray) -> np.ndarray:
    """Expected periodogram of the noise, end effect aside, averaged over each frequency bin.

    k_n(lambda; phi, psi) = w F(lambda), w = |1 - e^{-i lambda}|^2 = 4 sin^2(lambda / 2), with
    F the Fejer-smoothed spectrum of ARMA(1,1) e with unit innovations:
    F = gamma_0 + 2 gamma_1 Re[S_1 - S_2 / n], where gamma(h) = gamma_1 phi^(h-1) for h >= 1,
    S_1 = sum_{h=1}^{n-1} phi^(h-1) e^{i lambda h} and S_2 = sum_{h=1}^{n-1} h phi^(h-1)
    e^{i lambda h}. In closed form (e^{i lambda n} = 1 at the Fourier frequencies), with
    c = cos(lambda), D = 1 - 2 phi c + phi^2 and p = phi^(n-1):

        F = (1 + 2 psi c + psi^2) / D - 2 gamma_1 p (1 - phi c) / D
            - (2 gamma_1 / n) [(1 + (n-1) p phi)((1 + phi^2) c - 2 phi)
                               - n p (1 - phi^2 - 2 phi c + 2 phi^2 c^2)] / D^2,

    the ARMA spectrum and its finite-sample corrections. So k combines five functions of the
    frequency, w c^a / D^b, that depend on phi alone: their bin means are computed once per
    phi and combined with psi, in real arithmetic.

    Many sample lengths at once ("segments": the grids of a panel's lengths, or its funds):
    ``ns`` (S,) the length of each; ``phi`` (S, P), P values of phi per segment; ``psi``
    (S, P, J), J values of psi per phi. The frequencies of all the segments' bins are laid
    end to end and summed bin by bin, in chunks of whole bins so that memory grows with the
    widest bin, not with the lengths; a bin's sum never depends on the other segments. Returns
    (S, _MAX_BINS, P, J); the bins a segment does not have (a short one) are 1.
    """
    ns = np.asarray(ns)
    n_seg = ns.size
    phi = np.asarray(phi, dtype=float).reshape(n_seg, -1)
    n_phi = phi.shape[1]
    psi = np.asarray(psi, dtype=float).reshape(n_seg, n_phi, -1)
    # Pieces (segment, first bin, stop bin) of about a chunk of frequencies at most (a segment
    # longer than that is cut between bins, so a piece can exceed a chunk by one bin),
    # gathered into chunks.
    step = max(1, _KERNEL_CHUNK // n_phi)
    chunks, chunk, size = [], [], 0
    for s, n in enumerate(ns.tolist()):
        edges = _bin_edges((n - 1) // 2)
        cuts = [0, edges.size - 1] if edges[-1] <= step else \
            np.unique(np.concatenate([[0], np.searchsorted(edges, np.arange(step, edges[-1], step)), [edges.size - 1]])).tolist()
        for b0, b1 in zip(cuts[:-1], cuts[1:]):
            width = int(edges[b1] - edges[b0])
            if chunk and size + width > step:
                chunks.append(chunk)
                chunk, size = [], 0
            chunk.append((s, n, b0, b1))
            size += width
    chunks.append(chunk)
    shared = n_seg > 1 and bool(np.all(phi == phi[:1]))  # the same phi for every segment (grids)
    # Bin means of w c^a / D^b, (5, phi, segment, bins), frequencies along the last axis so
    # that every operation runs along long contiguous rows.
    means = np.zeros((5, n_phi, n_seg, _MAX_BINS))
    for chunk in chunks:
        if len(chunk) == 1:
            s, n, b0, b1 = chunk[0]
            edges = _bin_edges((n - 1) // 2)
            w, c = _frequencies(n, edges[b0], edges[b1])
            starts = edges[b0:b1] - edges[b0]
            f = phi[s][:, None]
        else:
            pieces = [(_frequencies(n, e[0], e[-1]), e) for _, n, b0, b1 in chunk
                      for e in [_bin_edges((n - 1) // 2)[b0 : b1 + 1]]]
            w = np.concatenate([wc[0] for wc, _ in pieces])
            c = np.concatenate([wc[1] for wc, _ in pieces])
            counts = [e[-1] - e[0] for _, e in pieces]
            starts = np.concatenate([e[:-1] - e[0] + at for (_, e), at in zip(pieces, np.cumsum([0] + counts[:-1]))])
            f = phi[0][:, None] if shared else np.repeat(phi[[s for s, *_ in chunk]].T, counts, axis=1)
        inv_d = f * w
        inv_d += (1.0 - f) ** 2  # D = (1 - phi)^2 + phi w: exact near lambda = 0
        np.reciprocal(inv_d, out=inv_d)
        terms = np.empty((5,) + inv_d.shape)
        np.multiply(w, inv_d, out=terms[0])  # w / D
        np.multiply(terms[0], c, out=terms[1])  # w c / D
        np.multiply(terms[0], inv_d, out=terms[2])  # w / D^2
        np.multiply(terms[1], inv_d, out=terms[3])  # w c / D^2
        np.multiply(terms[3], c, out=terms[4])  # w c^2 / D^2
        sums = np.add.reduceat(terms, starts, axis=2)
        at = 0
        for s, n, b0, b1 in chunk:
            means[:, :, s, b0:b1] = sums[:, :, at : at + b1 - b0] / _bin_widths((n - 1) // 2)[b0:b1]
            at += b1 - b0
    # The coefficients of the five functions in k, per (segment, phi, psi).
    n = ns.astype(float)[:, None, None]
    phi = phi[:, :, None]
    gamma1 = (phi + psi) * (1.0 + phi * psi) / (1.0 - phi * phi)
    p = phi ** (n - 1.0)
    g = 2.0 * gamma1 * p
    fejer = 2.0 * gamma1 / n
    lead = fejer * (1.0 + (n - 1.0) * p * phi)
    coef = np.empty((n_seg, n_phi, 5, psi.shape[2]))
    coef[:, :, 0] = 1.0 + psi * psi - g
    coef[:, :, 1] = 2.0 * psi + g * phi
    coef[:, :, 2] = 2.0 * phi * lead + fejer * n * p * (1.0 - phi * phi)
    coef[:, :, 3] = -lead * (1.0 + phi * phi) - 2.0 * phi * fejer * n * p
    coef[:, :, 4] = 2.0 * phi * phi * fejer * n * p
    k = np.matmul(means.transpose(2, 1, 3, 0), coef).transpose(0, 2, 1, 3)  # (segment, bins, phi, psi)
    for s, n in enumerate(ns.tolist()):
        k[s, _bin_edges((n - 1) // 2).size - 1 :] = 1.0
    return k


def _frequencies(n: int, lo: int, hi: int):
    """w = 4 sin^2(lambda_j / 2) and c = cos(lambda_j) at the Fourier frequencies j = lo+1..hi.

    Cached for usual histories (a fund's refinement evaluates the kernel at its own
    frequencies again), so read-only; the cache stays small (64 x 8192 x 16 bytes at most).
    """
    return (_cached_frequencies if hi - lo <= 8192 else _cached_frequencies.__wrapped__)(n, lo, hi)


@lru_cache(maxsize=64)
def _cached_frequencies(n: int, lo: int, hi: int):
    w = 4.0 * np.sin((np.pi / n) * np.arange(lo + 1, hi + 1)) ** 2
    c = 1.0 - 0.5 * w
    w.flags.writeable = c.flags.writeable = False
    return w, c


@lru_cache(maxsize=256)
def _bin_edges(m: int) -> np.ndarray:
    """Start offsets (0-based, into frequencies 1..m) of the periodogram bins, plus m.

    Cached and shared, so read-only.
    """
    if m <= _SINGLE_FREQUENCIES + _GEOMETRIC_BINS:
        edges = np.arange(m + 1)
    else:
        low = np.arange(_SINGLE_FREQUENCIES)
        high = np.round(np.geomspace(_SINGLE_FREQUENCIES, m, _GEOMETRIC_BINS + 1)).astype(int)
        edges = np.unique(np.concatenate([low, high]))
    edges.flags.writeable = False
    return edges


@lru_cache(maxsize=256)
def _bin_widths(m: int) -> np.ndarray:
    """Number of frequencies in each bin of _bin_edges(m), as floats. Cached, so read-only."""
    widths = np.diff(_bin_edges(m)).astype(float)
    widths.flags.writeable = False
    return widths


class _Grid:
    """Everything about the profile grid that depends only on the sample length n.

    Shapes are flattened phi-major: shape index = i_phi * len(_PSI_GRID) + i_psi. ``kbar``
    (bins x shapes) is the binned noise kernel in double precision, for the refinement. The
    scan rows (points (q, shape), q in slot order; ``inv_h_t`` points x bins, ``logdet`` and
    ``a3`` one value per point) are in single precision: the scan only has to find the
    neighbourhood of the minimum and trace the profile, to about 1e-5 (a likelihood ratio of
    0.1 over a few thousand frequencies), and it halves the memory traffic.

    The scan rows of a q are computed the first time a scan reads them, because a fund with a
    long history reads a sixth to two fifths of them: a panel whose funds have many different
    lengths would otherwise spend most of its time building rows nobody reads. The arrays are
    allocated whole by the first scan (about 6 MB for all the rows; the memory pages of rows
    never built are mostly never touched). ``kbar`` comes from _grids_for_lengths, which
    computes the kernels of many lengths together.
    """

    def __init__(self, n: int, kbar: np.ndarray):
        self.n = n
        self.weights = _bin_widths((n - 1) // 2)
        self.total = self.weights.sum()
        self.kbar = kbar  # (bins, shapes), from _grids_for_lengths
        self._k32 = np.ascontiguousarray(self.kbar.T, dtype=np.float32)  # (shapes, bins)
        self._wt = (self.weights / self.total).astype(np.float32)
        self.inv_h_t = self.logdet = self.a3 = None  # allocated by the first scan
        self._built = np.zeros(_Q_GRID.size, dtype=bool)  # by slot
        self._lock = threading.Lock()  # xlwings Server may run two calls at once

    def rows(self, first: int, stop: int) -> slice:
        """The scan rows of slots first..stop-1, built if they are not yet."""
        if not self._built[first:stop].all():
            with self._lock:
                if self.inv_h_t is None:
                    points = _Q_GRID.size * self._k32.shape[0]
                    self.inv_h_t = np.empty((points, self._k32.shape[1]), dtype=np.float32)
                    self.logdet = np.empty(points, dtype=np.float32)
                    self.a3 = np.empty(points, dtype=np.float32)
                # Pages not built yet, in runs of consecutive pages, each run built at once.
                pages = np.arange(first // _PAGE, (stop - 1) // _PAGE + 1)
                todo = pages[~self._built[pages * _PAGE]]
                for run in np.split(todo, np.flatnonzero(np.diff(todo) > 1) + 1):
                    if run.size:
                        self._build(run[0] * _PAGE, min((run[-1] + 1) * _PAGE, _Q_GRID.size))
        n_shapes = self._k32.shape[0]
        return slice(first * n_shapes, stop * n_shapes)

    def logdet_by_q(self, q_lo: int, q_hi: int) -> np.ndarray:
        """log-determinant term, (q, shape), for the q of _Q_GRID from q_lo to q_hi (built)."""
        return self.logdet.reshape(_Q_GRID.size, -1)[_SLOT_OF_Q[q_lo : q_hi + 1]]

    def _build(self, first: int, stop: int) -> None:
        """Rows of slots first..stop-1, whole pages."""
        n_shapes, n_bins = self._k32.shape
        q = _Q_GRID[_STORED_Q[first:stop]].astype(np.float32)[:, None, None]
        h = (1.0 - q) * self._k32[None]
        h += q  # in place: q + (...) broadcasts q through a slow loop, several times longer
        h = h.reshape(-1, n_bins)
        rows = slice(first * n_shapes, stop * n_shapes)
        inv_h_t = np.divide(self._wt, h, out=self.inv_h_t[rows])
        log_h = np.log(h, out=h)
        # A3 = mean(w / (n h)) of the end-effect profile, the same for every fund. The sums
        # are taken a page at a time: how a matrix-vector product splits its rows between
        # threads, and so how it rounds a row's sum, depends on how many rows it is given.
        inv_n = np.full(n_bins, 1.0 / self.n, dtype=np.float32)
        a3, logdet = self.a3[rows], self.logdet[rows]
        for at in range(0, inv_h_t.shape[0], _PAGE * n_shapes):
            page = slice(at, at + _PAGE * n_shapes)
            a3[page] = inv_h_t[page] @ inv_n
            logdet[page] = log_h[page] @ self._wt
        self._built[first:stop] = True


_GRID_CACHE: OrderedDict[int, _Grid] = OrderedDict()
_GRID_CACHE_SIZE = 16
_GRID_CACHE_LOCK = threading.Lock()


def _grids_for_lengths(ns: np.ndarray) -> list[_Grid]:
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
        shapes = (len(missing), _PHI_GRID.size, _PSI_GRID.size)
        kbar = _binned_kernel(np.array(missing), np.broadcast_to(_PHI_GRID[:, None], shapes[:2] + (1,)),
                              np.broadcast_to(_PSI_GRID, shapes))
        made = {}
        for s, n in enumerate(missing):
            bins = _bin_edges((n - 1) // 2).size - 1
            made[n] = _Grid(n, kbar[s, :bins].reshape(bins, -1).copy())
        grids = [made[n] if g is None else g for n, g in zip(ns, grids)]
        with _GRID_CACHE_LOCK:
            for n, g in made.items():
                _GRID_CACHE.setdefault(n, g)  # another call may have cached it, with rows built
            while len(_GRID_CACHE) > _GRID_CACHE_SIZE:
                _GRID_CACHE.popitem(last=False)
    return grids


def _ordinates(d: np.ndarray):
    """Binned periodogram |D_j|^2 / n and real parts Re(D_j) / n, scaled to a unit mean.

    Returns them as one array (bins, 2, k), the periodogram first, and the scale (k,).

    With D_j = sum_{t=0}^{n-1} d_t e^{-i lambda_j t}, differencing puts the same real number
    e_n - e_0 (the end effect) into every D_j; the real parts are what estimates it.
    """
    n = d.shape[0]
    spec = np.fft.rfft(d - d.mean(axis=0), axis=0)[1 : (n - 1) // 2 + 1]
    pgram = (spec.real**2 + spec.imag**2) / n
    scale = pgram.sum(axis=0) / pgram.shape[0]
    scale = np.where(scale > 0, scale, 1.0)
    m = (n - 1) // 2
    both = np.empty((m, 2, d.shape[1]))
    np.divide(pgram, scale, out=both[:, 0])
    np.divide(spec.real, n * np.sqrt(scale), out=both[:, 1])
    return np.add.reduceat(both, _bin_edges(m)[:-1], axis=0) / _bin_widths(m)[:, None, None], scale


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
    end-effect term is profiled out as in _scan, here in double precision.
    """
    wh = w_total / h
    a1, a2, a3 = (wh * ibar).sum(axis=-1), (wh * cbar).sum(axis=-1), wh.sum(axis=-1) / n
    sigma2 = np.maximum(a1 - a2 * a2 / a3, 1e-300)
    return np.log(sigma2) + (w_total * np.log(h)).sum(axis=-1), sigma2


def _concentrated(ibar, cbar, w_total, ns, q, phi, psi):
    """Objective and scale at one (q, phi, psi) per fund: rows (k, _MAX_BINS) as in _objective."""
    h = _binned_kernel(ns, phi, psi)[:, :, 0, 0]
    h *= (1.0 - q)[:, None]
    h += q[:, None]
    return _objective(ibar, cbar, w_total, ns, h)


def _scan(ordinates: np.ndarray, grid: _Grid, rows: slice) -> np.ndarray:
    """Concentrated objective (float32, k x points) at the scan rows ``rows`` of ``grid``.

    ``ordinates`` (bins, 2, k), float32: the binned periodogram I and real parts C of each
    fund. The end-effect term, common to all ordinates, is profiled out: for shape h the
    scale is S = A1 - A2^2 / A3 with A1 = mean(w I / h), A2 = mean(w C / h),
    A3 = mean(w / (n h)).
    """
    a3, logdet = grid.a3[rows], grid.logdet[rows]
    grid = grid.inv_h_t[rows]
    kf = ordinates.shape[2]
    obj = np.empty((kf, grid.shape[0]), dtype=np.float32)
    chunk = max(1, 2_000_000 // max(grid.shape[0], 1))  # bounds memory on large panels
    for s in range(0, kf, chunk):
        both = ordinates[:, :, s : s + chunk].reshape(ordinates.shape[0], -1)  # the I, then the C
        # A fund or two: one matrix-vector product per column, the fastest pass over the grid
        # (a matrix product with two columns takes several times longer); a panel: one matrix
        # product.
        if both.shape[1] <= 4:
            prod = np.stack([grid @ both[:, j] for j in range(both.shape[1])])
        else:
            prod = both.T @ grid.T
        w = both.shape[1] // 2
        sig = prod[:w]
        sig -= prod[w:] ** 2 / a3
        np.maximum(sig, np.float32(1e-30), out=sig)
        obj[s : s + chunk] = np.log(sig, out=sig) + logdet
    return obj


def _check_lengths(lengths, shape) -> None:
    """``lengths``, one per column of an array of ``shape``, from MIN_RETURNS to its rows."""
    if lengths is not None and (np.shape(lengths) != shape[1:] or np.min(lengths) < MIN_RETURNS
                                or np.max(lengths) > shape[0]):
        raise ValueError(f"lengths must be {shape[1]} whole numbers from {MIN_RETURNS} to {shape[0]}")


def _scan_near_minimum(ordinates: np.ndarray, grid: _Grid):
    """The scan, level by level, over the q still in play, for funds of one length.

    ``ordinates`` as in _scan. Returns the first q index scanned in full, q_lo, and the
    objective (k, q, shapes) at every q from there to the last, q_hi: the minimum of every
    fund, and all the q its interval can depend on, lie in that range.
    """
    kf = ordinates.shape[2]
    n_shapes = _PHI_GRID.size * _PSI_GRID.size
    obj = np.empty((kf, _Q_GRID.size, n_shapes), dtype=np.float32)  # filled where scanned
    scanned = np.zeros(_Q_GRID.size, dtype=bool)
    q_lo, q_hi = 0, _Q_GRID.size - 1
    for level, q_level in enumerate(_LEVELS):
        i0, i1 = np.searchsorted(q_level, q_lo), np.searchsorted(q_level, q_hi, side="right")
        rows = grid.rows(_LEVEL_START[level] + i0, _LEVEL_START[level] + i1)
        obj[:, q_level[i0:i1]] = _scan(ordinates, grid, rows).reshape(kf, i1 - i0, n_shapes)
        scanned[q_level[i0:i1]] = True
        if level == len(_LEVELS) - 1:
            break
        q_in = np.flatnonzero(scanned[q_lo : q_hi + 1]) + q_lo
        by_q = obj[:, q_in].min(axis=2)
        near = (by_q <= by_q.min(axis=1, keepdims=True) + _SCAN_MARGIN / (2.0 * grid.total)).any(axis=0)
        c0, c1 = np.flatnonzero(near)[[0, -1]]
        q_lo, q_hi = q_in[max(c0 - 1, 0)], q_in[min(c1 + 1, q_in.size - 1)]  # one step beyond
    # The last level leaves every q from q_lo to q_hi scanned.
    return q_lo, obj[:, q_lo : q_hi + 1]


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
    _check_lengths(lengths, d.shape)
    if lengths is None or np.all(lengths == lengths[0]):
        ns, group, members = np.array([n if lengths is None else lengths[0]]), np.zeros(kf, dtype=np.intp), [slice(None)]
    else:
        ns, group = np.unique(lengths, return_inverse=True)
        members = np.split(np.argsort(group, kind="stable"), np.cumsum(np.bincount(group))[:-1])
    grids = _grids_for_lengths(ns)
    kbars = [g.kbar for g in grids]
    shape3 = (_Q_GRID.size, _PHI_GRID.size, _PSI_GRID.size)
    n_shapes = shape3[1] * shape3[2]
    # Per fund, padded to _MAX_BINS bins and to the widest q range scanned.
    ibar, cbar, weights = np.zeros((3, kf, _MAX_BINS))
    scale, q_lo, nq, exact = np.empty(kf), np.empty(kf, dtype=np.intp), np.empty(kf, dtype=np.intp), np.empty(kf, dtype=bool)
    windows = []
    for g, cols in enumerate(members):
        # Each grid is let go once scanned: the memory of one length's scan rows is then used
        # again for the next length's, where fresh memory would take longer to fill than the
        # rows take to compute.
        grid, grids[g] = grids[g], None
        dg = d[: grid.n, cols]
        binned, scale[cols] = _ordinates(dg)
        bins = binned.shape[0]
        ibar[cols, :bins], cbar[cols, :bins] = binned[:, 0].T, binned[:, 1].T
        weights[cols, :bins] = grid.weights
        # A fund that tracks exactly (every difference zero) has nothing to estimate.
        exact[cols] = ~np.any(dg != dg[:1], axis=0)
        first, window = _scan_near_minimum(binned.astype(np.float32), grid)
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
    kb = np.ones((kf, 7, _MAX_BINS))
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
    """min over q of log v - log q + LD(q) + S(q) q / v, for each v of _V_GRID.

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
    each fund, the ``nq`` q of _Q_GRID from index ``q_lo`` on: those near its minimum (the
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
    inside = lr <= _CHI2_95
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
        t = np.where(a != b, np.minimum(np.maximum((a - _CHI2_95) / (a - b), 0.0), 1.0), 1.0)
    crossing = np.exp(_LOG_V[i_out] + t * (_LOG_V[i_in] - _LOG_V[i_out]))
    has_lower = any_in & (first > 0) & (lr_at_zero > _CHI2_95_BOUNDARY)
    lower = np.where(has_lower, crossing[0], 0.0)
    has_upper = any_in & (last < _V_GRID.size - 1)
    upper = np.where(has_upper, crossing[1], _V_GRID[-1])
    # Mean of s_u^2 under exp(-LR/2) with a flat prior on s_u: ds_u ~ sqrt(v) dlog v on this
    # log-spaced grid.
    weight = np.exp(-0.5 * (lr - lr.min(axis=1, keepdims=True))) * _SQRT_V
    mean = (weight * _V_GRID[None, :]).sum(axis=1) / weight.sum(axis=1)
    return lower, upper, mean


def _ma_factors(fit: NoiseModelFit):
    """Roots a1, a2 (|a| <= 1) and sigma_a^2 of (1 - phi B)(d - mu) = (1 - a1 B)(1 - a2 B) a.

    The autocovariances c0, c1, c2 of the right-hand side give a palindromic quartic; with
    w = z + 1/z it is the quadratic c2 w^2 + c1 w + (c0 - 2 c2) = 0, and each root w gives
    the pair z, 1/z of z^2 - w z + 1 = 0, of which the root inside the unit circle is kept.
    """
    # Degenerate funds (no noise, no deviation) make some branches below divide by zero;
    # np.where discards those branches, so their warnings mean nothing.
    with np.errstate(all="ignore"):
        s2, e2, phi, psi = fit.persistent_var, fit.noise_var, fit.noise_phi, fit.noise_psi
        c0 = s2 * (1.0 + phi * phi) + e2 * (1.0 + (1.0 - psi) ** 2 + psi * psi)
        c1 = -phi * s2 - e2 * (1.0 - psi) ** 2
        c2 = -psi * e2
        tiny = np.abs(c2) <= 1e-12 * np.maximum(c0, 1e-300)
        c2s = np.where(tiny, 1.0, c2).astype(complex)
        disc = np.sqrt(c1 * c1 - 4.0 * c2s * (c0 - 2.0 * c2s))
        w_roots = [(-c1 + disc) / (2.0 * c2s), (-c1 - disc) / (2.0 * c2s)]
        # MA(1) when c2 = 0: the single root w = -c0 / c1 (no second factor).
        w_one = np.where(c1 != 0, -c0 / np.where(c1 != 0, c1, 1.0), np.inf).astype(complex)
        roots = []
        for w in w_roots:
            r = np.sqrt(w * w - 4.0)
            z1, z2 = (w + r) / 2.0, (w - r) / 2.0
            roots.append(np.where(np.abs(z1) <= np.abs(z2), z1, z2))
        r = np.sqrt(w_one * w_one - 4.0)
        z1, z2 = (w_one + r) / 2.0, (w_one - r) / 2.0
        single = np.where(np.isfinite(w_one), np.where(np.abs(z1) <= np.abs(z2), z1, z2), 0.0)
        a1 = np.where(tiny, single, roots[0])
        a2 = np.where(tiny, 0.0, roots[1])
        # A unit root (no persistent deviation, no noise reversal) sits on the circle.
        a1 = np.where(np.abs(a1) > 1.0, a1 / np.abs(a1), a1)
        a2 = np.where(np.abs(a2) > 1.0, a2 / np.abs(a2), a2)
        theta1, theta2 = -(a1 + a2).real, (a1 * a2).real
        return a1, a2, c0 / (1.0 + theta1 * theta1 + theta2 * theta2)


@lru_cache(maxsize=None)
def _fast_length(n: int) -> int:
    """The smallest 5-smooth number >= n: a size the FFT handles at full speed."""
    best = 1 << max(0, (n - 1).bit_length())
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            p = p35
            while p < n:
                p *= 2
            best = min(best, p)
            p35 *= 3
        p5 *= 5
    return best


def _impulse_response(c1: np.ndarray, c2: np.ndarray, m: int) -> np.ndarray:
    """h_0..h_{m-1} of 1 / (1 - c1 B - c2 B^2), one row per pair of coefficients: (k, m).

    Built by doubling rather than a loop over time: the recursion's state-transition powers
    give h_{L+j} = h_L h_j + c2 h_{L-1} h_{j-1} (h_{-1} = 0), so each step doubles the
    known length.
    """
    k = c1.shape[0]
    h = np.zeros((k, max(m, 2)))
    h[:, 0], h[:, 1] = 1.0, c1
    known = 2
    while known < m:
        h_next = c1 * h[:, known - 1] + c2 * h[:, known - 2]  # h_L
        add = min(known, m - known)
        h[:, known : known + add] = h_next[:, None] * h[:, :add]
        h[:, known + 1 : known + add] += (c2 * h[:, known - 1])[:, None] * h[:, : add - 1]
        known += add
    return h[:, :m]


def gls_drift(d: np.ndarray, fit: NoiseModelFit, lengths: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """GLS drift mu per period and its standard error, for each column of ``d`` (n, k).

    ``lengths`` (k,): the number of returns of each column, which fill it from the top (what
    lies below them is ignored), so that funds of different lengths are estimated together.
    None: every column is complete.
    """
    d = np.asarray(d, dtype=float)
    if d.ndim == 1:
        d = d[:, None]
    _check_lengths(lengths, d.shape)
    a1, a2, sigma_a2 = _ma_factors(fit)
    c1, c2 = (a1 + a2).real, -(a1 * a2).real  # 1 / ((1 - a1 B)(1 - a2 B)), a real recursion
    mu, inv11, norm2 = _gls(d, c1, c2, fit.noise_phi, None if lengths is None else np.asarray(lengths))
    # The model's variance takes s_u^2 as known; a fund whose estimate sits at or near zero
    # would get a far too small standard error. The variance is linear in s_u^2 (the
    # persistent part of d is white): averaged over the uncertainty of s_u^2 it grows by
    # (E[s_u^2] - s_u^2) |a|^2, E under the profile likelihood.
    extra = np.maximum(fit.persistent_var_mean - fit.persistent_var, 0.0) * norm2
    return mu, np.sqrt(np.maximum(sigma_a2 * inv11 + extra, 0.0))


def _gls(d, c1, c2, phi, lengths):
    """GLS drift, [(Z'Z)^{-1}]_11 and |a|^2 (a: the drift's weights on d) for columns of ``d``.

    ``c1``, ``c2``: the whitening recursion of each fund; ``lengths`` as in gls_drift.
    """
    phi = phi[:, None]
    # Funds as rows from here on: the transforms run along contiguous memory.
    d = np.ascontiguousarray(d.T)
    y = d[:, 1:] - phi * d[:, :-1]  # the AR part, conditional on the first observation
    k, m = y.shape
    h = _impulse_response(c1, c2, m)
    # Regressors: the whitened constant, and the responses to the two unknown initial
    # innovations (the impulse response, and the same one period later).
    z = np.empty((k, 3, m))
    np.cumsum(h, axis=1, out=z[:, 0])
    z[:, 0] *= 1.0 - phi
    z[:, 1] = h
    z[:, 2, 0], z[:, 2, 1:] = 0.0, h[:, :-1]
    if lengths is not None:
        # A shorter fund's regression ends with its data: the filter is causal, so its
        # regressors and data up to there are those of the fund alone, and zeros beyond
        # leave every sum below (and the weights w) as they would be.
        beyond = np.arange(m)[None, :] >= (lengths - 1)[:, None]
        y[beyond] = 0.0
        z *= ~beyond[:, None, :]
    ztz = z @ z.transpose(0, 2, 1)
    # A tiny ridge keeps the solve defined when an initial-state response vanishes (a = 0).
    ztz = ztz + np.eye(3)[None] * 1e-12 * np.trace(ztz, axis1=1, axis2=2)[:, None, None]
    inv = np.linalg.inv(ztz)
    # mu = e_1'(Z'Z)^{-1} Z' x = u'x with u = Z (Z'Z)^{-1} e_1 and x = H y the whitened data,
    # so mu = (H'u)'y: the weights u taken back through the filter (its transpose, the same
    # convolution run backwards in time) and through y_t = d_{t+1} - phi d_t. The data are
    # never filtered themselves.
    u = (inv[:, :1, :] @ z)[:, 0]
    # The filter is a convolution with its impulse response h: by FFT.
    size = _fast_length(2 * m - 1)
    spec = np.fft.rfft(u[:, ::-1], size, axis=1)
    spec *= np.fft.rfft(h, size, axis=1)
    w = np.fft.irfft(spec, size, axis=1)[:, m - 1 :: -1]
    if lengths is not None:
        w[beyond] = 0.0  # the FFT's rounding, where the weights are exactly zero
    # The weights on d are a_t = w_{t-1} - phi w_t (w_{-1} = w_m = 0): the inner ones, then
    # the two ends.
    inner = w[:, :-1] - phi * w[:, 1:]
    norm2 = (inner * inner).sum(axis=1) + (phi[:, 0] * w[:, 0]) ** 2 + w[:, -1] ** 2
    return np.einsum("ki,ki->k", w, y), inv[:, 0, 0], norm2
