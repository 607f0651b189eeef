"""The tasks' packed arrays put back in the caller's order of pairs, as one
:class:`~eventstudy.study.batch.result.BatchResult`."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from eventstudy._typing import Window
from eventstudy.study.batch.result import BatchResult


def assemble(parts: Sequence[tuple[np.ndarray, dict[str, np.ndarray]]], pairs: pd.DataFrame,
             estimation: Window, window: Window, model: str, k: int,
             returns: pd.DataFrame | None, threads: int) -> BatchResult:
    """One result from ``parts``, each the positions of its pairs among ``pairs`` and its packed
    arrays (:func:`eventstudy.study.distributed.task.pack`); the positions of all parts cover
    every pair once. Each array is written in place at its pairs' rows: no sort."""
    n = len(pairs)
    template = parts[0][1]
    full = {name: np.empty((n, *x.shape[1:]), x.dtype) for name, x in template.items()
            if not name.startswith("excluded.")}
    reasons = np.full(n, None, dtype=object)
    for positions, part in parts:
        for name, x in part.items():
            if name in full:
                full[name][positions] = x
        reasons[positions[part["excluded.at"]]] = part["excluded.text"]
    labels = pairs.index
    offsets = pd.Index(np.arange(window[0], window[1] + 1), name="t")

    def series(name: str) -> pd.Series:
        return pd.Series(full[name], index=labels, name=name, copy=False)

    return BatchResult(
        ar=pd.DataFrame(full["ar"], index=labels, columns=offsets, copy=False),
        se=pd.DataFrame(full["se"], index=labels, columns=offsets, copy=False),
        car=series("car"), car_se=series("car_se"), car_t=series("car_t"),
        n_days=series("n_days"),
        estimation=pd.DataFrame({name[4:]: x for name, x in full.items()
                                 if name.startswith("est.")}, index=labels, copy=False),
        excluded=pd.Series(reasons, index=labels, name="reason", dtype=object),
        pairs=pairs, model=model, k=k, estimation_window=estimation, window=window,
        returns=returns, threads=threads,
    )
