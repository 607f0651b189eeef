"""The pairs file of ``eventstudy batch`` (CSV), its strict check against the returns, and the
table of CARs the command writes.

Pairs file: a header row, then one pair per row: ``security``, ``benchmark`` (tickers among the
returns' columns; the constant-mean model needs no benchmark) and ``day0`` (YYYY-MM-DD, a
session of the returns); an optional ``pair`` column labels the pairs (default: the row's
number, from 1). Other columns are ignored.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from eventstudy.errors import InputError, first_line
from eventstudy.study.batch.grid import _no_exchange, exchange_grid, pair_exchanges
from eventstudy.study.batch.inputs import _positions
from eventstudy.study.batch.request import iso_dates, read_request
from eventstudy.study.batch.result import BatchResult
from eventstudy.study.distributed.panel import Panel

#: The columns of the CAR table (:func:`car_table`), in order.
CAR_COLUMNS = ("pair", "security", "benchmark", "day0", "car", "se", "t", "p", "n_days",
               "n_obs", "excluded")


def read_pairs(path: Path, model: str = "market") -> pd.DataFrame:
    """The pairs of the CSV file at ``path``, indexed by their label."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except FileNotFoundError:
        raise InputError(f"{path}: no such pairs file") from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError,
            pd.errors.EmptyDataError) as exc:
        raise InputError(f"{path}: not a CSV file of pairs ({first_line(exc)})") from None
    required = ("security", "benchmark", "day0") if model != "constant-mean" else (
        "security", "day0")
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)}; the header "
                         "names security, benchmark and day0")
    if frame.empty:
        raise InputError(f"{path}: no pairs (a header and no rows)")
    for column in required:
        blank = np.flatnonzero(frame[column].str.strip().eq("").to_numpy())
        if blank.size:
            raise InputError(f"{path} line {blank[0] + 2}: {column} is empty")
    day0 = iso_dates(frame["day0"])
    bad = np.flatnonzero(np.isnat(day0))
    if bad.size:
        raise InputError(f"{path} line {bad[0] + 2}: day0 {frame['day0'].iloc[bad[0]]!r} "
                         "is not an ISO 8601 date (YYYY-MM-DD, e.g. 2026-02-03)")
    frame["day0"] = day0
    labels = frame.pop("pair") if "pair" in frame.columns else pd.Series(
        np.arange(1, len(frame) + 1))
    frame.index = pd.Index(labels.to_numpy(), name="pair")
    return frame


def check_pairs(pairs: pd.DataFrame, panel: Panel, path: Path, model: str = "market",
                sessions: str = "exchange") -> None:
    """Every ticker of ``pairs`` a column of the returns, every security's exchange known and
    every day 0 one of its sessions (of the pair's exchange, in the returns' dates; or of the
    index with ``sessions="index"``): else an :class:`~eventstudy.errors.InputError` naming
    the first line at fault (the library excludes such pairs; the command, given a file to
    fix, refuses it)."""
    needs_benchmark = model != "constant-mean"
    request = read_request(pairs, needs_benchmark, str(path))
    s, b = _positions(panel.tickers, request, needs_benchmark)
    checks = [("security", s)] + ([("benchmark", b)] if needs_benchmark else [])
    for column, found in checks:
        bad = np.flatnonzero(found < 0)
        if bad.size:
            raise InputError(
                f"{path} line {bad[0] + 2}: {column} {pairs[column].iloc[bad[0]]!r} is not a "
                f"column of {panel.name}{_more(bad.size)}")
    if sessions == "index":
        d = panel.index.get_indexer(request.day0)
        where = np.full(len(pairs), f"of {panel.name}", dtype=object)
    else:
        codes = pair_exchanges(panel.tickers, s, request.exchange)
        bad = np.flatnonzero(codes == "")
        if bad.size:
            raise InputError(f"{path} line {bad[0] + 2}: "
                             f"{_no_exchange(pairs['security'].iloc[bad[0]])}"
                             f"{_more(bad.size)}")
        d = np.full(len(pairs), -1, np.int64)
        where = np.empty(len(pairs), dtype=object)
        for code in pd.unique(codes):
            at = np.flatnonzero(codes == code)
            d[at] = exchange_grid(code, panel.index).get_indexer(request.day0[at])
            where[at] = f"of {code} in the dates of {panel.name}"
    bad = np.flatnonzero(d < 0)
    if bad.size:
        day = pd.Timestamp(request.day0[bad[0]])
        raise InputError(
            f"{path} line {bad[0] + 2}: day0 {day.date()} ({day.day_name()}) is not a session "
            f"{where[bad[0]]} ({panel.index[0].date()} to {panel.index[-1].date()})"
            f"{_more(bad.size)}")


def car_table(result: BatchResult) -> pd.DataFrame:
    """One row per pair, in the order of the pairs: the columns :data:`CAR_COLUMNS` (``t`` and
    ``p`` of the CAR, Student t with M − k df; ``excluded`` the reason, empty when studied),
    then, when the result holds paths (``fields="paths"``), ``ar_<t>`` and ``se_<t>`` for each
    offset t of the window (e.g. ``ar_-10`` ... ``ar_10``)."""
    pairs = result.pairs
    table = pd.DataFrame({
        "pair": pairs.index.to_numpy(),
        "security": pairs["security"].to_numpy(),
        "benchmark": (pairs["benchmark"].to_numpy() if "benchmark" in pairs
                      else np.full(len(pairs), "")),
        "day0": pd.DatetimeIndex(pairs["day0"]).strftime("%Y-%m-%d"),
        "car": result.car.to_numpy(), "se": result.car_se.to_numpy(),
        "t": result.car_t.to_numpy(), "p": result.car_p.to_numpy(),
        "n_days": result.n_days.to_numpy(),
        "n_obs": result.estimation["n_obs"].to_numpy(),
        "excluded": result.excluded.fillna("").to_numpy(dtype=object),
    }, columns=list(CAR_COLUMNS))
    if result.ar is None or result.se is None:
        return table
    paths = {f"{name}_{t}": frame[t].to_numpy()
             for name, frame in (("ar", result.ar), ("se", result.se)) for t in frame.columns}
    return pd.concat([table, pd.DataFrame(paths, index=table.index)], axis=1)


def parquet_ready(table: pd.DataFrame, measure: str = "returns") -> pd.DataFrame:
    """The table as Parquet holds it: day 0 as a date (not text), ``measure`` in the metadata
    (``.attrs`` when pandas reads it back)."""
    day0 = pd.to_datetime(table["day0"], format="%Y-%m-%d").dt.date
    written = table.assign(day0=day0)
    written.attrs = {"measure": measure}
    return written


def _more(n: int) -> str:
    return f" (and {n - 1} more pairs)" if n > 1 else ""
