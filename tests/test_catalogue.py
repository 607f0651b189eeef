"""The catalogue of bad inputs (issue #9): each one ends in a typed package error.

Every entry starts from a small, valid study (one New York security, its benchmark, one event;
synthetic prices on real XNYS sessions), breaks exactly one thing, and is run twice:

- through the library: the call raises the entry's subclass of
  :class:`~eventstudy.errors.EventStudyError`, whose message holds the entry's fragments (the
  file, line or field at fault, and what to do);
- through the CLI: exit status 2, exactly one line on stderr starting ``error:`` that holds
  the same fragments, no traceback, and nothing on stdout (for ``--format json`` and ``table``).

``python tests/test_catalogue.py`` prints the catalogue as the markdown table of
docs/reliability.md, with the messages the package gives today.
"""

from __future__ import annotations

import errno
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import eventstudy
import eventstudy.distributed
from eventstudy import sessions
from eventstudy.cli import app
from eventstudy.errors import (
    CalendarError,
    EstimationError,
    EventsFileError,
    EventStudyError,
    InputError,
    PriceDataError,
    ReportError,
    UnknownEventError,
)
from eventstudy.prices.columns import MissingColumnError
from eventstudy.study.pooled import run_event

EVENT = "ev"
TICKER, BENCH = "ABC", "^GSPC"
FIRST, LAST = "2025-01-02", "2025-08-29"
DAY0 = "2025-06-02"

EVENTS_TOML = f"""\
[defaults]
estimation = [-80, -6]
window = [-3, 3]
car = [[0, 0], [0, 1], [-1, 1]]
model = "market"
min_estimation = 40

[securities.ABC]
ticker = "{TICKER}"
name = "ABC Corp"
exchange = "XNYS"
benchmark = "{BENCH}"

[[events]]
id = "{EVENT}"
title = "An announcement"
announced = {DAY0}
timing = "before-open"
securities = ["ABC"]
"""


def synthetic_prices(seed: int = 9) -> dict[str, pd.Series]:
    """Closes of ABC (beta 1.2 on the benchmark, plus noise) and ^GSPC on XNYS sessions."""
    dates = sessions.sessions_in_range("XNYS", FIRST, LAST)
    rng = np.random.default_rng(seed)
    m = rng.normal(0.0003, 0.01, len(dates))
    r = 0.0002 + 1.2 * m + rng.normal(0.0, 0.006, len(dates))
    return {
        TICKER: pd.Series(50.0 * np.exp(np.cumsum(r)), index=dates),
        BENCH: pd.Series(5000.0 * np.exp(np.cumsum(m)), index=dates),
    }


def csv_text(series: pd.Series, *, fmt: str = "%Y-%m-%d") -> str:
    lines = ["date,close"] + [f"{d.strftime(fmt)},{v:.6f}" for d, v in series.items()]
    return "\n".join(lines) + "\n"


@dataclass
class Study:
    """The files of one catalogue entry, under a temporary folder."""

    root: Path
    monkeypatch: pytest.MonkeyPatch
    events: Path = field(init=False)
    prices: Path = field(init=False)

    def __post_init__(self) -> None:
        for name in ("EVENTSTUDY_SOURCE", "EVENTSTUDY_CACHE_DIR"):
            self.monkeypatch.delenv(name, raising=False)
        self.events = self.root / "events.toml"
        self.prices = self.root / "prices"
        self.prices.mkdir()
        self.events.write_text(EVENTS_TOML, encoding="utf-8")
        for ticker, series in synthetic_prices().items():
            self.csv(ticker).write_text(csv_text(series), encoding="utf-8")

    def csv(self, ticker: str = TICKER) -> Path:
        return self.prices / f"{ticker}.csv"

    def edit_events(self, old: str, new: str) -> None:
        text = self.events.read_text(encoding="utf-8")
        assert old in text, old
        self.events.write_text(text.replace(old, new, 1), encoding="utf-8")

    def append_events(self, text: str) -> None:
        self.events.write_text(self.events.read_text(encoding="utf-8") + text, encoding="utf-8")

    def edit_row(self, row: int, value: str, ticker: str = TICKER) -> None:
        """Replace data row `row` (0-based; file line row + 2) with `value`."""
        lines = self.csv(ticker).read_text(encoding="utf-8").splitlines()
        lines[row + 1] = value
        self.csv(ticker).write_text("\n".join(lines) + "\n", encoding="utf-8")

    def set_price(self, row: int, price: str, ticker: str = TICKER) -> None:
        lines = self.csv(ticker).read_text(encoding="utf-8").splitlines()
        self.edit_row(row, lines[row + 1].split(",")[0] + "," + price, ticker)

    def write_prices(self, ticker: str, series: pd.Series) -> None:
        self.csv(ticker).write_text(csv_text(series), encoding="utf-8")

    @property
    def cache(self) -> Path:
        return self.root / "cache"

    def fill(self, text: str) -> str:
        return text.format(events=self.events, prices=self.prices, abc=self.csv(),
                           bench=self.csv(BENCH), cache=self.cache, root=self.root)


def library_run(study: Study, event_id: str = EVENT) -> object:
    return eventstudy.run(event_id, events=study.events, prices=study.prices)


def cli_run(study: Study, event_id: str = EVENT) -> list[str]:
    return ["run", event_id, "--events", str(study.events), "--prices", str(study.prices)]


@dataclass(frozen=True)
class Bad:
    """One bad input: how to make it, where it is caught, and how it must end."""

    name: str
    make: Callable[[Study], object]
    error: type[EventStudyError]
    needles: tuple[str, ...]  # message fragments; {events}, {prices}, {abc}, {bench} expand
    caught: str  # the module that catches it, for docs/reliability.md
    library: Callable[[Study], object] | None = library_run  # None: CLI-only entry
    cli: Callable[[Study], list[str]] | None = cli_run  # None: library-only entry
    xfail_library: str = ""  # a known failure (in a module not owned here): the reason
    xfail_cli: str = ""
    warns: bool = False  # 'warning:' lines may precede the error line on stderr
    formats: tuple[str, ...] = ("json",)  # --format values tried; () for 'data'


def _with_volume(study: Study, ticker: str, volume: np.ndarray) -> None:
    """``ticker``'s file with a volume column."""
    frame = pd.read_csv(study.csv(ticker))
    frame["volume"] = volume
    frame.to_csv(study.csv(ticker), index=False)


def _negative_volume(study: Study) -> None:
    n = len(pd.read_csv(study.csv()))
    volume = np.full(n, 1000.0)
    volume[50] = -5.0
    _with_volume(study, TICKER, volume)


def _volume_dimson(study: Study) -> None:
    for ticker in (TICKER, BENCH):
        _with_volume(study, ticker, np.full(len(pd.read_csv(study.csv(ticker))), 1000.0))
    study.edit_events('model = "market"', 'model = "dimson"')


