"""What the pairs of one study share, resolved once: day 0 of each announcement on each exchange,
each exchange's sessions over the study's dates, each price series on those sessions, and each
security's other events' windows (estimation-window hygiene).

:mod:`eventstudy.study.stacked` reads pairs off these arrays by session position; a pair whose
data this module cannot place (an unknown ticker, an announcement outside the calendars) is left
to :func:`eventstudy.study.pair.study_pair`, which raises or excludes it with the reason.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from eventstudy import sessions
from eventstudy.errors import EventStudyError
from eventstudy.events import Calendar, Event, Security, Settings
from eventstudy.prices import PriceSource
from eventstudy.sessions import DayZero


@dataclass(frozen=True)
class Request:
    """One pair to study: the event, the security and the pair's settings."""

    event: Event
    security: Security
    settings: Settings


@dataclass(frozen=True)
class Series:
    """A price series on an exchange's sessions.

    ``price`` holds the price at each session (NaN: none); ``first`` and ``last`` the sessions
    (positions) around the first and last dates priced; ``off`` the session position after
    each priced date that is not a session (where such a date would fall).
    """

    price: np.ndarray
    first: int  # position of the first session on or after the first priced date
    last: int  # position of the last session on or before the last priced date
    off: np.ndarray  # sorted


@dataclass(frozen=True)
class Windows:
    """The event windows of one security's events, as session positions, in calendar order."""

    ids: tuple[str, ...]
    start: np.ndarray
    end: np.ndarray


