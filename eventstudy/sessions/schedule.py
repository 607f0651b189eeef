"""One exchange's sessions and open/close instants as arrays, over the dates a study needs, and
date parsing at the boundary (a date-like value becomes a tz-naive midnight timestamp).

A schedule is built for the years a caller asks about (with a year's margin either side) and
grown when a later call reaches beyond them, once per process per exchange and range: the
calendar of a 1997 study covers the 1990s, never "20 years back from today"; a schedule built
once is kept on disk for the next process (:mod:`eventstudy.sessions.stored`). Sessions are a
function of the date alone, so which range was built first changes no result; the only bounds a
message names are those :mod:`exchange_calendars` supports for the exchange (e.g. Tokyo from
1997), never the range that happens to be built, and never today's date.
"""

from __future__ import annotations

import datetime
import threading
from dataclasses import dataclass

import numpy as np
import pandas as pd

from eventstudy.errors import CalendarError
from eventstudy.sessions import stored
from eventstudy.sessions.exchanges import (
    DateLike,
    canonical_code,
    exchange_label,
    exchange_tz,
    get_calendar,
    supported_range,
)

__all__ = ["DateLike"]

#: Calendar days per session assumed when turning an offset into dates (5 sessions a week,
#: plus holidays); a schedule found short is grown, so this only sets the first guess.
_DAYS_PER_SESSION = 1.6
#: Calendar days of margin around the dates a call needs (long closures: Golden Week, Lunar New
#: Year, exchange outages).
_MARGIN_DAYS = 45


# --------------------------------------------------------------------------------------------
# Schedules over a range of years
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Schedule:
    """Session labels and UTC instants of one calendar over a range of years, as indexes ready
    for ``searchsorted``, and the dates :mod:`exchange_calendars` supports for the exchange."""

    code: str
    label: str
    tz: datetime.tzinfo
    weekmask: str
    sessions: pd.DatetimeIndex
    opens: pd.DatetimeIndex
    closes: pd.DatetimeIndex
    break_starts: pd.DatetimeIndex
    break_ends: pd.DatetimeIndex
    span: tuple[pd.Timestamp, pd.Timestamp]  # the dates built (first, last)
    floor: pd.Timestamp | None  # first supported date (None: no bound)
    ceiling: pd.Timestamp | None  # last supported date

    @property
    def first(self) -> pd.Timestamp:
        return self.sessions[0]

    @property
    def last(self) -> pd.Timestamp:
        return self.sessions[-1]

    @property
    def at_floor(self) -> bool:
        """Whether the first session built is the first the exchange's calendar supports."""
        return self.floor is not None and self.span[0] <= self.floor

    @property
    def at_ceiling(self) -> bool:
        return self.ceiling is not None and self.span[1] >= self.ceiling

    def covers(self, first: pd.Timestamp, last: pd.Timestamp) -> bool:
        return ((first >= self.span[0] or self.at_floor)
                and (last <= self.span[1] or self.at_ceiling))

    def check(self, ts: pd.Timestamp, what: str) -> None:
        """Refuse a date outside the dates the exchange's calendar supports."""
        if self.floor is not None and ts < self.floor:
            raise CalendarError(
                f"{what} {_d(ts)} is before {_d(self.first)}, the first {self.code} session "
                "exchange_calendars supports")
        if self.ceiling is not None and ts > self.ceiling:
            raise CalendarError(
                f"{what} {_d(ts)} is after {_d(self.ceiling)}, the last date exchange_calendars "
                f"supports for {self.code}")


_BUILT: dict[str, _Schedule] = {}
_LOCK = threading.Lock()


def _schedule(code: str, first: DateLike, last: DateLike | None = None) -> _Schedule:
    """The schedule of ``code`` covering the dates ``first`` to ``last`` (as far as the
    exchange's calendar is supported), from the process's registry or built."""
    name = canonical_code(code)
    lo = pd.Timestamp(first).normalize()
    hi = lo if last is None else pd.Timestamp(last).normalize()
    sched = _BUILT.get(name)
    if sched is not None and sched.covers(lo, hi):
        return sched
    with _LOCK:
        sched = _BUILT.get(name)
        if sched is not None and sched.covers(lo, hi):
            return sched
        start = pd.Timestamp(year=lo.year - 1, month=1, day=1)
        end = pd.Timestamp(year=hi.year + 1, month=12, day=31)
        if sched is not None:
            start, end = min(start, sched.span[0]), max(end, sched.span[1])
        sched = _build_schedule(name, start, end)
        _BUILT[name] = sched
    return sched


