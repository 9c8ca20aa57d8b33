"""Funds whose returns lie on the index's own rows: one series of index returns for them all.

In a block of funds compared with one index (:mod:`.tracking`), a fund that has a value on
every date of its span on which the index has one has no date skipped inside its span (the
usual case). Its valid rows are then the index's rows from its first to its last, and its
returns are those of consecutive index rows. For such funds:

* their returns are taken on the index's rows, once for the block; a fund's packed column
  (its returns from the top, as the model takes them) is that column moved up to the fund's
  first row, not a gather of its rows one by one;
* the rolling windows and the regressions take the index's side once for them all
  (:func:`.rolling.window_starts_on_index_rows`, :func:`.rolling.rolling_td_summary`,
  :func:`.regression.regression_on_index_rows`, :func:`.regression.dimson_beta_on_index_rows`).

A fund that skips a date (a missing NAV inside its span) has a return across the gap, which
is not a return of consecutive index rows: :mod:`.tracking` packs it and computes its figures
with the plain functions. Why the figures are the same either way: a fund's return on the
index's rows is the same subtraction of the same two logarithms as its packed return, so the
returns, and everything the model estimates from them, are equal bit for bit; the rolling and
regression figures are the plain ones up to the order of summation (see those modules).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .regression import dimson_beta_on_index_rows, regression_on_index_rows
from .rolling import rolling_td_summary, window_starts_on_index_rows

__all__ = ["on_index_rows", "IndexRowReturns"]


def on_index_rows(index_valid: np.ndarray, counts: np.ndarray, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Which funds have as valid rows all of the index's rows from their first to their last
    (or none at all, beside funds that have some). ``counts``, ``first``, ``last``: each fund's
    valid rows, first and last."""
    has = counts > 0
    if not has.any():
        return has  # nothing to share
    if index_valid.all():  # every row is the index's
        return ~has | (last - first + 1 == counts)
    index_so_far = np.cumsum(index_valid)
    rows_in_span = index_so_far[np.where(has, last, 0)] - index_so_far[first] + 1
    return ~has | (rows_in_span == counts)


@dataclass
class IndexRowReturns:
    """The returns of funds on the index's rows.

    Attributes
    ----------
    rows : the index's rows of the date axis, from the funds' first valid row to their last.
    pos : (k,) each fund's first valid row, as a position among ``rows`` (0 for a fund
        without data).
    counts : (k,) each fund's valid rows.
    rf : (m - 1, k) the funds' returns from each of ``rows`` to the next; NaN outside a fund's.
    ri : (m - 1,) the index's.
    d : (m - 1, k) ``rf - ri``.
    """

    rows: np.ndarray
    pos: np.ndarray
    counts: np.ndarray
    rf: np.ndarray
    ri: np.ndarray
    d: np.ndarray

    @classmethod
    def of(cls, fund: np.ndarray, log_index: np.ndarray, valid: np.ndarray, counts: np.ndarray,
           first: np.ndarray, last: np.ndarray, windowed: bool) -> "IndexRowReturns":
        """From the funds' levels (t, k) and the index's logarithms (t,); ``valid`` (t, k) their
        valid rows, which ``windowed`` says may leave out levels before a window."""
        has = counts > 0
        lo, hi = int(first[has].min()), int(last[has].max())
        index_valid = np.isfinite(log_index[lo : hi + 1])
        rows = lo + np.flatnonzero(index_valid)
        take = slice(lo, hi + 1) if index_valid.all() else rows  # a slice when the index has every row
        if windowed:
            lf = np.array(fund[take])
            lf[~valid[take]] = np.nan
            np.log(lf, out=lf)
        else:
            lf = np.log(fund[take])
        rf, ri = np.diff(lf, axis=0), np.diff(log_index[take])
        pos = np.where(has, np.searchsorted(rows, first), 0)
        return cls(rows=rows, pos=pos, counts=counts, rf=rf, ri=ri, d=rf - ri[:, None])

    def packed(self, height: int) -> np.ndarray:
        """(height, k): each fund's return differences from the top of its column, NaN below."""
        n_ret = np.maximum(self.counts - 1, 0)
        starts = self.pos[n_ret > 0]
        if starts.size == 0 or (starts == starts[0]).all():  # one first row for all: a slice
            p = int(starts[0]) if starts.size else 0
            return self.d[p : p + height]
        # Copied a fund at a time, a slice each, into contiguous columns, which the model
        # takes as they are: several times quicker than gathering through an index of every
        # row (2.5 ms for 128 funds x 15 years), and a block of rows across the funds would
        # be copied again for the model.
        d = np.empty((height, self.d.shape[1]), order="F")
        for j, (start, n) in enumerate(zip(self.pos.tolist(), n_ret.tolist())):
            d[:n, j] = self.d[start : start + n, j]
            d[n:, j] = np.nan
        return d

    def figures(self, dates, periods_per_year: float) -> dict:
        """The rolling one-year tracking differences and the regressions on the index, keyed
        as :mod:`.tracking` keys them (``alpha_per_return`` is per return, not per period)."""
        m, k = self.d.shape[0] + 1, self.d.shape[1]
        # A fund's column contiguous (as pandas hands a panel over) if its returns are: the
        # order statistics then run along contiguous columns.
        order = "F" if k > 1 and self.d.flags.f_contiguous else "C"
        cum = np.empty((m, k), order=order)
        cum[0] = 0.0
        if np.all((self.pos == 0) & (self.counts == m)):  # every fund has every row
            np.cumsum(self.d, axis=0, out=cum[1:])
        else:
            np.nancumsum(self.d, axis=0, out=cum[1:])  # zero before a fund's returns
        # Fund j's levels are rows pos[j] to pos[j] + counts[j] - 1; its windows end on those
        # whose start, which every fund shares, is one of them: rows first[j] to last[j].
        starts = window_starts_on_index_rows(dates, self.rows, periods_per_year)
        first, last = np.searchsorted(starts, self.pos, side="left"), self.pos + self.counts - 1
        has = first <= last
        lo, hi = (int(first[has].min()), int(last[has].max()) + 1) if has.any() else (0, 0)
        log_td = np.empty((hi - lo, k), order=order)  # on the rows that end a window
        # The rows that start the windows, gathered into log_td: with contiguous columns, down
        # each column (along the rows of the transpose), several times faster than picking
        # whole rows across them.
        at = np.maximum(starts[lo:hi], 0)
        if order == "F":
            np.take(cum.T, at, axis=1, out=log_td.T, mode="clip")  # "clip": no buffered copy of out
        else:
            np.take(cum, at, axis=0, out=log_td, mode="clip")
        np.subtract(cum[lo:hi], log_td, out=log_td)
        r_med, r_lo, r_hi, r_latest, n_windows = rolling_td_summary(log_td, first - lo, last - lo)
        stop = self.pos + np.maximum(self.counts - 1, 0)
        beta, r2, alpha_per_return = regression_on_index_rows(self.rf, self.ri, self.pos, stop, periods_per_year)
        return dict(r_med=r_med, r_lo=r_lo, r_hi=r_hi, r_latest=r_latest, n_windows=n_windows, beta=beta, r2=r2,
                    alpha_per_return=alpha_per_return,
                    beta_d=dimson_beta_on_index_rows(self.rf, self.ri, self.pos, stop))
