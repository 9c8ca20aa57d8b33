"""The fast estimator against the plain reference, and the reference against first principles.

``model.reference`` computes the estimator as the model's docstring defines it, one fund at a
time, in double precision, with none of the fast path's shortcuts for speed. The fast path
(``fit_noise_model``, ``gls_drift``) must give the same figures, fund alone or in a panel of
mixed lengths, up to what its single-precision scan costs. The tolerances below, and what was
measured on these draws (quick and slow runs, alone and in a panel):

* The scan's objective values are accurate to a few 1e-7 (single precision, and sums that
  cancel). Where two grid points are that close, the scan may take the other one as the grid
  minimum, and the refinement then starts from it: an estimate as good by the likelihood but
  not the same point. The likelihood ratio between the fast and the reference estimate, by
  the reference's own objective, is held to 1e-2 (measured up to 3e-3: a twentieth of a
  standard error), such ties to a tenth of the funds (measured up to 5%), and the tracking
  error's variance s_u^2 in a tie to 5% of its interval's width (measured 2e-3). Everywhere
  else the point estimates agree to rounding: 1e-9 relative to the returns' variance
  (measured 2e-13).
* The interval bounds and the mean of s_u^2 are read off the single-precision scan. Where a
  rounding moves the minimum of the profile along one of its axes to the neighbouring grid
  point, the parabola through the other three points gives a likelihood ratio up to about
  1e-2 off, which moves an end point by up to 1e-3. Held to 5e-3 relative (measured up to
  1.2e-4 on these draws, 9e-4 on others); so is the drift's standard error, which uses the
  mean (measured 2e-3 where the estimate tied). The drift itself is held to 1e-3 of its
  standard error (measured 2e-4).
* Given the same fit, the drift by the fast path's whitening recursion differs from the dense
  GLS only by the tiny ridge (1e-12 of the trace) the fast path adds to its 3 x 3 solve: on a
  noise-dominated fund the trace grows like n^3, and the drift moves by up to 1e-4 of its
  standard error at n = 3000, the standard error by 2e-6 (held to 5e-4 and 1e-5); without
  the ridge they agree to 1e-11.
"""
from __future__ import annotations

import numpy as np
import pytest

from simulate import B_MA2, SCENARIOS, simulate_panel
from xlwings_udfs.analytics.model import NoiseModelFit, fit_noise_model, gls_drift, reference
from xlwings_udfs.analytics.model.definition import CHI2_95, CHI2_95_BOUNDARY, GRID, Grid
from xlwings_udfs.analytics.model.spectrum import (
    bin_edges,
    bin_widths,
    binned_kernel,
    binned_ordinates,
    ma_autocovariances,
)

ALL = {**SCENARIOS, "b_ma2": B_MA2}
FIELDS = tuple(NoiseModelFit.__dataclass_fields__)
POINT = ("persistent_var", "noise_var", "noise_phi", "noise_psi")
PROFILE = ("persistent_var_lower", "persistent_var_upper", "persistent_var_mean")

#: Funds per scenario at each length for the quick comparison, and a fund at ten years (the
#: dense GLS takes about half a second there): 127 funds.
QUICK = {31: 6, 40: 6, 113: 4, 300: 3, 756: 2}
QUICK_LONG = {2520: ("e_noise_only",)}
#: The slow run: 230 funds, lengths to 3000.
SLOW = {31: 8, 57: 8, 112: 8, 250: 6, 500: 5, 1000: 3}
SLOW_LONG = {3000: ("b_ar1", "e_noise_only")}

# Tolerances (see the module docstring for what they allow for).
LR_GAP = 1e-2  # likelihood ratio between the fast and the reference estimate
POINT_RTOL = 1e-9  # point estimates, variances relative to the returns' variance
TIED_SHARE = 0.10  # funds whose point estimates may differ beyond that (ties), at most
TIED_WIDTH = 0.05  # ... and then s_u^2 by at most this share of its interval's width
PROFILE_RTOL = 5e-3  # interval bounds, mean of s_u^2 and the drift's standard error
PROFILE_ATOL = 1e-9  # ... of the returns' variance, for bounds at or next to zero
DRIFT_IN_SE = 1e-3  # the drift, in units of its standard error
GLS_DRIFT_IN_SE = 5e-4  # the drift given the same fit (the fast path's ridge)
GLS_SE_RTOL = 1e-5  # its standard error given the same fit


