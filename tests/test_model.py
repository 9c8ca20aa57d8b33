"""The fast estimator through its public behaviour: panels, orders, lengths, repeated calls.

``fit_noise_model`` and ``gls_drift`` fit a panel of funds of many lengths in a few passes and
keep tables between calls. None of that may show in a fund's figures: they must be the same
whether the fund is fitted alone or inside a panel, whatever the other funds and their order,
and whatever was fitted before. (Their agreement with the plain estimator is in
``test_model_reference.py``.) Where the fast path has two routes to one step, tests hold them
to each other: the GLS weights filtered by FFT or by recursion, the GLS over the whole
recursion or from impulse responses cut where they die out, the grid's tables (its
kernels, its scan rows) against the plain computation of the same values, the fit test's
kernel of white noise against the closed form, and the binned ordinates against reduceat
down the ordinates.
"""
from __future__ import annotations

import numpy as np
import pytest

from simulate import B_MA2, SCENARIOS, simulate_panel
from xlwings_udfs.analytics.model import MIN_RETURNS, NoiseModelFit, fast_gls, fit_noise_model, gls_drift
from xlwings_udfs.analytics.model.definition import GRID
from xlwings_udfs.analytics.model.fast_grid import _PAGE, _STORED_Q, BLOCKS, ScanGrid, grids_for_lengths
from xlwings_udfs.analytics.model.fast_kernel import binned_kernels, grid_kernels
from xlwings_udfs.analytics.model.spectrum import bin_edges, binned_kernel

FIELDS = tuple(NoiseModelFit.__dataclass_fields__)
SCENARIO_LIST = [*SCENARIOS.values(), B_MA2]


def _returns(lengths, seed: int) -> np.ndarray:
    """Columns of simulated returns of the given lengths (scenarios in turn), NaN below each."""
    d = np.full((max(lengths), len(lengths)), np.nan)
    for j, n in enumerate(lengths):
        sc = SCENARIO_LIST[j % len(SCENARIO_LIST)]
        d[:n, j] = np.diff(simulate_panel(sc, 1, seed + j, n_returns=int(n)).L[:, 0])
    return d


def _figures(d: np.ndarray, lengths: np.ndarray | None = None) -> dict:
    """Every field of the fit, and the drift and its standard error, by name."""
    fit = fit_noise_model(d, lengths)
    mu, se = gls_drift(d, fit, lengths)
    return {**{f: getattr(fit, f) for f in FIELDS}, "mu": mu, "se": se}


def _alone(d: np.ndarray, lengths) -> dict:
    """Each fund fitted on its own, its figures gathered by name."""
    each = [_figures(d[:n, j]) for j, n in enumerate(lengths)]
    return {key: np.concatenate([e[key] for e in each]) for key in each[0]}


def test_a_fund_alone_equals_the_fund_in_a_panel_of_many_lengths_in_any_order():
    """A panel is fitted per length and then all at once, padded: that must not show.

    Lengths from MIN_RETURNS to 100,001 (whose frequencies are more than one pass of the
    kernel's bin sums takes), all different but one pair (two funds may share a length and
    keep their figures exactly; see fast_grid), with an exactly tracking fund among them.
    """
    lengths = np.array([31, 100_001, 400, 57, 1000, 999, 250, 400, 2521, 112, 113, 30, 3000, 226, 227])
    d = _returns(lengths, 70)
    d[:250, 6] = 0.0003  # a fund that tracks exactly: every difference the same
    alone = _alone(d, lengths)
    assert alone["persistent_var"][6] == 0.0 and alone["se"][6] == 0.0
    funds = np.arange(lengths.size)
    for order in (funds, funds[::-1], np.random.default_rng(3).permutation(funds)):
        together = _figures(d[:, order], lengths[order])
        for key, want in alone.items():
            # The drift's sums over dates run down a panel's columns, along one fund's
            # contiguous data: another order, 1e-12 relative at 100,001 returns.
            rtol = 1e-11 if key in ("mu", "se") else 1e-12
            np.testing.assert_allclose(together[key], want[order], rtol=rtol, atol=0, err_msg=f"{key}, order {order}")


