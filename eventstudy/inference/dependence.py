"""The estimation window's nuisance quantities of the aggregation: r̄, the residual correlation
of pairs (for the cross-correlation adjustments of Kolari and Pynnönen 2010), weighted for a CAR
window by how much the pairs' event windows overlap (Kolari, Pape and Pynnönen 2018), the sd of
the mean estimation AR (Brown and Warner 1980's crude dependence adjustment), and σ̂ of the
portfolio of residuals (the portfolio test). See :mod:`eventstudy.inference.aggregate` for the
conventions.

References
----------
.. [1] Kolari, J. and Pynnönen, S. (2010) "Event study testing with cross-sectional
   correlation of abnormal returns", Review of Financial Studies 23(11), 3996-4025.
.. [2] Kolari, J., Pape, B. and Pynnönen, S. (2018) "Event study testing with cross-sectional
   correlation due to partially overlapping event windows", SSRN working paper 3167271.
.. [3] Brown, S. and Warner, J. (1980) "Measuring security price performance", Journal of
   Financial Economics 8(3), 205-258.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from eventstudy._typing import FloatArray, Window

MIN_OVERLAP = 30  # shared residual dates needed for a pairwise correlation
R_BAR_MAX_PAIRS = 2000  # above this, r̄ by day-0 date (each date's pairs, up to this many)
R_BAR_ALL_PAIRS = 500  # ... and r̄ over all pairs (r_bar_all) on a seeded subsample this size
CHUNK = 256  # pairs of groups (by first event day) whose cross terms are taken at once


def residual_correlation(residuals: Any, day0: Any, min_overlap: int = MIN_OVERLAP,
                         ) -> tuple[FloatArray, FloatArray]:
    """r̄ over pairs: (used for the KP adjustments of day tests, plain mean over all pairs).

    Parameters
    ----------
    residuals : array (..., N, C)
        Estimation residuals aligned by calendar date, NaN where a pair has none.
    day0 : array (..., N)
        Each pair's day 0; pairs on different dates count as uncorrelated in the first value.

    Notes
    -----
    Pairwise-complete Pearson correlations from masked sums, vectorised as matrix products:
    n_ij = Σ w_i w_j, Σx_i over shared dates = X W', Σx_i x_j = X X'. O(N²·C) time, O(N²)
    memory: for a few thousand pairs; above :data:`R_BAR_MAX_PAIRS` :func:`aggregate` calls
    :func:`overlap_correlation_by_day0` for the first value and this on a subsample. The first
    value is :func:`overlap_correlation`'s for one day (overlap 1 on the same day 0, else 0).
    """
    r_used, r_all, _ = overlap_correlation(residuals, day0)
    return r_used, r_all


def overlap_correlation(residuals: Any, day0: Any, days: Any = None, offsets: Any = (),
                        windows: Sequence[Window] = (), min_overlap: int = MIN_OVERLAP,
                        ) -> tuple[FloatArray, FloatArray, FloatArray]:
    """r̄ of the day tests, r̄ over all pairs, and r̄ of each CAR window weighted by overlap.

    Parameters
    ----------
    residuals, day0 : arrays (..., N, C) and (..., N)
        As for :func:`residual_correlation`.
    days : array (..., N, T), optional
        Each pair's event days as day numbers (:func:`event_days`), columns ``offsets``.
    windows : sequence of (int, int)
        CAR windows (offsets, inclusive): the last value has one column per window.

    Notes
    -----
    Kolari, Pape and Pynnönen (2018): with iid daily abnormal returns whose same-date
    correlation is ρ_ij, the CARs of two pairs over windows of L days that share τ_ij calendar
    days have correlation ρ_ij τ_ij / L. The window's r̄ is the mean of that over ordered pairs
    i ≠ j (the pairwise form; the paper's simplified statistic uses mean ρ times mean τ / L):

    .. math:: \\bar r_w = \\frac{1}{|P|}\\sum_{(i,j) \\in P} \\hat\\rho_{ij} \\tau_{ij} / L

    P is every ordered pair i ≠ j but those whose windows overlap (τ > 0) and whose ρ̂ is not
    estimable (fewer than ``min_overlap`` shared residual dates): disjoint windows count as 0.
    τ counts the calendar dates both windows hold (``days``), but pairs with the same day 0
    have τ = L: their windows are the same event days (KP 2010's common date), even where
    their exchanges' holidays differ. So a common day 0 gives the day r̄, bit for bit, and so
    do disjoint windows. The day r̄ is r̄_w of window (t, t), overlap 1 on the same date
    else 0, for any day t whose dates coincide where day 0's do (one calendar).
    """
    rho, valid = _pairwise_rho(residuals, min_overlap)
    d0 = np.asarray(day0)
    same = (d0[..., :, None] == d0[..., None, :]).astype(float)
    r_used = _weighted_mean(rho, valid, same)
    with np.errstate(invalid="ignore", divide="ignore"):
        r_all = np.where(valid, rho, 0.0).sum(axis=(-1, -2)) / valid.sum(axis=(-1, -2))
    days = event_days(d0, offsets) if days is None else days
    per_window = [_weighted_mean(rho, valid, w)
                  for w in _window_weights(days, offsets, windows, same)]
    r_car = np.stack(per_window, axis=-1) if per_window else np.zeros((*r_used.shape, 0))
    return r_used, r_all, r_car


def _weighted_mean(rho: FloatArray, valid: np.ndarray, weight: FloatArray) -> FloatArray:
    """Σ ρ_ij w_ij over the ordered pairs that count (w = 0, or ρ estimable), over their number."""
    off = ~np.eye(rho.shape[-1], dtype=bool)
    with np.errstate(invalid="ignore", divide="ignore"):
        total = np.where(valid & (weight > 0), rho * weight, 0.0).sum(axis=(-1, -2))
        return total / (off & (valid | (weight == 0))).sum(axis=(-1, -2))


def event_days(day0: Any, offsets: Any, event_dates: Any = None) -> FloatArray:
    """Each pair's event days as day numbers, (..., N, T) for the T ``offsets``, NaN = none.

    ``event_dates`` (the calendar date of each pair's offsets, as the batch reads its sessions)
    when given; else day 0 moved by the offsets: numeric day 0s count sessions, datetime64
    ones weekdays (``numpy.busday_offset``: exchange holidays are not known here).
    """
    d = event_dates
    if d is None:
        d0, off = np.asarray(day0), np.asarray(offsets, np.int64)
        if not np.issubdtype(d0.dtype, np.datetime64):
            return d0.astype(float)[..., None] + off
        d = np.busday_offset(d0.astype("datetime64[D]")[..., None], off, roll="forward")
    d = np.asarray(d)
    if np.issubdtype(d.dtype, np.datetime64):
        d = d.astype("datetime64[D]")
        return np.where(np.isnat(d), np.nan, d.astype(np.int64).astype(float))
    return d.astype(float)


def shared_days(days: Any, other: Any = None) -> FloatArray:
    """τ_ij, the days two rows of ``days`` (..., N, L) have in common (each row's day numbers
    distinct, NaN = none), (..., N, N); or of its rows with those of ``other``, (..., N, M).
    One-hot by day, a matrix product H H' (without batch axes, over the distinct rows)."""
    d = np.asarray(days, float)
    n = d.shape[-2]
    if other is not None:
        d = np.concatenate([d, np.asarray(other, float)], axis=-2)
    inv = np.arange(d.shape[-2])
    if d.ndim == 2 and d.size:  # pairs with the same days (day 0, exchange) once
        rows, inv = np.unique(np.where(np.isnan(d), np.inf, d), axis=0, return_inverse=True)
        d, inv = np.where(np.isinf(rows), np.nan, rows), inv.ravel()
    tau = _one_hot_overlap(d)
    cols = inv[:n] if other is None else inv[n:]
    return tau[..., inv[:n, None], cols[None, :]]


def _one_hot_overlap(d: FloatArray) -> FloatArray:
    lead, (n, length) = d.shape[:-2], d.shape[-2:]
    if not d.size:
        return np.zeros((*lead, n, n))
    flat = d.reshape(-1, n * length)
    ok = np.isfinite(flat)
    key = np.where(ok, flat, np.inf)
    order = np.argsort(key, axis=1, kind="stable")
    ranked = np.take_along_axis(key, order, axis=1)
    code_sorted = np.cumsum(np.diff(ranked, axis=1, prepend=ranked[:, :1]) != 0, axis=1)
    codes = np.empty_like(code_sorted)
    np.put_along_axis(codes, order, code_sorted, axis=1)
    h = np.zeros((len(flat), n, int(code_sorted.max(initial=0)) + 1))
    b, k = np.nonzero(ok)
    h[b, k // length, codes[b, k]] = 1.0
    return (h @ np.swapaxes(h, -1, -2)).reshape(*lead, n, n)


def _window_weights(days: Any, offsets: Any, windows: Sequence[Window], same: Any = 0.0,
                    other: Any = None) -> Iterator[FloatArray]:
    """τ_ij / L of each window (KPP 2018), (..., N, N) one window at a time (of the rows of
    ``days`` with those of ``other`` when given); 1 where ``same`` (the pairs share day 0)."""
    off = np.asarray(offsets)
    for lo, hi in windows:
        sel = (off >= lo) & (off <= hi)
        tau = shared_days(np.asarray(days, float)[..., sel],
                          None if other is None else np.asarray(other, float)[..., sel])
        yield np.where(same, 1.0, tau / (hi - lo + 1))


def _pairwise_rho(residuals: Any, min_overlap: int, other: Any = None,
                  ) -> tuple[FloatArray, np.ndarray]:
    """Pairwise-complete correlations of residual rows and where they count (i ≠ j, at least
    ``min_overlap`` shared dates, finite); of the rows of ``residuals`` with those of ``other``
    (a disjoint set of pairs on the same dates) when given."""
    e = np.asarray(residuals, float)
    w = np.isfinite(e).astype(float)
    x = np.where(w > 0, e, 0.0)
    f = e if other is None else np.asarray(other, float)
    wo = w if other is None else np.isfinite(f).astype(float)
    xt = np.swapaxes(x if other is None else np.where(wo > 0, f, 0.0), -1, -2)
    wt = np.swapaxes(wo, -1, -2)
    n = w @ wt
    sx = x @ wt  # Σ x_i over dates shared with j
    sxx = (x * x) @ wt
    sy = np.swapaxes(sx, -1, -2) if other is None else w @ xt  # Σ x_j over dates shared with i
    syy = np.swapaxes(sxx, -1, -2) if other is None else w @ (xt * xt)
    sxy = x @ xt
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = sxy - sx * sy / n
        vi = sxx - sx**2 / n
        rho = cov / np.sqrt(vi * (syy - sy**2 / n))
    off = ~np.eye(e.shape[-2], dtype=bool) if other is None else True
    return rho, off & (n >= min_overlap) & np.isfinite(rho)


def overlap_correlation_by_day0(residuals: Any, day0: Any, days: Any = None, offsets: Any = (),
                                windows: Sequence[Window] = (), min_overlap: int = MIN_OVERLAP,
                                block: int = R_BAR_MAX_PAIRS, seed: int = 0,
                                ) -> tuple[float, FloatArray]:
    """The first and last values of :func:`overlap_correlation` for many pairs (no batch axes).

    Pairs are grouped by day 0. The day r̄ sums within groups; so does a window's (τ = L
    there), which adds the pairs of two groups whose windows can overlap (their event days'
    ranges meet; KPP 2018): O(Σ N_g N_h·C) over those blocks, not O(N²·C). Exact when no
    group has more than ``block`` pairs; a larger group enters by a seeded random subsample of
    ``block`` of its pairs, each block's sums scaled by its pairs over the subsample's.
    """
    e, d0 = np.asarray(residuals, float), np.asarray(day0)
    n_pairs = len(d0)
    rng = np.random.default_rng(seed)
    _, group = np.unique(d0, return_inverse=True)
    order = np.argsort(group, kind="stable")
    groups = np.split(order, np.flatnonzero(np.diff(group[order])) + 1)
    picks = [m if len(m) <= block else np.sort(rng.choice(m, block, replace=False))
             for m in groups]
    total, same_pairs, valid_same = 0.0, 0.0, 0.0
    for members, pick in zip(groups, picks, strict=True):
        size = len(members)
        if size < 2:
            continue
        rows = e[pick]
        rows = rows[:, np.isfinite(rows).any(axis=0)]  # the dates these pairs have
        rho, valid = _pairwise_rho(rows, min_overlap)
        scale = size * (size - 1) / (len(pick) * (len(pick) - 1))
        total += scale * float(np.where(valid, rho, 0.0).sum())
        valid_same += scale * float(valid.sum())
        same_pairs += size * (size - 1)
    # Σ ρ w, ordered pairs with w > 0, and those with ρ valid, per column (day, windows...)
    sums = np.repeat([[total], [same_pairs], [valid_same]], 1 + len(windows), axis=1)
    if len(windows):
        dd = event_days(d0, offsets) if days is None else np.asarray(days, float)
        _cross_groups(sums[:, 1:], e, dd, offsets, windows, groups, picks, min_overlap, block)
    counted = n_pairs * (n_pairs - 1) - sums[1] + sums[2]
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(counted > 0, sums[0] / counted, np.nan)
    return float(r[0]), r[1:]


def _cross_groups(sums: FloatArray, e: FloatArray, dd: FloatArray, offsets: Any,
                  windows: Sequence[Window], groups: list[np.ndarray], picks: list[np.ndarray],
                  min_overlap: int, block: int) -> None:
    """Add to the windows' ``sums`` the ordered pairs of different groups whose event days'
    ranges meet (:func:`overlapping_blocks`; a subsampled group's pair counts
    size/subsample)."""
    span = dd[:, window_columns(offsets, windows)]
    weight = [len(m) / len(p) for m, p in zip(groups, picks, strict=True)]
    for rows, other, scale in overlapping_blocks(span, groups, picks, weight, block):
        _add_block(sums, e, dd, offsets, windows, min_overlap, rows, other, scale)


def window_columns(offsets: Any, windows: Sequence[Window]) -> np.ndarray:
    """The offsets any of the CAR ``windows`` holds (a mask over ``offsets``)."""
    off = np.asarray(offsets)
    cols = np.zeros(len(off), dtype=bool)
    for lo, hi in windows:
        cols |= (off >= lo) & (off <= hi)
    return cols


def overlapping_blocks(span: FloatArray, bounds: Sequence[np.ndarray],
                       picks: Sequence[np.ndarray], weight: Sequence[float], block: int,
                       ) -> Iterator[tuple[np.ndarray, np.ndarray | None, FloatArray]]:
    """The blocks of ordered pairs of different groups whose event days' ranges meet: groups
    (their days' range from the rows ``bounds`` of ``span``, their pairs ``picks``, each
    weighted ``weight``) in order of their first event day, a chunk of them (up to
    :data:`CHUNK` pairs) at a time. Yields ``(rows, None, scale)`` for the chunk's pairs of
    different groups, and ``(rows, other, scale)``, twice (ρ, τ symmetric), for its pairs with
    the later groups that start before it ends, up to ``block`` of those at a time; ``scale``
    the product of the two pairs' weights, 0 within a group."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # no event day in a group
        lo_g = np.array([np.nanmin(span[m], initial=np.inf) for m in bounds])
        hi_g = np.array([np.nanmax(span[m], initial=-np.inf) for m in bounds])
    by_start = np.argsort(lo_g, kind="stable")
    starts, sizes = lo_g[by_start], np.array([len(picks[g]) for g in by_start])
    ends = np.cumsum(sizes)
    a = 0
    while a < len(by_start):
        b = max(a + 1, int(np.searchsorted(ends, ends[a] - sizes[a] + CHUNK, side="right")))
        chunk, later = by_start[a:b], by_start[b:]
        later = later[:np.searchsorted(starts[b:], hi_g[chunk].max(), side="right")]
        rows = np.concatenate([picks[g] for g in chunk])
        label = np.repeat(np.arange(len(chunk)), sizes[a:b])
        s_rows = np.repeat([weight[g] for g in chunk], sizes[a:b])
        if len(chunk) > 1:  # pairs of different groups within the chunk
            yield rows, None, s_rows[:, None] * s_rows * (label[:, None] != label)
        other = np.concatenate([picks[h] for h in later] or [np.zeros(0, int)])
        s_other = np.concatenate([np.full(len(picks[h]), weight[h]) for h in later] or [[]])
        for c in range(0, len(other), block):
            yield rows, other[c:c + block], 2.0 * s_rows[:, None] * s_other[c:c + block]
        a = b


def _add_block(sums: FloatArray, e: FloatArray, dd: FloatArray, offsets: Any,
               windows: Sequence[Window], min_overlap: int, rows: np.ndarray,
               other: np.ndarray | None, scale: FloatArray) -> None:
    """Σ scale·ρ·w, Σ scale·[w > 0] and Σ scale·[ρ valid, w > 0] over the pairs of ``rows``
    (with ``other``'s when given), added to the windows' ``sums``."""
    more = e[rows] if other is None else e[other]
    keep = np.isfinite(e[rows]).any(axis=0) | np.isfinite(more).any(axis=0)
    rho, valid = _pairwise_rho(e[rows][:, keep], min_overlap,
                               None if other is None else more[:, keep])
    weights = _window_weights(dd[rows], offsets, windows,
                              other=None if other is None else dd[other])
    for k, w in enumerate(weights):
        pos = (w > 0) & (scale > 0)
        sums[:, k] += [float((scale * np.where(valid & pos, rho * w, 0.0)).sum()),
                       float((scale * pos).sum()), float((scale * (valid & pos)).sum())]


def estimation_aar_sd(estimation_ar: Any) -> tuple[FloatArray, FloatArray]:
    """Sample sd (ddof 1) of the daily mean estimation AR in event time, and its df."""
    e = np.asarray(estimation_ar, float)
    ok = np.isfinite(e)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_s = np.where(ok, e, 0.0).sum(axis=-2) / ok.sum(axis=-2)  # (..., D)
    have = np.isfinite(mean_s)
    d = have.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        centre = np.where(have, mean_s, 0.0).sum(axis=-1) / d
        ss = (np.where(have, mean_s - centre[..., None], 0.0) ** 2).sum(axis=-1)
        return np.sqrt(ss / (d - 1)), d - 1.0


def portfolio_sigma(residuals: Any, k: Any, day0: Any) -> tuple[FloatArray, FloatArray]:
    """σ̂_p of the equal-weighted portfolio of residuals by date, and its df M_p − max k.

    NaN unless every pair has the same day 0 (the portfolio test is for a common date).
    """
    e = np.asarray(residuals, float)
    ok = np.isfinite(e)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(ok, e, 0.0).sum(axis=-2) / ok.sum(axis=-2)  # (..., C)
    have = np.isfinite(p)
    df = have.sum(axis=-1) - np.asarray(k, float).max(axis=-1)
    d0 = np.asarray(day0)
    common = (d0 == d0[..., :1]).all(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.sqrt((np.where(have, p, 0.0) ** 2).sum(axis=-1) / df)
    return np.where(common & (df > 0), s, np.nan), df
