"""Inputs of the batch engine: the settings checked, the returns as one matrix, the pairs resolved
to rows and columns, and the exclusion codes with the reasons they print.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from eventstudy._typing import VOLUME_MODELS, FloatArray, Window
from eventstudy.errors import EstimationError, InputError
from eventstudy.estimation import kernel
from eventstudy.sessions import as_window, exchange_label
from eventstudy.study.batch import tuning

if TYPE_CHECKING:
    from eventstudy.study.batch.request import Request



# Exclusion codes (_PARTIAL: require_full_window and a window reaching before the data;
# _UNPLACED: no exchange for the security, or its returns are not on that exchange's sessions).
(_OK, _NO_SECURITY, _NO_BENCHMARK, _NO_DAY0, _BEFORE, _AFTER, _FEW, _FLAT_M, _FLAT_R, _EMPTY,
 _PARTIAL, _UNPLACED) = range(12)

#: A short name of each exclusion, for the one warning a call gives (count by reason).
KINDS = {
    _NO_SECURITY: "security not a column of returns",
    _NO_BENCHMARK: "benchmark not a column of returns",
    _NO_DAY0: "day0 not a session",
    _BEFORE: "event window before the first session",
    _AFTER: "event window after the last session",
    _FEW: "too few estimation returns",
    _FLAT_M: "benchmark without variance",
    _FLAT_R: "residuals without variance",
    _EMPTY: "no returns in the event window",
    _PARTIAL: "estimation window before the data (require_full_window)",
    _UNPLACED: "exchange unknown, or returns not on its sessions",
}


def _first_rows(values: FloatArray, columns: np.ndarray) -> np.ndarray:
    """Row of the first return of each of ``columns`` (the number of rows when none).

    Each distinct column is scanned once, however many pairs name it.
    """
    distinct, inverse = np.unique(columns, return_inverse=True)
    valid = ~np.isnan(values[distinct])
    first = np.where(valid.any(axis=1), valid.argmax(axis=1), values.shape[1])
    return first[inverse]


def _starts_late(values: FloatArray, s: np.ndarray, b: np.ndarray, d: np.ndarray, est0: int,
                 needs_benchmark: bool, level: bool = False) -> np.ndarray:
    """The pairs whose estimation window starts before the data (``require_full_window``).

    That is before row 0, or before the first price of the security or the benchmark: the
    row before the column's first return, as the per-event path's strict rule (the first
    price on or before the window's first session) reads it; for a panel of levels
    (``level``: log volume), the column's first value itself.
    """
    start = d + est0
    late = start < 0
    lead = 0 if level else 1
    for col in (s, b) if needs_benchmark else (s,):
        known = col >= 0
        first = np.full(col.size, 0, np.int64)
        first[known] = _first_rows(values, col[known])
        late |= known & (first - lead > start)
    return late


#: How each reason text begins (or what it holds), to count the exclusions of a call by kind.
_KIND_MARKS = (
    ("(require_full_window=True)", _PARTIAL),
    ("security ", _NO_SECURITY),
    ("benchmark returns have zero variance", _FLAT_M),
    ("benchmark ", _NO_BENCHMARK),
    ("day0 ", _NO_DAY0),
    ("event window starts", _BEFORE),
    ("event window ends", _AFTER),
    ("only ", _FEW),
    ("residuals have zero variance", _FLAT_R),
    ("no returns in the event window", _EMPTY),
    ("cannot infer the exchange", _UNPLACED),
)


def kind_of(reason: str) -> str:
    """The kind (:data:`KINDS`) of an exclusion reason, from its words."""
    if "returns dated on days" in reason:
        return KINDS[_UNPLACED]
    for mark, code in _KIND_MARKS:
        if reason.startswith(mark) or (mark.startswith("(") and mark in reason):
            return KINDS[code]
    return reason.split(";")[0][:60]


#: What the batch engine studies: returns, or log(1 + volume) levels (read as they are: no
#: spanning), whose normal volume is one of VOLUME_MODELS (the constant mean, or the market
#: model or market-adjusted on the benchmark column's log volume).
MEASURES = ("returns", "volume")


def panel_kind(measure: str, model: str, returns_kind: str = "log") -> str:
    """How the engine reads the panel of ``measure``: ``returns_kind`` for returns, "level"
    for volume (the per-event path's ``returns = "level"``: each value as it is, a missing
    one missing, never bridged). An InputError (one line) for an unknown measure, a model
    that is not a volume model, or a ``returns_kind`` that does not apply."""
    if measure not in MEASURES:
        raise InputError(f"measure = {measure!r}: give 'returns' or 'volume' (a panel of "
                         "log(1 + volume) levels)")
    if measure == "returns":
        if returns_kind == "level":
            raise InputError("returns_kind = 'level' is measure = 'volume'; returns are "
                             "'log' or 'simple'")
        return returns_kind
    if returns_kind not in ("log", "level"):
        raise InputError(f"returns_kind = {returns_kind!r} does not apply to measure = "
                         "'volume': log(1 + volume) levels are read as they are")
    if model not in VOLUME_MODELS:
        raise InputError(f"model {model!r} is not a volume model of batch; give "
                         f"{', '.join(VOLUME_MODELS)} (market: on the benchmark's log volume)")
    return "level"


def _check_choices(sessions: str, returns_kind: str) -> None:
    """``sessions`` and the panel's kind: log or simple returns, or levels ("level", set by
    ``measure="volume"``: :func:`panel_kind`)."""
    if sessions not in ("exchange", "index"):
        raise InputError(f"sessions = {sessions!r}: give 'exchange' (offsets count each "
                         "pair's exchange sessions) or 'index' (rows of returns)")
    if returns_kind not in ("log", "simple", "level"):
        raise InputError(f"returns_kind = {returns_kind!r}: give 'log' or 'simple'")


#: What a batch result holds: "car" (CAR, se, t, p, n_days and the estimation scalars) or
#: "paths" (those and the AR and se of every event day).
FIELDS = ("car", "paths")
#: The float types of the per-day paths.
PATH_DTYPES = ("float64", "float32")


def check_fields(fields: object, paths_dtype: object) -> None:
    """``fields`` ("car" or "paths") and ``paths_dtype`` ("float64" or "float32")."""
    if fields not in FIELDS:
        raise InputError(f"fields = {fields!r}: give 'car' (CAR, se, t, p and the estimation "
                         "scalars of each pair) or 'paths' (those and AR and se per day)")
    if paths_dtype not in PATH_DTYPES:
        raise InputError(f"paths_dtype = {paths_dtype!r}: give 'float64' or 'float32' (the "
                         "per-day AR and se in half the memory, about 7 significant digits)")


def _check_settings(estimation: Window, window: Window, model: str, min_estimation: int,
                    chunk_size: int) -> tuple[Window, Window]:
    if model not in kernel.K:
        raise EstimationError(f"model '{model}' is not available in batch; choose one of "
                              f"{', '.join(kernel.K)}")
    est: list[int] = []
    for name, w in (("estimation", estimation), ("window", window)):
        try:
            est.extend(as_window(w))
        except ValueError as exc:
            raise EstimationError(f"{name} {exc}") from None
    if est[1] >= est[2]:
        raise EstimationError(
            f"estimation window {est[:2]} overlaps or follows the event window {est[2:]}; "
            f"the estimation window must end before offset {est[2]}")
    for name, value in (("min_estimation", min_estimation), ("chunk_size", chunk_size)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise EstimationError(f"{name} = {value!r}: must be a positive integer")
    return (est[0], est[1]), (est[2], est[3])


def _check_threads(threads: int | None, n_pairs: int) -> int:
    if threads is None:
        return max(1, min(2, os.cpu_count() or 1)) if n_pairs >= tuning.THREAD_MIN_PAIRS else 1
    if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)) or threads < 1:
        raise EstimationError(f"threads = {threads!r}: give a positive integer (1: no extra "
                              "threads) or None for the default")
    return int(threads)


def _check_frame(returns: pd.DataFrame) -> pd.DatetimeIndex:
    """The index of ``returns`` once its shape is checked: a frame of sorted, unique,
    tz-naive session dates by unique tickers (the values are checked by
    :func:`_returns_matrix`)."""
    if not isinstance(returns, pd.DataFrame):
        raise InputError("returns: expected a DataFrame (sessions × tickers), got "
                         f"{type(returns).__name__}")
    index = returns.index
    if not isinstance(index, pd.DatetimeIndex):
        raise InputError("returns: the index must be a DatetimeIndex of trading sessions")
    if index.tz is not None:
        raise InputError(
            f"returns: the index holds time-zone-aware stamps ({index.tz}); sessions are "
            "exchange-local dates: returns.index = returns.index.tz_convert(<the exchange's "
            "time zone>).tz_localize(None).normalize()")
    if len(index) and not (index == index.normalize()).all():
        raise InputError("returns: the index holds times of day; give one row per session "
                         "date (returns.index.normalize(), then one row per date)")
    problem = sessions_problem(index)
    if problem:
        raise InputError(f"returns: {problem}")
    if not returns.columns.is_unique:
        dup = returns.columns[returns.columns.duplicated()][0]
        raise InputError(f"returns: ticker {dup!r} is a column more than once")
    return index


def sessions_problem(index: pd.DatetimeIndex) -> str:
    """What is wrong with the sessions (rows) of a returns panel, "" when nothing: there must be
    some, sorted and unique. The one check of a frame's index and a Parquet dataset's dates."""
    if not len(index):
        return "no rows: give one row per session (the estimation and event windows' sessions)"
    if not (index.is_monotonic_increasing and index.is_unique):
        return "the sessions are not sorted and unique; sort them and drop duplicated dates"
    return ""


def _returns_matrix(returns: pd.DataFrame) -> tuple[FloatArray, pd.DatetimeIndex]:
    """The returns as a read-only (tickers × sessions) C-contiguous float64 array.

    A float64 frame stores its columns this way already: no copy is made then. NaN is a missing
    return; ±inf is refused (an InputError naming the first ticker and date): dropping it would
    change a CAR's number of days without a word.
    """
    index = _check_frame(returns)
    try:
        values = np.ascontiguousarray(returns.to_numpy(dtype=np.float64, na_value=np.nan).T)
    except (TypeError, ValueError):
        raise InputError("returns: values must be numeric (NaN where missing)") from None
    infinite = np.isinf(values)
    if infinite.any():
        col, row = np.argwhere(infinite)[0]
        raise InputError(f"returns: {returns.columns[col]!r} is {values[col, row]:+} on "
                         f"{index[row].date()}; returns are finite numbers (NaN where missing)")
    # read-only whether or not a copy was made: the compiled kernels then have one
    # specialisation to compile and load (a writable array would make numba build a second)
    values = values.view()
    values.flags.writeable = False
    return values, index


def _positions(columns: pd.Index, request: Request, needs_benchmark: bool
               ) -> tuple[np.ndarray, np.ndarray]:
    """Positions, among the tickers ``columns`` of the returns, of each pair's security and
    benchmark (−1: not a column; the benchmark is the security's when not needed)."""
    s = _lookup(columns, request.security)
    if not needs_benchmark or request.benchmark is None:
        return s, s.copy()
    return s, _lookup(columns, request.benchmark)


def _lookup(columns: pd.Index, names: pd.Series) -> np.ndarray:
    """Column of each name (−1: none): the distinct names looked up once (a million pairs name
    a few thousand tickers)."""
    codes, uniques = pd.factorize(names, use_na_sentinel=True)
    at = np.append(columns.get_indexer(uniques), -1)  # code −1 (missing): the last entry
    return at[codes].astype(np.int64, copy=False)


def not_a_column(what: str, names: pd.Series) -> list[str]:
    """The reason of pairs whose ``what`` (security, benchmark) ``names`` no column."""
    return [f"{what} {x!r} is not a column of returns" for x in names.tolist()]


def _reasons(code: np.ndarray, names: tuple[pd.Series, pd.Series | None, np.ndarray],
             index: pd.DatetimeIndex, exchange: str | None, est: Window, win: Window,
             model: str, k: int, min_estimation: int, n_obs: np.ndarray, start: np.ndarray,
             end: np.ndarray, s: np.ndarray, b: np.ndarray, d: np.ndarray,
             values: FloatArray, level: bool = False) -> np.ndarray:
    """The reason of each excluded pair, naming the value at fault; None for the others.

    ``names`` are the pairs' securities, benchmarks and days 0; ``index`` the sessions their
    offsets count (of ``exchange``; None: the rows of the index of returns).
    """
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
    for c, column, what in ((_NO_SECURITY, names[0], "security"),
                            (_NO_BENCHMARK, names[1], "benchmark")):
        at = np.flatnonzero(codes == c)
        if at.size and column is not None:
            messages[at] = not_a_column(what, column.iloc[bad[at]])
    at = np.flatnonzero(codes == _NO_DAY0)
    if at.size:
        where = ("in the index of returns" if exchange is None else
                 f"of {exchange} ({exchange_label(exchange)}) in the returns' dates "
                 f"({first} to {last})")
        messages[at] = [f"day0 {_day(x)} is not a session {where}"
                        for x in names[2][bad[at]]]
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
        messages[at] = _partial_reasons(bad[at], names, index, est, s, b, d, values,
                                        model != "constant-mean", level)
    reasons = np.full(code.size, None, dtype=object)
    reasons[bad] = messages
    return reasons


def _partial_reasons(rows: np.ndarray, names: tuple[pd.Series, pd.Series | None, np.ndarray],
                     index: pd.DatetimeIndex, est: Window, s: np.ndarray, b: np.ndarray,
                     d: np.ndarray, values: FloatArray, needs_benchmark: bool,
                     level: bool = False) -> list[str]:
    """Why ``require_full_window`` excludes each pair at ``rows`` (see :func:`_starts_late`)."""
    start = d[rows] + est[0]
    lead = 0 if level else 1
    firsts = [(what, column.iloc[rows].tolist(), _first_rows(values, col[rows]))
              for what, column, col in (("security", names[0], s), ("benchmark", names[1], b))
              if column is not None and (what == "security" or needs_benchmark)]
    out = []
    for i, at in enumerate(start.tolist()):
        if at < 0:
            out.append(f"estimation window starts at offset {est[0]}, before the first session "
                       f"of returns ({index[0].date()}) (require_full_window=True)")
            continue
        what, name, row = next((w, n[i], f[i]) for w, n, f in firsts if f[i] - lead > at)
        first = ("none" if row >= len(index) else str(index[row - lead].date()))
        whose = ("value", "its first value") if level else (
            "price", "the session before its first return")
        out.append(f"estimation window starts {index[at].date()}, before the first {whose[0]} "
                   f"of {what} {name!r} ({first}, {whose[1]}) (require_full_window=True)")
    return out


def _day(x: np.datetime64) -> str:
    return str(x)[:10]
