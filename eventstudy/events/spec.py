"""What an events file holds, as frozen dataclasses: :class:`Settings` of a pair, a
:class:`Security`, a :class:`Confounder`, an :class:`Event` and the whole :class:`Calendar`.
Built and validated by :mod:`eventstudy.events.parse`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from eventstudy._typing import Window
from eventstudy.errors import EventsFileError, UnknownEventError
from eventstudy.sessions import infer_exchange

EVENT_ID = re.compile(r"[a-z0-9-]+")  # the whole id: EVENT_ID.fullmatch
SETTING_KEYS = (
    "estimation", "window", "car", "model", "returns", "min_estimation", "factors", "lags",
    "leads", "exclude_event_windows", "exclude_confounders", "full_estimation", "measure",
    "donors",
)
SECURITY_KEYS = (
    "ticker", "name", "exchange", "benchmark", "benchmark_exchange", "basket", "proxy",
    "weights", "weights_date", "volume_benchmark", "shares_outstanding",
    *SETTING_KEYS,
)
EVENT_KEYS = (
    "id", "title", "announced", "timing", "sources", "securities", "tags", "notes", "headline",
    *SETTING_KEYS,
)
CONFOUNDER_KEYS = ("date", "note", "securities")
TOP_KEYS = ("defaults", "securities", "events", "confounders")
BENCHMARK_MODELS = ("market", "market-adjusted", "dimson", "scholes-williams", "garch")
DEFAULT_BENCHMARKS = {"XTKS": "^TOPX", "XASX": "^AXJO", "XNYS": "^GSPC"}


@dataclass(frozen=True)
class Settings:
    """How one pair is studied.

    Attributes
    ----------
    estimation : (int, int)
        Inclusive session offsets of the estimation window relative to day 0.
    window : (int, int)
        Inclusive session offsets of the event window, reported day by day.
    car : tuple of (int, int)
        CAR windows reported; each lies inside ``window``.
    model : str
        Normal-return model: one of ``MODEL_NAMES`` ("market", "constant-mean",
        "market-adjusted", "multi-factor", "dimson", "scholes-williams", "garch",
        "synthetic").
    returns : str
        "log" or "simple".
    min_estimation : int
        Fewer usable estimation returns exclude the pair, with the reason.
    factors : tuple of str
        Factor tickers of the "multi-factor" model (each read by instant when it trades on
        another exchange).
    lags, leads : int
        Lags and leads of the benchmark in the "dimson" model (leads default to lags).
    exclude_event_windows : bool
        Drop from the estimation sample the sessions inside another event's window for the
        same security (default true).
    exclude_confounders : bool
        Drop the security's listed confounder dates from the estimation sample (default true).
    full_estimation : bool
        The strict sample rule: exclude the pair when its estimation window starts before the
        first price of the security or of a regressor (default false: the estimation sample is
        the returns that exist inside the window, and only fewer than ``min_estimation`` of
        them exclude the pair).
    measure : str
        What is studied (``MEASURES``): "returns" (default), "volume" (log(1 + volume), or log
        turnover with ``shares_outstanding``) or "volatility" (the Parkinson high-low variance,
        with the variance-ratio and GARCH event-dummy tests of the returns).
    donors : tuple of str
        The donor pool of the "synthetic" model (default: the names of the pair's exchange in
        the price source that the event does not study; :mod:`eventstudy.study.synthetic`).
    """

    estimation: Window = (-250, -11)
    window: Window = (-5, 5)
    car: tuple[Window, ...] = ((0, 0), (0, 1), (-1, 1), (0, 5))
    model: str = "market"
    returns: str = "log"
    min_estimation: int = 60
    factors: tuple[str, ...] = ()
    lags: int = 1
    leads: int | None = None
    exclude_event_windows: bool = True
    exclude_confounders: bool = True
    full_estimation: bool = False
    measure: str = "returns"
    donors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Security:
    """A security of the events file (or a raw ticker named by an event).

    ``basket`` lists member tickers when the security is a proxy; ``ticker`` is then only a
    label. ``weights`` (empty: equal weights) are the members' weights as given (only their
    ratios matter).
    ``benchmark_exchange`` is the exchange whose sessions the benchmark follows (inferred from
    its ticker, else the security's own); a benchmark on another exchange is aligned by instant.
    ``overrides`` holds the security's own settings. ``volume_benchmark`` is the ticker whose
    volume is the market volume of a volume study (default: the benchmark's, else the mean log
    volume of the exchange's names in the source); ``shares_outstanding`` turns volume into
    turnover.
    """

    alias: str
    ticker: str
    name: str
    exchange: str
    benchmark: str | None
    basket: tuple[str, ...] = ()
    proxy: bool = False
    benchmark_exchange: str | None = None
    overrides: Mapping[str, Any] = field(default_factory=dict)
    weights: tuple[float, ...] = ()
    weights_date: dt.date | None = None
    volume_benchmark: str | None = None
    shares_outstanding: float | None = None

    @property
    def weighting(self) -> str:
        """How the basket is weighted, for notes: "" (no basket), equal or capitalisation."""
        if not self.basket:
            return ""
        if not self.weights:
            return "equal-weighted"
        return f"capitalisation-weighted (weights as of {self.weights_date})"


@dataclass(frozen=True)
class Confounder:
    """Other news on ``date`` that may move the securities it names (all when empty)."""

    date: dt.date
    note: str
    securities: tuple[str, ...] = ()


@dataclass(frozen=True)
class Event:
    """One announcement.

    ``announced`` is a timezone-aware :class:`datetime.datetime` (an instant) or a plain
    :class:`datetime.date`, read with ``timing``. ``headline`` is the CAR window a reader
    should look at first: (0, +1) when the timing is unknown, as the literature does.
    ``named`` keeps the securities the events file names for the event when a study keeps only
    some of them (``--securities``): a synthetic control's donors exclude them all.
    """

    id: str
    title: str
    announced: dt.datetime | dt.date
    timing: str
    sources: tuple[str, ...]
    securities: tuple[str, ...]
    tags: tuple[str, ...] = ()
    notes: str = ""
    headline: Window = (0, 0)
    overrides: Mapping[str, Any] = field(default_factory=dict)
    named: tuple[str, ...] = ()  # the securities the file names, when a study cuts them

    @property
    def announced_text(self) -> str:
        """`announced` as ISO 8601 text (offset datetime or date)."""
        return self.announced.isoformat()


@dataclass(frozen=True)
class Calendar:
    """The validated contents of an events file."""

    path: str
    defaults: Settings
    securities: Mapping[str, Security]
    events: tuple[Event, ...]
    confounders: tuple[Confounder, ...] = ()
    source: str | None = None  # [defaults] source: "embedded" | "yahoo" | "cache"

    def __post_init__(self) -> None:
        # lookups a study repeats for every pair (a frozen object: set once, never compared)
        object.__setattr__(self, "_by_id", {e.id: e for e in self.events})
        object.__setattr__(self, "_settings", {})
        object.__setattr__(self, "_raw", {})

    def event(self, event_id: str) -> Event:
        """The event with this id; :class:`UnknownEventError` otherwise."""
        event = self._by_id.get(event_id)  # type: ignore[attr-defined]
        if event is not None:
            return event
        ids = [e.id for e in self.events]
        close = difflib.get_close_matches(event_id, ids, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise UnknownEventError(
            f"unknown event '{event_id}' in {self.path}: {hint}"
            f"run 'eventstudy list' to see the {len(ids)} events"
        )

    def security(self, name: str) -> Security:
        """The security of alias ``name``, or a raw ticker resolved by its exchange suffix."""
        if name in self.securities:
            return self.securities[name]
        raw = self._raw  # type: ignore[attr-defined]
        if name not in raw:
            exchange = infer_exchange(name)
            raw[name] = Security(
                alias=name, ticker=name, name=name, exchange=exchange,
                benchmark=DEFAULT_BENCHMARKS.get(exchange), benchmark_exchange=exchange,
            )
        return raw[name]

    def settings(self, event: Event, security: Security) -> Settings:
        """The pair's settings: defaults < event overrides < security overrides."""
        cache = self._settings  # type: ignore[attr-defined]
        # the settings depend on the two override tables only (most pairs share empty ones)
        ours, theirs = event.overrides, security.overrides
        key = (id(ours), id(theirs)) if ours or theirs else ()
        hit = cache.get(key)
        if hit is not None and (key == () or (hit[0] is ours and hit[1] is theirs)):
            return hit[2]
        settings = self._merged(event, security)
        cache[key] = (ours, theirs, settings)  # both held, so their ids stay theirs
        return settings

    def _merged(self, event: Event, security: Security) -> Settings:
        merged = replace(self.defaults, **event.overrides) if event.overrides else self.defaults
        if security.overrides:
            merged = replace(merged, **security.overrides)
        return _check_settings(merged, f"{self.path}: event '{event.id}', security "
                                         f"'{security.alias}'")

    def confounders_for(self, security: Security) -> tuple[Confounder, ...]:
        """The confounders that concern ``security``."""
        return tuple(
            c for c in self.confounders
            if not c.securities or security.alias in c.securities or security.ticker in c.securities
        )


def _check_settings(settings: Settings, where: str) -> Settings:
    est, win = settings.estimation, settings.window
    if est[1] >= win[0]:
        raise EventsFileError(
            f"{where}: estimation window {list(est)} overlaps or follows the event window "
            f"{list(win)}; the estimation window must end before offset {win[0]}"
        )
    for car in settings.car:
        if car[0] < win[0] or car[1] > win[1]:
            raise EventsFileError(
                f"{where}: CAR window {list(car)} lies outside the event window {list(win)}"
            )
    return settings
