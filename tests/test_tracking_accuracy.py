"""Accuracy of the tracking figures against a known truth, over many simulated funds.

Each scenario is three years of daily data (756 returns) of the model
``L_t = mu t + w_t + e_t`` (see ``simulate.py``), drawn as a panel of independent funds and
estimated in one ``tracking_stats(panel, index, periods_per_year=252)`` call:

(a) white timing noise with 3x the persistent daily variance (traditional TE 2.65x the truth);
(b) noise that takes two or three days to catch up, in two shapes: AR(1) in levels with
    phi = 0.6 (``b_ar1``: 36% of a shock left after two days, 22% after three), and a shock
    absorbed linearly over three days, MA(2) in levels (``b_ma2``); both with the traditional
    TE of (a);
(c) white Student-t(3) noise with the variance of (a);
(d) a domestic fund: true TE 0.05% a year, noise variance a quarter of the persistent one;
(e) no persistent deviation (true TE 0): white noise of 5 bp a day, all of the traditional TE.

Beyond them (marked slow): the stress scenarios of ``simulate.STRESS`` (noise that
overshoots, short histories, a crisis, deviations with momentum), the model's fit test where
the model holds and where it does not, and the same draws of (a)-(e) with 10% and 30% of the
fund's days left blank (the index complete), against the full series' figures.

Monte Carlo error. ``SEEDS`` x ``DRAWS_PER_SEED`` = 600 draws a scenario. A coverage
estimate then has a standard error of sqrt(0.95 * 0.05 / 600) = 0.9 percentage points; the
median of the tracking error estimates (sampling sd 7-15% of the truth) about 0.4-0.8% of the
truth; the RMSE ratio of the holding cost to the point-to-point figure on the same draws,
0.3-0.7% (bootstrap), since their errors are nearly the same where persistent deviations
dominate. The bounds below are the acceptance criteria as written, not widened for Monte Carlo
error. Where persistent deviations dominate (a-d) the point-to-point figure is itself nearly
efficient, so "never worse" is a near tie there, decided within that 0.3-0.7%.
"""
from __future__ import annotations

import numpy as np
import pytest

from simulate import A, B_MA2, DAYS_3Y, SCENARIOS, STRESS, simulate_panel
from xlwings_udfs.analytics import tracking_stats

SEEDS = (101, 202, 303, 404)
DRAWS_PER_SEED = 150

ALL = {**SCENARIOS, "b_ma2": B_MA2}
WITH_PERSISTENT = ["a_white", "b_ar1", "b_ma2", "c_t3", "d_domestic"]


def _pooled(name: str, n_returns: int = DAYS_3Y) -> dict:
    sc = ALL[name]
    stats = []
    for seed in SEEDS:
        p = simulate_panel(sc, DRAWS_PER_SEED, seed, n_returns=n_returns)
        stats.append(tracking_stats(p.fund, p.index, periods_per_year=A))

    def cat(field):
        return np.concatenate([np.asarray(getattr(s, field), dtype=float) for s in stats])

    fields = ["holding_cost", "holding_cost_lower", "holding_cost_upper", "holding_cost_se",
              "tracking_error", "tracking_error_lower", "tracking_error_upper",
              "tracking_error_traditional", "noise_share", "tracking_difference", "model_fit_pvalue"]
    out = {f: cat(f) for f in fields}
    out["by_seed"] = [np.asarray(s.tracking_error) for s in stats]
    out["sc"] = sc
    return out


@pytest.fixture(scope="module")
def results():
    return {name: _pooled(name) for name in ALL}


def _rmse(x, truth):
    return float(np.sqrt(np.mean((x - truth) ** 2)))


def _coverage(lower, upper, truth):
    return float(np.mean((lower <= truth) & (truth <= upper)))


# ---------------------------------------------------------------------------------------
# the simulator itself
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["a_white", "b_ar1", "b_ma2", "d_domestic", "e_noise_only"])
def test_simulated_traditional_tracking_error_matches_the_model(results, name):
    # Guards the simulator: sd(d) of Gaussian draws is within 1% of the model value in the
    # median (its sampling sd is 2.6% a draw at 756 returns).
    r = results[name]
    assert np.median(r["tracking_error_traditional"]) == pytest.approx(
        r["sc"].traditional_tracking_error, rel=0.01)


