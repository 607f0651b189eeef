"""What runs on a Dask worker: one task's returns columns, the local engine on its pairs, and
what travels back: the fields asked for as plain arrays (:func:`run_part`), or only the
exclusions once the worker has written its part of a Parquet dataset (:func:`write_part`).

A task is a pure function of its arguments (no state on the worker), so Dask can run it again
on another worker when one dies, with the same result; a part is written to a temporary file
and renamed, so a task run twice leaves one whole file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.study.batch.engine import _batch
from eventstudy.study.batch.result import BatchResult
from eventstudy.study.distributed.panel import read_columns

#: The per-pair fields of a BatchResult a task sends back (the estimation columns as est.<name>;
#: the reasons of the excluded pairs only, as excluded.at and excluded.text); ar and se only
#: when the call asks for fields="paths".
FIELDS = ("ar", "se", "car", "car_se", "car_t", "n_days")


def local_batch(piece: pd.DataFrame | None, path: str | None, columns: list[str],
                index: pd.DatetimeIndex, pairs: pd.DataFrame, settings: dict[str, Any],
                engine: str) -> BatchResult:
    """The batch of ``pairs`` on the returns ``piece`` (sent by the caller) or on ``columns`` of
    the Parquet dataset at ``path``: :func:`eventstudy.study.batch.engine._batch` with the
    caller's settings and engine, so the numbers are those of one local call."""
    returns = piece if piece is not None else read_columns(path or "", columns, index)
    return _batch(returns, pairs, engine=engine, **settings)


def run_part(piece: pd.DataFrame | None, path: str | None, columns: list[str],
             index: pd.DatetimeIndex, pairs: pd.DataFrame, settings: dict[str, Any],
             engine: str) -> dict[str, np.ndarray]:
    """:func:`local_batch`, packed for the trip back (:func:`pack`)."""
    return pack(local_batch(piece, path, columns, index, pairs, settings, engine))


def write_part(piece: pd.DataFrame | None, path: str | None, columns: list[str],
               index: pd.DatetimeIndex, pairs: pd.DataFrame, settings: dict[str, Any],
               engine: str, folder: str, number: int) -> dict[str, np.ndarray]:
    """:func:`local_batch`, its table of pairs (:func:`~eventstudy.study.distributed.pairs_file.
    car_table`, ``pairs``' index the labels) written by the worker as ``part-NNNNN.parquet`` in
    ``folder``; what travels back is the exclusions only (:func:`exclusions`)."""
    from eventstudy.study.distributed.pairs_file import car_table, parquet_ready

    result = local_batch(piece, path, columns, index, pairs, settings, engine)
    table = parquet_ready(car_table(result), result.measure)
    target = Path(folder) / f"part-{number:05d}.parquet"
    staged = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        table.to_parquet(staged, index=False)
        os.replace(staged, target)
    finally:
        staged.unlink(missing_ok=True)
    return exclusions(result)


def exclusions(result: BatchResult) -> dict[str, np.ndarray]:
    """The reasons of the excluded pairs only (rows and texts: an object array of a None per
    studied pair would cost more to pickle and to place than all the numbers), and the count of
    returns left out."""
    excluded = np.flatnonzero(~result.studied)
    return {"excluded.at": excluded,
            "excluded.text": result.excluded.to_numpy(dtype=object)[excluded],
            "excluded.left_out": np.array([result.left_out])}


def pack(result: BatchResult) -> dict[str, np.ndarray]:
    """The per-pair arrays of ``result`` (no frames, no returns; no paths unless it holds
    them), the p-values of the CARs included (computed where the pairs are, in parallel,
    rather than by the caller): what travels back."""
    out = {name: getattr(result, name).to_numpy() for name in (*FIELDS, "car_p")
           if getattr(result, name) is not None}
    out.update(exclusions(result))
    for name, column in result.estimation.items():
        out[f"est.{name}"] = column.to_numpy()
    return out
