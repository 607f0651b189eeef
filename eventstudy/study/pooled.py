"""Pooled event studies: several events, a tag of the events file, a subset of securities.

Each event is studied by :func:`eventstudy.study.single.run`, unchanged; this module only selects
the events and securities, keys every pair on (event, security) and aggregates all pairs at once
with :func:`eventstudy.study.arrays.aggregate_pairs`. One security in several events is
several pairs (N counts pairs, never securities), and pairs of different events do not share a day
0: r̄ treats them as uncorrelated and the portfolio test is left undefined.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import pandas as pd

from eventstudy import _display
from eventstudy.errors import EstimationError, UnknownEventError, warn_excluded
from eventstudy.events import Calendar, Event, load_events
from eventstudy.events.fields import nearest
from eventstudy.inference.aggregate import BOOTSTRAP, Aggregate
from eventstudy.inference.multiple import check_method
from eventstudy.study.adjusted import adjusted
from eventstudy.study.arrays import aggregate_pairs
from eventstudy.study.results import (
    EventStudyResult,
    Excluded,
    PairResult,
    _event_dict,
    _pair_dict,
    aggregate_dict,
    caar_text,
    tests_frame,
    volatility_frame,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass(frozen=True)
class PooledResult(_display.Rendered):
    """The studies of several events and the aggregate over all their pairs.

    ``results`` holds one :class:`EventStudyResult` per event studied (each with its own
    per-event aggregate); ``failed`` the events of which no pair could be studied, with the
    reason; ``aggregate`` pools every (event, security) pair.
    """

    events: tuple[Event, ...]
    results: tuple[EventStudyResult, ...]
    aggregate: Aggregate
    windows: tuple[tuple[int, int], ...]
    tag: str | None = None
    securities: tuple[str, ...] = ()
    failed: tuple[tuple[Event, str], ...] = ()
    conventions: dict[str, str] = field(default_factory=dict)
    adjust: str | None = None  # the p-value adjustment (eventstudy.study.adjusted), if any

    @property
    def pairs(self) -> tuple[tuple[str, PairResult], ...]:
        """Every studied pair with its event id, in event order."""
        return tuple((r.event.id, p) for r in self.results for p in r.pairs)

    @property
    def excluded(self) -> tuple[tuple[str, Excluded], ...]:
        """Every excluded pair with its event id (events that failed as a whole included)."""
        out = [(r.event.id, x) for r in self.results for x in r.excluded]
        out += [(e.id, Excluded(s, s, reason)) for e, reason in self.failed
                for s in e.securities]
        return tuple(out)

    def to_frame(self) -> pd.DataFrame:
        """Tidy per-day rows of every pair: one per (event, security, t)."""
        return pd.concat([r.to_frame() for r in self.results], ignore_index=True)

    def car_frame(self) -> pd.DataFrame:
        """Tidy CAR rows of every pair: one per (event, security, window)."""
        return pd.concat([r.car_frame() for r in self.results], ignore_index=True)

    def volatility_frame(self) -> pd.DataFrame:
        """The volatility tests of every pair (``measure = "volatility"``), with an ``event``
        column, and the variance ratio pooled over all of them in the last row (see
        :meth:`EventStudyResult.volatility_frame`); empty for another measure."""
        pairs = tuple(p for _, p in self.pairs)
        frame = volatility_frame(pairs)
        events = [e for e, p in self.pairs if p.volatility is not None]
        return frame.assign(event=[*events, ""][:len(frame)])[["event", *frame.columns]]

    def tests_frame(self) -> pd.DataFrame:
        """The pooled aggregate's tests as tidy rows: one per (day or CAR window, test key);
        the ``level`` column is ``"day"`` or ``"window"`` (see :meth:`Aggregate.tests_frame`)."""
        return tests_frame(self.aggregate)

    def __repr__(self) -> str:
        what = f" tag '{self.tag}'" if self.tag else ""
        heads = {tuple(e.headline) for e in self.events}
        window = heads.pop() if len(heads) == 1 else self.windows[0] if self.windows else (0, 0)
        return (f"<PooledResult{what}: {len(self.results)} events, {len(self.pairs)} pairs, "
                f"{len(self.excluded)} excluded"
                f"{caar_text(self.aggregate, window, self.results[0].measure)}>")

    def plot(self) -> Figure:
        """The pooled CAAR path over every pair with its 95 % cross-sectional band (the CAAR
        figure of the reports); a :class:`matplotlib.figure.Figure`, no pyplot."""
        return _display.plot(self)

    def to_dict(self) -> dict[str, Any]:
        """The pooled JSON document: ``events``, ``pairs`` (with ``event``), ``excluded``,
        ``aggregate``."""
        return self._document

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self._document, indent=indent, allow_nan=False, ensure_ascii=False)

    @cached_property
    def _document(self) -> dict[str, Any]:
        events: dict[str, dict[str, Any] | None] = {e.id: None for e in self.events}
        for r in self.results:  # the per-event aggregates are not part of the pooled document
            events[r.event.id] = _event_dict(r.event)
        for e, _ in self.failed:
            events[e.id] = {"id": e.id, "title": e.title, "announced": e.announced_text,
                            "timing": e.timing, "tags": list(e.tags)}
        return {
            "events": [v for v in events.values() if v is not None],
            "measure": self.results[0].measure,
            "adjust": self.adjust,
            "pairs": [{"event": r.event.id, **_pair_dict(p)} for r in self.results
                      for p in r.pairs],
            "excluded": [{"event": eid, "security": x.security, "ticker": x.ticker,
                          "reason": x.reason} for eid, x in self.excluded],
            "aggregate": aggregate_dict(self.aggregate),
            "selection": {"events": [e.id for e in self.events], "tag": self.tag,
                          "securities": list(self.securities) or None},
            "conventions": dict(self.conventions),
        }


def select_events(calendar: Calendar, event_ids: Sequence[str] = (), tag: str | None = None
                  ) -> tuple[Event, ...]:
    """The events named by id, then those carrying ``tag``, in calendar order, without repeats.

    Raises
    ------
    UnknownEventError
        An unknown id, a tag no event carries, or nothing selected.
    """
    chosen = {calendar.event(i).id: None for i in event_ids}
    if tag is not None:
        tagged = [e.id for e in calendar.events if tag in e.tags]
        if not tagged:
            tags = sorted({t for e in calendar.events for t in e.tags})
            raise UnknownEventError(
                f"no event tagged '{tag}' in {calendar.path}; tags in use: "
                f"{', '.join(tags) or 'none'}")
        chosen.update(dict.fromkeys(tagged))
    if not chosen:
        raise UnknownEventError("no event selected: give event ids or --tag")
    order = {e.id: i for i, e in enumerate(calendar.events)}
    if tag is None:
        return tuple(calendar.event(i) for i in chosen)
    return tuple(calendar.event(i) for i in sorted(chosen, key=order.__getitem__))


def restrict(calendar: Calendar, events: Sequence[Event], securities: Sequence[str]
             ) -> tuple[Calendar, tuple[Event, ...]]:
    """The calendar with each selected event's securities cut to ``securities``.

    Events with none of them are dropped. Raises :class:`UnknownEventError` for a name that
    is neither an alias of the events file nor a security of a selected event, or when no
    selected event keeps a security.
    """
    known = set(calendar.securities) | {s for e in events for s in e.securities}
    unknown = [s for s in securities if s not in known]
    if unknown:
        near = nearest(unknown[0], known)
        raise UnknownEventError(
            f"unknown security {', '.join(repr(s) for s in unknown)} in --securities; "
            + (f"did you mean '{near}'? " if near else "")
            + f"aliases in {calendar.path}: {', '.join(sorted(calendar.securities))}")
    keep = set(securities)
    cut = {e.id: dataclasses.replace(e, securities=tuple(s for s in e.securities if s in keep),
                                     named=e.named or e.securities) for e in events}
    kept = tuple(cut[e.id] for e in events if cut[e.id].securities)
    if not kept:
        raise UnknownEventError(
            f"none of the selected events has any of the securities {', '.join(securities)}")
    new_events = tuple(cut.get(e.id, e) for e in calendar.events)
    return dataclasses.replace(calendar, events=new_events), kept


def _calendar(events: str | os.PathLike[str] | Calendar | None) -> Calendar:
    return events if isinstance(events, Calendar) else load_events(events)


def run_event(event_id: str, *, events: str | os.PathLike[str] | Calendar | None = None,
              securities: Sequence[str] | None = None, bootstrap: int = BOOTSTRAP,
              seed: int | None = 0, adjust: str | None = None, **options: Any
              ) -> EventStudyResult:
    """One event, optionally restricted to some securities: the contract's single document.

    ``options`` go to :func:`eventstudy.study.single.run` (e.g. ``prices``). ``bootstrap`` and
    ``seed`` set the CAAR interval (resamples, seed); ``adjust`` the multiple-testing
    adjustment of the p-values (as ``run``).
    """
    from eventstudy.study.single import run

    check_method(adjust)
    calendar = _calendar(events)
    if securities:
        calendar, _ = restrict(calendar, (calendar.event(event_id),), securities)
    result = run(event_id, events=calendar, **options)
    if (bootstrap, seed) != (BOOTSTRAP, 0) and result.aggregate is not None:
        agg = aggregate_pairs(result.pairs, result.windows,
                              [(result.event.id, p.security) for p in result.pairs],
                              bootstrap=bootstrap, seed=seed)
        result = dataclasses.replace(result, aggregate=agg)
    return adjusted(result, adjust)


def run_many(event_ids: Sequence[str] = (), *, tag: str | None = None,
             securities: Sequence[str] | None = None,
             events: str | os.PathLike[str] | Calendar | None = None,
             bootstrap: int = BOOTSTRAP, seed: int | None = 0, model: str | None = None,
             measure: str | None = None, adjust: str | None = None, **options: Any
             ) -> PooledResult:
    """Pool several events: by id, by ``tag`` of the events file, restricted to ``securities``.

    Parameters
    ----------
    event_ids : sequence of str
        Event ids (may be empty when ``tag`` is given).
    tag : str, optional
        Adds every event carrying this tag (e.g. "escalation").
    securities : sequence of str, optional
        Keep only these securities (aliases); events with none of them are dropped.
    events : path or Calendar, optional
        The events file (as :func:`eventstudy.study.single.run`).
    bootstrap, seed : int
        Resamples and seed of the pooled CAAR's percentile interval.
    model : str, optional
        Every pair under this normal-return model (see :func:`eventstudy.study.single.run`).
    measure : str, optional
        What every pair measures: returns, volume or volatility (as ``run``).
    adjust : {"holm", "bh", "by", "none"}, optional
        Adjust the p-values for multiple testing (as ``run``). The pairs' CAR p-values of all
        events form one family (events × securities × CAR windows); each test of the pooled
        aggregate is adjusted across the CAR windows (and each event's aggregate within the
        event); see :mod:`eventstudy.study.adjusted`.
    **options
        Passed to :func:`eventstudy.study.single.run` for each event (e.g. ``prices``).

    Returns
    -------
    PooledResult

    Raises
    ------
    EventStudyError
        Unknown event, tag or security; no pair of any event can be studied.
    """
    from eventstudy.study.single import event_requests, event_result, open_prices
    from eventstudy.study.stacked import study_pairs

    check_method(adjust)
    calendar = _calendar(events)
    selected = select_events(calendar, event_ids, tag)
    if securities:
        calendar, selected = restrict(calendar, selected, securities)
    source = open_prices(calendar, **options)
    requests = []
    for event in selected:
        if hasattr(source, "prepare_event"):  # e.g. Yahoo: fetch the dates the event needs
            source.prepare_event(calendar, event)
        requests.append(event_requests(calendar, event, model, measure))
    found = study_pairs(calendar, [r for reqs in requests for r in reqs], source)
    results: list[EventStudyResult] = []
    failed: list[tuple[Event, str]] = []
    kinds: list[str] = []
    start = 0
    for event, reqs in zip(selected, requests, strict=True):
        outcome, start = found[start:start + len(reqs)], start + len(reqs)
        try:
            results.append(event_result(event, reqs, outcome, deferred=True))
        except EstimationError as exc:  # no pair of this event: keep pooling the others
            failed.append((event, str(exc)))
            kinds += [x.kind or "excluded" for x in getattr(exc, "excluded", ())] or [
                "event not studied"] * len(event.securities)
    if not results:
        raise EstimationError("no pair of the selected events can be studied: "
                              + "; ".join(reason for _, reason in failed))
    kinds += [x.kind or "excluded" for r in results for x in r.excluded]
    total = sum(len(e.securities) for e in selected)
    warn_excluded("eventstudy.run_many", total, kinds, "result.excluded", stacklevel=2)
    windows = tuple(dict.fromkeys(w for r in results for w in r.windows))
    pairs = [p for r in results for p in r.pairs]
    keys = [(r.event.id, p.security) for r in results for p in r.pairs]
    agg = aggregate_pairs(pairs, windows, keys, bootstrap=bootstrap, seed=seed)
    conventions = {**results[0].conventions,
                   "pairs": "keyed on (event, security); a security in several events is "
                            "several pairs",
                   "r_bar": agg.r_bar_method}
    return adjusted(PooledResult(events=selected, results=tuple(results), aggregate=agg,
                                 windows=windows, tag=tag, securities=tuple(securities or ()),
                                 failed=tuple(failed), conventions=conventions), adjust)