# ---------------------------------------------------------------------------------------
# tracking error
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", WITH_PERSISTENT)
def test_tracking_error_median_within_10pct(results, name):
    r = results[name]
    truth = r["sc"].tracking_error
    med = np.median(r["tracking_error"])
    per_seed = [round(float(np.median(x) / truth), 3) for x in r["by_seed"]]
    assert abs(med / truth - 1.0) <= 0.10, (
        f"{name}: median TE {med:.5%} vs truth {truth:.5%} (ratio {med / truth:.3f}; "
        f"per seed {per_seed}; {len(r['tracking_error'])} draws)"
    )


@pytest.mark.parametrize("name", ["a_white", "b_ar1", "b_ma2", "c_t3"])
def test_tracking_error_far_below_traditional_under_noise(results, name):
    # The traditional figure is 2.65x the truth here; the robust one removes the noise.
    r = results[name]
    with np.errstate(divide="ignore"):  # an estimate of zero: an infinite ratio, counted as such
        ratio = np.median(r["tracking_error_traditional"] / r["tracking_error"])
    assert ratio > 2.2, ratio


@pytest.mark.parametrize("name", ["a_white", "b_ar1", "c_t3", "d_domestic"])
def test_noise_share_estimates_the_true_share(results, name):
    # True share of var(d) that is noise: 1 - s_u^2 / var(d) (6/7 in a-c, 0.2/1.2 in d).
    # The estimate divides by the sample variance, so fat tails (c) spread it; +-0.05.
    r = results[name]
    sc = r["sc"]
    truth = 1.0 - (sc.tracking_error / sc.traditional_tracking_error) ** 2
    assert np.median(r["noise_share"]) == pytest.approx(truth, abs=0.05)


def test_tracking_error_noise_only_near_zero_never_negative(results):
    r = results["e_noise_only"]
    te = r["tracking_error"]
    trad = r["sc"].traditional_tracking_error  # 1.12% a year, all of it noise
    assert np.all(np.isfinite(te))
    assert np.all(te >= 0.0)
    assert np.all(r["tracking_error_lower"] >= 0.0)
    # "Near zero": the typical estimate is under 1% of the traditional figure, and even the
    # 95th percentile under 10% of it (the kernel long-run variances of arch give about 10%
    # in the median: test_tracking_oracle.py).
    assert np.median(te) < 0.01 * trad, np.median(te) / trad
    assert np.quantile(te, 0.95) < 0.10 * trad, np.quantile(te, 0.95) / trad
    assert np.median(r["noise_share"]) > 0.99


# ---------------------------------------------------------------------------------------
# holding cost
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(ALL))
def test_holding_cost_rmse_not_worse_than_point_to_point(results, name):
    r = results[name]
    truth = r["sc"].holding_cost
    # The point-to-point estimate of A * mu: A * mean(d) = log(1 + annualized TD).
    p2p = np.log1p(r["tracking_difference"])
    ours, theirs = _rmse(r["holding_cost"], truth), _rmse(p2p, truth)
    # Where the persistent deviations carry the low frequencies ((a)-(d)), GLS and the plain
    # mean are asymptotically the same estimator (their variances differ by O(1/n)), and the
    # two errors are almost perfectly correlated: a paired bootstrap over the draws puts the
    # Monte Carlo sd of the ratio at 0.3-0.5%. "Not worse" is therefore tested to 1%; where
    # the noise dominates the gain is large (next test).
    assert ours <= 1.01 * theirs, f"{name}: EHC RMSE {ours:.4e} vs point-to-point {theirs:.4e} ({ours / theirs:.3f})"


def test_holding_cost_rmse_30pct_lower_when_noise_dominates(results):
    # (e): no persistent deviations, so the point-to-point figure carries all of the end-point
    # noise (e_n - e_0) / n, while the drift of a trend line through the levels does not.
    r = results["e_noise_only"]
    truth = r["sc"].holding_cost
    ours = _rmse(r["holding_cost"], truth)
    theirs = _rmse(np.log1p(r["tracking_difference"]), truth)
    assert ours <= 0.70 * theirs, f"EHC RMSE {ours:.3e} vs point-to-point {theirs:.3e} ({ours / theirs:.3f})"


