"""One event study: events + prices -> day 0 -> returns -> model -> abnormal returns -> tests.

Glue only: each step is a function of the module named for it; one pair is studied by
:func:`eventstudy.study.stacked.study_pairs` (the pairs that need it one by one by
:func:`eventstudy.study.pair.study_pair`, its estimation sample checked and described by
:mod:`eventstudy.study.sample`). A pair that cannot be studied
(no prices around the event, too short a history, zero variance) is excluded with its reason;
bad input (unknown event, missing price file, invalid TOML) raises an
:class:`~eventstudy.errors.EventStudyError`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace

from eventstudy._lazy import Deferred
from eventstudy._typing import MEASURES, MODEL_NAMES
from eventstudy.errors import EstimationError, InputError
from eventstudy.events import Calendar, Event, load_events
from eventstudy.inference.aggregate import Aggregate
from eventstudy.inference.multiple import check_method
from eventstudy.prices import PriceSource, open_source
from eventstudy.prices.checked import checked
from eventstudy.study.adjusted import adjusted
from eventstudy.study.arrays import aggregate_pairs
from eventstudy.study.results import EventStudyResult, Excluded, PairResult
from eventstudy.study.sample import _Exclude
from eventstudy.study.stacked import Request, study_pairs

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
    model: str | None = None,
    measure: str | None = None,
    adjust: str | None = None,
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
    model : str, optional
        Study every pair under this normal-return model (one of ``MODEL_NAMES``) instead of the
        events file's; each pair keeps its other settings. A pair the model cannot be used for
        (no benchmark, no factors) is excluded with the reason.
    measure : {"returns", "volume", "volatility"}, optional
        What to study instead of the events file's ``measure`` (default returns): the
        abnormal log volume, or the abnormal Parkinson variance with the variance-ratio and
        GARCH event-dummy tests of the returns (README, "Volume and volatility").
    adjust : {"holm", "bh", "by", "none"}, optional
        Adjust the p-values for multiple testing: Holm (1979), Benjamini & Hochberg (1995) or
        Benjamini & Yekutieli (2001). Each pair's ``car`` and ``days`` gain ``p_adjusted``,
        the aggregate's tests carry it, ``result.adjust`` names the method; the families are
        those of :mod:`eventstudy.study.adjusted` (all pairs' CAR tests of the study one
        family; each aggregate test across the CAR windows another).

    Returns
    -------
    EventStudyResult

    Raises
    ------
    EventStudyError
        Unknown event, invalid events file, missing or invalid price file, unknown ``adjust``.
    """
    check_method(adjust)  # before any work
    calendar = events if isinstance(events, Calendar) else load_events(events)
    price_source = open_prices(calendar, prices=prices, source=source, cache_dir=cache_dir)
    event = calendar.event(event_id)
    if hasattr(price_source, "prepare_event"):  # e.g. Yahoo: fetch the dates the event needs
        price_source.prepare_event(calendar, event)
    requests = event_requests(calendar, event, model, measure)
    return adjusted(event_result(event, requests, study_pairs(calendar, requests, price_source)),
                    adjust)


def open_prices(calendar: Calendar, *,
                prices: str | os.PathLike[str] | PriceSource | None = None,
                source: str | None = None, cache_dir: str | os.PathLike[str] | None = None
                ) -> PriceSource:
    """The price source of a study, validating each series once (see :func:`run`)."""
    return checked(prices if isinstance(prices, PriceSource) else open_source(
        prices, source=source, cache_dir=cache_dir, default=calendar.source))


def event_requests(calendar: Calendar, event: Event, model: str | None = None,
                   measure: str | None = None) -> list[Request]:
    """The pairs of one event, each with its settings (its model replaced by ``model``, its
    measure by ``measure`` when given), in the event's order."""
    if model is not None and model not in MODEL_NAMES:
        raise InputError(f"model = {model!r} is not one of: {', '.join(MODEL_NAMES)}")
    if measure is not None and measure not in MEASURES:
        raise InputError(f"measure = {measure!r} is not one of: {', '.join(MEASURES)}")
    out = []
    for name in event.securities:
        security = calendar.security(name)
        settings = calendar.settings(event, security)
        if model is not None and model != settings.model:
            settings = replace(settings, model=model)
        if measure is not None and measure != settings.measure:
            settings = replace(settings, measure=measure)
        out.append(Request(event, security, settings))
    return out


def event_result(event: Event, requests: Sequence[Request],
                 found: Sequence[PairResult | _Exclude], *, deferred: bool = False
                 ) -> EventStudyResult:
    """The study of one event from its pairs' outcomes; the aggregate is computed when first
    read with ``deferred`` (a pooled study shows it only on demand).

    Raises
    ------
    EstimationError
        No pair of the event could be studied (``.excluded`` lists them with the reasons).
    """
    pairs = [p for p in found if isinstance(p, PairResult)]
    excluded = [Excluded(r.security.alias, r.security.ticker, str(x), x.kind)
                for r, x in zip(requests, found, strict=True) if isinstance(x, _Exclude)]
    if not pairs:
        reasons = "; ".join(f"{x.security}: {x.reason}" for x in excluded)
        error = EstimationError(f"no pair of event '{event.id}' can be studied ({reasons})")
        error.excluded = tuple(excluded)  # type: ignore[attr-defined]  # for run_many's count
        raise error
    windows = tuple(dict.fromkeys(w for p in pairs for w in p.car_windows()))

    def agg() -> Aggregate:
        return aggregate_pairs(pairs, windows, [(event.id, p.security) for p in pairs])

    return EventStudyResult(event, tuple(pairs), tuple(excluded),
                            Deferred(agg) if deferred else agg(),  # type: ignore[arg-type]
                            CONVENTIONS, windows)
