"""The entry point of the batch engine, :func:`batch`, and the choice of engine
(:data:`~eventstudy.study.batch.tuning.ENGINE`): the compiled kernels of
:mod:`eventstudy.estimation._jit`, or the numpy path of
:mod:`~eventstudy.study.batch.sums` and :mod:`~eventstudy.study.batch.fit`.
"""

from __future__ import annotations

import functools
import importlib.util
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from eventstudy._typing import FloatArray, Window
from eventstudy.errors import EstimationError
from eventstudy.estimation import kernel
from eventstudy.study.batch import tuning
from eventstudy.study.batch.fit import _event_window, _Outputs
from eventstudy.study.batch.inputs import (
    _AFTER,
    _BEFORE,
    _NO_BENCHMARK,
    _NO_DAY0,
    _NO_SECURITY,
    _OK,
    _PARTIAL,
    _check_settings,
    _check_threads,
    _resolve,
    _returns_matrix,
    _starts_late,
)
from eventstudy.study.batch.result import BatchResult, _result
from eventstudy.study.batch.runner import _Runner
from eventstudy.study.batch.sums import _estimate

if TYPE_CHECKING:
    pass




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
        :data:`~eventstudy.study.batch.tuning.THREAD_MIN_PAIRS` pairs on, 1 below; 1: all on the
        calling thread). The blocks of combos and the chunks of pairs are independent tasks, each
        writing its own rows of the results, and numpy releases the GIL inside array operations, so
        they overlap; the results are bit-identical whatever ``threads``. Working memory grows by
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
    return _batch(returns, pairs, estimation=estimation, window=window, model=model,
                  min_estimation=min_estimation, require_full_window=require_full_window,
                  chunk_size=chunk_size, threads=threads, engine=None)


def _batch(returns: pd.DataFrame, pairs: pd.DataFrame, *, estimation: Window, window: Window,
           model: str, min_estimation: int, require_full_window: bool, chunk_size: int,
           threads: int | None, engine: str | None) -> BatchResult:
    """:func:`batch` on the engine ``engine`` ("numba" or "numpy"; None: :func:`chosen_engine`
    of the number of pairs). The Dask path fixes the engine for the whole call, so that its
    tasks, each a part of the pairs, compute what one local call would."""
    est, win = _check_settings(estimation, window, model, min_estimation, chunk_size)
    n_threads = _check_threads(threads, len(pairs) if isinstance(pairs, pd.DataFrame) else 0)
    k = kernel.K[model]
    needs_benchmark = model != "constant-mean"
    values, index = _returns_matrix(returns)
    s, b, d = _resolve(returns.columns, index, pairs, needs_benchmark)
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
        jit = _jit_module(engine or chosen_engine(n_pairs))
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


def chosen_engine(n_pairs: int) -> str:
    """The engine a call of ``n_pairs`` pairs runs on: "numba" or "numpy".

    :data:`~eventstudy.study.batch.tuning.ENGINE` chooses: "numba" or "numpy" as set; "auto"
    (the default) the compiled kernels from
    :data:`~eventstudy.study.batch.tuning.COMPILED_MIN_PAIRS` pairs on when numba is installed,
    else numpy. Small calls thus never pay the compiled engine's one-off load (0.3-0.6 s per
    process, seconds to compile on a fresh install) for a few milliseconds saved. The choice
    depends on the call only, never on what the process ran before: the same call gives the
    same bits. numba is not imported here.
    """
    if tuning.ENGINE in ("numba", "numpy"):
        return tuning.ENGINE
    if n_pairs < tuning.COMPILED_MIN_PAIRS or importlib.util.find_spec("numba") is None:
        return "numpy"
    return "numba"


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
                   min_obs, tuning.DIRECT_RATIO, out.n_obs, out.alpha, out.beta, out.sigma2,
                   out.mean_m, out.sxx, out.r2, out.ar, out.se, out.car, out.car_var,
                   out.n_days, code)

    runner.map(task, range(edges.size - 1))
