"""The events file: TOML in, a validated :class:`Calendar` of frozen dataclasses out.

The file has four tables (see README.md, "The events file", and contract.md):

``[defaults]``
    Study settings (:class:`Settings`) for every pair.
``[securities.ALIAS]``
    One security: ticker, name, exchange, benchmark, optional ``basket`` of member tickers
    (an equal-weighted proxy whose daily return is the mean of its members' returns, or with
    ``weights`` and ``weights_date`` a capitalisation-weighted one), and any setting of
    ``[defaults]`` to override.
``[[events]]``
    One announcement: id, title, announced (an offset datetime, or a plain date with
    ``timing``), sources, tags, securities (aliases or raw tickers) and setting overrides.
``[[confounders]]``
    Dates of other news, each with a note and optionally the securities it concerns; shown
    when one falls inside a pair's event window.

Settings of a pair are merged as ``[defaults]`` < the event's keys < the security's keys: a
security's own keys state what its data can support (an index with no benchmark uses the
constant-mean model whatever the event says).

Modules: :mod:`~eventstudy.events.spec` (the dataclasses) and :mod:`~eventstudy.events.parse`
(reading and validating the file).
"""

from eventstudy.events.parse import default_events_path, load_events, parse_calendar
from eventstudy.events.spec import (
    BENCHMARK_MODELS,
    DEFAULT_BENCHMARKS,
    Calendar,
    Confounder,
    Event,
    Security,
    Settings,
)

__all__ = [
    "BENCHMARK_MODELS", "DEFAULT_BENCHMARKS", "Calendar", "Confounder", "Event", "Security",
    "Settings", "default_events_path", "load_events", "parse_calendar",
]