def _build_schedule(code: str, start: pd.Timestamp, end: pd.Timestamp) -> _Schedule:
    floor, ceiling = supported_range(code)
    if floor is not None:
        start = max(start, floor)
        end = max(end, floor + pd.DateOffset(years=1))
    if ceiling is not None:
        end = min(end, ceiling)
        start = min(start, ceiling - pd.DateOffset(years=1))
    arrays = stored.load(code, start, end)
    if arrays is None:
        cal = get_calendar(code, start, end)
        arrays = {"sessions": cal.sessions.as_unit("ns").to_numpy(),
                  "weekmask": np.array(cal.weekmask)}
        for name in ("opens", "closes", "break_starts", "break_ends"):
            stamps = pd.DatetimeIndex(getattr(cal, name))
            arrays[name] = stamps.tz_convert(None).as_unit("ns").to_numpy()
        stored.save(code, start, end, arrays)
    return _Schedule(
        code=code,
        label=exchange_label(code),
        tz=exchange_tz(code),
        weekmask=str(arrays["weekmask"]),
        sessions=pd.DatetimeIndex(arrays["sessions"]),
        opens=_utc(arrays["opens"]),
        closes=_utc(arrays["closes"]),
        break_starts=_utc(arrays["break_starts"]),
        break_ends=_utc(arrays["break_ends"]),
        span=(start, end),
        floor=floor,
        ceiling=ceiling,
    )


def _utc(stamps: np.ndarray) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(stamps).tz_localize("UTC")


def _around(code: str, day: pd.Timestamp, before: int = 0, after: int = 0) -> _Schedule:
    """A schedule holding ``before`` sessions before the date ``day`` and ``after`` after it
    (as far as the calendar is supported), grown until it does."""
    back, ahead = int(before * _DAYS_PER_SESSION), int(after * _DAYS_PER_SESSION)
    while True:
        lo = days_from(day, -back - _MARGIN_DAYS)
        hi = days_from(day, ahead + _MARGIN_DAYS)
        sched = _schedule(code, lo, hi)
        pos = int(sched.sessions.searchsorted(day))
        # short of sessions, unless the calendar's supported range (or the dates calendars are
        # built for at all) stops it: then the caller says which offset falls outside
        short_before = pos < before and not (sched.at_floor or lo == EARLIEST)
        short_after = len(sched.sessions) - pos <= after and not (sched.at_ceiling
                                                                  or hi == LATEST)
        if not (short_before or short_after):
            return sched
        back, ahead = 2 * back + 366, 2 * ahead + 366


def days_from(day: pd.Timestamp, days: int) -> pd.Timestamp:
    """``day`` moved by ``days`` calendar days, kept within 1800-01-01 to 2200-12-31 (the
    dates a calendar is ever built for): a window of absurd size stays finite, and never
    overflows pandas' timestamps."""
    edge = EARLIEST if days < 0 else LATEST
    if abs(days) >= abs((edge.date() - day.date()).days):
        return edge
    return min(max(day + pd.Timedelta(days=days), EARLIEST), LATEST)


EARLIEST = pd.Timestamp("1800-01-01")
LATEST = pd.Timestamp("2200-12-31")


def _d(ts: pd.Timestamp | datetime.date) -> str:
    """ISO date."""
    return ts.strftime("%Y-%m-%d")


def _hm(ts: pd.Timestamp) -> str:
    """Clock time, with seconds only when they matter."""
    return ts.strftime("%H:%M:%S" if ts.second else "%H:%M")


def _parse_date(value: DateLike, param: str) -> pd.Timestamp:
    """Parse a date-like value to a tz-naive midnight timestamp."""
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise CalendarError(f"{param} {value!r} is not a date") from exc
    if ts is pd.NaT:
        raise CalendarError(f"{param} is missing (NaT)")
    if ts.tz is not None or ts != ts.normalize():
        raise CalendarError(
            f"{param} {value!r} is not a date (it has a time of day or a UTC offset); "
            "pass a plain date such as 2026-01-06"
        )
    return ts


def _session_position(sched: _Schedule, ts: pd.Timestamp) -> int:
    """Position of the session ``ts`` in ``sched`` (which covers it)."""
    sched.check(ts, "day0")
    pos = int(sched.sessions.searchsorted(ts))
    if pos == len(sched.sessions) or sched.sessions[pos] != ts:
        before = sched.sessions[pos - 1] if pos > 0 else None
        after = sched.sessions[pos] if pos < len(sched.sessions) else None
        near = " and ".join(_d(x) for x in (before, after) if x is not None)
        raise CalendarError(
            f"day0 {_d(ts)} is not a {sched.code} session ({sched.label} closed); the nearest "
            f"sessions are {near}"
        )
    return pos
