"""TOML in, a validated :class:`~eventstudy.events.spec.Calendar` out: one
:class:`~eventstudy.errors.EventsFileError` naming the file, the table and the key on any
mistake.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

from eventstudy._typing import TIMINGS
from eventstudy.errors import CalendarError, EventsFileError
from eventstudy.events import fields
from eventstudy.events.spec import (
    BENCHMARK_MODELS,
    CONFOUNDER_KEYS,
    EVENT_ID,
    EVENT_KEYS,
    SECURITY_KEYS,
    SETTING_KEYS,
    TOP_KEYS,
    Calendar,
    Confounder,
    Event,
    Security,
    Settings,
    _check_settings,
)
from eventstudy.sessions import canonical_code, infer_exchange


def default_events_path() -> Path | None:
    """``./events.toml`` when it exists, else None (the packaged copy is used)."""
    here = Path.cwd() / "events.toml"
    return here if here.is_file() else None


def load_events(path: str | os.PathLike[str] | None = None) -> Calendar:
    """Read and validate an events file.

    Parameters
    ----------
    path : path-like, optional
        The TOML file. Without it: ``./events.toml``, else the copy shipped with the package.

    Returns
    -------
    Calendar

    Raises
    ------
    EventsFileError
        The file is missing, is not valid TOML, or breaks the schema; the message names the
        file, the table or key, and what to write instead.
    """
    if path is None:
        path = default_events_path()
    if path is None:
        text = resources.files("eventstudy").joinpath("events.toml").read_text("utf-8")
        label = "packaged events.toml"
    else:
        label = str(path)
        try:
            text = Path(path).read_text("utf-8-sig")  # a byte-order mark is not TOML
        except FileNotFoundError:
            raise EventsFileError(f"events file not found: {label}; pass --events FILE") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise EventsFileError(f"cannot read events file {label}: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise EventsFileError(f"{label}: invalid TOML: {exc}") from None
    return parse_calendar(data, label)


def parse_calendar(data: Mapping[str, Any], label: str = "<events>") -> Calendar:
    """Validate a parsed TOML document into a :class:`Calendar`."""
    fields.check_keys(data, TOP_KEYS, label, "top level")
    defaults_table = dict(fields.table(data.get("defaults", {}), label, "[defaults]"))
    source = defaults_table.pop("source", None)  # the price source, not a pair setting
    if source is not None and source not in ("embedded", "yahoo", "cache"):
        raise EventsFileError(f"{label}: [defaults] source = {source!r}; use \"embedded\", "
                              "\"yahoo\" or \"cache\"")
    fields.check_keys(defaults_table, SETTING_KEYS, label, "[defaults]")
    defaults = replace(Settings(), **fields.settings(defaults_table, label, "[defaults]"))
    defaults = _check_settings(defaults, f"{label}: [defaults]")

    securities: dict[str, Security] = {}
    for alias, table in fields.table(data.get("securities", {}), label, "[securities]").items():
        where = f"[securities.{alias}]"
        securities[alias] = _security(alias, fields.table(table, label, where), label)

    raw_events = data.get("events", [])
    if not isinstance(raw_events, list) or not raw_events:
        raise EventsFileError(f"{label}: no [[events]]; add at least one [[events]] table")
    events: list[Event] = []
    seen: set[str] = set()
    for i, table in enumerate(raw_events, start=1):
        event = _event(fields.table(table, label, f"[[events]] #{i}"), i, label)
        if event.id in seen:
            raise EventsFileError(f"{label}: duplicate event id '{event.id}' ([[events]] #{i})")
        seen.add(event.id)
        events.append(event)

    confounders = tuple(
        _confounder(fields.table(t, label, f"[[confounders]] #{i}"), i, label)
        for i, t in enumerate(data.get("confounders", []), start=1)
    )
    calendar = Calendar(label, defaults, securities, tuple(events), confounders, source=source)
    _check_pairs(calendar, label)
    return calendar


def _check_pairs(calendar: Calendar, label: str) -> None:
    """Each (event, security) pair: a known security, counted once in its event (by alias and
    by ticker), with the settings its model needs and the headline inside its event window."""
    securities = calendar.securities
    close: dict[str, str | None] = {}  # a raw ticker named by many events is matched once
    for event in calendar.events:
        tickers: dict[str, str] = {}
        for name in event.securities:
            if name not in securities and name not in close:
                close[name] = fields.nearest(name, securities)
            near = close.get(name)
            if near:
                raise EventsFileError(
                    f"{label}: event '{event.id}' names unknown security '{name}'; did you "
                    f"mean '{near}'? (aliases: {', '.join(securities)})"
                )
            try:
                security = calendar.security(name)
            except CalendarError as exc:  # an unresolvable raw ticker
                raise EventsFileError(
                    f"{label}: event '{event.id}' names '{name}', which is neither a "
                    f"[securities] alias nor a ticker with a known exchange ({exc})"
                ) from None
            twin = tickers.setdefault(security.ticker, name)
            if twin != name:
                raise EventsFileError(
                    f"{label}: event '{event.id}' lists '{twin}' and '{name}', both ticker "
                    f"{security.ticker}: the security would count twice in the event's tests; "
                    "keep one (to compare benchmarks or models: eventstudy run EVENT --models "
                    "market,market@TICKER)"
                )
            settings = calendar.settings(event, security)
            if settings.model == "multi-factor" and not settings.factors:
                raise EventsFileError(
                    f"{label}: event '{event.id}', security '{security.alias}' uses model "
                    '"multi-factor" without factors; set factors = ["TICKER", ...] for the '
                    "security, the event or [defaults]"
                )
            if settings.model in BENCHMARK_MODELS and not security.benchmark:
                raise EventsFileError(
                    f"{label}: security '{security.alias}' has no benchmark but event "
                    f"'{event.id}' uses model '{settings.model}'; set benchmark = \"...\" or "
                    "model = \"constant-mean\""
                )
            (h0, h1), (w0, w1) = event.headline, settings.window
            if h0 < w0 or h1 > w1:
                raise EventsFileError(
                    f"{label}: event '{event.id}' headline {list(event.headline)} lies outside "
                    f"the event window {list(settings.window)} of security '{security.alias}'"
                )


def _security(alias: str, table: Mapping[str, Any], label: str) -> Security:
    where = f"[securities.{alias}]"
    fields.check_keys(table, SECURITY_KEYS, label, where)
    basket = fields.strings(table, "basket", label, where, distinct=True)
    ticker = fields.string(table, "ticker", label, where, default=alias if basket else None)
    exchange = table.get("exchange")
    if exchange is None:
        try:
            exchange = infer_exchange(ticker)
        except CalendarError as exc:
            raise EventsFileError(f"{label}: {where}: {exc}") from None
    elif not isinstance(exchange, str):
        raise EventsFileError(f"{label}: {where} exchange must be a string like \"XTKS\"")
    else:
        _check_exchange(exchange, label, f"{where} exchange")
    benchmark = table.get("benchmark")
    if benchmark is not None and not isinstance(benchmark, str):
        raise EventsFileError(f"{label}: {where} benchmark must be a ticker string")
    if benchmark is not None and benchmark == ticker:
        raise EventsFileError(f"{label}: {where} benchmark is the security itself ({ticker})")
    benchmark_exchange = table.get("benchmark_exchange")
    if benchmark_exchange is not None and not isinstance(benchmark_exchange, str):
        raise EventsFileError(f"{label}: {where} benchmark_exchange must be a string like \"XNYS\"")
    if benchmark_exchange is not None:
        _check_exchange(benchmark_exchange, label, f"{where} benchmark_exchange")
    if benchmark is not None and benchmark_exchange is None:
        try:
            benchmark_exchange = infer_exchange(benchmark)
        except CalendarError:  # e.g. a currency: read on the security's own sessions
            benchmark_exchange = exchange
    proxy = table.get("proxy", bool(basket))
    if not isinstance(proxy, bool):
        raise EventsFileError(f"{label}: {where} proxy must be true or false")
    weights, weights_date = _weights(table, basket, label, where)
    volume_benchmark = table.get("volume_benchmark")
    if volume_benchmark is not None and (not isinstance(volume_benchmark, str)
                                         or volume_benchmark == ticker or not volume_benchmark):
        raise EventsFileError(f"{label}: {where} volume_benchmark must be another security's "
                              f"ticker string, got {volume_benchmark!r}")
    shares = table.get("shares_outstanding")
    if shares is not None and not _positive(shares):
        raise EventsFileError(f"{label}: {where} shares_outstanding must be a positive number, "
                              f"got {shares!r}")
    return Security(
        alias=alias, ticker=ticker, name=fields.string(table, "name", label, where, default=ticker),
        exchange=exchange, benchmark=benchmark, basket=basket, proxy=proxy,
        benchmark_exchange=benchmark_exchange,
        overrides=fields.settings(table, label, where), weights=weights, weights_date=weights_date,
        volume_benchmark=volume_benchmark,
        shares_outstanding=None if shares is None else float(shares),
    )


def _weights(table: Mapping[str, Any], basket: tuple[str, ...], label: str, where: str
             ) -> tuple[tuple[float, ...], dt.date | None]:
    """A basket's ``weights = {TICKER = w, ...}`` (one positive number per member, in the
    basket's order) and ``weights_date``, the date they are as of; both or neither."""
    value, date = table.get("weights"), table.get("weights_date")
    if value is None and date is None:
        return (), None
    if not basket:
        raise EventsFileError(f"{label}: {where} weights and weights_date need a basket")
    if value is None or date is None:
        raise EventsFileError(f"{label}: {where} weights and weights_date go together: give "
                              "the weights and the date they are as of (e.g. 2025-12-30)")
    if not isinstance(date, dt.date) or isinstance(date, dt.datetime):
        raise EventsFileError(f"{label}: {where} weights_date must be a date like 2025-12-30, "
                              f"got {date!r}")
    if not isinstance(value, dict):
        raise EventsFileError(f"{label}: {where} weights must be a table "
                              '{"7203.T" = 3.70, ...}, got ' + repr(value))
    extra = [k for k in value if k not in basket]
    if extra:
        raise EventsFileError(f"{label}: {where} weights name {', '.join(extra)}, not in the "
                              "basket")
    missing = [t for t in basket if t not in value]
    if missing:
        raise EventsFileError(f"{label}: {where} weights lack {', '.join(missing)}; give every "
                              "member a weight")
    bad = [f"{k} = {v!r}" for k, v in value.items() if not _positive(v)]
    if bad:
        raise EventsFileError(f"{label}: {where} weights must be positive numbers: "
                              f"{', '.join(bad)}")
    return tuple(float(value[t]) for t in basket), date