class Resolver:
    """Caches of one study call (see the module docstring)."""

    def __init__(self, calendar: Calendar, source: PriceSource) -> None:
        self.calendar = calendar
        self.source = source
        self._day0: dict[tuple[Any, str, str], DayZero | None] = {}
        self.grids: dict[str, np.ndarray] = {}  # exchange -> its sessions (datetime64[ns])
        self._series: dict[tuple[str, str], Series | None] = {}
        self._has: dict[str, bool] = {}
        self._splits: dict[str, list[Any]] = {}
        self._issues: dict[str, bool] = {}
        self._confounders: dict[str, np.ndarray] = {}
        self._windows: dict[tuple[str, str], Windows] = {}
        by_name: dict[str, list[Event]] = defaultdict(list)
        for event in calendar.events:
            for name in event.securities:
                by_name[name].append(event)
        self._by_name = by_name

    def has(self, ticker: str) -> bool:
        """Whether the source holds ``ticker``."""
        if ticker not in self._has:
            self._has[ticker] = self.source.has(ticker)
        return self._has[ticker]

    def day0(self, event: Event, exchange: str) -> DayZero | None:
        """Day 0 of ``event`` on ``exchange``; None when the calendars cannot place it."""
        key = (event.announced, event.timing, exchange)
        if key not in self._day0:
            try:
                self._day0[key] = sessions.day_zero(event.announced, event.timing, exchange)
            except EventStudyError:
                self._day0[key] = None
        return self._day0[key]

    def grid(self, exchange: str, requests: Sequence[Request]) -> np.ndarray | None:
        """The exchange's sessions around every day 0 the requests (and the other events of
        their securities) need, with room for their windows; None outside the calendars."""
        if exchange in self.grids:
            return self.grids[exchange]
        names = {n for r in requests for n in (r.security.alias, r.security.ticker)}
        events = {r.event.id: r.event for r in requests}
        events.update({e.id: e for n in names for e in self._by_name.get(n, ())})
        days = [d.session for e in events.values() if (d := self.day0(e, exchange)) is not None]
        before = max(1 - r.settings.estimation[0] for r in requests)
        after = max(max(r.settings.window[1] for r in requests), 0)
        # two calendar days a session and a month's margin, within what the calendar supports
        # (a pair whose windows do not fit on the grid is studied alone, which says why)
        first, last = sessions.supported_range(exchange)
        start, end = _shifted(min(days), -(2 * before + 30), first), _shifted(
            max(days), 2 * after + 30, last)
        try:
            grid = sessions.sessions_in_range(exchange, start, end).to_numpy()
        except EventStudyError:
            return None
        self.grids[exchange] = grid
        return grid

    def series(self, ticker: str, exchange: str) -> Series | None:
        """``ticker``'s prices on the exchange's grid; None when they cannot be loaded."""
        key = (ticker, exchange)
        if key not in self._series:
            grid = self.grids[exchange]
            try:
                prices = self.source.load(ticker)
            except EventStudyError:
                self._series[key] = None
                return None
            dates = prices.index.to_numpy()
            values = prices.to_numpy(float)
            at = np.searchsorted(grid, dates)
            on = (at < len(grid)) & (grid[np.minimum(at, len(grid) - 1)] == dates)
            price = np.full(len(grid), np.nan)
            price[at[on]] = values[on]
            first = int(np.searchsorted(grid, dates[0]))
            last = int(np.searchsorted(grid, dates[-1], side="right")) - 1
            self._series[key] = Series(price, first, last, np.sort(at[~on]))
        return self._series[key]

    def aligned(self, ticker: str, other: str, exchange: str) -> Series | None:
        """``ticker``, traded on ``other``, read by instant on ``exchange``'s grid: at each
        session the price of ``other``'s last session that closed before it opened (as
        :func:`~eventstudy.sessions.align_sessions` reads it for one pair); the series itself
        when ``other`` is ``exchange``. ``first``/``last`` bound the sessions whose reading
        falls within the priced dates. None: unreadable, or outside ``other``'s calendar."""
        if other == exchange:
            return self.series(ticker, exchange)
        key = (ticker, f"{other}@{exchange}")
        if key not in self._series:
            grid = self.grids[exchange]
            try:
                prices = self.source.load(ticker)
                read_at = sessions.align_sessions(exchange, pd.DatetimeIndex(grid), other)
            except EventStudyError:
                self._series[key] = None
                return None
            at = read_at.to_numpy()
            dates = prices.index.to_numpy()
            self._series[key] = Series(
                prices.reindex(read_at).to_numpy(float), int(np.searchsorted(at, dates[0])),
                int(np.searchsorted(at, dates[-1], side="right")) - 1, np.zeros(0, int))
        return self._series[key]

    def splits(self, ticker: str) -> list[Any]:
        """The probable unadjusted splits of a loaded ticker (validation issues with a date)."""
        if ticker not in self._splits:
            found = self.source.splits([ticker]) if hasattr(self.source, "splits") else []
            self._splits[ticker] = [i for i in found if i.first is not None]
        return self._splits[ticker]

    def has_issues(self, ticker: str) -> bool:
        """Whether the validation of ``ticker`` said anything (else its notes are empty)."""
        if ticker not in self._issues:
            issues = getattr(self.source, "issues", None)
            self._issues[ticker] = bool(issues(ticker)) if callable(issues) else True
        return self._issues[ticker]

    def confounders(self, security: Security) -> np.ndarray:
        """Dates of the security's confounders (datetime64[ns])."""
        if security.alias not in self._confounders:
            self._confounders[security.alias] = np.array(
                [np.datetime64(c.date, "ns") for c in self.calendar.confounders_for(security)],
                "datetime64[ns]")
        return self._confounders[security.alias]

    def windows(self, security: Security, exchange: str) -> Windows | None:
        """The security's events' windows on the grid, in calendar order (None: one of them
        lies beyond the grid, so the one-pair path decides)."""
        key = (security.alias, exchange)
        if key not in self._windows:
            grid = self.grids[exchange]
            seen = {e.id: e for name in (security.alias, security.ticker)
                    for e in self._by_name.get(name, ())}
            order = {e.id: i for i, e in enumerate(self.calendar.events)}
            ids, start, end = [], [], []
            for event in sorted(seen.values(), key=lambda e: order[e.id]):
                d0 = self.day0(event, exchange)
                if d0 is None:  # outside the calendar's bounds: cannot overlap
                    continue
                pos = int(np.searchsorted(grid, d0.session.to_datetime64()))
                w = self.calendar.settings(event, security).window
                if pos >= len(grid) or pos + w[0] < 0 or pos + w[1] >= len(grid):
                    self._windows[key] = None  # type: ignore[assignment]
                    return None
                ids.append(event.id)
                start.append(pos + w[0])
                end.append(pos + w[1])
            self._windows[key] = Windows(tuple(ids), np.array(start, int), np.array(end, int))
        return self._windows[key]



def _shifted(day: pd.Timestamp, days: int, bound: pd.Timestamp | None) -> pd.Timestamp:
    """``day`` moved by ``days`` calendar days, stopped at ``bound`` (None: no bound) and at
    the dates calendars are built for."""
    moved = sessions.days_from(day, days)
    if bound is None:
        return moved
    bound = bound.tz_localize(None) if bound.tz is not None else bound
    return max(moved, bound) if days < 0 else min(moved, bound)
