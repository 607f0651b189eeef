"""The returns of a Dask batch: a pandas frame in the caller's memory, or a Parquet dataset that
each task reads a few columns of.

The Parquet layout is **wide**: one row per session, one column per ticker.

- ``path`` is one ``.parquet`` file or a folder of them (a dataset split by rows, e.g. one file
  per year; read in the order of their paths, which must keep the sessions in order; hidden
  and ``_`` files left out). Every file has the same columns.
- The sessions are the column ``date``, or the pandas index the file was written with
  (``returns.to_parquet(path)`` of a frame with a DatetimeIndex): a timestamp or date type, no
  nulls, sorted and unique.
- Every other column is a ticker, of a float or integer type; null or NaN where missing.

Long data (date, ticker, return rows) is refused with the one-line pivot that makes it wide: a
task reads whole columns, and a ticker's returns are one column only in the wide layout.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.errors import PriceDataError, first_line
from eventstudy.study.batch.inputs import _check_frame, sessions_problem
from eventstudy.study.distributed.deps import need

LONG = {"ticker", "return"}


@dataclass(frozen=True)
class Panel:
    """Where the returns are, and what a task needs to get its columns.

    Attributes
    ----------
    tickers : pd.Index
        The ticker columns.
    index : pd.DatetimeIndex
        The sessions (rows); every task computes on all of them, as the local engine does.
    frame : pd.DataFrame or None
        The caller's frame (sliced on the caller, a slice per task), or None for Parquet.
    path : str or None
        The Parquet dataset each task reads its columns from.
    """

    tickers: pd.Index
    index: pd.DatetimeIndex
    frame: pd.DataFrame | None = None
    path: str | None = None

    def piece(self, columns: list[str]) -> pd.DataFrame | None:
        """What a task is sent: its columns of the frame, or None (it reads the Parquet)."""
        return None if self.frame is None else self.frame[columns]

    @property
    def name(self) -> str:
        return "returns" if self.path is None else self.path


def open_panel(returns: Panel | pd.DataFrame | str | os.PathLike[str]) -> Panel:
    """The :class:`Panel` of ``returns``: a frame (checked as :func:`eventstudy.batch` checks it)
    or the path of a wide Parquet dataset (see the module's docstring), whose schema and
    sessions are read and checked here; its ticker columns are not read. A :class:`Panel`
    (already opened, e.g. by the command to check its pairs first) is returned as it is."""
    if isinstance(returns, Panel):
        return returns
    if isinstance(returns, pd.DataFrame):
        index = _check_frame(returns)
        return Panel(tickers=returns.columns, index=index, frame=returns)
    if not isinstance(returns, (str, os.PathLike)):
        raise PriceDataError("returns: expected a DataFrame (sessions × tickers) or the path of "
                             f"a Parquet dataset, got {type(returns).__name__}")
    path = str(returns)
    if not Path(path).exists():
        raise PriceDataError(f"{path}: no such Parquet file or folder")
    files = _open(path)
    schema = _schema(files)
    date = _date_column(path, schema)
    tickers = [n for n in schema.names if n != date]
    if LONG <= set(tickers) and len(tickers) == len(LONG):
        raise PriceDataError(
            f"{path}: long format (date, ticker, return rows); the Dask path reads the wide "
            "layout, one column per ticker: df.pivot(index='date', columns='ticker', "
            "values='return').to_parquet(path)")
    if not tickers:
        raise PriceDataError(f"{path}: no ticker columns beside {date!r}")
    pa = need("pyarrow")
    for field in schema:
        if field.name != date and not (pa.types.is_floating(field.type)
                                       or pa.types.is_integer(field.type)):
            raise PriceDataError(f"{path}: column {field.name!r} holds {field.type} values; "
                                 "every column but the sessions must hold returns (floats)")
    index = _sessions(path, _read(path, files, [date]).column(date), date)
    return Panel(tickers=pd.Index(tickers), index=index, path=path)


def read_columns(path: str, columns: list[str], index: pd.DatetimeIndex) -> pd.DataFrame:
    """The returns of ``columns`` from the Parquet dataset at ``path``, on the sessions ``index``
    (read by :func:`open_panel`): only those columns are read (column projection)."""
    table = _read(path, _open(path), columns)  # the files are listed again: a task is pure
    if table.num_rows != len(index):
        raise PriceDataError(f"{path}: {table.num_rows} rows, {len(index)} when it was opened; "
                             "the dataset changed during the batch")
    values = np.empty((len(columns), len(index)))
    for j, name in enumerate(columns):
        values[j] = table.column(name).to_numpy(zero_copy_only=False)
    return pd.DataFrame(values.T, index=index, columns=pd.Index(columns), copy=False)


def _open(path: str) -> list[str]:
    """The Parquet files of the dataset at ``path``: the file itself, or the ``*.parquet`` files
    under the folder in the order of their paths (hidden and ``_`` files, such as
    ``_metadata``, left out)."""
    root = Path(path)
    if root.is_file():
        return [path]
    files = sorted(str(f) for f in root.rglob("*.parquet")
                   if not any(part.startswith((".", "_")) for part in f.relative_to(root).parts))
    if not files:
        raise PriceDataError(f"{path}: a folder without .parquet files")
    return files


def _read(path: str, files: list[str], columns: list[str]) -> Any:
    """``columns`` of every file, one table (a file at a time: its footer, then only those
    columns' chunks; pyarrow's dataset scanner held more memory on wide files)."""
    pa = need("pyarrow")
    parquet = need("pyarrow.parquet")
    tables = []
    for name in files:
        try:
            tables.append(parquet.ParquetFile(name).read(columns=columns, use_threads=False))
        except (pa.ArrowException, OSError) as exc:
            raise PriceDataError(f"{name}: unreadable Parquet ({first_line(exc)})") from None
    return tables[0] if len(tables) == 1 else pa.concat_tables(tables)


def _schema(files: list[str]) -> Any:
    """The schema of the first file; every other file must hold the same columns."""
    pa = need("pyarrow")
    parquet = need("pyarrow.parquet")
    first = None
    for name in files:
        try:
            schema = parquet.read_schema(name)
        except (pa.ArrowException, OSError) as exc:
            raise PriceDataError(f"{name}: not a Parquet file ({first_line(exc)})") from None
        if first is None:
            first = schema
        elif sorted(schema.names) != sorted(first.names):
            extra = sorted(set(schema.names) ^ set(first.names))[:3]
            raise PriceDataError(f"{name}: its columns differ from those of {files[0]} "
                                 f"({', '.join(map(repr, extra))}); every file of the dataset "
                                 "holds the same tickers")
    return first


def _date_column(path: str, schema: Any) -> str:
    if "date" in schema.names:
        return "date"
    meta = schema.pandas_metadata or {}
    stored = [c for c in meta.get("index_columns", []) if isinstance(c, str)]
    if len(stored) == 1 and stored[0] in schema.names:
        return stored[0]
    raise PriceDataError(f"{path}: no column of sessions; name it 'date' (or write the frame "
                         "with its DatetimeIndex: returns.to_parquet(path))")


def _sessions(path: str, column: Any, name: str) -> pd.DatetimeIndex:
    pa = need("pyarrow")
    if not (pa.types.is_timestamp(column.type) or pa.types.is_date(column.type)):
        raise PriceDataError(f"{path}: column {name!r} holds {column.type}, not dates")
    if column.null_count:
        raise PriceDataError(f"{path}: column {name!r} has {column.null_count} missing dates")
    if pa.types.is_date(column.type):
        column = column.cast(pa.timestamp("ns"))
    index = pd.DatetimeIndex(column.to_pandas(), name=name)
    index = index.as_unit("ns")
    problem = sessions_problem(index)
    if problem:
        raise PriceDataError(f"{path}: column {name!r}: {problem}"
                             + (" (files are read in the order of their names)" if len(index)
                                else ""))
    return index
