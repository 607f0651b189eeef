"""The Dask path of the batch engine, :func:`batch`: the same arguments and the same
:class:`~eventstudy.study.batch.result.BatchResult` as :func:`eventstudy.batch`, the work split by
security over the workers of a Dask cluster."""

from __future__ import annotations

import math
import os
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from eventstudy._typing import Window
from eventstudy.errors import DistributedError, EstimationError
from eventstudy.estimation import kernel
from eventstudy.study.batch.engine import _batch, _check_choices, chosen_engine
from eventstudy.study.batch.inputs import (
    _check_settings,
    _check_threads,
    check_fields,
    panel_kind,
)
from eventstudy.study.batch.inputs import _positions as _positions_of
from eventstudy.study.batch.request import read_request
from eventstudy.study.batch.result import BatchResult, warn_excluded, warn_exclusions
from eventstudy.study.distributed.cluster import session, worker_threads
from eventstudy.study.distributed.deps import need
from eventstudy.study.distributed.gather import Assembly
from eventstudy.study.distributed.output import staged_dataset
from eventstudy.study.distributed.panel import Panel, open_panel
from eventstudy.study.distributed.plan import Task, default_tasks, split
from eventstudy.study.distributed.task import pack, run_part, write_part

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
    fields: str = "paths",
    paths_dtype: str = "float64",
    out: str | os.PathLike[str] | None = None,
) -> BatchResult | Path:
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
    fields, paths_dtype
        As :func:`eventstudy.batch`: the tasks send back only the fields asked for ("car": no
        per-day paths, a fifth of the bytes), the paths in ``paths_dtype``.
    out : path or None
        A folder to write the results to, as a Parquet dataset: each task writes its part
        (``part-NNNNN.parquet``, the columns of the ``eventstudy batch`` table: pair, security,
        benchmark, day0, car, se, t, p, n_days, n_obs, excluded, and with ``fields="paths"``
        ar_<t> and se_<t>) from its worker, and only the exclusions travel back. The parts go
        to a hidden folder beside ``out``, renamed to ``out`` when every part is in: a failed
        call leaves nothing. An existing ``out`` is replaced only if it holds nothing but
        such parts. The workers must reach the folder (a shared file system on a cluster).

    Returns
    -------
    BatchResult, or the path of the dataset (``out``)
        Indexed like ``pairs``; ``returns`` is the frame given, None for a Parquet path (so
        :meth:`~eventstudy.study.batch.result.BatchResult.aggregate` needs a frame).

    Raises
    ------
    MissingDependencyError
        dask.distributed or pyarrow is not installed
        (``pip install 'eventstudy-sessions[distributed]'``).
    DistributedError
        The scheduler is unreachable, or a task killed its worker again and again.
    InputError
        An unknown ``fields`` or ``paths_dtype``; ``out`` is a file, or a folder holding
        other files, or its parent folder does not exist.
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
    job = prepare(returns, pairs, estimation, window, model, min_estimation,
                  require_full_window, chunk_size, threads, tasks, retries, timeout, sessions,
                  returns_kind, measure, fields, paths_dtype)
    assembly = Assembly(len(pairs))
    if out is None:
        with session(client, workers, timeout) as cl:
            job = job.planned(cl, tasks)
            submit(cl, job, run_part, lambda i: (), retries, progress, assembly.add)
        _orphans(job, assembly)
        result = assembly.result(job.pairs, job.est, job.win, model, kernel.K[model],
                                 job.panel.frame, job.settings["threads"], sessions,
                                 job.settings["returns_kind"])
        warn_excluded(result, "eventstudy.distributed.batch")
        return result
    with staged_dataset(Path(out)) as folder, session(client, workers, timeout) as cl:
        job = job.planned(cl, tasks)
        submit(cl, job, write_part, lambda i: (str(folder), i), retries, progress,
               assembly.add, labels=True)
        if job.orphans.size or not job.plan:  # no task: excluded here, by the same engine
            part = write_part(pd.DataFrame(index=job.panel.index), None, [], job.panel.index,
                              _slim(job.pairs, job.orphans, labels=True), job.settings,
                              "numpy", str(folder), len(job.plan))
            assembly.add(job.orphans, part)
    warn_exclusions("eventstudy.distributed.batch", len(job.pairs),
                    [x for x in assembly.reasons if x is not None], assembly.left_out,
                    f"the 'excluded' column of {out}")
    return Path(out)


