"""Tests of eventstudy.prices: CSV validation, the embedded dataset and its refresh."""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from eventstudy.errors import EventStudyError, PriceDataError
from eventstudy.prices import (
    CsvDirectorySource,
    EmbeddedSource,
    PriceSource,
    embedded,
    open_source,
    read_price_csv,
    refresh,
)
from eventstudy.prices.csv import read_price_csv as csv_read_price_csv

SHARED_PRICES = Path(__file__).resolve().parents[2] / "shared" / "data" / "prices"
EMBEDDED_DIR = Path(embedded.__file__).resolve().parent / "data"
needs_shared = pytest.mark.skipif(
    not SHARED_PRICES.is_dir(), reason=f"shared price files not found at {SHARED_PRICES}"
)


def write(folder: Path, name: str, text: str) -> Path:
    """Write `text` verbatim (no newline translation) to folder/name."""
    path = folder / name
    path.write_bytes(text.encode("utf-8"))
    return path


def assert_price_series(series: pd.Series, ticker: str) -> None:
    assert isinstance(series, pd.Series)
    assert series.name == ticker
    assert series.dtype == np.float64
    assert isinstance(series.index, pd.DatetimeIndex)
    assert series.index.name == "date"
    assert series.index.tz is None
    assert series.index.is_unique
    assert series.index.is_monotonic_increasing
    assert np.isfinite(series.to_numpy()).all()
    assert (series.to_numpy() > 0).all()


# --- read_price_csv: what loads -------------------------------------------------------------


def test_reads_minimal_file(tmp_path: Path) -> None:
    path = write(tmp_path, "ABC.csv", "date,close\n2024-01-02,10.5\n2024-01-03,11\n")
    series = read_price_csv(path)
    assert_price_series(series, "ABC")
    assert series.index.dtype == "datetime64[ns]"
    assert series.to_dict() == {pd.Timestamp("2024-01-02"): 10.5, pd.Timestamp("2024-01-03"): 11.0}


def test_ticker_taken_from_file_name_as_written(tmp_path: Path) -> None:
    for ticker in ("^N225", "6330.T", "JPY=X"):
        path = write(tmp_path, f"{ticker}.csv", "date,close\n2024-01-04,1\n")
        assert read_price_csv(path).name == ticker
    assert read_price_csv(path, ticker="other").name == "other"


def test_adj_close_preferred_over_close(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "A.csv",
        "date,open,close,adj_close,volume\n2024-01-02,1,100,90,5\n2024-01-03,1,110,99,5\n",
    )
    series = read_price_csv(path)
    assert series.tolist() == [90.0, 99.0]


def test_adj_close_validated_close_ignored(tmp_path: Path) -> None:
    # with adj_close present, close is an "other column": its contents do not matter
    path = write(tmp_path, "A.csv", "date,close,adj_close\n2024-01-02,oops,90\n")
    assert read_price_csv(path).tolist() == [90.0]
    path = write(tmp_path, "B.csv", "date,close,adj_close\n2024-01-02,90,oops\n")
    with pytest.raises(PriceDataError, match=r"B\.csv, line 2: adj_close 'oops'"):
        read_price_csv(path)


def test_yfinance_style_header_names(tmp_path: Path) -> None:
    path = write(tmp_path, "A.csv", "Date,Open,Close,Adj Close\n2024-01-02,1,100,90\n")
    assert read_price_csv(path).tolist() == [90.0]


def test_unsorted_rows_are_sorted(tmp_path: Path) -> None:
    path = write(
        tmp_path, "A.csv", "date,close\n2024-01-05,3\n2024-01-02,1\n2024-01-04,2\n2023-12-29,0.5\n"
    )
    series = read_price_csv(path)
    assert list(series.index.strftime("%Y-%m-%d")) == [
        "2023-12-29",
        "2024-01-02",
        "2024-01-04",
        "2024-01-05",
    ]
    assert series.tolist() == [0.5, 1.0, 2.0, 3.0]


