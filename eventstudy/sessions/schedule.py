"""One exchange's sessions and open/close instants as cached arrays, and date parsing at the
boundary (a date-like value becomes a tz-naive midnight timestamp inside the calendar).
"""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
import pandas as pd

from eventstudy.errors import CalendarError
from eventstudy.sessions.exchanges import exchange_label, get_calendar

DateLike: TypeAlias = str | datetime.date | pd.Timestamp | np.datetime64
"""A value naming a date: ISO string, ``datetime.date``, or tz-naive midnight timestamp."""


# --------------------------------------------------------------------------------------------
# Cached schedule arrays
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Schedule:
    """Session labels and UTC instants of one calendar, as indexes ready for ``searchsorted``."""

    code: str
    label: str
    tz: datetime.tzinfo
    weekmask: str
    sessions: pd.DatetimeIndex
    opens: pd.DatetimeIndex
    closes: pd.DatetimeIndex
    break_starts: pd.DatetimeIndex
    break_ends: pd.DatetimeIndex

    @property
    def first(self) -> pd.Timestamp:
        return self.sessions[0]

    @property
    def last(self) -> pd.Timestamp:
        return self.sessions[-1]

    def bounds(self) -> str:
        return f"{_d(self.first)} to {_d(self.last)}"


@functools.lru_cache(maxsize=64)
def _schedule(code: str) -> _Schedule:
    cal = get_calendar(code)
    return _Schedule(
        code=cal.name,
        label=exchange_label(cal.name),
        tz=cal.tz,
        weekmask=cal.weekmask,
        sessions=cal.sessions,
        opens=pd.DatetimeIndex(cal.opens),
        closes=pd.DatetimeIndex(cal.closes),
        break_starts=pd.DatetimeIndex(cal.break_starts),
        break_ends=pd.DatetimeIndex(cal.break_ends),
    )


def _d(ts: pd.Timestamp | datetime.date) -> str:
    """ISO date."""
    return ts.strftime("%Y-%m-%d")


def _hm(ts: pd.Timestamp) -> str:
    """Clock time, with seconds only when they matter."""
    return ts.strftime("%H:%M:%S" if ts.second else "%H:%M")


def _parse_date(value: DateLike, param: str, sched: _Schedule) -> pd.Timestamp:
    """Parse a date-like value to a tz-naive midnight timestamp within the calendar bounds."""
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise CalendarError(f"{param} {value!r} is not a date") from exc
    if ts is pd.NaT:
        raise CalendarError(f"{param} is missing (NaT)")
    if ts.tz is not None or ts != ts.normalize():
        raise CalendarError(
            f"{param} {value!r} is not a date (it has a time of day or a UTC offset); "
            "pass a plain date such as 2026-01-06"
        )
    if not sched.first <= ts <= sched.last:
        raise CalendarError(
            f"{param} {_d(ts)} is outside the {sched.code} calendar, whose sessions run "
            f"{sched.bounds()}"
        )
    return ts


def _session_position(sched: _Schedule, day0: DateLike) -> int:
    ts = _parse_date(day0, "day0", sched)
    pos = int(sched.sessions.searchsorted(ts))
    if sched.sessions[pos] != ts:
        before = sched.sessions[pos - 1] if pos > 0 else None
        nearest = f"{_d(before)} and " if before is not None else ""
        raise CalendarError(
            f"day0 {_d(ts)} is not a {sched.code} session ({sched.label} closed); the nearest "
            f"sessions are {nearest}{_d(sched.sessions[pos])}"
        )
    return pos
