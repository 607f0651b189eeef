"""The entry point of the batch engine, :func:`batch`, and the choice of engine
(:data:`~eventstudy.study.batch.tuning.ENGINE`): the compiled kernels of
:mod:`eventstudy.estimation._jit`, or the numpy path of
:mod:`~eventstudy.study.batch.sums` and :mod:`~eventstudy.study.batch.fit`.
"""

from __future__ import annotations

import functools
from typing import Any, Literal

import numpy as np
import pandas as pd

from eventstudy._typing import FloatArray, Window
from eventstudy.errors import EstimationError
from eventstudy.estimation import kernel
from eventstudy.study.batch import choice, grid, spans, tuning
from eventstudy.study.batch.fit import _event_window, _Outputs
from eventstudy.study.batch.inputs import (
    _AFTER,
    _BEFORE,
    _EMPTY,
    _NO_BENCHMARK,
    _NO_DAY0,
    _NO_SECURITY,
    _OK,
    _PARTIAL,
    _UNPLACED,
    _check_choices,
    _check_settings,
    _check_threads,
    _positions,
    _reasons,
    _returns_matrix,
    _starts_late,
    check_fields,
    not_a_column,
    panel_kind,
)
from eventstudy.study.batch.request import read_request
from eventstudy.study.batch.result import BatchResult, _result, warn_excluded
from eventstudy.study.batch.runner import _Runner
from eventstudy.study.batch.spans import Prices
from eventstudy.study.batch.sums import _estimate


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
    sessions: Literal["exchange", "index"] = "exchange",
    returns_kind: Literal["log", "simple"] = "log",
    measure: Literal["returns", "volume"] = "returns",
    fields: Literal["car", "paths"] = "paths",
    paths_dtype: Literal["float64", "float32"] = "float64",
) -> BatchResult:
    """Event studies of many pairs on one returns frame, vectorised (contract "Library API").

    Parameters
    ----------
    returns : pd.DataFrame
        Index: session dates (sorted, unique, tz-naive DatetimeIndex), of one exchange or the
        union of several; columns: tickers; values: each ticker's returns on its own trading
        days (log or simple, see ``returns_kind``), NaN where missing. A missing value is a
        missing price: the next return is read as spanning it (trade to trade).
    pairs : pd.DataFrame
        Columns ``security``, ``benchmark`` (tickers among ``returns``' columns; the
        benchmark is not needed by the constant-mean model) and ``day0`` (a session of the
        pair's exchange: a datetime, or an ISO date string YYYY-MM-DD; nothing else is read
        as a date). Optional ``exchange`` and ``benchmark_exchange`` (exchange_calendars
        codes; blank: inferred). Its index labels the pairs.
    estimation, window : (int, int)
        Inclusive offsets, in sessions of each pair's exchange (or rows of ``returns``, see
        ``sessions``), of the estimation and event windows relative to day 0. The estimation
        window must end before the event window starts.
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
        :data:`~eventstudy.study.batch.tuning.THREAD_MIN_PAIRS` pairs on, 1 below; 1: all on the
        calling thread). The blocks of combos and the chunks of pairs are independent tasks, each
        writing its own rows of the results, and numpy releases the GIL inside array operations, so
        they overlap; the results are bit-identical whatever ``threads``. Working memory grows by
        one block's buffers and one chunk's arrays per thread.
    sessions : {"exchange", "index"}
        "exchange" (default): each pair's offsets count the sessions of its security's
        exchange (the ``exchange`` column, else inferred from the ticker as the events file
        infers it: ``.T`` Tokyo, ``.AX`` Sydney, plain US tickers New York, ...); rows of
        other exchanges are skipped for it, and a benchmark on another exchange is read by
        instant, as :func:`eventstudy.run` reads it. A pair whose exchange cannot be inferred
        is excluded with the reason. "index": offsets count rows of ``returns`` for every
        pair (a panel already on one calendar, or synthetic dates).
    returns_kind : {"log", "simple"}
        How returns combine over several sessions: a return spanning a missing price, a
        benchmark read by instant over several of its sessions.
    measure : {"returns", "volume"}
        "volume": ``returns`` holds log(1 + volume) levels (``eventstudy data panel --measure
        volume``), read as they are (a missing value stays missing, nothing spans; a benchmark
        on another exchange is its level at the instant); the model is "constant-mean" or
        "market" (on the benchmark column's log volume), with the same kernels: AR is the
        abnormal log volume, CAR the cumulative one. The result's ``returns_kind`` is "level".
    fields, paths_dtype : {"paths", "car"}, {"float64", "float32"}
        "paths" (default): everything; "car": no ``ar`` and ``se`` (None; 2 × L floats a pair,
        most of a result), the same numbers otherwise. ``paths_dtype``: the float type of
        ``ar`` and ``se`` (float32: half the memory, 7 digits; the rest stays float64).

    Returns
    -------
    BatchResult

    Raises
    ------
    EstimationError
        Unknown model, invalid windows, ``min_estimation``, ``chunk_size`` or ``threads``.
    InputError
        An unknown ``fields`` or ``paths_dtype``; ``returns`` is not a frame of session
        dates × tickers (tz-aware or timed stamps included); an unknown ``measure``, a model
        that is not a volume model; ``pairs`` lacks a required column, has a ``day0`` that is
        not a date in an accepted form, or an unknown exchange code.

    Warns
    -----
    ExcludedPairsWarning
        Once per call when pairs are excluded: their count by reason, and how to list them.

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
    kind = panel_kind(measure, model, returns_kind)
    result = _batch(returns, pairs, estimation=estimation, window=window, model=model,
                    min_estimation=min_estimation, require_full_window=require_full_window,
                    chunk_size=chunk_size, threads=threads, engine=None, sessions=sessions,
                    returns_kind=kind, fields=fields, paths_dtype=paths_dtype)
    warn_excluded(result, "eventstudy.batch")
    return result


def _batch(returns: pd.DataFrame, pairs: pd.DataFrame, *, estimation: Window, window: Window,
           model: str, min_estimation: int, require_full_window: bool, chunk_size: int,
           threads: int | None, engine: str | None, sessions: str = "exchange",
           returns_kind: str = "log", fields: str = "paths", paths_dtype: str = "float64",
           ) -> BatchResult:
    """:func:`batch` on the engine ``engine`` ("numba" or "numpy"; None: :func:`chosen_engine`
    of the number of pairs). The Dask path fixes the engine for the whole call, so that its
    tasks, each a part of the pairs, compute what one local call would. ``returns_kind``
    "level": a volume panel (:func:`~eventstudy.study.batch.inputs.panel_kind`)."""
    if returns_kind == "level":
        panel_kind("volume", model, returns_kind)
    check_fields(fields, paths_dtype)
    est, win = _check_settings(estimation, window, model, min_estimation, chunk_size)
    _check_choices(sessions, returns_kind)
    n_threads = _check_threads(threads, len(pairs) if isinstance(pairs, pd.DataFrame) else 0)
    k = kernel.K[model]
    needs_benchmark = model != "constant-mean"
    values, index = _returns_matrix(returns)
    request = read_request(pairs, needs_benchmark)
    s, b = _positions(returns.columns, request, needs_benchmark)
    n_pairs, length = len(pairs), win[1] - win[0] + 1
    plan = grid.layout(values, index, returns.columns, s, b, request.day0, request.exchange,
                       request.benchmark_exchange, sessions, returns_kind)
    out = _Outputs(n_pairs, length, fields == "paths")
    code = np.full(n_pairs, _UNPLACED, np.int8)
    start = np.full(n_pairs, np.datetime64("NaT"), "datetime64[ns]")
    end = start.copy()
    reasons = np.full(n_pairs, None, dtype=object)
    reasons[plan.unplaced] = plan.reasons
    unknown = s < 0  # placed in no part: not a column of returns
    code[unknown] = _NO_SECURITY
    reasons[unknown] = not_a_column("security", request.security.iloc[np.flatnonzero(unknown)])
    jit = _jit_module(engine or chosen_engine(n_pairs)) if n_pairs else None
    names = (request.security, request.benchmark if needs_benchmark else None, request.day0)
    with _Runner(n_threads) as runner:
        for part in plan.parts:
            whole = part.rows.size == n_pairs  # every pair, in order: write in place
            into = out if whole else _Outputs(part.rows.size, length, out.paths)
            part_code = _run_part(part, est, win, model, k, min_estimation, require_full_window,
                                  chunk_size, returns_kind, jit, into, runner)
            part_names = names if whole else (
                names[0].iloc[part.rows],
                None if names[1] is None else names[1].iloc[part.rows], names[2][part.rows])
            p_start, p_end = _estimation_dates(part, est)
            part_reasons = _reasons(part_code, part_names, part.index, part.exchange, est, win,
                                    model, k, min_estimation, into.n_obs, p_start, p_end,
                                    part.s, part.b, part.d, part.prices.raw,
                                    returns_kind == "level")
            if whole:
                code, start, end, reasons = part_code, p_start, p_end, part_reasons
            else:
                into.scatter(out, part.rows)
                code[part.rows] = part_code
                start[part.rows], end[part.rows] = p_start, p_end
                reasons[part.rows] = part_reasons
    out.clear(np.flatnonzero(code != _OK))
    return _result(out, code, pairs, est, win, model, k, start, end, reasons, returns,
                   n_threads, sessions, returns_kind, plan.left_out, paths_dtype)


def _run_part(part: grid.Part, est: Window, win: Window, model: str, k: int,
              min_estimation: int, require_full_window: bool, chunk_size: int, kind: str,
              jit: Any, out: _Outputs, runner: _Runner) -> np.ndarray:
    """The engine on one part's pairs: their exclusion codes, and their rows of ``out``."""
    prices = part.prices
    s, b, d = part.s, part.b, part.d
    needs_benchmark = model != "constant-mean"
    n_rows = len(part.index)
    code = np.zeros(s.size, np.int8)
    if require_full_window:
        code[_starts_late(prices.raw, s, b, d, est[0], needs_benchmark,
                          kind == "level")] = _PARTIAL
    code[(d + win[0] >= 0) & (d + win[1] >= n_rows)] = _AFTER
    code[(d >= 0) & (d + win[0] < 0)] = _BEFORE
    code[d < 0] = _NO_DAY0
    if needs_benchmark:
        code[b < 0] = _NO_BENCHMARK
    code[s < 0] = _NO_SECURITY
    ok = code == _OK
    if ok.any():
        min_obs = max(min_estimation, k + 3)
        if jit is not None:
            _compiled(jit, prices.est, prices.raw, s, b, d, ok, est, win, model, min_obs, out,
                      code, runner)
        else:
            sums, at = _estimate(prices.est, s, b, d, ok, est, model, runner)
            _event_window(prices.raw, s, b, d, sums, at, win, model, min_obs, chunk_size, out,
                          code, runner)
        _respan(prices, s, b, d, code, est, win, model, kind, out, jit, runner)
    return code


