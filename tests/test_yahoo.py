"""The Yahoo source, replayed: no test touches the network.

``yfinance.Ticker`` is replaced by :class:`FakeTicker`, which answers ``history`` from the
recorded-shape fixtures in ``tests/fixtures/yahoo`` (built from the embedded real prices by
``build.py``: time stamps at exchange-local midnight with their UTC offset, ``Close`` and
``Adj Close``), or raises the DNS error yfinance raises offline. So the real code path runs:
:func:`~eventstudy.prices.yahoo.yf_history` (arguments, error mapping), the time-stamp
conversion, the cache and the study.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest
import yfinance
from curl_cffi.requests.exceptions import DNSError
from typer.testing import CliRunner

from eventstudy.cli import app
from eventstudy.errors import PriceDataError
from eventstudy.prices import EmbeddedSource, open_source
from eventstudy.prices.yahoo import (
    PriceDataWarning,
    YahooNoDataError,
    YahooSource,
    local_dates,
    to_prices,
)

FIXTURES = Path(__file__).parent / "fixtures" / "yahoo"
T = pd.Timestamp
runner = CliRunner()


def fixture(ticker: str) -> pd.DataFrame:
    frame = pd.read_csv(FIXTURES / f"{ticker}.csv", index_col="Date")
    frame.index = pd.DatetimeIndex(pd.to_datetime(frame.index, utc=True)).tz_convert(
        "Australia/Sydney" if ticker.endswith(".AX") or ticker == "^AXJO" else "Asia/Tokyo")
    return frame


class FakeTicker:
    """Stands in for ``yfinance.Ticker``: replays fixtures, records calls, can go offline."""

    calls: ClassVar[list[tuple[str, str, str]]] = []
    offline: ClassVar[bool] = False
    scale: ClassVar[dict[str, float]] = {}  # ticker -> factor on Adj Close (re-adjusted history)

    def __init__(self, ticker: str, session: Any = None) -> None:
        self.ticker = ticker

    def history(self, *, start: str, end: str, interval: str, auto_adjust: bool,
                actions: bool, timeout: float) -> pd.DataFrame:
        assert interval == "1d" and auto_adjust is False
        assert yfinance.config.debug.hide_exceptions is False  # errors raise, not log
        assert 0 < timeout <= 30  # bounded
        FakeTicker.calls.append((self.ticker, start, end))
        if FakeTicker.offline:
            raise DNSError("Failed to perform, curl: (6) Could not resolve host: "
                           "query2.finance.yahoo.com. See https://curl.se/libcurl/c/libcurl-errors.html")
        if not (FIXTURES / f"{self.ticker}.csv").is_file():
            return pd.DataFrame()  # what yfinance gives for an unknown symbol without raising
        frame = fixture(self.ticker)
        local = frame.index.tz_localize(None)
        frame = frame[(local >= T(start)) & (local < T(end))].copy()  # end is exclusive
        frame["Adj Close"] *= FakeTicker.scale.get(self.ticker, 1.0)
        return frame


@pytest.fixture(autouse=True)
def fake_yahoo(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> type[FakeTicker]:
    monkeypatch.setattr(yfinance, "Ticker", FakeTicker)
    yfinance.set_tz_cache_location(str(tmp_path / "yf-tz"))  # never ~/.cache/py-yfinance
    monkeypatch.delenv("EVENTSTUDY_SOURCE", raising=False)
    monkeypatch.delenv("EVENTSTUDY_CACHE_DIR", raising=False)
    FakeTicker.calls = []
    FakeTicker.offline = False
    FakeTicker.scale = {}
    return FakeTicker


def embedded(ticker: str, start: str, end: str) -> pd.Series:
    return EmbeddedSource().load(ticker).loc[start:end]


# -- time stamps -----------------------------------------------------------------------------
def test_local_dates_keep_the_exchange_date() -> None:
    # Tokyo midnight of 7 January is 15:00 UTC on the 6th; Sydney midnight in summer (+11)
    utc = pd.DatetimeIndex(["2026-01-06 15:00", "2026-01-06 13:00"], tz="UTC")
    assert list(local_dates(utc[:1], "Asia/Tokyo")) == [T("2026-01-07")]
    assert list(local_dates(utc[1:], "Australia/Sydney")) == [T("2026-01-07")]
    # naive UTC dates would have been the 6th: the bug the shifted-dates check catches
    assert list(utc.tz_localize(None).normalize()) == [T("2026-01-06")] * 2


def test_to_prices_matches_the_embedded_series_whatever_the_time_zone() -> None:
    frame = fixture("6330.T")
    frame.index = frame.index.tz_convert("UTC")  # same instants, other zone
    prices = to_prices(frame, "6330.T")
    expected = embedded("6330.T", "2024-01-01", "2026-04-30")
    assert prices.index.equals(expected.index)
    np.testing.assert_allclose(prices["adj_close"].to_numpy(), expected.to_numpy(), rtol=1e-12)


def test_to_prices_refuses_two_bars_on_one_local_date() -> None:
    frame = fixture("LYC.AX").iloc[:5]
    frame.index = frame.index[[0, 1, 1, 3, 4]]
    with pytest.raises(PriceDataError, match="twice"):
        to_prices(frame, "LYC.AX")


# -- fetching and the cache -----------------------------------------------------------------
def test_fetch_writes_the_cache_with_metadata(tmp_path: Path) -> None:
    source = YahooSource(tmp_path / "cache", start="2025-03-01", end="2025-12-31")
    series = source.load("LYC.AX")
    pd.testing.assert_series_equal(series, embedded("LYC.AX", "2025-03-01", "2025-12-31"),
                                   check_freq=False)
    meta = json.loads((tmp_path / "cache" / "LYC.AX.json").read_text())
    assert meta["source"] == "yahoo" and meta["adjusted"] is True
    assert meta["yfinance"] == yfinance.__version__
    assert (meta["start"], meta["end"]) == ("2025-03-01", "2025-12-31")
    assert (tmp_path / "cache" / "yfinance").is_dir()  # yfinance's own cache, inside ours


def test_refresh_fetches_only_the_missing_dates(tmp_path: Path, fake_yahoo: Any) -> None:
    YahooSource(tmp_path, start="2025-03-01", end="2025-12-31").load("LYC.AX")
    assert fake_yahoo.calls == [("LYC.AX", "2025-03-01", "2026-01-01")]
    fake_yahoo.calls.clear()
    series = YahooSource(tmp_path, start="2025-01-15", end="2026-02-27").load("LYC.AX")
    # before the cached range, and after its end with a 10-day overlap
    assert fake_yahoo.calls == [("LYC.AX", "2025-01-15", "2025-03-01"),
                                ("LYC.AX", "2025-12-21", "2026-02-28")]
    pd.testing.assert_series_equal(series, embedded("LYC.AX", "2025-01-15", "2026-02-27"),
                                   check_freq=False)
    fake_yahoo.calls.clear()
    YahooSource(tmp_path, start="2025-02-01", end="2026-01-31").load("LYC.AX")
    assert fake_yahoo.calls == []  # covered: no network


def test_changed_adjustment_refetches_the_whole_range(tmp_path: Path, fake_yahoo: Any) -> None:
    YahooSource(tmp_path, start="2025-03-01", end="2025-12-31").load("6330.T")
    fake_yahoo.calls.clear()
    fake_yahoo.scale["6330.T"] = 0.97  # a new dividend: Yahoo re-adjusts the whole history
    with pytest.warns(PriceDataWarning, match="adjusted prices changed since the cache"):
        series = YahooSource(tmp_path, start="2025-03-01", end="2026-03-31").load("6330.T")
    assert fake_yahoo.calls[-1] == ("6330.T", "2025-03-01", "2026-04-01")
    np.testing.assert_allclose(series.to_numpy(),
                               0.97 * embedded("6330.T", "2025-03-01", "2026-03-31").to_numpy())


def test_unknown_ticker(tmp_path: Path) -> None:
    source = YahooSource(tmp_path, start="2025-03-01", end="2025-12-31")
    assert source.has("NOPE.AX") is False
    with pytest.raises(YahooNoDataError, match=r"Yahoo Finance returned no prices for NOPE\.AX"):
        source.load("NOPE.AX")


# -- offline ---------------------------------------------------------------------------------
def test_offline_without_cache_is_one_clear_error(tmp_path: Path, fake_yahoo: Any) -> None:
    fake_yahoo.offline = True
    source = YahooSource(tmp_path, start="2025-03-01", end="2025-12-31")
    with pytest.raises(PriceDataError) as info:
        source.load("LYC.AX")
    assert str(info.value) == (
        "no prices for LYC.AX: Yahoo Finance cannot be reached (DNSError: Failed to perform, "
        "curl: (6) Could not resolve host: query2.finance.yahoo.com.) and the cache "
        f"{tmp_path} has none; connect to the internet and retry, or use the embedded dataset "
        "(--source embedded)")
    with pytest.raises(PriceDataError, match="cannot be reached"):
        source.load("^AXJO")
    assert len(fake_yahoo.calls) == 1  # one failure, then no more attempts: one timeout at most


def test_offline_with_cache_warns_with_its_age(tmp_path: Path, fake_yahoo: Any) -> None:
    YahooSource(tmp_path, start="2025-03-01", end="2025-12-31").load("LYC.AX")
    meta_path = tmp_path / "LYC.AX.json"
    meta = json.loads(meta_path.read_text())
    meta["fetched_at"] = "2026-01-02T06:30:00+00:00"
    # the checksum covers the CSV only, so the sidecar may be edited here
    meta_path.write_text(json.dumps(meta))
    fake_yahoo.offline = True
    source = YahooSource(tmp_path, start="2025-03-01", end="2026-02-27")
    with pytest.warns(PriceDataWarning) as record:
        series = source.load("LYC.AX")
    message = str(record[0].message)
    assert message.startswith("Yahoo Finance unreachable (DNSError: ")
    assert ("using cached LYC.AX fetched 2026-01-02 06:30 UTC, " in message)
    assert " old (prices 2025-03-03..2025-12-31; asked for 2025-03-01..2026-02-27)" in message
    assert series.index[-1] == T("2025-12-31")
    assert source.notes("LYC.AX") == (message,)


def test_cache_source_never_uses_the_network(tmp_path: Path, fake_yahoo: Any) -> None:
    YahooSource(tmp_path, start="2025-03-01", end="2025-12-31").load("LYC.AX")
    fake_yahoo.calls.clear()
    source = open_source(None, source="cache", cache_dir=tmp_path)
    with pytest.warns(PriceDataWarning, match=r"offline \(--source cache\): using cached"):
        source.load("LYC.AX")  # asks for 3 years: more than cached
    with pytest.raises(PriceDataError, match=r"run 'eventstudy data fetch 6330\.T' with internet"):
        source.load("6330.T")
    assert fake_yahoo.calls == []


# -- corrupt cache ---------------------------------------------------------------------------
def test_corrupt_cache_is_reported_and_refetched(tmp_path: Path, fake_yahoo: Any) -> None:
    YahooSource(tmp_path, start="2025-03-01", end="2025-12-31").load("LYC.AX")
    path = tmp_path / "LYC.AX.csv"
    path.write_bytes(path.read_bytes()[:-300])  # truncated
    fake_yahoo.calls.clear()
    with pytest.warns(PriceDataWarning) as record:
        series = YahooSource(tmp_path, start="2025-03-01", end="2025-12-31").load("LYC.AX")
    assert str(record[0].message).startswith(
        f"cache file {path} does not match its checksum (truncated or edited: ")
    assert str(record[0].message).endswith(f"moved to {path}.corrupt, fetching it again")
    assert len(fake_yahoo.calls) == 1
    pd.testing.assert_series_equal(series, embedded("LYC.AX", "2025-03-01", "2025-12-31"),
                                   check_freq=False)


def test_corrupt_cache_offline_is_not_used(tmp_path: Path, fake_yahoo: Any) -> None:
    YahooSource(tmp_path, start="2025-03-01", end="2025-12-31").load("LYC.AX")
    (tmp_path / "LYC.AX.csv").write_text("date,close,adj_close\n2025-03-03,1,1\n")
    with pytest.warns(PriceDataWarning, match="cannot be refetched offline"), \
            pytest.raises(PriceDataError, match=r"run 'eventstudy data fetch LYC\.AX' with"):
        YahooSource(tmp_path, offline=True).load("LYC.AX")


# -- through the study and the CLI -------------------------------------------------------------
EVENTS = """
[securities.LYC]
ticker = "LYC.AX"
exchange = "XASX"
benchmark = "^AXJO"

