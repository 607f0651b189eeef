"""The offline price dataset shipped with the package (``eventstudy/prices/data/``).

Daily closes, 2024-01 .. 2026-04-30, of the rare-earth study's securities and benchmarks:
ASX (``LYC.AX``, ``ARU.AX``, ``ILU.AX``, ``^AXJO``, ...), Tokyo (``6330.T``, ``^N225``,
``^TOPX``, ...), New York (``MP``, ``^GSPC``) and ``JPY=X``. Where each series comes from,
whether it is adjusted, and its known gaps are in ``data/README.md``. The files obey the rules
of ``--prices DIR`` (:func:`~eventstudy.prices.csv.read_price_csv` checks them when they are
embedded, and in the tests); each ticker is read at most once per process. The files also hold
``open``, ``high``, ``low`` and ``volume`` (:meth:`EmbeddedSource.load_column`; empty for the
indices that the sources published without them).

Examples
--------
>>> from eventstudy.prices import embedded
>>> lyc = embedded.load("LYC.AX")
>>> print(f"{lyc['2026-01-07'] / lyc['2026-01-06'] - 1:.1%}")
14.5%
>>> "^N225" in embedded.tickers()
True
"""

from __future__ import annotations

import functools
import os
from importlib import resources
from importlib.resources.abc import Traversable

import numpy as np
import pandas as pd

from eventstudy.errors import PriceDataError
from eventstudy.prices.columns import check_column_name
from eventstudy.prices.csv import PriceFile, read_price_csv
from eventstudy.prices.source import PriceSource, check_ticker

__all__ = ["EmbeddedSource", "clear_cache", "load", "tickers"]

_PACKAGE = "eventstudy.prices"
_DATA = "data"


def _data_dir() -> Traversable:
    return resources.files(_PACKAGE) / _DATA


class EmbeddedSource(PriceSource):
    """Prices from the dataset shipped inside the package (works offline).

    The CSV files are package data, found with :mod:`importlib.resources`, so the source works
    from a source checkout and from an installed wheel alike. Each ticker is read and validated
    once per process; :meth:`load` returns a fresh copy every time.

    Attributes
    ----------
    name : str
        ``"embedded dataset"``.
    """

    name = "embedded dataset"

    def __repr__(self) -> str:
        return "EmbeddedSource()"

    def has(self, ticker: str) -> bool:
        """Return whether the embedded dataset holds `ticker`."""
        try:
            check_ticker(ticker, self.name)
        except PriceDataError:
            return False
        return (_data_dir() / f"{ticker}.csv").is_file()

    def load(self, ticker: str) -> pd.Series:
        """Return the embedded price series of `ticker`.

        Parameters
        ----------
        ticker : str
            The ticker as written, e.g. ``"LYC.AX"`` or ``"^N225"``.

        Returns
        -------
        pandas.Series
            See :class:`~eventstudy.prices.source.PriceSource`; a copy, free to modify.

        Raises
        ------
        PriceDataError
            When the dataset has no file for `ticker` (the message lists what it holds).
        """
        self._require(ticker)
        return _load(ticker).copy()

    def load_column(self, ticker: str, column: str) -> pd.Series:
        """Return the embedded `column` (``volume``, ``high``, ``low``, ``open``) of `ticker`.

        Read with the strict reader (:class:`~eventstudy.prices.csv.PriceFile`: the file once
        per process, each column once); a copy every time. The indices (``^TOPX``, ``^AXJO``,
        ``^GSPC``, ...) and ``JPY=X`` have no volume, some no high/low either
        (``data/README.md``).

        Returns
        -------
        pandas.Series
            See :mod:`eventstudy.prices.columns`; a copy, free to modify.

        Raises
        ------
        MissingColumnError
            When every cell of the column is empty in the ticker's file (e.g. ``^TOPX``).
        PriceDataError
            When `column` is unknown or the dataset has no file for `ticker`.
        """
        check_column_name(column)
        self._require(ticker)
        return _load_column(ticker, column).copy()

    def _require(self, ticker: str) -> None:
        """Raise when the dataset has no file for `ticker` (the message lists what it holds)."""
        if not self.has(ticker):
            check_ticker(ticker, self.name)
            raise PriceDataError(
                f"no prices for {ticker} in the embedded dataset ({_data_dir()}/{ticker}.csv "
                f"does not exist); it holds {', '.join(self.tickers())}; pass --prices DIR "
                f"with a {ticker}.csv file to use other prices"
            )

    def tickers(self) -> list[str]:
        """Return the tickers of the embedded dataset, sorted."""
        return sorted(
            item.name[:-4]
            for item in _data_dir().iterdir()
            if item.name.endswith(".csv") and item.is_file()
        )


@functools.cache
def _load(ticker: str) -> pd.Series:
    """Read one embedded file (once per process; callers copy the result).

    The files are the package's own, each checked by the strict reader
    (:func:`~eventstudy.prices.csv.read_price_csv`, line by line) when it was embedded
    (:mod:`eventstudy.prices.refresh`) and by the test suite, which also holds this reader
    to the strict one's result, file by file: here they are parsed directly (a tenth of the
    time, which every ``eventstudy run`` pays), and the strict reader is the fallback should
    a file not parse as expected.
    """
    with resources.as_file(_data_dir() / f"{ticker}.csv") as path:
        try:
            return _read_trusted(path, ticker)
        except (ValueError, KeyError, TypeError):
            return read_price_csv(path, ticker=ticker)


def _read_trusted(path: os.PathLike[str], ticker: str) -> pd.Series:
    """An embedded file parsed directly: ISO dates, the close (or adj_close) as float; rows
    without a price left out. Its text is the package's own (one record per line, no quotes):
    split by hand, it reads in a third of :func:`pandas.read_csv`'s time."""
    with open(path, encoding="utf-8") as fh:
        header = fh.readline().strip().split(",")
        rows = [line.split(",") for line in fh.read().splitlines() if line]
    column = header.index("adj_close" if "adj_close" in header else "close")
    date = header.index("date")
    if any(len(row) != len(header) for row in rows):
        raise ValueError("a record with another number of fields")
    cells = [(row[date], row[column]) for row in rows if row[column]]
    index = pd.DatetimeIndex(np.array([d for d, _ in cells], dtype="datetime64[ns]"),
                             name="date")
    series = pd.Series(np.array([v for _, v in cells], dtype=np.float64), index=index,
                       name=ticker)
    if not (index.is_monotonic_increasing and index.is_unique and (series > 0).all()):
        raise ValueError("not the shape the strict reader gives")
    return series


@functools.cache
def _price_file(ticker: str) -> PriceFile:
    """One embedded file read and checked strictly, once per process for all its columns."""
    with resources.as_file(_data_dir() / f"{ticker}.csv") as path:
        return PriceFile.read(path, ticker=ticker)


@functools.cache
def _load_column(ticker: str, column: str) -> pd.Series:
    """One column of one embedded file (once per process; callers copy)."""
    return _price_file(ticker).column(column, source=f"the {EmbeddedSource.name}")


def clear_cache() -> None:
    """Forget the series read so far (after the files change, e.g. by ``refresh``)."""
    _load.cache_clear()
    _price_file.cache_clear()
    _load_column.cache_clear()


def load(ticker: str) -> pd.Series:
    """Return the embedded price series of `ticker`; see :meth:`EmbeddedSource.load`."""
    return EmbeddedSource().load(ticker)


def tickers() -> list[str]:
    """Return the tickers of the embedded dataset, sorted."""
    return EmbeddedSource().tickers()
