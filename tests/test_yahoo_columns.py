"""Open, high, low and volume from Yahoo, through the cache: no test touches the network.

``yfinance.Ticker`` is replaced by :class:`FakeTicker`, whose ``history`` answers in the shape of
``Ticker.history(auto_adjust=False)`` (time stamps at exchange-local midnight, ``Open``,
``High``, ``Low``, ``Close``, ``Adj Close``, ``Volume``) built from the embedded dataset's own
files, so the real path runs: :func:`~eventstudy.prices.yfinance_io.yf_history`,
:func:`~eventstudy.prices.yfinance_io.to_prices`, the cache and
:meth:`~eventstudy.prices.yahoo.YahooSource.load_column`. Yahoo gives the indices a volume of 0
every day (``^TOPX``); the fake does the same where the embedded file has no volume.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest
import yfinance
from typer.testing import CliRunner

import eventstudy
from eventstudy.cli import app
from eventstudy.prices import EmbeddedSource
from eventstudy.prices import refresh as refresh_mod
from eventstudy.prices.cache import CacheCorruptError, PriceCache, closes_csv
from eventstudy.prices.checked import checked
from eventstudy.prices.columns import MissingColumnError, load_column
from eventstudy.prices.yahoo import YahooSource, fetch_many
from eventstudy.prices.yfinance_io import exchange_tz

EVENTS = Path(eventstudy.__file__).parent / "events.toml"
FIRST, LAST = "2024-01-01", "2026-04-30"
HEADER = "date,close,adj_close,open,high,low,volume"
runner = CliRunner()


def yahoo_frame(ticker: str) -> pd.DataFrame:
    """The embedded file of `ticker` as yfinance's ``history`` gives it (Close = Adj Close)."""
    source = EmbeddedSource()
    close = source.load(ticker)
    frame = pd.DataFrame({"Close": close, "Adj Close": close})
    for name in ("open", "high", "low", "volume"):
        try:
            frame[name.title()] = source.load_column(ticker, name)
        except MissingColumnError:  # an index: Yahoo's volume is 0, no high/low is NaN
            frame[name.title()] = 0.0 if name == "volume" else np.nan
    frame = frame[["Open", "High", "Low", "Close", "Adj Close", "Volume"]]
    frame.index = pd.DatetimeIndex(close.index).tz_localize(exchange_tz(ticker) or "UTC")
    return frame.rename_axis("Date")


class FakeTicker:
    """Stands in for ``yfinance.Ticker``: answers from the embedded files, records calls."""

    calls: ClassVar[list[tuple[str, str, str]]] = []
    edit: ClassVar[dict[str, Callable[[pd.DataFrame], pd.DataFrame]]] = {}

    def __init__(self, ticker: str, session: Any = None) -> None:
        self.ticker = ticker

    def history(self, *, start: str, end: str, interval: str, auto_adjust: bool,
                actions: bool, timeout: float) -> pd.DataFrame:
        assert interval == "1d" and auto_adjust is False  # Close as published, Adj Close
        FakeTicker.calls.append((self.ticker, start, end))
        frame = yahoo_frame(self.ticker)
        local = frame.index.tz_localize(None)
        frame = frame[(local >= pd.Timestamp(start)) & (local < pd.Timestamp(end))].copy()
        return FakeTicker.edit.get(self.ticker, lambda f: f)(frame)


