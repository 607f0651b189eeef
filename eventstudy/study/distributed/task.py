"""What runs on a Dask worker: one task's returns columns, the local engine on its pairs, and
its results packed as plain arrays for the trip back.

A task is a pure function of its arguments (no state on the worker), so Dask can run it again
on another worker when one dies, with the same result.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from eventstudy.study.batch.engine import _batch
from eventstudy.study.batch.result import BatchResult
from eventstudy.study.distributed.panel import read_columns

#: The per-pair fields of a BatchResult a task sends back (the estimation columns as est.<name>;
#: the reasons of the excluded pairs only, as excluded.at and excluded.text).
FIELDS = ("ar", "se", "car", "car_se", "car_t", "n_days")


def run_part(piece: pd.DataFrame | None, path: str | None, columns: list[str],
             index: pd.DatetimeIndex, pairs: pd.DataFrame, settings: dict[str, Any],
             engine: str) -> dict[str, np.ndarray]:
    """The batch of ``pairs`` on the returns ``piece`` (sent by the caller) or on ``columns`` of
    the Parquet dataset at ``path``: :func:`eventstudy.study.batch.engine._batch` with the
    caller's settings and engine, so the numbers are those of one local call."""
    returns = piece if piece is not None else read_columns(path or "", columns, index)
    return pack(_batch(returns, pairs, engine=engine, **settings))


def pack(result: BatchResult) -> dict[str, np.ndarray]:
    """The per-pair arrays of ``result`` (no frames, no returns): what travels back. The
    reasons travel for the excluded pairs only (rows and texts): an object array of a None per
    studied pair would cost more to pickle and to place than all the numbers."""
    out = {name: getattr(result, name).to_numpy() for name in FIELDS}
    excluded = np.flatnonzero(~result.studied)
    out["excluded.at"] = excluded
    out["excluded.text"] = result.excluded.to_numpy(dtype=object)[excluded]
    for name, column in result.estimation.items():
        out[f"est.{name}"] = column.to_numpy()
    out["excluded.left_out"] = np.array([result.left_out])
    return out