def _shift_to_tokyo(study: Study) -> None:
    """ABC.csv dated on Tokyo sessions: the events file says XNYS."""
    tokyo = sessions.sessions_in_range("XTKS", FIRST, LAST)
    prices = synthetic_prices()[TICKER]
    n = min(len(tokyo), len(prices))
    study.write_prices(TICKER, pd.Series(prices.to_numpy()[:n], index=tokyo[:n]))


def _constant(study: Study, ticker: str) -> None:
    dates = synthetic_prices()[ticker].index
    study.write_prices(ticker, pd.Series(12.5, index=dates))


def _benchmark_copy(study: Study) -> None:
    """A benchmark whose prices are those of the security (another ticker, same numbers)."""
    study.csv(BENCH).write_bytes(study.csv(TICKER).read_bytes())


def _write(study: Study, ticker: str, data: str | bytes) -> None:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    study.csv(ticker).write_bytes(raw)


CATALOGUE: list[Bad] = [
    # --- the events file ------------------------------------------------------------------
    Bad("events file missing", lambda s: s.events.unlink(), EventsFileError,
        ("events file not found", "{events}", "--events"), "events.load_events"),
    Bad("events file not UTF-8", lambda s: s.events.write_bytes(b"id = '\xff\xfe'\n"),
        EventsFileError, ("cannot read events file {events}",), "events.load_events"),
    Bad("TOML syntax error", lambda s: s.edit_events('title = "An announcement"',
                                                     'title = "An announcement'),
        EventsFileError, ("{events}", "invalid TOML", "line 16"), "events.load_events"),
    Bad("unknown key", lambda s: s.edit_events("window = [-3, 3]", "windw = [-3, 3]"),
        EventsFileError, ("{events}", "unknown key 'windw' in [defaults]", "did you mean 'window'"),
        "events.parse_calendar"),
    Bad("wrong type (string for an integer)",
        lambda s: s.edit_events("min_estimation = 40", 'min_estimation = "40"'),
        EventsFileError, ("{events}", "[defaults] min_estimation must be an integer >= 3", "'40'"),
        "events.parse_calendar"),
    Bad("wrong type (window not a pair of integers)",
        lambda s: s.edit_events("window = [-3, 3]", 'window = "-3..3"'),
        EventsFileError, ("{events}", "[defaults] window must be two integers [start, end]"),
        "events.parse_calendar"),
    Bad("duplicate event id",
        lambda s: s.append_events(f'\n[[events]]\nid = "{EVENT}"\nannounced = 2025-05-01\n'
                                  'securities = ["ABC"]\n'),
        EventsFileError, ("{events}", f"duplicate event id '{EVENT}'", "[[events]] #2"),
        "events.parse_calendar"),
    Bad("invalid event id", lambda s: s.edit_events(f'id = "{EVENT}"', 'id = "My Event"'),
        EventsFileError, ("{events}", "id 'My Event' must match [a-z0-9-]+"),
        "events.parse_calendar", library=lambda s: eventstudy.load_events(s.events)),
    Bad("unknown event id", lambda s: None, UnknownEventError,
        ("unknown event 'e'", "{events}", "eventstudy list"), "events.Calendar.event",
        library=lambda s: library_run(s, "e"), cli=lambda s: cli_run(s, "e")),
    Bad("no [[events]] at all",
        lambda s: s.events.write_text(EVENTS_TOML.split("[[events]]")[0], encoding="utf-8"),
        EventsFileError, ("{events}", "no [[events]]", "add at least one"),
        "events.parse_calendar"),
    Bad("event naming an unknown security (typo of an alias)",
        lambda s: s.edit_events('securities = ["ABC"]', 'securities = ["ABCD"]'),
        EventsFileError, ("{events}", "unknown security 'ABCD'", "did you mean 'ABC'"),
        "events.parse_calendar"),
    Bad("event naming an unknown security (read as a raw ticker without prices)",
        lambda s: s.edit_events('securities = ["ABC"]', 'securities = ["XYZ"]'),
        PriceDataError, ("no prices for XYZ", "{prices}", "fix the ticker in the events file"),
        "study.pair._load"),
    Bad("event naming a ticker of no known exchange",
        lambda s: s.edit_events('securities = ["ABC"]', 'securities = ["EURUSD=X"]'),
        EventsFileError, ("{events}", "'EURUSD=X'", "neither a [securities] alias",
                          'exchange = "..."'), "events.parse_calendar"),
    Bad("`announced` datetime without a UTC offset",
        lambda s: s.edit_events(f"announced = {DAY0}", f"announced = {DAY0}T10:00:00"),
        EventsFileError, ("{events}", "has no UTC offset", "+08:00"), "events.parse_calendar"),
    Bad("timing not one of the four",
        lambda s: s.edit_events('timing = "before-open"', 'timing = "evening"'),
        EventsFileError, ("{events}", "timing = 'evening' is not one of", "'after-close'"),
        "events.parse_calendar"),
    Bad("unknown model", lambda s: s.edit_events('model = "market"', 'model = "capm"'),
        EventsFileError, ("{events}", "model = 'capm' is not one of", "'market'"),
        "events.parse_calendar"),
    Bad("returns neither log nor simple",
        lambda s: s.edit_events('model = "market"', 'model = "market"\nreturns = "pct"'),
        EventsFileError, ("{events}", "[defaults] returns = 'pct' is not one of: 'log', 'simple'"),
        "events.parse_calendar"),
    Bad("multi-factor model without factors",
        lambda s: s.edit_events('model = "market"', 'model = "multi-factor"'),
        EventsFileError, ("{events}", "uses model \"multi-factor\" without factors",
                          "set factors = ["), "events.parse_calendar"),
    Bad("Dimson lags out of range",
        lambda s: s.edit_events('model = "market"', 'model = "dimson"\nlags = 20'),
        EventsFileError, ("{events}", "[defaults] lags must be an integer from 0 to 10, got 20"),
        "events.parse_calendar"),
    Bad("unknown price source in the events file",
        lambda s: s.edit_events('model = "market"', 'model = "market"\nsource = "web"'),
        EventsFileError, ("{events}", "[defaults] source = 'web'", '"yahoo"'),
        "events.parse_calendar"),
    Bad("estimation window overlapping the event window",
        lambda s: s.edit_events("estimation = [-80, -6]", "estimation = [-80, -2]"),
        EventsFileError, ("{events}", "estimation window [-80, -2] overlaps",
                          "must end before offset -3"), "events.parse_calendar"),
    Bad("event window reversed", lambda s: s.edit_events("window = [-3, 3]", "window = [3, -3]"),
        EventsFileError, ("{events}", "[defaults] window is reversed", "write [start, end]"),
        "events.parse_calendar"),
    Bad("CAR window outside the event window",
        lambda s: s.edit_events("car = [[0, 0], [0, 1], [-1, 1]]", "car = [[0, 10]]"),
        EventsFileError, ("{events}", "CAR window [0, 10] lies outside the event window [-3, 3]"),
        "events.parse_calendar"),
    Bad("min_estimation too small to estimate anything",
        lambda s: s.edit_events("min_estimation = 40", "min_estimation = 1"),
        EventsFileError, ("{events}", "min_estimation must be an integer >= 3", "got 1"),
        "events.parse_calendar"),
    Bad("benchmark is the security itself",
        lambda s: s.edit_events(f'benchmark = "{BENCH}"', f'benchmark = "{TICKER}"'),
        EventsFileError, ("{events}", "[securities.ABC] benchmark is the security itself"),
        "events.parse_calendar"),
    Bad("market model without a benchmark",
        lambda s: s.edit_events(f'benchmark = "{BENCH}"\n', ""),
        EventsFileError, ("{events}", "security 'ABC' has no benchmark", "constant-mean"),
        "events.parse_calendar"),
    Bad("unknown exchange code",
        lambda s: s.edit_events('exchange = "XNYS"', 'exchange = "XNYZ"'),
        EventsFileError, ("{events}", "[securities.ABC]", "unknown exchange code 'XNYZ'",
                          "valid codes include"), "events.parse_calendar"),
    # --- the calendar and day 0 -----------------------------------------------------------
    Bad("announcement before the exchange's first supported session",
        lambda s: (s.edit_events('exchange = "XNYS"', 'exchange = "XTKS"'),
                   s.edit_events(f"announced = {DAY0}", "announced = 1990-06-01")),
        CalendarError, ("{events}: event 'ev', security 'ABC'",
                        "announced 1990-06-01 is before 1997-01-06, the first XTKS session "
                        "exchange_calendars supports"),
        "sessions.day_zero (study.pair.study_pair)"),
    Bad("estimation window reaching before the exchange's first supported session",
        lambda s: (s.edit_events('exchange = "XNYS"', 'exchange = "XTKS"'),
                   s.edit_events(f"announced = {DAY0}", "announced = 1997-03-03")),
        CalendarError, ("{events}: event 'ev', security 'ABC'", "offset -81 from day 0 "
                        "1997-03-03 falls before the first XTKS session exchange_calendars "
                        "supports, 1997-01-06"),
        "sessions.sessions_at (study.pair.study_pair)"),
    Bad("announcement after the last price",
        lambda s: s.edit_events(f"announced = {DAY0}", "announced = 2025-12-01"),
        EstimationError, ("no pair of event 'ev' can be studied", "ABC: ABC: no prices after "
                          "2025-08-29"), "study.pair.study_pair (pair excluded)"),
    Bad("announcement soon after the first price (too few estimation returns exist)",
        lambda s: s.edit_events(f"announced = {DAY0}", "announced = 2025-02-03"),
        EstimationError, ("no pair of event 'ev' can be studied", "only 14 usable estimation "
                          "returns", "61 before the first price (ABC 2025-01-02",
                          "min_estimation = 40"), "study.pair.study_pair (pair excluded)"),
    Bad("estimation window before the first price under full_estimation = true",
        lambda s: (s.edit_events(f"announced = {DAY0}", "announced = 2025-04-15"),
                   s.edit_events("min_estimation = 40", "min_estimation = 40\n"
                                 "full_estimation = true")),
        EstimationError, ("no pair of event 'ev' can be studied", "estimation window starts",
                          "before the first price 2025-01-02 (full_estimation = true)"),
        "study.pair.study_pair (pair excluded)"),
    Bad("estimation too short (fewer than min_estimation returns)",
        lambda s: s.edit_events("estimation = [-80, -6]", "estimation = [-30, -6]"),
        EstimationError, ("only 25 usable estimation returns", "min_estimation = 40"),
        "study.pair.study_pair (pair excluded)"),
    # --- price files ----------------------------------------------------------------------
    Bad("--prices folder does not exist", lambda s: s.csv().unlink() or s.csv(BENCH).unlink()
        or s.prices.rmdir(), PriceDataError, ("--prices {prices} does not exist",),
        "prices.open_source"),
    Bad("security with no price file", lambda s: s.csv().unlink(), PriceDataError,
        ("no prices for ABC", "{prices}", "add ABC.csv"), "study.pair._load"),
    Bad("benchmark with no price file", lambda s: s.csv(BENCH).unlink(), PriceDataError,
        ("no prices for benchmark ^GSPC of ABC", "{prices}"), "study.pair._load"),
    Bad("factor with no price file",
        lambda s: s.edit_events('model = "market"',
                                'model = "multi-factor"\nfactors = ["^GSPC", "^IXIC"]'),
        PriceDataError, ("no prices for factor ^IXIC of ABC", "{prices}", "add ^IXIC.csv"),
        "study.pair._load"),
    Bad("price file with a header but no rows", lambda s: _write(s, TICKER, "date,close\n"),
        PriceDataError, ("{abc}", "has a header but no data rows"), "prices.csv"),
    Bad("benchmark file with no prices (every close empty)",
        lambda s: _write(s, BENCH, "date,close\n2025-01-02,\n2025-01-03,\n"),
        PriceDataError, ("{bench}", "has no prices (every 'close' cell is empty)"),
        "prices.csv"),
    Bad("empty CSV", lambda s: _write(s, TICKER, ""), PriceDataError,
        ("price file {abc} is empty", "header line 'date,close'"), "prices.csv"),
    Bad("CSV missing the close column",
        lambda s: _write(s, TICKER, "date,open\n2025-01-02,10\n"), PriceDataError,
        ("{abc}, line 1: no 'close' column", "'date', 'open'"), "prices.csv"),
    Bad("binary file", lambda s: _write(s, TICKER, b"PK\x03\x04\x00\x00"), PriceDataError,
        ("{abc} is binary",), "prices.csv"),
    Bad("duplicate dates", lambda s: s.edit_row(10, "2025-01-02,50.0"), PriceDataError,
        ("{abc}, line 12: date 2025-01-02 appears again (first on line 2)",), "prices.csv"),
    Bad("non-numeric price", lambda s: s.set_price(3, "12.5x"), PriceDataError,
        ("{abc}, line 5", "close", "not a number"), "prices.csv"),
    Bad("zero price", lambda s: s.set_price(4, "0"), PriceDataError,
        ("{abc}, line 6: close '0' is not positive",), "prices.csv"),
    Bad("negative price", lambda s: s.set_price(5, "-3.2"), PriceDataError,
        ("{abc}, line 7: close '-3.2' is not positive",), "prices.csv"),
    Bad("NaN price", lambda s: s.set_price(6, "NaN"), PriceDataError,
        ("{abc}, line 8: close 'NaN' is not a finite number", "leave the cell empty"),
        "prices.csv"),
    Bad("Inf price", lambda s: s.set_price(7, "inf", BENCH), PriceDataError,
        ("{bench}, line 9: close 'inf' is not a finite number",), "prices.csv"),
    Bad("price overflowing to infinity", lambda s: s.set_price(8, "1e999"), PriceDataError,
        ("{abc}, line 10: close '1e999' is not a finite number",), "prices.csv"),
    Bad("dates in a non-ISO format (MM/DD/YYYY)",
        lambda s: s.write_prices(TICKER, synthetic_prices()[TICKER]) or _write(
            s, TICKER, csv_text(synthetic_prices()[TICKER], fmt="%m/%d/%Y")),
        PriceDataError, ("{abc}, line 2: date '01/02/2025' is not an ISO date", "YYYY-MM-DD"),
        "prices.csv"),
    Bad("date that is not a calendar day", lambda s: s.edit_row(20, "2025-02-30,51.0"),
        PriceDataError, ("{abc}, line 22: date '2025-02-30' is not a calendar day",),
        "prices.csv"),
    Bad("row with more fields than the header", lambda s: s.edit_row(2, "2025-01-06,50,7"),
        PriceDataError, ("{abc}, line 4: 3 fields", "header (line 1) names 2 columns"),
        "prices.csv"),
    Bad("price file for the wrong exchange calendar (Tokyo dates, XNYS security)",
        _shift_to_tokyo, PriceDataError,
        ("ABC", "{prices}", "not XNYS sessions", 'exchange = "..."'), "study.pair.study_pair"),
    # --- estimation -----------------------------------------------------------------------
    Bad("constant prices (zero variance)", lambda s: _constant(s, TICKER), EstimationError,
        ("no pair of event 'ev' can be studied", "residuals have zero variance"),
        "estimation.fit (pair excluded)"),
    Bad("constant benchmark (zero variance)", lambda s: _constant(s, BENCH), EstimationError,
        ("no pair of event 'ev' can be studied", "benchmark returns have zero variance"),
        "estimation.fit (pair excluded)"),
    Bad("benchmark identical to the security (same prices, other ticker)", _benchmark_copy,
        EstimationError, ("no pair of event 'ev' can be studied", "a security identical to its "
                          "benchmark"), "estimation.fit (pair excluded)"),
]


