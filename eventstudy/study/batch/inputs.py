"""Inputs of the batch engine: the settings checked, the returns as one matrix, the pairs resolved
to rows and columns, and the exclusion codes with the reasons they print.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from eventstudy._typing import FloatArray, Window
from eventstudy.errors import EstimationError, EventsFileError, PriceDataError
from eventstudy.estimation import kernel
from eventstudy.study.batch import tuning

if TYPE_CHECKING:
    pass



# Exclusion codes (_PARTIAL: require_full_window and a window reaching before the data).
(_OK, _NO_SECURITY, _NO_BENCHMARK, _NO_DAY0, _BEFORE, _AFTER, _FEW, _FLAT_M, _FLAT_R, _EMPTY,
 _PARTIAL) = range(11)


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
        return max(1, min(2, os.cpu_count() or 1)) if n_pairs >= tuning.THREAD_MIN_PAIRS else 1
    if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)) or threads < 1:
        raise EstimationError(f"threads = {threads!r}: give a positive integer (1: no extra "
                              "threads) or None for the default")
    return int(threads)


def _check_frame(returns: pd.DataFrame) -> pd.DatetimeIndex:
    """The index of ``returns`` once its shape is checked: a frame of sorted, unique sessions
    by unique tickers (the values are checked by :func:`_returns_matrix`)."""
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
    return index


def _returns_matrix(returns: pd.DataFrame) -> tuple[FloatArray, pd.DatetimeIndex]:
    """The returns as a read-only (tickers × sessions) C-contiguous float64 array, non-finite → NaN.

    A float64 frame stores its columns this way already: no copy is made then.
    """
    index = _check_frame(returns)
    try:
        values = np.ascontiguousarray(returns.to_numpy(dtype=np.float64, na_value=np.nan).T)
    except (TypeError, ValueError):
        raise PriceDataError("returns: values must be numeric (NaN where missing)") from None
    if np.isinf(values).any():
        values = np.where(np.isfinite(values), values, np.nan)
    # read-only whether or not a copy was made: the compiled kernels then have one
    # specialisation to compile and load (a writable array would make numba build a second)
    values = values.view()
    values.flags.writeable = False
    return values, index


def _resolve(columns: pd.Index, index: pd.DatetimeIndex, pairs: pd.DataFrame,
             needs_benchmark: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions, among the tickers ``columns`` of the returns, of each pair's security and
    benchmark, and of its day 0 in the sessions ``index`` (−1: unknown)."""
    if not isinstance(pairs, pd.DataFrame):
        raise EventsFileError(f"pairs: expected a DataFrame, got {type(pairs).__name__}")
    required = ("security", "benchmark", "day0") if needs_benchmark else ("security", "day0")
    missing = [c for c in required if c not in pairs.columns]
    if missing:
        raise EventsFileError(f"pairs: missing column(s) {', '.join(missing)}; give "
                              "security, benchmark and day0")
    s = columns.get_indexer(pd.Index(pairs["security"]))
    b = (columns.get_indexer(pd.Index(pairs["benchmark"])) if needs_benchmark
         else np.full(len(pairs), -1))
    try:
        day0 = pd.DatetimeIndex(pd.to_datetime(pairs["day0"]))
    except (TypeError, ValueError) as exc:
        raise EventsFileError(f"pairs: day0 must hold dates ({exc})") from None
    if (day0.tz is None) != (index.tz is None):
        raise EventsFileError("pairs: day0 and the index of returns must both be time-zone "
                              "naive or both aware")
    d = index.get_indexer(day0)
    return (s.astype(np.int64, copy=False), b.astype(np.int64, copy=False),
            d.astype(np.int64, copy=False))


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
