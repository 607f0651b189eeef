"""Daily closing prices: where they come from and how they are read.

- :class:`PriceSource`: the protocol every source implements (``name``, ``load``, ``has``,
  ``tickers``); ``load`` returns a ``float64`` Series indexed by a sorted, unique, tz-naive
  ``DatetimeIndex`` named ``"date"``.
- :class:`CsvDirectorySource`: ``DIR/<TICKER>.csv`` files (``--prices DIR``), read with
  :func:`read_price_csv`, which validates each file.
- :class:`EmbeddedSource`: the offline dataset shipped with the package (``data/``).
- :func:`open_source`: the source the CLI uses for a ``--prices`` value.
"""

from __future__ import annotations

import os

from eventstudy.errors import PriceDataError
from eventstudy.prices.csv import CsvDirectorySource, read_price_csv
from eventstudy.prices.embedded import EmbeddedSource
from eventstudy.prices.source import PriceSource

__all__ = [
    "CsvDirectorySource",
    "EmbeddedSource",
    "PriceSource",
    "open_source",
    "read_price_csv",
]


def open_source(prices_dir: str | os.PathLike[str] | None) -> PriceSource:
    """Return the price source for a ``--prices`` value.

    Parameters
    ----------
    prices_dir : str, os.PathLike or None
        A folder of ``<TICKER>.csv`` files, or None for the embedded dataset.

    Returns
    -------
    PriceSource
        :class:`EmbeddedSource` when `prices_dir` is None, else :class:`CsvDirectorySource`.

    Raises
    ------
    PriceDataError
        When `prices_dir` is given but is not an existing folder.
    """
    if prices_dir is None:
        return EmbeddedSource()
    if not os.path.isdir(prices_dir):
        state = "is not a folder" if os.path.exists(prices_dir) else "does not exist"
        raise PriceDataError(
            f"--prices {os.fspath(prices_dir)} {state}; pass a folder holding <TICKER>.csv "
            "files, or omit --prices to use the embedded dataset"
        )
    return CsvDirectorySource(prices_dir)
