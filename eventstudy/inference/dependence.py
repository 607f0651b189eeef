"""The estimation window's nuisance quantities of the aggregation: r̄, the residual correlation
of pairs (for the cross-correlation adjustments of Kolari and Pynnönen 2010), the sd of the mean
estimation AR (Brown and Warner 1980's crude dependence adjustment), and σ̂ of the portfolio of
residuals (the portfolio test). See :mod:`eventstudy.inference.aggregate` for the conventions.

References
----------
.. [1] Kolari, J. and Pynnönen, S. (2010) "Event study testing with cross-sectional
   correlation of abnormal returns", Review of Financial Studies 23(11), 3996-4025.
.. [2] Brown, S. and Warner, J. (1980) "Measuring security price performance", Journal of
   Financial Economics 8(3), 205-258.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from eventstudy._typing import FloatArray

MIN_OVERLAP = 30  # shared residual dates needed for a pairwise correlation
R_BAR_MAX_PAIRS = 2000  # above this, r̄ by day-0 date (each date's pairs, up to this many)
R_BAR_ALL_PAIRS = 500  # ... and r̄ over all pairs (r_bar_all) on a seeded subsample this size


def residual_correlation(residuals: Any, day0: Any, min_overlap: int = MIN_OVERLAP,
                         ) -> tuple[FloatArray, FloatArray]:
    """r̄ over pairs: (used for the KP adjustments, plain mean over all pairs).

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
    :func:`residual_correlation_by_day0` for the first value and this on a subsample.
    """
    rho, valid = _pairwise_rho(residuals, min_overlap)
    off = ~np.eye(rho.shape[-1], dtype=bool)
    d0 = np.asarray(day0)
    same = d0[..., :, None] == d0[..., None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        r_all = np.where(valid, rho, 0.0).sum(axis=(-1, -2)) / valid.sum(axis=(-1, -2))
        counted = off & (valid | ~same)
        r_used = (np.where(valid & same, rho, 0.0).sum(axis=(-1, -2))
                  / counted.sum(axis=(-1, -2)))
    return r_used, r_all


def _pairwise_rho(residuals: Any, min_overlap: int) -> tuple[FloatArray, np.ndarray]:
    """Pairwise-complete correlations of residual rows and where they count (i ≠ j, at least
    ``min_overlap`` shared dates, finite)."""
    e = np.asarray(residuals, float)
    w = np.isfinite(e).astype(float)
    x = np.where(w > 0, e, 0.0)
    wt = np.swapaxes(w, -1, -2)
    n = w @ wt
    sx = x @ wt  # Σ x_i over dates shared with j
    sxx = (x * x) @ wt
    sxy = x @ np.swapaxes(x, -1, -2)
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = sxy - sx * np.swapaxes(sx, -1, -2) / n
        vi = sxx - sx**2 / n
        rho = cov / np.sqrt(vi * np.swapaxes(vi, -1, -2))
    size = e.shape[-2]
    off = ~np.eye(size, dtype=bool)
    return rho, off & (n >= min_overlap) & np.isfinite(rho)


def residual_correlation_by_day0(residuals: Any, day0: Any, min_overlap: int = MIN_OVERLAP,
                                 block: int = R_BAR_MAX_PAIRS, seed: int = 0) -> float:
    """The first value of :func:`residual_correlation` for many pairs: computed within each
    group of pairs sharing a day 0, since pairs on different dates count as uncorrelated.

    O(Σ_g N_g²·C) instead of O(N²·C): exact when no group has more than ``block`` pairs; a
    larger group contributes the mean over a seeded random subsample of ``block`` of its
    pairs, weighted by its number of ordered pairs.
    """
    e = np.asarray(residuals, float)
    d0 = np.asarray(day0)
    n_pairs = len(d0)
    rng = np.random.default_rng(seed)
    _, group = np.unique(d0, return_inverse=True)
    order = np.argsort(group, kind="stable")
    bounds = np.flatnonzero(np.diff(group[order])) + 1
    total, valid_same, same_pairs = 0.0, 0.0, 0.0
    for members in np.split(order, bounds):
        size = len(members)
        if size < 2:
            continue
        pick = members if size <= block else np.sort(rng.choice(members, block, replace=False))
        rows = e[pick]
        rows = rows[:, np.isfinite(rows).any(axis=0)]  # the dates these pairs have
        rho, valid = _pairwise_rho(rows, min_overlap)
        scale = size * (size - 1) / (len(pick) * (len(pick) - 1))
        total += scale * float(np.where(valid, rho, 0.0).sum())
        valid_same += scale * float(valid.sum())
        same_pairs += size * (size - 1)
    counted = n_pairs * (n_pairs - 1) - same_pairs + valid_same
    return total / counted if counted > 0 else float("nan")


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
