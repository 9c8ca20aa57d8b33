"""Tracking figures of a fund (or a panel of funds) against its index.

Every figure follows the package's conventions: inputs are levels, returns are log returns,
costs are the investor's return impact (negative costs money), fractions not percent, and a
fund is compared with its index on the dates both have (:mod:`.alignment`).

Figures
-------
With :math:`d_t` the log return difference, :math:`n` returns, :math:`A` periods a year:

* ``holding_cost`` (EHC) :math:`=A\\hat\\mu`, the GLS drift of the tracking model
  (:mod:`.model`), with ``holding_cost_se`` and a 95% interval :math:`\\pm1.96` se.
* ``tracking_error`` :math:`=\\sqrt{A\\hat s_u^2}`, the volatility of the persistent deviations,
  with its 95% profile-likelihood interval; ``tracking_error_traditional``
  :math:`=\\sqrt{A}\\,\\mathrm{sd}(d)`; ``noise_share`` :math:`=1-\\hat s_u^2/\\mathrm{var}(d)`,
  the share of the traditional variance that is mean-reverting noise.
* ``tracking_difference`` :math:`=e^{A\\bar d}-1`, the point-to-point difference annualized
  (geometric: :math:`(1+R_f)/(1+R_i)-1` over the sample is ``tracking_difference_cumulative``
  :math:`=e^{\\sum d}-1`).
* Rolling one-year point-to-point differences (one calendar year with dates, else ``A``
  periods): median, high, low and latest, and how many windows.
* ``beta``, ``r_squared``, ``alpha`` (annualized, log) from the regression of fund on index
  returns; ``beta_dimson`` adds the index return one period before and after and sums the
  three slopes, which undoes stale or non-synchronous prices.
* ``model_fit_pvalue``: the p-value of the model's own fit test (a portmanteau test of its
  whitened residuals, :mod:`.model`); below 0.01 a note says that the noise-robust figures
  may be off.

Time, not counts: where a fund's data have gaps, a return spans the periods of the index's
calendar it crosses (``_spans``), and every annual figure is per period: the model's (the
holding cost, the noise-robust tracking error and their intervals, the noise share) as well
as the tracking difference and alpha.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .alignment import Aligned, align
from .constants import MIN_RETURNS_TRADITIONAL, Z95
from .errors import NotEnoughData
from .figures import TRACKING_FIGURES
from .model import MIN_RETURNS, fit_noise_model, gls_drift
from .model.definition import fit_lengths
from .index_rows import IndexRowReturns, on_index_rows
from .regression import dimson_beta, regression
from .rolling import median_low_high, window_starts
from .tracking_notes import Note, fund_notes
from .validation import check_whole_number

__all__ = ["Note", "TrackingStats", "tracking_stats"]

@dataclass(frozen=True)
class TrackingStats:
    """Tracking figures; floats for one fund, arrays (or Series by fund name) for a panel.

    See the module docstring for definitions. Figures that cannot be estimated for a fund
    of a panel (too short a history) are NaN, with the reason in ``notes``.
    """

    holding_cost: Any
    holding_cost_se: Any
    holding_cost_lower: Any
    holding_cost_upper: Any
    tracking_error: Any
    tracking_error_lower: Any
    tracking_error_upper: Any
    tracking_error_traditional: Any
    noise_share: Any
    noise_phi: Any
    noise_psi: Any
    model_fit_pvalue: Any
    tracking_difference: Any
    tracking_difference_cumulative: Any
    rolling_td_median: Any
    rolling_td_high: Any
    rolling_td_low: Any
    rolling_td_latest: Any
    rolling_td_windows: Any
    beta: Any
    beta_dimson: Any
    r_squared: Any
    alpha: Any
    n_obs: Any
    n_skipped: Any
    start: Any
    end: Any
    periods_per_year: float
    names: list[str] | None = None
    notes: tuple[Note, ...] = ()

    def reasons(self, figure: str, fund: str | None = None) -> list[str]:
        """The notes about ``figure`` (of ``fund``, or of any fund): why it may be missing."""
        return [n.text for n in self.notes if n.concerns(figure) and fund in (None, n.fund)]

    def to_frame(self) -> pd.DataFrame:
        """The figures of TRACKING_FIGURES as rows, one column per fund."""
        k = np.size(self.holding_cost)
        data = {key: np.broadcast_to(np.asarray(getattr(self, key), dtype=float), (k,)) for key in TRACKING_FIGURES}
        cols = self.names or ([f"fund {j + 1}" for j in range(k)] if k > 1 else ["fund"])
        return pd.DataFrame(data, index=cols).T


def _window(valid: np.ndarray, window: int | None) -> np.ndarray:
    """Keep, per fund, only the last ``window`` returns (window + 1 levels)."""
    if window is None:
        return valid
    from_end = np.cumsum(valid[::-1], axis=0)[::-1]
    return valid & (from_end <= window + 1)


def _pack(x: np.ndarray, order: np.ndarray | None, counts: np.ndarray) -> np.ndarray:
    """Each column's values on its valid rows, moved to the top (``order``); NaN below.

    ``order`` holds the rows to take, as many as the longest column has valid ones; None: no
    column has a gap, and packing changes nothing.
    """
    if order is None:
        return np.array(x)
    out = np.take_along_axis(x, order, axis=0)
    out[np.arange(order.shape[0])[:, None] >= counts[None, :]] = np.nan
    return out


#: Funds per block. A block of 15 years of daily returns is then about 4 MB an array, and the
#: passes over it run near the processor's cache: on the benchmark's panel of 3,000 funds,
#: blocks of 128 measured about a tenth quicker than blocks of 256, and quicker than 64.
_BLOCK = 128


def _blocks_by_length(common: np.ndarray) -> list[np.ndarray]:
    """Blocks of at most _BLOCK funds whose numbers of valid dates ``common`` differ, in order of
    those numbers. A block that would split the funds of one fitted length (the length their
    noise model is fitted to, ``fit_lengths``) between itself and the next ends before them,
    unless that leaves it less than half full: the likelihood is then scanned once for them,
    not once in each of two blocks, and blocks stay wide."""
    order = np.argsort(common, kind="stable")
    fitted = fit_lengths(np.maximum(common[order] - 1, 1))  # nondecreasing
    blocks, start, k = [], 0, order.size
    while start < k:
        stop = min(start + _BLOCK, k)
        if stop < k and fitted[stop - 1] == fitted[stop]:
            first_of_length = int(np.searchsorted(fitted, fitted[stop], side="left"))
            if first_of_length - start >= _BLOCK // 2:
                stop = first_of_length
        blocks.append(order[start:stop])
        start = stop
    return blocks


def _spans(index_valid: np.ndarray, order: np.ndarray | None, has_ret: np.ndarray | None) -> np.ndarray | None:
    """Periods each packed return spans, measured on the index's calendar; None if all are 1.

    A fund's return from one valid row to the next spans the rows between them on which the
    index has a value: a date the fund lacks (a missing NAV) is a period that passed, a date
    the index lacks (its holiday, a weekend NAV of a fund against a weekday index) is not.
    Zero below each fund's returns (``has_ret``; None: every fund has a return on every row).
    """
    if order is None:
        return None  # every return from one of the index's rows to the next
    calendar = np.cumsum(index_valid)
    span = np.diff(calendar[order], axis=0).astype(float)
    if has_ret is not None:
        span[~has_ret] = 0.0
    return span


def _block_figures(fund: np.ndarray, valid: np.ndarray, log_index: np.ndarray, dates, A: float,
                   window: int | None) -> dict:
    """Every per-fund figure for a block of funds (t, kb), as arrays of length kb; ``valid``
    (t, kb): where both a fund and the index have a value."""
    t, k = fund.shape
    index_valid = np.isfinite(log_index)
    valid = _window(valid, window)
    counts = valid.sum(0)
    first = np.where(counts > 0, valid.argmax(0), 0)
    last = np.where(counts > 0, t - 1 - valid[::-1].argmax(0), -1)
    # Dates inside a fund's comparison span on which one of the two series has no value.
    n_skipped = np.where(counts > 0, last - first + 1 - counts, 0)
    n_ret = np.maximum(counts - 1, 0)
    height = int(n_ret.max(initial=0))  # the longest fund's returns
    # Funds with no date skipped inside their span have their returns on the index's own
    # rows, one series of index returns for them all (see index_rows.py); the others' valid
    # rows are gathered one by one (packed).
    on_rows = on_index_rows(index_valid, counts, first, last)
    shared = None
    if on_rows.any():
        pick = slice(None) if on_rows.all() else on_rows
        shared = IndexRowReturns.of(fund[:, pick], log_index, valid[:, pick], counts[pick], first[pick],
                                    last[pick], windowed=window is not None)
    if on_rows.all():
        order = None
        d = shared.packed(height)
    else:
        # Rows moved so that each fund's valid rows come first, and cut below the longest
        # fund's (a block of recent launches is short).
        order = np.argsort(~valid, axis=0, kind="stable")[: height + 1]
        lf = _pack(fund, order, counts)
        np.log(lf, out=lf)
        li = _pack(np.broadcast_to(log_index[:, None], (t, k)), order, counts)
        rf, ri = np.diff(lf, axis=0), np.diff(li, axis=0)
        del lf, li
        d = rf - ri
    # Which rows hold a return of each fund; None where every fund has one on every row (one
    # history for all), the usual panel, which then needs no mask.
    every_row = bool(np.all(n_ret == height))
    has_ret = None if every_row else np.arange(height)[:, None] < n_ret[None, :]
    span = _spans(index_valid, order, has_ret)
    model_keys = ("ehc", "ehc_se", "te_var", "te_lo", "te_hi", "phi", "psi", "fit_p")
    out = dict(zip(model_keys, np.full((len(model_keys), k), np.nan)))  # a row each
    # Each fund's returns fill its column from the top, so funds of every length are fitted
    # together. A return across a gap spans several periods: the model's figures are per
    # period.
    fitted = np.flatnonzero(n_ret >= MIN_RETURNS)
    if fitted.size:
        lengths = n_ret[fitted]
        longest = lengths.max()
        if lengths.min() == longest:
            lengths = None
        # Spans of 1 everywhere (funds that merely start late) are no spans at all.
        spans = None if span is None or not np.any(span[:longest, fitted] > 1.0) else span[:longest, fitted]
        # Every fund, and whole columns already contiguous: the returns as they are, not a copy.
        whole = fitted.size == k and longest == d.shape[0] and d.flags.f_contiguous
        d_fit = d if whole else d[:longest, fitted]
        fit = fit_noise_model(d_fit, lengths, spans)
        mu, mu_se = gls_drift(d_fit, fit, lengths, spans)
        del d_fit
        out["ehc"][fitted], out["ehc_se"][fitted] = A * mu, A * mu_se
        out["te_var"][fitted], out["phi"][fitted], out["psi"][fitted] = fit.persistent_var, fit.noise_phi, fit.noise_psi
        out["te_lo"][fitted], out["te_hi"][fitted] = fit.persistent_var_lower, fit.persistent_var_upper
        out["fit_p"][fitted] = fit.fit_pvalue
    # Each fund's returns fill its column from the top; zeros below them make the column
    # sums per-fund sums. A fund too short for a figure gets NaN (and a note). Where every
    # fund has a return on every row (one history for all) there is nothing to zero: the
    # same values, laid out a row per date as np.where lays them out (the column sums add
    # the rows in turn, so the layout fixes their rounding).
    d0 = np.ascontiguousarray(d) if every_row else np.where(has_ret, d, 0.0)
    out["sum_d"] = d0.sum(axis=0)
    out["periods"] = n_ret.astype(float) if span is None else span.sum(axis=0)
    # The mean per period, a return across a gap weighing as the periods it spans; the
    # variance of the one-period differences (the traditional tracking error is the spread of
    # daily differences, and a two-day return is not one: with timing noise its variance is
    # not twice a day's).
    if span is None:
        one, n_one = has_ret, n_ret  # every return is a one-period return
    else:
        one = span == 1.0 if every_row else has_ret & (span == 1.0)
        n_one = one.sum(axis=0)
    # Without spans every return is a one-period return: d0 already holds them alone.
    sum_one = out["sum_d"] if span is None else np.where(one, d0, 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_d = out["sum_d"] / out["periods"]
        mean_one = sum_one / n_one
        dev = d0 - mean_one
        if not (every_row and span is None):  # else every return is a one-period return
            dev = np.where(one, dev, 0.0)
        dev *= dev
        out["var_d"] = np.where(n_one >= MIN_RETURNS_TRADITIONAL, dev.sum(axis=0) / (n_one - 1), np.nan)
    out["mean_d"] = np.where(n_ret >= 1, mean_d, np.nan)
    out["n_one_period"] = n_one
    del dev, has_ret, one, d
    # Rolling one-year point-to-point differences, and the regressions on the index returns:
    # from the shared index for the funds on its rows, by the plain functions for the packed.
    if on_rows.all():
        figures = shared.figures(dates, A)
    else:
        gaps = ~on_rows
        figures = _packed_figures(rf[:, gaps], ri[:, gaps], d0[:, gaps], valid[:, gaps], order[:, gaps],
                                  counts[gaps], dates, A)
        if shared is not None:
            shared_figures = shared.figures(dates, A)
            figures = {key: _merge(on_rows, shared_figures[key], v) for key, v in figures.items()}
    del d0, shared
    out.update(figures)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["alpha"] = out.pop("alpha_per_return") * n_ret / out["periods"]  # per period, as the drift
    out.update(n_ret=n_ret, n_skipped=n_skipped, first=first, last=last)
    return out


def _merge(mask: np.ndarray, where_true: np.ndarray, where_false: np.ndarray) -> np.ndarray:
    """One array from the values of the funds in ``mask`` and of the others."""
    out = np.empty(mask.size, dtype=np.result_type(where_true, where_false))
    out[mask], out[~mask] = where_true, where_false
    return out


def _packed_figures(rf, ri, d0, valid, order, counts, dates, A: float) -> dict:
    """The rolling one-year tracking differences and the regressions of packed funds, by the
    plain functions: ``rf``, ``ri`` and ``d0`` (the differences, zero below a fund's) a row per
    packed return, ``order`` as in _pack."""
    k = rf.shape[1]
    cum = np.vstack([np.zeros((1, k)), np.cumsum(d0, axis=0)])
    cum[np.arange(cum.shape[0])[:, None] >= counts[None, :]] = np.nan
    starts = window_starts(dates, valid, order, counts, A)
    has = starts >= 0
    # Absurd level magnitudes make some windows' differences overflow to inf: that is their
    # value, not a fault.
    with np.errstate(invalid="ignore", over="ignore"):
        roll = np.where(has, np.expm1(cum - np.take_along_axis(cum, np.maximum(starts, 0), axis=0)), np.nan)
    r_med, r_lo, r_hi = median_low_high(roll)
    beta, r2, alpha_per_return = regression(rf, ri, A)
    return dict(r_med=r_med, r_lo=r_lo, r_hi=r_hi, r_latest=roll[np.maximum(counts - 1, 0), np.arange(k)],
                n_windows=has.sum(0), beta=beta, r2=r2, alpha_per_return=alpha_per_return,
                beta_d=dimson_beta(rf, ri))


# The block's figures that need only the returns themselves, not the model.
_TRADITIONAL = ("var_d", "mean_d", "sum_d", "r_med", "r_lo", "r_hi", "r_latest", "beta", "r2", "alpha",
                "beta_d")
def tracking_stats(fund: Any, index: Any, dates: Any = None, periods_per_year: float | None = None,
                   window: int | None = None) -> TrackingStats:
    """All tracking figures of a fund, or of each fund of a panel, against one index.

    Parameters
    ----------
    fund : array-like, Series, 2-D array or DataFrame
        Fund levels (NAV or total-return index). A 2-D array or DataFrame is a panel,
        dates x funds, with NaN where a fund has no value (before its launch, say).
    index : array-like or Series
        Index levels, row-aligned with ``fund`` (or aligned by date, for pandas inputs).
    dates : array-like, optional
        Dates of the rows. Without them rows are consecutive periods.
    periods_per_year : float, optional
        Inferred from the dates when omitted (daily 252, weekly 52, monthly 12); 252
        without dates.
    window : int, optional
        Use only the last ``window`` returns of each fund.

    Returns
    -------
    TrackingStats

    Raises
    ------
    InputError
        For bad input (the message names the argument and the row).
    NotEnoughData
        For a single fund with fewer than ``MIN_RETURNS`` returns on common dates.
    """
    a: Aligned = align(fund, index, dates, periods_per_year)
    if window is not None:
        window = check_whole_number(window, "window", MIN_RETURNS_TRADITIONAL, 10**9)
    A = a.periods_per_year
    with np.errstate(divide="ignore", invalid="ignore"):
        log_index = np.log(a.index)
    k = a.fund.shape[1]
    # The dates on which both a fund and the index have a value, found once for the panel.
    valid = np.isfinite(a.fund) & np.isfinite(log_index)[:, None]
    # Funds are processed in blocks, each fully vectorized: peak memory stays bounded
    # however many funds the panel has. The likelihood is scanned once per length fitted in a
    # block (model.definition.fit_lengths), so funds of equal or near lengths go to the same
    # block: in order of their common dates.
    blocks, by_length = [slice(s, s + _BLOCK) for s in range(0, k, _BLOCK)], None
    if k > _BLOCK:
        common = np.count_nonzero(valid, axis=0)
        if common.min() < common.max():
            blocks = _blocks_by_length(common)
            by_length = np.concatenate(blocks)
    parts = [_block_figures(a.fund[:, b], valid[:, b], log_index, a.dates, A, window) for b in blocks]
    r = parts[0] if len(parts) == 1 else {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    if by_length is not None:
        back = np.argsort(by_length)
        r = {key: v[back] for key, v in r.items()}
    n_ret = r["n_ret"]
    too_short = n_ret < MIN_RETURNS_TRADITIONAL
    if too_short.all() and not a.is_panel:
        raise NotEnoughData(
            "fund", f"{n_ret[0]} returns on dates both series have; at least {MIN_RETURNS_TRADITIONAL} are needed"
        )
    # A fund too short for any figure has none; one too short for the model has the others.
    if too_short.any():
        for key in _TRADITIONAL:
            r[key] = np.where(too_short, np.nan, r[key])
    ehc, ehc_se, te_var, var_d = r["ehc"], r["ehc_se"], r["te_var"], r["var_d"]
    with np.errstate(invalid="ignore", divide="ignore"):
        noise_share = np.where(n_ret < MIN_RETURNS, np.nan, np.clip(1.0 - te_var / var_d, 0.0, 1.0))
    names = a.names if a.names else None
    label = lambda j: names[j] if names else ("fund" if k == 1 else f"fund {j + 1}")  # noqa: E731
    notes = fund_notes(r, noise_share, label)
    first, last = r["first"], r["last"]
    if a.dates is None:
        first_dates, last_dates = first + 1, last + 1  # row numbers
    elif a.is_panel:
        first_dates, last_dates = a.dates[first], a.dates[np.maximum(last, 0)]
    else:  # scalar lookups (dates are in ns): indexing a DatetimeIndex is slow for one fund
        ns = a.dates.asi8
        first_dates, last_dates = pd.Timestamp(ns[first[0]]), pd.Timestamp(ns[max(last[0], 0)])

    def out(v):
        if isinstance(v, pd.Timestamp):
            return v
        if not a.is_panel:
            return v.item(0)  # one fund: an array of one
        if isinstance(v, pd.DatetimeIndex):
            return pd.Series(v, index=names) if names else v
        v = np.asarray(v)
        return pd.Series(v, index=names) if names else v

    # Absurd level magnitudes overflow these differences to inf: that is their value.
    with np.errstate(over="ignore"):
        td_cum = np.where(n_ret > 0, np.expm1(r["sum_d"]), np.nan)
        td_annual = np.expm1(A * r["mean_d"])
    return TrackingStats(
        holding_cost=out(ehc),
        holding_cost_se=out(ehc_se),
        holding_cost_lower=out(ehc - Z95 * ehc_se),
        holding_cost_upper=out(ehc + Z95 * ehc_se),
        tracking_error=out(np.sqrt(A * te_var)),
        tracking_error_lower=out(np.sqrt(A * r["te_lo"])),
        tracking_error_upper=out(np.sqrt(A * r["te_hi"])),
        tracking_error_traditional=out(np.sqrt(A * var_d)),
        noise_share=out(noise_share),
        noise_phi=out(r["phi"]),
        noise_psi=out(r["psi"]),
        model_fit_pvalue=out(r["fit_p"]),
        tracking_difference=out(td_annual),
        tracking_difference_cumulative=out(td_cum),
        rolling_td_median=out(r["r_med"]),
        rolling_td_high=out(r["r_hi"]),
        rolling_td_low=out(r["r_lo"]),
        rolling_td_latest=out(r["r_latest"]),
        rolling_td_windows=out(r["n_windows"]),
        beta=out(r["beta"]),
        beta_dimson=out(r["beta_d"]),
        r_squared=out(r["r2"]),
        alpha=out(r["alpha"]),
        n_obs=out(n_ret),
        n_skipped=out(r["n_skipped"]),
        start=out(first_dates),
        end=out(last_dates),
        periods_per_year=A,
        names=names,
        notes=tuple(notes),
    )

