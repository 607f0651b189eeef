"""The batch engine: event studies of many (security, benchmark, day 0) pairs at once.

:func:`batch` (exported as ``eventstudy.batch``; contract.md, "Library API") estimates the
normal-return model of every pair and its abnormal returns over the event window, with the
formulas of :mod:`eventstudy.kernel` that the per-event path uses too.

How it stays fast and flat in memory
------------------------------------
- Estimation sums are differences of running sums. For every distinct (security, benchmark)
  series pair ("combo") the engine builds running sums over the whole index of the count of
  usable rows (both returns present), Σr, Σm, Σrm, Σm², Σr², each of the returns centred on
  the combo's mean first. The sums over a pair's estimation window are then two lookups, O(1)
  per pair instead of O(M), and rows with a missing value are counted out exactly.
- Only the event-window rows are gathered per pair (L values of each series).
- Combos are processed in blocks whose running sums fit :data:`BLOCK_BYTES`, with their pairs
  grouped by block and cut in chunks of ``chunk_size``, so memory stays bounded whatever the
  number of pairs (beyond the results themselves) and the working set stays in cache.
- A combo with few pairs, whose estimation windows cover fewer rows than the index, is summed
  directly from its gathered windows instead (exact, and cheaper than a running sum).

Conventions: offsets count rows of ``returns``' index; an estimation row enters the fit when
the security's and (for market and market-adjusted models) the benchmark's returns are both
present, so M is the count of such rows; an event-window row with a missing return has AR and
se NaN, and the CAR sums the valid ones, with Var(CAR) over those days (S_n = their number).
The returns are taken as given: unlike the per-event path (:mod:`eventstudy.study`), which
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

import itertools
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from scipy import special

from eventstudy import kernel
from eventstudy._typing import FloatArray, Window
from eventstudy.errors import EstimationError, EventsFileError, PriceDataError

if TYPE_CHECKING:
    from eventstudy.aggregate import Aggregate, PairArrays

# Bytes of running sums built at once (a block of combos; a few MB stays in cache).
BLOCK_BYTES = 8 * 2**20
# A combo takes the direct path when its pairs' estimation windows cover at most this many
# times the rows of the index (the running sums would cost more).
DIRECT_RATIO = 1.0
# Largest residual matrices (pairs × sessions, floats) that BatchResult.aggregate builds.
AGGREGATE_ELEMENTS = 2**27
# Prefix sums are taken only at the pairs' bounds (segment sums) when these are fewer than
# 1/SPARSE_BOUNDS of the rows of a block; at every row (running sums) otherwise.
SPARSE_BOUNDS = 8
# Estimation-window values gathered at once on the direct path.
DIRECT_ELEMENTS = 2**20

# Running-sum fields per model (see module docstring).
_FIELDS = {"market": 6, "constant-mean": 3, "market-adjusted": 3}

# Exclusion codes, in the order they are checked.
_OK, _NO_SECURITY, _NO_BENCHMARK, _NO_DAY0, _BEFORE, _AFTER, _FEW, _FLAT_M, _FLAT_R, _EMPTY = (
    range(10))


@dataclass(frozen=True)
class BatchResult:
    """Abnormal returns of many pairs, indexed like the ``pairs`` frame given to :func:`batch`.

    Attributes
    ----------
    ar, se : pd.DataFrame
        Abnormal returns and their prediction-error-corrected standard errors; one row per
        pair, one column per offset of ``window`` (int labels). NaN on days without a return
        and on excluded pairs.
    car, car_se, car_t, car_p : pd.Series
        CAR over the whole window (sum of the valid ARs), its standard error, t = CAR / se and
        the two-sided p-value from Student t with M − k df.
    n_days : pd.Series
        Valid returns in the window (S_n, the days the CAR sums).
    estimation : pd.DataFrame
        alpha, beta, sigma, n_obs (M), df (M − k), mean_m (R̄_m), sxx (S_xx), r2, start and
        end (first and last sessions of the estimation window). n_obs counts the usable
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
    """

    ar: pd.DataFrame
    se: pd.DataFrame
    car: pd.Series
    car_se: pd.Series
    car_t: pd.Series
    car_p: pd.Series
    n_days: pd.Series
    estimation: pd.DataFrame
    excluded: pd.Series
    pairs: pd.DataFrame
    model: str
    k: int
    estimation_window: Window
    window: Window
    returns: pd.DataFrame | None = field(default=None, repr=False, compare=False)

    @cached_property
    def studied(self) -> np.ndarray:
        """Boolean mask over the pairs: True where the pair was studied (not excluded)."""
        return self.excluded.isna().to_numpy()

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
        The statistics are those of :mod:`eventstudy.aggregate` and
        :mod:`eventstudy.significance` (not re-implemented here), fed with the batch's arrays
        and each pair's estimation-window residuals, re-gathered from ``returns``. Memory per
        group: O(N·(M + C)) floats for N pairs whose estimation windows span C sessions.
        """
        from eventstudy.aggregate import aggregate

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
        """The inputs of :func:`eventstudy.aggregate.aggregate` for the pairs at ``rows``."""
        from eventstudy.aggregate import PairArrays

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
        lo = int(start.min()) if rows.size else 0
        width = int((start + est_len).max()) - lo if rows.size else 0
        if rows.size * (width + est_len) > AGGREGATE_ELEMENTS:
            raise EstimationError(
                f"aggregating {rows.size} pairs whose estimation windows span {width} sessions "
                f"needs {rows.size * (width + est_len) * 8 / 2**30:.1f} GB of residuals; "
                "aggregate by a finer column of pairs (by=...) or a subsample")
        by_date = np.full((rows.size, width), np.nan)
        np.put_along_axis(by_date, (start - lo)[:, None] + np.arange(est_len), resid, axis=1)
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
    chunk_size: int = 16_384,
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
    chunk_size : int
        Pairs processed at once; bounds the working memory (about 15 arrays of
        ``chunk_size`` × L floats).

    Returns
    -------
    BatchResult

    Raises
    ------
    EstimationError
        Unknown model, invalid windows or ``min_estimation``.
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

    A pair is excluded, with its reason in ``.excluded`` and NaN rows elsewhere, when a
    ticker is not a column, day 0 is not in the index, a window falls off the data, it has
    fewer than ``min_estimation`` usable estimation returns, zero benchmark or residual
    variance, or no return in the event window.

    References
    ----------
    .. [1] Campbell, J., Lo, A. and MacKinlay, A. C. (1997) *The Econometrics of Financial
       Markets*, Princeton University Press, §4.4.
    """
    est, win = _check_settings(estimation, window, model, min_estimation, chunk_size)
    k = kernel.K[model]
    needs_benchmark = model != "constant-mean"
    values, index = _returns_matrix(returns)
    s, b, d = _resolve(returns, pairs, needs_benchmark)
    n_pairs, n_rows = len(pairs), values.shape[1]
    length = win[1] - win[0] + 1

    code = np.zeros(n_pairs, np.int8)
    code[(d + est[0] >= 0) & (d + win[1] >= n_rows)] = _AFTER
    code[(d >= 0) & (d + est[0] < 0)] = _BEFORE
    code[d < 0] = _NO_DAY0
    if needs_benchmark:
        code[b < 0] = _NO_BENCHMARK
    code[s < 0] = _NO_SECURITY

    out = _Outputs(n_pairs, length)
    ok = np.flatnonzero(code == _OK)
    if ok.size:
        _run(values, s[ok], b[ok] if needs_benchmark else s[ok], d[ok], ok, est, win, model,
             max(min_estimation, k + 3), chunk_size, out, code)
    bad = np.flatnonzero(code != _OK)
    out.ar[bad] = np.nan
    out.se[bad] = np.nan

    return _result(out, code, pairs, index, est, win, model, k, min_estimation, s, d, returns)


class _Outputs:
    """Preallocated result arrays, NaN until a pair is computed."""

    def __init__(self, n_pairs: int, length: int) -> None:
        nan = np.nan
        self.ar = np.empty((n_pairs, length))  # rows of excluded pairs set NaN at the end
        self.se = np.empty((n_pairs, length))
        self.car = np.full(n_pairs, nan)
        self.car_var = np.full(n_pairs, nan)
        self.n_days = np.zeros(n_pairs, np.int64)
        self.n_obs = np.zeros(n_pairs, np.int64)
        self.alpha = np.full(n_pairs, nan)
        self.beta = np.full(n_pairs, nan)
        self.sigma2 = np.full(n_pairs, nan)
        self.mean_m = np.full(n_pairs, nan)
        self.sxx = np.full(n_pairs, nan)
        self.r2 = np.full(n_pairs, nan)


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


def _returns_matrix(returns: pd.DataFrame) -> tuple[FloatArray, pd.DatetimeIndex]:
    """The returns as a (tickers × sessions) C-contiguous float64 array, non-finite → NaN."""
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
    return s.astype(np.int64), b.astype(np.int64), d.astype(np.int64)


def _run(values: FloatArray, s: np.ndarray, b: np.ndarray, d: np.ndarray, rows: np.ndarray,
         est: Window, win: Window, model: str, min_obs: int, chunk_size: int, out: _Outputs,
         code: np.ndarray) -> None:
    """Compute every resolvable pair; ``rows`` are their positions in the outputs.

    A combo with few pairs (their estimation windows cover fewer rows than the index) gets
    the direct path: its pairs' estimation windows are gathered and summed exactly. The
    others get prefix sums (:func:`_block_sums`), a block of combos at a time
    (:data:`BLOCK_BYTES`) with their pairs grouped by block (in their original order within
    it, so results are written in increasing row order): memory stays flat.
    """
    n_cols, n_rows = values.shape
    inverse, combos = pd.factorize(s * n_cols + b)
    counts = np.bincount(inverse, minlength=combos.size)
    est_len = est[1] - est[0] + 1
    direct = counts * est_len <= DIRECT_RATIO * n_rows
    run = (values, est, win, model, min_obs, out, code)

    picked = np.flatnonzero(direct[inverse])
    step = max(1, min(chunk_size, DIRECT_ELEMENTS // est_len))
    for p0 in range(0, picked.size, step):
        sel = picked[p0:p0 + step]
        w, centres = _direct_sums(values, s[sel], b[sel], d[sel] + est[0], est_len, model)
        _finish(w, centres, s[sel], b[sel], d[sel], rows[sel], *run)

    running = np.flatnonzero(~direct)
    if not running.size:
        return
    rank = np.full(combos.size, -1, np.int64)
    rank[running] = np.arange(running.size)
    pair_rank = rank[inverse]
    picked = np.flatnonzero(pair_rank >= 0)
    per_block = max(1, BLOCK_BYTES // (n_rows * _FIELDS[model] * 8))
    block = pair_rank[picked] // per_block
    n_blocks = int(block.max()) + 1
    small = np.uint16 if n_blocks <= np.iinfo(np.uint16).max else np.int64
    order = np.argsort(block.astype(small), kind="stable")  # by block, then original order
    picked = picked[order]
    starts = np.searchsorted(block[order], np.arange(n_blocks + 1))
    edges = np.arange(n_blocks + 1) * per_block
    edges[-1] = running.size
    combo_s, combo_b = combos[running] // n_cols, combos[running] % n_cols
    for i, (c0, c1) in enumerate(itertools.pairwise(edges)):
        sel = picked[int(starts[i]):int(starts[i + 1])]
        local = pair_rank[sel] - c0
        w, centres = _block_sums(values, combo_s[c0:c1], combo_b[c0:c1], model, local,
                                 d[sel] + est[0], d[sel] + (est[1] + 1))
        for p0 in range(0, sel.size, chunk_size):
            part = slice(p0, p0 + chunk_size)
            _finish(w[part], centres[local[part]], s[sel[part]], b[sel[part]], d[sel[part]],
                    rows[sel[part]], *run)


def _direct_sums(values: FloatArray, s: np.ndarray, b: np.ndarray, start: np.ndarray,
                 length: int, model: str) -> tuple[FloatArray, FloatArray]:
    """The estimation sums of each pair from its gathered window (the exact, O(M) path).

    Same fields and centring as :func:`_block_sums`, with each pair's own means as centres.
    """
    r = _window(values, s, start, length)
    m = None if model == "constant-mean" else _window(values, b, start, length)
    valid = ~np.isnan(r) if m is None else ~(np.isnan(r) | np.isnan(m))
    w = np.zeros((s.size, _FIELDS[model]))
    centres = np.zeros((s.size, 2))
    w[:, 0] = valid.sum(axis=1)
    if model == "market-adjusted":
        assert m is not None
        dev = np.where(valid, r - m, 0.0)
        r0 = np.where(valid, r, 0.0)
        w[:, 1] = np.einsum("ij,ij->i", dev, dev)
        w[:, 2] = np.einsum("ij,ij->i", r0, r0)
        return w, centres
    count = np.maximum(w[:, 0], 1.0)
    centres[:, 0] = np.where(valid, r, 0.0).sum(axis=1) / count
    r0 = np.where(valid, r - centres[:, :1], 0.0)
    w[:, 1] = r0.sum(axis=1)
    if m is None:
        w[:, 2] = np.einsum("ij,ij->i", r0, r0)
        return w, centres
    centres[:, 1] = np.where(valid, m, 0.0).sum(axis=1) / count
    m0 = np.where(valid, m - centres[:, 1:], 0.0)
    w[:, 2] = m0.sum(axis=1)
    w[:, 3] = np.einsum("ij,ij->i", r0, m0)
    w[:, 4] = np.einsum("ij,ij->i", m0, m0)
    w[:, 5] = np.einsum("ij,ij->i", r0, r0)
    return w, centres


def _block_sums(values: FloatArray, cs: np.ndarray, cb: np.ndarray, model: str,
                combo: np.ndarray, lo: np.ndarray, hi: np.ndarray
                ) -> tuple[FloatArray, FloatArray]:
    """Estimation sums over rows [lo, hi) of each pair of a block of combos, from prefix sums.

    Returns ``w`` (pairs × fields) and ``centres`` (combos × 2: c_r, c_m, each combo's mean
    returns over its usable rows). Fields: market, count, r', m', r'm', m'², r'² with
    r' = r − c_r, m' = m − c_m; constant-mean, count, r', r'²; market-adjusted, count,
    (r − m)², r² (raw: nothing is estimated, and squares do not cancel).

    Notes
    -----
    Σ_{lo ≤ row < hi} = S(hi) − S(lo) with the prefix sums S(q) = Σ_{row < q} of each combo.
    When the pairs' bounds are sparse (:data:`SPARSE_BOUNDS`), S is needed only there: the
    rows of each combo are cut at those bounds, each segment summed (``np.add.reduceat``, one
    pass) and the segment sums accumulated over the block in order (the block's size,
    :data:`BLOCK_BYTES`, bounds the magnitude of those running totals, hence their rounding
    error). Otherwise S is the running sum of each combo at every row (``np.cumsum``).
    """
    n_rows = values.shape[1]
    n_fields = _FIELDS[model]
    fields = np.empty((n_fields, cs.size, n_rows))
    centres = np.zeros((cs.size, 2))
    r = values[cs]
    m = None if model == "constant-mean" else values[cb]
    valid = ~np.isnan(r) if m is None else ~np.isnan(r + m)  # no inf here (_returns_matrix)
    invalid = ~valid
    fields[0] = valid
    if model == "market-adjusted":
        assert m is not None
        np.subtract(r, m, out=fields[1])
        np.copyto(fields[1], 0.0, where=invalid)
        fields[1] *= fields[1]
        np.copyto(fields[2], r)
        np.copyto(fields[2], 0.0, where=invalid)
        fields[2] *= fields[2]
    else:
        count = np.maximum(valid.sum(axis=1), 1)
        centres[:, 0] = np.where(valid, r, 0.0).sum(axis=1) / count
        np.subtract(r, centres[:, :1], out=fields[1])
        np.copyto(fields[1], 0.0, where=invalid)
        if m is None:
            np.multiply(fields[1], fields[1], out=fields[2])
        else:
            centres[:, 1] = np.where(valid, m, 0.0).sum(axis=1) / count
            np.subtract(m, centres[:, 1:], out=fields[2])
            np.copyto(fields[2], 0.0, where=invalid)
            np.multiply(fields[1], fields[2], out=fields[3])
            np.multiply(fields[2], fields[2], out=fields[4])
            np.multiply(fields[1], fields[1], out=fields[5])
    base = combo * (n_rows + 1)
    # the bounds each combo needs, as sorted keys combo·(rows + 1) + q, q ∈ [0, rows]
    need = np.zeros((cs.size, n_rows + 1), bool)
    need[:, 0] = True
    need[combo, lo] = True
    need[combo, hi] = True
    keys = np.flatnonzero(need)
    if keys.size * SPARSE_BOUNDS > need.size:  # dense bounds: full prefix sums are cheaper
        prefix = np.empty((n_fields, cs.size, n_rows + 1))
        prefix[:, :, 0] = 0.0
        np.cumsum(fields, axis=2, out=prefix[:, :, 1:])
        return _differences(prefix.reshape(n_fields, -1), base + lo, base + hi), centres
    q = keys % (n_rows + 1)
    is_start = q < n_rows  # a segment starts at every bound but the end of the rows
    starts = (keys // (n_rows + 1) * n_rows + q)[is_start]
    seg = np.add.reduceat(fields.reshape(n_fields, -1), starts, axis=1)
    total = np.zeros((n_fields, seg.shape[1] + 1))
    np.cumsum(seg, axis=1, out=total[:, 1:])
    before = np.cumsum(is_start) - is_start  # segments of the block before each key
    at = np.full(need.size, -1, np.int64)
    at[keys] = before
    return _differences(total, at[base + lo], at[base + hi]), centres


def _differences(prefix: FloatArray, lo: np.ndarray, hi: np.ndarray) -> FloatArray:
    """``prefix[:, hi] − prefix[:, lo]`` as pairs × fields (one ``take`` per field: fast)."""
    out = np.empty((lo.size, prefix.shape[0]))
    for j, row in enumerate(prefix):
        np.subtract(row.take(hi), row.take(lo), out=out[:, j])
    return out


def _window(values: FloatArray, col: np.ndarray, start: np.ndarray, length: int) -> FloatArray:
    """The ``length`` consecutive returns of column ``col`` from row ``start``, per pair."""
    return sliding_window_view(values, length, axis=1)[col, start]


def _finish(w: FloatArray, centres: FloatArray, s: np.ndarray, b: np.ndarray, d: np.ndarray,
            rows: np.ndarray, values: FloatArray, est: Window, win: Window, model: str,
            min_obs: int, out: _Outputs, code: np.ndarray) -> None:
    """One chunk of pairs: the fit from its estimation sums ``w``, then the event window."""
    k = kernel.K[model]
    n = w[:, 0]
    if model == "market":
        fit = kernel.market_model(n, w[:, 1], w[:, 2], w[:, 3], w[:, 4], w[:, 5],
                                  centres[:, 0], centres[:, 1])
        alpha, beta, ssr, mean_m, sxx = fit.alpha, fit.beta, fit.ssr, fit.mean_m, fit.sxx
        flat_m = kernel.zero_benchmark_variance(
            n, sxx, kernel.raw_square_sum(n, w[:, 2], w[:, 4], centres[:, 1]))
        raw_rr = kernel.raw_square_sum(n, w[:, 1], w[:, 5], centres[:, 0])
        with np.errstate(invalid="ignore", divide="ignore"):
            r2 = np.where(fit.syy > 0, 1.0 - ssr / fit.syy, np.nan)
    elif model == "constant-mean":
        mean_fit = kernel.constant_mean(n, w[:, 1], w[:, 2], centres[:, 0])
        alpha, beta, ssr = mean_fit.mu, np.full(n.size, np.nan), mean_fit.ssr
        mean_m = sxx = r2 = np.full(n.size, np.nan)
        flat_m = np.zeros(n.size, bool)
        raw_rr = kernel.raw_square_sum(n, w[:, 1], w[:, 2], centres[:, 0])
    else:
        alpha, beta, ssr = np.zeros(n.size), np.ones(n.size), w[:, 1]
        mean_m = sxx = r2 = np.full(n.size, np.nan)
        flat_m = np.zeros(n.size, bool)
        raw_rr = w[:, 2]
    sig2 = kernel.sigma2(ssr, n, k)
    flat_r = kernel.zero_residual_variance(n, ssr, raw_rr)
    reason = np.where(n < min_obs, _FEW, np.where(flat_m, _FLAT_M,
                                                  np.where(flat_r, _FLAT_R, _OK)))
    out.n_obs[rows] = n.astype(np.int64)

    length = win[1] - win[0] + 1
    ar = _window(values, s, d + win[0], length)
    if model == "constant-mean":
        ar -= alpha[:, None]
        m_sum = np.zeros(n.size)
    else:
        m = _window(values, b, d + win[0], length)
        if model == "market-adjusted":
            ar -= m
        else:
            expected = m * beta[:, None]
            expected += alpha[:, None]
            ar -= expected
    invalid = np.isnan(ar)
    valid = ~invalid
    if model == "market":
        np.copyto(m, np.nan, where=invalid)  # Var(AR) NaN, Σ R_m over the valid days only
        m_sum = np.add.reduce(m, axis=1, where=valid)
        var = kernel.ar_variance(sig2[:, None], k, n[:, None], mean_m[:, None], sxx[:, None],
                                 1.0, m)
    else:  # Var(AR) does not depend on R_m: one value per pair, NaN on days without an AR
        var = kernel.ar_variance(sig2[:, None], k, n[:, None], mean_m[:, None], sxx[:, None],
                                 1.0, np.zeros((1, length)))
        np.copyto(var, np.nan, where=invalid)
        if model == "market-adjusted":
            m_sum = np.zeros(n.size)
    n_days = valid.sum(axis=1)
    reason = np.where((reason == _OK) & (n_days == 0), _EMPTY, reason)
    good = reason == _OK
    car = np.add.reduce(ar, axis=1, where=valid)
    if not good.all():
        code[rows[~good]] = reason[~good]
        keep = np.flatnonzero(good)
        rows, ar, var, n_days, m_sum, car = (
            x[keep] for x in (rows, ar, var, n_days, m_sum, car))
        n, alpha, beta, sig2, mean_m, sxx, r2 = (
            x[keep] for x in (n, alpha, beta, sig2, mean_m, sxx, r2))
    out.ar[rows] = ar
    out.se[rows] = np.sqrt(var, out=var)
    out.car[rows] = car
    out.car_var[rows] = kernel.car_variance(sig2, k, n, mean_m, sxx, n_days, m_sum)
    out.n_days[rows] = n_days
    out.alpha[rows], out.beta[rows], out.sigma2[rows] = alpha, beta, sig2
    out.mean_m[rows], out.sxx[rows], out.r2[rows] = mean_m, sxx, r2


def _result(out: _Outputs, code: np.ndarray, pairs: pd.DataFrame, index: pd.DatetimeIndex,
            est: Window, win: Window, model: str, k: int, min_estimation: int, s: np.ndarray,
            d: np.ndarray, returns: pd.DataFrame) -> BatchResult:
    labels = pairs.index
    offsets = pd.Index(np.arange(win[0], win[1] + 1), name="t")
    car_se = np.sqrt(out.car_var)
    df = np.where(code == _OK, out.n_obs - k, -1)
    with np.errstate(invalid="ignore", divide="ignore"):
        car_t = out.car / car_se
    car_p = 2.0 * special.stdtr(np.where(df > 0, df, np.nan), -np.abs(car_t))
    n_rows = len(index)
    inside = (d >= 0) & (d + est[0] >= 0) & (d + est[1] < n_rows)
    start = np.full(len(d), np.datetime64("NaT"), "datetime64[ns]")
    end = start.copy()
    start[inside] = index.to_numpy()[d[inside] + est[0]]
    end[inside] = index.to_numpy()[d[inside] + est[1]]
    estimation = pd.DataFrame({
        "alpha": out.alpha, "beta": out.beta, "sigma": np.sqrt(out.sigma2),
        "n_obs": out.n_obs, "df": np.where(df > 0, df, 0), "mean_m": out.mean_m,
        "sxx": out.sxx, "r2": out.r2, "start": start, "end": end,
    }, index=labels, copy=False)
    excluded = _reasons(code, pairs, index, est, win, model, k, min_estimation, out.n_obs,
                        start, end)
    return BatchResult(
        ar=pd.DataFrame(out.ar, index=labels, columns=offsets, copy=False),
        se=pd.DataFrame(out.se, index=labels, columns=offsets, copy=False),
        car=pd.Series(out.car, index=labels, name="car", copy=False),
        car_se=pd.Series(car_se, index=labels, name="car_se", copy=False),
        car_t=pd.Series(car_t, index=labels, name="car_t", copy=False),
        car_p=pd.Series(car_p, index=labels, name="car_p", copy=False),
        n_days=pd.Series(out.n_days, index=labels, name="n_days", copy=False),
        estimation=estimation, excluded=excluded, pairs=pairs, model=model, k=k,
        estimation_window=est, window=win, returns=returns,
    )


def _reasons(code: np.ndarray, pairs: pd.DataFrame, index: pd.DatetimeIndex, est: Window,
             win: Window, model: str, k: int, min_estimation: int, n_obs: np.ndarray,
             start: np.ndarray, end: np.ndarray) -> pd.Series:
    """The reason of each excluded pair, naming the value at fault; None for the others."""
    bad = np.flatnonzero(code != _OK)
    messages = np.empty(bad.size, dtype=object)
    codes = code[bad]
    first, last = (str(index[0].date()), str(index[-1].date())) if len(index) else ("", "")
    fixed = {
        _BEFORE: f"estimation window starts at offset {est[0]}, before the first session of "
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
        messages[at] = [
            f"only {n} usable estimation returns in {_day(a)}..{_day(z)} "
            + (f"(min_estimation = {min_estimation})" if n < min_estimation
               else f"(the {model} model needs M − k − 2 > 0, k = {k})")
            for n, a, z in zip(n_obs[rows], start[rows], end[rows], strict=True)
        ]
    reasons = np.full(len(pairs), None, dtype=object)
    reasons[bad] = messages
    return pd.Series(reasons, index=pairs.index, name="reason", dtype=object)


def _day(x: np.datetime64) -> str:
    return str(x)[:10]