@pytest.fixture(autouse=True)
def fake_yahoo(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> type[FakeTicker]:
    monkeypatch.setattr(yfinance, "Ticker", FakeTicker)
    yfinance.set_tz_cache_location(str(tmp_path / "yf-tz"))  # never ~/.cache/py-yfinance
    monkeypatch.delenv("EVENTSTUDY_SOURCE", raising=False)
    monkeypatch.delenv("EVENTSTUDY_CACHE_DIR", raising=False)
    FakeTicker.calls = []
    FakeTicker.edit = {}
    return FakeTicker


def expected(ticker: str, column: str) -> pd.Series:
    """What the fake answered for `column`, on local dates, days without a value left out."""
    values = yahoo_frame(ticker)[column.title()].dropna()
    values.index = pd.DatetimeIndex(values.index.tz_localize(None), name="date").as_unit("ns")
    return values.loc[FIRST:LAST].astype(np.float64).rename(ticker)


def old_format_entry(directory: Path, ticker: str) -> pd.Series:
    """Write `ticker`'s cache entry as the cache wrote it before it kept volume: a
    ``date,close,adj_close`` CSV and a sidecar without ``columns``; return its closes."""
    close = EmbeddedSource().load(ticker).loc[FIRST:LAST]
    buf = io.StringIO()
    pd.DataFrame({"close": close, "adj_close": close}).to_csv(
        buf, index_label="date", date_format="%Y-%m-%d", lineterminator="\n")
    data = buf.getvalue().encode()
    meta = {"source": "yahoo", "fetched_at": "2026-05-01T08:00:00+00:00", "yfinance": "0.2.54",
            "adjusted": True, "start": FIRST, "end": LAST, "ticker": ticker,
            "rows": len(close), "sha256": hashlib.sha256(data).hexdigest(), "previous": None}
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{ticker}.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
    (directory / f"{ticker}.csv").write_bytes(data)
    return close


# -- the download and the cache ---------------------------------------------------------------
def test_the_cache_keeps_open_high_low_volume(tmp_path: Path, fake_yahoo: Any) -> None:
    # Yahoo's Close and High are split- not dividend-adjusted: Adj Close differs from them
    fake_yahoo.edit["LYC.AX"] = lambda f: f.assign(**{"Adj Close": f["Close"] * 0.5})
    source = YahooSource(tmp_path / "cache", start=FIRST, end=LAST)
    closes = source.load("LYC.AX")
    path = tmp_path / "cache" / "LYC.AX.csv"
    assert path.read_text().splitlines()[0] == HEADER
    meta = json.loads((tmp_path / "cache" / "LYC.AX.json").read_text())
    assert meta["columns"] == HEADER.split(",")[1:]
    assert meta["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    np.testing.assert_allclose(closes.to_numpy(), 0.5 * expected("LYC.AX", "close").to_numpy())
    offline = YahooSource(tmp_path / "cache", offline=True)  # read back from the files
    for column in ("volume", "high", "low", "open"):
        for where in (source, offline, checked(offline)):
            got = load_column(where, "LYC.AX", column)
            pd.testing.assert_series_equal(got, expected("LYC.AX", column), check_freq=False)
            assert got.index.isin(closes.index).all()
    assert load_column(source, "LYC.AX", "high").loc["2026-01-07"] == 15.21  # not halved
    assert fake_yahoo.calls == [("LYC.AX", FIRST, "2026-05-01")]


def test_an_empty_cell_is_absent_and_a_zero_volume_kept(tmp_path: Path,
                                                        fake_yahoo: Any) -> None:
    day = pd.Timestamp("2025-06-04", tz="Asia/Tokyo")

    def edit(frame: pd.DataFrame) -> pd.DataFrame:
        frame.loc[day, ["Volume", "High"]] = np.nan  # Yahoo has the close, not these
        return frame

    fake_yahoo.edit["7276.T"] = edit
    source = YahooSource(tmp_path, start=FIRST, end=LAST)
    closes, volume = source.load("7276.T"), load_column(source, "7276.T", "volume")
    assert "2025-06-04" in closes and pd.Timestamp("2025-06-04") not in volume.index
    assert pd.Timestamp("2025-06-04") not in load_column(source, "7276.T", "high").index
    assert pd.Timestamp("2025-06-04") in load_column(source, "7276.T", "low").index
    zeros = volume[volume == 0]
    assert len(zeros) == 1  # the embedded file's one day without trades: a value
    assert len(volume) == len(closes) - 1


def test_an_all_zero_volume_is_no_volume(tmp_path: Path) -> None:
    source = YahooSource(tmp_path, start=FIRST, end=LAST)
    source.load("^TOPX")
    volume = pd.read_csv(tmp_path / "^TOPX.csv")["volume"]
    assert len(volume) > 500 and (volume == 0).all()  # kept as Yahoo gave it
    with pytest.raises(MissingColumnError, match=r"\^TOPX has no volume .* gives it 0 on every "
                                                 r"day") as err:
        load_column(checked(source), "^TOPX", "volume")
    assert (err.value.ticker, err.value.column) == ("^TOPX", "volume")
    with pytest.raises(MissingColumnError, match=r"\^TOPX has no high .*gave none"):
        load_column(source, "^TOPX", "high")
    assert (load_column(source, "^N225", "volume") > 0).all()  # an index with a volume


def test_an_edited_column_is_detected_even_with_its_checksum(tmp_path: Path) -> None:
    YahooSource(tmp_path, start=FIRST, end=LAST).load("LYC.AX")
    path, meta_path = tmp_path / "LYC.AX.csv", tmp_path / "LYC.AX.json"
    lines = path.read_text().splitlines()
    lines[5] = lines[5].rsplit(",", 1)[0] + ",-5.0"  # a negative volume
    text = "\n".join(lines) + "\n"
    path.write_text(text)
    meta = json.loads(meta_path.read_text())
    meta["sha256"] = hashlib.sha256(text.encode()).hexdigest()
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(CacheCorruptError, match=r"invalid: LYC\.AX volume on .* is -5\.0"):
        PriceCache(tmp_path).read("LYC.AX")
    meta["sha256"] = hashlib.sha256(closes_csv(text.encode())).hexdigest()
    meta_path.write_text(json.dumps(meta))
    path.write_bytes(closes_csv(text.encode()))  # columns dropped, checksum and rows right
    with pytest.raises(CacheCorruptError, match="has the columns close, adj_close, its "
                                                "metadata says close, adj_close, open"):
        PriceCache(tmp_path).read("LYC.AX")


# -- a cache written before volume was kept ---------------------------------------------------
def test_an_old_cache_file_loads_but_has_no_volume(tmp_path: Path, fake_yahoo: Any) -> None:
    cache = tmp_path / "cache"
    close = old_format_entry(cache, "LYC.AX")
    source = YahooSource(cache, offline=True)
    pd.testing.assert_series_equal(checked(source).load("LYC.AX"), close.rename("LYC.AX"),
                                   check_freq=False)
    for where in (source, checked(source)):
        with pytest.raises(MissingColumnError) as err:
            load_column(where, "LYC.AX", "volume")
        message = str(err.value)
        assert "\n" not in message
        assert "its cache entry predates volume" in message
        assert f"run 'eventstudy data fetch LYC.AX --cache-dir {cache}'" in message
        assert err.value.column == "volume"
    with pytest.raises(MissingColumnError, match="predates volume, high"):
        source.load_column("LYC.AX", "high")
    assert fake_yahoo.calls == []  # offline: no fetch
    assert (cache / "LYC.AX.csv").read_text().splitlines()[0] == "date,close,adj_close"


def test_the_command_of_the_hint_refetches_an_old_entry(tmp_path: Path,
                                                       fake_yahoo: Any) -> None:
    cache = tmp_path / "cache"
    old_format_entry(cache, "LYC.AX")
    # the cache covers the range asked for: without the upgrade nothing would be fetched
    result = runner.invoke(app, ["data", "fetch", "LYC.AX", "--start", "2025-01-01", "--end",
                                 "2025-12-31", "--cache-dir", str(cache)])
    assert result.exit_code == 0, result.output
    assert fake_yahoo.calls == [("LYC.AX", FIRST, "2026-05-01")]  # the whole cached range
    assert (cache / "LYC.AX.csv").read_text().splitlines()[0] == HEADER
    volume = load_column(YahooSource(cache, offline=True), "LYC.AX", "volume")
    pd.testing.assert_series_equal(volume, expected("LYC.AX", "volume"), check_freq=False)
    fake_yahoo.calls.clear()
    runner.invoke(app, ["data", "fetch", "LYC.AX", "--start", "2025-01-01", "--end",
                        "2025-12-31", "--cache-dir", str(cache)])
    assert fake_yahoo.calls == []  # upgraded once; covered since


def test_online_an_old_entry_is_fetched_again_for_a_column(tmp_path: Path,
                                                          fake_yahoo: Any) -> None:
    old_format_entry(tmp_path, "LYC.AX")
    source = YahooSource(tmp_path, start="2025-01-01", end="2025-12-31")
    source.load("LYC.AX")
    assert fake_yahoo.calls == []  # closes only: the old entry serves as it is
    volume = source.load_column("LYC.AX", "volume")
    assert fake_yahoo.calls == [("LYC.AX", FIRST, "2026-05-01")]
    pd.testing.assert_series_equal(volume, expected("LYC.AX", "volume"), check_freq=False)


def test_an_imported_entry_says_it_holds_closes_only(tmp_path: Path) -> None:
    close = EmbeddedSource().load("MP")
    PriceCache(tmp_path).write("MP", pd.DataFrame({"close": close, "adj_close": close}), {
        "source": "import /data/MP.csv", "fetched_at": "2026-05-01T08:00:00+00:00",
        "yfinance": None, "adjusted": None, "start": "2025-02-06", "end": "2026-04-30"})
    with pytest.raises(MissingColumnError, match=r"holds closing prices only \(import "
                                                 r"/data/MP\.csv\); pass --prices DIR"):
        load_column(YahooSource(tmp_path, offline=True), "MP", "volume")


# -- the embedded dataset rebuilt from the cache keeps its columns -----------------------------
def test_refresh_from_cache_writes_the_closes_as_before(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    YahooSource(cache, start=FIRST, end=LAST).load("LYC.AX")
    old = tmp_path / "old"
    old_format_entry(old, "LYC.AX")  # what the cache held for the same prices before
    target = tmp_path / "data"
    target.mkdir()
    shutil.copy(refresh_mod.DATA_DIR / "LYC.AX.csv", target / "LYC.AX.csv")
    refreshed, _ = refresh_mod.refresh_from_cache(cache, target)
    assert [r.status for r in refreshed] == ["updated"]
    written = (target / "LYC.AX.csv").read_bytes()
    assert written.decode().splitlines()[0] == "date,close,adj_close"
    assert written == (old / "LYC.AX.csv").read_bytes()  # byte for byte, as before


# -- a volume study on the cache: the embedded numbers --------------------------------------
def test_volume_study_on_the_cache_equals_the_embedded_one(tmp_path: Path,
                                                           fake_yahoo: Any) -> None:
    cache = tmp_path / "cache"
    tickers = EmbeddedSource().tickers()
    results = fetch_many(YahooSource(cache), tickers, FIRST, LAST)
    assert all(not isinstance(r, Exception) for r in results.values()), results
    assert PriceCache(cache).tickers() == tickers
    fake_yahoo.calls.clear()
    on_cache = eventstudy.run("dual-use-ban", events=EVENTS, measure="volume", source="cache",
                              cache_dir=cache)
    embedded = eventstudy.run("dual-use-ban", events=EVENTS, measure="volume")
    assert fake_yahoo.calls == []

    def day0(result: Any) -> dict[str, float]:
        return {p.security: float(p.days.loc[p.days["t"] == 0, "ar"].iloc[0])
                for p in result.pairs}

    assert {p.measure for p in on_cache.pairs} == {"volume"}
    assert set(day0(on_cache)) == set(day0(embedded)) == {"LYC", "TOYO", "TE", "N225"}
    for security, value in day0(embedded).items():
        assert day0(on_cache)[security] == pytest.approx(value, rel=0, abs=1e-12)
    market = {p.security: next(n for n in p.notes if n.startswith("market volume"))
              for p in on_cache.pairs if p.security != "N225"}
    assert "^TOPX has no volume" in market["TOYO"]  # Yahoo's zeros: the names' mean instead