def test_figures_do_not_depend_on_what_was_fitted_before():
    """Whatever the fast path keeps between calls, a fund's figures are those of a first call.

    The fund of interest (length 1777) is fitted once after many other lengths have been
    fitted (so nothing of its length is left from before), and once after funds of its own
    length whose likelihoods peak in very different places (no persistent deviation; no noise)
    have been fitted first.
    """
    n = 1777
    d = _returns([n], 500)[:, 0]
    others = _returns([n, n, n], 600)
    others[:, 0] = np.diff(simulate_panel(SCENARIOS["e_noise_only"], 1, 601, n_returns=n).L[:, 0])
    others[:, 1] = np.diff(simulate_panel(SCENARIOS["d_domestic"], 1, 602, n_returns=n).L[:, 0])
    flush_lengths = np.arange(MIN_RETURNS, MIN_RETURNS + 40)
    flush = _returns(flush_lengths, 700)

    fit_noise_model(flush, flush_lengths)
    first = _figures(d)
    fit_noise_model(flush, flush_lengths)
    for j in range(others.shape[1]):
        fit_noise_model(others[:, j])
    fit_noise_model(others)
    again = _figures(d)
    for key in first:
        np.testing.assert_array_equal(again[key], first[key], err_msg=key)


def test_drift_of_funds_of_different_lengths_together_equals_each_alone():
    """Padded below their data, funds of different lengths share one GLS pass."""
    lengths = np.array([31, 400, 57, 1000, 999, 250])
    d = _returns(lengths, 40)
    alone = []
    for j, n in enumerate(lengths):
        fit = fit_noise_model(d[:n, j])
        alone.append((fit, gls_drift(d[:n, j], fit)))
    fit = NoiseModelFit(**{f: np.concatenate([getattr(a[0], f) for a in alone]) for f in FIELDS})
    mu, se = gls_drift(d, fit, lengths)
    np.testing.assert_allclose(mu, [a[1][0][0] for a in alone], rtol=1e-10)
    np.testing.assert_allclose(se, [a[1][1][0] for a in alone], rtol=1e-10)


def test_drift_of_a_wide_block_equals_each_fund_alone():
    """A block wide enough for the weights to go back through the filter by recursion
    (fast_gls._RECURSION_FUNDS funds or more) gives each fund's drift as alone (by FFT),
    funds of different lengths and returns across gaps included."""
    rng = np.random.default_rng(5)
    k = fast_gls._RECURSION_FUNDS + 12
    lengths = rng.integers(MIN_RETURNS, 700, k)
    d = _returns(lengths, 500)
    spans = np.where(np.arange(d.shape[0])[:, None] < lengths, 1.0, np.nan)
    spans[20, ::3] = 3.0  # a return across a gap in every third fund
    alone = []
    for j, n in enumerate(lengths):
        fit = fit_noise_model(d[:n, j : j + 1], spans=spans[:n, j : j + 1])
        alone.append((fit, gls_drift(d[:n, j : j + 1], fit, spans=spans[:n, j : j + 1])))
    fit = NoiseModelFit(**{f: np.concatenate([getattr(a[0], f) for a in alone]) for f in FIELDS})
    mu, se = gls_drift(d, fit, lengths, spans)
    np.testing.assert_allclose(mu, [a[1][0][0] for a in alone], rtol=1e-10)
    np.testing.assert_allclose(se, [a[1][1][0] for a in alone], rtol=1e-10)


