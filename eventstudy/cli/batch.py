"""``eventstudy batch``: CARs of the pairs of a CSV file on a Parquet dataset of returns, by the
batch engine on Dask (:func:`eventstudy.distributed.batch`); a table of CAR, se, t, p and the
exclusions (``--fields paths``: and the AR and se of each day), written as Parquet or CSV, or
as a Parquet dataset written by the workers (``--out`` a folder). ``--aggregate BY``: the pooled
battery per group instead (:func:`eventstudy.distributed.aggregate`, reduced on the cluster),
printed, and written as JSON or CSV with ``--out`` (:mod:`eventstudy.cli.batch_aggregate`).
Registered on the app in :mod:`eventstudy.cli`.

``--measure volume``: the dataset holds log(1 + volume) levels (``eventstudy data panel
--measure volume``), studied as :func:`eventstudy.batch` studies them with ``measure="volume"``
(the engine reads them as levels: ``returns_kind`` "level"); the table's columns are the same,
and a Parquet output records the measure in its metadata (``pd.read_parquet(...).attrs``).
"""

from __future__ import annotations

import io
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from eventstudy.cli.batch_options import offsets, progress, read_inputs
from eventstudy.cli.common import fail
from eventstudy.errors import EstimationError, EventStudyError, ExcludedPairsWarning

if TYPE_CHECKING:
    import pandas as pd

SUFFIXES = (".parquet", ".csv")