[securities.TOYO]
ticker = "6330.T"
exchange = "XTKS"
benchmark = "^TOPX"

[[events]]
id = "dual-use-ban"
title = "China bans dual-use exports to Japanese military end users"
announced = 2026-01-06T16:25:00+08:00
securities = ["LYC", "TOYO"]
"""


def events_file(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "events.toml"
    path.write_text(extra + EVENTS)
    return path


def ar0(document: dict[str, Any]) -> dict[str, float]:
    return {p["security"]: next(d["ar"] for d in p["days"] if d["t"] == 0)
            for p in document["pairs"]}


def test_run_on_yahoo_gives_the_embedded_numbers(tmp_path: Path, fake_yahoo: Any) -> None:
    events = events_file(tmp_path)
    cache = tmp_path / "cache"
    online = runner.invoke(app, ["run", "dual-use-ban", "--events", str(events), "--source",
                                 "yahoo", "--cache-dir", str(cache), "-f", "json"])
    assert online.exit_code == 0, online.output
    offline = runner.invoke(app, ["run", "dual-use-ban", "--events", str(events), "-f", "json"])
    assert ar0(json.loads(online.stdout)) == pytest.approx(ar0(json.loads(offline.stdout)),
                                                           rel=1e-12)
    # only the tickers the event needs, from before the estimation window to after the window
    fetched = {c[0]: c for c in fake_yahoo.calls}
    assert set(fetched) == {"LYC.AX", "^AXJO", "6330.T", "^TOPX"}
    assert "2024-12-01" < fetched["LYC.AX"][1] < "2025-01-10"
    assert "2026-01-13" < fetched["LYC.AX"][2] < "2026-02-01"


def test_run_offline_without_cache_exits_2_in_one_line(tmp_path: Path, fake_yahoo: Any) -> None:
    fake_yahoo.offline = True
    result = runner.invoke(app, ["run", "dual-use-ban", "--events", str(events_file(tmp_path)),
                                 "--source", "yahoo", "--cache-dir", str(tmp_path / "c")])
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert lines[0].startswith("error: no prices for ") and "cannot be reached" in lines[0]


def test_run_offline_with_cache_warns_and_notes(tmp_path: Path, fake_yahoo: Any,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    events = events_file(tmp_path, extra='[defaults]\nsource = "yahoo"\n\n')
    monkeypatch.setenv("EVENTSTUDY_CACHE_DIR", str(tmp_path / "c"))
    first = runner.invoke(app, ["run", "dual-use-ban", "--events", str(events), "-f", "json"])
    assert first.exit_code == 0, first.output
    assert len(fake_yahoo.calls) == 4  # the events file's source setting chose Yahoo
    fake_yahoo.offline = True
    # pretend the cache was fetched before the event window was over: asked-for range ends
    # earlier, so the source goes to the network (offline) and falls back to the cache
    for meta_path in (tmp_path / "c").glob("*.json"):
        meta = json.loads(meta_path.read_text())  # the checksum covers the CSV only
        meta["end"] = "2026-01-08"
        meta_path.write_text(json.dumps(meta))
    result = runner.invoke(app, ["run", "dual-use-ban", "--events", str(events), "-f", "json"])
    assert result.exit_code == 0, result.output
    warned = result.stderr.strip().splitlines()
    assert len(warned) == 4  # one line per ticker, each saying how old its cache is
    assert all(w.startswith("warning: Yahoo Finance unreachable (DNSError: ") for w in warned)
    assert all(" old (prices " in w for w in warned)
    notes = {p["security"]: p["notes"] for p in json.loads(result.stdout)["pairs"]}
    assert any(n.startswith("Yahoo Finance unreachable") and "using cached LYC.AX" in n
               for n in notes["LYC"])
    assert any("using cached ^TOPX" in n for n in notes["TOYO"])


def test_environment_chooses_the_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                        ) -> None:
    monkeypatch.setenv("EVENTSTUDY_SOURCE", "yahoo")
    monkeypatch.setenv("EVENTSTUDY_CACHE_DIR", str(tmp_path / "env-cache"))
    source = open_source(None)
    assert isinstance(source, YahooSource) and source.cache.directory == tmp_path / "env-cache"
    assert isinstance(open_source(None, source="embedded"), EmbeddedSource)  # option wins
    monkeypatch.setenv("EVENTSTUDY_SOURCE", "bloomberg")
    with pytest.raises(PriceDataError, match=r"unknown price source 'bloomberg' \(from "
                                             r"\$EVENTSTUDY_SOURCE\)"):
        open_source(None)


def test_bad_source_setting_in_the_events_file(tmp_path: Path) -> None:
    from eventstudy.errors import EventsFileError
    from eventstudy.events import load_events

    with pytest.raises(EventsFileError, match=r"\[defaults\] source = 'yahooo'"):
        load_events(events_file(tmp_path, extra='[defaults]\nsource = "yahooo"\n\n'))


# -- eventstudy data ... ---------------------------------------------------------------------
def test_data_fetch_show_import(tmp_path: Path, fake_yahoo: Any) -> None:
    cache = tmp_path / "c"
    fetched = runner.invoke(app, ["data", "fetch", "LYC.AX", "6330.T", "NOPE.AX", "--start",
                                  "2025-06-01", "--end", "2026-04-30", "--cache-dir", str(cache)])
    assert fetched.exit_code == 2
    assert "error: 1 of 3 ticker(s) failed: NOPE.AX: Yahoo Finance returned no prices" in \
        fetched.stderr
    assert "LYC.AX" in fetched.stdout and "gap: 1" in fetched.stdout
    assert sorted(p.name for p in cache.glob("*.csv")) == ["6330.T.csv", "LYC.AX.csv"]

    shown = runner.invoke(app, ["data", "show", "LYC.AX", "--cache-dir", str(cache)])
    assert shown.exit_code == 0, shown.output
    out = shown.stdout
    assert "2025-06-02 .. 2026-04-30" in out
    assert "14 of " in out and "2025-08-28" in out  # the halt + the 13-session gap
    assert "no prices for 13 sessions 2026-03-11..2026-03-27" in out
    assert "source yahoo" in out

    missing = runner.invoke(app, ["data", "show", "^AXJO", "--cache-dir", str(cache)])
    assert missing.exit_code == 2 and "run 'eventstudy data fetch ^AXJO' first" in missing.stderr

    folder = tmp_path / "mine"
    folder.mkdir()
    EmbeddedSource().load("MP").rename("close").to_csv(folder / "MP.csv", index_label="date")
    imported = runner.invoke(app, ["data", "import", str(folder), "--cache-dir", str(cache)])
    assert imported.exit_code == 0, imported.output
    meta = json.loads((cache / "MP.json").read_text())
    assert meta["source"].startswith("import ") and meta["adjusted"] is None
    shown = runner.invoke(app, ["data", "show", "MP", "--cache-dir", str(cache)])
    assert shown.exit_code == 0 and "2025-02-06" in shown.stdout


def test_data_import_is_all_or_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "A.csv").write_text("date,close\n2025-01-06,10\n2025-01-07,11\n")
    (folder / "B.csv").write_text("date,close\n2025-01-06,10\n2025-01-07,-1\n")
    result = runner.invoke(app, ["data", "import", str(folder), "--cache-dir",
                                 str(tmp_path / "c")])
    assert result.exit_code == 2 and "B.csv, line 3" in result.stderr
    assert not (tmp_path / "c").exists() or list((tmp_path / "c").iterdir()) == []


def test_no_warning_escapes_as_a_python_warning_line(tmp_path: Path, fake_yahoo: Any) -> None:
    """The CLI prints price warnings as 'warning: ...' lines, without file/line noise."""
    YahooSource(tmp_path, start="2025-03-01", end="2025-12-31").load("LYC.AX")
    fake_yahoo.offline = True
    result = runner.invoke(app, ["data", "fetch", "LYC.AX", "--start", "2025-03-01",
                                 "--end", "2026-01-30", "--cache-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("warning: Yahoo Finance unreachable")
    assert "PriceDataWarning" not in result.stderr


def test_a_hanging_fetch_is_abandoned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    release = threading.Event()

    class Hanging(FakeTicker):
        def history(self, **kwargs: Any) -> pd.DataFrame:
            release.wait(5)  # a connection that never answers
            return pd.DataFrame()

    monkeypatch.setattr(yfinance, "Ticker", Hanging)
    source = YahooSource(tmp_path, start="2025-03-01", end="2025-12-31", timeout=0.05)
    try:
        with pytest.raises(PriceDataError, match=r"cannot be reached \(no answer from Yahoo "
                                                 r"Finance within 0\.15 s\)"):
            source.load("LYC.AX")
    finally:
        release.set()


def test_todays_bar_is_fetched_again(tmp_path: Path, fake_yahoo: Any,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A fetch on 2025-10-01 may hold an intraday bar: the next run fetches that day again,
    and the changed close of that day does not count as a re-adjusted history."""
    from eventstudy.prices import yahoo

    monkeypatch.setattr(yahoo, "_today", lambda: T("2025-10-01"))
    YahooSource(tmp_path, start="2025-03-01", end="2025-10-01").load("6330.T")
    meta = json.loads((tmp_path / "6330.T.json").read_text())
    assert meta["end"] == "2025-09-30"
    # the cached bar of 2025-10-01 was intraday: 1500 instead of the close 1458
    frame = pd.read_csv(tmp_path / "6330.T.csv", index_col="date")
    frame.loc["2025-10-01", ["close", "adj_close"]] = 1500.0
    from eventstudy.prices.cache import PriceCache

    PriceCache(tmp_path).write("6330.T", frame.set_axis(pd.DatetimeIndex(frame.index)), meta)
    fake_yahoo.calls.clear()
    monkeypatch.setattr(yahoo, "_today", lambda: T("2025-10-02"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", PriceDataWarning)  # no "adjusted prices changed"
        series = YahooSource(tmp_path, start="2025-03-01", end="2025-10-02").load("6330.T")
    assert fake_yahoo.calls == [("6330.T", "2025-09-20", "2025-10-03")]
    assert series.loc["2025-10-01"] == 1458.0


def test_a_cut_off_answer_counts_as_unreachable(tmp_path: Path, fake_yahoo: Any,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    class CutOff(FakeTicker):
        def history(self, **kwargs: Any) -> pd.DataFrame:
            return json.loads('{"chart": {"result": [{"meta": ')  # JSONDecodeError

    monkeypatch.setattr(yfinance, "Ticker", CutOff)
    with pytest.raises(PriceDataError, match=r"cannot be reached \(unreadable answer from "
                                             r"Yahoo Finance, JSONDecodeError: "):
        YahooSource(tmp_path, start="2025-03-01", end="2025-12-31").load("LYC.AX")


def test_unwritable_cache_in_the_cli_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("not a folder\n")
    result = runner.invoke(app, ["data", "fetch", "LYC.AX", "--start", "2025-03-01", "--end",
                                 "2025-12-31", "--cache-dir", str(tmp_path / "afile" / "out")])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("error: cannot write the cache ")
    assert len(result.stderr.strip().splitlines()) == 1
