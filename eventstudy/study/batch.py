"""The batch engine: event studies of many (security, benchmark, day 0) pairs at once.

:func:`batch` (exported as ``eventstudy.batch``; contract.md, "Library API") estimates the
normal-return model of every pair and its abnormal returns over the event window, with the
formulas of :mod:`eventstudy.estimation.kernel` that the per-event path uses too.

How it stays fast and flat in memory
------------------------------------
- Two engines compute the same numbers (:data:`ENGINE`). When numba is importable (the
  default), the compiled kernels of :mod:`eventstudy.estimation._jit` do everything below the
  resolution of tickers and dates: the pairs are grouped by combo, and per combo one pass builds the
  running sums (below) while its two series sit in cache, then one pass per pair takes its
  estimation sums by differences, fits the model and writes its event window in place; the
  ranges of combos are the thread pool's tasks (the kernels release the GIL). numba is
  imported on the first batch only, which also pays the compilation (or the load from
  numba's on-disk cache). Otherwise the numpy engine, as follows.
- Estimation sums are differences of running sums. For every distinct (security, benchmark)
  series pair ("combo") the engine builds running sums over the whole index of the count of
  usable rows (both returns present), r', r'm' and r'² (r' = r − c_r, centred on the
  combo's mean first); those of the benchmark (m', m'², centred on its mean) are built once
  per benchmark and corrected exactly for the rows where only the security's return is
  missing. The sums over a pair's estimation window are then a few lookups, O(1) per pair
  instead of O(M). Running sums come from one matrix product per block (sums within groups
  of rows) and a running sum of the group totals (:func:`_prefix_sums`).
- Combos are processed in blocks whose running sums fit :data:`BLOCK_BYTES` (in cache), with
  their pairs grouped by block; each pair's sums land in one row of a table, so memory stays
  bounded whatever the number of pairs (beyond the results themselves).
- With ``threads`` > 1 the blocks, then the chunks of pairs below, are tasks of a thread
  pool: each writes its own rows, and numpy releases the GIL inside array operations, so
  they overlap; the blocks and chunks are the same whatever the threads, and so are the
  numbers. The matrix products stay in pieces OpenBLAS runs on one thread (no
  oversubscription).
- A combo with few pairs, whose estimation windows cover fewer rows than the index, is summed
  directly from its gathered windows instead (exact, and cheaper than a running sum).
- Then the pairs are taken in the caller's order, in chunks of ``chunk_size``: the fit from
  the sums, and the event window (L values of each series gathered per pair), written in
  place into the result arrays: nothing is reordered afterwards. p-values are computed on
  first access (:attr:`BatchResult.car_p`, :attr:`BatchResult.p`).

Conventions: offsets count rows of ``returns``' index; an estimation row enters the fit when
the security's and (for market and market-adjusted models) the benchmark's returns are both
present, so M is the count of such rows: the estimation sample is the returns that exist in
the window, whether it starts before the first row, before a listing or holds an outage (the
per-event path's rule; ``require_full_window=True`` is its strict ``full_estimation``); an
event-window row with a missing return has AR and
se NaN, and the CAR sums the valid ones, with Var(CAR) over those days (S_n = their number).
The returns are taken as given: unlike the per-event path (:mod:`eventstudy.study.single`), which
builds trade-to-trade returns spanning a missing price, a missing return here stays missing.

Examples
--------
>>> res = eventstudy.batch(returns, pairs, estimation=(-250, -11), window=(-10, 10))
... # doctest: +SKIP
>>> res.car, res.car_se, res.car_p, res.excluded  # doctest: +SKIP
>>> res.aggregate(by="event_type")  # AAR/CAAR and the methods.md tests  # doctest: +SKIP

References
----------
.. [1] Campbell, J., Lo, A. and MacKinlay, A. C. (1997) *The Econometrics of Financial
   Markets*, Princeton University Press, §4.3-4.4.
.. [2] MacKinlay, A. C. (1997) "Event Studies in Economics and Finance", Journal of Economic
   Literature 35(1), 13-39.
"""

from __future__ import annotations

import contextlib
import functools
import os
import queue
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from scipy import special

from eventstudy._typing import FloatArray, Window
from eventstudy.errors import EstimationError, EventsFileError, PriceDataError
from eventstudy.estimation import kernel

if TYPE_CHECKING:
    from eventstudy.inference.aggregate import Aggregate, PairArrays

# Bytes of running sums built at once (a block of combos). Whatever the threads: a block's
# composition sets the rounding of its gap corrections, and threads must not change numbers.
# 2 MB suited one thread best (in cache); 8 MB blocks make each numpy call long enough without
# the GIL for two threads to overlap (2 MB blocks hardly do) and cost one thread little.
BLOCK_BYTES = 8 * 2**20
# A combo takes the direct path when its pairs' estimation windows cover at most this many
# times the rows of the index (the running sums would cost more).
DIRECT_RATIO = 1.0
# Largest residual matrices (pairs × sessions, floats) that BatchResult.aggregate builds.
AGGREGATE_ELEMENTS = 2**27
# Rows per group of the two-level prefix sums (_prefix_sums).
PREFIX_GROUP = 16
# Estimation-window values gathered at once on the direct path.
DIRECT_ELEMENTS = 2**17
# p-values computed per task when BatchResult.car_p spreads them over threads.
P_CHUNK = 2**15
# The engine: "auto" (the compiled kernels of eventstudy.estimation._jit when numba is importable,
# else numpy), "numba" or "numpy" (the vectorised path below, also the fallback).
ENGINE = "auto"
# Fewer pairs run on one thread by default (measured on 2 cores: threads gain nothing there).
THREAD_MIN_PAIRS = 50_000

# Estimation sums per model (see _block_sums), and those summed row by row per combo.
_FIELDS = {"market": 6, "constant-mean": 3, "market-adjusted": 3}
_DENSE = {"market": 4, "constant-mean": 3, "market-adjusted": 3}

# Exclusion codes (_PARTIAL: require_full_window and a window reaching before the data).
(_OK, _NO_SECURITY, _NO_BENCHMARK, _NO_DAY0, _BEFORE, _AFTER, _FEW, _FLAT_M, _FLAT_R, _EMPTY,
 _PARTIAL) = range(11)