@pytest.mark.parametrize("name", list(ALL))
def test_holding_cost_is_unbiased(results, name):
    # Mean error within 3 Monte Carlo standard errors of zero.
    r = results[name]
    err = r["holding_cost"] - r["sc"].holding_cost
    assert abs(err.mean()) < 3.0 * err.std(ddof=1) / np.sqrt(err.size)


@pytest.mark.parametrize("name", list(ALL))
def test_holding_cost_se_matches_the_errors(results, name):
    # Errors in units of their own reported standard error have an sd near 1: within 15%
    # (an sd from 600 draws is known to about 3%). Standardizing draw by draw matters in (e),
    # where the se is small when no persistent part is found and larger when one is.
    r = results[name]
    z = (r["holding_cost"] - r["sc"].holding_cost) / r["holding_cost_se"]
    if name == "e_noise_only":
        # The standard error allows for the persistent variance that the data cannot rule
        # out (its mean under the profile likelihood, model.gls_drift); with none at all it
        # is conservative by construction (sd of z about 0.35), never too small.
        assert np.std(z, ddof=1) < 1.15, np.std(z, ddof=1)
    else:
        assert 0.85 < np.std(z, ddof=1) < 1.15, np.std(z, ddof=1)


# ---------------------------------------------------------------------------------------
# 95% intervals
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(ALL))
def test_holding_cost_interval_coverage(results, name):
    r = results[name]
    cov = _coverage(r["holding_cost_lower"], r["holding_cost_upper"], r["sc"].holding_cost)
    # (e): conservative by construction (see test_holding_cost_se_matches_the_errors): the
    # interval covers every draw. Its width is still a tenth of the point-to-point error.
    upper = 1.0 if name == "e_noise_only" else 0.98
    assert 0.90 <= cov <= upper, f"{name}: EHC 95% interval covers {cov:.1%} of {len(r['holding_cost'])} draws"


@pytest.mark.parametrize("name", list(ALL))
def test_tracking_error_interval_coverage(results, name):
    r = results[name]
    truth = r["sc"].tracking_error
    lo, hi = r["tracking_error_lower"], r["tracking_error_upper"]
    cov = _coverage(lo, hi, truth)
    # (e): the truth, zero, is on the boundary; zero is tested against the chi2(0)/chi2(1)
    # mixture, which makes the interval cover 97.5-99% here rather than 95%.
    upper = 0.99 if name == "e_noise_only" else 0.98
    assert 0.90 <= cov <= upper, (
        f"{name}: TE 95% interval covers {cov:.1%} of {len(lo)} draws "
        f"(above the truth {np.mean(lo > truth):.1%}, below {np.mean(hi < truth):.1%})"
    )


# ---------------------------------------------------------------------------------------
# beyond the three-year criteria: the intervals at ten years
# ---------------------------------------------------------------------------------------

LONG_DRAWS = 300  # coverage standard error 1.3 pp


@pytest.fixture(scope="module")
def long_results():
    out = {}
    for name in ["a_white", "b_ar1", "c_t3", "d_domestic", "e_noise_only"]:
        sc = ALL[name]
        p = simulate_panel(sc, LONG_DRAWS, 505, n_returns=10 * A)
        out[name] = (sc, tracking_stats(p.fund, p.index, periods_per_year=A))
    return out


