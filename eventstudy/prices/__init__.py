"""Daily closing prices: where they come from and how they are read.

- :class:`PriceSource`: the protocol every source implements (``name``, ``load``, ``has``,
  ``tickers``); ``load`` returns a ``float64`` Series indexed by a sorted, unique, tz-naive
  ``DatetimeIndex`` named ``"date"``.
- :class:`CsvDirectorySource`: ``DIR/<TICKER>.csv`` files (``--prices DIR``), read with
  :func:`read_price_csv`, which validates each file.
- :class:`EmbeddedSource`: the offline dataset shipped with the package (``data/``).
- :class:`~eventstudy.prices.yahoo.YahooSource`: Yahoo Finance through yfinance, kept in the
  on-disk cache (:mod:`eventstudy.prices.cache`); ``--source yahoo``, or ``--source cache`` to
  use the cache without the network.
- :mod:`eventstudy.prices.validate`: the checks run on every series, whatever its source.
- :func:`open_source`: the source the CLI uses for ``--prices``/``--source``/``--cache-dir``.
"""

from __future__ import annotations

import os

from eventstudy.errors import PriceDataError
from eventstudy.prices.csv import CsvDirectorySource, read_price_csv
from eventstudy.prices.embedded import EmbeddedSource
from eventstudy.prices.source import PriceSource

__all__ = [
    "SOURCES",
    "SOURCE_ENV",
    "CsvDirectorySource",
    "EmbeddedSource",
    "PriceSource",
    "open_source",
    "read_price_csv",
]

#: Environment variable choosing the price source (one of :data:`SOURCES`).
SOURCE_ENV = "EVENTSTUDY_SOURCE"
#: Values of ``--source``: the embedded dataset, Yahoo Finance (cached), the cache only.
SOURCES = ("embedded", "yahoo", "cache")


def open_source(
    prices_dir: str | os.PathLike[str] | None,
    *,
    source: str | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    default: str | None = None,
) -> PriceSource:
    """Return the price source for the ``--prices``, ``--source`` and ``--cache-dir`` values.

    Parameters
    ----------
    prices_dir : str, os.PathLike or None
        A folder of ``<TICKER>.csv`` files (``--prices``); it takes precedence.
    source : {"embedded", "yahoo", "cache"}, optional
        ``--source``; when None, ``$EVENTSTUDY_SOURCE``, then `default`, then ``"embedded"``.
    cache_dir : str or os.PathLike, optional
        The price cache (``--cache-dir``); default ``$EVENTSTUDY_CACHE_DIR``, else the user
        cache directory.
    default : str, optional
        The events file's ``source`` setting (``[defaults] source = "yahoo"``).

    Returns
    -------
    PriceSource
        :class:`CsvDirectorySource` for a folder, else :class:`EmbeddedSource` or
        :class:`~eventstudy.prices.yahoo.YahooSource` (``offline=True`` for ``"cache"``).

    Raises
    ------
    PriceDataError
        When `prices_dir` is not an existing folder, the source name is unknown, or a folder
        and ``--source yahoo``/``cache`` are both given.
    """
    if prices_dir is None:
        env = os.environ.get(SOURCE_ENV, "").strip() or None
        name = source or env or default or "embedded"
        origin = ("--source" if source else f"${SOURCE_ENV}" if env
                  else "the events file's source setting")
        if name not in SOURCES:
            raise PriceDataError(
                f"unknown price source {name!r} (from {origin}); use one of "
                f"{', '.join(SOURCES)}, or --prices DIR for a folder of CSV files"
            )
        if name == "embedded":
            return EmbeddedSource()
        from eventstudy.prices.yahoo import YahooSource

        return YahooSource(cache_dir, offline=name == "cache")
    if source not in (None, "embedded") and source in SOURCES:
        raise PriceDataError(
            f"--prices {os.fspath(prices_dir)} and --source {source} both name a price source; "
            "pass one of them"
        )
    if not os.path.isdir(prices_dir):
        state = "is not a folder" if os.path.exists(prices_dir) else "does not exist"
        raise PriceDataError(
            f"--prices {os.fspath(prices_dir)} {state}; pass a folder holding <TICKER>.csv "
            "files, or omit --prices to use the embedded dataset"
        )
    return CsvDirectorySource(prices_dir)
