"""PairResult objects to the arrays of :mod:`eventstudy.inference.aggregate`.

The per-event (:func:`eventstudy.run`) and pooled (:func:`eventstudy.run_many`) studies hold one
:class:`~eventstudy.study.results.PairResult` per pair; the aggregation works on pairs × days
arrays (:class:`~eventstudy.inference.aggregate.PairArrays`). This module is the adapter.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from eventstudy._typing import FloatArray, Window
from eventstudy.inference.aggregate import BOOTSTRAP, Aggregate, PairArrays, aggregate

if TYPE_CHECKING:
    from eventstudy.study.results import PairResult

def _scatter(values: Sequence[FloatArray], positions: Sequence[Any], width: int) -> FloatArray:
    out = np.full((len(values), width), np.nan)
    for i, (v, pos) in enumerate(zip(values, positions, strict=True)):
        out[i, pos] = v
    return out


def pair_arrays(pairs: Sequence[PairResult], windows: Sequence[Window],
                keys: Sequence[tuple[str, str]] | None = None) -> PairArrays:
    """The aggregation inputs of PairResult objects, rows in the order of ``pairs``.

    ``keys`` are the pairs' (event, security) keys; they must be unique (a security in
    several events is several pairs, never one).
    """
    if keys is None:
        keys = [("", p.security) for p in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("pairs must be keyed on unique (event, security)")
    vec = [p.vectors() for p in pairs]
    offsets = np.unique(np.concatenate([v.t for v in vec]))
    at = [np.searchsorted(offsets, v.t) for v in vec]
    ar = _scatter([v.ar for v in vec], at, len(offsets))
    se = _scatter([v.se for v in vec], at, len(offsets))
    win_index = {tuple(w): j for j, w in enumerate(windows)}
    car = np.full((len(pairs), len(windows)), np.nan)
    car_se = np.full((len(pairs), len(windows)), np.nan)
    for i, v in enumerate(vec):
        for w, c, s in zip(v.windows, v.car, v.car_se, strict=True):
            if tuple(w) in win_index:
                car[i, win_index[tuple(w)]] = c
                car_se[i, win_index[tuple(w)]] = s
    est_offsets = np.unique(np.concatenate([v.residual_t for v in vec]))
    est_ar = _scatter([v.residual_ar for v in vec],
                      [np.searchsorted(est_offsets, v.residual_t) for v in vec], len(est_offsets))
    dates = [v.residual_dates.astype("datetime64[D]") for v in vec]
    all_dates = np.unique(np.concatenate(dates)) if dates else np.array([], "datetime64[D]")
    by_date = _scatter([v.residual_ar for v in vec],
                       [np.searchsorted(all_dates, d) for d in dates], len(all_dates))
    fits = [p.estimation for p in pairs]
    return PairArrays(
        offsets=offsets, ar=ar, se=se, windows=tuple(tuple(w) for w in windows),  # type: ignore[misc]
        car=car, car_se=car_se,
        df=np.array([f.df for f in fits], float), sigma=np.array([f.sigma for f in fits], float),
        k=np.array([f.k for f in fits], float), estimation_offsets=est_offsets,
        estimation_ar=est_ar, residuals=by_date,
        day0=np.array([pd.Timestamp(p.day0).to_datetime64() for p in pairs], "datetime64[D]"),
        residual_dates=all_dates, keys=tuple(keys),
    )


def aggregate_pairs(pairs: Sequence[PairResult], windows: Sequence[Window],
                    keys: Sequence[tuple[str, str]] | None = None, *,
                    bootstrap: int = BOOTSTRAP, seed: int | None = 0) -> Aggregate:
    """:func:`aggregate` over PairResult objects (the per-event and pooled path)."""
    return aggregate(pair_arrays(pairs, windows, keys), bootstrap=bootstrap, seed=seed)
