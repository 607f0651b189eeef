"""Price files: one CSV per ticker, ``DIR/<TICKER>.csv`` (the ``--prices DIR`` option).

File format (the interface contract, "Price files"):

- a header line, then one row per day; the header must name the columns ``date`` and ``close``
  (matched ignoring case and surrounding spaces, with spaces read as ``_``, so yfinance's
  ``Date``/``Close``/``Adj Close`` work too);
- ``date`` is an ISO date ``YYYY-MM-DD``; rows may come in any order (they are sorted);
- when an ``adj_close`` column exists its values are used instead of ``close``;
- other columns are ignored;
- an empty price cell means "no price that day": the row is dropped, as are blank lines.

Errors name the file and the 1-based line (the header is line 1; the first bad row is
reported): a row with a price but no date; a date that is not ``YYYY-MM-DD`` or not a real day
(checked on every row that has a date, priced or not); a date that appears twice (rows without
a price count: the file is ambiguous); a price that is not a number, is written out as
``nan``/``inf`` (or overflows to infinity), or is zero or negative; a row with more fields than
the header. A missing file, an unreadable, binary or non-UTF-8 file, an empty file, a header
without ``date`` or ``close`` (or naming one twice), malformed CSV (an unclosed quote) and a
file without any price are errors naming the file. Nothing is cached here. The parsing and the
checks are in :mod:`eventstudy.prices.csv_format`.

The other columns (``volume``, ``high``, ``low``, ``open``; :mod:`eventstudy.prices.columns`) are
read by :func:`read_column_csv` from a file that passes every rule above (so duplicate dates
are refused the same way); an empty cell means "no value that day" (the row is left out of that
column only), and a value that is not a number, not finite, negative (a volume; ``0`` is kept)
or not positive (a price column) is an error naming the file, the line, the ticker and the
date. A header without the column, or a column whose every cell is empty, raises
:class:`~eventstudy.prices.columns.MissingColumnError`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from eventstudy.errors import PriceDataError
from eventstudy.prices.columns import PRICE_COLUMNS, MissingColumnError, check_column_name
from eventstudy.prices.csv_format import _NON_FINITE_WORDS, _parse, _row_line, _validate
from eventstudy.prices.source import PriceSource, check_ticker

__all__ = ["CsvDirectorySource", "PriceFile", "read_column_csv", "read_price_csv"]


def read_price_csv(path: str | os.PathLike[str], *, ticker: str | None = None) -> pd.Series:
    """Read and validate one price file.

    Parameters
    ----------
    path : str or os.PathLike
        The CSV file, e.g. ``prices/LYC.AX.csv``.
    ticker : str, optional
        The Series' name; by default the file name without ``.csv`` (``LYC.AX``).

    Returns
    -------
    pandas.Series
        ``float64`` closing prices (``adj_close`` when the file has that column) indexed by a
        sorted, unique, tz-naive ``DatetimeIndex`` (``datetime64[ns]``) named ``"date"``.
        Rows with an empty price cell are left out.

    Raises
    ------
    PriceDataError
        When the file is missing, unreadable, binary, empty, has no ``date`` or ``close``
        column or no price at all (message names the file), or when a row holds a bad or
        duplicate date or a non-numeric, non-finite or non-positive price (message names the
        file and the line, header = line 1).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "ABC.csv").write_text("date,close\\n2024-01-03,11\\n2024-01-02,10\\n")
    >>> read_price_csv(d / "ABC.csv")
    date
    2024-01-02    10.0
    2024-01-03    11.0
    Name: ABC, dtype: float64
    """
    path = Path(path)
    where = str(path)
    name = ticker if ticker is not None else _ticker_from_path(path)
    text = _read_text(path, where)
    frame, header = _parse(text, where)
    return _validate(frame, header, text, where, name)


def read_column_csv(path: str | os.PathLike[str], column: str, *, ticker: str | None = None,
                    source: str | None = None) -> pd.Series:
    """Read one column besides the close (``volume``, ``high``, ``low``, ``open``) of a price file.

    The file must first be a valid price file (:func:`read_price_csv`'s rules: dates, duplicate
    dates, closes), then the column is checked cell by cell.

    Parameters
    ----------
    path : str or os.PathLike
        The CSV file, e.g. ``prices/LYC.AX.csv``.
    column : {"volume", "high", "low", "open"}
        The column, matched in the header as ``date`` and ``close`` are (case, spaces).
    ticker : str, optional
        The Series' name; by default the file name without ``.csv``.
    source : str, optional
        The name of the source the file belongs to, for the messages (``"CSV folder DIR"``).

    Returns
    -------
    pandas.Series
        ``float64`` values indexed by a sorted, unique, tz-naive ``DatetimeIndex``
        (``datetime64[ns]``) named ``"date"``. Rows whose cell is empty are left out; a ``0``
        volume is kept.

    Raises
    ------
    MissingColumnError
        When the header has no such column or every cell of it is empty.
    PriceDataError
        When `column` is unknown, the file is not a valid price file, the header names the
        column twice, or a cell is not a number, not finite, negative (a volume) or not
        positive (a price column): the message names the file, the line, the ticker and the
        date.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "ABC.csv").write_text("date,close,volume\\n2024-01-02,10,0\\n2024-01-03,11,\\n")
    >>> read_column_csv(d / "ABC.csv", "volume")
    date
    2024-01-02    0.0
    Name: ABC, dtype: float64
    """
    check_column_name(column)
    return PriceFile.read(path, ticker=ticker).column(column, source=source)


@dataclass(frozen=True, eq=False)
class PriceFile:
    """A price file read and checked once by :func:`read_price_csv`'s rules (dates, duplicate
    dates, closes), whose other columns are then read on demand (:meth:`column`), without
    reading or parsing the file again for each."""

    frame: pd.DataFrame
    header: list[str]
    text: str
    where: str
    ticker: str

    @classmethod
    def read(cls, path: str | os.PathLike[str], *, ticker: str | None = None) -> PriceFile:
        """Read and check the file at `path` (the Series' name: `ticker`, by default the file
        name without ``.csv``); raise :class:`PriceDataError` as :func:`read_price_csv`."""
        path = Path(path)
        where = str(path)
        name = ticker if ticker is not None else _ticker_from_path(path)
        text = _read_text(path, where)
        frame, header = _parse(text, where)
        _validate(frame, header, text, where, name)  # dates, duplicate dates, closes
        return cls(frame, header, text, where, name)

    def column(self, column: str, *, source: str | None = None) -> pd.Series:
        """The `column` of the file, as :func:`read_column_csv` returns it (`source` names the
        source in the messages)."""
        check_column_name(column)
        place = source if source is not None else f"price file {self.where}"
        return _column(self.frame, self.header, self.text, self.where, self.ticker, column,
                       place)


def _column(frame: pd.DataFrame, header: list[str], text: str, where: str, name: str,
            column: str, place: str) -> pd.Series:
    """The `column` of a parsed price file that passed :func:`_validate`."""
    file = Path(where).name
    if column not in header:
        raise MissingColumnError(
            f"{file} in {place} has no '{column}' column (its header holds "
            f"{', '.join(header)}); add a {column} column to it, or use another series",
            ticker=name, column=column, source=place)
    if header.count(column) > 1:
        raise PriceDataError(
            f"price file {where}, line 1: the header names column '{column}' twice; keep one")
    dates = frame[header.index("date")].fillna("").str.strip()
    cells = frame[header.index(column)].fillna("").str.strip()
    has_date = (dates != "").to_numpy()
    has_value = (cells != "").to_numpy()
    words = cells.str.lower().isin(_NON_FINITE_WORDS).to_numpy()
    values = pd.to_numeric(cells.where(has_value), errors="coerce").to_numpy(dtype=np.float64)
    price = column in PRICE_COLUMNS
    with np.errstate(invalid="ignore"):
        out_of_range = values <= 0 if price else values < 0
    what = f"a positive {column} price" if price else "a volume of zero or more"
    rules = [
        (~has_date & has_value,
         f"no date; every row with a {column} needs a date written YYYY-MM-DD"),
        (has_value & np.isnan(values) & ~words,
         f"is not a number; write {what}, or leave the cell empty when there is none that day"),
        (has_value & (words | np.isinf(values)),
         "is not a finite number; leave the cell empty when there is none that day"),
        (has_value & np.isfinite(values) & out_of_range,
         f"is {'not positive' if price else 'negative'}; write {what}"),
    ]
    bad = np.zeros(len(frame), dtype=bool)
    for mask, _ in rules:
        bad |= mask
    if bad.any():
        row = int(np.argmax(bad))
        rule = next(text_ for mask, text_ in rules if mask[row])
        message = (rule if not has_date[row]
                   else f"{name} {column} {cells.iloc[row]!r} on {dates.iloc[row]} {rule}")
        raise PriceDataError(
            f"price file {where}, line {_row_line(text, len(frame), row)}: {message}")
    if not has_value.any():
        raise MissingColumnError(
            f"{name} has no {column} in {place} (every '{column}' cell of {file} is empty); "
            f"use another series for its {column}",
            ticker=name, column=column, source=place)
    index = pd.DatetimeIndex(pd.to_datetime(dates[has_value], format="%Y-%m-%d"),
                             name="date").as_unit("ns")
    series = pd.Series(values[has_value] + 0.0, index=index, name=name, dtype=np.float64)
    return series.sort_index(kind="stable")


class CsvDirectorySource(PriceSource):
    """Prices from a folder of CSV files, ``DIRECTORY/<TICKER>.csv``.

    The file name is the ticker exactly as written (``^N225.csv``, ``6330.T.csv``,
    ``JPY=X.csv``). Every :meth:`load` reads and validates the file again (nothing is cached),
    so edits to the folder are seen at once.

    Parameters
    ----------
    directory : str or os.PathLike
        The folder holding the price files.

    Attributes
    ----------
    name : str
        ``"CSV folder <directory>"``.
    directory : pathlib.Path
        The folder.

    Raises
    ------
    PriceDataError
        When `directory` is not an existing folder.
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        if not self.directory.is_dir():
            state = "is not a folder" if self.directory.exists() else "does not exist"
            raise PriceDataError(
                f"price folder {self.directory} {state}; pass --prices a folder holding "
                "<TICKER>.csv files, or omit it to use the embedded dataset"
            )
        self.name = f"CSV folder {self.directory}"

    def __repr__(self) -> str:
        return f"CsvDirectorySource({str(self.directory)!r})"

    def path(self, ticker: str) -> Path:
        """Return the file that holds (or would hold) the prices of `ticker`."""
        return self.directory / f"{check_ticker(ticker, self.name)}.csv"

    def has(self, ticker: str) -> bool:
        """Return whether ``<ticker>.csv`` exists in the folder."""
        try:
            return self.path(ticker).is_file()
        except PriceDataError:
            return False

    def load(self, ticker: str) -> pd.Series:
        """Read and validate ``<ticker>.csv``; see :func:`read_price_csv`.

        Raises
        ------
        PriceDataError
            When the file does not exist (the message gives the path looked for) or is invalid.
        """
        return read_price_csv(self._existing(ticker), ticker=ticker)

    def load_column(self, ticker: str, column: str) -> pd.Series:
        """Read and validate the `column` of ``<ticker>.csv``; see :func:`read_column_csv`.

        Parameters
        ----------
        ticker : str
            The ticker as written.
        column : {"volume", "high", "low", "open"}
            The column (:data:`~eventstudy.prices.columns.COLUMNS`).

        Raises
        ------
        MissingColumnError
            When the file has no such column, or only empty cells in it.
        PriceDataError
            When `column` is unknown, the file does not exist or is invalid.
        """
        check_column_name(column)
        return read_column_csv(self._existing(ticker), column, ticker=ticker, source=self.name)

    def tickers(self) -> list[str]:
        """Return the tickers of the ``*.csv`` files in the folder, sorted."""
        return sorted(p.name[:-4] for p in self.directory.glob("*.csv") if p.is_file())

    def _existing(self, ticker: str) -> Path:
        """The file of `ticker`; raise when it does not exist."""
        path = self.path(ticker)
        if not path.is_file():
            raise PriceDataError(
                f"no prices for {ticker}: {path} does not exist; add {ticker}.csv "
                f"(columns date, close) to {self.directory} or check the ticker's spelling"
            )
        return path


def _ticker_from_path(path: Path) -> str:
    name = path.name
    return name[:-4] if name.lower().endswith(".csv") and len(name) > 4 else name


def _read_text(path: Path, where: str) -> str:
    """Return the file's text, refusing missing, unreadable, binary and empty files."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise PriceDataError(f"price file {where} does not exist; check the path") from None
    except IsADirectoryError:
        raise PriceDataError(f"price file {where} is a folder, not a CSV file") from None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise PriceDataError(
            f"cannot read price file {where} ({reason}); check its permissions"
        ) from None
    if b"\0" in raw:
        raise PriceDataError(
            f"price file {where} is binary, not CSV text; write it as a UTF-8 CSV file"
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PriceDataError(
            f"price file {where} is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset "
            f"{exc.start}); save it as a UTF-8 CSV file"
        ) from None
    if not text.strip():
        raise PriceDataError(
            f"price file {where} is empty; it needs a header line 'date,close' and one row per day"
        )
    return text
