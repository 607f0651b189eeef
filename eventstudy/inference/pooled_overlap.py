"""r̄ from per-part sums: the residual correlation of the Kolari–Pynnönen adjustments
(adj_patell_z, kp_bmp_t) estimated within each part of the pairs, merged, and finished.

A part (a task of a cluster batch, its pairs split by security) correlates only its own pairs:

- same day 0 (the day r̄, and weight 1 in every window's): for each day-0 date d, the part's
  ordered pairs i ≠ j on d examined (E_d; a date with more than ``block`` pairs in the part on
  a seeded subsample of them, as
  :func:`~eventstudy.inference.dependence.overlap_correlation_by_day0` does), those whose ρ̂ is
  estimable (V_d), Σ ρ̂ over them (S_d), and the part's pairs on d (n_d);
- different day 0s whose event windows overlap (a window's r̄ only, weight τ/L; Kolari, Pape
  and Pynnönen 2018): Σ ρ̂ τ/L, the pairs with τ > 0 and those of them with ρ̂ estimable, for
  pairs of the same security (all in one part: exact) and of different securities apart.

Finished over the merged sums, with P_d = n_d(n_d − 1) from the merged n_d:

.. math:: \\bar r = \\frac{\\sum_d P_d S_d / E_d}{N(N-1) - \\sum_d P_d (1 - V_d / E_d)}

a date no part held two pairs of (E_d = 0 < P_d) taking the pooled ratios ΣS/ΣE and ΣV/ΣE of
all dates. A window's r̄ adds the cross-date sums: those of the same security as they are,
those of different securities scaled by f, all such ordered pairs over those the parts held,
(N(N − 1) − Σ_d P_d − same-security cross-date pairs) / Σ_parts (the same within the part).
With one part and no subsample this is :func:`~eventstudy.inference.dependence.
overlap_correlation`'s r̄ (f = 1, P_d = E_d), up to the order of the sums; with one part and a
subsample, :func:`~eventstudy.inference.dependence.overlap_correlation_by_day0`'s (same seed,
same subsample). Pairs of a subsampled date enter the cross-date sums by the subsample too, each
weighted by the date's pairs over its subsample (so same-security pairs are exact only when no
date of the part is subsampled). Without any cross-date pair of different securities in a part
(f undefined), such pairs of different parts count as uncorrelated, and the notes say so.

``sample`` bounds the cost (the cross-date correlations are O(N²) in a part's pairs): a part of
more pairs correlates a seeded uniform subsample of ``sample`` of them (Horvitz and Thompson
1952): each date's E_d, V_d, S_d are of its sampled pairs (P_d / E_d scales them up as above,
n_d still counts every pair); the cross-date pairs, each correlated over the union of the two
pairs' dates, by a smaller one, ``cross_sample`` (default ``sample``) of m pairs drawn among
those, each drawn cross-date ordered pair counting N(N − 1) / (m(m − 1)), the inverse of its
chance of being drawn, so the cross-date sums estimate the part's whole sums without bias.

The residuals by date come from the dense ``residuals`` when given, else from ``estimation_ar``
at ``estimation_dates``, laid out densely only for the pairs of one block at a time
(:class:`ResidualRows`); :func:`date_sums` adds them by date for the portfolio test.

References
----------
.. [1] Kolari, J. and Pynnönen, S. (2010) "Event study testing with cross-sectional
   correlation of abnormal returns", Review of Financial Studies 23(11), 3996-4025.
.. [2] Kolari, J., Pape, B. and Pynnönen, S. (2018) "Event study testing with cross-sectional
   correlation due to partially overlapping event windows", SSRN working paper 3167271.
.. [3] Horvitz, D. and Thompson, D. (1952) "A generalization of sampling without replacement
   from a finite universe", Journal of the American Statistical Association 47(260), 663-685.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from eventstudy._typing import FloatArray, Window
from eventstudy.errors import InputError
from eventstudy.inference.dependence import (
    _pairwise_rho,
    _window_weights,
    event_days,
    overlapping_blocks,
    window_columns,
)

#: Elements (pairs × estimation days) of the residuals added by date at once.
ROW_ELEMENTS = 1 << 22
NO_DATES = ("pooled sums need the residuals by date: give residuals or estimation_dates (the "
            "calendar date of each estimation_ar cell)")


@dataclass(frozen=True, eq=False)
class OverlapSums:
    """The r̄ sums of one part (or of merged parts).

    ``day0`` (G,) are the day-0 dates (day numbers, sorted), with ``n`` the pairs on each,
    ``examined`` (E), ``valid`` (V) and ``total`` (S) the part's same-date ordered pairs, those
    with ρ̂ estimable and Σ ρ̂ (a subsampled date's V and S are of its subsample, its E the
    subsample's pairs). ``cross`` (2, 3, W): for pairs of the same security (row 0) and of
    different securities (row 1) on different day 0s, per window, Σ ρ̂ τ/L over the pairs with
    τ > 0 and ρ̂ estimable, the pairs with τ > 0, and those with ρ̂ estimable (each pair of a
    subsampled date weighted by the date's pairs over its subsample). ``same_security``: ordered
    pairs of one security on different day 0s; ``cross_pairs``: the part's ordered pairs of
    different securities on different day 0s (summed over parts).
    """

    day0: FloatArray
    n: np.ndarray
    examined: FloatArray
    valid: FloatArray
    total: FloatArray
    cross: FloatArray
    same_security: float
    cross_pairs: float


def day_numbers(x: Any) -> FloatArray:
    """Dates (datetime64) or day numbers as float day numbers, NaN for NaT/NaN."""
    x = np.asarray(x)
    if np.issubdtype(x.dtype, np.datetime64):
        d = x.astype("datetime64[D]")
        return np.where(np.isnat(d), np.nan, d.astype(np.int64).astype(float))
    return x.astype(float)


class ResidualRows:
    """Estimation residuals of chosen pairs, dense over the calendar dates those pairs hold:
    from ``residuals`` (by date) when the arrays have it, else ``estimation_ar`` placed at
    ``estimation_dates`` (never a dense matrix of all pairs)."""

    def __init__(self, a: Any) -> None:
        self.dense = None if a.residuals is None else np.asarray(a.residuals, float)
        if self.dense is None:
            if a.estimation_dates is None:
                raise InputError(NO_DATES)
            self.values = np.asarray(a.estimation_ar, float)
            self.dates = np.asarray(a.estimation_dates)  # day numbers taken block by block
            if self.dates.shape != self.values.shape:
                raise InputError(f"estimation_dates has shape {self.dates.shape}, "
                                 f"estimation_ar {self.values.shape}: give one date per cell")

    def __call__(self, *sets: np.ndarray) -> list[FloatArray]:
        """The rows of each index set, on the same columns (the dates any of them holds)."""
        if self.dense is not None:
            rows = [self.dense[s] for s in sets]
            keep = np.logical_or.reduce([np.isfinite(r).any(axis=0) for r in rows])
            return [r[:, keep] for r in rows]
        idx = np.concatenate(sets)
        d, v = day_numbers(self.dates[idx]), self.values[idx]
        r, c = np.nonzero(np.isfinite(d) & np.isfinite(v))
        cols, at = distinct_days(d[r, c])
        out = np.full((len(idx), len(cols)), np.nan)
        out[r, at] = v[r, c]
        return np.split(out, np.cumsum([len(s) for s in sets])[:-1])


def distinct_days(day: FloatArray) -> tuple[FloatArray, np.ndarray]:
    """The distinct day numbers of ``day`` (sorted) and the position of each value among them:
    ``np.unique(day, return_inverse=True)``, by a table of the days' range when it is short."""
    lo = day.min(initial=np.inf)
    span = day.max(initial=-np.inf) - lo + 1
    if not day.size or span > 1 << 22 or not (day == np.floor(day)).all():
        cols, at = np.unique(day, return_inverse=True)
        return cols, at.ravel()
    off = (day - lo).astype(np.intp)
    used = np.zeros(int(span), bool)
    used[off] = True
    return lo + np.flatnonzero(used), (np.cumsum(used) - 1)[off]


def date_sums(a: Any) -> tuple[FloatArray, FloatArray, np.ndarray]:
    """Σ residual and count per calendar date (day numbers) the pairs of ``a`` have a residual
    on: the portfolio of residuals by date (portfolio_t) of one part. From ``estimation_ar`` at
    ``estimation_dates`` when given, else from ``residuals`` (columns ``residual_dates``; without
    them, column positions: parts merged must then share one layout of columns)."""
    if a.estimation_dates is not None:  # rows at a time, then the blocks' sums by date
        dates_all, e_all = np.asarray(a.estimation_dates), np.asarray(a.estimation_ar, float)
        step = max(1, ROW_ELEMENTS // max(1, e_all.shape[-1]))
        keys, sums, counts = [np.zeros(0)], [np.zeros(0)], [np.zeros(0)]
        for lo in range(0, len(e_all), step):
            d, e = day_numbers(dates_all[lo:lo + step]), e_all[lo:lo + step]
            held = np.isfinite(d) & np.isfinite(e)
            cols, at = distinct_days(d[held])
            keys.append(cols)
            sums.append(np.bincount(at, e[held], len(cols)))
            counts.append(np.bincount(at, minlength=len(cols)).astype(float))
        dates, at = distinct_days(np.concatenate(keys))
        return (dates, np.bincount(at, np.concatenate(sums), len(dates)),
                np.bincount(at, np.concatenate(counts), len(dates)).astype(np.int64))
    if a.residuals is None:
        raise InputError(NO_DATES)
    e = np.asarray(a.residuals, float)
    ok = np.isfinite(e)
    total, count = np.where(ok, e, 0.0).sum(axis=0), ok.sum(axis=0)
    dates = (np.arange(e.shape[1], dtype=float) if a.residual_dates is None
             else day_numbers(a.residual_dates))
    have = count > 0
    return dates[have], total[have], count[have]


def overlap_sums(a: Any, min_overlap: int, block: int, seed: int,
                 sample: int | None = None, cross_sample: int | None = None) -> OverlapSums:
    """The r̄ sums of the pairs of ``a`` (one part, no batch axes); with more than ``sample``
    pairs, of a seeded uniform subsample of them, and of ``cross_sample`` of those for the
    cross-date pairs (see the module)."""
    key = day_numbers(a.day0)
    n_pairs = len(key)
    windows = tuple(a.windows)
    sec = _securities(a.keys, n_pairs)
    dated = np.flatnonzero(np.isfinite(key))
    dates, inv = np.unique(key[dated], return_inverse=True)
    inv = inv.ravel()
    order = np.argsort(inv, kind="stable")  # each date's pairs in row order
    groups = np.split(dated[order], np.flatnonzero(np.diff(inv[order])) + 1) if len(dates) else []
    rng = np.random.default_rng(seed)
    picks, weight = _drawn(groups, n_pairs, sample, block, rng)
    cross_picks, cross_weight = (
        (picks, weight) if cross_sample is None or cross_sample == sample
        else _drawn(groups, n_pairs, cross_sample, block, rng))
    rows_of = ResidualRows(a) if n_pairs else None
    examined, valid, total = (np.zeros(len(dates)) for _ in range(3))
    for g, pick in enumerate(picks):
        if len(pick) < 2:
            continue
        rho, ok = _pairwise_rho(rows_of(pick)[0], min_overlap)
        examined[g] = len(pick) * (len(pick) - 1.0)
        valid[g], total[g] = float(ok.sum()), float(np.where(ok, rho, 0.0).sum())
    sizes = np.array([len(m) for m in groups], np.int64)
    # ordered pairs of one security on different day 0s (a security's pairs are in one part)
    _, per_sec = np.unique(sec, return_counts=True)
    _, per_sec_date = np.unique(sec[dated] * (len(dates) + 1.0) + inv, return_counts=True)
    same_sec = float((per_sec * (per_sec - 1.0)).sum()
                     - (per_sec_date * (per_sec_date - 1.0)).sum())
    same_date = float((sizes * (sizes - 1.0)).sum())
    cross = np.zeros((2, 3, len(windows)))
    if windows and len(groups) > 1:
        days = event_days(a.day0, a.offsets, a.event_dates)
        _cross_dates(cross, rows_of, days, a.offsets, windows, cross_picks, cross_weight, sec,
                     min_overlap, block)
    return OverlapSums(dates, sizes, examined, valid, total, cross, same_sec,
                       n_pairs * (n_pairs - 1.0) - same_date - same_sec)


def _drawn(groups: list[np.ndarray], n_pairs: int, sample: int | None, block: int,
           rng: np.random.Generator) -> tuple[list[np.ndarray], list[float]]:
    """Each date's pairs that enter r̄ (more than ``block`` on a seeded subsample of them; with
    more than ``sample`` pairs in all, of a seeded uniform subsample of ``sample``), and the
    weight of each date's pairs in the cross-date sums: its pairs over those drawn (times
    √(N(N − 1) / (m(m − 1))) under a uniform subsample, the Horvitz-Thompson weight)."""
    base = 1.0
    if sample is not None and n_pairs > max(sample, 1):
        drawn = np.zeros(n_pairs, bool)
        drawn[rng.choice(n_pairs, sample, replace=False)] = True
        groups = [m[drawn[m]] for m in groups]
        base = float(np.sqrt(n_pairs * (n_pairs - 1.0) / (sample * (sample - 1.0))))
    picks = [m if len(m) <= block else np.sort(rng.choice(m, block, replace=False))
             for m in groups]
    return picks, [base * max(len(m), 1) / max(len(p), 1) for m, p in zip(groups, picks,
                                                                          strict=True)]


def _securities(keys: Sequence[tuple[str, str]], n_pairs: int) -> FloatArray:
    """Each pair's security as a number (of this part); without keys, each pair its own."""
    if not len(keys):
        return np.arange(n_pairs, dtype=float)
    if len(keys) != n_pairs:
        raise InputError(f"keys has {len(keys)} items for {n_pairs} pairs: give one "
                         "(event, security) per pair, or none")
    return np.unique(np.array([str(k[1]) for k in keys], dtype=object),
                     return_inverse=True)[1].ravel().astype(float)


def _cross_dates(sums: FloatArray, rows_of: ResidualRows, days: FloatArray, offsets: Any,
                 windows: Sequence[Window], picks: list[np.ndarray], weight: list[float],
                 sec: FloatArray, min_overlap: int, block: int) -> None:
    """Add to ``sums`` (2, 3, W) the ordered pairs of different day-0 groups whose event days'
    ranges meet, as the local r̄ walks them (:func:`~eventstudy.inference.dependence.
    overlapping_blocks`; each group's pairs weighted by ``weight``, its size over its
    subsample), split by whether the two pairs are of the same security. Groups without a pair
    drawn are left out."""
    keep = [g for g, m in enumerate(picks) if len(m)]
    picks, weight = [picks[g] for g in keep], [weight[g] for g in keep]
    span = days[:, window_columns(offsets, windows)]
    for rows, other, scale in overlapping_blocks(span, picks, picks, weight, block):
        _add(sums, rows_of, days, offsets, windows, sec, min_overlap, rows, other, scale)


def _add(sums: FloatArray, rows_of: ResidualRows, days: FloatArray, offsets: Any,
         windows: Sequence[Window], sec: FloatArray, min_overlap: int, rows: np.ndarray,
         other: np.ndarray | None, scale: FloatArray) -> None:
    """Σ scale·ρ·w, Σ scale·[w > 0] and Σ scale·[ρ estimable, w > 0] over the pairs of
    ``rows`` (with ``other``'s when given), same security and different securities apart."""
    if other is None:
        e, more, partner = rows_of(rows)[0], None, rows
    else:
        (e, more), partner = rows_of(rows, other), other
    rho, valid = _pairwise_rho(e, min_overlap, more)
    same = sec[rows][:, None] == sec[partner][None, :]
    weights = _window_weights(days[rows], offsets, windows,
                              other=None if other is None else days[other])
    for k, w in enumerate(weights):
        pos = (w > 0) & (scale > 0)
        for s, mask in enumerate((same, ~same)):
            p = pos & mask
            sums[s, :, k] += [float((scale * np.where(valid & p, rho * w, 0.0)).sum()),
                              float((scale * p).sum()), float((scale * (valid & p)).sum())]


def merge_overlap(parts: Sequence[OverlapSums]) -> OverlapSums:
    """The sums of several parts: date-keyed sums added on the union of day-0 dates."""
    dates, inv = np.unique(np.concatenate([p.day0 for p in parts]), return_inverse=True)
    inv = inv.ravel()

    def by_date(field: str) -> np.ndarray:
        values = np.concatenate([getattr(p, field) for p in parts])
        out = np.zeros(len(dates), values.dtype)
        np.add.at(out, inv, values)
        return out

    return OverlapSums(dates, by_date("n"), by_date("examined"), by_date("valid"),
                       by_date("total"), np.sum([p.cross for p in parts], axis=0),
                       float(sum(p.same_security for p in parts)),
                       float(sum(p.cross_pairs for p in parts)))


def overlap_r_bar(o: OverlapSums, n_pairs: int) -> tuple[float, FloatArray, list[str]]:
    """r̄ of the days, r̄ of each window, and notes on what was estimated (see the module)."""
    pairs = n_pairs * (n_pairs - 1.0)
    p = o.n * (o.n - 1.0)
    e, has = o.examined, o.examined > 0
    notes = []
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(has, p / np.where(has, e, 1.0), 0.0)  # P_d / E_d
        s_all, v_all = o.total.sum() / e.sum(), o.valid.sum() / e.sum()
    guess = (p > 0) & ~has
    total = (ratio * o.total).sum() + (p[guess] * s_all).sum()
    lost = (np.where(has, p - ratio * o.valid, 0.0)).sum() + (p[guess] * (1.0 - v_all)).sum()
    if guess.any():
        notes.append(f"{int(guess.sum())} day-0 date(s) with no two pairs in one part take "
                     "the mean ρ̂ over the dates that have")
    if e.sum() < p.sum():
        notes.append(f"same-day-0 pairs: {e.sum():.0f} of {p.sum():.0f} ordered pairs "
                     "correlated within parts")
    others = pairs - p.sum() - o.same_security  # ordered pairs of different securities
    if o.cross_pairs > 0:
        f = others / o.cross_pairs
        if f != 1.0:
            notes.append(f"cross-date pairs of different securities scaled by {f:.4g} (all "
                         "such pairs over those the parts held)")
    else:
        f = 0.0
        if others > 0 and len(o.cross[0, 0]):
            notes.append("no part held two securities on different day 0s: their pairs with "
                         "overlapping windows count as uncorrelated")
    same, diff = o.cross
    total_w = total + same[0] + f * diff[0]
    lost_w = lost + (same[1] - same[2]) + f * (diff[1] - diff[2])
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(pairs - lost > 0, total / (pairs - lost), np.nan)
        r_car = np.where(pairs - lost_w > 0, total_w / (pairs - lost_w), np.nan)
    return float(r), np.asarray(r_car, float), notes
