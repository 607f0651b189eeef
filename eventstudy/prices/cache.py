"""The on-disk price cache: one CSV file and one JSON sidecar per ticker.

Layout of the cache folder (default: the user cache directory from :mod:`platformdirs`, e.g.
``~/.cache/eventstudy/prices``; ``EVENTSTUDY_CACHE_DIR`` or ``--cache-dir`` override it)::

    <TICKER>.csv    date,close,adj_close,open,high,low,volume
                    (the price-file format of ``--prices DIR``)
    <TICKER>.json   {"ticker", "source", "fetched_at", "yfinance", "adjusted", "start", "end",
                     "rows", "sha256", "columns"}
    yfinance/       yfinance's own time-zone and cookie caches

``close`` is Yahoo's close (split- but not dividend-adjusted), ``adj_close`` the adjusted close
the studies read; ``open``, ``high``, ``low`` and ``volume`` are on the basis of ``close``, as
Yahoo publishes them (:func:`~eventstudy.prices.yfinance_io.to_prices`). An empty cell is no
value that day. Files written before the cache kept volume hold ``date,close,adj_close`` only,
and their sidecar has no ``columns``: they still load (:attr:`CacheEntry.series`), and
:meth:`CacheEntry.holds` tells a reader that asks for a volume that the entry predates it. A
cache entry imported from CSV files (``eventstudy data import``) holds the closes only, too.

CSV and not Parquet: pyarrow is not a dependency, and a CSV cache can be read, diffed and fixed
by hand and loaded with ``--prices DIR``. The sidecar carries the metadata, the SHA-256 of the
CSV (all of its columns) and the CSV's columns, so a truncated or edited CSV is detected; the
closes are checked as a price file's, the other columns as
:func:`~eventstudy.prices.columns.check_column` checks a source's. Each file is written to a
temporary file in the same folder, flushed to disk and moved into place with
:func:`os.replace`: a reader sees the old file or the new one, never half of one. The sidecar
is replaced first and names both checksums, the new CSV's (``sha256``) and, under
``previous``, the metadata of the CSV still in place; then the CSV is replaced. A reader (or a
crash) between the two steps thus sees the old entry whole, after them the new one: never a
mix, and never a false alarm of corruption.
``start``/``end`` record the range that was asked for (a ticker listed later than ``start``
has no rows there and is not fetched again).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from eventstudy._atomic import atomic_write
from eventstudy.errors import PriceDataError
from eventstudy.prices.columns import MissingColumnError, check_column
from eventstudy.prices.csv import read_price_csv
from eventstudy.prices.source import check_ticker

__all__ = ["CACHE_ENV", "CSV_COLUMNS", "CacheCorruptError", "CacheEntry", "PriceCache",
           "closes_csv", "default_cache_dir"]

#: Environment variable naming the cache folder.
CACHE_ENV = "EVENTSTUDY_CACHE_DIR"
_META_KEYS = ("ticker", "source", "fetched_at", "adjusted", "start", "end", "rows", "sha256")
#: The columns of a cache CSV after ``date``, in order. ``close`` and ``adj_close`` are always
#: there; the others are written when the prices have them (a Yahoo fetch always does).
CSV_COLUMNS = ("close", "adj_close", "open", "high", "low", "volume")
#: The columns of the cache CSVs written before volume was kept (and of imported entries).
CLOSE_COLUMNS = ("close", "adj_close")


class CacheCorruptError(PriceDataError):
    """A cache file is truncated, edited or unreadable; it must be fetched again."""


def default_cache_dir() -> Path:
    """``$EVENTSTUDY_CACHE_DIR``, else ``<user cache dir>/eventstudy/prices``."""
    env = os.environ.get(CACHE_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("eventstudy", appauthor=False)) / "prices"


@dataclass(frozen=True)
class CacheEntry:
    """What the cache holds for one ticker.

    Attributes
    ----------
    prices : pandas.DataFrame
        Columns ``close`` and ``adj_close`` (adjusted for splits and dividends; NaN when the
        source gave none), then those of ``open``, ``high``, ``low``, ``volume`` the file has
        (NaN where a day has no value; see :meth:`holds`), indexed by ``date``.
    meta : dict
        The sidecar: ``source``, ``fetched_at`` (ISO UTC), ``yfinance`` (version or None),
        ``adjusted``, ``start``/``end`` (range requested, ISO dates), ``rows``, ``sha256``,
        and ``columns`` (the CSV's columns after ``date``; absent from older sidecars).
    """

    prices: pd.DataFrame
    meta: dict[str, Any]

    @property
    def series(self) -> pd.Series:
        """Adjusted closes where the source has them, else closes."""
        col = self.prices["adj_close"].where(self.prices["adj_close"].notna(),
                                             self.prices["close"])
        return col.dropna()

    def holds(self, column: str) -> bool:
        """Whether the file has a `column` column (``volume``, ``high``, ...), even all empty.

        False for an entry written before the cache kept volume (closes only).
        """
        return column in self.prices.columns

    @property
    def predates_columns(self) -> bool:
        """Whether this is a Yahoo entry written before the cache kept open, high, low and
        volume (closes only): ``eventstudy data fetch`` fetches it again whole."""
        return self.meta.get("source") == "yahoo" and not all(
            self.holds(c) for c in CSV_COLUMNS)

    def column(self, column: str) -> pd.Series:
        """The `column` (``volume``, ``high``, ...) on the dates of :attr:`series`, ``float64``,
        days without a value left out (possibly none). KeyError when not :meth:`holds`."""
        rows = self.prices["adj_close"].notna() | self.prices["close"].notna()
        values = self.prices.loc[rows, column].dropna().astype(np.float64)
        values.index = pd.DatetimeIndex(values.index, name="date").as_unit("ns")
        return values

    @property
    def start(self) -> pd.Timestamp:
        return pd.Timestamp(self.meta["start"])

    @property
    def end(self) -> pd.Timestamp:
        return pd.Timestamp(self.meta["end"])

    @property
    def fetched_at(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.meta["fetched_at"])

    def age(self, now: dt.datetime | None = None) -> dt.timedelta:
        """Time since the prices were fetched."""
        now = now or dt.datetime.now(dt.UTC)
        return now - self.fetched_at


def describe_age(age: dt.timedelta) -> str:
    """``"3 days"``, ``"5 hours"``, ``"12 minutes"``."""
    seconds = max(age.total_seconds(), 0)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = int(seconds // size)
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return "less than a minute"


class PriceCache:
    """A folder of cached price files (see the module docstring).

    Parameters
    ----------
    directory : str or os.PathLike, optional
        Default :func:`default_cache_dir`. Created on the first write.
    """

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.directory = Path(directory) if directory is not None else default_cache_dir()

    def __repr__(self) -> str:
        return f"PriceCache({str(self.directory)!r})"

    def csv_path(self, ticker: str) -> Path:
        return self.directory / f"{check_ticker(ticker, f'cache {self.directory}')}.csv"

    def meta_path(self, ticker: str) -> Path:
        return self.directory / f"{check_ticker(ticker, f'cache {self.directory}')}.json"

    def fetch_command(self, ticker: str) -> str:
        """The command that fetches `ticker` into this cache (``--cache-dir`` when not the
        default folder)."""
        option = "" if self.directory == default_cache_dir() else f" --cache-dir {self.directory}"
        return f"eventstudy data fetch {ticker}{option}"

    def has(self, ticker: str) -> bool:
        """Whether a CSV file exists for `ticker` (not validated)."""
        try:
            return self.csv_path(ticker).is_file()
        except PriceDataError:
            return False

    def tickers(self) -> list[str]:
        """Tickers with a CSV file in the cache, sorted."""
        if not self.directory.is_dir():
            return []
        return sorted(p.name[:-4] for p in self.directory.glob("*.csv") if p.is_file())

    def read(self, ticker: str) -> CacheEntry | None:
        """Return the cached entry of `ticker`, or None when there is none.

        Raises
        ------
        CacheCorruptError
            When the sidecar is missing or unreadable, or the CSV does not match its checksum
            or is not a valid price file. The message names the file and the reason.
        """
        path = self.csv_path(ticker)
        if not path.exists():
            return None
        meta_path = self.meta_path(ticker)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise CacheCorruptError(f"cache file {path} cannot be read ({exc.strerror})") from None
        try:
            meta = json.loads(meta_path.read_text("utf-8"))
        except FileNotFoundError:
            raise CacheCorruptError(f"cache file {path} has no metadata file {meta_path.name}"
                                    ) from None
        except (OSError, ValueError) as exc:
            raise CacheCorruptError(f"cache metadata {meta_path} is unreadable ({exc})") from None
        if not isinstance(meta, dict) or any(k not in meta for k in _META_KEYS):
            raise CacheCorruptError(f"cache metadata {meta_path} lacks keys "
                                    f"({', '.join(_META_KEYS)} are required)")
        digest = hashlib.sha256(data).hexdigest()
        previous = meta.get("previous")
        if digest != meta["sha256"] and isinstance(previous, dict) and all(
                k in previous for k in _META_KEYS) and digest == previous["sha256"]:
            meta = previous  # a write in progress: the sidecar is new, the CSV not yet
        if digest != meta["sha256"]:
            raise CacheCorruptError(
                f"cache file {path} does not match its checksum (truncated or edited: "
                f"{len(data)} bytes)")
        frame = _parse(data, path)
        if len(frame) != meta["rows"]:
            raise CacheCorruptError(f"cache file {path} has {len(frame)} rows, its metadata "
                                    f"says {meta['rows']}")
        if "columns" in meta and list(frame.columns) != meta["columns"]:
            raise CacheCorruptError(
                f"cache file {path} has the columns {', '.join(frame.columns)}, its metadata "
                f"says {', '.join(map(str, meta['columns']))}")
        return CacheEntry(frame, meta)

    def write(self, ticker: str, prices: pd.DataFrame, meta: dict[str, Any]) -> CacheEntry:
        """Write `prices` (columns ``close``, ``adj_close``, optionally ``open``, ``high``,
        ``low``, ``volume``; date index) and its metadata.

        Both files are written atomically (temporary file + :func:`os.replace`); on any
        failure the previous files are left as they were.

        Parameters
        ----------
        ticker : str
        prices : pandas.DataFrame
            Sorted unique dates; ``close`` and ``adj_close`` columns, and those of ``open``,
            ``high``, ``low`` and ``volume`` it has (NaN: no value that day); other columns
            are not written.
        meta : dict
            ``source``, ``fetched_at``, ``yfinance``, ``adjusted``, ``start``, ``end``;
            ``ticker``, ``rows``, ``sha256`` and ``columns`` are filled in.
        """
        names = [c for c in CSV_COLUMNS if c in CLOSE_COLUMNS or c in prices.columns]
        frame = prices[names].sort_index()
        buf = io.StringIO()
        frame.to_csv(buf, index_label="date", date_format="%Y-%m-%d", lineterminator="\n")
        data = buf.getvalue().encode("utf-8")
        full = {**meta, "ticker": ticker, "rows": len(frame),
                "sha256": hashlib.sha256(data).hexdigest(), "columns": names}
        full.pop("previous", None)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            old = self._current_meta(ticker)
            # sidecar first, naming both the new CSV and the one still in place
            meta_data = json.dumps({**full, "previous": old}, indent=1, sort_keys=True)
            atomic_write(self.meta_path(ticker), (meta_data + "\n").encode("utf-8"))
            atomic_write(self.csv_path(ticker), data)
        except OSError as exc:
            raise PriceDataError(
                f"cannot write the cache {self.directory} ({exc.strerror or exc}); pass "
                f"--cache-dir a writable folder (or set {CACHE_ENV}), or free disk space"
            ) from None
        return CacheEntry(_parse(data, self.csv_path(ticker)), full)

    def _current_meta(self, ticker: str) -> dict[str, Any] | None:
        """The metadata of the CSV now in place (None when there is none or it is corrupt)."""
        try:
            entry = self.read(ticker)
        except CacheCorruptError:
            return None
        if entry is None:
            return None
        return {k: v for k, v in entry.meta.items() if k != "previous"}

    def quarantine(self, ticker: str) -> Path | None:
        """Move a corrupt CSV aside to ``<TICKER>.csv.corrupt``; return the new path."""
        path = self.csv_path(ticker)
        if not path.exists():
            return None
        target = path.with_name(path.name + ".corrupt")
        os.replace(path, target)
        self.meta_path(ticker).unlink(missing_ok=True)
        return target


def _parse(data: bytes, path: Path) -> pd.DataFrame:
    """Read a cache CSV's bytes (validated as a price file) into its columns (``close``,
    ``adj_close``, then those of ``open``, ``high``, ``low``, ``volume`` it has)."""
    try:
        read_price_csv(path, ticker=path.name[:-4])  # the format checks, with line numbers
    except PriceDataError as exc:
        raise CacheCorruptError(f"cache file is invalid: {exc}") from None
    frame = pd.read_csv(io.BytesIO(data), index_col="date", parse_dates=["date"])
    frame.index = pd.DatetimeIndex(frame.index, name="date").as_unit("ns")
    for col in CLOSE_COLUMNS:
        if col not in frame:
            frame[col] = np.nan
    names = [c for c in CSV_COLUMNS if c in CLOSE_COLUMNS or c in frame.columns]
    for col in names[len(CLOSE_COLUMNS):]:  # the other columns, as a source's are checked
        try:
            check_column(frame[col], path.name[:-4], col, f"cache file {path}")
        except MissingColumnError:
            pass  # every cell empty: Yahoo gave none (e.g. an index's high and low)
        except PriceDataError as exc:
            raise CacheCorruptError(f"cache file is invalid: {exc}") from None
    return frame[names].astype(np.float64)


def closes_csv(data: bytes) -> bytes:
    """A cache CSV's bytes cut to ``date,close,adj_close``, the cache's format before it kept
    volume: byte for byte what that format's writer gave for the same prices (each cell is
    written alone, and the cache's cells are dates and numbers, never quoted). A file in that
    format is returned as it is.
    """
    text = data.decode("utf-8")
    lines = text.split("\n")
    header = lines[0].split(",")
    keep = [header.index(c) for c in ("date", *CLOSE_COLUMNS)]
    if keep == list(range(len(header))):
        return data
    cut = [",".join(cells[i] for i in keep) if (cells := line.split(",")) != [""] else line
           for line in lines]
    return "\n".join(cut).encode("utf-8")