@pytest.mark.parametrize("seed", range(5))
def test_the_filter_transposed_by_recursion_equals_it_by_fft(seed):
    """The two routes of H'u agree, and the doubled impulse response and running sums are the
    recursion's, roots on the unit circle and negative roots included.

    To 1e-10 of each fund's largest weight: the FFT's rounding grows with it (about 2e-11 with
    a root on the unit circle); the recursion is within 1e-14 of a long-double one."""
    rng = np.random.default_rng(seed)
    k, m = 40, int(rng.integers(2, 3000))
    a1, a2 = rng.uniform(-0.99, 1.0, k), rng.uniform(-0.95, 0.95, k)
    a1[:4], a2[:2] = 1.0, 0.0  # a unit root; an MA(1)
    c1, c2 = a1 + a2, -a1 * a2
    u = rng.standard_normal((m, k))
    h, cum_h = fast_gls._impulse_response(c1, c2, m)
    by_fft = fast_gls._filter_transposed_by_fft(u, h)
    by_recursion = fast_gls._filter_transposed_by_recursion(u, c1, c2)
    scale = np.abs(by_fft).max(axis=0)
    assert np.all(np.abs(by_recursion - by_fft) <= 1e-10 * scale)
    # The impulse response and its running sums, doubled, against the recursion step by step.
    step = np.zeros((m + 2, k))
    step[2] = 1.0
    for t in range(3, m + 2):
        step[t] = c1 * step[t - 1] + c2 * step[t - 2]
    # (The doubling rounds to about 3e-11 of the largest value where a root is on the circle.)
    assert np.all(np.abs(h - step[2:]) <= 1e-10 * np.abs(step).max(axis=0))
    sums = np.cumsum(step[2:], axis=0)
    assert np.all(np.abs(cum_h - sums) <= 1e-10 * np.abs(sums).max(axis=0))


def test_the_normal_matrix_equals_that_of_the_regressors_built():
    """Z'Z read off the impulse response and its running sums equals Z'Z of the three
    regressors built and cut at each fund's last return, unit and negative roots included."""
    rng = np.random.default_rng(3)
    k, m = 30, 800
    a1, a2 = rng.uniform(-0.9, 1.0, k), rng.uniform(-0.9, 0.9, k)
    a1[:3], a2[:2] = 1.0, 0.0
    c1, c2 = a1 + a2, -a1 * a2
    phi = rng.uniform(-0.6, 0.8, k)
    last = rng.integers(2, m, k)
    last[:5] = m - 1  # funds with every date
    h, cum_h = fast_gls._impulse_response(c1, c2, m)
    z = np.stack([(1.0 - phi) * cum_h, h, np.vstack([np.zeros((1, k)), h[:-1]])])
    z[:, np.arange(m)[:, None] > last[None, :]] = 0.0
    expected = np.einsum("atk,btk->kab", z, z)
    beyond = np.arange(m)[:, None] > last[None, :]
    h[beyond], cum_h[beyond] = 0.0, 0.0
    got = fast_gls._normal_matrix(h, cum_h, 1.0 - phi, last)
    scale = np.abs(expected).max(axis=(1, 2))[:, None, None]
    assert np.all(np.abs(got - expected) <= 1e-12 * scale)


