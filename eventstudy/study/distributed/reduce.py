"""The pooled battery of a Dask batch, reduced on the cluster: :func:`aggregate`.

Each task runs the local engine on its securities' pairs, then sums, per group of the ``by``
column, what every reducible test of the battery needs
(:func:`eventstudy.inference.pooled_sums.pooled_sums`: counts, sums and moments by event day and
CAR window, by estimation offset and by calendar date). Only those sums travel back: a few
kilobytes a group, whatever the pairs, so a study of tens of millions of pairs never gathers
their paths. The caller merges them group by group as the tasks finish and finishes each into an
:class:`~eventstudy.inference.aggregate.Aggregate` (the same tests, the same objects as
:meth:`BatchResult.aggregate <eventstudy.study.batch.result.BatchResult.aggregate>`).
"""

from __future__ import annotations

import dataclasses
import itertools
import os
from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from eventstudy._typing import Window
from eventstudy.errors import EstimationError, InputError
from eventstudy.study.batch.inputs import not_a_column
from eventstudy.study.batch.result import warn_exclusions
from eventstudy.study.distributed.cluster import session
from eventstudy.study.distributed.panel import Panel
from eventstudy.study.distributed.run import Progress, prepare, submit
from eventstudy.study.distributed.task import exclusions, local_batch

if TYPE_CHECKING:
    from eventstudy.inference.aggregate import Aggregate
    from eventstudy.inference.pooled_sums import PooledSums

#: Pairs summed at once in a task (their estimation residuals, dates and ranks: about 150 MB).
CHUNK = 8_192
#: Pairs of a chunk whose residuals are correlated for r̄, a seeded uniform subsample: those on
#: the same day 0, and the fewer whose cross-date correlations (over the union of their dates,
#: O(pairs²)) enter a CAR window's r̄ (:mod:`eventstudy.inference.pooled_overlap`).
R_BAR_SAMPLE, R_BAR_CROSS_SAMPLE = 2_048, 128
#: The column that carries each pair's group code to the tasks.
GROUP = "__group__"


def aggregate(
    returns: pd.DataFrame | str | os.PathLike[str] | Panel,
    pairs: pd.DataFrame,
    *,
    by: str | None = None,
    windows: Sequence[Window] | None = None,
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
) -> Aggregate | dict[Hashable, Aggregate]:
    """AAR/CAAR and the battery of methods.md over the studied pairs, by group, reduced on a
    Dask cluster from per-task sums (the engine's arguments as :func:`eventstudy.distributed.
    batch`).

    Parameters
    ----------
    by : str or None
        A column of ``pairs``: one aggregate per value (None: one over all studied pairs).
    windows : sequence of (int, int), optional
        CAR windows inside ``window`` (default: the whole window).

    Returns
    -------
    Aggregate, or a dict of them keyed by the values of ``by`` (in order of first appearance).

    Notes
    -----
    Every test of :meth:`BatchResult.aggregate` with the same statistic, from sums merged
    across tasks (the moments by the parallel formulas of Chan, Golub and LeVeque 1983), but:
    grank_t (it re-standardizes each SCAR by the cross-sectional sd before ranking: two passes)
    and wilcoxon_z (ranks across all pairs) are not reduced and carry the reason; the CAAR has
    no bootstrap interval (it resamples every pair's CAR); r̄ (adj_patell_z, kp_bmp_t) is
    estimated from the pairs that share a task, each day-0 date's pairs within a task standing
    for all its pairs (see :mod:`eventstudy.inference.pooled_sums`). A security with the same
    day 0 twice in a group is refused, as the local aggregate refuses it.

    Raises
    ------
    InputError
        ``by`` is not a column of ``pairs``; a security with the same day 0 twice in a group;
        as :func:`eventstudy.distributed.batch` otherwise.
    EstimationError
        A CAR window outside ``window``.
    """
    from eventstudy.inference.pooled_sums import finish, merge

    job = prepare(returns, pairs, estimation, window, model, min_estimation,
                  require_full_window, chunk_size, threads, tasks, retries, timeout, sessions,
                  returns_kind, measure, "paths", "float64")
    win = job.win
    wins = tuple(tuple(int(x) for x in w) for w in (windows or (win,)))
    for lo, hi in wins:
        if not win[0] <= lo <= hi <= win[1]:
            raise EstimationError(f"CAR window {[lo, hi]} is not inside the event window "
                                  f"{list(win)}")
    codes, names = _groups(job.pairs, by)
    job = dataclasses.replace(job, pairs=job.pairs.assign(**{GROUP: codes}))
    merged: dict[int, PooledSums] = {}
    reasons: list[object] = []
    left_out = 0

    def take(positions: np.ndarray, part: dict[str, Any]) -> None:
        nonlocal left_out
        for g, sums in part["groups"].items():
            merged[g] = sums if g not in merged else merge([merged[g], sums])
        reasons.extend(part["excluded.text"])
        left_out += int(part["excluded.left_out"][0])

    with session(client, workers, timeout) as cl:
        job = job.planned(cl, tasks)
        submit(cl, job, reduce_part, lambda i: (wins,), retries, progress, take,
               extra_columns=(GROUP,))
    # pairs whose security is not a ticker: excluded without data, for the local engine's reason
    reasons.extend(not_a_column("security", job.pairs["security"].iloc[job.orphans]))
    warn_exclusions("eventstudy.distributed.aggregate", len(job.pairs), reasons, left_out,
                    "eventstudy.distributed.batch(...).excluded.dropna()")
    note = (f"; on the cluster, each task's pairs correlated among themselves, by chunks of "
            f"up to {CHUNK:,} pairs of one group, each through a seeded uniform subsample of "
            f"{R_BAR_SAMPLE:,} of its pairs ({R_BAR_CROSS_SAMPLE} for the pairs of different "
            "day 0s; Horvitz-Thompson weights)")
    out = {names[g]: dataclasses.replace(agg, r_bar_method=agg.r_bar_method + note)
           for g in sorted(merged) for agg in [finish(merged[g])]}
    if by is None:
        if not out:
            raise EstimationError("no pair was studied: nothing to aggregate")
        return out[names[0]]
    return out