def test_empty_price_cells_and_blank_lines_dropped(tmp_path: Path) -> None:
    text = (
        "date,open,high,low,close,volume\n"
        "2024-01-02,,,,7.17,\n"
        "2024-01-03,1,1,1,,100\n"  # no close that day
        "\n"
        "2024-01-04,,,,  ,\n"  # whitespace only counts as empty
        "2024-01-05,,,,6.72,\n"
    )
    series = read_price_csv(write(tmp_path, "A.csv", text))
    assert list(series.index.strftime("%Y-%m-%d")) == ["2024-01-02", "2024-01-05"]
    assert series.tolist() == [7.17, 6.72]


def test_other_columns_ignored_and_crlf_and_bom(tmp_path: Path) -> None:
    text = '\ufeffdate,note,close\r\n2024-01-02,"a, b",1\r\n2024-01-03,whatever,2\r\n'
    assert read_price_csv(write(tmp_path, "A.csv", text)).tolist() == [1.0, 2.0]


# --- read_price_csv: errors with file name and line ------------------------------------------

LINE_CASES = {
    # id: (text, line, fragment of the message)
    "duplicate-date": (
        "date,close\n2024-01-02,1\n2024-01-03,2\n2024-01-02,3\n",
        4,
        "2024-01-02 appears again (first on line 2)",
    ),
    "duplicate-after-blank-line": (
        "date,close\n2024-01-02,1\n\n2024-01-03,2\n\n2024-01-03,3\n",
        6,
        "first on line 4",
    ),
    "non-iso-date": ("date,close\n2024-01-02,1\n03/01/2024,2\n", 3, "not an ISO date"),
    "datetime-not-date": ("date,close\n2024-01-02 00:00:00,1\n", 2, "not an ISO date"),
    "unparseable-date": ("date,close\n2024-01-02,1\n2024-01-03,2\nsoon,3\n", 4, "not an ISO"),
    "impossible-date": ("date,close\n2024-01-02,1\n2024-02-30,2\n", 3, "not a calendar day"),
    "missing-date": ("date,close\n2024-01-02,1\n,2\n", 3, "no date"),
    "negative-price": ("date,close\n2024-01-02,1\n2024-01-03,-2.5\n", 3, "not positive"),
    "zero-price": ("date,close\n2024-01-02,0\n", 2, "not positive"),
    "non-numeric-price": ("date,close\n2024-01-02,1\n2024-01-03,1.2.3\n", 3, "not a number"),
    "text-price": ("date,close\n2024-01-02,1\n2024-01-03,abc\n", 3, "'abc' is not a number"),
    "comma-decimal": ('date,close\n2024-01-02,"1,5"\n', 2, "is not a number"),
    "nan-written": ("date,close\n2024-01-02,1\n2024-01-03,nan\n", 3, "not a finite number"),
    "NaN-written": ("date,close\n2024-01-02,NaN\n", 2, "not a finite number"),
    "inf-written": ("date,close\n2024-01-02,1\n2024-01-03,inf\n", 3, "not a finite number"),
    "minus-inf-written": ("date,close\n2024-01-02,-Infinity\n", 2, "not a finite number"),
    "overflow": ("date,close\n2024-01-02,1e999\n", 2, "not a finite number"),
    "multiline-quoted-field": (
        'date,close,note\n2024-01-02,1,"two\nlines"\n2024-01-03,x,\n',
        4,
        "'x' is not a number",
    ),
    "extra-field": ("date,close\n2024-01-02,1,9\n", 2, "3 fields"),
    "first-error-wins": ("date,close\n2024-01-02,1\n2024-01-03,-1\n2024-13-01,2\n", 3, "positive"),
}


@pytest.mark.parametrize(("text", "line", "fragment"), LINE_CASES.values(), ids=LINE_CASES.keys())
def test_bad_row_names_file_and_line(tmp_path: Path, text: str, line: int, fragment: str) -> None:
    path = write(tmp_path, "BAD.T.csv", text)
    with pytest.raises(PriceDataError) as info:
        read_price_csv(path)
    message = str(info.value)
    assert str(path) in message
    assert f", line {line}:" in message
    assert fragment in message
    assert "\n" not in message


