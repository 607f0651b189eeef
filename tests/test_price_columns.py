"""Tests of eventstudy.prices.columns: volume, high, low and open besides the close."""

from __future__ import annotations

import csv
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eventstudy.errors import PriceDataError
from eventstudy.prices import CsvDirectorySource, EmbeddedSource, embedded
from eventstudy.prices.checked import CheckedSource, checked
from eventstudy.prices.columns import COLUMNS, MissingColumnError, check_column, load_column
from eventstudy.prices.csv import read_column_csv

DATA = Path(embedded.__file__).resolve().parent / "data"
T = pd.Timestamp


def cell(ticker: str, date: str, column: str) -> str:
    """The raw text of one cell of an embedded file, read with the csv module."""
    with open(DATA / f"{ticker}.csv", encoding="utf-8", newline="") as fh:
        rows = [row for row in csv.DictReader(fh) if row["date"] == date]
    assert len(rows) == 1
    return rows[0][column]


def assert_shape(series: pd.Series, ticker: str) -> None:
    assert isinstance(series, pd.Series) and series.dtype == np.float64
    assert series.name == ticker
    index = series.index
    assert isinstance(index, pd.DatetimeIndex) and index.name == "date"
    assert index.dtype == "datetime64[ns]" and index.tz is None
    assert index.is_monotonic_increasing and index.is_unique
    assert not series.isna().any()


def folder(tmp_path: Path, **files: str) -> CsvDirectorySource:
    """A --prices folder holding ``<name>.csv`` for each keyword (``__`` in a name: ``.``)."""
    for name, text in files.items():
        (tmp_path / f"{name.replace('__', '.')}.csv").write_text(text, encoding="utf-8")
    return CsvDirectorySource(tmp_path)


# -- the embedded dataset ----------------------------------------------------------------------
def test_embedded_volume_equals_the_file() -> None:
    volume = load_column(EmbeddedSource(), "6330.T", "volume")
    assert_shape(volume, "6330.T")
    assert volume[T("2026-01-07")] == float(cell("6330.T", "2026-01-07", "volume"))
    assert volume[T("2026-01-07")] == 11_000_000


def test_embedded_lyc_volume_on_the_ban_day() -> None:
    volume = EmbeddedSource().load_column("LYC.AX", "volume")
    assert volume[T("2026-01-07")] == float(cell("LYC.AX", "2026-01-07", "volume"))
    assert round(volume[T("2026-01-07")], -5) == 14.4e6  # 14,408,923 shares
    # every session with a close has a volume (the ASX source gives both)
    assert volume.index.equals(EmbeddedSource().load("LYC.AX").index)


def test_embedded_index_without_volume_is_a_missing_column() -> None:
    with pytest.raises(MissingColumnError, match=r"\^TOPX has no volume in the embedded") as err:
        load_column(EmbeddedSource(), "^TOPX", "volume")
    assert (err.value.ticker, err.value.column) == ("^TOPX", "volume")
    assert isinstance(err.value, PriceDataError)
    # ^AXJO has a high and a low, but no volume
    with pytest.raises(MissingColumnError):
        load_column(EmbeddedSource(), "^AXJO", "volume")
    high = load_column(EmbeddedSource(), "^AXJO", "high")
    assert high[T("2024-01-02")] == 7632.7


def test_embedded_etf_has_volume() -> None:
    volume = load_column(EmbeddedSource(), "STW.AX", "volume")
    assert_shape(volume, "STW.AX")
    assert len(volume) > 500 and (volume > 0).all()
    assert volume[T("2024-01-02")] == 62782


def test_embedded_zero_volume_is_kept() -> None:
    assert cell("7276.T", "2024-03-29", "volume") == "0"
    volume = load_column(EmbeddedSource(), "7276.T", "volume")
    assert volume[T("2024-03-29")] == 0.0
    assert len(volume) == len(EmbeddedSource().load("7276.T"))


def test_embedded_high_low_bracket_the_close() -> None:
    source = EmbeddedSource()
    high, low = source.load_column("LYC.AX", "high"), source.load_column("LYC.AX", "low")
    close = source.load("LYC.AX")
    assert (high[T("2026-01-07")], low[T("2026-01-07")]) == (15.21, 13.685)
    assert (high >= close).all() and (low <= close).all()


def test_embedded_columns_are_copies() -> None:
    first = EmbeddedSource().load_column("LYC.AX", "volume")
    first.iloc[0] = -1.0
    assert EmbeddedSource().load_column("LYC.AX", "volume").iloc[0] == 1311593


def test_embedded_missing_ticker() -> None:
    with pytest.raises(PriceDataError, match=r"no prices for NOPE\.AX in the embedded dataset"):
        load_column(EmbeddedSource(), "NOPE.AX", "volume")


# -- a CSV folder ------------------------------------------------------------------------------
OHLCV = (
    "date,open,high,low,close,volume\n"
    "2024-01-03,10.5,11,10,10.8,0\n"
    "2024-01-02,9.5,10.2,9.4,10,1500\n"  # unsorted: sorted on reading
    "2024-01-04,10.8,11.2,10.6,11,\n"  # no volume that day
)


