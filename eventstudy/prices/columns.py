"""Columns of a price file besides the close: ``volume``, ``high``, ``low`` and ``open``.

For volume studies and high-low (range) volatility. A *column series* has the shape of a price
series (:mod:`eventstudy.prices.source`): a ``float64`` :class:`pandas.Series` indexed by a
sorted, unique, timezone-naive ``DatetimeIndex`` named ``"date"`` (``datetime64[ns]``), whose
``name`` is the ticker. Days whose cell is empty are absent, never NaN: a session without a
volume is missing, while a volume of ``0`` is a value and stays. Volumes are finite and
non-negative; ``high``, ``low`` and ``open`` are finite and positive.

:func:`load_column` reads a column from any source: it unwraps a
:class:`~eventstudy.prices.checked.CheckedSource` and calls the source's own
``load_column(ticker, column)`` (:class:`~eventstudy.prices.csv.CsvDirectorySource`,
:class:`~eventstudy.prices.embedded.EmbeddedSource`, :class:`~eventstudy.prices.yahoo.YahooSource`);
a source without one (a user's own source of closes) is refused with a message saying what to
do. A ticker whose file has
no such column, or only empty cells in it (the embedded indices ``^TOPX``, ``^AXJO``, ... have
no volume), raises :class:`MissingColumnError`, which a caller may catch to fall back on
another series.

Examples
--------
>>> from eventstudy.prices import EmbeddedSource
>>> from eventstudy.prices.columns import MissingColumnError, load_column
>>> volume = load_column(EmbeddedSource(), "LYC.AX", "volume")
>>> print(f"{volume['2026-01-07'] / 1e6:.1f} M shares")
14.4 M shares
>>> try:
...     load_column(EmbeddedSource(), "^TOPX", "volume")
... except MissingColumnError as exc:
...     print(exc.ticker, exc.column)
^TOPX volume
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from eventstudy.errors import PriceDataError

__all__ = [
    "COLUMNS",
    "PRICE_COLUMNS",
    "MissingColumnError",
    "check_column",
    "check_column_name",
    "load_column",
]

#: The columns :func:`load_column` reads (lower case, as in the header of a price file).
COLUMNS = ("volume", "high", "low", "open")
#: The columns that hold prices: each value must be positive (a volume may be zero).
PRICE_COLUMNS = frozenset({"high", "low", "open"})


class MissingColumnError(PriceDataError):
    """A source holds the ticker but not that column: its file has no such column, or every
    cell of it is empty (e.g. the volume of the index ``^TOPX``). A caller may catch it to use
    another series instead.

    Attributes
    ----------
    ticker, column, source : str or None
        The ticker, the column and the source's name.
    """

    def __init__(self, message: str, *, ticker: str | None = None, column: str | None = None,
                 source: str | None = None) -> None:
        super().__init__(message)
        self.ticker = ticker
        self.column = column
        self.source = source

    def __reduce__(self) -> tuple[Any, ...]:  # keep the attributes through pickle (dask)
        return (_rebuild, (str(self), self.ticker, self.column, self.source))


def _rebuild(message: str, ticker: str | None, column: str | None,
             source: str | None) -> MissingColumnError:
    return MissingColumnError(message, ticker=ticker, column=column, source=source)


def check_column_name(column: object) -> str:
    """Return `column` if it is one of :data:`COLUMNS`, else raise :class:`PriceDataError`."""
    if not isinstance(column, str) or column not in COLUMNS:
        raise PriceDataError(
            f"unknown price column {column!r}; the columns that can be read are "
            f"{', '.join(COLUMNS)} (the close is read with load)"
        )
    return column


def load_column(source: Any, ticker: str, column: str) -> pd.Series:
    """Return the `column` series of `ticker` from `source` (shape: the module docstring).

    Parameters
    ----------
    source : PriceSource
        Where to read; a :class:`~eventstudy.prices.checked.CheckedSource` (or any wrapper
        exposing the source it wraps as ``.inner``) is unwrapped first.
    ticker : str
        The ticker as written, e.g. ``"LYC.AX"`` or ``"^N225"``.
    column : {"volume", "high", "low", "open"}
        The column to read.

    Returns
    -------
    pandas.Series
        ``float64`` values indexed by a sorted, unique, tz-naive ``DatetimeIndex`` named
        ``"date"``; its name is `ticker`. A copy, free to modify.

    Raises
    ------
    MissingColumnError
        When the ticker's data has no such column, or no value in it.
    PriceDataError
        When `column` is not one of :data:`COLUMNS`, the source cannot give columns (it has no
        ``load_column`` method), the ticker is missing, or a value is not a number, not finite,
        negative (a volume) or not positive (a price column); the message names the ticker,
        the date and the value.
    """
    check_column_name(column)
    inner = _unwrap(source)
    method = getattr(inner, "load_column", None)
    name = str(getattr(inner, "name", type(inner).__name__))
    if not callable(method):
        raise PriceDataError(
            f"no {column} for {ticker}: {name} holds closing prices only; pass --prices DIR "
            f"with <TICKER>.csv files that have a {column} column, or use the embedded dataset"
        )
    return check_column(method(ticker, column), ticker, column, name)


def check_column(series: pd.Series, ticker: str, column: str, source: str) -> pd.Series:
    """Return `series` as a column series (see the module docstring), or raise.

    The checks a source's ``load_column`` must pass whatever the source: a ``Series`` of
    numbers on a sorted, unique, tz-naive date index without times, at least one value,
    every value finite and non-negative (a volume) or positive (a price column). NaN values
    are dropped (an empty cell). A CSV source reports bad cells earlier, with the file's line.

    Parameters
    ----------
    series : pandas.Series
        What the source returned.
    ticker, column, source : str
        For the messages (`source` is the source's name).

    Returns
    -------
    pandas.Series
        A new ``float64`` Series named `ticker`, indexed as a price series.

    Raises
    ------
    MissingColumnError
        When `series` holds no value.
    PriceDataError
        When it is not a Series of that shape, or a value breaks the rules.
    """
    where = f"the {column} of {ticker} from {source}"
    if not isinstance(series, pd.Series) or not isinstance(series.index, pd.DatetimeIndex):
        raise PriceDataError(f"{where} is not a Series indexed by dates ({type(series).__name__})")
    index = series.index
    if index.tz is not None or not (index == index.normalize()).all():
        raise PriceDataError(f"{where} is indexed by time stamps, not dates without a time zone")
    if not index.is_unique:
        dup = index[index.duplicated()][0]
        raise PriceDataError(f"{where} has the date {dup:%Y-%m-%d} twice; keep one value per date")
    try:
        values = pd.to_numeric(series, errors="raise").to_numpy(dtype=np.float64)
    except (ValueError, TypeError):
        bad = next(v for v in series if _not_a_number(v))
        raise PriceDataError(f"{where} holds a value that is not a number: {bad!r}") from None
    keep = ~np.isnan(values)
    if not keep.any():
        raise MissingColumnError(f"{ticker} has no {column} in {source} (no value at all)",
                                 ticker=ticker, column=column, source=source)
    with np.errstate(invalid="ignore"):
        bad = keep & (~np.isfinite(values) | (values <= 0 if column in PRICE_COLUMNS
                                              else values < 0))
    if bad.any():
        i = int(np.argmax(bad))
        rule = "positive" if column in PRICE_COLUMNS else "finite and not negative"
        raise PriceDataError(
            f"{ticker} {column} on {index[i]:%Y-%m-%d} is {float(values[i])!r} in {source}; "
            f"a {column} must be {rule}"
        )
    out = pd.Series(values[keep] + 0.0, name=ticker, dtype=np.float64,  # -0.0 -> 0.0
                    index=pd.DatetimeIndex(index[keep], name="date").as_unit("ns"))
    return out if out.index.is_monotonic_increasing else out.sort_index(kind="stable")


def _not_a_number(value: object) -> bool:
    try:
        pd.to_numeric(pd.Series([value]), errors="raise")
    except (ValueError, TypeError):
        return True
    return False


def _unwrap(source: Any) -> Any:
    """The source a wrapper (``.inner``, e.g. CheckedSource) reads from, innermost first."""
    seen: set[int] = set()
    while (inner := getattr(source, "inner", None)) is not None and id(source) not in seen:
        seen.add(id(source))
        source = inner
    return source
