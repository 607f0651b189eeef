"""One event study: events + prices -> day 0 -> returns -> model -> abnormal returns -> tests.

Glue only: each step is a function of the module named for it; one pair is studied by
:func:`eventstudy.study.pair.study_pair`, its estimation sample checked and described by
:mod:`eventstudy.study.sample`. A pair that cannot be studied
(no prices around the event, too short a history, zero variance) is excluded with its reason;
bad input (unknown event, missing price file, invalid TOML) raises an
:class:`~eventstudy.errors.EventStudyError`.
"""

from __future__ import annotations

import os

from eventstudy.errors import (
    EstimationError,
)
from eventstudy.events import Calendar, load_events
from eventstudy.prices import PriceSource, open_source
from eventstudy.prices.checked import checked
from eventstudy.study.arrays import aggregate_pairs
from eventstudy.study.pair import _Exclude, study_pair
from eventstudy.study.results import EventStudyResult, Excluded, PairResult

CONVENTIONS = {
    "sigma": "σ̂² = SSR / (M − k); k = 2 market, 1 constant-mean, 0 market-adjusted",
    "se": "prediction-error corrected: σ̂²[1 + 1/M + (R_m − R̄_m)²/Sxx] (CLM 1997 §4.4)",
    "car_se": "closed form σ̂²[L + L²/M + (Σ(R_m − R̄_m))²/Sxx] = γ'Vγ",
    "p": "two-sided, Student t with M − k df (single pair); csect_t t(N − 1)",
    "gaps": "trade to trade: a return after a missing price spans the gap for security and "
            "benchmark; such returns are left out of the estimation sample",
    "bhar": "Π(1 + R) − Π(1 + E[R]) over the window, in simple returns",
    "offsets": "sessions of each security's own exchange (exchange_calendars)",
}


def run(
    event_id: str,
    *,
    events: str | os.PathLike[str] | Calendar | None = None,
    prices: str | os.PathLike[str] | PriceSource | None = None,
    source: str | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
) -> EventStudyResult:
    """Run the event study of one event of an events file.

    Parameters
    ----------
    event_id : str
        The ``id`` of an ``[[events]]`` table.
    events : path, Calendar or None
        The events file (default ``./events.toml``, else the packaged calendar), or a loaded
        :class:`~eventstudy.events.Calendar`.
    prices : path, PriceSource or None
        A folder of ``<TICKER>.csv`` files, a price source, or None for the embedded dataset.
    source : {"embedded", "yahoo", "cache"}, optional
        The price source when `prices` is None (default ``$EVENTSTUDY_SOURCE``, else the
        events file's ``[defaults] source``, else embedded); see
        :func:`eventstudy.prices.open_source`.
    cache_dir : path, optional
        The price cache of the ``yahoo`` and ``cache`` sources.

    Returns
    -------
    EventStudyResult

    Raises
    ------
    EventStudyError
        Unknown event, invalid events file, missing or invalid price file.
    """
    calendar = events if isinstance(events, Calendar) else load_events(events)
    price_source = checked(prices if isinstance(prices, PriceSource) else open_source(
        prices, source=source, cache_dir=cache_dir, default=calendar.source))
    event = calendar.event(event_id)
    if hasattr(price_source, "prepare_event"):  # e.g. Yahoo: fetch the dates the event needs
        price_source.prepare_event(calendar, event)
    pairs: list[PairResult] = []
    excluded: list[Excluded] = []
    for name in event.securities:
        security = calendar.security(name)
        settings = calendar.settings(event, security)
        try:
            pairs.append(study_pair(calendar, event, security, settings, price_source))
        except _Exclude as why:
            excluded.append(Excluded(security.alias, security.ticker, str(why), why.kind))
    if not pairs:
        reasons = "; ".join(f"{x.security}: {x.reason}" for x in excluded)
        error = EstimationError(f"no pair of event '{event.id}' can be studied ({reasons})")
        error.excluded = tuple(excluded)  # type: ignore[attr-defined]  # for run_many's count
        raise error
    windows = tuple(dict.fromkeys(w for p in pairs for w in p.car["window"]))
    agg = aggregate_pairs(pairs, windows, [(event.id, p.security) for p in pairs])
    return EventStudyResult(event, tuple(pairs), tuple(excluded), agg, CONVENTIONS, windows)
