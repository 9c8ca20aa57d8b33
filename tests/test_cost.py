"""Total cost of a round trip, the Morningstar examples and the what-if grid."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xlwings_udfs.analytics.cost import TotalCost, total_cost, total_cost_grid
from xlwings_udfs.analytics.errors import InputError

# Morningstar, "Advanced ETF Analytics" (2011): $1,000,000 round trip, 3 years, $10 a trade.
# (fund, published EHC rounded to 0.01%, MIC of a $100,000 trade, published total cost)
MORNINGSTAR = [
    ("SPDR S&P 500", -0.0023, 0.0002, -6_996.50),
    ("iShares S&P 500", -0.0016, 0.0013, -5_118.27),
    ("PowerShares RAFI US 1000", -0.0040, 0.0143, -16_520.92),
    ("Rydex S&P 500 Equal Weight", -0.0056, 0.0029, -17_801.54),
]
HALF_BP = 0.00005  # half of the 0.01% the EHCs are rounded to
S, H, C = 1_000_000.0, 3.0, 10.0


def _implied_ehc(mic: float, published: float, **kw) -> float:
    """The EHC that makes the model give the published total (dollars are affine in the EHC
    under the morningstar convention, so two evaluations solve it exactly)."""
    at0 = total_cost(S, H, C, 0.0, mic, impact_model="morningstar", **kw).dollars
    at1 = total_cost(S, H, C, 0.001, mic, impact_model="morningstar", **kw).dollars
    return 0.001 * (published - at0) / (at1 - at0)


@pytest.mark.parametrize("fund, ehc, mic, published", MORNINGSTAR)
def test_morningstar_examples_reproduce(fund, ehc, mic, published):
    implied = _implied_ehc(mic, published)
    # an EHC inside the rounding interval of the published one ...
    assert ehc - HALF_BP <= implied <= ehc + HALF_BP, (fund, implied)
    # ... gives the published figure to the cent
    tc = total_cost(S, H, C, implied, mic, impact_model="morningstar")
    assert round(tc.dollars, 2) == published
    # and the rounding interval's ends bracket it
    lo = total_cost(S, H, C, ehc - HALF_BP, mic, impact_model="morningstar").dollars
    hi = total_cost(S, H, C, ehc + HALF_BP, mic, impact_model="morningstar").dollars
    assert lo <= published <= hi


def test_morningstar_parts():
    # SPDR: holding 1e6 x -0.23% x 3 = -6,900; commissions -20; impact once: 0.0002 x 1e5 x sqrt(10)
    tc = total_cost(S, H, C, -0.0023, 0.0002, impact_model="morningstar")
    assert tc.holding == pytest.approx(-6_900.0)
    assert tc.commissions == -20.0
    assert tc.impact == pytest.approx(-20.0 * np.sqrt(10.0))
    assert tc.dollars == pytest.approx(tc.holding + tc.commissions + tc.impact + tc.spread)
    assert tc.annual == pytest.approx(tc.dollars / (S * H))
    assert tc.impact_model == "morningstar"


def test_other_arithmetic_does_not_reproduce_the_examples():
    # Why impact is charged once and the holding part is linear: the alternatives need an EHC
    # outside some published row's rounding interval.
    def fits(holding, impact_trades):
        for _, ehc, mic, published in MORNINGSTAR:
            imp = impact_trades * mic * 1e5 * np.sqrt(S / 1e5)
            # solve published = holding(e) - 20 - imp for e
            grid = np.linspace(ehc - 0.002, ehc + 0.002, 400_001)
            e = grid[np.argmin(np.abs(holding(grid) - 2 * C - imp - published))]
            if abs(e - ehc) > HALF_BP:
                return False
        return True

    linear = lambda e: S * e * H
    compound = lambda e: S * ((1 + e) ** H - 1)
    assert fits(linear, 1)
    assert not fits(linear, 2)  # iShares would need -0.143%
    assert not fits(compound, 1)  # Rydex would need -0.565%
    assert not fits(compound, 2)


def test_square_root_law_parts():
    tc = total_cost(S, H, C, -0.0023, 0.0002, half_spread=0.0001)
    assert isinstance(tc, TotalCost)
    assert tc.holding == pytest.approx(S * ((1 - 0.0023) ** 3 - 1))
    assert tc.impact_fraction == pytest.approx(0.0002 * np.sqrt(10.0))
    assert tc.impact == pytest.approx(-2 * S * 0.0002 * np.sqrt(10.0))
    assert tc.spread == pytest.approx(-2 * S * 0.0001)
    assert tc.trading == pytest.approx(tc.commissions + tc.impact + tc.spread)
    assert tc.dollars == pytest.approx(tc.holding + tc.trading)
    assert tc.annual == pytest.approx((1 + tc.dollars / S) ** (1 / 3) - 1)


def test_models_agree_at_the_reference_size_up_to_the_round_trip():
    # At $100,000 the square-root law pays MIC on each trade, Morningstar's once a round trip.
    sq = total_cost(100_000, 1, 0, 0.0, 0.001)
    ms = total_cost(100_000, 1, 0, 0.0, 0.001, impact_model="morningstar")
    assert sq.impact == pytest.approx(2 * ms.impact) == pytest.approx(-200.0)


def test_holding_cost_alone_annualizes_to_itself():
    for model in ("square_root", "morningstar"):
        tc = total_cost(250_000, 7.5, 0.0, -0.0045, impact_model=model)
        assert tc.annual == pytest.approx(-0.0045)


def test_signs():
    tc = total_cost(50_000, 2, 5, -0.003, 0.001, 0.002, 0.0005, half_spread=0.0002)
    assert tc.dollars < 0 and tc.annual < 0
    assert tc.holding < 0 and tc.commissions < 0 and tc.impact < 0 and tc.spread < 0
    assert tc.impact_fraction > 0 and tc.sd > 0
    # a fund that beats its index (securities lending) and costs nothing to trade: a gain
    gain = total_cost(50_000, 2, 0, 0.001)
    assert gain.dollars > 0 and gain.annual > 0
    # no negative zeros in the parts
    zero = total_cost(50_000, 2, 0, 0.0)
    assert str(zero.impact) == "0.0" and str(zero.spread) == "0.0"


def test_bounds_include_exactly_tracking_ehc_error_and_execution():
    tc = total_cost(S, 4, C, -0.002, 0.0005, tracking_error=0.003, holding_cost_se=0.001)
    per_trade = S * 0.0005 * np.sqrt(10.0)
    # the holding part's delta-method variance: what a dollar keeps after the lag, g, scales
    # the tracking error; its derivative in the EHC, u, the EHC's standard error
    g, u = 0.998**4, 4 * 0.998**3
    sd = np.sqrt((S * g * 0.003) ** 2 * 4 + (S * u * 0.001) ** 2 + 2 * per_trade**2)
    assert tc.growth == pytest.approx(g)
    assert tc.sd == pytest.approx(sd)
    assert tc.lower == pytest.approx(tc.dollars - 1.959964 * sd)
    assert tc.upper == pytest.approx(tc.dollars + 1.959964 * sd)
    assert tc.annual_lower < tc.annual < tc.annual_upper
    # Morningstar's arithmetic is linear in the EHC: g = 1, u = h
    ms = total_cost(S, 4, C, -0.002, 0.0005, tracking_error=0.003, holding_cost_se=0.001,
                    impact_model="morningstar")
    per_trade_ms = 0.0005 * 100_000 * np.sqrt(S / 100_000) / 2
    assert ms.sd == pytest.approx(np.sqrt((S * 0.003) ** 2 * 4 + (S * 0.001 * 4) ** 2 + 2 * per_trade_ms**2))
    # no uncertainty at all: the bounds collapse (commissions and spread are known costs)
    exact = total_cost(S, 4, C, -0.002, half_spread=0.001)
    assert exact.lower == exact.dollars == exact.upper
    # Morningstar: each trade carries half of the round-trip impact
    ms = total_cost(S, 3, C, -0.0023, 0.0002, impact_model="morningstar")
    assert ms.sd == pytest.approx(np.sqrt(2) * 0.0002 * 1e5 * np.sqrt(10) / 2)


@settings(max_examples=200, deadline=None)
@given(
    size=st.floats(1_000, 1e9),
    years=st.floats(0.01, 100),
    commission=st.floats(0, 100),
    ehc=st.floats(-0.05, 0.02),
    mic=st.floats(0, 0.02),
    te=st.floats(0, 0.05),
    se=st.floats(0, 0.01),
    spread=st.floats(0, 0.005),
    model=st.sampled_from(["square_root", "morningstar"]),
)
def test_bound_ordering(size, years, commission, ehc, mic, te, se, spread, model):
    tc = total_cost(size, years, commission, ehc, mic, te, se, model, spread)
    assert tc.lower <= tc.dollars <= tc.upper
    assert tc.annual_lower <= tc.annual <= tc.annual_upper
    assert tc.trading <= 0


@pytest.mark.parametrize(
    "kwargs, argument, text",
    [
        (dict(trade_size=0), "trade_size", "positive"),
        (dict(trade_size=-5), "trade_size", "positive"),
        (dict(years=-1), "years", "positive"),
        (dict(years=0), "years", "positive"),
        (dict(years=101), "years", "implausibly large"),
        (dict(years=True), "years", "number"),
        (dict(commission=-1), "commission", "positive"),
        (dict(commission=2_000_000), "commission", "not less than the trade size"),
        (dict(holding_cost="abc"), "holding_cost", "number"),
        (dict(holding_cost=-0.23), "holding_cost", "units are fractions"),
        (dict(holding_cost=float("nan")), "holding_cost", "finite"),
        (dict(market_impact=-0.001), "market_impact", "positive"),
        (dict(tracking_error=float("inf")), "tracking_error", "finite"),
        (dict(holding_cost_se=-0.1), "holding_cost_se", "positive"),
        (dict(impact_model="linear"), "impact_model", "square_root"),
        (dict(half_spread=0.7), "half_spread", "implausibly large"),
    ],
)
def test_bad_parameters_name_the_argument(kwargs, argument, text):
    args = dict(trade_size=1_000_000, years=3, commission=10, holding_cost=-0.0023)
    args.update(kwargs)
    with pytest.raises(InputError, match=text) as err:
        total_cost(**args)
    assert str(err.value).startswith(argument + ":")
    assert "\n" not in str(err.value)


def test_grid_matches_total_cost():
    years, sizes = [0.5, 1, 3, 10], [10_000, 100_000, 1_000_000]
    kw = dict(commission=10, holding_cost=-0.004, market_impact=0.0143, tracking_error=0.002,
              holding_cost_se=0.0005, half_spread=0.0001)
    for model in ("square_root", "morningstar"):
        for value in ("dollars", "annual", "lower", "upper"):
            g = total_cost_grid(years, sizes, impact_model=model, value=value, **kw)
            assert isinstance(g, pd.DataFrame) and g.shape == (4, 3)
            assert g.index.name == "years" and g.columns.name == "trade_size"
            for h in years:
                for s in sizes:
                    expect = getattr(total_cost(s, h, impact_model=model, **kw), value)
                    assert g.loc[h, s] == pytest.approx(expect, rel=1e-12)


def test_grid_errors_report_the_row():
    with pytest.raises(InputError, match=r"^years: must be positive, got -1, first at row 2$"):
        total_cost_grid([1, -1], [1e5], 10, -0.002)
    with pytest.raises(InputError, match=r"^trade_sizes: must be a number"):
        total_cost_grid([1], [1e5, "big"], 10, -0.002)
    with pytest.raises(InputError, match=r"^commission: .*not less than the trade size"):
        total_cost_grid([1], [5, 1e5], 10, -0.002)
    with pytest.raises(InputError, match=r"^value: "):
        total_cost_grid([1], [1e5], 10, -0.002, value="median")


def test_grid_is_vectorized_and_fast():
    import time

    years = np.linspace(0.25, 30, 120)
    sizes = np.geomspace(1e3, 1e8, 100)
    t = time.perf_counter()
    g = total_cost_grid(years, sizes, 10, -0.002, 0.001, 0.003, 0.0005)
    assert time.perf_counter() - t < 0.5
    assert g.shape == (120, 100) and np.isfinite(g.to_numpy()).all()
    # cost grows with holding period and with size
    assert (np.diff(g.to_numpy(), axis=0) < 0).all()
    assert (np.diff(g.to_numpy(), axis=1) < 0).all()