@pytest.mark.parametrize("name", ["a_white", "b_ar1", "c_t3", "d_domestic", "e_noise_only"])
def test_intervals_cover_at_ten_years(long_results, name):
    # A fund is more often analysed over ten years than three (the speed target is ten):
    # the 95% intervals must not narrow faster than the estimates' spread as data grow.
    sc, s = long_results[name]
    te_cov = _coverage(np.asarray(s.tracking_error_lower), np.asarray(s.tracking_error_upper), sc.tracking_error)
    ehc_cov = _coverage(np.asarray(s.holding_cost_lower), np.asarray(s.holding_cost_upper), sc.holding_cost)
    # Measured over four seeds of 300 draws: TE 89-96% in (a), (c), (d) (about 91% on
    # average: the intervals are slightly short of nominal at ten years, misses mostly above
    # the upper bound), 98% in (e); EHC 94-95%, 100% in (e) (conservative, as at three
    # years). One seed of 300 draws has a Monte Carlo sd of 1.7 points: the floor is 3 sd
    # below 92%.
    te_floor, ehc_ceiling = 0.87, (1.0 if name == "e_noise_only" else 0.98)
    te_ceiling = 0.99 if name == "e_noise_only" else 0.98
    assert te_floor <= te_cov <= te_ceiling and 0.90 <= ehc_cov <= ehc_ceiling, (
        f"{name}, 10 years, {LONG_DRAWS} draws: TE interval covers {te_cov:.1%}, EHC {ehc_cov:.1%}")


# ---------------------------------------------------------------------------------------
# where the noise model leaves out the most of a fund's oldest returns
# ---------------------------------------------------------------------------------------

#: 923 returns: the noise model is fitted to the most recent 900 (model.definition.fit_lengths),
#: the largest share left out (2.5%). Three and ten years (756, 2,520 returns) lose none.
MOST_LEFT_OUT = 923


@pytest.mark.slow
@pytest.mark.parametrize("name", ["a_white", "b_ar1", "c_t3", "d_domestic", "e_noise_only"])
def test_intervals_cover_where_the_noise_model_leaves_out_the_most(name):
    # Measured over eight other seeds of 150 draws: TE 93-96% (98% in (e)), EHC 94-95% (100% in
    # (e)), the same as with every return fitted within 0.7 points; the tracking error's
    # RMSE at most 2.5% above. The bounds are those of three years.
    from xlwings_udfs.analytics.model.definition import fit_lengths

    assert fit_lengths(MOST_LEFT_OUT) == 900
    r = _pooled(name, n_returns=MOST_LEFT_OUT)
    sc = r["sc"]
    te_cov = _coverage(r["tracking_error_lower"], r["tracking_error_upper"], sc.true_tracking_error(MOST_LEFT_OUT))
    ehc_cov = _coverage(r["holding_cost_lower"], r["holding_cost_upper"], sc.holding_cost)
    te_ceiling, ehc_ceiling = (0.99, 1.0) if name == "e_noise_only" else (0.98, 0.98)
    assert 0.90 <= te_cov <= te_ceiling and 0.90 <= ehc_cov <= ehc_ceiling, (
        f"{name}, {MOST_LEFT_OUT} returns: TE interval covers {te_cov:.1%}, EHC {ehc_cov:.1%}")


# ---------------------------------------------------------------------------------------
# where the model's assumptions are pushed or broken (simulate.STRESS), 600 draws each
# ---------------------------------------------------------------------------------------

#: name: (scenario, returns). Three years of daily data unless the name says otherwise.
STRESS_CASES = {
    "f_ma1_neg": (STRESS["f_ma1_neg"], DAYS_3Y),
    "f_ar1_neg": (STRESS["f_ar1_neg"], DAYS_3Y),
    "g_daily_60": (STRESS["g_short_daily"], 60),
    "g_daily_130": (STRESS["g_short_daily"], 130),
    "g_monthly_60": (STRESS["g_short_monthly"], 60),
    "h_crisis": (STRESS["h_crisis"], DAYS_3Y),
    "i_momentum": (STRESS["i_momentum"], DAYS_3Y),
}
SHORT = ["g_daily_60", "g_daily_130", "g_monthly_60"]
#: Where the model holds: its own scenarios, noise that overshoots, short histories. (Not
#: b_ma2: noise caught up linearly over three days is not ARMA(1,1), and three years of data
#: show it; nor the crisis and momentum, which are outside the model.)
MODEL_HOLDS = ["a_white", "b_ar1", "c_t3", "d_domestic", "e_noise_only", "f_ma1_neg", "f_ar1_neg", *SHORT]