FILE_CASES = {
    "empty-file": ("", "is empty"),
    "whitespace-only": ("\n \n", "is empty"),
    "header-only": ("date,close\n", "no data rows"),
    "header-and-blank-lines": ("date,open,close\n\n\n", "no data rows"),
    "no-prices-at-all": ("date,close\n2024-01-02,\n2024-01-03,\n", "has no prices"),
    "missing-close-column": ("date,price\n2024-01-02,1\n", "no 'close' column"),
    "missing-date-column": ("day,close\n2024-01-02,1\n", "no 'date' column"),
    "close-named-twice": ("date,Close,close\n2024-01-02,1,2\n", "'close' twice"),
    "unterminated-quote": ('date,close\n2024-01-02,"1\n', "not valid CSV"),
}


@pytest.mark.parametrize(("text", "fragment"), FILE_CASES.values(), ids=FILE_CASES.keys())
def test_bad_file_names_file(tmp_path: Path, text: str, fragment: str) -> None:
    path = write(tmp_path, "X.AX.csv", text)
    with pytest.raises(PriceDataError, match=re.escape(fragment)) as info:
        read_price_csv(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b"date,close\n2024-01-02,1\xe9\n", "not UTF-8"),
    ],
    ids=["binary", "latin-1"],
)
def test_binary_or_undecodable_file(tmp_path: Path, data: bytes, fragment: str) -> None:
    path = tmp_path / "B.csv"
    path.write_bytes(data)
    with pytest.raises(PriceDataError, match=fragment) as info:
        read_price_csv(path)
    assert str(path) in str(info.value)


def test_missing_file_and_folder_as_file(tmp_path: Path) -> None:
    with pytest.raises(PriceDataError, match="does not exist") as info:
        read_price_csv(tmp_path / "NOPE.csv")
    assert "NOPE.csv" in str(info.value)
    (tmp_path / "DIR.csv").mkdir()
    with pytest.raises(PriceDataError, match="is a folder"):
        read_price_csv(tmp_path / "DIR.csv")


def test_price_data_error_is_event_study_error() -> None:
    assert issubclass(PriceDataError, EventStudyError)


CSV_PIECES = st.sampled_from(
    [
        *"date,close,adj_close\n\r\"' .-+0123456789eEinfaNT:/xé\t",
        *["2024-01-02", "2024-02-30", "nan", "inf", "-1", "0", "1e999", ",,", "\x00"],
    ]
)
VALID_DATES = st.dates(date(2024, 1, 1), date(2024, 12, 31)).map(date.isoformat)
VALID_PRICES = st.one_of(
    st.floats(min_value=1e-6, max_value=1e9).map(repr),
    st.sampled_from(["1", " 7.17 ", "1e3", "", " "]),  # empty: no price that day
)
BAD_CELLS = st.one_of(
    st.sampled_from(["2024-1-3", "2024-02-30", "0000-01-01", "9999-12-31", "03/01/2024"]),
    st.sampled_from(["-1", "0", "nan", "-inf", "1e999", "abc", "1_000", "0x10", "١"]),
    st.text(max_size=12),
)


def cell(text: str) -> str:
    """Make `text` a plain CSV cell (no separator, quote or line break)."""
    return re.sub(r"[,\"\r\n\x00\x0b\x0c\x1c-\x1e\x85\u2028\u2029]", "", text)