def batch(
    pairs_file: Annotated[Path, typer.Argument(metavar="PAIRS.csv", show_default=False,
                                               help="CSV of pairs: security, benchmark, day0 "
                                                    "(YYYY-MM-DD); optional pair label, "
                                                    "exchange, benchmark_exchange.")],
    returns: Annotated[Path, typer.Option(
        "--returns", metavar="DIR_OR_PARQUET", show_default=False,
        help="Wide Parquet returns: a file, or a folder of files split by rows; a 'date' "
             "column (or the frame's DatetimeIndex) and one float column per ticker.")],
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", metavar="ADDRESS",
        help="Dask scheduler (e.g. tcp://10.0.0.5:8786); default: a local cluster.")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", metavar="FILE_OR_DIR",
        help="Output: a .parquet or .csv file, or a folder (no suffix): a Parquet dataset "
             "each worker writes its part of (default: CSV on stdout). With --aggregate: "
             ".json or .csv.")
    ] = None,
    model: Annotated[str, typer.Option(help="market, constant-mean or market-adjusted "
                                            "(volume: market or constant-mean).")
                     ] = "market",
    estimation: Annotated[str, typer.Option(metavar="START,END",
                                            help="Estimation window, in sessions.")
                          ] = "-250,-11",
    window: Annotated[str, typer.Option(metavar="START,END", help="Event window, in sessions.")
                      ] = "-10,10",
    min_estimation: Annotated[int, typer.Option(help="Fewest usable estimation returns.")] = 60,
    workers: Annotated[int, typer.Option(help="Worker processes of the local cluster.")] = 2,
    tasks: Annotated[int | None, typer.Option(help="Tasks (default: by size).")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to reach the scheduler.")] = 10.0,
    sessions: Annotated[str, typer.Option(
        help="What offsets count: exchange (each pair's exchange sessions; exchange column, "
             "else inferred from the ticker) or index (rows of the returns).")] = "exchange",
    returns_kind: Annotated[str, typer.Option(
        "--returns-kind", help="log or simple: how returns combine over several sessions.")
    ] = "log",
    measure: Annotated[str, typer.Option(
        "--measure", help="returns, or volume: the dataset holds log(1 + volume) levels "
                          "('eventstudy data panel --measure volume').")] = "returns",
    fields: Annotated[str, typer.Option(
        "--fields", help="car (one row per pair: CAR, se, t, p) or paths (and ar_<t>, se_<t> "
                         "for each day of the window).")] = "car",
    aggregate: Annotated[str | None, typer.Option(
        "--aggregate", metavar="BY",
        help="Print the pooled battery (AAR/CAAR and the tests of run --tag) per value of "
             "this column of the pairs file ('all': over all pairs), reduced on the cluster.")
    ] = None,
    car_window: Annotated[list[str] | None, typer.Option(
        "--car-window", metavar="START,END",
        help="With --aggregate: a CAR window inside --window (repeat for more; default the "
             "whole window).")] = None,
) -> None:
    """CARs of many pairs on a Dask cluster: one row per pair, CAR, se, t, p, exclusions.

    Needs the distributed extra: pip install 'eventstudy-sessions\\[distributed]' (dask and
    pyarrow). 'eventstudy data panel' writes the returns Parquet from the prices 'run' reads.
    """
    from eventstudy.study.batch.inputs import check_fields
    from eventstudy.study.distributed import batch as distributed_batch
    from eventstudy.study.distributed.pairs_file import car_table

    if aggregate is not None:
        from eventstudy.cli.batch_aggregate import pooled

        pooled(pairs_file, returns, aggregate, car_window or [], scheduler=scheduler, out=out,
               model=model, estimation=estimation, window=window,
               min_estimation=min_estimation, workers=workers, tasks=tasks, timeout=timeout,
               sessions=sessions, returns_kind=returns_kind, measure=measure)
        return
    try:
        check_fields(fields, "float64")
        dataset = out is not None and not out.suffix  # a folder: parts from the workers
        if out is not None and not dataset and out.suffix.lower() not in SUFFIXES:
            raise EstimationError(f"--out {out}: give a .parquet or .csv file, or a folder "
                                  "(no suffix) for a Parquet dataset the workers write")
        if out is not None and not out.parent.is_dir():
            raise EstimationError(f"--out {out}: folder {out.parent} does not exist")
        est, win = offsets(estimation, "estimation"), offsets(window, "window")
        pairs, panel = read_inputs(pairs_file, returns, model, sessions, measure, returns_kind)
        with progress() as report, warnings.catch_warnings():
            # the exclusions are the table's own column, and counted on the last line
            warnings.simplefilter("ignore", ExcludedPairsWarning)
            result = distributed_batch(
                panel, pairs, client=scheduler, estimation=est, window=win, model=model,
                min_estimation=min_estimation, workers=workers, tasks=tasks, timeout=timeout,
                progress=report, sessions=sessions, returns_kind=returns_kind,
                measure=measure, fields=fields, out=out if dataset else None)
        if dataset:
            _written_dataset(out, measure)
            return
        table = car_table(result)
        data = _encode(table, out, measure)
    except EventStudyError as exc:
        raise fail(exc) from None
    if out is None:
        sys.stdout.write(data.decode())
        return
    from eventstudy._atomic import atomic_write

    try:
        atomic_write(out, data)
    except OSError as exc:
        raise fail(f"--out {out}: cannot write ({exc.strerror or exc})") from None
    studied = int((table["excluded"] == "").sum())
    what = " (abnormal log volume)" if measure == "volume" else ""
    print(f"wrote {out}: {len(table)} pairs{what}, {studied} studied, "
          f"{len(table) - studied} excluded", file=sys.stderr)


def _written_dataset(out: Path, measure: str) -> None:
    """The last line after the workers wrote their parts: the pairs, studied and excluded."""
    import pyarrow.parquet as pq

    excluded = pq.read_table(out, columns=["excluded"]).column("excluded").to_pylist()
    studied = sum(1 for x in excluded if not x)
    what = " (abnormal log volume)" if measure == "volume" else ""
    parts = len(list(out.glob("part-*.parquet")))
    print(f"wrote {out}/ ({parts} parts): {len(excluded)} pairs{what}, {studied} studied, "
          f"{len(excluded) - studied} excluded", file=sys.stderr)


def _encode(table: pd.DataFrame, out: Path | None, measure: str = "returns") -> bytes:
    """The table as the bytes of the output file (written whole, atomically, afterwards); a
    Parquet file records ``measure`` in its metadata (``.attrs`` when pandas reads it)."""
    from eventstudy.study.distributed.pairs_file import parquet_ready

    buffer = io.BytesIO()
    if out is not None and out.suffix.lower() == ".parquet":  # day 0 as a date, not text
        parquet_ready(table, measure).to_parquet(buffer, index=False)
    else:
        buffer.write(table.to_csv(index=False).encode())
    return buffer.getvalue()