# --- the price cache and Yahoo Finance (never the network) ---------------------------------


def fake_history(ticker: str, start: pd.Timestamp, end: pd.Timestamp,
                 timeout: float) -> pd.DataFrame:
    """What ``yf_history`` returns for the synthetic prices: New York bars, Close/Adj Close."""
    from eventstudy.prices.yahoo import YahooNoDataError

    prices = synthetic_prices().get(ticker)
    if prices is None:
        raise YahooNoDataError(f"no prices for {ticker}")
    prices = prices[(prices.index >= start) & (prices.index <= end)]
    index = prices.index.tz_localize("America/New_York")
    return pd.DataFrame({"Close": prices.to_numpy(), "Adj Close": prices.to_numpy()},
                        index=index)


def use_fake_yahoo(study: Study) -> None:
    from eventstudy.prices import yahoo

    study.monkeypatch.setattr(yahoo, "yf_history", fake_history)


def fill_cache(study: Study, end: str = LAST) -> None:
    """Cache ABC and ^GSPC from FIRST to `end` (through the fake Yahoo)."""
    from eventstudy.prices.yahoo import YahooSource

    use_fake_yahoo(study)
    source = YahooSource(study.cache)
    for ticker in (TICKER, BENCH):
        source.update(ticker, FIRST, end)