@dataclass(frozen=True)
class BatchResult:
    """Abnormal returns of many pairs, indexed like the ``pairs`` frame given to :func:`batch`.

    Attributes
    ----------
    ar, se : pd.DataFrame
        Abnormal returns and their prediction-error-corrected standard errors; one row per
        pair, one column per offset of ``window`` (int labels). NaN on days without a return
        and on excluded pairs.
    car, car_se, car_t : pd.Series
        CAR over the whole window (sum of the valid ARs), its standard error and t = CAR / se.
    car_p : pd.Series
        The two-sided p-value of ``car_t`` from Student t with M − k df (computed on first
        access, like the per-day ``t_stat`` and ``p``).
    n_days : pd.Series
        Valid returns in the window (S_n, the days the CAR sums).
    estimation : pd.DataFrame
        alpha, beta, sigma, n_obs (M), df (M − k), mean_m (R̄_m), sxx (S_xx), r2, start and
        end (first and last sessions of the estimation window; start is the first session of
        returns when the window reaches before it). n_obs counts the usable
        returns also for pairs excluded for having too few; the other columns are NaN on
        excluded pairs. The constant mean has alpha = μ̂ and beta NaN; market-adjusted
        α = 0, β = 1.
    excluded : pd.Series
        Indexed like ``pairs``: the reason of each excluded pair, missing (None) for the
        pairs studied; ``result.excluded.dropna()`` lists the excluded ones.
    pairs : pd.DataFrame
        The ``pairs`` frame given to :func:`batch`.
    model : str
    k : int
        Parameters of the model (2 market, 1 constant-mean, 0 market-adjusted).
    estimation_window, window : (int, int)
        The offsets used.
    threads : int
        Threads that computed the result; :attr:`car_p` uses as many.
    """

    ar: pd.DataFrame
    se: pd.DataFrame
    car: pd.Series
    car_se: pd.Series
    car_t: pd.Series
    n_days: pd.Series
    estimation: pd.DataFrame
    excluded: pd.Series
    pairs: pd.DataFrame
    model: str
    k: int
    estimation_window: Window
    window: Window
    returns: pd.DataFrame | None = field(default=None, repr=False, compare=False)
    threads: int = field(default=1, repr=False, compare=False)

    @cached_property
    def studied(self) -> np.ndarray:
        """Boolean mask over the pairs: True where the pair was studied (not excluded)."""
        return self.excluded.isna().to_numpy()

    @cached_property
    def car_p(self) -> pd.Series:
        """Two-sided p-value of the CAR's t statistic, Student t with M − k df."""
        df = self.estimation["df"].to_numpy(float)
        t = self.car_t.to_numpy()
        p = np.empty(t.size)

        def part(p0: int) -> None:  # elementwise: the same numbers on any thread
            at = slice(p0, p0 + P_CHUNK)
            x = np.abs(t[at])
            np.negative(x, out=x)
            special.stdtr(np.where(df[at] > 0, df[at], np.nan), x, out=p[at])
            p[at] *= 2.0

        with _Runner(self.threads) as runner:
            runner.map(part, range(0, t.size, P_CHUNK))
        return pd.Series(p, index=self.car.index, name="car_p", copy=False)

    @cached_property
    def t_stat(self) -> pd.DataFrame:
        """AR / se per day (Student t with M − k df under H0)."""
        return self.ar / self.se

    @cached_property
    def p(self) -> pd.DataFrame:
        """Two-sided p-value of each day's t statistic, Student t with M − k df."""
        df = self.estimation["df"].to_numpy(float)[:, None]
        p = 2.0 * special.stdtr(df, -np.abs(self.t_stat.to_numpy()))
        return pd.DataFrame(p, index=self.ar.index, columns=self.ar.columns)

    def to_frame(self) -> pd.DataFrame:
        """Tidy per-day rows: one per (pair, t) of the studied pairs.

        Columns: pair (the label in ``pairs``' index), security, benchmark, day0, t, ar, se,
        t_stat, p.
        """
        rows = np.flatnonzero(self.studied)
        n_t = self.ar.shape[1]
        rep = np.repeat(rows, n_t)
        out = {
            "pair": self.pairs.index.to_numpy()[rep],
            "security": self.pairs["security"].to_numpy()[rep],
            "benchmark": (self.pairs["benchmark"].to_numpy()[rep]
                          if "benchmark" in self.pairs else None),
            "day0": pd.DatetimeIndex(self.pairs["day0"]).to_numpy()[rep],
            "t": np.tile(self.ar.columns.to_numpy(), rows.size),
        }
        for name, frame in (("ar", self.ar), ("se", self.se), ("t_stat", self.t_stat),
                            ("p", self.p)):
            out[name] = frame.to_numpy()[rows].ravel()
        return pd.DataFrame(out)

    def car_frame(self) -> pd.DataFrame:
        """One row per pair: security, benchmark, day0, car, se, t_stat, p, n_days, and the
        estimation columns; excluded pairs have NaN and their ``reason``."""
        cols = [c for c in ("security", "benchmark", "day0") if c in self.pairs]
        out = self.pairs[cols].copy()
        out["car"] = self.car
        out["se"] = self.car_se
        out["t_stat"] = self.car_t
        out["p"] = self.car_p
        out["n_days"] = self.n_days
        out = out.join(self.estimation)
        out["reason"] = self.excluded
        return out


    def aggregate(self, by: str | None = None, *, windows: Sequence[Window] | None = None,
                  bootstrap: int = 0, seed: int | None = 0,
                  ) -> Aggregate | dict[Hashable, Aggregate]:
        """AAR/CAAR and every test of methods.md over the studied pairs, optionally by group.

        Parameters
        ----------
        by : str or None
            A column of ``pairs`` (e.g. an event type): one aggregate per value. None: one
            aggregate over all studied pairs.
        windows : sequence of (int, int), optional
            CAR windows inside ``window`` (default: the whole window). Each CAR sums the
            window's valid ARs; its variance is the closed form of kernel.py over those days.
        bootstrap, seed : int
            Resamples of the CAAR percentile interval (0: none) and their seed.

        Returns
        -------
        Aggregate, or a dict of them keyed by the values of ``by``.

        Notes
        -----
        The statistics are those of :mod:`eventstudy.inference.aggregate` and
        :mod:`eventstudy.inference.significance` (not re-implemented here), fed with the batch's
        arrays and each pair's estimation-window residuals, re-gathered from ``returns``. Memory per
        group: O(N·(M + C)) floats for N pairs whose estimation windows span C sessions.
        """
        from eventstudy.inference.aggregate import aggregate

        wins = tuple(tuple(w) for w in (windows or (self.window,)))
        for lo, hi in wins:
            if not self.window[0] <= lo <= hi <= self.window[1]:
                raise EstimationError(f"CAR window {[lo, hi]} is not inside the event window "
                                      f"{list(self.window)}")
        studied = self.studied
        if by is None:
            groups: dict[Hashable, np.ndarray] = {None: np.flatnonzero(studied)}
        else:
            if by not in self.pairs.columns:
                raise EventsFileError(f"pairs has no column {by!r} to group by")
            labels = self.pairs[by].to_numpy()
            groups = {g: np.flatnonzero(studied & (labels == g))
                      for g in pd.unique(labels[studied])}
        out = {g: aggregate(self._pair_arrays(rows, wins, g), bootstrap=bootstrap, seed=seed)
               for g, rows in groups.items()}
        return out[None] if by is None else out

    def _pair_arrays(self, rows: np.ndarray, windows: tuple[Window, ...], group: Hashable
                     ) -> PairArrays:
        """The inputs of :func:`eventstudy.inference.aggregate.aggregate` for the pairs at
        ``rows``."""
        from eventstudy.inference.aggregate import PairArrays

        if self.returns is None:
            raise EstimationError("this BatchResult has no returns frame to aggregate from")
        values = np.ascontiguousarray(self.returns.to_numpy(np.float64, na_value=np.nan).T)
        index = self.returns.index
        pairs = self.pairs.iloc[rows]
        s = self.returns.columns.get_indexer(pd.Index(pairs["security"]))
        b = (self.returns.columns.get_indexer(pd.Index(pairs["benchmark"]))
             if self.model != "constant-mean" else s)
        d = index.get_indexer(pd.DatetimeIndex(pd.to_datetime(pairs["day0"])))
        est = self.estimation.iloc[rows]
        alpha, beta = est["alpha"].to_numpy(float), est["beta"].to_numpy(float)
        sigma = est["sigma"].to_numpy(float)
        n_obs = est["n_obs"].to_numpy(float)
        est_len = self.estimation_window[1] - self.estimation_window[0] + 1
        start = d + self.estimation_window[0]
        r_est = _window(values, s, start, est_len)
        if self.model == "constant-mean":
            resid = r_est - alpha[:, None]
        else:
            m_est = _window(values, b, start, est_len)
            resid = r_est - m_est if self.model == "market-adjusted" else (
                r_est - alpha[:, None] - beta[:, None] * m_est)
        # by date, from the first row any window holds (a window may start before row 0)
        lo = max(int(start.min()), 0) if rows.size else 0
        width = int((start + est_len).max()) - lo if rows.size else 0
        if rows.size * (width + est_len) > AGGREGATE_ELEMENTS:
            raise EstimationError(
                f"aggregating {rows.size} pairs whose estimation windows span {width} sessions "
                f"needs {rows.size * (width + est_len) * 8 / 2**30:.1f} GB of residuals; "
                "aggregate by a finer column of pairs (by=...) or a subsample")
        by_date = np.full((rows.size, width), np.nan)
        at = (start - lo)[:, None] + np.arange(est_len)
        if (start < 0).any():  # offsets before row 0: nothing to place there
            held = at >= 0
            by_date[np.nonzero(held)[0], at[held]] = resid[held]
        else:
            np.put_along_axis(by_date, at, resid, axis=1)
        ar = self.ar.to_numpy()[rows]
        length = ar.shape[1]
        valid = ~np.isnan(ar)
        m_win = (np.where(valid, _window(values, b, d + self.window[0], length), 0.0)
                 if self.model == "market" else np.zeros_like(ar))
        offsets = self.ar.columns.to_numpy()
        car = np.full((rows.size, len(windows)), np.nan)
        car_se = np.full((rows.size, len(windows)), np.nan)
        for j, (w0, w1) in enumerate(windows):
            sel = (offsets >= w0) & (offsets <= w1)
            s_n = valid[:, sel].sum(axis=1)
            car[:, j] = np.where(s_n > 0, np.where(valid[:, sel], ar[:, sel], 0.0).sum(axis=1),
                                 np.nan)
            var = kernel.car_variance(sigma**2, self.k, n_obs, est["mean_m"].to_numpy(float),
                                      est["sxx"].to_numpy(float), s_n,
                                      m_win[:, sel].sum(axis=1))
            car_se[:, j] = np.sqrt(var)
        label = "" if group is None else str(group)
        return PairArrays(
            offsets=offsets, ar=ar, se=self.se.to_numpy()[rows], windows=windows,
            car=car, car_se=car_se, df=est["df"].to_numpy(float), sigma=sigma,
            k=np.full(rows.size, float(self.k)),
            estimation_offsets=np.arange(self.estimation_window[0],
                                         self.estimation_window[1] + 1),
            estimation_ar=resid, residuals=by_date,
            day0=index.to_numpy()[d].astype("datetime64[D]"),
            residual_dates=index.to_numpy()[lo:lo + width].astype("datetime64[D]"),
            keys=tuple((label, str(x)) for x in pairs.index),
        )