def _respan(prices: Prices, s: np.ndarray, b: np.ndarray, d: np.ndarray, code: np.ndarray,
            est: Window, win: Window, model: str, kind: str, out: _Outputs, jit: Any,
            runner: _Runner) -> None:
    """The event windows holding returns that span a gap, redone trade to trade
    (:mod:`eventstudy.study.batch.spans`, or its compiled twin
    :func:`eventstudy.estimation._jit.respan` on the compiled engine); the engine did them as
    one-session returns."""
    rows = spans.candidates(prices, s, b, d, win, code == _OK, out.n_days)
    if not rows.size:
        return
    if jit is not None:
        from eventstudy.estimation import _jit_spans

        anchor = prices.anchor if prices.anchor is not None else np.full(
            prices.raw.shape[0], -1, np.int64)
        kind_code = getattr(jit, model.upper().replace("-", "_"))  # jit.MARKET, ...

        def part(chunk: np.ndarray) -> None:  # each writes its own pairs' rows (nogil)
            ar, se = (out.ar, out.se) if out.paths else out.scratch(1)
            _jit_spans.respan(prices.raw, anchor, s, b, d, chunk, est[0] - 1, win[0],
                              win[1] - win[0] + 1, kind_code, kernel.K[model],
                              kind == "simple", out.alpha, out.beta, out.sigma2, out.n_obs,
                              out.mean_m, out.sxx, ar, se, out.car, out.car_var,
                              out.n_days)

        runner.map(part, np.array_split(rows, 4 * runner.threads if rows.size > 4096 else 1))
        days = out.n_days[rows]
    else:
        ar, se, car, car_var, days = spans.respan(
            prices, rows, s, b, d, est[0], win, model, kind, out.alpha, out.beta, out.sigma2,
            out.n_obs.astype(float), out.mean_m, out.sxx)
        if out.ar is not None and out.se is not None:
            out.ar[rows], out.se[rows] = ar, se
        out.car[rows], out.car_var[rows], out.n_days[rows] = car, car_var, days
    code[rows[days == 0]] = _EMPTY


