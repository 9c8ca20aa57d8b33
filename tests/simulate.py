"""A simulator of the tracking model, shared by the accuracy and oracle tests and the benchmarks.

The cumulative log difference fund minus index is

.. math::

    L_t = \\mu t + w_t + e_t,\\qquad w_t = w_{t-1} + u_t,\\; u_t \\sim N(0, s_u^2)

with a drift :math:`\\mu` (the holding cost per period, EHC :math:`=A\\mu`), a random walk
:math:`w` (persistent deviations, true tracking error :math:`\\sqrt{A s_u^2}`) and stationary
timing noise :math:`e` (white, AR(1) in levels, MA(1), MA(2) catch-up, or Student-t). Index
levels come from random index returns; fund levels are ``index * exp(L)``, so the fund's log
return minus the index's is exactly :math:`d_t = L_t - L_{t-1}`.

Beyond the model, for the stress scenarios: persistent increments with momentum (AR(1)
:math:`u_t`, the truth then the long-run volatility), a volatility spike (a crisis: both parts'
volatility multiplied for a few weeks, then decaying back; the truth the root mean square of
the persistent volatility over the sample), and monthly data (``per_year=12``).

:func:`simulate_panel` returns many independent funds (one column each) against one index,
which is what ``tracking_stats(panel, index, periods_per_year=252)`` takes: hundreds of draws
for the price of one call.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

__all__ = ["Scenario", "SCENARIOS", "STRESS", "B_MA2", "Panel", "simulate_panel", "A", "DAYS_3Y"]

A = 252  # trading days a year
DAYS_3Y = 3 * A  # returns in three years of daily data (levels: one more)


@dataclass(frozen=True)
class Scenario:
    """Truth of one simulation scenario.

    Attributes
    ----------
    name : short label.
    holding_cost : true EHC, annual fraction (A * mu); negative costs money.
    tracking_error : true tracking error sqrt(A * s_u^2), annual fraction.
    noise_sd : standard deviation of the stationary noise e_t (daily, fraction), or, for
        ``noise="ma2"``, of its innovations.
    noise : ``"white"``, ``"ar1"`` (e_t = phi e_{t-1} + eta_t, stationary start),
        ``"ma1"`` (e_t = eta_t + psi eta_{t-1}; psi < 0 overshoots), ``"ma2"`` (a shock caught
        up over three days: e_t = eta_t + 2/3 eta_{t-1} + 1/3 eta_{t-2}) or ``"t3"`` (white,
        Student t with 3 degrees of freedom, scaled to variance noise_sd^2).
    noise_phi : AR(1) coefficient for ``noise="ar1"`` (negative: overshooting noise).
    noise_psi : MA(1) coefficient for ``noise="ma1"``.
    momentum : AR(1) coefficient of the persistent increments u_t (0: a random walk). The
        tracking error is then their long-run volatility, sqrt(A s_eps^2) / (1 - momentum).
    crisis : volatility multipliers (persistent, noise) during a spike of ``crisis_days``
        periods starting at 40% of the sample, decaying back to 1 with a half-life of
        ``crisis_days`` periods after it; (1, 1): none. ``tracking_error`` is the volatility
        outside the crisis; ``true_tracking_error(n)`` the root mean square over n returns.
    per_year : periods a year (252 daily, 12 monthly).
    """

    name: str
    holding_cost: float
    tracking_error: float
    noise_sd: float
    noise: str = "white"
    noise_phi: float = 0.0
    noise_psi: float = 0.0
    momentum: float = 0.0
    crisis: tuple = (1.0, 1.0)
    crisis_days: int = 15
    per_year: int = A

    @property
    def s_u(self) -> float:
        """Standard deviation per period of the persistent deviations (long-run, with momentum)."""
        return self.tracking_error / np.sqrt(self.per_year)

    def multipliers(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        """Volatility multipliers (persistent, noise) of periods 0..t-1: ones without a crisis."""
        g = np.zeros(t)
        if self.crisis != (1.0, 1.0):
            start, days = int(0.4 * t), self.crisis_days
            after = np.arange(t) - (start + days)
            g = np.where(after < 0, 1.0, 0.5 ** (after / days))
            g[: start] = 0.0
        return 1.0 + (self.crisis[0] - 1.0) * g, 1.0 + (self.crisis[1] - 1.0) * g

    def true_tracking_error(self, n_returns: int = 3 * A) -> float:
        """The tracking error the estimate is after, over n returns: the root mean square of
        the persistent volatility (the plain ``tracking_error`` without a crisis)."""
        m = self.multipliers(n_returns + 1)[0][1:]
        return float(self.tracking_error * np.sqrt(np.mean(m * m)))

    @property
    def noise_var(self) -> float:
        """Stationary variance of the noise e_t."""
        if self.noise == "ar1":
            return self.noise_sd**2
        if self.noise == "ma2":
            return self.noise_sd**2 * (1 + (2 / 3) ** 2 + (1 / 3) ** 2)
        if self.noise == "ma1":
            return self.noise_sd**2 * (1 + self.noise_psi**2)
        return self.noise_sd**2

    @property
    def traditional_tracking_error(self) -> float:
        """sqrt(A var(d)) in the model: var(d) = s_u^2 + var((1 - B) e) (no momentum, no crisis)."""
        if self.noise == "ar1":
            var_de = 2.0 * self.noise_sd**2 * (1.0 - self.noise_phi)
        elif self.noise == "ma2":
            # (1 - B)(1 + 2/3 B + 1/3 B^2) = 1 - 1/3 B - 1/3 B^2 - 1/3 B^3
            var_de = self.noise_sd**2 * (1 + 3 * (1 / 3) ** 2)
        elif self.noise == "ma1":
            # (1 - B)(1 + psi B) = 1 - (1 - psi) B - psi B^2
            var_de = self.noise_sd**2 * (1 + (1 - self.noise_psi) ** 2 + self.noise_psi**2)
        else:
            var_de = 2.0 * self.noise_sd**2
        return float(np.sqrt(self.per_year * (self.s_u**2 + var_de)))

    def with_(self, **kw) -> "Scenario":
        return replace(self, **kw)


# Persistent deviations of an emerging-market fund: 1% a year (6.3 bp a day).
_EM_TE = 0.01
_EM_SU = _EM_TE / np.sqrt(A)

#: The scenarios of the accuracy criteria, three years of daily data each.
SCENARIOS: dict[str, Scenario] = {
    # (a) white timing noise with 3x the persistent daily variance: var(d) = 7 s_u^2, so the
    #     traditional tracking error is sqrt(7) = 2.65x the true one.
    "a_white": Scenario("a_white", -0.005, _EM_TE, np.sqrt(3.0) * _EM_SU),
    # (b) noise that takes two or three days to catch up: AR(1) in levels with phi = 0.6
    #     (half-life 1.4 days, 90% caught up after 4.5), stationary variance 7.5 s_u^2 so that
    #     var((1 - B) e) = 2 * 7.5 * 0.4 s_u^2 = 6 s_u^2: the same traditional tracking error
    #     (2.65x) as (a).
    "b_ar1": Scenario("b_ar1", -0.005, _EM_TE, np.sqrt(7.5) * _EM_SU, noise="ar1", noise_phi=0.6),
    # (c) fat tails: white Student-t(3) noise with the variance of (a).
    "c_t3": Scenario("c_t3", -0.005, _EM_TE, np.sqrt(3.0) * _EM_SU, noise="t3"),
    # (d) a domestic fund: true tracking error 0.05% a year and tiny noise (sd half the daily
    #     persistent sd, variance 0.25 s_u^2): traditional TE 1.22x the true one.
    "d_domestic": Scenario("d_domestic", -0.001, 0.0005, 0.5 * 0.0005 / np.sqrt(A)),
    # (e) no persistent deviation at all: true tracking error 0, white noise of 5 bp a day
    #     (traditional TE 1.1% a year, all of it noise).
    "e_noise_only": Scenario("e_noise_only", -0.003, 0.0, 0.0005),
}

#: A second catch-up profile for (b): a shock absorbed over three days (MA(2) in levels),
#: innovation sd chosen so that var((1 - B) e) = 6 s_u^2, as in (a) and (b).
B_MA2 = Scenario("b_ma2", -0.005, _EM_TE, np.sqrt(6.0 / (1 + 3 * (1 / 3) ** 2)) * _EM_SU, noise="ma2")


@dataclass(frozen=True)
class Panel:
    """Simulated levels: ``fund`` (T, N) against one ``index`` (T,), and the true L (T, N)."""

    fund: np.ndarray
    index: np.ndarray
    L: np.ndarray
    scenario: Scenario

    @property
    def d(self) -> np.ndarray:
        """Daily log return differences (T - 1, N)."""
        return np.diff(self.L, axis=0)


def _noise(sc: Scenario, rng: np.random.Generator, t: int, n: int) -> np.ndarray:
    if sc.noise_sd == 0.0:
        return np.zeros((t, n))
    if sc.noise == "white":
        return rng.normal(0.0, sc.noise_sd, (t, n))
    if sc.noise == "t3":
        # Var of t(3) is 3: scale to variance noise_sd^2.
        return rng.standard_t(3, (t, n)) * sc.noise_sd / np.sqrt(3.0)
    if sc.noise == "ar1":
        phi = sc.noise_phi
        eta = rng.normal(0.0, sc.noise_sd * np.sqrt(1.0 - phi * phi), (t, n))
        e = np.empty((t, n))
        e[0] = rng.normal(0.0, sc.noise_sd, n)  # stationary start
        for i in range(1, t):
            e[i] = phi * e[i - 1] + eta[i]
        return e
    if sc.noise == "ma1":
        eta = rng.normal(0.0, sc.noise_sd, (t + 1, n))
        return eta[1:] + sc.noise_psi * eta[:-1]
    if sc.noise == "ma2":
        eta = rng.normal(0.0, sc.noise_sd, (t + 2, n))
        return eta[2:] + (2 / 3) * eta[1:-1] + (1 / 3) * eta[:-2]
    raise ValueError(f"unknown noise {sc.noise!r}")


def simulate_panel(sc: Scenario, n_funds: int, seed: int, n_returns: int = DAYS_3Y,
                   index_vol: float = 0.012) -> Panel:
    """``n_funds`` independent draws of scenario ``sc``, ``n_returns`` returns each.

    Index log returns are i.i.d. normal with sd ``index_vol`` a period (they cancel in d).
    Reproducible: the same (scenario, n_funds, seed, n_returns) gives the same panel.
    """
    rng = np.random.default_rng(seed)
    t = n_returns + 1
    mu = sc.holding_cost / sc.per_year
    steps = rng.normal(0.0, sc.s_u, (t, n_funds)) if sc.s_u > 0 else np.zeros((t, n_funds))
    if sc.momentum:
        # u_t = m u_{t-1} + eps_t, eps scaled so that the long-run sd is s_u; stationary start.
        phi = sc.momentum
        steps *= 1.0 - phi
        steps[0] *= 1.0 / np.sqrt(1.0 - phi * phi)
        for i in range(1, t):
            steps[i] += phi * steps[i - 1]
    noise = _noise(sc, rng, t, n_funds)
    if sc.crisis != (1.0, 1.0):
        m_u, m_e = sc.multipliers(t)
        steps *= m_u[:, None]
        noise *= m_e[:, None]
    steps[0] = 0.0
    w = np.cumsum(steps, axis=0)
    L = mu * np.arange(t)[:, None] + w + noise
    index = 100.0 * np.exp(np.concatenate([[0.0], np.cumsum(rng.normal(0.0002, index_vol, n_returns))]))
    fund = index[:, None] * np.exp(L)
    return Panel(fund=fund, index=index, L=L, scenario=sc)

#: Stress scenarios, where the model's assumptions are pushed or broken (three years daily
#: unless said otherwise):
STRESS: dict[str, Scenario] = {
    # Noise that overshoots: a stale price corrected too far, then back. MA(1) in levels with
    # psi = -0.5, and AR(1) with phi = -0.5; var((1 - B) e) = 6 s_u^2 as in (a), so that the
    # lag-1 autocorrelation of d is -0.55 and -0.64.
    "f_ma1_neg": Scenario("f_ma1_neg", -0.005, _EM_TE, np.sqrt(6.0 / 3.5) * _EM_SU, noise="ma1", noise_psi=-0.5),
    "f_ar1_neg": Scenario("f_ar1_neg", -0.005, _EM_TE, np.sqrt(2.0) * _EM_SU, noise="ar1", noise_phi=-0.5),
    # Short histories: a true tracking error of 2% and white noise with 3x its variance, as
    # in (a); 60 or 130 daily returns, or five years of monthly returns.
    "g_short_daily": Scenario("g_short_daily", -0.005, 0.02, np.sqrt(3.0) * 0.02 / np.sqrt(A)),
    "g_short_monthly": Scenario("g_short_monthly", -0.005, 0.02, np.sqrt(3.0) * 0.02 / np.sqrt(12), per_year=12),
    # A crisis: (a) with the persistent volatility x4 and the noise x6 for three weeks, then
    # decaying back with a three-week half-life.
    "h_crisis": Scenario("h_crisis", -0.005, _EM_TE, np.sqrt(3.0) * _EM_SU, crisis=(4.0, 6.0)),
    # Deviations with momentum: persistent increments AR(1) with phi = +0.5 and little noise
    # (sd half the persistent daily sd), outside the model.
    "i_momentum": Scenario("i_momentum", -0.005, _EM_TE, 0.5 * _EM_SU, momentum=0.5),
}