@pytest.fixture(scope="module")
def stress_results():
    out = {}
    for name, (sc, n) in STRESS_CASES.items():
        stats = [tracking_stats(p.fund, p.index, periods_per_year=sc.per_year)
                 for p in (simulate_panel(sc, DRAWS_PER_SEED, seed, n_returns=n) for seed in SEEDS)]
        out[name] = {f: np.concatenate([np.asarray(getattr(s, f), dtype=float) for s in stats])
                     for f in ("holding_cost", "holding_cost_lower", "holding_cost_upper", "tracking_error",
                               "tracking_error_lower", "tracking_error_upper", "model_fit_pvalue")}
        out[name]["truth"] = sc.true_tracking_error(n)
        out[name]["sc"] = sc
    return out


@pytest.mark.slow
@pytest.mark.parametrize("name", ["f_ma1_neg", "f_ar1_neg"])
def test_noise_that_overshoots(stress_results, name):
    # Before the overshooting shapes: TE 15% too low, its interval covering 24-34%. Measured
    # now: median 0.99 of the truth, the interval covering 92-93%, the holding cost as in (a).
    r = stress_results[name]
    truth = r["truth"]
    med = np.median(r["tracking_error"]) / truth
    cov = _coverage(r["tracking_error_lower"], r["tracking_error_upper"], truth)
    ehc_cov = _coverage(r["holding_cost_lower"], r["holding_cost_upper"], r["sc"].holding_cost)
    err = r["holding_cost"] - r["sc"].holding_cost
    assert abs(med - 1.0) <= 0.10 and 0.85 <= cov <= 0.98, (
        f"{name}: TE median / truth {med:.3f}, interval covers {cov:.1%}")
    assert 0.90 <= ehc_cov <= 0.98 and abs(err.mean()) < 3.0 * err.std(ddof=1) / np.sqrt(err.size), (name, ehc_cov)


@pytest.mark.slow
@pytest.mark.parametrize("name", SHORT)
def test_short_histories(stress_results, name):
    # 60 or 130 returns, a true TE of 2%, white noise: the full noise model used to put the
    # tracking error at exactly zero in 11% of funds at 60 returns (1.3% at 130), the holding
    # cost's interval covering 91%. Now white noise unless the data reject it: measured 3.7%
    # and 0.3%; the interval covers 93.5%, and 82% of the 22 funds whose TE came out zero at
    # 60 returns (81% of 68 before). The RMSE against the true model's exact likelihood is in
    # test_tracking_oracle.py.
    r = stress_results[name]
    zero = r["tracking_error"] == 0.0
    mu = r["sc"].holding_cost
    covered = (r["holding_cost_lower"] <= mu) & (mu <= r["holding_cost_upper"])
    at_zero = f"{covered[zero].mean():.1%} of {zero.sum()}" if zero.any() else "none"
    assert zero.mean() <= 0.05 and covered.mean() >= 0.88, (
        f"{name}: TE exactly 0 in {zero.mean():.1%}; EHC interval covers {covered.mean():.1%} "
        f"(where TE is 0: {at_zero})")


@pytest.mark.slow
def test_tracking_error_interval_through_a_crisis(stress_results):
    # The persistent volatility x4 and the noise x6 for three weeks, then decaying: the
    # likelihood ratio read as it is covered 68%; divided by the dispersion the changing
    # variance causes, measured 90.5%. The truth is the root mean square volatility.
    r = stress_results["h_crisis"]
    cov = _coverage(r["tracking_error_lower"], r["tracking_error_upper"], r["truth"])
    med = np.median(r["tracking_error"]) / r["truth"]
    assert cov >= 0.85 and abs(med - 1.0) <= 0.10, (cov, med)


@pytest.mark.slow
@pytest.mark.parametrize("name", MODEL_HOLDS)
def test_fit_test_seldom_alarms_where_the_model_holds(results, stress_results, name):
    # At most 5% of funds below 0.01 (measured 0.3-1.8%).
    p = (results[name] if name in results else stress_results[name])["model_fit_pvalue"]
    assert np.all((p > 0.0) & (p <= 1.0)), name
    assert np.mean(p < 0.01) <= 0.05, f"{name}: {np.mean(p < 0.01):.1%} of funds below 0.01"


