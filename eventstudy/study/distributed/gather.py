"""The tasks' packed arrays put back in the caller's order of pairs, as one
:class:`~eventstudy.study.batch.result.BatchResult`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from eventstudy._typing import Window
from eventstudy.study.batch.result import BatchResult


class Assembly:
    """The result arrays of ``n`` pairs, filled part by part as the tasks finish.

    Each part (:func:`eventstudy.study.distributed.task.pack`) is written in place at its pairs'
    rows when it arrives, while the other tasks still run, and is then dropped: no sort at the
    end, and the caller holds one copy of the results, not two.
    """

    def __init__(self, n: int) -> None:
        self.n = n
        self.full: dict[str, np.ndarray] = {}
        self.reasons = np.full(n, None, dtype=object)
        self.left_out = 0
        self.filled = 0

    def add(self, positions: np.ndarray, part: dict[str, np.ndarray]) -> None:
        """Write ``part``, the packed arrays of the pairs at ``positions``."""
        if not self.full:
            self.full = {name: np.empty((self.n, *x.shape[1:]), x.dtype)
                         for name, x in part.items() if not name.startswith("excluded.")}
        for name, into in self.full.items():
            into[positions] = part[name]
        self.reasons[positions[part["excluded.at"]]] = part["excluded.text"]
        self.left_out += int(part["excluded.left_out"][0])
        self.filled += positions.size

    def result(self, pairs: pd.DataFrame, estimation: Window, window: Window, model: str,
               k: int, returns: pd.DataFrame | None, threads: int, sessions: str = "exchange",
               returns_kind: str = "log") -> BatchResult:
        """The :class:`BatchResult` once every pair is filled, indexed like ``pairs``."""
        if self.filled != self.n:
            raise RuntimeError(f"{self.filled} of {self.n} pairs assembled")  # a bug, not input
        full = self.full
        labels = pairs.index
        offsets = pd.Index(np.arange(window[0], window[1] + 1), name="t")

        def series(name: str) -> pd.Series:
            return pd.Series(full[name], index=labels, name=name, copy=False)

        def frame(name: str) -> pd.DataFrame | None:  # a path, when the tasks sent them
            if name not in full:
                return None
            return pd.DataFrame(full[name], index=labels, columns=offsets, copy=False)

        result = BatchResult(
            ar=frame("ar"), se=frame("se"),
            car=series("car"), car_se=series("car_se"), car_t=series("car_t"),
            n_days=series("n_days"),
            estimation=pd.DataFrame({name[4:]: x for name, x in full.items()
                                     if name.startswith("est.")}, index=labels, copy=False),
            excluded=pd.Series(self.reasons, index=labels, name="reason", dtype=object),
            pairs=pairs, model=model, k=k, estimation_window=estimation, window=window,
            returns=returns, threads=threads, sessions=sessions, returns_kind=returns_kind,
            left_out=self.left_out,
        )
        # the tasks computed the p-values (each on its own pairs): the caller need not
        result.__dict__["car_p"] = series("car_p")
        return result