def check_loads_or_price_data_error(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    try:
        series = read_price_csv(path)
    except PriceDataError as exc:
        event("raised PriceDataError")
        assert path.name in str(exc)
    else:
        event("loaded")
        assert_price_series(series, path.name.removesuffix(".csv"))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    header=st.sampled_from(["date,close", "date,close,adj_close", "Date,Close", "close", ""]),
    body=st.lists(CSV_PIECES, max_size=40).map("".join),
    raw=st.binary(max_size=20),
)
def test_any_text_loads_or_raises_price_data_error(
    tmp_path_factory: pytest.TempPathFactory, header: str, body: str, raw: bytes
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "F.csv"
    for data in ((header + "\n" + body).encode("utf-8"), raw, body.encode("utf-8") + raw):
        check_loads_or_price_data_error(path, data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(st.tuples(VALID_DATES, VALID_PRICES, st.text(max_size=5)), max_size=12),
    corrupt=st.none() | st.tuples(st.integers(0, 11), st.integers(0, 1), BAD_CELLS),
    adjusted=st.booleans(),
    newline=st.sampled_from(["\n", "\r\n"]),
)
def test_any_rows_load_correctly_or_raise_price_data_error(
    tmp_path_factory: pytest.TempPathFactory,
    rows: list[tuple[str, str, str]],
    corrupt: tuple[int, int, str] | None,
    adjusted: bool,
    newline: str,
) -> None:
    cells = [[d, p, cell(x)] for d, p, x in rows]
    if corrupt is not None and cells:
        row, column, text = corrupt
        cells[row % len(cells)][column] = cell(text)
    if adjusted:  # adj_close holds the price; close holds junk that must be ignored
        lines = ["x,close,date,adj_close"] + [f"{x},junk,{d},{p}" for d, p, x in cells]
    else:
        lines = ["date,close,x"] + [f"{d},{p},{x}" for d, p, x in cells]
    path = tmp_path_factory.mktemp("fuzz") / "R.csv"
    check_loads_or_price_data_error(path, newline.join(lines).encode("utf-8"))
    try:
        series = read_price_csv(path)
    except PriceDataError:
        return
    expected = {pd.Timestamp(d.strip()): float(p) for d, p, _ in cells if p.strip()}
    assert series.to_dict() == expected
    assert list(series.index) == sorted(expected)


# --- CsvDirectorySource and open_source -------------------------------------------------------


def test_csv_directory_source(tmp_path: Path) -> None:
    write(tmp_path, "^N225.csv", "date,close\n2024-01-04,33288.29\n")
    write(tmp_path, "JPY=X.csv", "date,close\n2024-01-04,143.5\n")
    write(tmp_path, "notes.txt", "not prices")
    source = CsvDirectorySource(tmp_path)
    assert isinstance(source, PriceSource)
    assert source.name == f"CSV folder {tmp_path}"
    assert source.tickers() == ["JPY=X", "^N225"]
    assert source.has("^N225")
    assert not source.has("LYC.AX")
    assert not source.has("../x")
    assert_price_series(source.load("^N225"), "^N225")


def test_csv_directory_source_reads_fresh_each_time(tmp_path: Path) -> None:
    path = write(tmp_path, "A.csv", "date,close\n2024-01-04,1\n")
    source = CsvDirectorySource(tmp_path)
    assert source.load("A").tolist() == [1.0]
    path.write_text("date,close\n2024-01-04,2\n")
    assert source.load("A").tolist() == [2.0]


def test_csv_directory_source_missing_ticker(tmp_path: Path) -> None:
    source = CsvDirectorySource(tmp_path)
    with pytest.raises(PriceDataError) as info:
        source.load("LYC.AX")
    message = str(info.value)
    assert "LYC.AX" in message
    assert str(tmp_path / "LYC.AX.csv") in message
    assert "add LYC.AX.csv" in message
    with pytest.raises(PriceDataError, match="invalid ticker"):
        source.load("../etc/passwd")


def test_csv_directory_source_needs_a_folder(tmp_path: Path) -> None:
    with pytest.raises(PriceDataError, match="does not exist"):
        CsvDirectorySource(tmp_path / "missing")


def test_open_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EVENTSTUDY_SOURCE", raising=False)
    assert isinstance(open_source(None), EmbeddedSource)
    assert isinstance(open_source(tmp_path), CsvDirectorySource)
    assert isinstance(open_source(str(tmp_path)), CsvDirectorySource)
    with pytest.raises(PriceDataError, match="does not exist") as info:
        open_source(tmp_path / "missing")
    assert str(tmp_path / "missing") in str(info.value)
    file = write(tmp_path, "A.csv", "date,close\n2024-01-04,1\n")
    with pytest.raises(PriceDataError, match="is not a folder"):
        open_source(file)


def test_public_names() -> None:
    import eventstudy.prices as prices

    assert read_price_csv is csv_read_price_csv
    assert set(prices.__all__) == {
        "PriceSource",
        "CsvDirectorySource",
        "EmbeddedSource",
        "read_price_csv",
        "open_source",
        "SOURCES",
        "SOURCE_ENV",
    }


# --- the embedded dataset -----------------------------------------------------------------------


@pytest.mark.parametrize("ticker", ["LYC.AX", "6330.T", "^TOPX", "^N225", "^AXJO", "JPY=X"])
def test_embedded_loads(ticker: str) -> None:
    source = EmbeddedSource()
    assert isinstance(source, PriceSource)
    assert source.name == "embedded dataset"
    assert source.has(ticker)
    series = source.load(ticker)
    assert_price_series(series, ticker)
    assert series.index[0] >= pd.Timestamp("2024-01-01")
    assert series.index[-1] <= pd.Timestamp("2026-04-30")
    assert len(series) > 500


@needs_shared
@pytest.mark.parametrize("ticker", ["LYC.AX", "6330.T", "^TOPX", "^N225", "^AXJO", "MP"])
def test_embedded_matches_shared_values(ticker: str) -> None:
    shared = pd.read_csv(SHARED_PRICES / f"{ticker}.csv", dtype={"close": "float64"})
    shared = shared.dropna(subset=["close"])
    series = embedded.load(ticker)
    assert list(series.index.strftime("%Y-%m-%d")) == shared["date"].tolist()
    np.testing.assert_array_equal(series.to_numpy(), shared["close"].to_numpy())


def test_embedded_known_values() -> None:
    lyc = embedded.load("LYC.AX")
    # Lynas, the day after China's 2026-01-06 dual-use export ban: 13.15 -> 15.06
    assert lyc[pd.Timestamp("2026-01-06")] == 13.15
    assert lyc[pd.Timestamp("2026-01-07")] == 15.06
    jump = lyc[pd.Timestamp("2026-01-07")] / lyc[pd.Timestamp("2026-01-06")] - 1
    assert jump == pytest.approx(0.1452, abs=5e-5)
    assert embedded.load("6330.T").index[-1] == pd.Timestamp("2026-04-24")
    assert embedded.load("^N225").index[0] == pd.Timestamp("2024-01-04")
    assert embedded.load("^AXJO")[pd.Timestamp("2024-01-02")] == 7627.8
    assert embedded.load("^TOPX")[pd.Timestamp("2024-01-04")] == 2378.79


def test_embedded_known_gaps() -> None:
    lyc = embedded.load("LYC.AX")
    assert pd.Timestamp("2025-08-28") not in lyc.index  # trading halt
    axjo = embedded.load("^AXJO")
    assert axjo["2026-03-11":"2026-03-27"].empty  # the ASX source has no files for these days
    assert pd.Timestamp("2026-03-10") in axjo.index
    assert pd.Timestamp("2026-03-30") in axjo.index


def test_embedded_returns_copies() -> None:
    first = embedded.load("LYC.AX")
    first.iloc[0] = -1.0
    assert embedded.load("LYC.AX").iloc[0] == 7.17


def test_embedded_missing_ticker() -> None:
    source = EmbeddedSource()
    assert not source.has("NOPE.AX")
    assert not source.has("../README.md")
    with pytest.raises(PriceDataError) as info:
        source.load("NOPE.AX")
    message = str(info.value)
    assert "NOPE.AX" in message
    assert "embedded dataset" in message
    assert "NOPE.AX.csv" in message
    assert "--prices" in message
    assert "LYC.AX" in message  # lists what it holds


def test_embedded_tickers() -> None:
    names = embedded.tickers()
    assert names == sorted(names)
    assert {"LYC.AX", "6330.T", "^TOPX", "^N225", "^AXJO", "JPY=X", "MP", "1622.T"} <= set(names)
    assert names == EmbeddedSource().tickers()
    assert names == sorted(p.name[:-4] for p in EMBEDDED_DIR.glob("*.csv"))


def test_every_embedded_file_is_valid() -> None:
    for ticker in embedded.tickers():
        assert_price_series(read_price_csv(EMBEDDED_DIR / f"{ticker}.csv"), ticker)


@needs_shared
def test_embedded_files_equal_shared_files_byte_for_byte() -> None:
    shared = sorted(p.name for p in SHARED_PRICES.glob("*.csv"))
    assert shared, "no shared price files"
    assert sorted(p.name for p in EMBEDDED_DIR.glob("*.csv")) == shared
    for name in shared:
        assert (EMBEDDED_DIR / name).read_bytes() == (SHARED_PRICES / name).read_bytes(), name


def test_embedded_readme_present() -> None:
    readme = (EMBEDDED_DIR / "README.md").read_text(encoding="utf-8")
    for fragment in ("asxgym/asx_data_daily", "2026-03-11..2026-03-27", "2025-08-28", "1622.T"):
        assert fragment in readme


# --- refresh -------------------------------------------------------------------------------------


@pytest.fixture
def target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An embedded-dataset folder in tmp_path, standing in for eventstudy/prices/data."""
    folder = tmp_path / "data"
    folder.mkdir()
    write(folder, "OLD.csv", "date,close\n2024-01-02,1\n")
    write(folder, "A.AX.csv", "date,close\n2024-01-02,1\n")
    write(folder, "README.md", "provenance\n")
    monkeypatch.setattr(refresh, "DATA_DIR", folder)
    return folder


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_refresh_copies_atomically(
    tmp_path: Path,
    target: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    a_text = "date,close\n2024-01-03,2\n2024-01-02,1\n"
    write(src, "A.AX.csv", a_text)
    write(src, "^B.csv", "date,open,close\r\n2024-01-02,,5\r\n")
    write(src, "skip.txt", "not a price file")
    replaced = []
    real_replace = os.replace

    def spy_replace(src_path: str | os.PathLike[str], dst_path: str | os.PathLike[str]) -> None:
        assert Path(src_path).parent == target  # the temp file sits in the target folder
        assert Path(src_path).name.startswith(".")
        replaced.append(Path(dst_path).name)
        real_replace(src_path, dst_path)

    monkeypatch.setattr(refresh.os, "replace", spy_replace)
    assert refresh.main([str(src)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.splitlines() == [
        "A.AX: 2 rows 2024-01-02 .. 2024-01-03 (updated)",
        "^B: 1 rows 2024-01-02 .. 2024-01-02 (new)",
        "OLD: not in the source, kept",
    ]
    assert sorted(replaced) == ["A.AX.csv", "^B.csv"]
    assert (target / "A.AX.csv").read_bytes() == a_text.encode()
    assert (target / "^B.csv").read_bytes() == (src / "^B.csv").read_bytes()
    assert (target / "README.md").read_text() == "provenance\n"
    assert not (target / "skip.txt").exists()
    assert not [p for p in target.iterdir() if p.name.endswith(".tmp")]
    assert (target / "^B.csv").stat().st_mode & 0o777 == 0o644

    # a second run changes nothing; --prune deletes what the source lacks
    replaced.clear()
    assert refresh.main([str(src), "--prune"]) == 0
    out, _ = capsys.readouterr()
    assert "A.AX: 2 rows 2024-01-02 .. 2024-01-03 (unchanged)" in out
    assert "OLD: not in the source, deleted" in out
    assert replaced == []
    assert sorted(p.name for p in target.iterdir()) == ["A.AX.csv", "README.md", "^B.csv"]


def test_refresh_refuses_bad_csv_and_leaves_target_unchanged(
    tmp_path: Path, target: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    write(src, "A.AX.csv", "date,close\n2024-01-02,5\n")  # valid, and sorted first
    write(src, "Z.csv", "date,close\n2024-01-02,1\n2024-01-02,2\n")  # duplicate date
    before = snapshot(target)
    assert refresh.main([str(src)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert "Z.csv, line 3" in err
    assert "Traceback" not in err
    assert snapshot(target) == before


def test_refresh_errors_exit_2(
    tmp_path: Path, target: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert refresh.main([str(tmp_path / "nowhere")]) == 2
    assert "nowhere" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert refresh.main([str(empty)]) == 2
    assert "no .csv files" in capsys.readouterr().err
    assert refresh.main([str(target)]) == 2
    assert "same folder" in capsys.readouterr().err


def test_refresh_write_failure_leaves_target_unchanged(
    tmp_path: Path, target: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    write(src, "A.AX.csv", "date,close\n2024-01-02,5\n")
    write(src, "B.csv", "date,close\n2024-01-02,5\n")
    before = snapshot(target)
    calls = []
    real_fsync = os.fsync

    def failing_fsync(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(refresh.os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="No space"):
        refresh.refresh(src)
    assert snapshot(target) == before  # neither file moved in, no temp file left


def test_refresh_clears_embedded_cache(tmp_path: Path, target: Path) -> None:
    embedded.load("LYC.AX")
    assert embedded._load.cache_info().currsize > 0
    src = tmp_path / "src"
    src.mkdir()
    write(src, "A.AX.csv", "date,close\n2024-01-02,5\n")
    refresh.refresh(src)
    assert embedded._load.cache_info().currsize == 0


@needs_shared
def test_refresh_default_source_is_shared_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    assert refresh.default_source() == SHARED_PRICES.resolve()
    monkeypatch.chdir("/")  # falls back to the folder next to the repository
    assert refresh.default_source() == SHARED_PRICES.resolve()


@needs_shared
def test_refresh_from_shared_is_a_no_op(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "data"
    copy.mkdir()
    for path in EMBEDDED_DIR.iterdir():
        (copy / path.name).write_bytes(path.read_bytes())
    monkeypatch.setattr(refresh, "DATA_DIR", copy)
    assert refresh.main([]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(list(SHARED_PRICES.glob("*.csv")))
    assert all(line.endswith("(unchanged)") for line in lines)
    assert "LYC.AX: 575 rows 2024-01-02 .. 2026-04-30 (unchanged)" in lines


# -- rebuilding the embedded dataset from the price cache -------------------------------------
def _cache_with(tmp_path: Path, ticker: str, series: pd.Series) -> Path:
    from eventstudy.prices.cache import PriceCache

    cache_dir = tmp_path / "cache"
    PriceCache(cache_dir).write(ticker, pd.DataFrame({"close": series, "adj_close": series}), {
        "source": "yahoo", "fetched_at": "2026-05-02T00:00:00+00:00", "yfinance": "1.7.0",
        "adjusted": True, "start": "2024-01-01", "end": "2026-05-01"})
    return cache_dir


def _embedded_copy(tmp_path: Path, *tickers: str) -> Path:
    target = tmp_path / "data"
    target.mkdir()
    for ticker in tickers:
        data = (refresh.DATA_DIR / f"{ticker}.csv").read_bytes()
        (target / f"{ticker}.csv").write_bytes(data)
    return target


def test_refresh_from_cache_updates_embedded_tickers_only(tmp_path: Path) -> None:
    newer = EmbeddedSource().load("LYC.AX")
    newer.loc[pd.Timestamp("2026-05-01")] = 18.87  # one more day than embedded
    cache_dir = _cache_with(tmp_path, "LYC.AX", newer)
    from eventstudy.prices.cache import PriceCache

    PriceCache(cache_dir).write("ZZZ.AX", pd.DataFrame({"close": newer, "adj_close": newer}),
                                {**PriceCache(cache_dir).read("LYC.AX").meta})
    target = _embedded_copy(tmp_path, "LYC.AX", "6330.T")
    refreshed, others = refresh.refresh_from_cache(cache_dir, target)
    assert [(r.ticker, r.last, r.status) for r in refreshed] == [
        ("LYC.AX", "2026-05-01", "updated")]
    assert others == ["6330.T"] and not (target / "ZZZ.AX.csv").exists()
    assert read_price_csv(target / "LYC.AX.csv").iloc[-1] == 18.87
    assert refresh.main(["--from-cache", str(cache_dir), "--tickers", "NOPE"]) == 2


def test_refresh_from_cache_refuses_an_unadjusted_split(tmp_path: Path) -> None:
    split = EmbeddedSource().load("LYC.AX")
    split.loc["2025-06-02":] /= 4
    cache_dir = _cache_with(tmp_path, "LYC.AX", split)
    target = _embedded_copy(tmp_path, "LYC.AX")
    before = (target / "LYC.AX.csv").read_bytes()
    with pytest.raises(PriceDataError,
                       match=r"4-for-1 split .* probably a split .* nothing was rebuilt"):
        refresh.refresh_from_cache(cache_dir, target)
    assert (target / "LYC.AX.csv").read_bytes() == before


def test_embedded_files_read_as_the_strict_reader_reads_them() -> None:
    """The embedded dataset is parsed directly (every CLI start reads it); the strict reader
    of --prices DIR files must give the same series, file for file."""
    from eventstudy.prices import embedded as emb

    folder = emb._data_dir()
    for ticker in emb.tickers():
        path = folder / f"{ticker}.csv"
        pd.testing.assert_series_equal(emb._read_trusted(path, ticker),
                                       read_price_csv(path, ticker=ticker))
