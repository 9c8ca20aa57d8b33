"""Internals of the tracking model checked against direct computations."""
from __future__ import annotations

import numpy as np
import pytest

from xlwings_udfs.analytics.model.fast_kernel import binned_kernels as _binned_kernel
from xlwings_udfs.analytics.model.spectrum import MAX_BINS as _MAX_BINS, bin_edges as _bin_edges


def fejer_kernel_by_sum(n: int, phi: float, psi: float) -> np.ndarray:
    """Bin means of |1 - e^{-i lambda}|^2 sum_{|h|<n} (1 - |h|/n) gamma(h) e^{i lambda h}.

    The expected periodogram of n differenced ARMA(1,1) values with unit innovations, end
    effect aside, summed over the lags term by term: no closed form involved.
    """
    m = (n - 1) // 2
    lam = 2.0 * np.pi * np.arange(1, m + 1) / n
    gamma0 = (1.0 + 2.0 * phi * psi + psi * psi) / (1.0 - phi * phi)
    gamma1 = (phi + psi) * (1.0 + phi * psi) / (1.0 - phi * phi)
    h = np.arange(1, n)
    weighted = (1.0 - h / n) * gamma1 * phi ** (h - 1.0)
    fejer = gamma0 + 2.0 * np.cos(np.outer(lam, h)) @ weighted
    k = 4.0 * np.sin(lam / 2.0) ** 2 * fejer
    edges = _bin_edges(m)
    return np.add.reduceat(k, edges[:-1]) / np.diff(edges)


