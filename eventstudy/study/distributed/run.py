"""The Dask path of the batch engine, :func:`batch`: the same arguments and the same
:class:`~eventstudy.study.batch.result.BatchResult` as :func:`eventstudy.batch`, the work split by
security over the workers of a Dask cluster."""

from __future__ import annotations

import math
import os
import uuid
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from eventstudy._typing import Window
from eventstudy.errors import DistributedError, EstimationError
from eventstudy.estimation import kernel
from eventstudy.study.batch.engine import _batch, _check_choices, chosen_engine
from eventstudy.study.batch.inputs import _check_settings, _check_threads, panel_kind
from eventstudy.study.batch.inputs import _positions as _positions_of
from eventstudy.study.batch.request import read_request
from eventstudy.study.batch.result import BatchResult, warn_excluded
from eventstudy.study.distributed.cluster import session, worker_threads
from eventstudy.study.distributed.deps import need
from eventstudy.study.distributed.gather import Assembly
from eventstudy.study.distributed.panel import Panel, open_panel
from eventstudy.study.distributed.plan import default_tasks, split
from eventstudy.study.distributed.task import pack, run_part

Progress = Callable[[int, int], None]


def batch(
    returns: pd.DataFrame | str | os.PathLike[str] | Panel,
    pairs: Any,
    *,
    client: Any = None,
    estimation: Window = (-250, -11),
    window: Window = (-10, 10),
    model: str = "market",
    min_estimation: int = 60,
    require_full_window: bool = False,
    chunk_size: int = 4_096,
    threads: int | None = None,
    tasks: int | None = None,
    workers: int = 2,
    retries: int = 2,
    timeout: float = 10.0,
    progress: Progress | None = None,
    sessions: str = "exchange",
    returns_kind: str = "log",
    measure: str = "returns",
) -> BatchResult:
    """:func:`eventstudy.batch` on a Dask cluster: the same numbers, exclusions and order.

    Parameters
    ----------
    returns : pd.DataFrame or path
        A frame as :func:`eventstudy.batch` takes it (sessions × tickers), or the path of a
        wide Parquet dataset (a file or a folder of files: a column ``date`` of sessions, or
        the frame's DatetimeIndex, and one float column per ticker; see
        :mod:`eventstudy.study.distributed.panel`). A task is sent its columns of the frame,
        or reads only its columns of the Parquet (which the workers must be able to reach).
        A :class:`~eventstudy.study.distributed.panel.Panel` from ``open_panel`` is taken as
        opened.
    pairs : pd.DataFrame or dask.dataframe.DataFrame
        Columns ``security``, ``benchmark``, ``day0``; its index labels the pairs. A dask
        frame is computed on the cluster first (the result holds every pair).
    client : dask.distributed.Client, str or None
        The cluster: a client (left open), a scheduler address (connected within ``timeout``
        seconds, closed after) or None: a ``LocalCluster`` of ``workers`` worker processes,
        one thread each, started and closed for the call.
    estimation, window, model, min_estimation, require_full_window, chunk_size, sessions, \
    returns_kind, measure
        As :func:`eventstudy.batch` (the ``exchange`` and ``benchmark_exchange`` columns of
        ``pairs`` too).
    threads : int or None
        Threads of the engine inside each task (default 1: Dask runs one task per worker
        thread).
    tasks : int or None
        Tasks to split the pairs into, by security (default
        :func:`~eventstudy.study.distributed.plan.default_tasks`: two per worker thread, more
        for over 250k pairs or 64 MB of returns columns per task).
    retries : int
        Times Dask runs a failed task again (a worker that dies is handled by Dask itself:
        its tasks move to the other workers).
    progress : callable or None
        Called as ``progress(done, total)`` as tasks finish (the CLI draws its bar with it).

    Returns
    -------
    BatchResult
        Indexed like ``pairs``; ``returns`` is the frame given, None for a Parquet path (so
        :meth:`~eventstudy.study.batch.result.BatchResult.aggregate` needs a frame).

    Raises
    ------
    MissingDependencyError
        dask.distributed or pyarrow is not installed
        (``pip install 'eventstudy-sessions[distributed]'``).
    DistributedError
        The scheduler is unreachable, or a task killed its worker again and again.
    EstimationError, PriceDataError, EventsFileError
        As :func:`eventstudy.batch`; a Parquet dataset that is missing, unreadable or not in
        the wide layout is a PriceDataError.

    Notes
    -----
    The pairs of a security all go to one task, which reads that security's column and the
    benchmarks its pairs name, and calls the local engine on them with the engine
    (:func:`~eventstudy.study.batch.engine.chosen_engine`) of the whole call and every row of
    the panel: the engine's sums are per (security, benchmark) combo, so each pair's numbers
    are those of one local call (bit for bit on the compiled engine; the numpy engine's blocks
    of combos may move the last bits). Pairs whose security is not a ticker are excluded on the
    caller, with the local engine's reason. Statistics as :func:`eventstudy.batch` (CLM 1997,
    §4.4).
    """
    est, win = _check_settings(estimation, window, model, min_estimation, chunk_size)
    n_threads = _check_threads(1 if threads is None else threads, 0)
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise EstimationError(f"retries = {retries!r}: give a non-negative integer")
    if tasks is not None and (isinstance(tasks, bool) or not isinstance(tasks, int)
                              or tasks < 1):
        raise EstimationError(f"tasks = {tasks!r}: give a positive integer or None")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not (
            0 < timeout < math.inf):
        raise EstimationError(f"timeout = {timeout!r}: give the seconds to reach the scheduler, "
                              "a positive number")
    need("distributed")
    panel = open_panel(returns)
    returns_kind = panel_kind(measure, model, returns_kind)
    _check_choices(sessions, returns_kind)
    settings = {"estimation": est, "window": win, "model": model,
                "min_estimation": min_estimation, "require_full_window": require_full_window,
                "chunk_size": chunk_size, "threads": n_threads, "sessions": sessions,
                "returns_kind": returns_kind}
    lazy = hasattr(pairs, "__dask_graph__") and hasattr(pairs, "columns")
    if not lazy:  # checked before any cluster starts
        s, b = _positions(panel, pairs, model)
    with session(client, workers, timeout) as cl:
        if lazy:
            pairs = cl.compute(pairs).result()
            s, b = _positions(panel, pairs, model)
        n_tasks = tasks or default_tasks(len(pairs), len(panel.tickers), len(panel.index),
                                         worker_threads(cl))
        plan, orphans = split(panel.tickers, s, b, n_tasks)
        engine = chosen_engine(len(pairs))
        assembly = Assembly(len(pairs))
        _run(cl, panel, plan, pairs, settings, engine, retries, progress, assembly)
    if orphans.size or not plan:  # no task: excluded here, by the same engine and reasons
        empty = pd.DataFrame(index=panel.index)
        part = _batch(empty, _slim(pairs, orphans), engine="numpy", **settings)
        assembly.add(orphans, pack(part))
    result = assembly.result(pairs, est, win, model, kernel.K[model], panel.frame, n_threads,
                             sessions, returns_kind)
    warn_excluded(result, "eventstudy.distributed.batch")
    return result


