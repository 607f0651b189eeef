"""The pooled battery from additive per-part sums: each task of a cluster batch summarises its
pairs of a group (:func:`pooled_sums`), the summaries are merged (:func:`merge`) and finished into
the same :class:`~eventstudy.inference.aggregate.Aggregate` as :func:`~eventstudy.inference.
aggregate.aggregate` builds from all the pairs' arrays (:func:`finish`), so a study of tens of
millions of pairs never gathers them.

What a part sums, per column (each event day and each CAR window), and the tests it finishes:

- AAR/CAAR, csect_t, skew_t, cda_t's mean: count, mean and the central sums Σ(x − x̄)², Σ(x − x̄)³
  of AR (CAR), merged by the parallel formulas (Chan, Golub and LeVeque 1979; Pébay 2008),
  never as Σx² − (Σx)²/n; bmp_t, kp_bmp_t: the same of SAR (SCAR);
- patell_z, adj_patell_z, j2: Σ SAR, Σ (M_i − k)/(M_i − k − 2), N and whether a pair has
  M − k <= 2; j1: N, Σ CAR, Σ σ²(CAR); portfolio_t's prediction-error factor: N and Σ (se/σ̂)²;
- sign_z, gsign_z: N, positive values, Σ p̂_i;
- per estimation offset, Σ residual and count (cda_t's S(AAR)); per offset of the estimation and
  event windows, Σ U and count, U a pair's standardized ranks (rank_z; ranked within the pair);
  per calendar date, Σ residual and count (portfolio_t's σ̂_p), with the first and last day 0 (a
  common date?) and the largest k;
- r̄ of the Kolari–Pynnönen adjustments: :mod:`eventstudy.inference.pooled_overlap`.

grank_t (S_SCAR of all pairs before ranking) and wilcoxon_z (ranks across pairs) do not
decompose: :func:`finish` returns them with NaN and the reason. The CAAR's bootstrap interval
resamples every pair's CAR: none (``bootstrap["n"] == 0``). Savickas (2003) is not reduced.

References
----------
.. [1] Chan, T., Golub, G. and LeVeque, R. (1979) "Updating formulae and a pairwise algorithm
   for computing sample variances", Stanford CS report STAN-CS-79-773.
.. [2] Pébay, P. (2008) "Formulas for robust, one-pass parallel computation of covariances and
   arbitrary-order statistical moments", Sandia report SAND2008-6212.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

from eventstudy._typing import FloatArray, Window
from eventstudy.errors import InputError
from eventstudy.inference import significance as sig
from eventstudy.inference.aggregate import R_BAR_METHOD, TEST_ORDER, Aggregate, PairArrays
from eventstudy.inference.dependence import (
    MIN_OVERLAP,
    R_BAR_MAX_PAIRS,
    estimation_aar_sd,
    portfolio_sigma,
)
from eventstudy.inference.pooled_overlap import (
    OverlapSums,
    date_sums,
    day_numbers,
    merge_overlap,
    overlap_r_bar,
    overlap_sums,
)
from eventstudy.inference.significance import TestArray
from eventstudy.inference.significance.parametric import (
    _j1_from,
    _j1_sums,
    _mean_t_from,
    _patell_sums,
    _patell_z_from,
    _skew_t_from,
)
from eventstudy.inference.significance.ranks import (
    _gsign_sums,
    _gsign_z_from,
    _rank_z_from,
    _sign_z_from,
)
from eventstudy.inference.significance.result import NORMAL, _central, _pack, _sd
from eventstudy.inference.significance.robust import (
    _adj_patell_z_from,
    _cda_t_from,
    _kp_bmp_t_from,
)

#: Why the tests that do not decompose into per-part sums are not computed.
NOT_REDUCED = {
    "grank_t": "not reduced on the cluster: it rescales each SCAR by the cross-sectional sd of "
               "all pairs' SCARs before ranking (two passes over the pairs)",
    "wilcoxon_z": "not reduced on the cluster: it ranks |AR| across all pairs of the column",
}
#: Elements (pairs × days) of the estimation window ranked or summed at once.
ROW_ELEMENTS = 1 << 20
_MOMENTS = ("mean", "m2", "m3", "mean_z", "m2_z")


@dataclass(frozen=True, eq=False)
class ColumnSums:
    """One level's per-column sums (K event days or K CAR windows), each an array (K,).

    ``n``, ``mean``, ``m2``, ``m3``: pairs with a value x (AR or CAR), their mean (0 when
    none) and Σ(x − x̄)², Σ(x − x̄)³; ``n_z``, ``mean_z``, ``m2_z`` the same of z = x / se;
    ``sum_z``, ``var_z``, ``small``: Σ z, Σ (M_i − k)/(M_i − k − 2) over those pairs and whether
    one has M − k <= 2; ``n_j``, ``sum_j``, ``var_j``: pairs with x and se, Σ x, Σ se²;
    ``n_c``, ``sum_c``: pairs with (se/σ̂)² and its sum; ``pos``: positive x; ``n_g``,
    ``pos_g``, ``p_g``: pairs with x and p̂_i, the positive x among them and Σ p̂_i.
    """

    n: np.ndarray
    mean: FloatArray
    m2: FloatArray
    m3: FloatArray
    n_z: np.ndarray
    mean_z: FloatArray
    m2_z: FloatArray
    sum_z: FloatArray
    var_z: FloatArray
    small: np.ndarray
    n_j: np.ndarray
    sum_j: FloatArray
    var_j: FloatArray
    n_c: np.ndarray
    sum_c: FloatArray
    pos: np.ndarray
    n_g: np.ndarray
    pos_g: np.ndarray
    p_g: FloatArray


@dataclass(frozen=True, eq=False)
class PooledSums:
    """The additive summary of one part's pairs of a group, or of several merged (no per-pair
    arrays: O(T + W + D + distinct dates) numbers).

    ``day`` and ``car`` hold the per-column sums of the event days (``offsets``) and the CAR
    windows (``windows``); ``est_sum``/``est_n`` the residuals' sum and count per estimation
    offset (``estimation_offsets``); ``rank_sum``/``rank_n`` the standardized ranks' per offset
    of the estimation then the event window; ``dates``/``date_sum``/``date_n`` the residuals' sum
    and count per calendar date (day numbers); ``day0_min``/``day0_max`` the first and last day 0
    (day numbers; NaN if a pair has none; ±inf without pairs); ``k_max`` the largest k;
    ``overlap`` the r̄ sums (:class:`~eventstudy.inference.pooled_overlap.OverlapSums`).
    """

    offsets: tuple[int, ...]
    windows: tuple[Window, ...]
    estimation_offsets: tuple[int, ...]
    n: int
    day: ColumnSums
    car: ColumnSums
    est_sum: FloatArray
    est_n: np.ndarray
    rank_sum: FloatArray
    rank_n: np.ndarray
    dates: FloatArray
    date_sum: FloatArray
    date_n: np.ndarray
    day0_min: float
    day0_max: float
    k_max: float
    overlap: OverlapSums


def pooled_sums(a: PairArrays, *, block: int = R_BAR_MAX_PAIRS, seed: int = 0,
                sample: int | None = None, cross_sample: int | None = None) -> PooledSums:
    """The summary of one part's pairs of a group (no batch axes).

    ``a.residuals`` may be None: the residuals by date are then ``a.estimation_ar`` at
    ``a.estimation_dates``, never laid out as a dense matrix of all pairs. ``a.keys`` give the
    pairs' securities (for r̄ of the CAR windows; empty: each pair its own security). ``block``
    and ``seed``: a day-0 date with more than ``block`` pairs in the part enters r̄ by a seeded
    subsample of ``block`` of them; ``sample``: a part of more pairs enters r̄ by a seeded
    uniform subsample of ``sample`` of them, and its cross-date pairs (the costly ones) by one
    of ``cross_sample`` (default ``sample``; :mod:`eventstudy.inference.pooled_overlap`).
    """
    ar, se = np.asarray(a.ar, float), np.asarray(a.se, float)
    if ar.ndim != 2:
        raise InputError(f"pooled_sums takes one part's pairs × days (2-D ar), not {ar.shape}")
    car, car_se = np.asarray(a.car, float), np.asarray(a.car_se, float)
    sigma, df = np.asarray(a.sigma, float), np.asarray(a.df, float)
    est = np.asarray(a.estimation_ar, float)
    n_pairs = ar.shape[0]
    p_pair = np.empty(n_pairs)
    rank_sum = np.zeros(est.shape[1] + ar.shape[1])
    rank_n = np.zeros(rank_sum.size, np.int64)
    est_sum, est_n = np.zeros(est.shape[1]), np.zeros(est.shape[1], np.int64)
    step = max(1, ROW_ELEMENTS // max(1, rank_sum.size))
    for lo in range(0, n_pairs, step):  # the estimation window, rows at a time
        part = slice(lo, lo + step)
        e = est[part]
        ok = np.isfinite(e)
        est_sum += np.where(ok, e, 0.0).sum(axis=0)
        est_n += ok.sum(axis=0)
        p_pair[part] = sig.positive_fraction(e)
        u = sig.standardized_ranks(np.concatenate([e, ar[part]], axis=-1))
        have = np.isfinite(u)
        rank_sum += np.where(have, u, 0.0).sum(axis=0)
        rank_n += have.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        z_day, z_car = ar / se, car / car_se
        c_day, c_car = (se / sigma[:, None]) ** 2, (car_se / sigma[:, None]) ** 2
    dates, date_sum, date_n = date_sums(a)
    d0 = day_numbers(a.day0)
    k = np.asarray(a.k, float)
    return PooledSums(
        offsets=tuple(int(t) for t in np.asarray(a.offsets)), windows=tuple(a.windows),
        estimation_offsets=tuple(int(t) for t in np.asarray(a.estimation_offsets)),
        n=int(n_pairs),
        day=_columns(ar, se, z_day, c_day, df, p_pair),
        car=_columns(car, car_se, z_car, c_car, df, p_pair),
        est_sum=est_sum, est_n=est_n, rank_sum=rank_sum, rank_n=rank_n,
        dates=dates, date_sum=date_sum, date_n=date_n,
        day0_min=float(np.min(d0)) if n_pairs else np.inf,
        day0_max=float(np.max(d0)) if n_pairs else -np.inf,
        k_max=float(np.max(k)) if n_pairs else -np.inf,
        overlap=overlap_sums(a, MIN_OVERLAP, block, seed, sample, cross_sample),
    )


def _columns(x: FloatArray, s: FloatArray, z: FloatArray, c: FloatArray, df: FloatArray,
             p_pair: FloatArray) -> ColumnSums:
    n, mean, m2, m3 = _central(x, third=True)
    n_z, mean_z, m2_z = _central(z)
    sum_z, var_z, _, small = _patell_sums(z, df)
    ok_x, ok_c = np.isfinite(x), np.isfinite(c)
    return ColumnSums(
        n, np.where(n > 0, mean, 0.0), m2, m3, n_z, np.where(n_z > 0, mean_z, 0.0), m2_z,
        sum_z, var_z, small, *_j1_sums(x, s), ok_c.sum(axis=0),
        np.where(ok_c, c, 0.0).sum(axis=0), (ok_x & (np.where(ok_x, x, 0.0) > 0)).sum(axis=0),
        *_gsign_sums(x, p_pair))


def merge(parts: Iterable[PooledSums]) -> PooledSums:
    """The summary of several parts' pairs: sums added (date-keyed ones on the union of dates),
    moments merged by the parallel formulas. Associative and independent of the order of the
    parts up to rounding; a part without pairs changes nothing.

    Raises
    ------
    InputError
        No parts, or parts with different offsets, windows or estimation offsets.
    """
    parts = list(parts)
    if not parts:
        raise InputError("merge: no pooled sums to merge")
    first = parts[0]
    for p in parts[1:]:
        if (p.offsets, p.windows, p.estimation_offsets) != (
                first.offsets, first.windows, first.estimation_offsets):
            raise InputError("merge: parts with different offsets, windows or estimation "
                             f"offsets ({p.offsets}, {p.windows} vs {first.offsets}, "
                             f"{first.windows})")
    parts = [p for p in parts if p.n > 0] or [first]
    if len(parts) == 1:
        return parts[0]
    dates, inv = np.unique(np.concatenate([p.dates for p in parts]), return_inverse=True)
    inv = inv.ravel()
    date_sum, date_n = np.zeros(len(dates)), np.zeros(len(dates), np.int64)
    np.add.at(date_sum, inv, np.concatenate([p.date_sum for p in parts]))
    np.add.at(date_n, inv, np.concatenate([p.date_n for p in parts]))

    def total(field: str) -> Any:
        return np.sum([getattr(p, field) for p in parts], axis=0)

    return PooledSums(
        offsets=first.offsets, windows=first.windows,
        estimation_offsets=first.estimation_offsets, n=sum(p.n for p in parts),
        day=_merge_columns([p.day for p in parts]), car=_merge_columns([p.car for p in parts]),
        est_sum=total("est_sum"), est_n=total("est_n"), rank_sum=total("rank_sum"),
        rank_n=total("rank_n"), dates=dates, date_sum=date_sum, date_n=date_n,
        day0_min=float(np.min([p.day0_min for p in parts])),
        day0_max=float(np.max([p.day0_max for p in parts])),
        k_max=float(np.max([p.k_max for p in parts])),
        overlap=merge_overlap([p.overlap for p in parts]),
    )


def _merge_columns(cols: list[ColumnSums]) -> ColumnSums:
    """Counts and sums added; (mean, Σ(x − x̄)², Σ(x − x̄)³) merged by the parallel formulas of
    Chan et al. (1979) and Pébay (2008), over all parts at once (δ_p = x̄_p − x̄):

    .. math:: \\bar x = \\frac{\\sum_p n_p \\bar x_p}{n},\\quad
       M_2 = \\sum_p (M_{2,p} + n_p\\delta_p^2),\\quad
       M_3 = \\sum_p (M_{3,p} + 3\\delta_p M_{2,p} + n_p\\delta_p^3)

    A column only one part has data in keeps that part's values exactly."""
    out: dict[str, Any] = {}
    for f in fields(ColumnSums):
        if f.name not in _MOMENTS:
            values = np.array([getattr(c, f.name) for c in cols])
            out[f.name] = values.any(axis=0) if f.name == "small" else values.sum(axis=0)
    for n_key, keys in (("n", ("mean", "m2", "m3")), ("n_z", ("mean_z", "m2_z"))):
        n_p = np.array([getattr(c, n_key) for c in cols], float)  # (parts, K)
        mean_p, m2_p = (np.array([getattr(c, k) for c in cols]) for k in keys[:2])
        n = n_p.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(n > 0, (n_p * mean_p).sum(axis=0) / n, 0.0)
        delta = np.where(n_p > 0, mean_p - mean, 0.0)
        merged = {keys[0]: mean, keys[1]: (m2_p + n_p * delta**2).sum(axis=0)}
        if len(keys) == 3:
            m3_p = np.array([getattr(c, keys[2]) for c in cols])
            merged[keys[2]] = (m3_p + 3 * delta * m2_p + n_p * delta**3).sum(axis=0)
        only = (n_p > 0).sum(axis=0) == 1
        one = np.argmax(n_p > 0, axis=0)
        for k, v in merged.items():
            own = np.array([getattr(c, k) for c in cols])
            out[k] = np.where(only, np.take_along_axis(own, one[None], 0)[0], v)
    return ColumnSums(**out)