def _short_route_case(seed: int, edge: bool):
    """A block of funds for the short route's test: roots (real, negative, complex, an MA(1),
    white noise) of modulus up to 0.85, or with ``edge`` up to 0.945; lengths all equal or
    spread (data below each: NaN); narrow (filtered by FFT) or wide (by recursion). Funds 0,
    1 and 3 must take the whole recursion: a unit root, a root too near the circle, returns
    across a gap; funds 2 and 7 too, where lengths are spread: too few returns for their
    reach; fund 6 then has just enough for the short route."""
    rng = np.random.default_rng(seed)
    k = 40 if seed % 3 else fast_gls._RECURSION_FUNDS + 8
    n = int(rng.integers(1500, 4000))
    top = 0.945 if edge else 0.85
    a1, a2 = rng.uniform(-top, top, k), rng.uniform(-top, top, k)
    pair = rng.uniform(0.3, top, k) * np.exp(1j * rng.uniform(0.1, 3.0, k))  # conjugate pairs
    complex_roots = rng.random(k) < 0.3
    a1, a2 = np.where(complex_roots, pair, a1), np.where(complex_roots, pair.conj(), a2)
    a1[0], a2[0] = 1.0, 0.5  # a unit root
    a1[1], a2[1] = 0.99, 0.0  # too near the circle: reaches beyond _REACH_MAX
    a1[2], a2[2] = 0.8, 0.0  # too few returns for its reach (below)
    a2[4], a1[5], a2[5] = 0.0, 0.0, 0.0  # an MA(1); white noise
    a1[6:8], a2[6:8] = 0.7, 0.0  # at the bounds of the short route's lengths (below)
    c1, c2 = (a1 + a2).real, -(a1 * a2).real
    phi = rng.uniform(-0.9, 0.99 if edge else 0.9, k)
    reach = fast_gls._reach(np.maximum(np.abs(a1), np.abs(a2)))
    lengths = np.full(k, n)
    if seed % 2:
        lengths = rng.integers(n // 2, n + 1, k)
        lengths[2] = 100
        # Returns y: just enough for the short route (4 reaches + 2), and too few (2 reaches).
        lengths[6], lengths[7] = 4 * reach[6] + 3, 2 * reach[7] + 1
    d = rng.normal(2e-5, 1e-3, (n, k))
    d[np.arange(n)[:, None] >= lengths[None, :]] = np.nan
    spans = np.where(np.arange(n)[:, None] < lengths[None, :], 1.0, np.nan)
    spans[10, 3] = 2.0  # a return across a gap
    return c1, c2, phi, None if seed % 2 == 0 else lengths, lengths, d, spans, reach


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("edge", [False, True])
def test_the_short_route_equals_the_whole_recursion(seed, edge):
    """The GLS from the impulse responses cut where they die out (fast_gls._gls_short) equals
    the GLS over the whole recursion (fast_gls._gls): the drift to 1e-11 of its spread, its
    variance factor and |a|^2 to 1e-11 relative; near the circle (roots up to 0.945 in
    modulus, phi up to 0.99), where both routes round further from an exact computation, to
    2e-10. Funds that must take the whole recursion go with the others, and a block of funds
    that all take the short route is held to it too, with spans given (all 1)."""
    c1, c2, phi, given, lengths, d, spans, reach = _short_route_case(seed, edge)
    assert reach[0] == reach[1] == 0 and np.all(reach[2:] > 0)
    assert given is None or reach[2] * 4 + 2 > lengths[2] - 1
    tol = 2e-10 if edge else 1e-11
    whole = fast_gls._gls(np.nan_to_num(d), c1, c2, phi, given, spans)
    spread = np.sqrt(whole[2]) * 1e-3  # the drift's standard deviation: |a| sd(d)

    def check(got, want, spread):
        assert np.all(np.abs(got[0] - want[0]) <= tol * spread)
        for g, w in zip(got[1:3], want[1:3]):
            np.testing.assert_allclose(g, w, rtol=tol, atol=0.0)

    got = fast_gls._gls_by_route(d, c1, c2, phi, given, spans, reach)
    check(got, whole, spread)
    np.testing.assert_allclose(got[3], whole[3], rtol=1e-12)  # a'k: the fund across a gap, NaN for the others
    # Most funds take the short route (or this test would hold nothing).
    taken = (reach > 0) & (lengths - 1 >= 4 * reach + 2)
    assert taken.sum() >= d.shape[1] // 2
    # The funds of the short route alone, spans all 1: every one by the short route.
    cols = np.flatnonzero(taken & ~np.isin(np.arange(d.shape[1]), [3]))
    sub = (lambda x: None if x is None else x[..., cols])  # noqa: E731
    alone = fast_gls._gls_by_route(d[:, cols], c1[cols], c2[cols], phi[cols], sub(given), spans[:, cols], reach[cols])
    assert alone[3] is None
    check(alone, [x[cols] for x in whole[:3]], spread[cols])


def test_the_reach_bounds_the_tail_of_the_response():
    """Beyond its reach, an impulse response adds up to no more than _TAIL (run by the
    recursion far beyond it), and the reach is the least that the bound (T+1) r^T / (1-r)^2
    on the tail allows."""
    rng = np.random.default_rng(2)
    k = 200
    r = rng.uniform(0.0, 0.95, k)
    angle = np.where(rng.random(k) < 0.5, rng.uniform(0.0, np.pi, k), 0.0)
    a1, a2 = r * np.exp(1j * angle), r * np.exp(-1j * angle)  # a double root where angle = 0
    a2[: k // 4] = rng.uniform(-1.0, 1.0, k // 4) * r[: k // 4]  # real roots of other moduli
    a2[: k // 4].imag = 0.0
    a1[: k // 4] = r[: k // 4]
    c1, c2 = (a1 + a2).real, -(a1 * a2).real
    reach = fast_gls._reach(np.maximum(np.abs(a1), np.abs(a2)))
    assert np.all(reach >= 2)
    h, _ = fast_gls._impulse_response(c1, c2, 4000)
    tail = np.cumsum(np.abs(h[::-1]), axis=0)[::-1]  # sum of |h_t| from each t on
    assert np.all(tail[reach, np.arange(k)] <= fast_gls._TAIL)
    bound = lambda t, x: (t + 1.0) * x**t / (1.0 - x) ** 2  # noqa: E731
    rr = np.maximum(np.abs(a1), np.abs(a2))
    assert np.all(bound(reach, rr) <= fast_gls._TAIL)
    assert np.all((reach == 2) | (bound(reach - 1, rr) > fast_gls._TAIL))


def test_lengths_outside_the_data_are_refused():
    d = np.random.default_rng(0).normal(0.0, 1e-4, (100, 2))
    for bad in ([100, 101], [MIN_RETURNS - 1, 100], [100]):
        with pytest.raises(ValueError, match="lengths"):
            fit_noise_model(d, np.array(bad))
    fit = fit_noise_model(d)
    with pytest.raises(ValueError, match="lengths"):
        gls_drift(d, fit, np.array([100, 101]))


def test_the_grids_kernels_equal_each_block_alone_and_the_plain_kernel():
    """The grid's kernels take one pass over each length's frequencies for every block of
    shapes: exactly what binned_kernels gives each block, for a length alone or among others,
    and spectrum.binned_kernel to rounding; 1 in the bins a length lacks."""
    ns = np.array([31, 112, 113, 226, 227, 1000, 2521, 3001, 100_001])
    blocks = [(phi, psi) for _, phi, psi in BLOCKS]
    kernels = grid_kernels(ns, blocks)
    for (phi, psi), k in zip(blocks, kernels):
        shapes = (ns.size, phi.size, psi.size)
        alone = binned_kernels(ns, np.broadcast_to(phi[:, None], shapes[:2] + (1,)), np.broadcast_to(psi, shapes))
        np.testing.assert_array_equal(k, alone)
        for s, n in enumerate(ns[:-1].tolist()):
            bins = bin_edges((n - 1) // 2).size - 1
            plain = binned_kernel(n, phi[:, None], psi[None, :])  # (phi, psi, bins)
            np.testing.assert_allclose(k[s, :bins], plain.transpose(2, 0, 1), rtol=1e-12)
            assert np.all(k[s, bins:] == 1.0)
    for s in (0, 6, 8):
        for k, k_alone in zip(kernels, grid_kernels(ns[s : s + 1], blocks)):
            np.testing.assert_array_equal(k_alone[0], k[s])


@pytest.mark.parametrize("n", [40, 2521])
def test_scan_rows_are_the_plain_page_by_page_values_whatever_was_built_first(n):
    """A grid builds the rows of several pages at once (the sums of a page as one
    matrix-vector product in a stack of them): each page's rows are those of the plain
    computation of that page alone, in whatever order the scans asked for them."""
    grid = grids_for_lengths(np.array([n]))[0]
    fresh = ScanGrid(n, grid.kbar)
    rng = np.random.default_rng(n)
    for first in rng.permutation(GRID.q.size)[:15].tolist():
        fresh.rows(first, min(GRID.q.size, first + int(rng.integers(1, 40))))
    fresh.rows(0, GRID.q.size)
    k32 = grid.kbar.T.astype(np.float32)  # (shapes, bins)
    wt = (grid.weights / grid.total).astype(np.float32)
    inv_n = np.full(k32.shape[1], 1.0 / n, dtype=np.float32)
    for first in range(0, GRID.q.size, _PAGE):
        q = GRID.q[_STORED_Q[first : first + _PAGE]].astype(np.float32)[:, None, None]
        h = ((1.0 - q) * k32 + q).reshape(-1, k32.shape[1])
        rows = slice(first * k32.shape[0], first * k32.shape[0] + h.shape[0])
        inv_h_t = wt / h
        np.testing.assert_array_equal(fresh.inv_h_t[rows], inv_h_t)
        np.testing.assert_array_equal(fresh.a3[rows], inv_h_t @ inv_n)
        np.testing.assert_array_equal(fresh.logdet[rows], np.log(h) @ wt)


def test_the_scan_in_double_precision_is_the_plain_objective():
    """The grid's twin in double precision (for funds whose scan in single precision cancels)
    scans the plain objective: against ``reference.objective`` at 40 of the points scanned,
    to rounding, up to the constant the ordinates' scaling adds."""
    from xlwings_udfs.analytics.model import reference
    from xlwings_udfs.analytics.model.fast_fit import _scan_ordinates
    from xlwings_udfs.analytics.model.fast_grid import scan_margins, scan_near_minimum
    from xlwings_udfs.analytics.model.spectrum import binned_ordinates

    n = 300
    d = simulate_panel(SCENARIOS["e_noise_only"], 1, 8, n_returns=n).d[:, 0]
    d[n - 1] += 100.0 * d.std()
    grid = grids_for_lengths(np.array([n]))[0].in_double()
    assert grid.dtype == np.float64 and grid.in_double() is grid
    binned, _, _ = binned_ordinates(d[:, None], unbinned=True)
    q_lo, window, _ = scan_near_minimum(_scan_ordinates(binned, grid), grid, scan_margins(np.ones(1)))
    assert window.dtype == np.float64
    shapes = [(phi, psi) for _, phis, psis in BLOCKS for phi in phis for psi in psis]
    rng = np.random.default_rng(3)
    gaps = []
    for i, s in zip(rng.integers(0, window.shape[1], 40), rng.integers(0, len(shapes), 40)):
        phi, psi = shapes[s]
        gaps.append(window[0, i, s] - reference.objective(d, GRID.q[q_lo + i], phi, psi))
    assert np.ptp(gaps) < 1e-11


@pytest.mark.parametrize("n", [61, 500, 3780])
def test_the_fit_tests_kernel_of_white_noise_is_w_to_the_bit(n):
    """The fit test takes the kernel of white noise (phi = psi = 0) as w itself and computes
    the closed form only for the other funds: the closed form gives w exactly there."""
    from xlwings_udfs.analytics.model.fast_checks import _kernel
    from xlwings_udfs.analytics.model.spectrum import frequencies, kernel_coefficients

    w, cos = frequencies(n)
    coef = kernel_coefficients(np.full((3, 1), float(n)), np.zeros((3, 1)), np.zeros((3, 1)))[:, :, 0]  # (3, 5)
    by_row = _kernel(w, cos, coef.T[:, :, None], np.zeros((3, 1)))
    np.testing.assert_array_equal(by_row, np.broadcast_to(w, by_row.shape))


def test_fit_tests_of_white_and_coloured_funds_together_equal_each_alone():
    """A panel of funds of one length and of many, some fitted as white noise and some not:
    each fund's fit-test p-value is the one it gets alone (its sums over frequencies run in
    another order in a panel: to 1e-12 relative)."""
    d = _returns([700, 700, 700, 700, 650, 500, 700, 500], seed=61)
    lengths = np.array([700, 700, 700, 700, 650, 500, 700, 500])
    for lens in (None, lengths):
        cols = np.array([0, 1, 2, 3, 6]) if lens is None else np.arange(8)  # one length: the full ones
        dd = d[:, cols] if lens is None else d
        fit = fit_noise_model(dd, lens)
        kinds = (fit.noise_phi == 0.0) & (fit.noise_psi == 0.0)
        assert kinds.any() and not kinds.all()
        for j in range(cols.size):
            n = 700 if lens is None else lens[j]
            np.testing.assert_allclose(fit_noise_model(dd[:n, j]).fit_pvalue, fit.fit_pvalue[j], rtol=1e-12)


def test_the_fit_test_of_a_fund_with_a_return_far_off_is_the_references():
    """A first or last return a thousand standard deviations off puts nearly all of the
    periodogram into the end effect, where the fit test's combined sums cancel (the p-value
    off by about 5e-8): those funds' sums are taken of the whitened ordinates themselves, and
    the p-value is the reference's to 2e-8 relative (measured: 6e-9; the ordinates
    themselves cancel as much in the reference), alone and in a panel of many lengths."""
    from xlwings_udfs.analytics.model import reference

    lengths = np.array([3000, 2500, 3000, 2000])
    for scenario in ("e_noise_only", "a_white"):
        for seed in (5, 6):
            d = simulate_panel(SCENARIOS[scenario], 4, seed=seed, n_returns=3000).d.copy()
            panel = np.where(np.arange(3000)[:, None] < lengths, d, np.nan)
            for j, n in enumerate(lengths):  # the first return off, or the last
                panel[0 if j % 2 == 0 else n - 1, j] += 1000.0 * d[:n, j].std()
            in_panel = fit_noise_model(panel, lengths)
            for j, n in enumerate(lengths):
                x = panel[:n, j]
                fit = fit_noise_model(x)
                want = reference.fit_test(x, NoiseModelFit(**{f: float(np.asarray(getattr(fit, f))[0]) for f in FIELDS}))
                assert fit.fit_pvalue[0] == pytest.approx(want, rel=2e-8), (scenario, seed, j)
                if in_panel.noise_var[j] == fit.noise_var[0]:  # the same fit (the scan's rounding aside)
                    assert in_panel.fit_pvalue[j] == pytest.approx(want, rel=2e-8), (scenario, seed, j)


def test_the_refined_objective_on_the_grid_shape_equals_it_computed():
    """The full model's objective at its refined point reads the kernel of the grid
    minimum's shape where phi and psi stayed there: the same values (to 1e-13 relative) as the
    kernel computed at the point, shapes of every block, lengths binned and not."""
    from xlwings_udfs.analytics.model import fast_fit
    from xlwings_udfs.analytics.model.spectrum import MAX_BINS, bin_widths, binned_ordinates

    rng = np.random.default_rng(23)
    lengths = np.array([900, 900, 333, 100, 2521, 61])
    d = _returns(lengths, 29)
    k = lengths.size
    ibar, cbar, w_total = np.zeros((3, k, MAX_BINS))
    kernel = np.ones((k, MAX_BINS))
    shape = rng.integers(0, fast_fit.N_SHAPES, k)
    shape[:3] = [0, fast_fit.N_SHAPES - 1, BLOCKS[1][0]]  # white noise, the last shape, a block's first
    for j, n in enumerate(lengths):
        binned, _ = binned_ordinates(d[:n, j : j + 1])
        bins = binned.shape[0]
        ibar[j, :bins], cbar[j, :bins] = binned[:, 0, 0], binned[:, 1, 0]
        w = bin_widths((n - 1) // 2)
        w_total[j, :bins] = w / w.sum()
        kernel[j, :bins] = grids_for_lengths(np.array([n]))[0].kbar[:, shape[j]]
    q = rng.uniform(0.0, 1.0, k)
    phi, psi = fast_fit._SHAPE_PHI[shape], fast_fit._SHAPE_PSI[shape]
    ns = lengths.astype(float)
    val, sigma2 = fast_fit._refined_objective(ibar, cbar, w_total, ns, q, phi, psi, shape, kernel)
    want_val, want_sigma2 = fast_fit._concentrated(ibar, cbar, w_total, ns, q[:, None], phi[:, None], psi[:, None])
    np.testing.assert_allclose(val, want_val[:, 0], rtol=1e-13)
    np.testing.assert_allclose(sigma2, want_sigma2[:, 0], rtol=1e-13)
    # Off the grid shape, the kernel is computed at the point (the one passed is not read).
    moved_phi = np.where(shape == 0, 0.05, phi)
    val, _ = fast_fit._refined_objective(ibar, cbar, w_total, ns, q, moved_phi, psi, shape, kernel * np.nan)
    want, _ = fast_fit._concentrated(ibar[:1], cbar[:1], w_total[:1], ns[:1], q[:1, None], moved_phi[:1, None], psi[:1, None])
    assert val[0] == want[0, 0] and np.isnan(val[1:]).all()


def test_binned_ordinates_are_the_bin_means_of_the_ordinates():
    """The bins are summed with each fund's frequencies contiguous: the same sums, to the
    bit, as reduceat along the ordinates as they are returned (2, funds, frequencies)."""
    from xlwings_udfs.analytics.model.spectrum import bin_widths, binned_ordinates

    rng = np.random.default_rng(7)
    for n, k, order in [(3780, 9, "F"), (3780, 9, "C"), (400, 3, "F"), (61, 1, "C")]:
        d = rng.normal(0.0, 1e-3, (n, k)).copy(order=order)
        binned, scale, both = binned_ordinates(d, unbinned=True)
        m = (n - 1) // 2
        assert both.shape == (2, k, m) and both.flags.c_contiguous and binned.flags.c_contiguous
        want = np.add.reduceat(both, bin_edges(m)[:-1], axis=2).transpose(2, 0, 1) / bin_widths(m)[:, None, None]
        np.testing.assert_array_equal(binned, want)
        assert np.array_equal(binned_ordinates(d)[0], binned)


def test_the_ordinates_are_those_of_the_demeaned_returns():
    """The mean is left in the returns: at the Fourier frequencies used it sums to zero, so
    the ordinates are those of the demeaned returns to rounding, about 1e-15 of the largest
    times the ratio of the mean to the spread (against the same transform of the demeaned
    returns), and those of the plain Fourier sums of the demeaned returns."""
    from xlwings_udfs.analytics.model.spectrum import binned_ordinates

    rng = np.random.default_rng(11)
    for n, ratio in [(61, 0.0), (400, 1.0), (2520, 30.0), (3779, 1e4)]:
        d = rng.normal(ratio * 1e-3, 1e-3, (n, 2))
        demeaned = d - d.mean(axis=0)
        binned, scale, (pgram, real) = binned_ordinates(d, unbinned=True)
        want_binned, want_scale, _ = binned_ordinates(demeaned, unbinned=True)
        tol = 1e-14 * max(1.0, ratio)
        np.testing.assert_allclose(scale, want_scale, rtol=tol)
        np.testing.assert_allclose(binned, want_binned, rtol=0, atol=tol * np.abs(want_binned).max())
        m = (n - 1) // 2
        lam = 2.0 * np.pi * np.arange(1, m + 1) / n
        fourier = np.exp(-1j * np.outer(lam, np.arange(n))) @ demeaned  # (m, 2)
        big = np.abs(fourier).max()
        np.testing.assert_allclose(pgram.T * scale, np.abs(fourier) ** 2 / n, rtol=0, atol=1e-10 * big**2 / n)
        np.testing.assert_allclose(real.T * n * np.sqrt(scale), fourier.real, rtol=0, atol=1e-10 * big)


def test_only_a_fund_whose_differences_are_all_equal_tracks_exactly():
    """Funds are compared whole only where their first two differences are equal: a fund
    equal there but not after is fitted as any other; one equal throughout tracks exactly."""
    rng = np.random.default_rng(0)
    d = rng.normal(0.0, 1e-3, (300, 3))
    d[:, 1] = 0.0003
    d[:2, 2] = 0.0005
    fit = fit_noise_model(d)
    assert fit.persistent_var[1] == 0.0 and np.isnan(fit.fit_pvalue[1])
    assert fit.persistent_var[2] > 0.0 and np.isfinite(fit.fit_pvalue[2])
    for j in range(3):
        alone = fit_noise_model(d[:, j])
        np.testing.assert_allclose(alone.persistent_var[0], fit.persistent_var[j], rtol=1e-12)
