"""The sample data set shipped with the package.

Two kinds of data, described in ``README.md`` next to this file:

* a **synthetic** universe of 9 funds with known true parameters (holding cost, tracking
  error, timing noise, premium volatility, dollar volume), written by
  :mod:`xlwings_udfs.data.generate_sample` with a fixed seed; and
* **real** extracts: SPY against the S&P 500 price index (2008-2017) and the Shenzhen-listed
  Nasdaq-100 ETF 159501 with its official NAV (2026 Q1), copied unchanged from openly licensed
  sources whose notices are in ``LICENSES/``.

The files are read through :mod:`importlib.resources`, so the loaders work from an installed
wheel as well as from a source tree. Each file is parsed once; every call returns a fresh
copy, so callers may modify what they get.
"""
from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Iterable

import pandas as pd

__all__ = [
    "FIELDS",
    "load_sample_universe",
    "sample_panel",
    "load_sample_funds",
    "load_spy_sp500",
    "load_cn_etf",
]

#: Columns of the sample universe that :func:`sample_panel` can pivot.
FIELDS = ("nav", "index", "price", "volume")

_UNIVERSE = "sample_universe.csv"
_FUNDS = "sample_funds.csv"
_SPY = "spy_sp500.csv.gz"
_CN = "cn_159501.csv"


def _read(name: str, **kwargs) -> pd.DataFrame:
    ref = resources.files(__name__).joinpath(name)
    compression = "gzip" if name.endswith(".gz") else None
    with ref.open("rb") as fh:
        return pd.read_csv(fh, compression=compression, **kwargs)


def _as_dates(values) -> pd.DatetimeIndex | pd.Series:
    return pd.to_datetime(values, format="%Y-%m-%d").astype("datetime64[ns]")


@lru_cache(maxsize=None)
def _universe() -> pd.DataFrame:
    df = _read(_UNIVERSE, dtype={"fund": str, "volume": "int64"})
    df["date"] = _as_dates(df["date"])
    return df


@lru_cache(maxsize=None)
def _funds() -> pd.DataFrame:
    df = _read(_FUNDS, dtype={"fund": str, "synthetic": bool})
    return df.set_index("fund")


@lru_cache(maxsize=None)
def _spy() -> pd.DataFrame:
    df = _read(_SPY, dtype={"spy_volume": "int64"})
    df.index = pd.DatetimeIndex(_as_dates(df.pop("date")), name="date")
    return df


@lru_cache(maxsize=None)
def _cn() -> pd.DataFrame:
    df = _read(_CN)  # volume stays float: the first row (NAV only) has no trading record
    df.index = pd.DatetimeIndex(_as_dates(df.pop("date")), name="date")
    return df


def load_sample_universe() -> pd.DataFrame:
    """The synthetic sample universe in long format.

    Returns
    -------
    DataFrame
        One row per fund and business day (2022-01-03 to 2024-12-31), with columns

        ``date``
            datetime64 business day.
        ``fund``
            fictional ticker, e.g. ``"SYN-SP500A"``.
        ``nav``
            net asset value per share.
        ``index``
            level of the fund's benchmark (funds tracking the same benchmark share it).
        ``price``
            market closing price, ``nav * exp(premium)``; on a day without trades, the
            previous day's price.
        ``volume``
            shares traded (0 on days without trades).

    See Also
    --------
    sample_panel : one field as a dates x funds table.
    load_sample_funds : the true parameters behind each fund.

    Notes
    -----
    The data are synthetic. The cumulative log difference fund minus index follows
    :math:`L_t = \\mu t + w_t + e_t` (drift, random walk with daily standard deviation
    :math:`s_u`, stationary timing noise), with
    :math:`\\mathrm{EHC} = 252\\mu` and :math:`\\mathrm{TE} = \\sqrt{252}\\,s_u` listed per
    fund in :func:`load_sample_funds`.

    Examples
    --------
    >>> from xlwings_udfs.data import load_sample_universe
    >>> df = load_sample_universe()
    >>> sorted(df.columns)
    ['date', 'fund', 'index', 'nav', 'price', 'volume']
    """
    return _universe().copy()