def _draws(per_length: dict, long: dict | None = None):
    """(scenario, n, returns) of every scenario at every length, reproducibly."""
    out = []
    for si, (name, sc) in enumerate(ALL.items()):
        for n, k in per_length.items():
            d = simulate_panel(sc, k, 10_000 * si + n, n_returns=n).d
            out += [(name, n, d[:, j]) for j in range(k)]
    for n, names in (long or {}).items():
        for name in names:
            out.append((name, n, simulate_panel(ALL[name], 1, 77 + n, n_returns=n).d[:, 0]))
    return out


def _one(fit: NoiseModelFit, j: int) -> NoiseModelFit:
    return NoiseModelFit(**{f: float(getattr(fit, f)[j]) for f in FIELDS})


def _fits(draws):
    """The reference fit and drift of each fund; the fast ones alone and as one panel."""
    ref = []
    for _, _, d in draws:
        fit = reference.fit_noise_model(d)
        ref.append((fit, reference.gls_drift(d, fit)))
    alone = []
    for _, _, d in draws:
        fit = fit_noise_model(d)
        mu, se = gls_drift(d, fit)
        alone.append((_one(fit, 0), (mu[0], se[0])))
    lengths = np.array([n for _, n, _ in draws])
    panel = np.full((lengths.max(), lengths.size), np.nan)
    for j, (_, n, d) in enumerate(draws):
        panel[:n, j] = d
    order = np.random.default_rng(0).permutation(lengths.size)  # lengths mixed
    fit = fit_noise_model(panel[:, order], lengths[order])
    mu, se = gls_drift(panel[:, order], fit, lengths[order])
    together = [None] * lengths.size
    for i, j in enumerate(order):
        together[j] = (_one(fit, i), (mu[i], se[i]))
    return ref, {"alone": alone, "panel": together}


@pytest.fixture(scope="module")
def quick():
    draws = _draws(QUICK, QUICK_LONG)
    return draws, *_fits(draws)


def _q(fit: NoiseModelFit) -> float:
    return fit.persistent_var / (fit.persistent_var + fit.noise_var)


def _likelihood_gap(d, fast: NoiseModelFit, ref: NoiseModelFit) -> float:
    """Likelihood ratio of the fast estimate against the reference's, by the reference's objective."""
    m = (d.size - 1) // 2
    at = [reference.objective(d, _q(f), f.noise_phi, f.noise_psi) for f in (fast, ref)]
    return 2.0 * m * (at[0] - at[1])


