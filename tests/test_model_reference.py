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
  GLS only by rounding and the tiny ridge the fast path adds to its 3 x 3 solve (1e-12 of
  each initial state's own sum of squares): measured up to 8e-8 of its standard error, the
  standard error 2e-9 relative, on funds whose deviations are all noise up to n = 15,000
  (held to 1e-6 and 1e-8).
* The dispersion and the mean span are plain sums, the same to 1e-9; the fit test's p-value is
  computed from the same periodogram and fit, the same to 1e-8 where the point estimates
  agree.
"""
from __future__ import annotations

import numpy as np
import pytest

from simulate import B_MA2, SCENARIOS, STRESS, simulate_panel
from xlwings_udfs.analytics.model import NoiseModelFit, fast_fit, fit_noise_model, gls_drift, reference, reference_gls
from xlwings_udfs.analytics.model.definition import (
    CHI2_95,
    CHI2_95_BOUNDARY,
    CHI2_SELECT,
    DISPERSION_BLOCK,
    FIT_TEST_LAGS,
    GRID,
    MIN_RETURNS,
    Grid,
    fit_lengths,
)
from xlwings_udfs.analytics.model.spectrum import (
    bin_edges,
    bin_widths,
    binned_kernel,
    binned_ordinates,
    chi2_sf,
    ma_autocovariances,
)

ALL = {**SCENARIOS, "b_ma2": B_MA2, **{k: v for k, v in STRESS.items() if v.per_year == 252 and k != "g_short_daily"}}
FIELDS = tuple(NoiseModelFit.__dataclass_fields__)
ESTIMATES = FIELDS[:7]  # the fields estimated (not the dispersion and the mean span)
POINT = ("persistent_var", "noise_var", "noise_phi", "noise_psi")
PROFILE = ("persistent_var_lower", "persistent_var_upper", "persistent_var_mean")

#: Funds per scenario at each length for the quick comparison, and a fund at ten years (the
#: dense GLS takes about half a second there); with gaps in the fund's data (a fifth of its
#: days blank: returns that span several periods), funds per scenario at each number of days:
#: 179 funds over the model's scenarios and the stress scenarios (overshooting noise, a
#: crisis, momentum).
QUICK = {31: 4, 40: 4, 113: 3, 300: 2, 756: 1}
QUICK_LONG = {2520: ("e_noise_only",)}
QUICK_GAPPED = {60: 1, 400: 1}
#: The slow run: 330 funds, lengths to 3000.
SLOW = {31: 6, 57: 6, 112: 6, 250: 4, 500: 3, 1000: 2}
SLOW_LONG = {3000: ("b_ar1", "e_noise_only")}
SLOW_GAPPED = {100: 2, 800: 1}
BLANK = 0.2

# Tolerances (see the module docstring for what they allow for).
LR_GAP = 1e-2  # likelihood ratio between the fast and the reference estimate
POINT_RTOL = 1e-9  # point estimates, variances relative to the returns' variance
TIED_SHARE = 0.10  # funds whose point estimates may differ beyond that (ties), at most
TIED_WIDTH = 0.05  # ... and then s_u^2 by at most this share of its interval's width
PROFILE_RTOL = 5e-3  # interval bounds, mean of s_u^2 and the drift's standard error
PROFILE_ATOL = 1e-9  # ... of the returns' variance, for bounds at or next to zero
DRIFT_IN_SE = 1e-3  # the drift, in units of its standard error
GLS_DRIFT_IN_SE = 1e-6  # the drift given the same fit (rounding and the fast path's ridge)
GLS_SE_RTOL = 1e-8  # its standard error given the same fit
FIT_P_ATOL = 1e-8  # the fit test's p-value (where the point estimates agree)


def with_gaps(L: np.ndarray, blank: float, rng: np.random.Generator):
    """Returns and their spans of a fund whose levels ``L`` (days) are blank on a share
    ``blank`` of the days (never the first or the last): a return across blank days spans
    them all."""
    keep = rng.random(L.size) >= blank
    keep[0] = keep[-1] = True
    at = np.flatnonzero(keep)
    return np.diff(L[at]), np.diff(at).astype(float)


def _draws(per_length: dict, long: dict | None = None, gapped: dict | None = None):
    """(scenario, n, returns, spans) of every scenario at every length, reproducibly; spans
    None but for the funds with gaps (``gapped``: funds per scenario at each number of days)."""
    out = []
    for si, (name, sc) in enumerate(ALL.items()):
        for n, k in per_length.items():
            d = simulate_panel(sc, k, 10_000 * si + n, n_returns=n).d
            out += [(name, n, d[:, j], None) for j in range(k)]
        for days, k in (gapped or {}).items():
            p = simulate_panel(sc, k, 20_000 * si + days, n_returns=days)
            rng = np.random.default_rng(days + si)
            for j in range(k):
                d, spans = with_gaps(p.L[:, j], BLANK, rng)
                out.append((name, d.size, d, spans))
    for n, names in (long or {}).items():
        for name in names:
            out.append((name, n, simulate_panel(ALL[name], 1, 77 + n, n_returns=n).d[:, 0], None))
    return out


def _one(fit: NoiseModelFit, j: int) -> NoiseModelFit:
    return NoiseModelFit(**{f: float(np.broadcast_to(getattr(fit, f), np.shape(fit.persistent_var))[j])
                            for f in FIELDS})


def _fits(draws):
    """The reference fit, drift and fit test of each fund; the fast ones alone and as one panel."""
    ref = []
    for _, _, d, spans in draws:
        fit = reference.fit_noise_model(d, spans=spans)
        ref.append((fit, (*reference_gls.gls_drift(d, fit, spans), fit.fit_pvalue)))
    alone = []
    for _, _, d, spans in draws:
        fit = fit_noise_model(d, spans=None if spans is None else spans[:, None])
        mu, se = gls_drift(d, fit, spans=None if spans is None else spans[:, None])
        alone.append((_one(fit, 0), (mu[0], se[0], fit.fit_pvalue[0])))
    lengths = np.array([n for _, n, _, _ in draws])
    panel = np.full((lengths.max(), lengths.size), np.nan)
    panel_spans = np.zeros(panel.shape)
    for j, (_, n, d, spans) in enumerate(draws):
        panel[:n, j] = d
        panel_spans[:n, j] = 1.0 if spans is None else spans
    order = np.random.default_rng(0).permutation(lengths.size)  # lengths mixed
    fit = fit_noise_model(panel[:, order], lengths[order], panel_spans[:, order])
    mu, se = gls_drift(panel[:, order], fit, lengths[order], panel_spans[:, order])
    together = [None] * lengths.size
    for i, j in enumerate(order):
        together[j] = (_one(fit, i), (mu[i], se[i], fit.fit_pvalue[i]))
    return ref, {"alone": alone, "panel": together}


@pytest.fixture(scope="module")
def quick():
    draws = _draws(QUICK, QUICK_LONG, QUICK_GAPPED)
    return draws, *_fits(draws)


def _q(fit: NoiseModelFit) -> float:
    """The persistent share of the innovation variance, per return."""
    per_return = fit.persistent_var * fit.span
    return per_return / (per_return + fit.noise_var)


def _likelihood_gap(d, fast: NoiseModelFit, ref: NoiseModelFit) -> float:
    """Likelihood ratio of the fast estimate against the reference's, by the reference's objective."""
    m = (d.size - 1) // 2
    at = [reference.objective(d, _q(f), f.noise_phi, f.noise_psi) for f in (fast, ref)]
    return 2.0 * m * (at[0] - at[1])


def _check_against_reference(draws, ref, fast):
    """Every field of the fit, the drift and its standard error: see the module docstring."""
    problems, tied = [], []
    for (name, n, d, spans), (rf, (rmu, rse, rp)), (ff, (fmu, fse, fp)) in zip(draws, ref, fast):
        label = f"{name}, n={n}" + ("" if spans is None else ", with gaps")
        var = d.var()
        if rf.persistent_var + rf.noise_var == 0.0:  # tracks exactly: nothing to compare but zeros
            if any(getattr(ff, f) != 0.0 for f in ESTIMATES):
                problems.append(f"{label}: an exact fund's fit is not zero")
            continue
        if abs(ff.dispersion - rf.dispersion) > 1e-9 * rf.dispersion or ff.span != rf.span:
            problems.append(f"{label}: dispersion {ff.dispersion} and span {ff.span} "
                            f"against {rf.dispersion}, {rf.span}")
        gap = _likelihood_gap(d, ff, rf)
        if abs(gap) > LR_GAP:
            problems.append(f"{label}: the fast estimate is {gap:.2e} of likelihood ratio off the reference's")
        scaled = [abs(getattr(ff, f) - getattr(rf, f)) / (var if f.endswith("_var") else 1.0) for f in POINT]
        if max(scaled) > POINT_RTOL:
            tied.append(label)
            moved = abs(ff.persistent_var - rf.persistent_var) / (rf.persistent_var_upper - rf.persistent_var_lower)
            if moved > TIED_WIDTH:
                problems.append(f"{label}: s_u^2 moved by {moved:.2e} of its interval's width")
        elif abs(fp - rp) > FIT_P_ATOL:
            problems.append(f"{label}: fit test p-value {fp:.8f} against {rp:.8f}")
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


def _check_drift_given_the_same_fit(draws, alone):
    """The fast drift, its standard error and the fit test of each fund (``alone``: its fast
    fit and figures, as _fits gives them) against the dense GLS and the reference's fit test
    given the same fit."""
    for (name, n, d, spans), (fit, (mu, se, _)) in zip(draws, alone):
        ref_mu, ref_se = reference_gls.gls_drift(d, fit, spans)
        assert abs(mu - ref_mu) <= GLS_DRIFT_IN_SE * ref_se, (name, n, mu, ref_mu, ref_se)
        assert se == pytest.approx(ref_se, rel=GLS_SE_RTOL, abs=0.0), (name, n)
        if np.isfinite(fit.fit_pvalue):
            assert fit.fit_pvalue == pytest.approx(reference.fit_test(d, fit, spans), abs=FIT_P_ATOL), (name, n)


def test_fast_drift_equals_the_dense_gls_given_the_same_fit(quick):
    draws, _, fast = quick
    _check_drift_given_the_same_fit(draws, fast["alone"])


def test_fast_drift_of_funds_whose_deviations_are_all_noise_is_the_dense_gls():
    """Where the noise is all there is, the whitened constant's sum of squares grows like n^3
    and dwarfs the initial states': a ridge of 1e-12 of Z'Z's trace moved these drifts by up
    to 4e-3 of their standard error. The ridge is taken on each initial state's own scale."""
    rng = np.random.default_rng(5)
    n = 2520
    draws, alone = [], []
    for psi in (-0.8, 0.0):  # timing noise that overshoots (MA(1) in levels), white noise
        eta = rng.normal(0.0, 1e-4, n + 2)
        d = np.diff(eta[1:] + psi * eta[:-1]) - 1e-5
        fit = fit_noise_model(d)
        assert fit.persistent_var[0] == 0.0
        mu, se = gls_drift(d, fit)
        draws.append((f"noise only, psi={psi}", n, d, None))
        alone.append((_one(fit, 0), (mu[0], se[0], fit.fit_pvalue[0])))
    _check_drift_given_the_same_fit(draws, alone)


@pytest.mark.slow
def test_fast_fit_and_drift_equal_the_reference_on_many_draws():
    draws = _draws(SLOW, SLOW_LONG, SLOW_GAPPED)
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
    weights, var = reference_gls.gls_weights(n, fit)
    mu, se = reference_gls.gls_drift(d, fit)
    assert mu == pytest.approx(beta[0], rel=1e-10)
    assert var == pytest.approx(np.linalg.inv(x.T @ s_inv_x)[0, 0], rel=1e-10)
    tail = np.linalg.solve(cov_y[2:, 2:], x[2:, :1])
    assert mu == pytest.approx((tail.T @ y[2:])[0] / (tail.T @ x[2:, :1])[0, 0], rel=1e-10)
    assert weights.sum() == pytest.approx(1.0, rel=1e-12)
    np.testing.assert_allclose(weights[:2], 0.0, atol=1e-12)
    assert weights @ cov_d @ weights == pytest.approx(var, rel=1e-10)
    assert se**2 == pytest.approx(var + max(mean - s2, 0.0) * (weights @ weights), rel=1e-12)


def test_profile_interval_ends_where_the_likelihood_ratio_is_the_95_point():
    """At each end of the interval the profile likelihood ratio, over the dispersion, is 3.84
    (to the interpolation between the grid's values of s_u^2), below it inside and above it
    outside; the interval starts at zero only where zero is within the boundary's 95% point.

    The end points are interpolated between the grid's values of s_u^2; where the noise
    overshoots, its coarser lines of shapes make the profile less smooth between them, and
    the likelihood ratio at an end point is within 1.1 of 3.84 (measured down to 3.1: the
    interval a few percent narrower than the exact one), 0.5 elsewhere."""
    for name, sc in ALL.items():
        tol = 1.1 if name.startswith("f_") else 0.5
        for n in (40, 300, 756):
            p = simulate_panel(sc, 3, 5, n_returns=n)
            for d in p.d.T:
                fit = reference.fit_noise_model(d)
                lo, est, up = fit.persistent_var_lower, fit.persistent_var, fit.persistent_var_upper
                assert lo <= est <= up
                at_lo, below_lo, above_lo, at_est, at_up, below_up, above_up, at_zero = reference.likelihood_ratio(
                    d, [lo, lo / 1.3, lo * 1.3, est, up, up / 1.3, up * 1.3, 0.0]) / fit.dispersion
                assert abs(at_est) < 0.5 and abs(at_up - CHI2_95) < tol, (name, n, at_est, at_up)
                assert below_up < CHI2_95 < above_up, (name, n, below_up, above_up)
                if lo > 0.0:
                    assert at_zero > CHI2_95_BOUNDARY
                    assert abs(at_lo - CHI2_95) < tol and below_lo > CHI2_95 > above_lo, (name, n, lo)
                else:
                    assert at_zero <= CHI2_95_BOUNDARY, (name, n, at_zero)


def test_the_interval_of_a_fund_whose_variance_changes_much_is_the_reference_s():
    """The interval is read where the likelihood ratio is CHI2_95 times the dispersion c above
    the minimum of the model kept, which for white noise can lie CHI2_SELECT times c above the
    best of all shapes: the scan's margin grows with c so that every q it needs is scanned.
    A crisis (persistent deviations x10 and noise x20 for three weeks, in ten years of
    returns) gives c of 7 to 19; a margin of 60 whatever c put the first fund's lower bound
    (c = 19) a third too high. A spike of noise x200 for five days gives c = 44 to a fund
    kept as white noise, whose upper bound a margin growing by CHI2_SELECT alone put 2.8%
    too low."""
    d = simulate_panel(STRESS["h_crisis"].with_(crisis=(10.0, 20.0)), 8, 5, n_returns=2520).d
    spike = simulate_panel(SCENARIOS["a_white"].with_(crisis=(3.0, 200.0), crisis_days=5), 32, 606,
                           n_returns=4241).d[:, 20]
    funds = [d[:, j] for j in range(d.shape[1])] + [spike]
    fits = [fit_noise_model(d)] * d.shape[1] + [fit_noise_model(spike)]
    columns = list(range(d.shape[1])) + [0]
    assert fits[0].dispersion.max() > 15 and fits[-1].dispersion[0] > 40 and fits[-1].noise_phi[0] == 0.0
    for x, fit, j in zip(funds, fits, columns):
        ref = reference.fit_noise_model(x)
        for f in PROFILE:
            a, b = getattr(fit, f)[j], getattr(ref, f)
            assert abs(a - b) <= PROFILE_RTOL * abs(b) + PROFILE_ATOL * x.var(), (j, f, a, b)


def test_a_large_first_return_leaves_the_fast_fit_at_the_reference_s():
    """A first return far from the others (a launch price a day stale) adds the same real
    number to every Fourier ordinate, as the end effect does, and the objective profiles it
    out: the estimate does not move. The scan computes that profile in single precision, on
    ordinates shifted by white noise's end effect so that it does not cancel. Unshifted, a
    first return 100 and 300 times the spread put a noise-only fund's estimate 0.1 and 0.9
    of likelihood ratio off the reference's, and its drift 0.06 and 0.2 of a standard error
    (one draw of 756 returns; 0.05 of likelihood ratio in these). Checked alone and in a
    panel."""
    draws = []
    for name in ("e_noise_only", "a_white"):
        d = simulate_panel(ALL[name], 1, 12_345, n_returns=756).d[:, 0]
        for times in (30.0, 100.0, 300.0):
            x = d.copy()
            x[0] += times * d.std()
            draws.append((name, x.size, x, None))
    ref, fast = _fits(draws)
    for how in fast:
        _check_against_reference(draws, ref, fast[how])


def test_a_return_far_from_the_others_near_either_end_is_scanned_in_double_precision():
    """A second or last return far from the others is partly an end effect: the end effect
    then takes most of the periodogram's weight at some shapes, and S = A1 - A2^2 / A3
    cancels in the scan's single precision. In noise-only funds this moved the bounds by up to
    2e-2 relative and the drift by 3e-2 of its standard error (a second or last return 30 or
    100 times the spread), the lower bound by 4% (a second price 300 times the spread off for
    a day). Such funds are fitted again with the scan in double precision: the reference's
    figures to rounding, alone and in a panel of several lengths, with gaps. The others keep
    the scan's usual accuracy."""
    n = 1512
    draws = []
    for seed in range(2):
        for name in ("e_noise_only", "a_white")[: 2 - seed]:
            base = simulate_panel(ALL[name], 1, 17 * n + seed, n_returns=n).d[:, 0]
            for at, times in ((1, 30.0), (n - 1, 30.0), (1, 100.0)):
                x = base.copy()
                x[at] += times * base.std()
                draws.append((name, n, x, None))
            x = base.copy()
            x[0] += 300.0 * base.std()
            x[1] -= 300.0 * base.std()
            draws.append((name, n, x, None))
    # Other lengths, one with gaps, its return far from the others the second of those its
    # noise model is fitted to, spanning two periods.
    p = simulate_panel(ALL["e_noise_only"], 2, 29, n_returns=1001)
    x, spans = with_gaps(p.L[:, 0], BLANK, np.random.default_rng(5))
    at = x.size - int(fit_lengths(x.size)) + 1
    x[at] += 50.0 * x.std()
    spans[at] = 2.0
    draws.append(("e_noise_only", x.size, x, spans))
    x = p.d[:600, 1].copy()
    x[-1] += 50.0 * x.std()
    draws.append(("e_noise_only", x.size, x, None))
    ref, fast = _fits(draws)
    for how in fast:
        _check_against_reference(draws, ref, fast[how])
    for j, (name, _, d, spans) in enumerate(draws):
        _, again = fast_fit._fit(d[:, None], None, None if spans is None else spans[:, None], double=False)
        assert again[0] or name != "e_noise_only", d.size
        rtol, drift_in_se = (1e-8, 1e-8) if again[0] else (1e-4, 1e-3)
        rf, (ref_mu, ref_se, _) = ref[j]
        for how in fast:
            ff, (mu, _, _) = fast[how][j]
            for f in PROFILE + (ESTIMATES if again[0] else ()):
                a, b = getattr(ff, f), getattr(rf, f)
                assert abs(a - b) <= rtol * abs(b) + 1e-12 * abs(rf.noise_var), (how, name, d.size, f, a, b)
            assert abs(mu - ref_mu) <= drift_in_se * ref_se, (how, name, d.size, mu, ref_mu, ref_se)


def test_funds_without_a_return_far_from_the_others_are_scanned_in_single_precision():
    """The scan in double precision is for the few funds that need it: none of the
    simulated scenarios' funds of three years."""
    for name, scenario in ALL.items():
        d = simulate_panel(scenario, 50, 31, n_returns=756).d
        _, again = fast_fit._fit(d, None, None, double=False)
        assert not again.any(), name


def test_a_fund_that_tracks_exactly():
    d = np.full(300, -0.0001)
    for fit in (reference.fit_noise_model(d), _one(fit_noise_model(d), 0)):
        assert all(getattr(fit, f) == 0.0 for f in ESTIMATES) and fit.dispersion == fit.span == 1.0
    assert reference_gls.gls_drift(d, reference.fit_noise_model(d)) == pytest.approx((-0.0001, 0.0), rel=1e-12, abs=1e-20)
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


# ---------------------------------------------------------------------------------------
# the model's extensions: noise that overshoots, white noise unless rejected, a changing
# variance, the fit test, returns across gaps
# ---------------------------------------------------------------------------------------

def test_white_noise_is_kept_unless_the_full_model_is_significantly_better():
    """The fit is white noise (phi = psi = 0) exactly where the full model's likelihood ratio
    against white noise, over the dispersion, is at most CHI2_SELECT: white noise's minimum is the fit on a grid of
    white noise alone, the full model's is at least as good as every grid point; noise that
    catches up or overshoots is found as such."""
    white_grid = Grid(GRID.q, GRID.phi[:1], GRID.psi[:1], GRID.v)
    seen = set()
    for name, n in (("a_white", 130), ("a_white", 756), ("b_ar1", 756), ("f_ma1_neg", 756), ("f_ar1_neg", 300)):
        for d in simulate_panel(ALL[name], 4, 13, n_returns=n).d.T:
            c = reference.dispersion(d)
            est, white = reference._estimate(d, GRID, c), reference._estimate(d, white_grid, c)
            fit = reference.fit_noise_model(d)
            m = (n - 1) // 2
            full_best = white["best"] - est["select"] * c / (2 * m)
            assert full_best <= min(reference.objective(d, q, phi, psi) for q, phi, psi in
                                    [(0.3, 0.0, 0.0), (0.1, 0.5, 0.3), (0.2, -0.3, -0.4)]) + 1e-12
            assert est["white"] == (est["select"] <= CHI2_SELECT)
            if est["white"]:
                assert fit.noise_phi == fit.noise_psi == 0.0 and est["best"] == white["best"]
                assert fit == reference.fit_noise_model(d, white_grid)
            seen.add((name, est["white"], np.sign(fit.noise_phi + fit.noise_psi)))
    assert ("a_white", True, 0.0) in seen and ("b_ar1", False, 1.0) in seen
    assert ("f_ma1_neg", False, -1.0) in seen and ("f_ar1_neg", False, -1.0) in seen


def test_chi2_survival_function_against_scipy():
    from scipy.stats import chi2

    x = np.array([0.0, 1e-3, 0.5, 1.0, 3.84, 9.21, 20.0, 60.0])
    for df in range(1, 12):
        np.testing.assert_allclose(chi2_sf(x, df), chi2.sf(x, df), rtol=1e-12, atol=1e-15)


def test_dispersion_is_the_covariance_of_neighbouring_block_means():
    """The mean product of neighbouring blocks' mean squares, about their mean; about 1 under
    a constant variance (fat tails and timing noise included); about E[s^4] / E[s^2]^2 under a
    variance that changes slowly."""
    rng = np.random.default_rng(4)
    d = rng.normal(0.0, 1e-3, 600)
    blocks = d.size // DISPERSION_BLOCK
    x = ((d - d.mean()) ** 2)[: blocks * DISPERSION_BLOCK]
    m = np.array([x[i * DISPERSION_BLOCK : (i + 1) * DISPERSION_BLOCK].mean() for i in range(blocks)]) - x.mean()
    expected = max(1.0, 1.0 + sum(m[i] * m[i + 1] for i in range(blocks - 1)) / (blocks - 1) / x.mean() ** 2)
    assert reference.dispersion(d) == pytest.approx(expected, rel=1e-12)
    constant = [reference.dispersion(rng.standard_t(3, 3000)) for _ in range(20)]
    noise = [reference.dispersion(x) for x in simulate_panel(ALL["a_white"], 20, 6, n_returns=3000).d.T]
    assert np.median(constant) < 1.05 and np.median(noise) < 1.05
    sd = np.where(np.arange(3000) % 500 < 250, 1.0, 3.0)  # a variance that changes every 250 periods
    changing = [reference.dispersion(sd * rng.normal(size=3000)) for _ in range(20)]
    assert np.median(changing) == pytest.approx(np.mean(sd**4) / np.mean(sd**2) ** 2, rel=0.25)


def test_fit_test_reads_the_autocorrelations_of_the_whitened_returns():
    """Without the end effect and with a flat spectrum, the autocorrelations read off the
    periodogram are the circular sample autocorrelations; the p-value is chi2's at
    n sum r_l^2 / c with the fit's degrees of freedom; where the model holds it is about
    uniform, and deviations with momentum make it small."""
    rng = np.random.default_rng(3)
    d = rng.normal(size=301)
    x = d - d.mean()
    circular = np.array([x @ np.roll(x, -lag) for lag in range(1, 4)]) / (x @ x)
    np.testing.assert_allclose(reference.spectral_autocorrelations(d, np.ones(150), 3, end_effect=False), circular,
                               rtol=1e-10, atol=1e-13)
    d = simulate_panel(ALL["b_ar1"], 1, 21, n_returns=300).d[:, 0]
    fit = reference.fit_noise_model(d)
    per_return = fit.persistent_var * fit.span
    q = per_return / (per_return + fit.noise_var)
    h = q + (1.0 - q) * reference.kernel(d.size, fit.noise_phi, fit.noise_psi)
    r = reference.spectral_autocorrelations(d, h, FIT_TEST_LAGS)
    df = max(FIT_TEST_LAGS - (1 if fit.noise_phi == fit.noise_psi == 0.0 else 3), 1)
    assert fit.fit_pvalue == pytest.approx(chi2_sf(d.size * (r @ r) / fit.dispersion, df), rel=1e-12)
    held = [reference.fit_noise_model(x).fit_pvalue for x in simulate_panel(ALL["a_white"], 40, 22).d.T]
    momentum = [reference.fit_noise_model(x).fit_pvalue for x in simulate_panel(ALL["i_momentum"], 20, 23).d.T]
    assert np.mean(np.array(held) < 0.01) <= 0.05 and 0.3 < np.median(held) < 0.7
    assert np.median(momentum) < 0.05


def test_spans_of_one_period_change_nothing_to_the_bit():
    """Spans all 1 are the same as no spans, in the reference and in the fast path."""
    d = simulate_panel(ALL["b_ar1"], 3, 31, n_returns=400).d
    ones = np.ones_like(d)
    for j in range(2):
        a, b = reference.fit_noise_model(d[:, j]), reference.fit_noise_model(d[:, j], spans=ones[:, j])
        assert a == b
        assert reference_gls.gls_drift(d[:, j], a) == reference_gls.gls_drift(d[:, j], a, ones[:, j])
    fa, fb = fit_noise_model(d), fit_noise_model(d, spans=ones)
    for f in FIELDS:
        np.testing.assert_array_equal(getattr(fa, f), getattr(fb, f))
    for x, y in zip(gls_drift(d, fa), gls_drift(d, fa, spans=ones)):
        np.testing.assert_array_equal(x, y)


def test_drift_with_spans_is_the_textbook_gls():
    """With spans k_t, a return has mean k_t mu and persistent variance k_t s_u^2. The drift is
    a'd / a'k with a the weights of the GLS whose covariance takes the persistent variance per
    return as the same for all (unbiased for mu, per period, whatever a), its variance
    a'Sa / (a'k)^2 with S the covariance of the returns built from the definitions; the
    persistent variances of the fit are per period (the per-return ones over the mean span),
    the fit run on the returns less k_t times their drift per period (of the most recent
    fit_lengths(n) returns it is fitted to; the drift is of them all)."""
    rng = np.random.default_rng(8)
    L = simulate_panel(ALL["a_white"], 1, 41, n_returns=1000).L[:, 0]
    d, spans = with_gaps(L, 0.3, rng)
    kept = int(fit_lengths(d.size))
    assert kept < d.size  # the fit leaves out the oldest returns
    fit = reference.fit_noise_model(d, spans=spans)
    d_fit, spans_fit = d[-kept:], spans[-kept:]
    plain = reference.fit_noise_model(d_fit - spans_fit * (d_fit.sum() / spans_fit.sum()))
    assert fit.span == pytest.approx(spans_fit.mean(), rel=1e-12)
    assert fit.persistent_var == pytest.approx(plain.persistent_var / fit.span, rel=1e-12)
    assert fit.persistent_var_upper == pytest.approx(plain.persistent_var_upper / fit.span, rel=1e-12)
    assert (fit.noise_var, fit.noise_phi) == (plain.noise_var, plain.noise_phi)
    n, s2, e2 = d.size, fit.persistent_var, fit.noise_var
    a, _ = reference_gls.gls_weights(n, fit)
    per_return = NoiseModelFit(s2 * fit.span, 0.0, 0.0, s2 * fit.span, e2, fit.noise_phi, fit.noise_psi)
    a_check, _ = reference_gls.gls_weights(n, per_return)  # the same weights, from the per-return variance
    np.testing.assert_allclose(a, a_check, rtol=1e-9, atol=1e-12)
    cov = _covariance_of_returns(n, 0.0, e2, fit.noise_phi, fit.noise_psi) + np.diag(spans * s2)
    mu, se = reference_gls.gls_drift(d, fit, spans)
    assert mu == pytest.approx((a @ d) / (a @ spans), rel=1e-12)
    mean = max(fit.persistent_var_mean, s2)
    expected = (a @ cov @ a + (mean - s2) * (a * a) @ spans) / (a @ spans) ** 2
    assert se**2 == pytest.approx(expected, rel=1e-8)


def _largest_prime_factor(n: int) -> int:
    largest, p = 1, 2
    while p * p <= n:
        while n % p == 0:
            largest, n = p, n // p
        p += 1
    return max(largest, n) if n > 1 else largest


def test_the_fit_length_is_the_largest_11_smooth_number_at_most_the_fund_s():
    """fit_lengths(n) against trial division for every n to 20,000 (n itself below 500), and
    what it leaves out against what definition.fit_lengths says it does."""
    n = np.arange(1, 20_001)
    smooth = np.array([_largest_prime_factor(int(x)) <= 11 for x in n])
    largest_so_far = np.maximum.accumulate(np.where(smooth, n, 0))
    np.testing.assert_array_equal(fit_lengths(n), np.where(n < 500, n, largest_so_far))
    share = (n - fit_lengths(n)) / n
    assert share.max() < 0.025
    assert share[n >= 1000].max() < 0.022 and share[n >= 2500].max() < 0.018
    assert 0.004 < share[(n >= 500) & (n < 10_000)].mean() < 0.007
    assert np.unique(fit_lengths(np.arange(1260, 3781))).size == 137  # five to fifteen years
    with pytest.raises(ValueError, match="number of returns"):
        fit_lengths(0)


@pytest.mark.parametrize("n, gapped", [(1001, False), (2519, False), (1007, True)])
def test_the_noise_model_is_fitted_to_the_most_recent_returns_and_the_drift_to_all(n, gapped):
    """A fund of n returns has the noise model of its most recent fit_lengths(n): in the
    reference to the bit, in the fast path alone to the bit. In a panel of funds launched on
    other days, some of which share its ladder length, its point estimates agree to 1e-12,
    and the interval and mean read off the single-precision scan to its accuracy (with more
    than two funds of one length its sums run in another order; see fast_grid). The drift,
    given that fit, is estimated from every return."""
    kept = int(fit_lengths(n))
    assert kept < n
    d = simulate_panel(ALL["b_ar1"], 1, n, n_returns=n).d[:, 0]
    spans = None
    if gapped:  # a gap among the returns kept, and one among those left out
        spans = np.ones(n)
        spans[[3, n - 40]] = [4.0, 2.0]
    recent_spans = None if spans is None else spans[-kept:]
    ref = reference.fit_noise_model(d, spans=spans)
    assert ref == reference.fit_noise_model(d[-kept:], spans=recent_spans)
    column = None if spans is None else spans[:, None]
    alone = fit_noise_model(d, spans=column)
    recent = fit_noise_model(d[-kept:], spans=None if spans is None else recent_spans[:, None])
    for f in FIELDS:
        np.testing.assert_array_equal(getattr(alone, f), getattr(recent, f), err_msg=f)
    # In a panel: funds launched later (shorter columns, their own ladder lengths) beside it.
    lengths = np.array([n - 250, n, n - 17, n - 1])
    panel = np.full((n, lengths.size), np.nan)
    panel_spans = np.ones(panel.shape)
    for j, length in enumerate(lengths):
        panel[:length, j] = d[n - length:]
        panel_spans[:length, j] = 1.0 if spans is None else spans[n - length:]
    together = fit_noise_model(panel, lengths, None if spans is None else panel_spans)
    assert np.unique(fit_lengths(lengths)).size < lengths.size
    for f in FIELDS:
        read_off_the_scan = f in ("persistent_var_lower", "persistent_var_upper", "persistent_var_mean")
        np.testing.assert_allclose(getattr(together, f)[1], getattr(alone, f)[0],
                                   rtol=PROFILE_RTOL if read_off_the_scan else 1e-12, atol=0, err_msg=f)
    # The drift uses every return: the reference drift of the whole history with this fit.
    mu, se = gls_drift(d, alone, spans=column)
    ref_mu, ref_se = reference_gls.gls_drift(d, _one(alone, 0), spans)
    assert mu[0] == pytest.approx(ref_mu, rel=1e-9) and se[0] == pytest.approx(ref_se, rel=1e-9)
    recent_mu, _ = reference_gls.gls_drift(d[-kept:], _one(alone, 0), recent_spans)
    assert abs(ref_mu - recent_mu) > 1e-6 * ref_se