def finish(s: PooledSums) -> Aggregate:
    """The :class:`~eventstudy.inference.aggregate.Aggregate` of the merged sums: AAR/CAAR and
    every test of the battery, each through the same finisher as the array path
    (:func:`~eventstudy.inference.aggregate.all_tests`); grank_t and wilcoxon_z NaN with the
    reason, no CAAR interval (``ci_low``/``ci_high`` NaN), ``keys`` empty."""
    offsets = np.asarray(s.offsets, int)
    n_est = len(s.estimation_offsets)
    r_day, r_car, notes = overlap_r_bar(s.overlap, s.n)
    s_cda, df_cda = estimation_aar_sd(_row(s.est_sum, s.est_n))
    k = s.k_max if np.isfinite(s.k_max) else np.nan
    sigma_p, df_p = portfolio_sigma(_row(s.date_sum, s.date_n), np.array([k]),
                                    np.array([s.day0_min, s.day0_max]))
    with np.errstate(invalid="ignore", divide="ignore"):
        u_bar = s.rank_sum / s.rank_n
    sel_days = np.zeros((len(offsets), n_est + len(offsets)))
    sel_days[:, n_est:] = np.eye(len(offsets))
    sel_win = np.zeros((len(s.windows), n_est + len(offsets)))
    for j, (lo, hi) in enumerate(s.windows):
        sel_win[j, n_est:] = (offsets >= lo) & (offsets <= hi)
    lengths = np.array([hi - lo + 1 for lo, hi in s.windows], float)
    big_t = (s.rank_n[:n_est] > 0).sum() + 1.0  # grank_t's T: estimation days + the window

    def level(c: ColumnSums, length: Any, sel: FloatArray, r: Any) -> dict[str, TestArray]:
        shape = c.n.shape
        with np.errstate(invalid="ignore", divide="ignore"):
            mean, mean_z = (np.where(c.n > 0, c.mean, np.nan),
                            np.where(c.n_z > 0, c.mean_z, np.nan))
            infl = c.sum_c / c.n_c
        sd, sd_z = _sd(c.n, c.m2), _sd(c.n_z, c.m2_z)
        r = np.broadcast_to(np.asarray(r, float), shape)
        patell = (c.sum_z, c.var_z, c.n_z, c.small)
        found = {
            "csect_t": _mean_t_from("csect_t", c.n, mean, sd),
            "patell_z": _patell_z_from("patell_z", *patell),
            "adj_patell_z": _adj_patell_z_from(*patell, r),
            "bmp_t": _mean_t_from("bmp_t", c.n_z, mean_z, sd_z),
            "kp_bmp_t": _kp_bmp_t_from(c.n_z, mean_z, sd_z, r),
            "j1": _j1_from(c.n_j, c.sum_j, c.var_j),
            "j2": _patell_z_from("j2", *patell),
            "cda_t": _cda_t_from(c.n, mean, np.broadcast_to(s_cda, shape),
                                 np.broadcast_to(df_cda, shape), length),
            "portfolio_t": sig.portfolio_t(mean, sigma_p, infl, df_p),
            "skew_t": _skew_t_from(c.n, mean, sd, c.m3),
            "sign_z": _sign_z_from(c.n, c.pos),
            "gsign_z": _gsign_z_from(c.n_g, c.pos_g, c.p_g),
            "rank_z": _rank_z_from(u_bar, sel),
            "grank_t": _not_reduced("grank_t", shape, big_t - 2),
            "wilcoxon_z": _not_reduced("wilcoxon_z", shape, NORMAL),
        }
        return {key: found[key] for key in TEST_ORDER}

    day_arrays = level(s.day, 1.0, sel_days, r_day)
    car_arrays = level(s.car, lengths, sel_win, r_car)
    with np.errstate(invalid="ignore", divide="ignore"):
        aar, caar = (np.where(c.n > 0, c.mean, np.nan) for c in (s.day, s.car))
    days = pd.DataFrame({"n": s.day.n, "aar": aar}, index=pd.Index(offsets, name="t"))
    car = pd.DataFrame({"n": s.car.n, "caar": caar, "ci_low": np.nan, "ci_high": np.nan},
                       index=pd.Index(list(s.windows), name="window", tupleize_cols=False))
    method = (R_BAR_METHOD + "; reduced on the cluster from per-part sums: pairs correlated "
              f"within their part (a day-0 date with more than {R_BAR_MAX_PAIRS} pairs in a "
              "part on a seeded subsample of them), pairs of different parts on one day 0 given "
              "the mean ρ̂ of the date's pairs examined, a window's cross-date pairs of "
              "different securities scaled from those within parts; r_bar_all not computed "
              "(NaN)" + "".join(f"; {note}" for note in notes))
    return Aggregate(
        n=s.n, days=days, car=car,
        day_tests={int(t): {key: arr[j] for key, arr in day_arrays.items()}
                   for j, t in enumerate(offsets)},
        car_tests={tuple(w): {key: arr[j] for key, arr in car_arrays.items()}
                   for j, w in enumerate(s.windows)},
        r_bar=r_day, r_bar_all=float("nan"), r_bar_method=method,
        r_bar_car={tuple(w): float(r_car[j]) for j, w in enumerate(s.windows)},
        common_date=bool(s.n > 0 and s.day0_min == s.day0_max), keys=(),
        bootstrap={"n": 0, "seed": None, "level": 0.95,
                   "method": "none: the percentile bootstrap resamples every pair's CAR, "
                             "which the cluster does not gather"},
    )


def _row(total: FloatArray, count: np.ndarray) -> FloatArray:
    """The means of the sums as one row (1, K), NaN where the count is 0: the one-row input of
    :func:`~eventstudy.inference.dependence.estimation_aar_sd` and ``portfolio_sigma``, whose
    mean over the pairs of one row is that row."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan)[None, :]


def _not_reduced(key: str, shape: tuple[int, ...], df: Any) -> TestArray:
    return _pack(key, np.full(shape, np.nan), df, [(True, NOT_REDUCED[key])], False)