def test_csv_volume_zero_kept_empty_absent(tmp_path: Path) -> None:
    source = folder(tmp_path, ABC=OHLCV)
    volume = source.load_column("ABC", "volume")
    assert_shape(volume, "ABC")
    assert volume.to_dict() == {T("2024-01-02"): 1500.0, T("2024-01-03"): 0.0}
    pd.testing.assert_series_equal(load_column(source, "ABC", "volume"), volume)


def test_csv_high_low_open(tmp_path: Path) -> None:
    source = folder(tmp_path, ABC=OHLCV)
    assert list(load_column(source, "ABC", "high")) == [10.2, 11.0, 11.2]
    assert list(load_column(source, "ABC", "low")) == [9.4, 10.0, 10.6]
    assert list(load_column(source, "ABC", "open")) == [9.5, 10.5, 10.8]


def test_csv_header_like_yfinance(tmp_path: Path) -> None:
    source = folder(tmp_path, ABC="Date,High,Low,Close,Adj Close,Volume\n"
                                  "2024-01-02,10.2,9.4,10,9.9,1500\n")
    assert load_column(source, "ABC", "volume").tolist() == [1500.0]


@pytest.mark.parametrize(
    ("cell_text", "pattern"),
    [
        ("-5", r"line 3: ABC volume '-5' on 2024-01-03 is negative"),
        ("lots", r"line 3: ABC volume 'lots' on 2024-01-03 is not a number"),
        ("nan", r"line 3: ABC volume 'nan' on 2024-01-03 is not a finite number"),
        ("1e999", r"line 3: ABC volume '1e999' on 2024-01-03 is not a finite number"),
    ],
)
def test_csv_bad_volume_refused(tmp_path: Path, cell_text: str, pattern: str) -> None:
    text = f"date,close,volume\n2024-01-02,10,1\n2024-01-03,11,{cell_text}\n"
    source = folder(tmp_path, ABC=text)
    with pytest.raises(PriceDataError, match=pattern) as err:
        load_column(source, "ABC", "volume")
    assert not isinstance(err.value, MissingColumnError)
    assert "ABC.csv" in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("value", ["0", "-1.5"])
def test_csv_non_positive_high_refused(tmp_path: Path, value: str) -> None:
    source = folder(tmp_path, ABC=f"date,close,high\n2024-01-02,10,{value}\n")
    with pytest.raises(PriceDataError, match=rf"line 2: ABC high '{value}' on 2024-01-02 is not "
                                             "positive"):
        load_column(source, "ABC", "high")


def test_csv_missing_column_refused(tmp_path: Path) -> None:
    source = folder(tmp_path, LYC__AX="date,close\n2024-01-02,7.17\n")
    with pytest.raises(MissingColumnError,
                       match=rf"LYC\.AX\.csv in CSV folder {tmp_path} has no 'volume' column"):
        load_column(source, "LYC.AX", "volume")


def test_csv_empty_column_is_a_missing_column(tmp_path: Path) -> None:
    source = folder(tmp_path, IDX="date,close,volume\n2024-01-02,100,\n2024-01-03,101,\n")
    with pytest.raises(MissingColumnError, match=r"IDX has no volume in CSV folder"):
        load_column(source, "IDX", "volume")


def test_unknown_column_name_refused(tmp_path: Path) -> None:
    source = folder(tmp_path, ABC=OHLCV)
    for column in ("close", "Volume", "adj_close", ""):
        with pytest.raises(PriceDataError, match="volume, high, low, open") as err:
            load_column(source, "ABC", column)
        assert not isinstance(err.value, MissingColumnError)
    with pytest.raises(PriceDataError, match="unknown price column"):
        source.load_column("ABC", "turnover")
    assert COLUMNS == ("volume", "high", "low", "open")


def test_csv_duplicate_date_refused_as_for_prices(tmp_path: Path) -> None:
    # a duplicated date is refused even when one of the rows has no close (the prices' rule)
    source = folder(tmp_path, ABC="date,close,volume\n2024-01-02,10,5\n2024-01-02,,6\n")
    with pytest.raises(PriceDataError, match=r"line 3: date 2024-01-02 appears again"):
        load_column(source, "ABC", "volume")


def test_csv_invalid_price_file_refused(tmp_path: Path) -> None:
    source = folder(tmp_path, ABC="date,close,volume\n2024-01-02,-10,5\n")
    with pytest.raises(PriceDataError, match=r"line 2: close '-10' is not positive"):
        load_column(source, "ABC", "volume")


def test_csv_value_without_date_refused(tmp_path: Path) -> None:
    source = folder(tmp_path, ABC="date,close,volume\n2024-01-02,10,5\n,,7\n")
    with pytest.raises(PriceDataError, match=r"line 3: no date; every row with a volume"):
        load_column(source, "ABC", "volume")


