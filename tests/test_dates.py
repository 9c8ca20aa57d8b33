"""Dates: texts read the same way everywhere, and data newest first put in date order."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xlwings_udfs.analytics import bid_ask_spread_stats, market_impact_stats, performance_gap, period_return
from xlwings_udfs.analytics.date_text import parse_date_texts
from xlwings_udfs.analytics.dates import chronological, median_spacing
from xlwings_udfs.analytics.errors import InputError
from xlwings_udfs.data import load_cn_etf


def _days(texts, **kw):
    return [str(d)[:16] for d in parse_date_texts(texts, **kw)]


# ----------------------------------------------------------------------------------------
# date texts
# ----------------------------------------------------------------------------------------

def test_iso_dates_times_and_offsets():
    assert _days(["2024-01-31", "2024-02-29 16:00", "2024-03-01T09:30:00Z", "2024-03-04T09:30+01:00"]) == [
        "2024-01-31T00:00", "2024-02-29T16:00", "2024-03-01T09:30", "2024-03-04T09:30"]


def test_plain_iso_dates_are_read_at_once_as_one_by_one():
    texts = list(pd.bdate_range("2001-01-01", periods=300).strftime("%Y-%m-%d")) + [None]
    assert _days(texts) == _days([t + " 00:00" if t else t for t in texts])
    assert _days(["1677-09-22", "2262-04-11"]) == ["1677-09-22T00:00", "2262-04-11T00:00"]


def test_blanks_are_missing():
    assert _days([None, "", "  ", "2024-01-31"]) == ["NaT", "NaT", "NaT", "2024-01-31T00:00"]


@pytest.mark.parametrize("texts, first", [
    (["31/01/2024", "01/02/2024", "02/02/2024"], "2024-01-31"),        # a day over 12: day first
    (["01/31/2024", "02/01/2024", "02/02/2024"], "2024-01-31"),        # a second number over 12
    (["31.01.2024", "01.02.2024"], "2024-01-31"),
    (["31-01-2024", "01-02-2024"], "2024-01-31"),
    (["2024/01/31", "2024/02/01"], "2024-01-31"),                      # year first
    (["Jan 31, 2024", "31 Jan 2024", "31-Jan-2024", "January 31, 2024"], "2024-01-31"),
])
def test_other_layouts_where_the_column_settles_the_order(texts, first):
    assert _days(texts)[0] == first + "T00:00"
    assert _days(texts)[1] in (first + "T00:00", "2024-02-01T00:00")


def test_the_order_holds_for_every_row():
    # 01/02 is 1 February once 31/01 fixed the order, never 2 January
    assert _days(["31/01/2024", "01/02/2024"])[1] == "2024-02-01T00:00"
    assert _days(["01/31/2024", "02/01/2024"])[1] == "2024-02-01T00:00"


@pytest.mark.parametrize("texts, message", [
    (["01/02/2024", "03/02/2024"],
     "dates: '01/02/2024' could be day/month or month/day and no date in the column settles it; "
     "use --date-format, first at row 1"),
    (["13/01/2024", "01/13/2024"],
     "dates: '01/13/2024' is month/day but '13/01/2024' is day/month: the dates of a column are in one "
     "order; use --date-format, first at row 2"),
    (["01/13/2024", "02/01/2024", "13/02/2024"],
     "dates: '13/02/2024' is day/month but '01/13/2024' is month/day: the dates of a column are in one "
     "order; use --date-format, first at row 3"),
    (["13/13/2024"], "dates: not a date ('13/13/2024': no month); use --date-format, first at row 1"),
    (["31/01/24"], "dates: '31/01/24' has a two-digit year, which could be of two centuries; use --date-format, "
                   "first at row 1"),
    (["31/01/2024", "31/02/2024"], "dates: not a date ('31/02/2024' read as day/month/year), first at row 2"),
    (["2024-01-31", "yesterday"], "dates: not a date ('yesterday'); use --date-format, first at row 2"),
    (["2024-13-01"], "dates: not a date ('2024-13-01'), first at row 1"),
    (["2024-01-31", "2024-02-30"], "dates: not a date ('2024-02-30'), first at row 2"),
    # beyond what nanosecond timestamps hold: an error, never a date wrapped around
    (["2024-01-31", "1500-01-01"], "dates: 1500-01-01 is outside the supported dates (1677-09-22 to 2262-04-11), "
                                   "first at row 2"),
    (["13/01/2300"], "dates: 2300-01-13 is outside the supported dates (1677-09-22 to 2262-04-11), first at row 1"),
])
def test_what_cannot_be_read_for_sure_is_an_error_naming_the_row(texts, message):
    with pytest.raises(InputError) as e:
        parse_date_texts(texts, declare="use --date-format")
    assert str(e.value) == message


@pytest.mark.parametrize("fmt", ["%d/%m/%Y", "DD/MM/YYYY", "dd/mm/yyyy"])
def test_a_declared_format_settles_the_order(fmt):
    assert _days(["01/02/2024", "2024-02-02"], date_format=fmt) == ["2024-02-01T00:00", "2024-02-02T00:00"]
    with pytest.raises(InputError, match="'2/1/24' does not match the date format"):
        parse_date_texts(["01/02/2024", "2/1/24"], date_format=fmt)


# ----------------------------------------------------------------------------------------
# the order of the dates
# ----------------------------------------------------------------------------------------

DAYS = pd.bdate_range("2024-01-02", periods=60)


def test_chronological_reverses_dates_newest_first():
    idx, order = chronological(DAYS[::-1], 60)
    assert idx.equals(DAYS) and list(np.arange(60)[order]) == list(range(59, -1, -1))
    idx, order = chronological(DAYS, 60)
    assert idx.equals(DAYS) and list(np.arange(60)[order]) == list(range(60))


def test_text_dates_newest_first():
    idx, order = chronological([d.strftime("%d/%m/%Y") for d in DAYS[::-1]], 60)
    assert idx.equals(DAYS)


@pytest.mark.parametrize("bad, message", [
    ([DAYS[0], DAYS[2], DAYS[1]], "dates: dates in neither ascending nor descending order (2024-01-03 after "
                                  "2024-01-04), first at row 3"),
    ([DAYS[2], DAYS[1], DAYS[1]], "dates: duplicate date 2024-01-03, first at row 3"),
])
def test_dates_in_neither_order_or_repeated_are_errors(bad, message):
    with pytest.raises(InputError) as e:
        chronological(bad, 3)
    assert str(e.value) == message


@pytest.fixture(scope="module")
def cn():
    return load_cn_etf()


def test_market_impact_newest_first_equals_oldest_first(cn):
    kw = dict(nav_lag=1, volume_unit="currency")
    old = market_impact_stats(cn["close"], cn["nav"], cn["amount"], cn.index, **kw)
    new = market_impact_stats(cn["close"][::-1].to_numpy(), cn["nav"][::-1].to_numpy(),
                              cn["amount"][::-1].to_numpy(), cn.index[::-1], **kw)
    assert new.impact == pytest.approx(old.impact, rel=1e-12)
    assert new.premium_vol == pytest.approx(old.premium_vol, rel=1e-12)


def test_spread_newest_first_equals_oldest_first(cn):
    old = bid_ask_spread_stats(cn["open"], cn["high"], cn["low"], cn["close"], cn.index)
    rev = {k: cn[k][::-1].to_numpy() for k in ("open", "high", "low", "close")}
    new = bid_ask_spread_stats(rev["open"], rev["high"], rev["low"], rev["close"], cn.index[::-1])
    assert new.spread == pytest.approx(old.spread, rel=1e-12)


def test_returns_newest_first_equal_oldest_first():
    levels = 100 * np.exp(np.cumsum(np.random.default_rng(1).normal(0, 0.01, 60)))
    dist = np.zeros(60)
    dist[30] = 0.5
    old = period_return(levels, DAYS, "2024-01-10", "2024-03-01", distributions=dist)
    new = period_return(levels[::-1], DAYS[::-1], "2024-01-10", "2024-03-01", distributions=dist[::-1])
    assert new.cumulative == pytest.approx(old.cumulative, rel=1e-12)
    assert new.n_distributions == 1
    gap_old = performance_gap(levels, levels * 1.01, DAYS, "2024-01-10", "2024-03-01")
    gap_new = performance_gap(levels[::-1], levels[::-1] * 1.01, DAYS[::-1], "2024-01-10", "2024-03-01")
    assert gap_new.gap == pytest.approx(gap_old.gap, abs=1e-15)


def test_a_row_in_a_message_is_the_users_row_also_newest_first():
    levels = np.full(60, 100.0)
    dist = np.zeros(60)
    dist[3] = 0.5
    levels[3] = np.nan  # a distribution on a date without a level: row 4 as given
    with pytest.raises(InputError, match="first at row 4"):
        period_return(levels, DAYS[::-1], "2024-01-10", "2024-03-01", distributions=dist)


@pytest.mark.parametrize("size", [2, 3, 10, 11, 2521])
def test_median_spacing_is_the_median_of_the_steps(size):
    rng = np.random.default_rng(size)
    ns = np.cumsum(rng.integers(1, 10**14, size))
    assert median_spacing(ns) == np.median(np.diff(ns))
