"""The real-data extracts shipped in ``xlwings_udfs/data``, rebuilt from the raw files.

Values are copied unchanged (as the text of the source files), only joined on date:

* ``spy_sp500.csv.gz``: SPY close, adjusted close and volume with the S&P 500 price index;
* ``cn_159501.csv``: the Shenzhen-listed Nasdaq-100 ETF 159501, prices, volume and NAV (on
  every date of either file: the first row has a NAV and no prices).

``python -m xlwings_udfs.data.generate_sample --source DIR`` calls :func:`write_real`; the
raw files and their sources are listed in ``data/README.md``.
"""
from __future__ import annotations

import gzip
import io
from pathlib import Path

import pandas as pd

__all__ = ["SPY_FILE", "CN_FILE", "build_spy_sp500", "build_cn_etf", "write_real"]

SPY_FILE = "spy_sp500.csv.gz"
CN_FILE = "cn_159501.csv"


def _read_text_table(path: Path) -> pd.DataFrame:
    """Read a CSV keeping every value as the exact text in the file."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def build_spy_sp500(source_dir: str | Path) -> pd.DataFrame:
    """Join SPY daily data with the S&P 500 price index on their common dates.

    Values are kept as the text of the source files (not re-rounded); the index file's
    M/D/YYYY dates are rewritten as ISO dates.
    """
    src = Path(source_dir)
    spy = _read_text_table(src / "spy_daily_2008_2017.csv.gz")
    spx = _read_text_table(src / "sp500_index_daily_1999_2018.csv.gz")
    spy = pd.DataFrame(
        {
            "date": pd.to_datetime(spy["Date"], format="%Y-%m-%d").dt.strftime("%Y-%m-%d"),
            "spy_close": spy["Close"],
            "spy_adj_close": spy["Adj Close"],
            "spy_volume": spy["Volume"],
        }
    )
    spx = pd.DataFrame(
        {
            "date": pd.to_datetime(spx["Date"], format="%m/%d/%Y").dt.strftime("%Y-%m-%d"),
            "sp500_close": spx["Close"],
        }
    )
    out = spy.merge(spx, on="date", how="inner", validate="one_to_one")
    return out.sort_values("date", ignore_index=True)


def build_cn_etf(source_dir: str | Path) -> pd.DataFrame:
    """Join the 159501 daily prices with its official NAV on every date of either file.

    The NAV file starts a day earlier (2025-12-31): that row has a NAV and no prices, so a
    premium against the previous day's NAV can be formed on the first trading day too.
    """
    src = Path(source_dir)
    px = _read_text_table(src / "cn_qdii_159501_prices_2026Q1.csv")
    nav = _read_text_table(src / "cn_qdii_159501_nav_2026Q1.csv")
    px = px[["date", "close", "open", "high", "low", "volume", "amount"]]
    nav = nav.rename(columns={"nav_date": "date", "unit_nav": "nav"})[["date", "nav"]]
    out = px.merge(nav, on="date", how="outer", validate="one_to_one")
    return out.sort_values("date", ignore_index=True)


def write_real(source_dir: str | Path, out_dir: str | Path) -> list[Path]:
    """Write ``spy_sp500.csv.gz`` and ``cn_159501.csv`` (and nothing else) into ``out_dir``.

    The gzip header carries no file name and a zero time stamp, so the bytes depend on the
    content only.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    spy = build_spy_sp500(source_dir)
    buf = io.StringIO()
    spy.to_csv(buf, index=False, lineterminator="\n")
    with open(out / SPY_FILE, "wb") as fh:
        with gzip.GzipFile(filename="", mode="wb", fileobj=fh, compresslevel=9, mtime=0) as gz:
            gz.write(buf.getvalue().encode("utf-8"))
    build_cn_etf(source_dir).to_csv(out / CN_FILE, index=False, lineterminator="\n")
    return [out / SPY_FILE, out / CN_FILE]
