"""The estimation sample of a pair: event-window and confounder hygiene, the calendar and coverage
checks, and the counts and notes that say which returns entered it (M) and why others did not.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from eventstudy import sessions
from eventstudy._typing import Window
from eventstudy.errors import (
    EventStudyError,
    PriceDataError,
)
from eventstudy.estimation.models import ModelFit
from eventstudy.estimation.returns import (
    GridNotes,
)
from eventstudy.events import Calendar, Confounder, Event, Security, Settings
from eventstudy.prices import PriceSource


class _Exclude(Exception):
    """Internal: this pair cannot be studied, for ``reason``; ``kind`` names the reason in a
    few words (the count by reason of a pooled study's warning)."""

    def __init__(self, reason: str, kind: str) -> None:
        super().__init__(reason)
        self.kind = kind


@functools.lru_cache(maxsize=4096)
def _window_sessions(announced: object, timing: str, exchange: str, window: Window
                     ) -> pd.DatetimeIndex | None:
    """Sessions of an event's window on ``exchange`` (cached: every pair asks for every event)."""
    try:
        d0 = sessions.day_zero(announced, timing, exchange)  # type: ignore[arg-type]
        return sessions.sessions_at(exchange, d0.session, window[0], window[1])
    except EventStudyError:
        return None


def _spread(mask: np.ndarray, shifts: Sequence[int]) -> np.ndarray:
    """Rows t such that ``mask[t + j]`` for some j in ``shifts``."""
    out = np.zeros_like(mask)
    n = len(mask)
    for j in shifts:  # a handful of shifts, each vectorised
        src = np.arange(n) + j
        ok = (src >= 0) & (src < n)
        out[ok] |= mask[src[ok]]
    return out


def _hygiene(calendar: Calendar, event: Event, security: Security, settings: Settings,
             dates: pd.DatetimeIndex, usable: np.ndarray, shifts: Sequence[int] = (0,)
             ) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Estimation returns to drop: in another event's window for this security; on a confounder.

    Returns two masks over ``dates`` (restricted to ``usable`` returns) and the ids of the
    events whose windows were hit. A return is dated by the session that ends it; a confounder
    dated on a non-session counts on the next session. With lagged or leading regressors
    (``shifts``, Dimson and Scholes–Williams) a row is dropped too when one of its regressor
    sessions t + j is contaminated, so an excluded day's benchmark return never re-enters the
    fit as a neighbour's lag or lead.
    """
    in_other = np.zeros(len(dates), dtype=bool)
    on_conf = np.zeros(len(dates), dtype=bool)
    hit: list[str] = []
    if settings.exclude_event_windows:
        for other in calendar.events:
            if other.id == event.id or not (
                security.alias in other.securities or security.ticker in other.securities
            ):
                continue
            w = calendar.settings(other, security).window
            span = _window_sessions(other.announced, other.timing, security.exchange, w)
            if span is None:  # an event outside the calendar's bounds cannot overlap
                continue
            mask = _spread(dates.isin(span), shifts) & usable & ~in_other
            if mask.any():
                hit.append(other.id)
                in_other |= mask
    if settings.exclude_confounders:
        days = np.array([np.datetime64(c.date, "ns") for c in calendar.confounders_for(security)],
                        "datetime64[ns]")
        on_conf = _confounder_rows(dates.to_numpy(), days, usable, in_other, shifts)
    return in_other, on_conf, tuple(hit)


def _confounder_rows(dates: np.ndarray, days: np.ndarray, usable: np.ndarray,
                     in_other: np.ndarray, shifts: Sequence[int] = (0,)) -> np.ndarray:
    """The usable returns (not already in other events' windows) on the confounder ``days``:
    a return is dated by the session that ends it, so a day off the sessions counts on the
    next session (``dates``, ``days``: datetime64)."""
    on_conf = np.zeros(len(dates), dtype=bool)
    pos = np.searchsorted(dates, days)
    on_conf[pos[(pos < len(dates)) & (days >= dates[0])]] = True
    return _spread(on_conf, shifts) & usable & ~in_other


def _window_confounders(confounders: Sequence[Confounder], dates: np.ndarray, t: np.ndarray
                        ) -> tuple[tuple[Confounder, int], ...]:
    """The confounders dated inside the event window (sessions ``dates``, datetime64, offsets
    ``t``), each with the offset of the first window session on or after its date."""
    out = []
    for c in confounders:
        day = np.datetime64(c.date, "ns")
        if dates[0] <= day <= dates[-1]:
            out.append((c, int(t[min(int(np.searchsorted(dates, day)), len(dates) - 1)])))
    return tuple(out)


def _fit_notes(notes: tuple[str, ...], fit: ModelFit, other_ids: Sequence[str],
               day0_gap: pd.Timestamp | None) -> tuple[str, ...]:
    """``notes`` with, after them, what hygiene left out of the fit and, first, the day 0
    without a return (``day0_gap``: day 0's session, None when it has one)."""
    if fit.n_excluded_events or fit.n_excluded_confounders:
        notes = (*notes, f"estimation-window hygiene: {fit.n_excluded_events} session(s) in "
                 f"other events' windows ({', '.join(other_ids) or 'none'}) and "
                 f"{fit.n_excluded_confounders} confounder date(s) left out of the fit")
    if day0_gap is not None:
        notes = (f"no return on day 0 ({day0_gap.date()}): the reaction is carried by the "
                 "next return, which spans the gap", *notes)
    return notes


def _split_days(source: PriceSource, tickers: Sequence[str], dates: pd.DatetimeIndex,
                valid: np.ndarray, t: np.ndarray, est: Window, event_start: int,
                shifts: Sequence[int] = (0,)) -> tuple[np.ndarray, tuple[str, ...]]:
    """The rows whose return spans a probable unadjusted split of one of ``tickers`` (the
    ``split`` rule of :mod:`eventstudy.prices.validate`), and a note for each split.

    A split day's return is the split, not a return: in the estimation window it leaves the
    fit (with lagged or leading regressors, so do the rows that read it); in the event window
    the pair is kept and the note says that day's abnormal return is the split if the check
    is right (a real move of that size is what an event study looks for, so nothing is
    dropped there).
    """
    rows = np.zeros(len(dates), dtype=bool)
    issues = source.splits(tickers) if hasattr(source, "splits") else []
    notes = []
    priced = np.flatnonzero(valid)
    for issue in issues:
        at = priced.searchsorted(dates.searchsorted(issue.first))  # the return covering it
        if issue.first < dates[0] or at == priced.size:
            continue
        row = int(priced[at])
        date = dates[row].date()
        if est[0] <= t[row] <= est[1]:
            rows[row] = True
            notes.append(f"{issue.message}; the return of {date} is left out of the estimation "
                         "sample")
        elif t[row] >= event_start:
            notes.append(f"{issue.message}; if so, the abnormal return of {date} (t = "
                         f"{int(t[row]):+d}) is the split, not a reaction")
    return _spread(rows, shifts), tuple(notes)


def _check_calendar(price: pd.Series, security: Security, source: PriceSource,
                    grid: pd.DatetimeIndex) -> None:
    """Refuse prices dated on days that are not sessions of the security's exchange.

    A few such dates are tolerated (they are left out and noted); at least 3, and at least 1 %
    of the dates in the pair's range, mean the file follows another exchange's calendar (or
    ``exchange`` is wrong in the events file): the study would silently span the other
    exchange's holidays.
    """
    inside = price.index[(price.index >= grid[0]) & (price.index <= grid[-1])]
    off = inside.difference(grid)
    if len(off) >= max(3, 0.01 * len(inside)):
        shown = ", ".join(str(d.date()) for d in off[:4])
        raise PriceDataError(
            f"prices of {security.ticker} in {source.name}: {len(off)} of {len(inside)} dates "
            f"in {grid[0].date()}..{grid[-1].date()} are not {security.exchange} sessions "
            f"({shown}, ...), so they follow another exchange's calendar; fix "
            f'exchange = "..." of [securities.{security.alias}] in the events file, or the file'
        )


def _check_coverage(what: str, first: pd.Timestamp, last: pd.Timestamp, start: pd.Timestamp,
                    end: pd.Timestamp, strict: bool, late: list[tuple[str, pd.Timestamp]]
                    ) -> None:
    """Exclude the pair when the prices end before the event window does, or (``strict``,
    ``full_estimation = true``) start after the estimation window does; a series that starts
    inside the estimation window is otherwise appended to ``late`` (a note, not an exclusion:
    the estimation sample is the returns that exist)."""
    if first > start:
        if strict:
            raise _Exclude(f"{what}: estimation window starts {start.date()}, before the first "
                           f"price {first.date()} (full_estimation = true)",
                           "estimation window before the first price (full_estimation)")
        late.append((what, first))
    if last < end:
        raise _Exclude(f"{what}: no prices after {last.date()}; the event window ends "
                       f"{end.date()}", "no prices to the end of the event window")


@dataclass(frozen=True)
class _SampleCounts:
    """Where the sessions of a pair's estimation window went: M, and every reason a session
    has no usable return (they add up to ``window``)."""

    window: int
    n_obs: int
    before_data: int  # before the pair's first return (a listing inside the window)
    missing: int  # a price missing later (halt, outage; or a lag or lead of the benchmark)
    gaps: int  # returns spanning missing prices (trade to trade)
    events: int  # hygiene: other events' windows
    confounders: int  # hygiene: confounder dates
    late: tuple[tuple[str, pd.Timestamp], ...] = ()  # series first priced inside the window
    splits: int = 0  # returns on probable unadjusted split days

    @property
    def from_data(self) -> bool:
        """Whether the data (not hygiene) left sessions of the window out."""
        return bool(self.before_data or self.missing or self.gaps or self.splits)

    def detail(self, lead: str) -> str:
        """``lead`` + the sessions left out and why ("" when none)."""
        parts = []
        if self.before_data:
            firsts = ", ".join(f"{what} {first.date()}" for what, first in self.late)
            parts.append(f"{self.before_data} before the first price"
                         + (f" ({firsts})" if firsts else ""))
        if self.missing:
            parts.append(f"{self.missing} without a price")
        if self.gaps:
            parts.append(f"{self.gaps} spanning a gap")
        if self.splits:
            parts.append(f"{self.splits} on a probable split day")
        if self.events:
            parts.append(f"{self.events} in other events' windows")
        if self.confounders:
            parts.append(f"{self.confounders} on confounder dates")
        return f"{lead}{', '.join(parts)} left out" if parts else ""


def _runs(dates: Sequence[pd.Timestamp], grid: pd.DatetimeIndex, most: int = 5) -> str:
    """Dates of ``grid`` as runs of consecutive sessions: "a", "a..b (n)", at most ``most``."""
    pos = grid.get_indexer(pd.DatetimeIndex(dates))
    breaks = np.flatnonzero(np.diff(pos) != 1) + 1
    runs = [(grid[r[0]], grid[r[-1]], r.size) for r in np.split(pos, breaks)]
    shown = ", ".join(str(a.date()) if n == 1 else f"{a.date()}..{b.date()} ({n})"
                      for a, b, n in runs[:most])
    return shown + (f" and {len(runs) - most} more gap(s)" if len(runs) > most else "")


def _notes(grid_notes: GridNotes, grid: pd.DatetimeIndex, security: Security,
           counts: _SampleCounts) -> tuple[str, ...]:
    """The pair's data notes over ``grid``, the sessions of its estimation and event windows."""
    notes = []
    start, end = grid[0], grid[-1]
    # sessions before the first price are a listing inside the window, not missing prices
    gaps = pd.DatetimeIndex([d for d in grid_notes.missing if start <= d <= end])
    priced = grid.difference(gaps)
    missing = gaps[gaps > priced[0]] if len(priced) else gaps[:0]
    if len(missing):
        notes.append(f"{len(missing)} session(s) without a price ({_runs(missing, grid)}): "
                     "returns span the gap (trade to trade)")
    off = [d for d in grid_notes.off_session if start <= d <= end]
    if off:
        shown = ", ".join(str(d.date()) for d in off[:5])
        notes.append(f"{len(off)} price(s) dated on non-sessions of {security.exchange} left "
                     f"out ({shown})")
    if counts.from_data:
        notes.append(f"estimation sample: M = {counts.n_obs} of the window's {counts.window} "
                     f"sessions{counts.detail('; ')}")
    if security.proxy and security.basket:
        notes.append(f"proxy: {security.weighting} basket of {len(security.basket)} members "
                     f"({', '.join(security.basket)})")
    elif security.proxy:
        notes.append(f"proxy: {security.ticker} stands in for the series named "
                     f"({security.name})")
    return tuple(notes)