def _estimation_dates(part: grid.Part, est: Window) -> tuple[np.ndarray, np.ndarray]:
    """First and last sessions of each pair's estimation window (the first session of the
    part when it reaches before it; NaT when day 0 is unknown or the window lies outside)."""
    d, n_rows = part.d, len(part.index)
    sessions = part.index.to_numpy().astype("datetime64[ns]")
    if n_rows == 0:
        nat = np.full(d.size, np.datetime64("NaT"), "datetime64[ns]")
        return nat, nat.copy()
    inside = (d >= 0) & (d + est[1] >= 0) & (d + est[1] < n_rows)
    start, end = (sessions.take(np.maximum(d + offset, 0), mode="clip") for offset in est)
    if not inside.all():
        start[~inside] = end[~inside] = np.datetime64("NaT")
    return start, end


def chosen_engine(n_pairs: int, *, loaded: bool | None = None) -> str:
    """The engine a call of ``n_pairs`` pairs runs on: "numba" or "numpy".

    :data:`~eventstudy.study.batch.tuning.ENGINE` chooses: "numba" or "numpy" as set; "auto" (the
    default) numpy under :data:`~eventstudy.study.batch.tuning.COMPILED_MIN_PAIRS` pairs or
    without numba, else the compiled kernels once loaded (``loaded``: None, this process's state;
    True, assume so, as in a long-lived worker) and, while they are not, by the expected cost of
    the call, their load included (:mod:`~eventstudy.study.batch.choice`): a mid-size first call
    runs on numpy, the next compiled. The engines depend on the sequence of calls, never on
    timings: a script gets the same bits on every run. numba is not imported here.
    """
    return choice.chosen_engine(n_pairs, loaded=loaded)


