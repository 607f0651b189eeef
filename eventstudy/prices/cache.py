"""The on-disk price cache: one CSV file and one JSON sidecar per ticker.

Layout of the cache folder (default: the user cache directory from :mod:`platformdirs`, e.g.
``~/.cache/eventstudy/prices``; ``EVENTSTUDY_CACHE_DIR`` or ``--cache-dir`` override it)::

    <TICKER>.csv    date,close,adj_close   (the price-file format of ``--prices DIR``)
    <TICKER>.json   {"ticker", "source", "fetched_at", "yfinance", "adjusted", "start", "end",
                     "rows", "sha256"}
    yfinance/       yfinance's own time-zone and cookie caches

CSV and not Parquet: pyarrow is not a dependency, and a CSV cache can be read, diffed and fixed
by hand and loaded with ``--prices DIR``. The sidecar carries the metadata and the SHA-256 of
the CSV, so a truncated or edited CSV is detected. Each file is written to a temporary file in
the same folder, flushed to disk and moved into place with :func:`os.replace`: a reader sees the
old file or the new one, never half of one. The sidecar is replaced first and names both
checksums, the new CSV's (``sha256``) and, under ``previous``, the metadata of the CSV still in
place; then the CSV is replaced. A reader (or a crash) between the two steps thus sees the old
entry whole, after them the new one: never a mix, and never a false alarm of corruption.
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
from eventstudy.prices.csv import read_price_csv
from eventstudy.prices.source import check_ticker

__all__ = ["CACHE_ENV", "CacheCorruptError", "CacheEntry", "PriceCache", "default_cache_dir"]

#: Environment variable naming the cache folder.
CACHE_ENV = "EVENTSTUDY_CACHE_DIR"
_META_KEYS = ("ticker", "source", "fetched_at", "adjusted", "start", "end", "rows", "sha256")


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
        source gave none), indexed by ``date``.
    meta : dict
        The sidecar: ``source``, ``fetched_at`` (ISO UTC), ``yfinance`` (version or None),
        ``adjusted``, ``start``/``end`` (range requested, ISO dates), ``rows``, ``sha256``.
    """

    prices: pd.DataFrame
    meta: dict[str, Any]

    @property
    def series(self) -> pd.Series:
        """Adjusted closes where the source has them, else closes."""
        col = self.prices["adj_close"].where(self.prices["adj_close"].notna(),
                                             self.prices["close"])
        return col.dropna()

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
        return CacheEntry(frame, meta)

    def write(self, ticker: str, prices: pd.DataFrame, meta: dict[str, Any]) -> CacheEntry:
        """Write `prices` (columns ``close``, ``adj_close``; date index) and its metadata.

        Both files are written atomically (temporary file + :func:`os.replace`); on any
        failure the previous files are left as they were.

        Parameters
        ----------
        ticker : str
        prices : pandas.DataFrame
            Sorted unique dates; ``close`` and ``adj_close`` columns.
        meta : dict
            ``source``, ``fetched_at``, ``yfinance``, ``adjusted``, ``start``, ``end``;
            ``ticker``, ``rows`` and ``sha256`` are filled in.
        """
        frame = prices[["close", "adj_close"]].sort_index()
        buf = io.StringIO()
        frame.to_csv(buf, index_label="date", date_format="%Y-%m-%d", lineterminator="\n")
        data = buf.getvalue().encode("utf-8")
        full = {**meta, "ticker": ticker, "rows": len(frame),
                "sha256": hashlib.sha256(data).hexdigest()}
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
    """Read a cache CSV's bytes (validated as a price file) into close/adj_close."""
    try:
        read_price_csv(path, ticker=path.name[:-4])  # the format checks, with line numbers
    except PriceDataError as exc:
        raise CacheCorruptError(f"cache file is invalid: {exc}") from None
    frame = pd.read_csv(io.BytesIO(data), index_col="date", parse_dates=["date"])
    frame.index = pd.DatetimeIndex(frame.index, name="date").as_unit("ns")
    for col in ("close", "adj_close"):
        if col not in frame:
            frame[col] = np.nan
    return frame[["close", "adj_close"]].astype(np.float64)