def batch(
    returns: pd.DataFrame,
    pairs: pd.DataFrame,
    *,
    estimation: Window = (-250, -11),
    window: Window = (-10, 10),
    model: str = "market",
    min_estimation: int = 60,
    require_full_window: bool = False,
    chunk_size: int = 4_096,
    threads: int | None = None,
) -> BatchResult:
    """Event studies of many pairs on one returns frame, vectorised (contract "Library API").

    Parameters
    ----------
    returns : pd.DataFrame
        Index: trading sessions (sorted, unique DatetimeIndex); columns: tickers; values:
        returns (log or simple, as the caller chose), NaN where missing.
    pairs : pd.DataFrame
        Columns ``security``, ``benchmark`` (tickers among ``returns``' columns; the
        benchmark is not needed by the constant-mean model) and ``day0`` (a session of the
        index). Its index labels the pairs.
    estimation, window : (int, int)
        Inclusive offsets, in rows of ``returns``, of the estimation and event windows
        relative to day 0. The estimation window must end before the event window starts.
    model : {"market", "constant-mean", "market-adjusted"}
    min_estimation : int
        Pairs with fewer usable estimation returns are excluded (default 60, the events
        file's default). A model also needs M − k − 2 > 0.
    require_full_window : bool
        The strict sample rule (the events file's ``full_estimation = true``): exclude a pair
        whose estimation window starts before the first row of ``returns`` or before the
        first price of its security or benchmark, taken as the row before the column's first
        return. Default False: the estimation sample is the returns that exist inside the
        window, and only fewer than ``min_estimation`` of them exclude the pair.
    chunk_size : int
        Pairs whose event windows are processed at once; bounds the working memory (a few
        arrays of ``chunk_size`` × L floats, best kept within the CPU's cache).
    threads : int or None
        Threads sharing the work (default None: ``min(2, os.cpu_count())`` from
        :data:`THREAD_MIN_PAIRS` pairs on, 1 below; 1: all on the calling thread). The
        blocks of combos and the chunks of pairs are independent tasks, each writing its own
        rows of the results, and numpy releases the GIL inside array operations, so they
        overlap; the results are bit-identical whatever ``threads``. Working memory grows by
        one block's buffers and one chunk's arrays per thread.

    Returns
    -------
    BatchResult

    Raises
    ------
    EstimationError
        Unknown model, invalid windows, ``min_estimation``, ``chunk_size`` or ``threads``.
    PriceDataError
        ``returns`` is not a frame of sessions × tickers.
    EventsFileError
        ``pairs`` lacks a required column or has a ``day0`` that is not a date.

    Notes
    -----
    Per pair, with the estimation sample of M usable rows (kernel.py has the formulas):
    AR_τ = R_τ − α̂ − β̂ R_mτ; Var(AR_τ) = σ̂²[1 + 1/M + (R_mτ − R̄_m)²/S_xx];
    CAR = Σ AR_τ over the valid days; Var(CAR) = σ̂²[S_n + S_n²/M + (ΣR_mτ − S_n R̄_m)²/S_xx];
    σ̂² = SSR/(M − k); t = CAR/se with M − k df. Constant mean: σ̂²(n + n²/M), k = 1;
    market-adjusted: σ̂² = ΣAR²/M, Var = σ̂² n, k = 0.

    The estimation sample is the rows of the window where the returns exist: a window that
    starts before the first row of ``returns``, or before a listing (NaN returns before the
    first price), or holds an outage, is summed over the rows that remain (M counts them).
    A pair is excluded, with its reason in ``.excluded`` and NaN rows elsewhere, when a
    ticker is not a column, day 0 is not in the index, the event window falls off the data,
    it has fewer than ``min_estimation`` usable estimation returns, zero benchmark or
    residual variance, no return in the event window, or (``require_full_window``) its
    estimation window starts before the data.

    References
    ----------
    .. [1] Campbell, J., Lo, A. and MacKinlay, A. C. (1997) *The Econometrics of Financial
       Markets*, Princeton University Press, §4.4.
    """
    est, win = _check_settings(estimation, window, model, min_estimation, chunk_size)
    n_threads = _check_threads(threads, len(pairs) if isinstance(pairs, pd.DataFrame) else 0)
    k = kernel.K[model]
    needs_benchmark = model != "constant-mean"
    values, index = _returns_matrix(returns)
    s, b, d = _resolve(returns, pairs, needs_benchmark)
    if not needs_benchmark:
        b = s
    n_pairs, n_rows = len(pairs), values.shape[1]
    length = win[1] - win[0] + 1

    code = np.zeros(n_pairs, np.int8)
    if require_full_window:
        code[_starts_late(values, s, b, d, est[0], needs_benchmark)] = _PARTIAL
    code[(d + win[0] >= 0) & (d + win[1] >= n_rows)] = _AFTER
    code[(d >= 0) & (d + win[0] < 0)] = _BEFORE
    code[d < 0] = _NO_DAY0
    if needs_benchmark:
        code[b < 0] = _NO_BENCHMARK
    code[s < 0] = _NO_SECURITY

    out = _Outputs(n_pairs, length)
    ok = code == _OK
    if ok.any():
        jit = _jit_module()
        with _Runner(n_threads) as runner:
            if jit is not None:
                _compiled(jit, values, s, b, d, ok, est, win, model,
                          max(min_estimation, k + 3), out, code, runner)
            else:
                sums, at = _estimate(values, s, b, d, ok, est, model, runner)
                _event_window(values, s, b, d, sums, at, win, model,
                              max(min_estimation, k + 3), chunk_size, out, code, runner)
    out.clear(np.flatnonzero(code != _OK))
    return _result(out, code, pairs, index, est, win, model, k, min_estimation, s, b, d,
                   values, returns, n_threads)


def _first_rows(values: FloatArray, columns: np.ndarray) -> np.ndarray:
    """Row of the first return of each of ``columns`` (the number of rows when none).

    Each distinct column is scanned once, however many pairs name it.
    """
    distinct, inverse = np.unique(columns, return_inverse=True)
    valid = ~np.isnan(values[distinct])
    first = np.where(valid.any(axis=1), valid.argmax(axis=1), values.shape[1])
    return first[inverse]


def _starts_late(values: FloatArray, s: np.ndarray, b: np.ndarray, d: np.ndarray, est0: int,
                 needs_benchmark: bool) -> np.ndarray:
    """The pairs whose estimation window starts before the data (``require_full_window``).

    That is before row 0, or before the first price of the security or the benchmark: the
    row before the column's first return, as the per-event path's strict rule (the first
    price on or before the window's first session) reads it.
    """
    start = d + est0
    late = start < 0
    for col in (s, b) if needs_benchmark else (s,):
        known = col >= 0
        first = np.full(col.size, 0, np.int64)
        first[known] = _first_rows(values, col[known])
        late |= known & (first - 1 > start)
    return late