@pytest.mark.parametrize("n", [31, 32, 40, 257, 1000, 2521])
def test_binned_kernel_matches_the_lag_sum(n):
    rng = np.random.default_rng(n)
    phi = np.concatenate([[0.0, 0.8, 0.0, 0.8, 0.5], rng.uniform(0.0, 0.8, 5)])
    psi = np.concatenate([[0.0, 0.0, 0.9, 0.9, 0.0], rng.uniform(0.0, 0.9, 5)])
    got = _binned_kernel(np.full(phi.size, n), phi[:, None], psi[:, None, None])
    bins = _bin_edges((n - 1) // 2).size - 1
    assert got.shape == (phi.size, _MAX_BINS, 1, 1)
    assert np.all(got[:, bins:] == 1.0)  # padding
    for j in range(phi.size):
        np.testing.assert_allclose(got[j, :bins, 0, 0], fejer_kernel_by_sum(n, phi[j], psi[j]), rtol=1e-11)


def test_binned_kernel_on_a_grid_equals_pairs():
    phi, psi = np.array([0.0, 0.3, 0.8]), np.array([0.0, 0.45, 0.9, 0.2])
    grid = _binned_kernel(np.array([500]), phi[None], np.broadcast_to(psi, (1, phi.size, psi.size)))
    pairs = _binned_kernel(np.full(phi.size * psi.size, 500), np.repeat(phi, psi.size), np.tile(psi, phi.size))
    np.testing.assert_allclose(grid[0].reshape(_MAX_BINS, -1), pairs[:, :, 0, 0].T, rtol=1e-14)


def test_binned_kernel_of_many_lengths_equals_each_alone(monkeypatch):
    """Segments laid end to end, in chunks of any size: each bin's sum is its own."""
    from xlwings_udfs.analytics.model import fast_kernel as model

    ns = np.array([31, 2521, 40, 257, 1000, 32, 100_001])
    rng = np.random.default_rng(1)
    phi, psi = rng.uniform(0.0, 0.8, (ns.size, 3)), rng.uniform(0.0, 0.9, (ns.size, 3, 2))
    together = _binned_kernel(ns, phi, psi)
    alone = np.concatenate([_binned_kernel(ns[[s]], phi[[s]], psi[[s]]) for s in range(ns.size)])
    np.testing.assert_array_equal(together, alone)
    monkeypatch.setattr(model, "_KERNEL_CHUNK", 1000)  # many chunks, one bin wider than a chunk
    np.testing.assert_array_equal(_binned_kernel(ns, phi, psi), together)


@pytest.mark.parametrize("n_returns", [40, 300, 2520])
def test_scan_near_the_minimum_equals_the_full_scan(monkeypatch, n_returns):
    from simulate import SCENARIOS, simulate_panel
    from xlwings_udfs.analytics.model import fast_grid, fit_noise_model

    fits = {}
    for margin in (fast_grid._SCAN_MARGIN, np.inf):  # an infinite margin scans every q
        monkeypatch.setattr(fast_grid, "_SCAN_MARGIN", margin)
        fits[margin] = [fit_noise_model(np.diff(simulate_panel(sc, 12, 5, n_returns=n_returns).L, axis=0)[:, [j]])
                        for sc in SCENARIOS.values() for j in range(12)]
    # Equal but for the single-precision scan, whose values can depend on the range of rows
    # read (about 1e-8 relative in the interval bounds); a q range that missed the minimum
    # would show as differences of 1e-3 and more.
    for near, full in zip(*fits.values()):
        for field in near.__dataclass_fields__:
            np.testing.assert_allclose(getattr(near, field), getattr(full, field), rtol=1e-6, atol=1e-300,
                                       err_msg=field)


def test_grid_rows_do_not_depend_on_the_order_they_are_built_in():
    """A fund's figures must not depend on which funds were fitted before it."""
    from xlwings_udfs.analytics.model.fast_grid import ScanGrid as _Grid, _Q_GRID, grids_for_lengths as _grids_for_lengths

    kbar = _grids_for_lengths([777])[0].kbar
    whole, pieces = _Grid(777, kbar), _Grid(777, kbar)
    whole.rows(0, _Q_GRID.size)
    rng = np.random.default_rng(0)
    while not pieces._built.all():
        first = int(rng.integers(0, _Q_GRID.size))
        pieces.rows(first, min(_Q_GRID.size, first + int(rng.integers(1, 9))))
    for name in ("inv_h_t", "logdet", "a3"):
        np.testing.assert_array_equal(getattr(pieces, name), getattr(whole, name), err_msg=name)


def test_drift_of_funds_of_different_lengths_together_equals_each_alone():
    """Padded below their data, funds of different lengths share one GLS pass."""
    from simulate import SCENARIOS, simulate_panel
    from xlwings_udfs.analytics.model import NoiseModelFit, fit_noise_model, gls_drift

    lengths = np.array([31, 400, 57, 1000, 999, 250])
    d = np.full((lengths.max(), lengths.size), np.nan)  # NaN below each fund's data
    alone = []
    for j, (n, sc) in enumerate(zip(lengths, [*SCENARIOS.values(), SCENARIOS["a_white"]])):
        d[:n, j] = np.diff(simulate_panel(sc, 1, 40 + j, n_returns=int(n)).L[:, 0])
        fit = fit_noise_model(d[:n, j])
        alone.append((fit, gls_drift(d[:n, j], fit)))
    fit = NoiseModelFit(**{f: np.concatenate([getattr(a[0], f) for a in alone]) for f in NoiseModelFit.__dataclass_fields__})
    mu, se = gls_drift(d, fit, lengths)
    np.testing.assert_allclose(mu, [a[1][0][0] for a in alone], rtol=1e-10)
    np.testing.assert_allclose(se, [a[1][1][0] for a in alone], rtol=1e-10)


def test_fit_of_funds_of_different_lengths_together_equals_each_alone():
    """One fit for funds of many lengths: the scan per length, the rest padded, all at once."""
    from simulate import SCENARIOS, simulate_panel
    from xlwings_udfs.analytics.model import fit_noise_model

    lengths = np.array([31, 400, 57, 1000, 999, 250, 400, 2521, 112, 113])
    scenarios = list(SCENARIOS.values())
    d = np.full((lengths.max(), lengths.size), np.nan)  # NaN below each fund's data
    for j, n in enumerate(lengths):
        d[:n, j] = np.diff(simulate_panel(scenarios[j % len(scenarios)], 1, 70 + j, n_returns=int(n)).L[:, 0])
    d[:250, 5] = 0.0003  # a fund that tracks exactly: all zero
    together = fit_noise_model(d, lengths)
    for j, n in enumerate(lengths):
        alone = fit_noise_model(d[:n, j])
        for field in alone.__dataclass_fields__:
            np.testing.assert_allclose(getattr(together, field)[j], getattr(alone, field)[0], rtol=1e-12, atol=0,
                                       err_msg=f"{field}, fund {j}")


def test_lengths_outside_the_data_are_refused():
    from xlwings_udfs.analytics.model import MIN_RETURNS, fit_noise_model, gls_drift

    d = np.random.default_rng(0).normal(0.0, 1e-4, (100, 2))
    for bad in ([100, 101], [MIN_RETURNS - 1, 100], [100]):
        with pytest.raises(ValueError, match="lengths"):
            fit_noise_model(d, np.array(bad))
    fit = fit_noise_model(d)
    with pytest.raises(ValueError, match="lengths"):
        gls_drift(d, fit, np.array([100, 101]))