def test_csv_column_named_twice_refused(tmp_path: Path) -> None:
    source = folder(tmp_path, ABC="date,close,volume,Volume\n2024-01-02,10,5,6\n")
    with pytest.raises(PriceDataError, match=r"line 1: the header names column 'volume' twice"):
        load_column(source, "ABC", "volume")


def test_csv_volume_on_a_day_without_close_is_kept(tmp_path: Path) -> None:
    source = folder(tmp_path, ABC="date,close,volume\n2024-01-02,10,5\n2024-01-03,,7\n")
    assert load_column(source, "ABC", "volume").to_dict() == {T("2024-01-02"): 5.0,
                                                               T("2024-01-03"): 7.0}
    assert len(source.load("ABC")) == 1


def test_csv_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PriceDataError, match="no prices for XYZ"):
        load_column(CsvDirectorySource(tmp_path), "XYZ", "volume")


def test_read_column_csv_without_a_source(tmp_path: Path) -> None:
    path = tmp_path / "ABC.csv"
    path.write_text("date,close\n2024-01-02,10\n")
    with pytest.raises(MissingColumnError, match=r"ABC\.csv in price file .* no 'low' column"):
        read_column_csv(path, "low")


# -- wrappers and other sources ----------------------------------------------------------------
def test_checked_source_delegates(tmp_path: Path) -> None:
    source = folder(tmp_path, ABC=OHLCV)
    wrapped = checked(source)
    assert isinstance(wrapped, CheckedSource)
    direct = source.load_column("ABC", "volume")
    pd.testing.assert_series_equal(wrapped.load_column("ABC", "volume"), direct)
    pd.testing.assert_series_equal(load_column(wrapped, "ABC", "volume"), direct)
    pd.testing.assert_series_equal(load_column(CheckedSource(wrapped), "ABC", "volume"), direct)
    with pytest.raises(MissingColumnError):
        checked(EmbeddedSource()).load_column("^TOPX", "volume")


class ClosesOnly:
    """A source of closes without ``load_column`` (a user's own source)."""

    name = "closes-only source"

    def load(self, ticker: str) -> pd.Series:
        raise AssertionError("not read")

    def has(self, ticker: str) -> bool:
        return True

    def tickers(self) -> list[str]:
        return ["LYC.AX"]


def test_a_source_without_columns_gives_a_clear_error() -> None:
    for candidate in (ClosesOnly(), checked(ClosesOnly())):
        with pytest.raises(PriceDataError, match="closing prices only") as err:
            load_column(candidate, "LYC.AX", "volume")
        message = str(err.value)
        assert not isinstance(err.value, MissingColumnError)
        assert "\n" not in message and "--prices DIR" in message
        assert "closes-only source" in message and "volume" in message


class FakeSource:
    """A source whose load_column returns whatever it is given."""

    name = "fake source"

    def __init__(self, series: pd.Series) -> None:
        self.series = series

    def load_column(self, ticker: str, column: str) -> pd.Series:
        return self.series


def test_any_source_is_checked() -> None:
    dates = pd.DatetimeIndex(["2024-01-03", "2024-01-02", "2024-01-04"], name="date")
    good = load_column(FakeSource(pd.Series([1, 2, np.nan], index=dates)), "X", "volume")
    assert_shape(good, "X")
    assert good.to_dict() == {T("2024-01-02"): 2.0, T("2024-01-03"): 1.0}
    with pytest.raises(PriceDataError, match=r"X volume on 2024-01-02 is -2\.0 in fake source"):
        load_column(FakeSource(pd.Series([1, -2, 3], index=dates)), "X", "volume")
    with pytest.raises(PriceDataError, match=r"X high on 2024-01-03 is 0\.0"):
        load_column(FakeSource(pd.Series([0, 2, 3], index=dates)), "X", "high")
    with pytest.raises(PriceDataError, match=r"is inf"):
        load_column(FakeSource(pd.Series([1, np.inf, 3], index=dates)), "X", "volume")
    with pytest.raises(PriceDataError, match="not a number"):
        load_column(FakeSource(pd.Series(["1", "x", "3"], index=dates)), "X", "volume")
    with pytest.raises(MissingColumnError, match="X has no low in fake source"):
        load_column(FakeSource(pd.Series([np.nan] * 3, index=dates)), "X", "low")
    with pytest.raises(PriceDataError, match="time stamps"):
        load_column(FakeSource(pd.Series([1.0] * 3, index=dates.tz_localize("UTC"))), "X",
                    "volume")
    with pytest.raises(PriceDataError, match="2024-01-02 twice"):
        check_column(pd.Series([1.0, 2.0], index=dates[[1, 1]]), "X", "volume", "fake source")


def test_missing_column_error_pickles() -> None:
    error = MissingColumnError("^TOPX has no volume", ticker="^TOPX", column="volume",
                               source="the embedded dataset")
    copy = pickle.loads(pickle.dumps(error))
    assert isinstance(copy, MissingColumnError) and str(copy) == str(error)
    assert (copy.ticker, copy.column, copy.source) == ("^TOPX", "volume", "the embedded dataset")