def _jit_module() -> Any:
    """The compiled kernels (:mod:`eventstudy.estimation._jit`), or None for the numpy path.

    :data:`ENGINE` chooses: "auto" (numba when importable), "numba" (required) or "numpy".
    numba is imported here, on the first batch, never at ``import eventstudy``.
    """
    if ENGINE == "numpy":
        return None
    module = _load_jit()
    if module is None and ENGINE == "numba":
        raise EstimationError("ENGINE = 'numba' but numba is not importable; pip install numba "
                              "or set eventstudy.study.batch.ENGINE = 'auto'")
    return module


@functools.cache
def _load_jit() -> Any:
    try:
        from eventstudy.estimation import _jit
    except ImportError:
        return None
    return _jit


def _compiled(jit: Any, values: FloatArray, s: np.ndarray, b: np.ndarray, d: np.ndarray,
              ok: np.ndarray, est: Window, win: Window, model: str, min_obs: int,
              out: _Outputs, code: np.ndarray, runner: _Runner) -> None:
    """Estimation, fit and event window of the ``ok`` pairs by the compiled kernels.

    The pairs are grouped by combo (a counting sort); the combos are cut in ranges of about
    equal work, ``runner``'s tasks, each a call of :func:`eventstudy.estimation._jit.combos` (which
    releases the GIL) writing the rows of its own pairs: the numbers do not depend on the
    threads. Same conventions and exclusions as :func:`_estimate` and :func:`_event_window`.
    """
    n_cols, n_rows = values.shape
    est_len = est[1] - est[0] + 1
    length = win[1] - win[0] + 1
    rows = np.flatnonzero(ok)
    inverse, combos = pd.factorize(s[rows] * n_cols + b[rows])
    order, starts = jit.group(np.asarray(inverse, np.int64), combos.size)
    pair_rows = rows[order]
    combos = np.asarray(combos, np.int64)
    combo_s, combo_b = combos // n_cols, combos % n_cols
    counts = np.diff(starts)
    cost = np.cumsum(np.minimum(counts * est_len, n_rows) + counts * 4 * length)
    n_tasks = 1 if runner.threads == 1 else 4 * runner.threads
    edges = np.unique(np.concatenate((
        [0], np.searchsorted(cost, cost[-1] * np.arange(1, n_tasks) / n_tasks), [combos.size])))
    kind = {"market": jit.MARKET, "constant-mean": jit.CONSTANT_MEAN,
            "market-adjusted": jit.MARKET_ADJUSTED}[model]

    def task(i: int) -> None:
        jit.combos(values, combo_s, combo_b, pair_rows, starts, int(edges[i]),
                   int(edges[i + 1]), d, est[0], est_len, win[0], length, kind, kernel.K[model],
                   min_obs, DIRECT_RATIO, out.n_obs, out.alpha, out.beta, out.sigma2,
                   out.mean_m, out.sxx, out.r2, out.ar, out.se, out.car, out.car_var,
                   out.n_days, code)

    runner.map(task, range(edges.size - 1))


class _Runner:
    """Runs independent tasks on the calling thread (threads = 1) or on a pool of threads.

    Every task writes its own disjoint rows of preallocated arrays, and its arithmetic does
    not depend on the thread that runs it nor on the order of the tasks, so the results are
    bit-identical whatever the number of threads. numpy releases the GIL inside its array
    operations: the tasks overlap. The pool starts on the first map of two tasks or more.
    """

    def __init__(self, threads: int) -> None:
        self.threads = threads
        self._pool: ThreadPoolExecutor | None = None

    def __enter__(self) -> _Runner:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def map(self, task: Callable[[Any], None], items: Iterable[Any]) -> None:
        """``task(item)`` for every item; returns when all are done (re-raises an error)."""
        items = list(items)
        if self.threads == 1 or len(items) < 2:
            for item in items:
                task(item)
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="eventstudy")
        for _ in self._pool.map(task, items):
            pass


class _Scratch:
    """Scratch buffers lent to the running tasks: at most one per thread is ever made."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make = make
        self._free: queue.SimpleQueue[Any] = queue.SimpleQueue()

    @contextlib.contextmanager
    def __call__(self) -> Iterator[Any]:
        try:
            item = self._free.get_nowait()
        except queue.Empty:
            item = self._make()
        try:
            yield item
        finally:
            self._free.put(item)


class _Outputs:
    """The result arrays, in the caller's order of pairs.

    Every row is written once: the estimation fields by :func:`_estimate` (NaN for the pairs
    it excludes), the event-window fields by :func:`_event_window`, and the rows of pairs
    excluded before estimation by :meth:`clear`.
    """

    def __init__(self, n_pairs: int, length: int) -> None:
        self.ar = np.empty((n_pairs, length))
        self.se = np.empty((n_pairs, length))
        self.car = np.empty(n_pairs)
        self.car_var = np.empty(n_pairs)
        self.n_days = np.empty(n_pairs, np.int64)
        self.n_obs = np.zeros(n_pairs, np.int64)
        self.alpha = np.empty(n_pairs)
        self.beta = np.empty(n_pairs)
        self.sigma2 = np.empty(n_pairs)
        self.mean_m = np.empty(n_pairs)
        self.sxx = np.empty(n_pairs)
        self.r2 = np.empty(n_pairs)

    def estimates(self) -> tuple[FloatArray, ...]:
        """The estimation fields that are NaN on an excluded pair."""
        return self.alpha, self.beta, self.sigma2, self.mean_m, self.sxx, self.r2

    def clear(self, rows: np.ndarray) -> None:
        """NaN rows (zero days in the window) for the excluded pairs."""
        for x in (self.ar, self.se, self.car, self.car_var, *self.estimates()):
            x[rows] = np.nan
        self.n_days[rows] = 0


def _check_settings(estimation: Window, window: Window, model: str, min_estimation: int,
                    chunk_size: int) -> tuple[Window, Window]:
    if model not in kernel.K:
        raise EstimationError(f"model '{model}' is not available in batch; choose one of "
                              f"{', '.join(kernel.K)}")
    est: list[int] = []
    for name, w in (("estimation", estimation), ("window", window)):
        try:
            lo, hi = (int(x) for x in w)
        except (TypeError, ValueError):
            raise EstimationError(f"{name} = {w!r}: give two integer offsets (start, end)"
                                  ) from None
        if lo > hi:
            raise EstimationError(f"{name} = {list(w)}: the start must not follow the end")
        est.extend((lo, hi))
    if est[1] >= est[2]:
        raise EstimationError(
            f"estimation window {est[:2]} overlaps or follows the event window {est[2:]}; "
            f"the estimation window must end before offset {est[2]}")
    if int(min_estimation) < 1:
        raise EstimationError(f"min_estimation = {min_estimation}: must be a positive integer")
    if int(chunk_size) < 1:
        raise EstimationError(f"chunk_size = {chunk_size}: must be a positive integer")
    return (est[0], est[1]), (est[2], est[3])


def _check_threads(threads: int | None, n_pairs: int) -> int:
    if threads is None:
        return max(1, min(2, os.cpu_count() or 1)) if n_pairs >= THREAD_MIN_PAIRS else 1
    if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)) or threads < 1:
        raise EstimationError(f"threads = {threads!r}: give a positive integer (1: no extra "
                              "threads) or None for the default")
    return int(threads)


def _returns_matrix(returns: pd.DataFrame) -> tuple[FloatArray, pd.DatetimeIndex]:
    """The returns as a (tickers × sessions) C-contiguous float64 array, non-finite → NaN.

    A float64 frame stores its columns this way already: no copy is made then.
    """
    if not isinstance(returns, pd.DataFrame):
        raise PriceDataError("returns: expected a DataFrame (sessions × tickers), got "
                             f"{type(returns).__name__}")
    index = returns.index
    if not isinstance(index, pd.DatetimeIndex):
        raise PriceDataError("returns: the index must be a DatetimeIndex of trading sessions")
    if not (index.is_monotonic_increasing and index.is_unique):
        raise PriceDataError("returns: the index must hold sorted, unique sessions; sort it "
                             "and drop duplicated dates")
    if not returns.columns.is_unique:
        dup = returns.columns[returns.columns.duplicated()][0]
        raise PriceDataError(f"returns: ticker {dup!r} is a column more than once")
    try:
        values = np.ascontiguousarray(returns.to_numpy(dtype=np.float64, na_value=np.nan).T)
    except (TypeError, ValueError):
        raise PriceDataError("returns: values must be numeric (NaN where missing)") from None
    if np.isinf(values).any():
        values = np.where(np.isfinite(values), values, np.nan)
    return values, index


def _resolve(returns: pd.DataFrame, pairs: pd.DataFrame, needs_benchmark: bool
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Column positions of security and benchmark, row position of day 0 (−1: unknown)."""
    if not isinstance(pairs, pd.DataFrame):
        raise EventsFileError(f"pairs: expected a DataFrame, got {type(pairs).__name__}")
    required = ("security", "benchmark", "day0") if needs_benchmark else ("security", "day0")
    missing = [c for c in required if c not in pairs.columns]
    if missing:
        raise EventsFileError(f"pairs: missing column(s) {', '.join(missing)}; give "
                              "security, benchmark and day0")
    columns = returns.columns
    s = columns.get_indexer(pd.Index(pairs["security"]))
    b = (columns.get_indexer(pd.Index(pairs["benchmark"])) if needs_benchmark
         else np.full(len(pairs), -1))
    try:
        day0 = pd.DatetimeIndex(pd.to_datetime(pairs["day0"]))
    except (TypeError, ValueError) as exc:
        raise EventsFileError(f"pairs: day0 must hold dates ({exc})") from None
    index = returns.index
    if (day0.tz is None) != (index.tz is None):
        raise EventsFileError("pairs: day0 and the index of returns must both be time-zone "
                              "naive or both aware")
    d = index.get_indexer(day0)
    return (s.astype(np.int64, copy=False), b.astype(np.int64, copy=False),
            d.astype(np.int64, copy=False))