@dataclass(frozen=True)
class Job:
    """A Dask batch: the returns, the pairs (computed when they came as a dask frame) and
    their column positions, the engine's settings; once planned on a client, its tasks, the
    pairs no task computes (``orphans``) and the engine of the whole call."""

    panel: Panel
    pairs: Any
    settings: dict[str, Any]
    s: np.ndarray | None = None
    b: np.ndarray | None = None
    plan: list[Task] | None = None
    orphans: np.ndarray | None = None
    engine: str = "numpy"
    coded: Any = None  # the pairs as the tasks get them (:func:`_coded`)

    @property
    def est(self) -> Window:
        return self.settings["estimation"]

    @property
    def win(self) -> Window:
        return self.settings["window"]

    def planned(self, client: Any, tasks: int | None) -> Job:
        """The job split into tasks for the cluster of ``client``."""
        pairs, s, b = self.pairs, self.s, self.b
        if s is None or b is None:  # a dask frame: computed on the cluster first
            pairs = client.compute(pairs).result()
            s, b = _positions(self.panel, pairs, self.settings["model"])
        n_tasks = tasks or default_tasks(len(pairs), len(self.panel.tickers),
                                         len(self.panel.index), worker_threads(client))
        plan, orphans = split(self.panel.tickers, s, b, n_tasks)
        return Job(self.panel, pairs, self.settings, s, b, plan, orphans,
                   chosen_engine(len(pairs), loaded=True),  # workers live on: loaded once
                   _coded(pairs, self.panel.tickers, s, b))


def prepare(returns: Any, pairs: Any, estimation: Window, window: Window, model: str,
            min_estimation: int, require_full_window: bool, chunk_size: int,
            threads: int | None, tasks: int | None, retries: int, timeout: float,
            sessions: str, returns_kind: str, measure: str, fields: str = "paths",
            paths_dtype: str = "float64") -> Job:
    """Every argument checked before any cluster starts; the returns opened (a frame, or a
    Parquet dataset's layout) and, unless ``pairs`` is a dask frame, the pairs' columns."""
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
    check_fields(fields, paths_dtype)
    need("distributed")
    panel = open_panel(returns)
    returns_kind = panel_kind(measure, model, returns_kind)
    _check_choices(sessions, returns_kind)
    settings = {"estimation": est, "window": win, "model": model,
                "min_estimation": min_estimation, "require_full_window": require_full_window,
                "chunk_size": chunk_size, "threads": n_threads, "sessions": sessions,
                "returns_kind": returns_kind, "fields": fields, "paths_dtype": paths_dtype}
    if hasattr(pairs, "__dask_graph__") and hasattr(pairs, "columns"):
        return Job(panel, pairs, settings)
    s, b = _positions(panel, pairs, model)
    return Job(panel, pairs, settings, s, b)


