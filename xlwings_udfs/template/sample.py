"""The data the template workbook carries: the embedded sample, one block per fund."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

__all__ = ["Fund", "SampleBlock", "name_key", "sample_block", "EXCEL_EPOCH"]

#: Day 0 of Excel's 1900 date system, for the dates after February 1900 that a sample holds.
EXCEL_EPOCH = pd.Timestamp("1899-12-30")


@dataclass(frozen=True)
class Fund:
    """One fund of the data sheet."""

    ticker: str
    key: str  # the ticker as it appears in defined names
    name: str
    category: str
    expense_ratio: float
    nav: np.ndarray
    bench: np.ndarray
    price: np.ndarray
    volume: np.ndarray

    def series(self, prefix: str) -> np.ndarray:
        return {"NAV": self.nav, "BENCH": self.bench, "PRICE": self.price, "VOLUME": self.volume}[prefix]


@dataclass(frozen=True)
class SampleBlock:
    """The data the workbook carries: shared dates and one block per fund."""

    dates: pd.DatetimeIndex
    funds: list[Fund]

    @property
    def serials(self) -> list[float]:
        """The dates as Excel serial numbers (what a date cell holds)."""
        return [float(d) for d in (self.dates - EXCEL_EPOCH).days]

    @property
    def tickers(self) -> list[str]:
        return [f.ticker for f in self.funds]


def name_key(ticker: str, taken: set[str] | None = None) -> str:
    """A ticker made safe for a defined name: ``SYN-EMA`` -> ``SYN_EMA``."""
    key = re.sub(r"[^A-Za-z0-9]+", "_", ticker).strip("_").upper() or "FUND"
    if taken is not None:
        base, i = key, 2
        while key in taken:
            key, i = f"{base}_{i}", i + 1
        taken.add(key)
    return key


def sample_block(funds: Sequence[str] | int | None = None, rows: int | None = None) -> SampleBlock:
    """The embedded sample, optionally cut to some funds and the last ``rows`` dates.

    A cut-down block builds a smaller workbook of the same layout (for fast tests).
    """
    from ..data import load_sample_funds, sample_panel

    info = load_sample_funds()
    tickers = list(info.index)
    if isinstance(funds, int):
        tickers = tickers[:funds]
    elif funds is not None:
        tickers = list(funds)
    panels = {f: sample_panel(f, tickers) for f in ("nav", "index", "price", "volume")}
    if rows is not None:
        panels = {k: v.iloc[-int(rows):] for k, v in panels.items()}
    taken: set[str] = set()
    block = [
        Fund(
            ticker=t,
            key=name_key(t, taken),
            name=str(info.loc[t, "name"]),
            category=str(info.loc[t, "category"]),
            expense_ratio=float(info.loc[t, "expense_ratio"]),
            nav=panels["nav"][t].to_numpy(float),
            bench=panels["index"][t].to_numpy(float),
            price=panels["price"][t].to_numpy(float),
            volume=panels["volume"][t].to_numpy(float),
        )
        for t in tickers
    ]
    return SampleBlock(dates=pd.DatetimeIndex(panels["nav"].index), funds=block)
