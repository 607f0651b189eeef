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
    offsets = np.unique(np.concatenate([p.days["t"].to_numpy(int) for p in pairs]))
    ar = _scatter([p.days["ar"].to_numpy(float) for p in pairs],
                  [np.searchsorted(offsets, p.days["t"].to_numpy(int)) for p in pairs],
                  len(offsets))
    se = _scatter([p.days["se"].to_numpy(float) for p in pairs],
                  [np.searchsorted(offsets, p.days["t"].to_numpy(int)) for p in pairs],
                  len(offsets))
    win_index = {tuple(w): j for j, w in enumerate(windows)}
    car = np.full((len(pairs), len(windows)), np.nan)
    car_se = np.full((len(pairs), len(windows)), np.nan)
    for i, p in enumerate(pairs):
        for w, c, s in zip(p.car["window"], p.car["car"], p.car["se"], strict=True):
            if tuple(w) in win_index:
                car[i, win_index[tuple(w)]] = c
                car_se[i, win_index[tuple(w)]] = s
    res = [p.residuals for p in pairs]
    est_offsets = np.unique(np.concatenate([r["t"].to_numpy(int) for r in res]))
    est_ar = _scatter([r["ar"].to_numpy(float) for r in res],
                      [np.searchsorted(est_offsets, r["t"].to_numpy(int)) for r in res],
                      len(est_offsets))
    dates = [pd.DatetimeIndex(r["date"]).to_numpy("datetime64[D]") for r in res]
    all_dates = np.unique(np.concatenate(dates)) if dates else np.array([], "datetime64[D]")
    by_date = _scatter([r["ar"].to_numpy(float) for r in res],
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