class _FullDisk:
    """A file whose ``write`` stores half the bytes, then fails with ENOSPC."""

    def __init__(self, fh) -> None:
        self._fh = fh

    def write(self, data: bytes) -> int:
        self._fh.write(data[: len(data) // 2])
        self._fh.flush()
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __getattr__(self, name: str):
        return getattr(self._fh, name)

    def __enter__(self) -> _FullDisk:
        return self

    def __exit__(self, *exc: object) -> None:
        self._fh.close()


def disk_full(study: Study) -> None:
    """From now on, files opened with os.fdopen under the study's folder hit a full disk."""
    real = os.fdopen
    root = str(study.root)

    def fdopen(fd: int, *args, **kwargs):
        fh = real(fd, *args, **kwargs)
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            target = root
        return _FullDisk(fh) if target.startswith(root) else fh

    study.monkeypatch.setattr(os, "fdopen", fdopen)


def _chart(ticker: str) -> str:
    """Yahoo's v8 chart answer (JSON) for the synthetic prices of `ticker`."""
    prices = synthetic_prices()[ticker]
    stamps = [int(t.timestamp()) for t in prices.index.tz_localize("America/New_York")]
    values = [float(v) for v in prices]
    meta = {"currency": "USD", "symbol": ticker, "exchangeName": "NYQ",
            "instrumentType": "EQUITY", "firstTradeDate": 0, "regularMarketTime": stamps[-1],
            "gmtoffset": -14400, "timezone": "EDT", "exchangeTimezoneName": "America/New_York",
            "priceHint": 2, "dataGranularity": "1d", "range": "", "validRanges": ["1d"]}
    quote = {k: values for k in ("open", "high", "low", "close")} | {"volume": [1] * len(values)}
    return json.dumps({"chart": {"result": [{
        "meta": meta, "timestamp": stamps,
        "indicators": {"quote": [quote], "adjclose": [{"adjclose": values}]}}], "error": None}})


def interrupted_session(study: Study, how: str) -> None:
    """yfinance's HTTP layer replaced: answers for ABC; the ^GSPC download breaks off.

    ``how="cut"``: the transfer stops (curl's IncompleteRead); ``how="truncated"``: the body
    arrives cut in half (invalid JSON).
    """
    import yfinance.data
    from curl_cffi.requests.exceptions import IncompleteRead

    class Response:
        status_code = 200

        def __init__(self, text: str, url: str) -> None:
            self.text, self.url = text, url

        def json(self) -> object:
            return json.loads(self.text)

    def get(self, url: str, params: dict | None = None, timeout: float = 30) -> Response:
        ticker = url.rsplit("/", 1)[-1]
        body = _chart(ticker)
        if ticker == BENCH and (params or {}).get("range") != "1d":  # the history request
            if how == "cut":
                raise IncompleteRead("Failed to perform, curl: (18) transfer closed with "
                                     "48213 bytes remaining to read")
            body = body[: len(body) // 2]
        return Response(body, url)

    study.monkeypatch.setattr(yfinance.data.YfData, "get", get)
    study.monkeypatch.setattr(yfinance.data.YfData, "cache_get", get)
    study.monkeypatch.setattr(yfinance.data.YfData, "_get_cookie_and_crumb",
                              lambda self, timeout=30: (None, "basic"))


def unwritable(study: Study) -> Path:
    """A cache or report folder that cannot be created: its parent is a file."""
    (study.root / "afile").write_text("not a folder\n")
    return study.root / "afile" / "out"


def yahoo_run(study: Study, source: str = "yahoo", cache: Path | None = None) -> object:
    return eventstudy.run(EVENT, events=study.events, source=source,
                          cache_dir=cache or study.cache)


def yahoo_cli(study: Study, source: str = "yahoo", cache: Path | None = None) -> list[str]:
    return ["run", EVENT, "--events", str(study.events), "--source", source,
            "--cache-dir", str(cache or study.cache)]


def _edit_cached_price(study: Study) -> None:
    fill_cache(study)
    path = study.cache / f"{TICKER}.csv"
    lines = path.read_text().splitlines()
    lines[5] = lines[5].replace(lines[5].split(",")[1], "1.0", 1)
    path.write_text("\n".join(lines) + "\n")


CATALOGUE += [
    Bad("unknown price source (--source)", lambda s: None, PriceDataError,
        ("unknown price source 'bogus' (from --source)", "embedded, yahoo, cache"),
        "prices.open_source", library=lambda s: yahoo_run(s, "bogus"),
        cli=lambda s: yahoo_cli(s, "bogus")),
    Bad("--prices and --source yahoo together", lambda s: None, PriceDataError,
        ("--prices {prices} and --source yahoo both name a price source", "pass one of them"),
        "prices.open_source",
        library=lambda s: eventstudy.run(EVENT, events=s.events, prices=s.prices,
                                         source="yahoo"),
        cli=lambda s: [*cli_run(s), "--source", "yahoo"]),
    Bad("offline (--source cache) with an empty cache", lambda s: None, PriceDataError,
        ("no prices for ABC in the price cache {cache}", "eventstudy data fetch ABC"),
        "prices.yahoo.YahooSource", library=lambda s: yahoo_run(s, "cache"),
        cli=lambda s: yahoo_cli(s, "cache")),
    Bad("cached price file edited by hand (checksum mismatch), offline", _edit_cached_price,
        PriceDataError, ("no prices for ABC in the price cache {cache}",),
        "prices.cache.read + YahooSource (file quarantined)",
        library=lambda s: yahoo_run(s, "cache"), cli=lambda s: yahoo_cli(s, "cache"),
        warns=True),
    Bad("unwritable cache folder (run --source yahoo)", use_fake_yahoo, PriceDataError,
        ("cannot write the cache {root}/afile/out", "pass --cache-dir a writable folder"),
        "prices.cache.write",
        library=lambda s: yahoo_run(s, cache=unwritable(s)),
        cli=lambda s: yahoo_cli(s, cache=unwritable(s))),
    Bad("unwritable cache folder (data fetch)", use_fake_yahoo, PriceDataError,
        ("cannot write the cache {root}/afile/out", "pass --cache-dir a writable folder"),
        "prices.cache.write (data fetch)", library=None,
        cli=lambda s: ["data", "fetch", TICKER, "--start", FIRST, "--end", LAST,
                       "--cache-dir", str(unwritable(s))],
        formats=()),
    Bad("unwritable cache folder (data import)", lambda s: None, PriceDataError,
        ("cannot write the cache {root}/afile/out",), "prices.cache.write (data import)",
        library=None,
        cli=lambda s: ["data", "import", str(s.prices), "--cache-dir", str(unwritable(s))],
        formats=()),
    Bad("disk full while writing the cache (run --source yahoo)",
        lambda s: fill_cache(s, "2025-04-30") or disk_full(s), PriceDataError,
        ("cannot write the cache {cache} (No space left on device)", "free disk space"),
        "prices.cache.write",
        library=yahoo_run, cli=yahoo_cli),
    Bad("disk full while writing the cache (data import)", disk_full, PriceDataError,
        ("cannot write the cache {cache} (No space left on device)",),
        "prices.cache.write (data import)",
        library=None, cli=lambda s: ["data", "import", str(s.prices), "--cache-dir",
                                     str(s.cache)],
        formats=()),
    Bad("interrupted download (transfer cut mid-way)",
        lambda s: interrupted_session(s, "cut"), PriceDataError,
        ("no prices for ^GSPC", "Yahoo Finance cannot be reached", "IncompleteRead",
         "{cache}"), "prices.yfinance_io.yf_history", library=yahoo_run, cli=yahoo_cli),
    Bad("interrupted download (answer cut off: invalid JSON)",
        lambda s: interrupted_session(s, "truncated"), PriceDataError,
        ("no prices for ^GSPC", "unreadable answer from Yahoo Finance", "{cache}"),
        "prices.yfinance_io.yf_history", library=yahoo_run, cli=yahoo_cli),
]


# --- reports ---------------------------------------------------------------------------------


def library_report(study: Study, out: Path | None = None) -> object:
    from eventstudy.present.build import generate
    from eventstudy.present.writer import write_reports

    report_set = generate([EVENT], events=study.events, prices=study.prices, figures=False)
    return write_reports(out or study.root / "reports", report_set.files, report_set.prune)


def cli_report(study: Study, out: Path | None = None) -> list[str]:
    return ["report", EVENT, "--events", str(study.events), "--prices", str(study.prices),
            "--no-figures", "--out", str(out or study.root / "reports")]


def reports_disk_full(study: Study) -> None:
    """An old report in place; from now on files written under the study's folder hit a full
    disk half-way (Path.write_bytes, as the report writer uses)."""
    library_report(study)
    real = Path.write_bytes
    root = str(study.root)

    def write_bytes(self: Path, data: bytes) -> int:
        if not str(self).startswith(root):
            return real(self, data)
        with open(self, "wb") as fh:
            fh.write(data[: len(data) // 2])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))

    study.monkeypatch.setattr(Path, "write_bytes", write_bytes)


CATALOGUE += [
    Bad("unwritable report folder", lambda s: None, ReportError,
        ("cannot write reports to {root}/afile/out", "choose a writable folder with --out"),
        "present.writer.write_reports", library=lambda s: library_report(s, unwritable(s)),
        cli=lambda s: cli_report(s, unwritable(s)), formats=()),
    Bad("disk full while writing a report", reports_disk_full, ReportError,
        ("cannot write reports to {root}/reports", "No space left on device"),
        "present.writer.write_reports", library=library_report, cli=cli_report, formats=()),
]


# --- second round (issue 27): counted twice, out of range, the batch engine's inputs ----------

TWIN = f"""
[securities.ABC2]
ticker = "{TICKER}"
exchange = "XNYS"
benchmark = "{BENCH}"
"""
BASKET_TWICE = f"""
[securities.BSK]
basket = ["{TICKER}", "{TICKER}"]
exchange = "XNYS"
benchmark = "{BENCH}"
"""


def _prepend(study: Study, text: str) -> None:
    study.events.write_text(text + study.events.read_text(encoding="utf-8"), encoding="utf-8")


def returns_frame() -> pd.DataFrame:
    """The synthetic prices as log returns on XNYS sessions (the batch engine's input)."""
    prices = pd.DataFrame(synthetic_prices())
    return np.log(prices).diff().iloc[1:]


def batch_pairs() -> pd.DataFrame:
    return pd.DataFrame({"security": [TICKER], "benchmark": [BENCH], "day0": [DAY0]})


def library_batch(returns: pd.DataFrame | None = None, **options: object) -> object:
    frame = returns_frame() if returns is None else returns
    options = {"estimation": (-80, -6), "window": (-3, 3), "min_estimation": 40, **options}
    return eventstudy.batch(frame, batch_pairs(), **options)


def _with_inf() -> pd.DataFrame:
    frame = returns_frame()
    frame.loc[pd.Timestamp(DAY0), TICKER] = np.inf
    return frame


def batch_files(study: Study, rows: bool = True) -> list[str]:
    """The batch command's pairs file and Parquet returns (``rows=False``: none, columns kept);
    the command fails before it would start or reach a cluster."""
    pairs, panel = study.root / "pairs.csv", study.root / "returns.parquet"
    batch_pairs().to_csv(pairs, index=False)
    frame = returns_frame().rename_axis("date")
    (frame if rows else frame.iloc[:0]).to_parquet(panel)
    return ["batch", str(pairs), "--returns", str(panel)]


CATALOGUE += [
    Bad("an event listing a security twice",
        lambda s: s.edit_events('securities = ["ABC"]', 'securities = ["ABC", "ABC"]'),
        EventsFileError, ("{events}", "event 'ev' securities lists 'ABC' twice",
                          "list each once"), "events.parse_calendar"),
    Bad("two securities of one event with the same ticker",
        lambda s: (_prepend(s, TWIN), s.edit_events('securities = ["ABC"]',
                                                     'securities = ["ABC", "ABC2"]')),
        EventsFileError, ("{events}", "event 'ev' lists 'ABC' and 'ABC2', both ticker ABC",
                          "would count twice", "keep one"), "events.parse_calendar"),
    Bad("a basket listing a member twice",
        lambda s: (_prepend(s, BASKET_TWICE), s.edit_events('securities = ["ABC"]',
                                                             'securities = ["BSK"]')),
        EventsFileError, ("{events}", "[securities.BSK] basket lists 'ABC' twice"),
        "events.parse_calendar"),
    Bad("headline window outside the event window",
        lambda s: s.edit_events('timing = "before-open"',
                                'timing = "before-open"\nheadline = [0, 10]'),
        EventsFileError, ("{events}", "event 'ev' headline [0, 10] lies outside the event "
                          "window [-3, 3] of security 'ABC'"), "events.parse_calendar"),
    Bad("event id ending in a newline",
        lambda s: s.edit_events(f'id = "{EVENT}"', f'id = "{EVENT}\\n"'),
        EventsFileError, ("{events}", "id 'ev\\n' must match [a-z0-9-]+"),
        "events.parse_calendar", library=lambda s: eventstudy.load_events(s.events)),
    Bad("alias differing from a defined one only by case",
        lambda s: s.edit_events('securities = ["ABC"]', 'securities = ["abc"]'),
        EventsFileError, ("{events}", "unknown security 'abc'", "did you mean 'ABC'"),
        "events.parse_calendar"),
    Bad("estimation offset of absurd size",
        lambda s: s.edit_events("estimation = [-80, -6]",
                                "estimation = [-100000000000000000000, -6]"),
        EventsFileError, ("{events}", "[defaults] estimation [-100000000000000000000, -6] is "
                          "out of range", "within ±10,000"), "events.parse_calendar"),
    Bad("announcement in the year 9999",
        lambda s: s.edit_events(f"announced = {DAY0}", "announced = 9999-12-31"),
        CalendarError, ("{events}: event 'ev', security 'ABC'", "announced 9999-12-31 lies "
                        "outside the dates exchange calendars are built for"),
        "sessions.day_zero (study.pair.study_pair)"),
    Bad("negative bootstrap seed", lambda s: None, InputError,
        ("seed = -1", "an integer >= 0"), "inference.aggregate.aggregate",
        library=lambda s: run_event(EVENT, events=s.events, prices=s.prices, seed=-1),
        cli=lambda s: [*cli_run(s), "--seed", "-1"]),
    Bad("a trillion bootstrap resamples", lambda s: None, InputError,
        ("bootstrap = 1000000000000", "from 0 (no interval) to 1,000,000"),
        "inference.aggregate.aggregate",
        library=lambda s: run_event(EVENT, events=s.events, prices=s.prices,
                                    bootstrap=10**12),
        cli=lambda s: [*cli_run(s), "--bootstrap", str(10**12)]),
    Bad("batch: returns frame without rows", lambda s: None, InputError,
        ("returns: no rows",), "study.batch.inputs._check_frame",
        library=lambda s: library_batch(returns_frame().iloc[:0]), cli=None),
    Bad("batch: +inf in the returns", lambda s: None, InputError,
        (f"returns: '{TICKER}' is +inf on {DAY0}", "finite numbers (NaN where missing)"),
        "study.batch.inputs._returns_matrix",
        library=lambda s: library_batch(_with_inf()), cli=None),
    Bad("batch: an infinite estimation offset", lambda s: None, EstimationError,
        ("estimation must be two integers [start, end]", "-inf"),
        "study.batch.inputs._check_settings",
        library=lambda s: library_batch(estimation=(-np.inf, -6)), cli=None),
    Bad("batch: an estimation offset of absurd size", lambda s: None, EstimationError,
        ("estimation [-100000000000000000000, -6] is out of range",),
        "study.batch.inputs._check_settings",
        library=lambda s: library_batch(estimation=(-1e20, -6)),
        cli=lambda s: [*batch_files(s), "--estimation=-100000000000000000000,-6"],
        formats=()),
    Bad("batch: the same security and day 0 twice, pooled", lambda s: None, InputError,
        ("pairs 0 and 1 are the same security 'ABC' with the same day0 2025-06-02",
         "would count twice", "drop_duplicates"), "study.batch.pooling.pair_arrays",
        library=lambda s: eventstudy.batch(
            returns_frame(), pd.concat([batch_pairs()] * 2, ignore_index=True),
            estimation=(-80, -6), window=(-3, 3), min_estimation=40).aggregate(), cli=None),
    Bad("batch command: Parquet returns with columns and no rows", lambda s: None,
        PriceDataError, ("returns.parquet: column 'date': no rows",),
        "study.distributed.panel.open_panel", library=None,
        cli=lambda s: batch_files(s, rows=False), formats=()),
    Bad("batch command: --timeout nan with a scheduler", lambda s: None, EstimationError,
        ("timeout = nan", "a positive number"), "study.distributed.run.batch", library=None,
        cli=lambda s: [*batch_files(s), "--scheduler", "tcp://127.0.0.1:9", "--timeout",
                       "nan"], formats=()),
    # --- volume and volatility (issue 24) ---
    Bad("volume study: price files without a volume column", lambda s: None,
        MissingColumnError,
        ("ABC.csv", "no 'volume' column"), "prices.columns",
        library=lambda s: eventstudy.run(EVENT, events=s.events, prices=s.prices,
                                         measure="volume"),
        cli=lambda s: [*cli_run(s), "--measure", "volume"]),
    Bad("volume study: a negative volume", _negative_volume, PriceDataError,
        ("ABC", "negative"), "prices.columns",
        library=lambda s: eventstudy.run(EVENT, events=s.events, prices=s.prices,
                                         measure="volume"),
        cli=lambda s: [*cli_run(s), "--measure", "volume"]),
    Bad("volatility study: price files without high and low", lambda s: None,
        MissingColumnError,
        ("ABC.csv", "no 'high' column"), "prices.columns",
        library=lambda s: eventstudy.run(EVENT, events=s.events, prices=s.prices,
                                         measure="volatility"),
        cli=lambda s: [*cli_run(s), "--measure", "volatility"]),
    Bad("--measure loudness", lambda s: None, InputError,
        ("measure = 'loudness' is not one of", "volume"), "study.single.event_requests",
        library=lambda s: eventstudy.run(EVENT, events=s.events, prices=s.prices,
                                         measure="loudness"),
        cli=lambda s: [*cli_run(s), "--measure", "loudness"]),
    Bad("events file: measure = \"loud\"",
        lambda s: s.edit_events('model = "market"', 'model = "market"\nmeasure = "loud"'),
        EventsFileError, ("{events}", "measure = 'loud' is not one of"), "events.fields"),
    Bad("events file: volume_benchmark = 3",
        lambda s: s.edit_events('benchmark = "^GSPC"', 'benchmark = "^GSPC"\n'
                                'volume_benchmark = 3'),
        EventsFileError, ("{events}", "volume_benchmark must be"), "events.parse"),
    Bad("events file: shares_outstanding = -5",
        lambda s: s.edit_events('benchmark = "^GSPC"', 'benchmark = "^GSPC"\n'
                                'shares_outstanding = -5'),
        EventsFileError, ("{events}", "shares_outstanding must be a positive number"),
        "events.parse"),
    Bad("volume study under the dimson model", _volume_dimson, EstimationError,
        ("no pair of event 'ev' can be studied", "not a volume model"), "study.measures",
        library=lambda s: eventstudy.run(EVENT, events=s.events, prices=s.prices,
                                         measure="volume"),
        cli=lambda s: [*cli_run(s), "--measure", "volume"]),
]

CATALOGUE += [
    # --- counterfactuals and many tests (issue 25) ---
    Bad("synthetic control without donors", lambda s: None, EstimationError,
        ("no pair of event 'ev' can be studied", "only 0 donors for the synthetic control",
         "donors = ["), "study.synthetic",
        library=lambda s: eventstudy.run(EVENT, events=s.events, prices=s.prices,
                                         model="synthetic"),
        cli=lambda s: [*cli_run(s), "--model", "synthetic"]),
    Bad("events file: donors = \"XOM\"",
        lambda s: s.edit_events('model = "market"', 'model = "market"\ndonors = "XOM"'),
        EventsFileError, ("{events}", "donors must be a non-empty list of distinct ticker"),
        "events.fields"),
    Bad("--adjust bonferroni", lambda s: None, InputError,
        ("adjust = 'bonferroni' is not a multiple-testing adjustment", "holm"),
        "inference.multiple",
        library=lambda s: eventstudy.run(EVENT, events=s.events, prices=s.prices,
                                         adjust="bonferroni"),
        cli=lambda s: [*cli_run(s), "--adjust", "bonferroni"]),
    Bad("calendar-time: --horizon 0", lambda s: None, InputError,
        ("horizon",), "study.calendar_time",
        library=lambda s: eventstudy.calendar_time(
            eventstudy.run_many([EVENT], events=s.events, prices=s.prices), horizon=0,
            events=s.events, prices=s.prices),
        cli=lambda s: ["calendar-time", EVENT, "--events", str(s.events), "--prices",
                       str(s.prices), "--horizon", "0"]),
]


CATALOGUE += [
    # --- results sized to what is asked for, aggregates on the cluster (issue 26) ---
    Bad("batch: fields that are neither car nor paths", lambda s: None, InputError,
        ("fields = 'cars'", "give 'car'"), "study.batch.inputs.check_fields",
        library=lambda s: library_batch(fields="cars"),
        cli=lambda s: [*batch_files(s), "--fields", "cars"], formats=()),
    Bad("batch: a dataset folder where a file is", lambda s: (s.root / "cars").write_text("x"),
        InputError, ("a file is there", "give a folder"), "study.distributed.output",
        library=lambda s: eventstudy.distributed.batch(
            returns_frame(), batch_pairs(), out=s.root / "cars", estimation=(-80, -6),
            window=(-3, 3), min_estimation=40),
        cli=lambda s: [*batch_files(s), "--out", str(s.root / "cars")], formats=()),
    Bad("batch --aggregate: a column the pairs file lacks", lambda s: None, InputError,
        ("--aggregate sector", "has no column 'sector'"), "cli.batch_aggregate.pooled",
        library=None, cli=lambda s: [*batch_files(s), "--aggregate", "sector"], formats=()),
    Bad("cluster aggregate: a CAR window outside the event window", lambda s: None,
        EstimationError, ("CAR window [0, 9]", "not inside the event window"),
        "study.distributed.reduce.aggregate",
        library=lambda s: eventstudy.distributed.aggregate(
            returns_frame(), batch_pairs(), windows=[(0, 9)], estimation=(-80, -6),
            window=(-3, 3), min_estimation=40),
        cli=lambda s: [*batch_files(s), "--aggregate", "all", "--car-window", "0,9",
                       "--window", "-3,3", "--estimation", "-80,-6"], formats=()),
]


def test_disk_full_keeps_the_old_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    study = Study(tmp_path, monkeypatch)
    reports_disk_full(study)
    folder = study.root / "reports"
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert before and all(p.is_file() for p in folder.iterdir())
    study.edit_events('title = "An announcement"', 'title = "Another title"')  # new content
    with pytest.raises(ReportError):
        library_report(study)
    after = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert after == before  # the old report whole, no staging folder or temporary file left


def test_catalogue_is_large_enough() -> None:
    names = [bad.name for bad in CATALOGUE]
    assert len(CATALOGUE) >= 30 and len(set(names)) == len(names)


def make(bad: Bad, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Study:
    study = Study(tmp_path, monkeypatch)
    bad.make(study)
    return study


def _cases(kind: str) -> list:
    out = []
    for bad in CATALOGUE:
        if getattr(bad, kind) is None:
            continue
        reason = bad.xfail_library if kind == "library" else bad.xfail_cli
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        formats = bad.formats if kind == "cli" and bad.formats else ("",)
        for fmt in formats:
            name = f"{bad.name}-{fmt}" if fmt else bad.name
            out.append(pytest.param(bad, fmt, id=name, marks=marks))
    return out


def test_the_baseline_study_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Each entry breaks one thing of this study; unbroken, it gives a result.
    study = Study(tmp_path, monkeypatch)
    result = library_run(study)
    (pair,) = result.pairs
    assert pair.estimation.n_obs == 75 and 0.9 < pair.estimation.beta < 1.5
    out = CliRunner().invoke(app, [*cli_run(study), "--format", "json"])
    assert out.exit_code == 0 and out.stdout.lstrip().startswith("{")
    # ... and through the (fake) Yahoo source and its cache, the same numbers.
    use_fake_yahoo(study)
    (cached,) = yahoo_run(study).pairs
    assert cached.estimation.beta == pytest.approx(pair.estimation.beta, rel=1e-6)


@pytest.mark.parametrize(("bad", "fmt"), _cases("library"))
def test_library_raises_a_package_error(bad: Bad, fmt: str, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    study = make(bad, tmp_path, monkeypatch)
    assert bad.library is not None
    with pytest.raises(EventStudyError) as info:
        bad.library(study)
    assert type(info.value) is bad.error, f"{type(info.value).__name__}: {info.value}"
    message = str(info.value)
    for needle in bad.needles:
        assert study.fill(needle) in message, message


@pytest.mark.parametrize(("bad", "fmt"), _cases("cli"))
def test_cli_one_line_exit_2(bad: Bad, fmt: str, tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    study = make(bad, tmp_path, monkeypatch)
    assert bad.cli is not None
    args = [*bad.cli(study), *(("--format", fmt) if fmt else ())]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr,
                                   result.exception)
    if fmt:
        assert result.stdout == ""  # nothing that parses as a result
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert result.stderr.endswith("\n") and lines, result.stderr
    if bad.warns:
        assert all(line.startswith("warning: ") for line in lines[:-1]), result.stderr
    else:
        assert len(lines) == 1, result.stderr
    line = lines[-1]
    assert line.startswith("error: ")
    for needle in bad.needles:
        assert " ".join(study.fill(needle).split()) in line, line


@pytest.mark.parametrize("fmt", ["table", "csv"])
@pytest.mark.parametrize("name", ["TOML syntax error", "zero price", "unknown exchange code",
                                  "constant prices (zero variance)",
                                  "interrupted download (transfer cut mid-way)"])
def test_cli_other_formats(name: str, fmt: str, tmp_path: Path,
                           monkeypatch: pytest.MonkeyPatch) -> None:
    # The error comes before any output, whatever the format: one line, nothing on stdout.
    (bad,) = [b for b in CATALOGUE if b.name == name]
    study = make(bad, tmp_path, monkeypatch)
    assert bad.cli is not None
    result = CliRunner().invoke(app, [*bad.cli(study), "--format", fmt])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")


def test_disk_full_keeps_the_old_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Whatever the error, a write that fails half-way changes nothing in the cache.
    study = Study(tmp_path, monkeypatch)
    fill_cache(study, "2025-04-30")
    before = {p.name: p.read_bytes() for p in study.cache.iterdir() if p.is_file()}
    disk_full(study)
    with pytest.raises((EventStudyError, OSError)):
        yahoo_run(study)
    after = {p.name: p.read_bytes() for p in study.cache.iterdir() if p.is_file()}
    assert after == before  # same files, same bytes, no temporary file left


def test_interrupted_download_keeps_what_was_fetched(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # ABC arrives whole and is cached; the benchmark's download breaks off: nothing of it is
    # written, ABC's cache entry is complete and valid, and a retry fetches the rest.
    from eventstudy.prices.cache import PriceCache

    study = Study(tmp_path, monkeypatch)
    interrupted_session(study, "cut")
    with pytest.raises(PriceDataError, match="IncompleteRead"):
        yahoo_run(study)
    cache = PriceCache(study.cache)
    assert cache.tickers() == [TICKER]
    entry = cache.read(TICKER)
    assert entry is not None
    expected = synthetic_prices()[TICKER].reindex(entry.series.index)
    assert len(expected) > 100 and not expected.isna().any()
    np.testing.assert_allclose(entry.series.to_numpy(), expected.to_numpy(), rtol=1e-9)
    assert not [p for p in study.cache.iterdir() if p.name.endswith(".tmp")]
    monkeypatch.undo()
    study.monkeypatch = monkeypatch
    use_fake_yahoo(study)
    (pair,) = yahoo_run(study).pairs
    assert pair.estimation.n_obs == 75


def _markdown(root: Path) -> str:  # pragma: no cover - documentation helper
    import tempfile

    rows = ["| # | bad input | caught in | exception | message (today) |",
            "|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory(dir=root) as folder:
        rows += _rows(Path(folder))
    return "\n".join(rows)


def _rows(top: Path) -> list[str]:  # pragma: no cover - documentation helper
    rows = []
    for i, bad in enumerate(CATALOGUE, start=1):
        with pytest.MonkeyPatch.context() as mp:
            (top / str(i)).mkdir()
            study = make(bad, top / str(i), mp)
            if bad.library is not None:
                try:
                    bad.library(study)
                    outcome, message = "**no error**", ""
                except EventStudyError as exc:
                    outcome = type(exc).__name__
                    message = str(exc)
                except Exception as exc:
                    outcome = f"**{type(exc).__name__}** (not a package error)"
                    message = str(exc)
            else:
                assert bad.cli is not None
                result = CliRunner().invoke(app, bad.cli(study))
                outcome = f"CLI exit {result.exit_code}"
                message = (result.stderr.strip().splitlines() or [repr(result.exception)])[-1]
            message = " ".join(message.split()).replace(str(study.root), "…")
            rows.append(f"| {i} | {bad.name} | `{bad.caught}` | {outcome} | "
                        f"{message.replace('|', '/')} |")
    return rows


if __name__ == "__main__":  # pragma: no cover
    print(_markdown(Path(sys.argv[1]) if len(sys.argv) > 1 else Path.cwd()))