def submit(client: Any, job: Job, func: Callable[..., Any],
           extra: Callable[[int], tuple[Any, ...]], retries: int, progress: Progress | None,
           take: Callable[[np.ndarray, Any], None], extra_columns: tuple[str, ...] = (),
           labels: bool = False) -> None:
    """Run ``func`` on each task of ``job`` (its returns, pairs with the engine's columns and
    ``extra_columns``, on their labels with ``labels`` else on positions, settings, then
    ``extra(i)``); hand each one's output to ``take(positions, output)`` as it finishes (while
    the others run); report progress."""
    distributed = need("distributed")
    token = uuid.uuid4().hex[:12]
    futures = {}
    panel = job.panel
    with warnings.catch_warnings():
        # Each task carries its data (its pairs; its columns of a frame) on purpose: Dask can
        # then run it again elsewhere when a worker dies, which scattered data would not allow.
        warnings.filterwarnings("ignore", "Sending large graph", UserWarning)
        for i, task in enumerate(job.plan or ()):
            future = client.submit(func, panel.piece(task.columns), panel.path, task.columns,
                                   panel.index,
                                   _slim(job.coded, task.positions, labels, extra_columns),
                                   job.settings, job.engine, *extra(i),
                                   key=f"eventstudy-batch-{token}-{i}", retries=retries,
                                   pure=False)
            futures[future.key] = (future, task.positions)
    done = 0
    if progress is not None:
        progress(0, len(futures))
    try:
        for future in distributed.as_completed([f for f, _ in futures.values()]):
            _, positions = futures.pop(future.key)
            take(positions, future.result())
            future.release()  # the worker may drop its copy now
            done += 1
            if progress is not None:
                progress(done, done + len(futures))
    except distributed.KilledWorker as exc:
        raise DistributedError(f"a task killed its worker again and again ({exc}); give the "
                               "workers more memory, or more tasks (tasks=...)") from None
    finally:
        if futures:
            client.cancel([f for f, _ in futures.values()])


def _orphans(job: Job, assembly: Assembly) -> None:
    """The pairs no task computes (their security is not a ticker), excluded here by the same
    engine and reasons."""
    if job.orphans is not None and (job.orphans.size or not job.plan):
        empty = pd.DataFrame(index=job.panel.index)
        part = _batch(empty, _slim(job.pairs, job.orphans), engine="numpy", **job.settings)
        assembly.add(job.orphans, pack(part))


def _positions(panel: Panel, pairs: pd.DataFrame, model: str) -> tuple[np.ndarray, np.ndarray]:
    """Column positions of each pair's security and benchmark (−1: unknown, or not needed);
    the pairs' columns and dates checked as :func:`eventstudy.batch` checks them."""
    needs_benchmark = model != "constant-mean"
    s, b = _positions_of(panel.tickers, read_request(pairs, needs_benchmark), needs_benchmark)
    return s, (b if needs_benchmark else np.full(len(pairs), -1))


def _coded(pairs: pd.DataFrame, tickers: pd.Index, s: np.ndarray, b: np.ndarray
           ) -> pd.DataFrame:
    """``pairs`` with ``security`` and ``benchmark`` as categoricals of the panel's tickers,
    coded from the positions the caller resolved (``s``, ``b``; a name that is no ticker keeps
    its text): a task's slice then pickles as integer codes, not a string a pair, and the
    engine looks up the few distinct names, not a million strings."""
    coded = {}
    for column, at in (("security", s), ("benchmark", b)):
        if column not in pairs.columns or (at < 0).all():  # e.g. constant mean: not needed
            continue
        codes, names = at.copy(), tickers
        other = np.flatnonzero(at < 0)
        if other.size:  # names that are no ticker (excluded with their name) or missing
            inverse, extra = pd.factorize(pairs[column].to_numpy()[other])
            names = tickers.append(pd.Index(extra, dtype=object).difference(tickers, sort=False))
            codes[other] = np.where(inverse >= 0, names.get_indexer(extra)[inverse], -1)
        coded[column] = pd.Categorical.from_codes(codes, categories=names)
    return pairs.assign(**coded) if coded else pairs


def _slim(pairs: pd.DataFrame, positions: np.ndarray, labels: bool = False,
          extra: tuple[str, ...] = ()) -> pd.DataFrame:
    """The rows at ``positions`` with the engine's columns (and ``extra``) only, on a plain
    position index, or on their labels (``labels``)."""
    cols = [c for c in ("security", "benchmark", "day0", "exchange", "benchmark_exchange",
                        *extra) if c in pairs.columns]
    part = pairs.iloc[positions][cols]
    if not labels:
        part.index = pd.RangeIndex(positions.size)
    return part
