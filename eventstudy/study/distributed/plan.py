"""The split of a Dask batch into tasks, by security.

All the pairs of a security go to one task (so do all the pairs of a (security, benchmark)
combo, the unit of the engine's running sums), and a task reads only its securities' columns and
the benchmarks its pairs name. Securities are cut, in the order of the panel's columns, into
consecutive runs of about equal weight, a security weighing its share of the pairs plus its
share of the columns: no task gets much more than its share of the work or of the data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

# A task holds at most about this many pairs (its outputs: 250k × L=21 × 2 floats ≈ 84 MB) ...
PAIRS_PER_TASK = 250_000
# ... and this many bytes of returns columns (float64), whatever the size of the panel.
BYTES_PER_TASK = 64 * 2**20


@dataclass(frozen=True)
class Task:
    """One task of a Dask batch.

    Attributes
    ----------
    positions : np.ndarray
        Rows of the caller's pairs it computes, ascending (the caller's order).
    columns : list of str
        The tickers it reads: its securities and their pairs' benchmarks, in panel order.
    """

    positions: np.ndarray
    columns: list[str]


def default_tasks(n_pairs: int, n_tickers: int, n_sessions: int, threads: int) -> int:
    """Tasks for a batch: two per worker thread at least (one can run while the results of
    another travel), more when the pairs or the returns columns would not fit the per-task
    bounds :data:`PAIRS_PER_TASK` and :data:`BYTES_PER_TASK`."""
    return max(2 * max(threads, 1), math.ceil(n_pairs / PAIRS_PER_TASK),
               math.ceil(n_tickers * n_sessions * 8 / BYTES_PER_TASK), 1)


def split(tickers: pd.Index, s: np.ndarray, b: np.ndarray, n_tasks: int
          ) -> tuple[list[Task], np.ndarray]:
    """The tasks of the pairs whose security (column position ``s``) is a ticker, and the
    positions of those whose security is not (no task: they are excluded without data).

    ``b`` holds the benchmark's column position (−1: not a ticker, or not needed).
    """
    known = np.flatnonzero(s >= 0)
    orphans = np.flatnonzero(s < 0)
    if known.size == 0:
        return [], orphans
    counts = np.bincount(s[known], minlength=len(tickers))  # O(pairs), no sort
    used = counts > 0
    n_securities = int(used.sum())
    n_tasks = max(1, min(int(n_tasks), n_securities, 2**15 - 1))
    weight = np.where(used, counts / known.size + 1.0 / n_securities, 0.0)  # sums to 2
    before = np.cumsum(weight) - weight
    task_of_ticker = np.minimum((before / 2.0 * n_tasks).astype(np.int16), n_tasks - 1)
    task_of_pair = task_of_ticker[s[known]]
    # stable (the caller's order within a task); a radix sort on int16 keys, O(pairs)
    by_task = np.argsort(task_of_pair, kind="stable")
    order = known[by_task]
    bounds = np.searchsorted(task_of_pair[by_task], np.arange(n_tasks + 1))
    tasks = []
    for t in range(n_tasks):
        positions = order[bounds[t]:bounds[t + 1]]
        if positions.size == 0:
            continue
        bench = b[positions]
        used = np.zeros(len(tickers), bool)  # O(pairs), no sort
        used[s[positions]] = True
        used[bench[bench >= 0]] = True
        cols = np.flatnonzero(used)
        tasks.append(Task(positions=positions, columns=tickers[cols].tolist()))
    return tasks, orphans
