"""TOML in, a validated :class:`~eventstudy.events.spec.Calendar` out: one
:class:`~eventstudy.errors.EventsFileError` naming the file, the table and the key on any
mistake.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

from eventstudy._typing import MODEL_NAMES, RETURN_KINDS, TIMINGS, Window
from eventstudy.errors import CalendarError, EventsFileError
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
from eventstudy.sessions import as_window, canonical_code, infer_exchange


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
            text = Path(path).read_text("utf-8")
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
    _check_keys(data, TOP_KEYS, label, "top level")
    defaults_table = dict(_table(data.get("defaults", {}), label, "[defaults]"))
    source = defaults_table.pop("source", None)  # the price source, not a pair setting
    if source is not None and source not in ("embedded", "yahoo", "cache"):
        raise EventsFileError(f"{label}: [defaults] source = {source!r}; use \"embedded\", "
                              "\"yahoo\" or \"cache\"")
    _check_keys(defaults_table, SETTING_KEYS, label, "[defaults]")
    defaults = replace(Settings(), **_settings(defaults_table, label, "[defaults]"))
    defaults = _check_settings(defaults, f"{label}: [defaults]")

    securities: dict[str, Security] = {}
    for alias, table in _table(data.get("securities", {}), label, "[securities]").items():
        securities[alias] = _security(alias, _table(table, label, f"[securities.{alias}]"), label)

    raw_events = data.get("events", [])
    if not isinstance(raw_events, list) or not raw_events:
        raise EventsFileError(f"{label}: no [[events]]; add at least one [[events]] table")
    events: list[Event] = []
    seen: set[str] = set()
    for i, table in enumerate(raw_events, start=1):
        event = _event(_table(table, label, f"[[events]] #{i}"), i, label)
        if event.id in seen:
            raise EventsFileError(f"{label}: duplicate event id '{event.id}' ([[events]] #{i})")
        seen.add(event.id)
        events.append(event)

    confounders = tuple(
        _confounder(_table(t, label, f"[[confounders]] #{i}"), i, label)
        for i, t in enumerate(data.get("confounders", []), start=1)
    )
    calendar = Calendar(label, defaults, securities, tuple(events), confounders, source=source)
    close: dict[str, list[str]] = {}  # a raw ticker named by many events is matched once
    for event in events:
        for name in event.securities:
            if name not in securities and name not in close:
                close[name] = difflib.get_close_matches(name, list(securities), n=1,
                                                        cutoff=0.75)
            near = close.get(name, ())
            if near:
                raise EventsFileError(
                    f"{label}: event '{event.id}' names unknown security '{name}'; did you "
                    f"mean '{near[0]}'? (aliases: {', '.join(securities)})"
                )
            try:
                security = calendar.security(name)
            except CalendarError as exc:  # an unresolvable raw ticker
                raise EventsFileError(
                    f"{label}: event '{event.id}' names '{name}', which is neither a "
                    f"[securities] alias nor a ticker with a known exchange ({exc})"
                ) from None
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
    return calendar


def _table(value: Any, label: str, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise EventsFileError(f"{label}: {where} must be a table, not {type(value).__name__}")
    return value


def _check_keys(table: Mapping[str, Any], allowed: Sequence[str], label: str, where: str) -> None:
    for key in table:
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"allowed: {', '.join(allowed)}"
            raise EventsFileError(f"{label}: unknown key '{key}' in {where}; {hint}")


def _window(value: Any, label: str, where: str) -> Window:
    try:
        return as_window(value)
    except ValueError as exc:
        raise EventsFileError(f"{label}: {where} {exc}") from None


def _settings(table: Mapping[str, Any], label: str, where: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in SETTING_KEYS:
        if key not in table:
            continue
        value = table[key]
        at = f"{where} {key}"
        if key in ("estimation", "window"):
            out[key] = _window(value, label, at)
        elif key == "car":
            if not isinstance(value, list) or not value:
                raise EventsFileError(f"{label}: {at} must be a list of [start, end] windows")
            out[key] = tuple(_window(v, label, at) for v in value)
        elif key == "model":
            out[key] = _choice(value, MODEL_NAMES, label, at)
        elif key == "returns":
            out[key] = _choice(value, RETURN_KINDS, label, at)
        elif key == "min_estimation":
            if not isinstance(value, int) or isinstance(value, bool) or value < 3:
                raise EventsFileError(f"{label}: {at} must be an integer >= 3, got {value!r}")
            out[key] = value
        elif key == "factors":
            if not isinstance(value, list) or not value or not all(
                isinstance(v, str) and v for v in value
            ) or len(set(value)) != len(value):
                raise EventsFileError(
                    f"{label}: {at} must be a non-empty list of distinct ticker strings, e.g. "
                    f'factors = ["^TOPX", "JPY=X"]; got {value!r}'
                )
            out[key] = tuple(value)
        elif key in ("lags", "leads"):
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 10:
                raise EventsFileError(
                    f"{label}: {at} must be an integer from 0 to 10, got {value!r}")
            out[key] = value
        elif key in ("exclude_event_windows", "exclude_confounders", "full_estimation"):
            if not isinstance(value, bool):
                raise EventsFileError(f"{label}: {at} must be true or false, got {value!r}")
            out[key] = value
    return out


def _choice(value: Any, allowed: Sequence[str], label: str, where: str) -> str:
    if value not in allowed:
        raise EventsFileError(
            f"{label}: {where} = {value!r} is not one of: {', '.join(map(repr, allowed))}"
        )
    return str(value)


def _string(table: Mapping[str, Any], key: str, label: str, where: str, default: str | None = None
            ) -> str:
    value = table.get(key, default)
    if value is None:
        raise EventsFileError(f"{label}: {where} needs '{key}'")
    if not isinstance(value, str):
        raise EventsFileError(f"{label}: {where} {key} must be a string, got {value!r}")
    return value


def _strings(table: Mapping[str, Any], key: str, label: str, where: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise EventsFileError(f"{label}: {where} {key} must be a list of strings, got {value!r}")
    return tuple(value)


def _security(alias: str, table: Mapping[str, Any], label: str) -> Security:
    where = f"[securities.{alias}]"
    _check_keys(table, SECURITY_KEYS, label, where)
    basket = _strings(table, "basket", label, where)
    ticker = _string(table, "ticker", label, where, default=alias if basket else None)
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
    return Security(
        alias=alias, ticker=ticker, name=_string(table, "name", label, where, default=ticker),
        exchange=exchange, benchmark=benchmark, basket=basket, proxy=proxy,
        benchmark_exchange=benchmark_exchange,
        overrides=_settings(table, label, where), weights=weights, weights_date=weights_date,
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
    bad = [f"{k} = {v!r}" for k, v in value.items()
           if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v < float("inf")]
    if bad:
        raise EventsFileError(f"{label}: {where} weights must be positive numbers: "
                              f"{', '.join(bad)}")
    return tuple(float(value[t]) for t in basket), date


def _check_exchange(code: str, label: str, where: str) -> None:
    """Refuse a code that names no exchange calendar (checked by name; nothing is built)."""
    try:
        canonical_code(code)
    except CalendarError as exc:
        raise EventsFileError(f"{label}: {where}: {exc}") from None


def _event(table: Mapping[str, Any], index: int, label: str) -> Event:
    where = f"[[events]] #{index}"
    _check_keys(table, EVENT_KEYS, label, where)
    event_id = _string(table, "id", label, where)
    if not EVENT_ID.match(event_id):
        raise EventsFileError(f"{label}: {where} id '{event_id}' must match [a-z0-9-]+")
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
    timing = _choice(table.get("timing", "unknown"), TIMINGS, label, f"{where} timing")
    securities = _strings(table, "securities", label, where)
    if not securities:
        raise EventsFileError(f"{label}: {where} needs securities = [\"ALIAS\", ...]")
    if "headline" in table:
        headline = _window(table["headline"], label, f"{where} headline")
    elif not isinstance(announced, dt.datetime) and timing == "unknown":
        headline = (0, 1)
    else:
        headline = (0, 0)
    return Event(
        id=event_id, title=_string(table, "title", label, where, default=event_id),
        announced=announced, timing=timing, sources=_strings(table, "sources", label, where),
        securities=securities, tags=_strings(table, "tags", label, where),
        notes=_string(table, "notes", label, where, default=""), headline=headline,
        overrides=_settings(table, label, where),
    )


def _confounder(table: Mapping[str, Any], index: int, label: str) -> Confounder:
    where = f"[[confounders]] #{index}"
    _check_keys(table, CONFOUNDER_KEYS, label, where)
    date = table.get("date")
    if isinstance(date, dt.datetime):
        date = date.date()
    if not isinstance(date, dt.date):
        raise EventsFileError(f"{label}: {where} needs date = a plain date like 2026-01-07")
    return Confounder(date, _string(table, "note", label, where, default=""),
                      _strings(table, "securities", label, where))