def _positive(v: object) -> bool:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return False
    try:
        return 0 < float(v) < math.inf
    except OverflowError:  # an integer beyond the range of floats
        return False


def _check_exchange(code: str, label: str, where: str) -> None:
    """Refuse a code that names no exchange calendar (checked by name; nothing is built)."""
    try:
        canonical_code(code)
    except CalendarError as exc:
        raise EventsFileError(f"{label}: {where}: {exc}") from None


def _event(table: Mapping[str, Any], index: int, label: str) -> Event:
    where = f"[[events]] #{index}"
    fields.check_keys(table, EVENT_KEYS, label, where)
    event_id = fields.string(table, "id", label, where)
    if not EVENT_ID.fullmatch(event_id):
        raise EventsFileError(f"{label}: {where} id {event_id!r} must match [a-z0-9-]+")
    where = f"event '{event_id}'"
    announced = table.get("announced")
    if isinstance(announced, dt.datetime):
        if announced.tzinfo is None:
            raise EventsFileError(
                f"{label}: {where} announced = {announced.isoformat()} has no UTC offset; write "
                "e.g. 2026-01-06T16:25:00+08:00, or a plain date with timing"
            )
    elif not isinstance(announced, dt.date):
        raise EventsFileError(
            f"{label}: {where} needs announced = an offset datetime (2026-01-06T16:25:00+08:00) "
            f"or a plain date (2026-01-06), got {announced!r}"
        )
    timing = fields.choice(table.get("timing", "unknown"), TIMINGS, label, f"{where} timing")
    securities = fields.strings(table, "securities", label, where, distinct=True)
    if not securities:
        raise EventsFileError(f"{label}: {where} needs securities = [\"ALIAS\", ...]")
    if "headline" in table:
        headline = fields.window(table["headline"], label, f"{where} headline")
    elif not isinstance(announced, dt.datetime) and timing == "unknown":
        headline = (0, 1)
    else:
        headline = (0, 0)
    return Event(
        id=event_id, title=fields.string(table, "title", label, where, default=event_id),
        announced=announced, timing=timing, sources=fields.strings(table, "sources", label, where),
        securities=securities, tags=fields.strings(table, "tags", label, where),
        notes=fields.string(table, "notes", label, where, default=""), headline=headline,
        overrides=fields.settings(table, label, where),
    )


def _confounder(table: Mapping[str, Any], index: int, label: str) -> Confounder:
    where = f"[[confounders]] #{index}"
    fields.check_keys(table, CONFOUNDER_KEYS, label, where)
    date = table.get("date")
    if isinstance(date, dt.datetime):
        date = date.date()
    if not isinstance(date, dt.date):
        raise EventsFileError(f"{label}: {where} needs date = a plain date like 2026-01-07")
    return Confounder(date, fields.string(table, "note", label, where, default=""),
                      fields.strings(table, "securities", label, where))
