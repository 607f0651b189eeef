"""PairResult objects to the arrays of :mod:`eventstudy.inference.aggregate`.

The per-event (:func:`eventstudy.run`) and pooled (:func:`eventstudy.run_many`) studies hold one
:class:`~eventstudy.study.results.PairResult` per pair; the aggregation works on pairs × days
arrays (:class:`~eventstudy.inference.aggregate.PairArrays`). This module is the adapter.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from eventstudy._typing import Window
from eventstudy.inference.aggregate import BOOTSTRAP, Aggregate, PairArrays, aggregate
from eventstudy.study.results import StackedRows

if TYPE_CHECKING:
    from eventstudy.study.results import PairResult

def pair_arrays(pairs: Sequence[PairResult], windows: Sequence[Window],
                keys: Sequence[tuple[str, str]] | None = None) -> PairArrays:
    """The aggregation inputs of PairResult objects, rows in the order of ``pairs``.

    ``keys`` are the pairs' (event, security) keys; they must be unique (a security in
    several events is several pairs, never one). Pairs computed together (their
    :class:`~eventstudy.study.results.StackedRows`) are placed a group at a time.
    """
    if keys is None:
        keys = [("", p.security) for p in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("pairs must be keyed on unique (event, security)")
    groups: dict[int, tuple[StackedRows, list[int], list[int]]] = {}
    for i, p in enumerate(pairs):
        ref = p.row()
        rows, out_rows, in_rows = groups.setdefault(id(ref.rows), (ref.rows, [], []))
        out_rows.append(i)
        in_rows.append(ref.j)
    parts = [_Part(rows, np.array(i_rows), np.array(j_rows))
             for rows, i_rows, j_rows in groups.values()]
    offsets = np.unique(np.concatenate([part.rows.t for part in parts]))
    est_offsets, est_at = _sorted_unique(np.concatenate([part.residual_t for part in parts]))
    days, day_at = _sorted_unique(np.concatenate([part.dates for part in parts]).view("i8"))
    all_dates = days.view("datetime64[D]")
    shape = (len(pairs), len(offsets))
    ar, se = np.full(shape, np.nan), np.full(shape, np.nan)
    car = np.full((len(pairs), len(windows)), np.nan)
    car_se = np.full((len(pairs), len(windows)), np.nan)
    est_ar = np.full((len(pairs), len(est_offsets)), np.nan)
    by_date = np.full((len(pairs), len(all_dates)), np.nan)
    event_dates = np.full(shape, np.datetime64("NaT"), "datetime64[D]")
    win_index = {tuple(w): j for j, w in enumerate(windows)}
    for part in parts:
        rows, i, j = part.rows, part.i, part.j
        cols = np.ix_(i, np.searchsorted(offsets, rows.t))
        ar[cols], se[cols] = rows.ar[j], rows.se[j]
        if rows.dates is not None:  # each pair's sessions: the overlap of event windows
            event_dates[cols] = rows.dates[j]
        known = [k for k, w in enumerate(rows.windows) if tuple(w) in win_index]
        cols = np.ix_(i, [win_index[tuple(rows.windows[k])] for k in known])
        car[cols], car_se[cols] = rows.car[j][:, known], rows.car_se[j][:, known]
        at = np.repeat(i, part.lengths)
        est_ar[at, est_at(part.residual_t)] = part.residual_ar
        by_date[at, day_at(part.dates.view("i8"))] = part.residual_ar
    fits = [p.estimation for p in pairs]
    return PairArrays(
        offsets=offsets, ar=ar, se=se, windows=tuple(tuple(w) for w in windows),  # type: ignore[misc]
        car=car, car_se=car_se,
        df=np.array([f.df for f in fits], float), sigma=np.array([f.sigma for f in fits], float),
        k=np.array([f.k for f in fits], float), estimation_offsets=est_offsets,
        estimation_ar=est_ar, residuals=by_date,
        day0=np.array([pd.Timestamp(p.day0).to_datetime64() for p in pairs], "datetime64[D]"),
        residual_dates=all_dates, keys=tuple(keys),
        conditional=bool(fits) and all(f.garch is not None for f in fits),
        event_dates=event_dates,
    )


def _sorted_unique(values: np.ndarray) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]:
    """The sorted distinct integers of ``values`` (offsets, day numbers: a narrow range) and
    the function giving each value's position among them (``np.unique`` and
    ``np.searchsorted`` by a lookup table)."""
    values = values.astype(np.int64, copy=False)
    if not values.size:
        return values, lambda v: np.zeros(len(v), np.int64)
    low = int(values.min())
    present = np.bincount(values - low) > 0
    unique = np.flatnonzero(present) + low
    table = np.cumsum(present) - 1
    return unique, lambda v: table[np.asarray(v, np.int64) - low]


class _Part:
    """The pairs ``i`` (rows of the output) that are rows ``j`` of one StackedRows, with their
    estimation residuals end to end."""

    def __init__(self, rows: StackedRows, i: np.ndarray, j: np.ndarray) -> None:
        self.rows, self.i, self.j = rows, i, j
        starts, ends = rows.cuts[j], rows.cuts[j + 1]
        self.lengths = ends - starts
        pick = np.repeat(starts - np.concatenate([[0], np.cumsum(self.lengths)[:-1]]),
                         self.lengths) + np.arange(int(self.lengths.sum()))
        self.residual_t = rows.residual_t[pick]
        self.residual_ar = rows.residual_ar[pick]
        self.dates = rows.residual_dates[pick].astype("datetime64[D]")


def aggregate_pairs(pairs: Sequence[PairResult], windows: Sequence[Window],
                    keys: Sequence[tuple[str, str]] | None = None, *,
                    bootstrap: int = BOOTSTRAP, seed: int | None = 0) -> Aggregate:
    """:func:`aggregate` over PairResult objects (the per-event and pooled path)."""
    return aggregate(pair_arrays(pairs, windows, keys), bootstrap=bootstrap, seed=seed)