def sample_panel(field: str = "nav", funds: str | Iterable[str] | None = None) -> pd.DataFrame:
    """One field of the sample universe as a wide table (dates x funds).

    Parameters
    ----------
    field : {"nav", "index", "price", "volume"}
        Column of the long table to spread.
    funds : str or iterable of str, optional
        Tickers to keep, in this order. Default: all funds, in the order of
        :func:`load_sample_funds`.

    Returns
    -------
    DataFrame
        Indexed by ``date`` (DatetimeIndex), one column per fund.

    Raises
    ------
    ValueError
        If ``field`` is not one of :data:`FIELDS`.
    KeyError
        If a ticker in ``funds`` is not in the sample.

    Examples
    --------
    >>> from xlwings_udfs.data import sample_panel
    >>> nav = sample_panel("nav", ["SYN-EMA", "SYN-EMB"])
    >>> list(nav.columns)
    ['SYN-EMA', 'SYN-EMB']
    """
    if field not in FIELDS:
        raise ValueError(f"field: must be one of {', '.join(FIELDS)}; got {field!r}")
    universe = _universe()
    order = list(_funds().index)
    if funds is None:
        wanted = order
    else:
        wanted = [funds] if isinstance(funds, str) else list(funds)
        unknown = [f for f in wanted if f not in order]
        if unknown:
            raise KeyError(
                f"funds: unknown ticker(s) {', '.join(map(str, unknown))}; "
                f"available: {', '.join(order)}"
            )
    panel = universe.pivot(index="date", columns="fund", values=field)
    panel = panel.loc[:, wanted].copy()
    panel.columns = pd.Index(wanted, name="fund")
    panel.index.name = "date"
    return panel


def load_sample_funds() -> pd.DataFrame:
    """The sample funds and the true parameters of their simulation.

    Returns
    -------
    DataFrame
        Indexed by ``fund`` (ticker), with columns ``name``, ``category``, ``index_name``,
        ``shaped_after`` (the real fund whose profile the synthetic one imitates),
        ``expense_ratio`` (an input for the workbook, a fraction a year),
        ``true_holding_cost`` (:math:`252\\mu`, negative = the fund lags),
        ``true_tracking_error`` (:math:`\\sqrt{252}\\,s_u`), ``noise_sd`` and ``noise_phi``
        (stationary standard deviation and AR(1) coefficient of the daily timing noise in the
        log difference), ``premium_sd`` and ``premium_phi`` (the same for the log premium
        ``ln(price / nav)`` before stale prices), ``mean_dollar_volume`` (expected daily
        dollar volume), ``trade_probability`` (share of days with trades),
        ``index_annual_vol`` and ``synthetic`` (always True).

    Examples
    --------
    >>> from xlwings_udfs.data import load_sample_funds
    >>> float(load_sample_funds().loc["SYN-EQWT", "true_holding_cost"])
    -0.0056
    """
    return _funds().copy()


def load_spy_sp500() -> pd.DataFrame:
    """Real daily data: SPY against the S&P 500 price index, 2007-12-31 to 2017-12-29.

    Returns
    -------
    DataFrame
        Indexed by ``date``, with columns ``spy_close`` (unadjusted close), ``spy_adj_close``
        (close adjusted for dividends and splits, i.e. dividends reinvested), ``spy_volume``
        (shares) and ``sp500_close`` (S&P 500 **price** index close).

    Notes
    -----
    ``spy_close`` against ``sp500_close`` is a like-for-like price-return comparison.
    ``spy_adj_close`` against ``sp500_close`` mixes a total-return series with a price index
    and so differs by the dividend yield, about 2% a year.

    Sources: SPY from matplotlib/mplfinance (BSD-style license), the index from the ``arch``
    package (NCSA license); see ``LICENSES/``.
    """
    return _spy().copy()


def load_cn_etf() -> pd.DataFrame:
    """Real daily data: 159501.SZ (a Nasdaq-100 ETF listed in Shenzhen), 2026 Q1.

    Returns
    -------
    DataFrame
        Indexed by ``date``, with columns ``close``, ``open``, ``high``, ``low`` (CNY per
        share), ``volume`` (shares), ``amount`` (CNY traded) and ``nav`` (official NAV per
        share). The first row, 2025-12-31, has the NAV only (blank prices and volume): the
        NAV file starts a day before the price file.

    Notes
    -----
    The NAV dated *d* values the US close of *d*, which comes after the Shenzhen close of
    *d*; the premium ``ln(close / nav)`` ranges from about -0.2% to +7.8%.

    Source: Wilson-Wang/nasdaq100-cn-etf-rv (MIT license); see ``LICENSES/``.
    """
    return _cn().copy()