def _jit_module(engine: str) -> Any:
    """The compiled kernels (:mod:`eventstudy.estimation._jit`) for ``engine == "numba"``,
    None for the numpy path (also the fallback under "auto" when numba fails to import).

    numba is imported here, on the first compiled batch, never at ``import eventstudy``.
    """
    if engine == "numpy":
        return None
    module = _load_jit()
    if module is None and tuning.ENGINE == "numba":
        raise EstimationError("ENGINE = 'numba' but numba is not importable; pip install numba "
                              "or set eventstudy.study.batch.tuning.ENGINE = 'auto'")
    return module


@functools.cache
def _load_jit() -> Any:
    """The compiled kernels (None without numba); a load is recorded in ``choice.state``."""
    try:
        from eventstudy.estimation import _jit
    except ImportError:
        return None
    choice.state.loaded = True
    return _jit


def _compiled(jit: Any, values: FloatArray, window_values: FloatArray, s: np.ndarray,
              b: np.ndarray, d: np.ndarray, ok: np.ndarray, est: Window, win: Window,
              model: str, min_obs: int, out: _Outputs, code: np.ndarray,
              runner: _Runner) -> None:
    """Estimation, fit and event window of the ``ok`` pairs by the compiled kernels.

    The pairs are grouped by combo (a counting sort); the combos are cut in ranges of about
    equal work, ``runner``'s tasks, each a call of :func:`eventstudy.estimation._jit.combos` (which
    releases the GIL) writing the rows of its own pairs: the numbers do not depend on the
    threads. Same conventions and exclusions as :func:`_estimate` and :func:`_event_window`:
    the sums read ``values`` (the estimation sample's returns), the event window
    ``window_values`` (trade to trade, :mod:`eventstudy.study.batch.spans`).
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
    kind = getattr(jit, model.upper().replace("-", "_"))  # jit.MARKET, CONSTANT_MEAN, ...

    def task(i: int) -> None:  # without paths, each call its own one-row scratch
        ar, se = (out.ar, out.se) if out.paths else out.scratch(1)
        jit.combos(values, window_values, combo_s, combo_b, pair_rows, starts, int(edges[i]),
                   int(edges[i + 1]), d, est[0], est_len, win[0], length, kind, kernel.K[model],
                   min_obs, tuning.DIRECT_RATIO, out.n_obs, out.alpha, out.beta, out.sigma2,
                   out.mean_m, out.sxx, out.r2, ar, se, out.car, out.car_var, out.n_days, code)

    runner.map(task, range(edges.size - 1))