def _check_against_reference(draws, ref, fast):
    """Every field of the fit, the drift and its standard error: see the module docstring."""
    problems, tied = [], []
    for (name, n, d), (rf, (rmu, rse)), (ff, (fmu, fse)) in zip(draws, ref, fast):
        label = f"{name}, n={n}"
        var = d.var()
        if rf.persistent_var + rf.noise_var == 0.0:  # tracks exactly: nothing to compare but zeros
            if any(getattr(ff, f) != 0.0 for f in FIELDS):
                problems.append(f"{label}: an exact fund's fit is not zero")
            continue
        gap = _likelihood_gap(d, ff, rf)
        if abs(gap) > LR_GAP:
            problems.append(f"{label}: the fast estimate is {gap:.2e} of likelihood ratio off the reference's")
        scaled = [abs(getattr(ff, f) - getattr(rf, f)) / (var if f.endswith("_var") else 1.0) for f in POINT]
        if max(scaled) > POINT_RTOL:
            tied.append(label)
            moved = abs(ff.persistent_var - rf.persistent_var) / (rf.persistent_var_upper - rf.persistent_var_lower)
            if moved > TIED_WIDTH:
                problems.append(f"{label}: s_u^2 moved by {moved:.2e} of its interval's width")
        for f in PROFILE:
            a, b = getattr(ff, f), getattr(rf, f)
            if abs(a - b) > PROFILE_RTOL * abs(b) + PROFILE_ATOL * var:
                problems.append(f"{label}: {f} {a:.6e} against {b:.6e}")
        if abs(fmu - rmu) > DRIFT_IN_SE * rse:
            problems.append(f"{label}: drift {fmu:.6e} against {rmu:.6e} (se {rse:.2e})")
        if abs(fse - rse) > PROFILE_RTOL * rse:
            problems.append(f"{label}: drift se {fse:.6e} against {rse:.6e}")
    if len(tied) > TIED_SHARE * len(draws):
        problems.append(f"point estimates differ beyond {POINT_RTOL:g} in {len(tied)} of {len(draws)} funds: {tied}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("how", ["alone", "panel"])
def test_fast_fit_and_drift_equal_the_reference(quick, how):
    draws, ref, fast = quick
    _check_against_reference(draws, ref, fast[how])


def test_fast_drift_equals_the_dense_gls_given_the_same_fit(quick):
    draws, _, fast = quick
    for (name, n, d), (fit, (mu, se)) in zip(draws, fast["alone"]):
        ref_mu, ref_se = reference.gls_drift(d, fit)
        assert abs(mu - ref_mu) <= GLS_DRIFT_IN_SE * ref_se, (name, n, mu, ref_mu, ref_se)
        assert se == pytest.approx(ref_se, rel=GLS_SE_RTOL, abs=0.0), (name, n)


@pytest.mark.slow
def test_fast_fit_and_drift_equal_the_reference_on_many_draws():
    draws = _draws(SLOW, SLOW_LONG)
    ref, fast = _fits(draws)
    for how in fast:
        _check_against_reference(draws, ref, fast[how])


# ---------------------------------------------------------------------------------------
# the reference against first principles
# ---------------------------------------------------------------------------------------

def _noise_autocovariance_by_weights(phi: float, psi: float, lags: int) -> np.ndarray:
    """gamma(0..lags-1) of (1 - phi B) e = (1 + psi B) eta, unit innovations, from the MA(inf)
    weights 1, phi + psi, (phi + psi) phi, ... summed numerically."""
    k = np.arange(4000)
    weights = np.where(k == 0, 1.0, (phi + psi) * phi ** np.maximum(k - 1, 0))
    return np.array([weights[: weights.size - h] @ weights[h:] for h in range(lags)])


def _kernel_by_exponentials(n: int, phi: float, psi: float) -> np.ndarray:
    """Bin means of |1 - e^{-i l}|^2 sum_{h=-(n-1)}^{n-1} (1 - |h|/n) gamma(|h|) e^{i l h}, in
    complex arithmetic, every lag written out."""
    m = (n - 1) // 2
    lam = 2.0 * np.pi * np.arange(1, m + 1) / n
    gamma = _noise_autocovariance_by_weights(phi, psi, n)
    h = np.arange(-(n - 1), n)
    terms = (1.0 - np.abs(h) / n) * gamma[np.abs(h)] * np.exp(1j * np.outer(lam, h))
    k = (np.abs(1.0 - np.exp(-1j * lam)) ** 2 * terms.sum(axis=1)).real
    return np.add.reduceat(k, bin_edges(m)[:-1]) / bin_widths(m)


@pytest.mark.parametrize("n", [31, 32, 40, 257, 1000, 2521])
def test_kernel_in_closed_form_equals_the_lag_sum(n):
    rng = np.random.default_rng(n)
    phi = np.concatenate([[0.0, 0.8, 0.0, 0.8, 0.5], rng.uniform(0.0, 0.8, 5)])
    psi = np.concatenate([[0.0, 0.0, 0.9, 0.9, 0.0], rng.uniform(0.0, 0.9, 5)])
    closed = binned_kernel(n, phi, psi)
    by_sum = reference.binned_kernel(n, phi, psi)
    assert closed.shape == by_sum.shape == (phi.size, bin_edges((n - 1) // 2).size - 1)
    np.testing.assert_allclose(closed, by_sum, rtol=1e-11)
    if n <= 1000:  # every lag written out: (m x 2n) complex terms
        for j in (0, 3, 7):
            np.testing.assert_allclose(by_sum[j], _kernel_by_exponentials(n, phi[j], psi[j]), rtol=1e-10)


@pytest.mark.parametrize("n", [40, 257, 1000])
def test_binned_ordinates_are_the_fourier_sums(n):
    d = np.random.default_rng(n).normal(0.0, 1e-3, n)
    binned, scale = binned_ordinates(d[:, None])
    m = (n - 1) // 2
    t = np.arange(n)
    big_d = np.exp(-2j * np.pi * np.outer(np.arange(1, m + 1), t) / n) @ d  # D_j, j = 1..m
    assert scale[0] == pytest.approx(np.mean(np.abs(big_d) ** 2 / n), rel=1e-12)
    edges = bin_edges(m)
    for column, values in ((0, np.abs(big_d) ** 2 / n / scale[0]), (1, big_d.real / n / np.sqrt(scale[0]))):
        np.testing.assert_allclose(binned[:, column, 0], np.add.reduceat(values, edges[:-1]) / np.diff(edges),
                                   rtol=1e-9, atol=1e-12)


def _covariance_of_returns(n: int, s2: float, e2: float, phi: float, psi: float) -> np.ndarray:
    """Cov(d) of d_t = mu + u_t + e_t - e_{t-1}, t = 0..n-1, from the model's definitions."""
    gamma = e2 * _noise_autocovariance_by_weights(phi, psi, n + 1)
    levels = gamma[np.abs(np.subtract.outer(np.arange(n + 1), np.arange(n + 1)))]  # e_{-1}..e_{n-1}
    diff = np.eye(n + 1)[1:] - np.eye(n + 1)[:-1]  # d_t's noise: e_t - e_{t-1}
    return s2 * np.eye(n) + diff @ levels @ diff.T


FITS = [  # (s_u^2, sigma_eta^2, phi, psi) and its mean of s_u^2
    (1.0, 3.0, 0.0, 0.0, 1.0), (1.0, 7.5 * 0.64, 0.6, 0.0, 1.4), (1.0, 1.2, 0.0, 2 / 3, 1.0),
    (0.0, 1.0, 0.0, 0.0, 0.3), (0.0, 1.0, 0.5, 0.5, 0.0), (1.0, 0.0, 0.3, 0.2, 1.0), (0.2, 1.0, 0.8, 0.9, 0.5),
]


@pytest.mark.parametrize("s2, e2, phi, psi, mean", FITS)
def test_drift_is_the_textbook_gls(s2, e2, phi, psi, mean):
    """The reference drift against (X'S^-1 X)^-1 X'S^-1 y, S the model's covariance of y.

    S is built from the definitions (Cov(d) from the noise's autocovariances, then
    y_t = d_{t+1} - phi d_t), not from the MA(2) autocovariances the reference uses. With the
    two pre-sample innovations free, their indicators take y_0 and y_1 out of the estimate:
    the same drift is the GLS of y_2.. on the constant alone, and the first two returns get
    no weight. The variance given the spectrum is that of the weighted sum of the returns.
    """
    n = 60
    d = np.random.default_rng(1).normal(0.0, 1.0, n)
    fit = NoiseModelFit(s2, s2, s2, mean, e2, phi, psi)
    cov_d = _covariance_of_returns(n, s2, e2, phi, psi)
    lag = np.eye(n)[1:] - phi * np.eye(n)[:-1]  # y = lag @ d
    y, cov_y = lag @ d, lag @ cov_d @ lag.T
    c = ma_autocovariances(s2, e2, phi, psi)
    np.testing.assert_allclose(np.diag(cov_y, 0), c[0], rtol=1e-12)
    np.testing.assert_allclose(np.diag(cov_y, 1), c[1], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(np.diag(cov_y, 2), c[2], rtol=1e-12, atol=1e-14)
    lag_of = np.abs(np.subtract.outer(np.arange(n - 1), np.arange(n - 1)))
    np.testing.assert_allclose(cov_y[lag_of > 2], 0.0, atol=1e-14)

    x = np.zeros((n - 1, 3))
    x[:, 0], x[0, 1], x[1, 2] = 1.0 - phi, 1.0, 1.0
    s_inv_x = np.linalg.solve(cov_y, x)
    beta = np.linalg.solve(x.T @ s_inv_x, s_inv_x.T @ y)
    weights, var = reference.gls_weights(n, fit)
    mu, se = reference.gls_drift(d, fit)
    assert mu == pytest.approx(beta[0], rel=1e-10)
    assert var == pytest.approx(np.linalg.inv(x.T @ s_inv_x)[0, 0], rel=1e-10)
    tail = np.linalg.solve(cov_y[2:, 2:], x[2:, :1])
    assert mu == pytest.approx((tail.T @ y[2:])[0] / (tail.T @ x[2:, :1])[0, 0], rel=1e-10)
    assert weights.sum() == pytest.approx(1.0, rel=1e-12)
    np.testing.assert_allclose(weights[:2], 0.0, atol=1e-12)
    assert weights @ cov_d @ weights == pytest.approx(var, rel=1e-10)
    assert se**2 == pytest.approx(var + max(mean - s2, 0.0) * (weights @ weights), rel=1e-12)


def test_profile_interval_ends_where_the_likelihood_ratio_is_the_95_point():
    """At each end of the interval the profile likelihood ratio is 3.84 (to the interpolation
    between the grid's values of s_u^2), below it inside and above it outside; the interval
    starts at zero only where zero is within the boundary's 95% point."""
    for name, sc in ALL.items():
        for n in (40, 300, 756):
            p = simulate_panel(sc, 3, 5, n_returns=n)
            for d in p.d.T:
                fit = reference.fit_noise_model(d)
                lo, est, up = fit.persistent_var_lower, fit.persistent_var, fit.persistent_var_upper
                assert lo <= est <= up
                at_lo, below_lo, above_lo, at_est, at_up, below_up, above_up, at_zero = reference.likelihood_ratio(
                    d, [lo, lo / 1.3, lo * 1.3, est, up, up / 1.3, up * 1.3, 0.0])
                assert abs(at_est) < 0.5 and abs(at_up - CHI2_95) < 0.5, (name, n, at_est, at_up)
                assert below_up < CHI2_95 < above_up, (name, n, below_up, above_up)
                if lo > 0.0:
                    assert at_zero > CHI2_95_BOUNDARY
                    assert abs(at_lo - CHI2_95) < 0.5 and below_lo > CHI2_95 > above_lo, (name, n, lo)
                else:
                    assert at_zero <= CHI2_95_BOUNDARY, (name, n, at_zero)


def test_a_fund_that_tracks_exactly():
    d = np.full(300, -0.0001)
    for fit in (reference.fit_noise_model(d), _one(fit_noise_model(d), 0)):
        assert all(getattr(fit, f) == 0.0 for f in FIELDS)
    assert reference.gls_drift(d, reference.fit_noise_model(d)) == pytest.approx((-0.0001, 0.0), rel=1e-12, abs=1e-20)
    mu, se = gls_drift(d, fit_noise_model(d))
    assert mu[0] == pytest.approx(-0.0001, rel=1e-12) and se[0] == 0.0


def test_the_grid_is_a_parameter_of_the_reference():
    """A coarser grid, a sub-grid of the default one, gives a worse or equal likelihood."""
    d = simulate_panel(ALL["b_ar1"], 1, 9, n_returns=500).d[:, 0]
    white = Grid(q=GRID.q, phi=GRID.phi[:1], psi=GRID.psi[:1], v=GRID.v)
    full, coarse = reference.fit_noise_model(d), reference.fit_noise_model(d, white)
    assert coarse.noise_phi == coarse.noise_psi == 0.0
    assert coarse.persistent_var_lower <= coarse.persistent_var <= coarse.persistent_var_upper
    at = [reference.objective(d, _q(f), f.noise_phi, f.noise_psi) for f in (full, coarse)]
    assert at[0] <= at[1]
