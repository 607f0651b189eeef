"""Aggregation over pairs: AAR per event day, CAAR per CAR window, and every test of methods.md.

AAR_t = mean_i AR_it over the N_t pairs with an AR on day t; CAAR = mean_i CAR_i over the pairs
with a CAR for the window (CLM 1997, §4.4.3). Pairs are keyed on (event, security): one
security in several events counts once per event, never merged.

The core works on plain numpy arrays (:class:`PairArrays`: pairs × days matrices of AR and SE,
CAR and its SE per window, per-pair df and σ̂, estimation-window residuals aligned by offset and
by calendar date), with optional leading batch axes, so that the batch engine and the size
simulation (``benchmarks/size_power.py``) share it; :func:`eventstudy.study.arrays.pair_arrays` is
the thin adapter from :class:`~eventstudy.study.results.PairResult` objects.

Conventions
-----------
- r̄: Pearson correlation of two pairs' estimation-window residuals on the calendar dates both
  have (pairwise complete, at least :data:`MIN_OVERLAP` dates), averaged over ordered pairs
  i ≠ j. Pairs whose day 0 falls on different dates count as uncorrelated (ρ = 0), since
  their event-window abnormal returns do not share a date; with one common date this is
  exactly the mean off-diagonal correlation of methods.md. A CAR window's r̄ (``r_bar_car``,
  used by adj_patell_z and kp_bmp_t of that window) weights each pair's ρ by τ/L, the share of
  the window's L days the two pairs' windows share (Kolari, Pape and Pynnönen 2018; see
  :func:`~eventstudy.inference.dependence.overlap_correlation`): the day r̄ for one common
  date, and for windows that do not overlap. Above :data:`R_BAR_MAX_PAIRS`
  pairs (O(N²·D) otherwise), r̄ is computed date by date: only pairs sharing a day 0 enter its
  numerator, so each date's pairs are correlated among themselves (a date with more than
  R_BAR_MAX_PAIRS pairs on a seeded subsample of them), and r̄ over all pairs (``r_bar_all``)
  on a seeded subsample of :data:`R_BAR_ALL_PAIRS` pairs.
- cda_t: daily mean AR over the estimation window in event time (by offset).
- portfolio_t: equal-weighted portfolio of the pairs' estimation residuals by calendar date;
  defined only when all pairs share day 0.
- CAAR bootstrap: pairs resampled with replacement, percentile interval. Resampling pairs
  treats them as independent: with a common event date the interval is too narrow.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from eventstudy._lazy import Deferred, Resolving
from eventstudy._typing import FloatArray, Window
from eventstudy.errors import InputError
from eventstudy.inference import significance as sig
from eventstudy.inference.dependence import (
    MIN_OVERLAP,
    R_BAR_ALL_PAIRS,
    R_BAR_MAX_PAIRS,
    estimation_aar_sd,
    event_days,
    overlap_correlation,
    overlap_correlation_by_day0,
    portfolio_sigma,
    residual_correlation,
)
from eventstudy.inference.significance import TestArray, TestResult

BOOTSTRAP = 2000  # default number of bootstrap resamples of the CAAR
#: The most resamples of the CAAR interval asked for (its percentiles settle long before).
MAX_BOOTSTRAP = 1_000_000
TEST_ORDER = ("csect_t", "patell_z", "adj_patell_z", "bmp_t", "kp_bmp_t", "j1", "j2", "cda_t",
              "portfolio_t", "skew_t", "sign_z", "gsign_z", "rank_z", "grank_t", "wilcoxon_z")
#: Every test a battery may hold, in display order: the Savickas (2003) test joins TEST_ORDER
#: when every pair's se is a GARCH conditional sigma (``PairArrays.conditional``).
ALL_TESTS = (*TEST_ORDER, "savickas_t")
# Tests whose variance comes from the time series of the cross-sectional mean, or that scale
# by r̄: valid when the pairs share one event date (cross-correlated abnormal returns).
# grank_t is left out: its SCAR rescaling shrinks by (1 − ρ) under cross-correlation and it
# rejects 7 % at ρ = 0.3 in benchmarks/size_power.md.
ROBUST_TO_CROSS_CORRELATION = ("adj_patell_z", "kp_bmp_t", "cda_t", "portfolio_t", "rank_z")
R_BAR_METHOD = (f"Pearson correlation of estimation-window residuals, aligned by calendar date, "
                f"pairwise complete (>= {MIN_OVERLAP} shared dates), mean over pairs i ≠ j; "
                "pairs with different day-0 dates count as uncorrelated; for a CAR window "
                "(r_bar_car) each pair's correlation is weighted by the overlap of the two "
                "event windows, τ/L of the window's L days (τ = L on the same day 0; Kolari, "
                "Pape and Pynnönen 2018)")


@dataclass(frozen=True)
class PairArrays:
    """The inputs of the aggregation: pairs on axis -2, optional leading batch axes.

    Attributes
    ----------
    offsets : int array (T,)
        Event-window offsets, the columns of ``ar`` and ``se``.
    ar, se : array (..., N, T)
        Abnormal returns and their prediction-error-corrected standard errors (NaN = no data).
    windows : tuple of (int, int)
        CAR windows, the columns of ``car`` and ``car_se``.
    car, car_se : array (..., N, W)
        CAR per window and its standard error.
    df, sigma, k : array (..., N)
        M_i − k_i, σ̂_i and k_i of each pair's model.
    estimation_offsets : int array (D,)
        Offsets of the estimation window, the columns of ``estimation_ar``.
    estimation_ar : array (..., N, D)
        Estimation-sample abnormal returns (residuals) aligned by offset.
    residuals : array (..., N, C)
        The same residuals aligned by calendar date (columns ``residual_dates``).
    day0 : array (..., N)
        Day 0 of each pair as an integer day number (or datetime64[D]).
    keys : tuple of (event, security)
        The pairs' keys, in row order.
    conditional : bool
        Every pair's ``se`` is its GARCH conditional standard deviation (``model = "garch"``):
        the battery adds the Savickas (2003) test.
    event_dates : array (..., N, T), optional
        Calendar date (datetime64 or day number) of each pair's offsets, for the overlap of
        event windows; None: day 0 moved by the offsets (weekdays, see
        :func:`~eventstudy.inference.dependence.event_days`).
    estimation_dates : datetime64[D] array (N, D), optional
        The calendar date of each cell of ``estimation_ar`` (NaT where none): the residuals by
        date without the dense ``residuals`` matrix, for the per-part sums of
        :mod:`eventstudy.inference.pooled_sums` (``residuals`` may then be None).
    """

    offsets: Any
    ar: FloatArray
    se: FloatArray
    windows: tuple[Window, ...]
    car: FloatArray
    car_se: FloatArray
    df: FloatArray
    sigma: FloatArray
    k: FloatArray
    estimation_offsets: Any
    estimation_ar: FloatArray
    residuals: FloatArray
    day0: Any
    residual_dates: Any = None
    keys: tuple[tuple[str, str], ...] = ()
    conditional: bool = False  # se: GARCH conditional sigmas (adds savickas_t)
    event_dates: Any = None
    estimation_dates: Any = None


@dataclass(frozen=True)
class Aggregate(Resolving):
    """AAR and CAAR over a set of pairs, with the tests of methods.md.

    ``days`` is indexed by offset t with columns n, aar; ``car`` is indexed by window with
    columns n, caar, ci_low, ci_high (bootstrap percentile interval of the CAAR).
    ``day_tests[t]`` and ``car_tests[window]`` map test keys to results. ``r_bar`` is the
    residual correlation used by adj_patell_z and kp_bmp_t of the days (see ``r_bar_method``),
    ``r_bar_car[window]`` theirs for a CAR window (weighted by the overlap of event windows);
    ``r_bar_all`` the plain mean over all pairs with enough shared dates.
    """

    n: int
    days: pd.DataFrame
    car: pd.DataFrame
    day_tests: dict[int, dict[str, TestResult]] = field(default_factory=dict)
    car_tests: dict[Window, dict[str, TestResult]] = field(default_factory=dict)
    r_bar: float = float("nan")
    r_bar_all: float = float("nan")
    r_bar_car: dict[Window, float] = field(default_factory=dict)
    r_bar_method: str = R_BAR_METHOD
    common_date: bool = False
    keys: tuple[tuple[str, str], ...] = ()
    bootstrap: Mapping[str, Any] = field(default_factory=dict)

    @property
    def n_events(self) -> int:
        return len({e for e, _ in self.keys})

    def tests_frame(self) -> pd.DataFrame:
        """The tests as tidy rows: one per (day or window, test).

        Columns: level ("day" | "window"), t (day offset, NA for windows), window (tuple),
        n, key, stat, p, dist, reason, reference, robust (to cross-correlation).
        """
        rows = []
        for level, tests, table in (("day", self.day_tests, self.days),
                                    ("window", self.car_tests, self.car)):
            for j, (col, results) in enumerate(tests.items()):
                n = int(table["n"].iloc[j])
                for key in ALL_TESTS:
                    if key not in results:
                        continue
                    r = results[key]
                    rows.append({
                        "level": level, "t": col if level == "day" else pd.NA,
                        "window": (col, col) if level == "day" else tuple(col), "n": n,
                        "key": key, "stat": r.stat, "p": r.p, "dist": r.dist,
                        "reason": r.reason, "reference": r.reference,
                        "robust": key in ROBUST_TO_CROSS_CORRELATION,
                    })
        cols = ["level", "t", "window", "n", "key", "stat", "p", "dist", "reason", "reference",
                "robust"]
        frame = pd.DataFrame(rows, columns=cols)
        return frame.astype({"t": "Int64"})


# --- the tests over all days and windows ----------------------------------------------------


def _nanmean(x: FloatArray, axis: int) -> FloatArray:
    ok = np.isfinite(x)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ok, x, 0.0).sum(axis=axis) / ok.sum(axis=axis)


def all_tests(a: PairArrays, r_bar: Any = None, r_bar_car: Any = None,
              ) -> tuple[dict[str, TestArray], dict[str, TestArray]]:
    """Every test at day level (columns = offsets) and CAR-window level (columns = windows).

    Vectorised over pairs, columns and leading batch axes. ``r_bar`` overrides the estimated
    residual correlation of the days (e.g. a subsample estimate for very large N), and
    ``r_bar_car`` (``(..., W)``) the windows' (default: ``r_bar`` when that is given).
    """
    ar, se = np.asarray(a.ar, float), np.asarray(a.se, float)
    car, car_se = np.asarray(a.car, float), np.asarray(a.car_se, float)
    sigma = np.asarray(a.sigma, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        sar, scar = ar / se, car / car_se
        est_sar = np.asarray(a.estimation_ar, float) / sigma[..., None]
    if r_bar is None:
        days = event_days(a.day0, a.offsets, a.event_dates)
        r_bar, _, r_found = overlap_correlation(a.residuals, a.day0, days, a.offsets, a.windows)
        r_bar_car = r_found if r_bar_car is None else r_bar_car
    r_bar_car = r_bar if r_bar_car is None else r_bar_car
    s_cda, df_cda = estimation_aar_sd(a.estimation_ar)
    sigma_p, df_p = portfolio_sigma(a.residuals, a.k, a.day0)
    p_pair = sig.positive_fraction(a.estimation_ar)
    u = sig.standardized_ranks(np.concatenate([np.asarray(a.estimation_ar, float), ar], axis=-1))
    est_ranks = sig.average_ranks(est_sar, axis=-1)  # grank_t's, the same for days and windows
    offsets = np.asarray(a.offsets)
    n_est = np.asarray(a.estimation_ar).shape[-1]
    sel_days = np.zeros((len(offsets), n_est + len(offsets)))
    sel_days[:, n_est:] = np.eye(len(offsets))
    sel_win = np.zeros((len(a.windows), n_est + len(offsets)))
    for j, (lo, hi) in enumerate(a.windows):
        sel_win[j, n_est:] = (offsets >= lo) & (offsets <= hi)
    lengths = np.array([hi - lo + 1 for lo, hi in a.windows], float)
    with np.errstate(invalid="ignore", divide="ignore"):
        infl_day = _nanmean((se / sigma[..., None]) ** 2, axis=-2)
        infl_car = _nanmean((car_se / sigma[..., None]) ** 2, axis=-2)

    def level(x: FloatArray, s: FloatArray, z: FloatArray, length: Any, sel: FloatArray,
              infl: FloatArray, r_bar: Any) -> dict[str, TestArray]:
        extra = {"savickas_t": sig.savickas_t(z)} if a.conditional else {}
        return {**extra,
            "csect_t": sig.csect_t(x),
            "patell_z": sig.patell_z(z, a.df),
            "adj_patell_z": sig.adj_patell_z(z, a.df, r_bar),
            "bmp_t": sig.bmp_t(z),
            "kp_bmp_t": sig.kp_bmp_t(z, r_bar),
            "j1": sig.j1(x, s),
            "j2": sig.j2(z, a.df),
            "cda_t": sig.cda_t(x, s_cda, df_cda, length),
            "portfolio_t": sig.portfolio_t(_nanmean(x, axis=-2), sigma_p, infl, df_p),
            "skew_t": sig.skew_t(x),
            "sign_z": sig.sign_z(x),
            "gsign_z": sig.gsign_z(x, p_pair),
            "rank_z": sig.rank_z(u, sel),
            "grank_t": sig.grank_t(est_sar, z, estimation_ranks=est_ranks),
            "wilcoxon_z": sig.wilcoxon_z(x),
        }

    return (level(ar, se, sar, 1.0, sel_days, infl_day, r_bar),
            level(car, car_se, scar, lengths, sel_win, infl_car, r_bar_car))


def bootstrap_caar(car: Any, n_boot: int = BOOTSTRAP, seed: int | None = 0,
                   level: float = 0.95) -> tuple[FloatArray, FloatArray]:
    """Percentile bootstrap interval of the CAAR, resampling pairs with replacement.

    Parameters
    ----------
    car : array (N, W)
        CAR per pair and window (NaN = no CAR; left out of each resample's mean).
    n_boot : int
        Resamples; each draws N pairs with replacement (multinomial counts, so one matrix
        product per chunk: O(B·N·W), chunked to bound memory).
    seed : int or None
        Seed of ``numpy.random.default_rng``; the same seed gives the same interval.
    level : float
        Coverage of the two-sided percentile interval.

    Returns
    -------
    (low, high) : arrays (W,)

    References
    ----------
    .. [1] Efron, B. and Tibshirani, R. (1993) *An Introduction to the Bootstrap*, ch. 13.
    .. [2] Lyon, J., Barber, B. and Tsai, C.-L. (1999), §III.B.
    """
    c = np.asarray(car, float)
    n, w = c.shape
    if n == 0 or n_boot <= 0:
        return np.full(w, np.nan), np.full(w, np.nan)
    rng = np.random.default_rng(seed)
    ok = np.isfinite(c)
    c0 = np.where(ok, c, 0.0)
    chunk = max(1, min(n_boot, 10_000_000 // max(n, 1)))
    out = []
    for start in range(0, n_boot, chunk):
        counts = rng.multinomial(n, np.full(n, 1.0 / n), size=min(chunk, n_boot - start))
        with np.errstate(invalid="ignore", divide="ignore"):
            out.append((counts @ c0) / (counts @ ok.astype(float)))
    stats = np.concatenate(out)
    alpha = (1.0 - level) / 2
    low, high = np.full(w, np.nan), np.full(w, np.nan)
    some = np.isfinite(stats).any(axis=0)  # a window no pair has a CAR for has no interval
    if some.any():
        low[some] = np.nanquantile(stats[:, some], alpha, axis=0)
        high[some] = np.nanquantile(stats[:, some], 1 - alpha, axis=0)
    return np.asarray(low, float), np.asarray(high, float)


def _check_bootstrap(bootstrap: object, seed: object) -> None:
    def count(v: object) -> bool:
        return not isinstance(v, bool) and isinstance(v, (int, np.integer)) and v >= 0

    if not count(bootstrap) or bootstrap > MAX_BOOTSTRAP:  # type: ignore[operator]
        raise InputError(f"bootstrap = {bootstrap!r}: give the number of resamples, an integer "
                         f"from 0 (no interval) to {MAX_BOOTSTRAP:,}")
    if seed is not None and not count(seed):
        raise InputError(f"seed = {seed!r}: give an integer >= 0 (the same seed, the same "
                         "interval)")


def aggregate(a: PairArrays, *, bootstrap: int = BOOTSTRAP, seed: int | None = 0,
              level: float = 0.95) -> Aggregate:
    """AAR/CAAR over the pairs of ``a`` (no batch axes), every test, the CAAR interval.

    Raises
    ------
    InputError
        ``bootstrap`` is not an integer >= 0, or ``seed`` not None or an integer >= 0 (checked
        here, although the interval is drawn only when first read).
    """
    _check_bootstrap(bootstrap, seed)
    ar = np.asarray(a.ar, float)
    car = np.asarray(a.car, float)
    n_pairs = ar.shape[0]
    residuals, day0 = np.asarray(a.residuals, float), np.asarray(a.day0)
    ev_days = event_days(day0, a.offsets, a.event_dates)
    if n_pairs > R_BAR_MAX_PAIRS:  # O(N²) is too much: r̄ by day 0, r̄_all on a subsample
        r_bar, r_car = overlap_correlation_by_day0(residuals, day0, ev_days, a.offsets,
                                                   a.windows)
        pick = np.sort(np.random.default_rng(0).choice(n_pairs, R_BAR_ALL_PAIRS, replace=False))
        _, r_all = residual_correlation(residuals[pick], day0[pick])
    else:
        r_bar, r_all, r_car = overlap_correlation(residuals, day0, ev_days, a.offsets,
                                                  a.windows)
    day_arrays, car_arrays = all_tests(a, r_bar=r_bar, r_bar_car=r_car)
    n_t = np.isfinite(ar).sum(axis=0)
    days = pd.DataFrame({"n": n_t, "aar": _nanmean(ar, axis=0)},
                        index=pd.Index(np.asarray(a.offsets, int), name="t"))
    n_w = np.isfinite(car).sum(axis=0)

    def cars() -> pd.DataFrame:  # the bootstrap interval is computed when first read
        low, high = bootstrap_caar(car, bootstrap, seed, level)
        return pd.DataFrame({"n": n_w, "caar": _nanmean(car, axis=0), "ci_low": low,
                             "ci_high": high},
                            index=pd.Index(list(a.windows), name="window", tupleize_cols=False))

    day_tests = {int(t): {key: arr[j] for key, arr in day_arrays.items()}
                 for j, t in enumerate(np.asarray(a.offsets, int))}
    car_tests = {tuple(w): {key: arr[j] for key, arr in car_arrays.items()}
                 for j, w in enumerate(a.windows)}
    d0 = np.asarray(a.day0)
    common = bool(n_pairs > 0 and (d0 == d0[:1]).all())
    method = R_BAR_METHOD + (
        f"; over {n_pairs} pairs, computed within each day-0 date (a date with more than "
        f"{R_BAR_MAX_PAIRS} pairs on a random subsample of them, seed 0), and for a CAR window "
        "between dates whose windows overlap; r_bar_all on a "
        f"random subsample of {R_BAR_ALL_PAIRS} pairs (seed 0)" if n_pairs > R_BAR_MAX_PAIRS
        else "")
    return Aggregate(
        n=n_pairs, days=days, car=Deferred(cars), day_tests=day_tests, car_tests=car_tests,
        r_bar=float(r_bar), r_bar_all=float(r_all), r_bar_method=method, common_date=common,
        r_bar_car={tuple(w): float(r_car[j]) for j, w in enumerate(a.windows)},
        keys=tuple(a.keys),
        bootstrap={"n": int(bootstrap), "seed": seed, "level": float(level),
                   "method": "percentile; pairs resampled with replacement"},
    )