# --- estimation: sums over each pair's estimation window, then the fit --------------------

def _estimate(values: FloatArray, s: np.ndarray, b: np.ndarray, d: np.ndarray,
              ok: np.ndarray, est: Window, model: str, runner: _Runner
              ) -> tuple[FloatArray, np.ndarray]:
    """The estimation sums of the pairs where ``ok`` is True, and where each pair's row is.

    Returns ``sums`` (rows × (fields + 2 centres)) and ``at``, the row of ``sums`` of each
    pair; the pairs not ``ok`` share the last row (n = 0, NaN sums). A combo with few pairs
    (their estimation windows cover fewer rows than the index) gets the direct path: its
    pairs' estimation windows are gathered and summed exactly. The others get prefix sums
    (:func:`_block_sums`), a block of combos at a time (:data:`BLOCK_BYTES`) with their
    pairs grouped by block: memory stays flat. The rows are written in the order they are
    computed (contiguous); the event-window pass gathers them in the pairs' order. The steps
    of the direct path and the blocks are ``runner``'s tasks, each with its own rows of
    ``sums`` (and its own workspace).
    """
    n_cols, n_rows = values.shape
    est_len = est[1] - est[0] + 1
    rows = np.flatnonzero(ok)
    sums = np.empty((rows.size + 1, _FIELDS[model] + 2))
    sums[-1] = np.nan
    sums[-1, 0] = 0.0
    at = np.full(s.size, rows.size, np.int64)
    every = rows.size == s.size  # then rows is 0, 1, ...: no indirection
    if not every:
        s, b, d = s[rows], b[rows], d[rows]
    start = d + est[0]  # may be negative: the rows before 0 do not exist (no return)
    hi = np.maximum(start + est_len, 0)
    inverse, combos = pd.factorize(s * n_cols + b)
    counts = np.bincount(inverse, minlength=combos.size)
    direct = counts * est_len <= DIRECT_RATIO * n_rows

    on_direct = np.flatnonzero(direct[inverse])
    at[on_direct if every else rows[on_direct]] = np.arange(on_direct.size)
    step = max(1, DIRECT_ELEMENTS // est_len)

    def direct_step(p0: int) -> None:
        sel = on_direct[p0:p0 + step]
        sums[p0:p0 + sel.size] = _direct_sums(values, s[sel], b[sel], start[sel], est_len,
                                              model).T

    runner.map(direct_step, range(0, on_direct.size, step))
    filled = on_direct.size

    running = np.flatnonzero(~direct)
    if not running.size:
        return sums, at
    # combo rank and end of each pair in one integer: one gather after the sort by block
    if running.size == combos.size:  # no direct combo: the ranks are the combo codes
        picked = np.arange(inverse.size)
        packed = inverse * (n_rows + 1)
        packed += hi
    else:
        rank = np.full(combos.size, -1, np.int64)
        rank[running] = np.arange(running.size)
        pair_rank = rank[inverse]
        picked = np.flatnonzero(pair_rank >= 0)
        packed = pair_rank[picked] * (n_rows + 1) + hi[picked]
    per_block = max(1, BLOCK_BYTES // (n_rows * _DENSE[model] * 8))
    n_blocks = (running.size - 1) // per_block + 1
    starts = np.zeros(n_blocks + 1, np.int64)
    if n_blocks > 1:
        block = packed // (per_block * (n_rows + 1))
        small = np.uint16 if n_blocks <= np.iinfo(np.uint16).max else np.int64
        order = np.argsort(block.astype(small), kind="stable")  # by block, then pair
        picked, packed = picked[order], packed[order]
        np.cumsum(np.bincount(block, minlength=n_blocks), out=starts[1:])
    else:
        starts[1] = picked.size
    at[picked if every else rows[picked]] = np.arange(filled, filled + picked.size)
    edges = np.arange(n_blocks + 1) * per_block
    edges[-1] = running.size
    combo_s, combo_b = combos[running] // n_cols, combos[running] % n_cols
    bench = _Benchmarks(values, np.unique(combo_b)) if model == "market" else None
    workspace = _Scratch(lambda: _Workspace(min(per_block, running.size), n_rows,
                                            _DENSE[model]))

    def block(i: int) -> None:
        c0, c1 = int(edges[i]), int(edges[i + 1])
        p0, p1 = int(starts[i]), int(starts[i + 1])
        combo, end = np.divmod(packed[p0:p1], n_rows + 1)
        combo -= c0
        with workspace() as work:
            sums[filled + p0:filled + p1] = _block_sums(
                values, combo_s[c0:c1], combo_b[c0:c1], model, combo,
                np.maximum(end - est_len, 0), end, bench, work).T

    runner.map(block, range(n_blocks))
    return sums, at


class _Workspace:
    """Buffers for the blocks of combos, allocated once (fresh memory costs page faults)."""

    def __init__(self, n_combos: int, n_rows: int, n_fields: int) -> None:
        self.group = group = PREFIX_GROUP
        self.padded = (n_rows // group + 1) * group  # beyond the last bound, q = n_rows
        self.fields = np.empty(n_fields * n_combos * self.padded)
        self.within = np.empty(n_fields * n_combos * self.padded // group * (group + 1))
        self.r = np.empty((n_combos, n_rows))
        self.invalid = np.empty((n_combos, n_rows), bool)

    def take(self, n_fields: int, n_combos: int) -> tuple[FloatArray, FloatArray]:
        """The fields (fields, combos, padded rows) and the within-group sums (flat)."""
        size = n_fields * n_combos * self.padded
        return (self.fields[:size].reshape(n_fields, n_combos, self.padded),
                self.within[:size // self.group * (self.group + 1)])


class _Benchmarks:
    """Running sums of the benchmarks' returns, each centred on its mean (market model).

    ``prefix`` holds, per benchmark and row q, the number of benchmark returns before q and
    the sums of m' = m − c_m and m'² over them (one flat row per quantity).
    """

    def __init__(self, values: FloatArray, columns: np.ndarray) -> None:
        n_rows = values.shape[1]
        self.where = np.full(values.shape[0], -1, np.int64)
        self.where[columns] = np.arange(columns.size)
        m = values[columns]
        self.valid = ~np.isnan(m)
        self.holes = ~self.valid.all(axis=1)
        count = self.valid.sum(axis=1)
        m[~self.valid] = 0.0
        self.centre = m.sum(axis=1) / np.maximum(count, 1)
        m -= self.centre[:, None]
        m[~self.valid] = 0.0
        self.m = m
        self.mm = m * m
        prefix = np.zeros((3, columns.size, n_rows + 1))
        np.cumsum(self.valid, axis=1, out=prefix[0, :, 1:])
        np.cumsum(self.m, axis=1, out=prefix[1, :, 1:])
        np.cumsum(self.mm, axis=1, out=prefix[2, :, 1:])
        self.prefix = prefix.reshape(3, -1)


def _direct_sums(values: FloatArray, s: np.ndarray, b: np.ndarray, start: np.ndarray,
                 length: int, model: str) -> FloatArray:
    """The estimation sums of each pair from its gathered window (the exact, O(M) path).

    Same fields, and centres below them, as :func:`_block_sums`, with each pair's own means
    as centres.
    """
    r = _window(values, s, start, length)
    m = None if model == "constant-mean" else _window(values, b, start, length)
    valid = ~np.isnan(r) if m is None else ~(np.isnan(r) | np.isnan(m))
    n_fields = _FIELDS[model]
    w = np.zeros((n_fields + 2, s.size))
    centres = w[n_fields:]
    w[0] = valid.sum(axis=1)
    if model == "market-adjusted":
        assert m is not None
        dev = np.where(valid, r - m, 0.0)
        r0 = np.where(valid, r, 0.0)
        w[1] = np.einsum("ij,ij->i", dev, dev)
        w[2] = np.einsum("ij,ij->i", r0, r0)
        return w
    count = np.maximum(w[0], 1.0)
    centres[0] = np.where(valid, r, 0.0).sum(axis=1) / count
    r0 = np.where(valid, r - centres[0][:, None], 0.0)
    w[1] = r0.sum(axis=1)
    if m is None:
        w[2] = np.einsum("ij,ij->i", r0, r0)
        return w
    centres[1] = np.where(valid, m, 0.0).sum(axis=1) / count
    m0 = np.where(valid, m - centres[1][:, None], 0.0)
    w[2] = m0.sum(axis=1)
    w[3] = np.einsum("ij,ij->i", r0, m0)
    w[4] = np.einsum("ij,ij->i", m0, m0)
    w[5] = np.einsum("ij,ij->i", r0, r0)
    return w


def _block_sums(values: FloatArray, cs: np.ndarray, cb: np.ndarray, model: str,
                combo: np.ndarray, lo: np.ndarray, hi: np.ndarray, bench: _Benchmarks | None,
                work: _Workspace) -> FloatArray:
    """Estimation sums over rows [lo, hi) of each pair of a block of combos.

    Returns the fields × pairs, then the centres c_r and c_m. Fields: market, count, r', m',
    r'm', m'², r'² with r' = r − c_r, m' = m − c_m; constant-mean, count, r', r'²;
    market-adjusted, count, (r − m)², r² (raw: nothing is estimated, and squares do not
    cancel). c_r is the security's mean over the combo's usable rows, c_m the benchmark's
    over its returns.

    Notes
    -----
    Only the security side is summed per combo: the usable-row indicator, r', r'm' and r'²
    (market; zero on the rows where r or m is missing), by :func:`_prefix_sums`. The
    benchmark's m' and m'² are summed once per benchmark (:class:`_Benchmarks`, over its own
    returns) and corrected exactly for the rows where only the security's return is missing:
    those rows, in order, form a short list with running sums of m' and m'²; the number of
    them before row q is C_m(q) − C(q), the benchmark's returns before q less the combo's
    usable rows, so the correction is two lookups as well.
    """
    n_rows = values.shape[1]
    nc = cs.size
    n_fields = _FIELDS[model]
    dense = _DENSE[model]
    fields, within = work.take(dense, nc)
    fields[:, :, n_rows:] = 0.0
    f = fields[:, :, :n_rows]
    w = np.zeros((n_fields + 2, combo.size))
    r = np.take(values, cs, axis=0, out=work.r[:nc], mode="clip")  # scratch (unbuffered)
    invalid = np.isnan(r, out=work.invalid[:nc])
    r_missing = invalid
    m_valid = None
    if model == "market":
        assert bench is not None
        j = bench.where[cb]
        pick = j[:1] if (j == j[0]).all() else j  # one benchmark: broadcast its row
        if bench.holes[pick].any():
            m_valid = bench.valid[pick]
            invalid = invalid | ~m_valid
    elif model == "market-adjusted":
        m = values[cb[:1]] if (cb == cb[0]).all() else values[cb]
        invalid = invalid | np.isnan(m)
    np.logical_not(invalid, out=f[0])
    np.copyto(r, 0.0, where=invalid)
    if model == "market-adjusted":
        np.subtract(r, m, out=f[1])
        np.copyto(f[1], 0.0, where=invalid)
        np.multiply(f[1], f[1], out=f[1])
        np.multiply(r, r, out=f[2])
    else:
        n_usable = f[0].sum(axis=1)
        c_r = r.sum(axis=1) / np.maximum(n_usable, 1.0)
        np.subtract(r, c_r[:, None], out=f[1])
        np.copyto(f[1], 0.0, where=invalid)
        if model == "constant-mean":
            np.multiply(f[1], f[1], out=f[2])
        else:
            np.multiply(f[1], bench.m[pick], out=f[2])
            np.multiply(f[1], f[1], out=f[3])
        w[n_fields] = c_r[combo]
    del r, f

    s_lo, s_hi = _prefix_sums(fields, combo, lo, hi, within)
    np.subtract(s_hi[0], s_lo[0], out=w[0])
    if model != "market":
        np.subtract(s_hi[1:], s_lo[1:], out=w[1:n_fields])
        return w

    assert bench is not None
    for into, f in ((1, 1), (3, 2), (5, 3)):
        np.subtract(s_hi[f], s_lo[f], out=w[into])
    # rows where only the security's return is missing: their m' and m'² come out again
    at_gap = np.flatnonzero(r_missing if m_valid is None else r_missing & m_valid)
    g_bench = pick[0] if pick.size == 1 else pick[at_gap // n_rows]
    g_flat = g_bench * n_rows + at_gap % n_rows
    gaps = np.zeros((2, at_gap.size + 1))
    np.cumsum(bench.m.reshape(-1).take(g_flat), out=gaps[0, 1:])
    np.cumsum(bench.mm.reshape(-1).take(g_flat), out=gaps[1, 1:])
    # the gaps before row q of combo c: those of the combos before c, plus C_m(q) − C(q)
    jp = bench.where[cb] * (n_rows + 1)
    gap_total = bench.prefix[0].take(jp + n_rows) - n_usable
    before = (np.cumsum(gap_total) - gap_total)[combo]
    jp = jp[combo]
    g_lo = (before + bench.prefix[0].take(jp + lo) - s_lo[0]).astype(np.int64)
    g_hi = (before + bench.prefix[0].take(jp + hi) - s_hi[0]).astype(np.int64)
    for quantity, into in ((1, 2), (2, 4)):
        np.subtract(bench.prefix[quantity].take(jp + hi), bench.prefix[quantity].take(jp + lo),
                    out=w[into])
        w[into] -= gaps[quantity - 1].take(g_hi) - gaps[quantity - 1].take(g_lo)
    w[7] = bench.centre[bench.where[cb]][combo]
    return w


def _prefix_sums(fields: FloatArray, combo: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                 within: FloatArray | None = None) -> tuple[FloatArray, FloatArray]:
    """S(lo) and S(hi) of each field for each pair: the sums over its combo's rows before.

    ``fields`` is (fields, combos, rows), the rows padded with zeros to a multiple of
    :data:`PREFIX_GROUP` beyond the last bound; ``within`` a buffer of as many values times
    (g + 1)/g. Returns two arrays (fields, pairs).

    Notes
    -----
    Two levels: the rows are cut in groups of g = :data:`PREFIX_GROUP`; one matrix product
    with a strictly upper triangular matrix of ones (plus a column of ones) gives the sums
    within each group before every row, and each group's total; the running sum of the
    group totals (g times fewer values than rows) gives the sums before each group. Then
    S(q) = Σ_{groups before q} + Σ_{rows of q's group before q}. A matrix product of 0/1
    entries is exact, so the counts are exact integers; the running sums restart at each
    combo, so the rounding error of a sum is that of its own combo's magnitudes.
    """
    n_fields, nc, padded = fields.shape
    group = PREFIX_GROUP
    n_groups = padded // group
    a = fields.reshape(-1, group)
    within = (np.empty((a.shape[0], group + 1)) if within is None
              else within.reshape(-1, group + 1))
    # in pieces that OpenBLAS runs on one thread (m·n·k under its 4 · 65536): on a shared
    # machine a second thread waiting for a busy core costs more than it saves
    step = max(1, 4 * 65536 // (group * (group + 1)) - 1)
    for i in range(0, a.shape[0], step):
        np.matmul(a[i:i + step], _upper(group), out=within[i:i + step])
    within = within.reshape(n_fields, nc, n_groups, group + 1)
    before = np.empty((n_fields, nc, n_groups))
    before[:, :, 0] = 0.0
    np.cumsum(within[:, :, :-1, group], axis=2, out=before[:, :, 1:])
    dense = combo.size * 16 > nc * padded  # many pairs: S at every row, then one lookup
    if dense:
        within[..., :group] += before[..., None]
    before = before.reshape(n_fields, -1)
    within = within.reshape(n_fields, -1)
    out = []
    for q in (lo, hi):
        g = combo * n_groups + q // group
        at = g * (group + 1) + q % group
        s = np.empty((n_fields, combo.size))
        for f in range(n_fields):
            if dense:
                within[f].take(at, out=s[f])
            else:
                np.add(before[f].take(g), within[f].take(at), out=s[f])
        out.append(s)
    return out[0], out[1]


@functools.cache
def _upper(group: int) -> FloatArray:
    """g × (g + 1): ones above the diagonal, and a last column of ones (the group's total)."""
    upper = np.triu(np.ones((group, group + 1)), 1)
    upper[:, group] = 1.0
    return upper


def _window(values: FloatArray, col: np.ndarray, start: np.ndarray, length: int) -> FloatArray:
    """The ``length`` consecutive returns of column ``col`` from row ``start``, per pair.

    A ``start`` before row 0 gives NaN on the rows before it (no returns there).
    """
    early = start < 0
    if not early.any():
        return sliding_window_view(values, length, axis=1)[col, start]
    rows = start[:, None] + np.arange(length)
    out = values[col[:, None], np.maximum(rows, 0)]
    out[rows < 0] = np.nan
    return out


def _fit(w: FloatArray, model: str, min_obs: int
         ) -> tuple[FloatArray, tuple[FloatArray, ...], np.ndarray]:
    """The fit of each pair from its row of estimation sums ``w``.

    Returns n (M), the estimates (alpha, beta, σ̂², mean_m, S_xx, R²; NaN where excluded) and
    the exclusion code of each pair (_OK, _FEW, _FLAT_M or _FLAT_R).
    """
    k = kernel.K[model]
    n = w[:, 0]
    c_r, c_m = w[:, -2], w[:, -1]
    nan = np.full(n.size, np.nan)
    if model == "market":
        fit = kernel.market_model(n, w[:, 1], w[:, 2], w[:, 3], w[:, 4], w[:, 5], c_r, c_m)
        alpha, beta, ssr, mean_m, sxx = fit.alpha, fit.beta, fit.ssr, fit.mean_m, fit.sxx
        flat_m = kernel.zero_benchmark_variance(
            n, sxx, kernel.raw_square_sum(n, w[:, 2], w[:, 4], c_m))
        raw_rr = kernel.raw_square_sum(n, w[:, 1], w[:, 5], c_r)
        with np.errstate(invalid="ignore", divide="ignore"):
            r2 = np.where(fit.syy > 0, 1.0 - ssr / fit.syy, np.nan)
    elif model == "constant-mean":
        mean_fit = kernel.constant_mean(n, w[:, 1], w[:, 2], c_r)
        alpha, beta, ssr = mean_fit.mu, nan, mean_fit.ssr
        mean_m = sxx = r2 = nan
        flat_m = np.zeros(n.size, bool)
        raw_rr = kernel.raw_square_sum(n, w[:, 1], w[:, 2], c_r)
    else:
        alpha, beta, ssr = np.zeros(n.size), np.ones(n.size), w[:, 1]
        mean_m = sxx = r2 = nan
        flat_m = np.zeros(n.size, bool)
        raw_rr = w[:, 2]
    sig2 = kernel.sigma2(ssr, n, k)
    flat_r = kernel.zero_residual_variance(n, ssr, raw_rr)
    with np.errstate(invalid="ignore"):
        reason = np.where(~(n >= min_obs), _FEW, np.where(
            flat_m, _FLAT_M, np.where(flat_r, _FLAT_R, _OK))).astype(np.int8)
    estimates = (alpha, beta, sig2, mean_m, sxx, r2)
    bad = reason != _OK
    if bad.any():
        estimates = tuple(np.where(bad, np.nan, x) for x in estimates)
    return n, estimates, reason


# --- the event window, in the caller's order ------------------------------------------------

def _event_window(values: FloatArray, s: np.ndarray, b: np.ndarray, d: np.ndarray,
                  sums: FloatArray, at: np.ndarray, win: Window, model: str, min_obs: int,
                  chunk_size: int, out: _Outputs, code: np.ndarray, runner: _Runner) -> None:
    """Fit, AR, se, CAR and Var(CAR) of every pair, a chunk of pairs at a time.

    Runs over the pairs in the caller's order and writes each chunk's rows of the outputs in
    place (no reordering). Pairs excluded before estimation read a valid placeholder window
    (their rows are cleared afterwards); those excluded by the fit have NaN estimates, hence
    NaN rows. A pair left with no return in the window is excluded here. The chunks are
    ``runner``'s tasks: each writes only its own rows (of the outputs and of ``code``).
    """
    k = kernel.K[model]
    n_rows = values.shape[1]
    length = win[1] - win[0] + 1
    view = sliding_window_view(values, length, axis=1)
    start = d + win[0]
    placeholder = code != _OK  # excluded before estimation: any valid window will do
    if placeholder.any():
        s, b = np.where(placeholder, 0, s), np.where(placeholder, 0, b)
        np.clip(start, 0, n_rows - length, out=start)
    in_order = bool((at[:-1] < at[1:]).all()) and at.size == sums.shape[0] - 1
    buffer = _Scratch(lambda: np.empty((min(chunk_size, s.size), sums.shape[1])))

    def chunk(p0: int) -> None:
        if in_order:  # the rows of sums are the pairs, in order
            fill(p0, sums[p0:min(p0 + chunk_size, s.size)])
        else:  # the fit's n is a view of the rows: the buffer stays lent until the end
            with buffer() as w:
                pick = at[p0:p0 + chunk_size]
                fill(p0, np.take(sums, pick, axis=0, out=w[:pick.size], mode="clip"))

    def fill(p0: int, rows: FloatArray) -> None:
        part = slice(p0, p0 + chunk_size)
        n, estimates, reason = _fit(rows, model, min_obs)
        alpha, beta, sig2, mean_m, sxx, _ = estimates
        out.n_obs[part] = n
        for into, x in zip(out.estimates(), estimates, strict=True):
            into[part] = x
        ar, se = out.ar[part], out.se[part]
        r = view[s[part], start[part]]
        if model == "constant-mean":
            np.subtract(r, alpha[:, None], out=ar)
        else:
            m = view[b[part], start[part]]
            if model == "market-adjusted":
                np.subtract(r, m, out=ar)
            else:
                np.multiply(m, beta[:, None], out=ar)
                ar += alpha[:, None]
                np.subtract(r, ar, out=ar)
        invalid = np.isnan(ar)
        if model == "market":
            kernel.ar_variance(sig2[:, None], k, n[:, None], mean_m[:, None], sxx[:, None],
                               1.0, m, out=se)
        else:  # Var(AR) does not depend on R_m: one value per pair
            np.copyto(se, kernel.ar_variance(sig2, k, n, mean_m, sxx, 1.0, 0.0)[:, None])
        np.copyto(se, np.nan, where=invalid)
        np.sqrt(se, out=se)
        # row sums by einsum, not a matrix-vector product: OpenBLAS would run that on two
        # threads, too many beside the pool's
        np.logical_not(invalid, out=r)
        n_days = np.einsum("ij->i", r).astype(np.int64)
        np.copyto(r, ar)
        np.copyto(r, 0.0, where=invalid)
        car = np.einsum("ij->i", r, out=out.car[part])
        if model == "market":
            np.copyto(m, 0.0, where=invalid)
            m_sum = np.einsum("ij->i", m)
        else:
            m_sum = 0.0
        out.car_var[part] = kernel.car_variance(sig2, k, n, mean_m, sxx, n_days, m_sum)
        out.n_days[part] = n_days
        reason[(reason == _OK) & (n_days == 0)] = _EMPTY
        codes = code[part]
        newly = (codes == _OK) & (reason != _OK)
        if newly.any():
            codes[newly] = reason[newly]
            empty = np.flatnonzero(newly & (reason == _EMPTY))
            for x in out.estimates():
                x[p0 + empty] = np.nan
        none = n_days == 0
        if none.any():
            car[none] = np.nan

    runner.map(chunk, range(0, s.size, chunk_size))


def _result(out: _Outputs, code: np.ndarray, pairs: pd.DataFrame, index: pd.DatetimeIndex,
            est: Window, win: Window, model: str, k: int, min_estimation: int, s: np.ndarray,
            b: np.ndarray, d: np.ndarray, values: FloatArray, returns: pd.DataFrame,
            threads: int) -> BatchResult:
    labels = pairs.index
    offsets = pd.Index(np.arange(win[0], win[1] + 1), name="t")
    car_se = np.sqrt(out.car_var, out=out.car_var)
    df = np.where(code == _OK, out.n_obs - k, -1)
    with np.errstate(invalid="ignore", divide="ignore"):
        car_t = out.car / car_se
    n_rows = len(index)
    # a window reaching before the data starts, as the data holds it, on the first session
    inside = (d >= 0) & (d + est[1] >= 0) & (d + est[1] < n_rows)
    sessions = index.to_numpy().astype("datetime64[ns]")
    start, end = (sessions.take(np.maximum(d + offset, 0), mode="clip") for offset in est)
    if not inside.all():
        start[~inside] = end[~inside] = np.datetime64("NaT")
    estimation = pd.DataFrame({
        "alpha": out.alpha, "beta": out.beta, "sigma": np.sqrt(out.sigma2, out=out.sigma2),
        "n_obs": out.n_obs, "df": np.where(df > 0, df, 0), "mean_m": out.mean_m,
        "sxx": out.sxx, "r2": out.r2, "start": start, "end": end,
    }, index=labels, copy=False)
    excluded = _reasons(code, pairs, index, est, win, model, k, min_estimation, out.n_obs,
                        start, end, s, b, d, values)
    return BatchResult(
        ar=pd.DataFrame(out.ar, index=labels, columns=offsets, copy=False),
        se=pd.DataFrame(out.se, index=labels, columns=offsets, copy=False),
        car=pd.Series(out.car, index=labels, name="car", copy=False),
        car_se=pd.Series(car_se, index=labels, name="car_se", copy=False),
        car_t=pd.Series(car_t, index=labels, name="car_t", copy=False),
        n_days=pd.Series(out.n_days, index=labels, name="n_days", copy=False),
        estimation=estimation, excluded=excluded, pairs=pairs, model=model, k=k,
        estimation_window=est, window=win, returns=returns, threads=threads,
    )


def _reasons(code: np.ndarray, pairs: pd.DataFrame, index: pd.DatetimeIndex, est: Window,
             win: Window, model: str, k: int, min_estimation: int, n_obs: np.ndarray,
             start: np.ndarray, end: np.ndarray, s: np.ndarray, b: np.ndarray, d: np.ndarray,
             values: FloatArray) -> pd.Series:
    """The reason of each excluded pair, naming the value at fault; None for the others."""
    bad = np.flatnonzero(code != _OK)
    messages = np.empty(bad.size, dtype=object)
    codes = code[bad]
    first, last = (str(index[0].date()), str(index[-1].date())) if len(index) else ("", "")
    fixed = {
        _BEFORE: f"event window starts at offset {win[0]}, before the first session of "
                 f"returns ({first})",
        _AFTER: f"event window ends at offset {win[1]}, after the last session of returns "
                f"({last})",
        _FLAT_M: "benchmark returns have zero variance in the estimation window; the market "
                 "model cannot be estimated",
        _FLAT_R: "residuals have zero variance in the estimation window (constant prices, or a "
                 "security identical to its benchmark)",
        _EMPTY: f"no returns in the event window {list(win)} (all missing)",
    }
    for c, text in fixed.items():
        messages[codes == c] = text
    for c, column, what in ((_NO_SECURITY, "security", "security"),
                            (_NO_BENCHMARK, "benchmark", "benchmark")):
        at = np.flatnonzero(codes == c)
        if at.size:
            names = pairs[column].to_numpy()[bad[at]]
            messages[at] = [f"{what} {x!r} is not a column of returns" for x in names]
    at = np.flatnonzero(codes == _NO_DAY0)
    if at.size:
        days = pd.DatetimeIndex(pd.to_datetime(pairs["day0"])).to_numpy()[bad[at]]
        messages[at] = [f"day0 {_day(x)} is not a session in the index of returns"
                        for x in days]
    at = np.flatnonzero(codes == _FEW)
    if at.size:
        rows = bad[at]
        cut = np.minimum(np.maximum(-(d[rows] + est[0]), 0), est[1] - est[0] + 1).tolist()
        messages[at] = [
            f"only {n} usable estimation returns in {a}..{z}"
            + (f" ({c} of the window's offsets before the first session of returns, {first})"
               if c else "") + " "
            + (f"(min_estimation = {min_estimation})" if n < min_estimation
               else f"(the {model} model needs M − k − 2 > 0, k = {k})")
            for n, a, z, c in zip(n_obs[rows].tolist(),
                                  np.datetime_as_string(start[rows], unit="D").tolist(),
                                  np.datetime_as_string(end[rows], unit="D").tolist(), cut,
                                  strict=True)
        ]
    at = np.flatnonzero(codes == _PARTIAL)
    if at.size:
        messages[at] = _partial_reasons(bad[at], pairs, index, est, s, b, d, values,
                                        model != "constant-mean")
    reasons = np.full(len(pairs), None, dtype=object)
    reasons[bad] = messages
    return pd.Series(reasons, index=pairs.index, name="reason", dtype=object)


def _partial_reasons(rows: np.ndarray, pairs: pd.DataFrame, index: pd.DatetimeIndex,
                     est: Window, s: np.ndarray, b: np.ndarray, d: np.ndarray,
                     values: FloatArray, needs_benchmark: bool) -> list[str]:
    """Why ``require_full_window`` excludes each pair at ``rows`` (see :func:`_starts_late`)."""
    start = d[rows] + est[0]
    firsts = [(what, pairs[what].to_numpy()[rows], _first_rows(values, col[rows]))
              for what, col in (("security", s), ("benchmark", b))
              if what == "security" or needs_benchmark]
    out = []
    for i, at in enumerate(start.tolist()):
        if at < 0:
            out.append(f"estimation window starts at offset {est[0]}, before the first session "
                       f"of returns ({index[0].date()}) (require_full_window=True)")
            continue
        what, name, row = next((w, n[i], f[i]) for w, n, f in firsts if f[i] - 1 > at)
        first = ("none" if row >= len(index) else str(index[row - 1].date()))
        out.append(f"estimation window starts {index[at].date()}, before the first price of "
                   f"{what} {name!r} ({first}, the session before its first return) "
                   "(require_full_window=True)")
    return out


def _day(x: np.datetime64) -> str:
    return str(x)[:10]