def _run(client: Any, panel: Panel, plan: list, pairs: pd.DataFrame, settings: dict,
         engine: str, retries: int, progress: Progress | None, assembly: Assembly) -> None:
    """Submit the tasks; write each one's part into ``assembly`` as it finishes (while the
    others run); report progress."""
    distributed = need("distributed")
    token = uuid.uuid4().hex[:12]
    futures = {}
    with warnings.catch_warnings():
        # Each task carries its data (its pairs; its columns of a frame) on purpose: Dask can
        # then run it again elsewhere when a worker dies, which scattered data would not allow.
        warnings.filterwarnings("ignore", "Sending large graph", UserWarning)
        for i, task in enumerate(plan):
            future = client.submit(run_part, panel.piece(task.columns), panel.path,
                                   task.columns, panel.index, _slim(pairs, task.positions),
                                   settings, engine, key=f"eventstudy-batch-{token}-{i}",
                                   retries=retries, pure=False)
            futures[future.key] = (future, task.positions)
    done = 0
    if progress is not None:
        progress(0, len(futures))
    try:
        for future in distributed.as_completed([f for f, _ in futures.values()]):
            _, positions = futures.pop(future.key)
            assembly.add(positions, future.result())
            future.release()  # the worker may drop its copy now
            done += 1
            if progress is not None:
                progress(done, len(plan))
    except distributed.KilledWorker as exc:
        raise DistributedError(f"a task killed its worker again and again ({exc}); give the "
                               "workers more memory, or more tasks (tasks=...)") from None
    finally:
        if futures:
            client.cancel([f for f, _ in futures.values()])


def _positions(panel: Panel, pairs: pd.DataFrame, model: str) -> tuple[np.ndarray, np.ndarray]:
    """Column positions of each pair's security and benchmark (−1: unknown, or not needed);
    the pairs' columns and dates checked as :func:`eventstudy.batch` checks them."""
    needs_benchmark = model != "constant-mean"
    s, b = _positions_of(panel.tickers, read_request(pairs, needs_benchmark), needs_benchmark)
    return s, (b if needs_benchmark else np.full(len(pairs), -1))


def _slim(pairs: pd.DataFrame, positions: np.ndarray) -> pd.DataFrame:
    """The rows at ``positions`` with the engine's columns only, on a plain position index."""
    cols = [c for c in ("security", "benchmark", "day0", "exchange", "benchmark_exchange")
            if c in pairs.columns]
    part = pairs.iloc[positions][cols]
    part.index = pd.RangeIndex(positions.size)
    return part