@pytest.mark.slow
def test_fit_test_catches_deviations_with_momentum(stress_results):
    # Persistent increments AR(1) with phi = +0.5: the model reads them as a random walk plus
    # noise, its TE 17% too low and the interval covering nothing; the fit test says so in
    # most funds (measured 62%).
    r = stress_results["i_momentum"]
    assert np.mean(r["model_fit_pvalue"] < 0.01) > 0.5, np.mean(r["model_fit_pvalue"] < 0.01)


# ---------------------------------------------------------------------------------------
# time, not counts: the fund's data with gaps (the index complete)
# ---------------------------------------------------------------------------------------

BLANKS = (0.1, 0.3)


@pytest.fixture(scope="module")
def gapped_results():
    """Per scenario and share of the fund's days left blank: the figures of the same draws as
    ``results`` with that share of the fund's levels (never the first or last) set to NaN."""
    out = {}
    for name, sc in ALL.items():
        for blank in BLANKS:
            stats = []
            for seed in SEEDS:
                p = simulate_panel(sc, DRAWS_PER_SEED, seed)
                fund = p.fund.copy()
                mask = np.random.default_rng(seed + 7).random(fund.shape) < blank
                mask[[0, -1]] = False
                fund[mask] = np.nan
                stats.append(tracking_stats(fund, p.index, periods_per_year=A))
            out[name, blank] = {f: np.concatenate([np.asarray(getattr(s, f), dtype=float) for s in stats])
                                for f in ("holding_cost", "holding_cost_lower", "holding_cost_upper",
                                          "tracking_error", "tracking_error_lower", "tracking_error_upper")}
    return out


@pytest.mark.slow
@pytest.mark.parametrize("blank", BLANKS)
@pytest.mark.parametrize("name", list(ALL))
def test_gaps_in_the_fund_leave_the_holding_cost_as_it_was(results, gapped_results, name, blank):
    # Counting returns instead of time made the EHC 15% too large with 30% of days blank (a
    # bias of 4.6 Monte Carlo standard errors). Now unbiased, and its interval covers within
    # 3 points of the full series' (measured 92-94% against 93-96%; 100% in (e)).
    g, full = gapped_results[name, blank], results[name]
    mu = ALL[name].holding_cost
    err = g["holding_cost"] - mu
    cov = _coverage(g["holding_cost_lower"], g["holding_cost_upper"], mu)
    full_cov = _coverage(full["holding_cost_lower"], full["holding_cost_upper"], mu)
    assert abs(err.mean()) < 3.0 * err.std(ddof=1) / np.sqrt(err.size), (name, blank, err.mean())
    assert cov >= min(full_cov - 0.03, 0.92) and cov <= (1.0 if name == "e_noise_only" else 0.98), (
        f"{name}, {blank:.0%} blank: EHC interval covers {cov:.1%} (full series {full_cov:.1%})")


@pytest.mark.slow
@pytest.mark.parametrize("blank", BLANKS)
@pytest.mark.parametrize("name", list(ALL))
def test_gaps_in_the_fund_leave_the_tracking_error_as_it_was(results, gapped_results, name, blank):
    # The tracking error per period: median within 10% of the truth, its interval covering
    # within 5 points of the full series' (measured within 2), except noise that catches up
    # gradually (b) with 30% of days blank: on the returns' own steps the noise is then not
    # quite AR(1) (a shock decays by 0.6^k over a return spanning k days), and the interval
    # covers 88% against 94%.
    g, full = gapped_results[name, blank], results[name]
    truth = ALL[name].tracking_error
    cov = _coverage(g["tracking_error_lower"], g["tracking_error_upper"], truth)
    full_cov = _coverage(full["tracking_error_lower"], full["tracking_error_upper"], truth)
    floor = 0.85 if (name, blank) == ("b_ar1", 0.3) else full_cov - 0.05
    if truth > 0:
        med = np.median(g["tracking_error"]) / truth
        assert abs(med - 1.0) <= 0.10, (name, blank, med)
    assert cov >= floor, f"{name}, {blank:.0%} blank: TE interval covers {cov:.1%} (full series {full_cov:.1%})"
