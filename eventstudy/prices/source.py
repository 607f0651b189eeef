"""The interface every source of daily closing prices implements.

A *price series* is what :meth:`PriceSource.load` returns: a ``float64`` :class:`pandas.Series`
of positive, finite closing prices (adjusted when the source provides adjusted prices), indexed
by a sorted, unique, timezone-naive ``DatetimeIndex`` named ``"date"`` (``datetime64[ns]``, one
entry per trading day that has a price), whose ``name`` is the ticker. Days without a price are
absent, never NaN.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import pandas as pd

from eventstudy.errors import PriceDataError

__all__ = ["PriceSource", "check_ticker"]


@runtime_checkable
class PriceSource(Protocol):
    """A place daily closing prices come from, one series per ticker.

    Attributes
    ----------
    name : str
        Where the prices come from, for messages and reports, e.g. ``"embedded dataset"`` or
        ``"CSV folder /data/prices"``.

    Notes
    -----
    Implementations: :class:`~eventstudy.prices.csv.CsvDirectorySource` (``--prices DIR``) and
    :class:`~eventstudy.prices.embedded.EmbeddedSource` (the offline dataset shipped with the
    package). A missing ticker raises :class:`~eventstudy.errors.PriceDataError` naming the
    ticker, the place looked in and what to do.
    """

    name: str

    def load(self, ticker: str) -> pd.Series:
        """Return the price series of `ticker` (see the module docstring for its shape).

        Parameters
        ----------
        ticker : str
            The ticker as written, e.g. ``"LYC.AX"``, ``"^N225"``, ``"JPY=X"``.

        Returns
        -------
        pandas.Series
            ``float64`` closes indexed by a sorted, unique, tz-naive ``DatetimeIndex`` named
            ``"date"``; the Series' name is `ticker`.

        Raises
        ------
        PriceDataError
            When the source has no prices for `ticker`, or its data is invalid.
        """
        ...

    def has(self, ticker: str) -> bool:
        """Return whether the source holds prices for `ticker` (without validating them)."""
        ...

    def tickers(self) -> list[str]:
        """Return the tickers the source holds, sorted."""
        ...


def check_ticker(ticker: object, where: str) -> str:
    """Return `ticker` if it can name a price file, else raise.

    A ticker is used as a file name (``<TICKER>.csv``), so it must be a non-empty string
    without path separators, NUL or surrounding whitespace, and not ``"."`` or ``".."``.

    Parameters
    ----------
    ticker : object
        The ticker to check.
    where : str
        The source's name, for the message.

    Returns
    -------
    str
        `ticker`, unchanged.

    Raises
    ------
    PriceDataError
        When `ticker` cannot be a file name.
    """
    if (
        not isinstance(ticker, str)
        or not ticker
        or ticker != ticker.strip()
        or ticker in {".", ".."}
        or any(ch in ticker for ch in "/\\\0")
    ):
        raise PriceDataError(
            f"invalid ticker {ticker!r} for {where}: a ticker is a non-empty name without "
            "'/', '\\' or surrounding spaces, e.g. 'LYC.AX' or '^N225'"
        )
    return ticker