def reduce_part(piece: pd.DataFrame | None, path: str | None, columns: list[str],
                index: pd.DatetimeIndex, pairs: pd.DataFrame, settings: dict[str, Any],
                engine: str, windows: tuple[Window, ...]) -> dict[str, Any]:
    """On a worker: the local engine on the task's pairs, then each group's pooled sums (a few
    kilobytes) and the exclusions: all that travels back."""
    from eventstudy.inference.pooled_sums import merge, pooled_sums
    from eventstudy.study.batch.pooling import pair_arrays

    result = local_batch(piece, path, columns, index, pairs, settings, engine)
    out: dict[str, Any] = exclusions(result)
    groups = pairs[GROUP].to_numpy()
    day0 = pd.DatetimeIndex(pairs["day0"]).to_numpy()
    security = pairs["security"].to_numpy()
    studied = result.studied
    sums: dict[int, PooledSums] = {}
    for g in np.unique(groups[studied]):
        rows = np.flatnonzero(studied & (groups == g))
        rows = rows[np.argsort(day0[rows], kind="stable")]  # a date's pairs together
        parts = []
        for chunk in _chunks(day0[rows]):
            at = rows[chunk]
            a = pair_arrays(result, at, windows, str(g), dense=False)
            keys = tuple((str(g), str(x)) for x in security[at])
            parts.append(pooled_sums(dataclasses.replace(a, keys=keys), sample=R_BAR_SAMPLE,
                                     cross_sample=R_BAR_CROSS_SAMPLE))
        sums[int(g)] = merge(parts)
    out["groups"] = sums
    return out


def _chunks(day0: np.ndarray) -> list[slice]:
    """Consecutive runs of the (sorted) dates of about :data:`CHUNK` pairs, cut between dates
    (a date with more pairs than that is cut within)."""
    n = day0.size
    cuts = [0]
    while cuts[-1] < n:
        end = min(cuts[-1] + CHUNK, n)
        if end < n:  # back to the start of end's date, unless that is the chunk's start
            first = int(np.searchsorted(day0, day0[end], side="left"))
            end = first if first > cuts[-1] else end
        cuts.append(end)
    return [slice(a, b) for a, b in itertools.pairwise(cuts)]


def _groups(pairs: pd.DataFrame, by: str | None) -> tuple[np.ndarray, list[Hashable]]:
    """Each pair's group code and the groups' values (in order of first appearance); a
    security twice on one day 0 in a group refused."""
    if by is None:
        codes, names = np.zeros(len(pairs), np.int64), [None]
    else:
        if by not in pairs.columns:
            raise InputError(f"pairs has no column {by!r} to group by")
        codes, uniques = pd.factorize(pairs[by], use_na_sentinel=False)
        names = list(uniques)
    key = pd.DataFrame({"g": codes, "security": pairs["security"].to_numpy(),
                        "day0": pd.DatetimeIndex(pairs["day0"]).to_numpy()})
    again = np.flatnonzero(key.duplicated().to_numpy())
    if again.size:
        at = int(again[0])
        raise InputError(
            f"pair {pairs.index[at]!r}: security {key['security'].iloc[at]!r} with day0 "
            f"{str(key['day0'].iloc[at])[:10]} is in its group twice: pooled, it would count "
            "twice; drop one (pairs.drop_duplicates(['security', 'day0']))")
    return np.asarray(codes, np.int64), names
