"""Offsets and ranges: sessions at offsets from day 0, the offset of a date, session tests,
sessions between two dates, and one exchange's sessions aligned on another's.
"""

from __future__ import annotations

import math
import operator
from numbers import Integral, Real

import pandas as pd

from eventstudy._typing import Window
from eventstudy.errors import CalendarError
from eventstudy.sessions.schedule import (
    DateLike,
    _around,
    _d,
    _parse_date,
    _schedule,
    _session_position,
)

#: Largest offset from day 0 (about 40 years of sessions): beyond it an offset is a typo, and
#: the calendars it needs would take long to build.
MAX_OFFSET = 10_000
#: Calendar days before the first session searched for the other exchange's last close.
_LOOKBACK_DAYS = 45

# --------------------------------------------------------------------------------------------
# Offsets and ranges
# --------------------------------------------------------------------------------------------


def as_window(value: object) -> Window:
    """``value`` read as a window of offsets, the one check of every window a user gives (the
    events file's estimation, event, CAR and headline windows; ``eventstudy.batch``'s).

    A window is two integers ``[start, end]`` (Python or numpy integers, or floats with an
    integral value; not booleans), ``start <= end``, each within ±:data:`MAX_OFFSET`.

    Raises
    ------
    ValueError
        The problem, phrased to follow the name of the window (``f"{where} {exc}"``): the
        caller raises its own typed error naming where the window came from.
    """
    iterable = hasattr(value, "__iter__") and hasattr(value, "__len__")
    pair = None if isinstance(value, (str, bytes)) or not iterable else list(value)
    if pair is None or len(pair) != 2 or not all(_integral(v) for v in pair):
        raise ValueError(f"must be two integers [start, end], got {value!r}")
    start, end = (int(v) for v in pair)
    if max(abs(start), abs(end)) > MAX_OFFSET:
        raise ValueError(f"[{start}, {end}] is out of range: offsets count sessions and must lie "
                         f"within ±{MAX_OFFSET:,}")
    if start > end:
        raise ValueError(f"is reversed: [{start}, {end}]; write [start, end]")
    return (start, end)


def _integral(v: object) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, Integral):
        return True
    return isinstance(v, Real) and math.isfinite(v) and float(v).is_integer()


def sessions_at(exchange: str, day0: DateLike, start: int, end: int) -> pd.DatetimeIndex:
    """Return the sessions at offsets ``start`` to ``end`` (inclusive) from day 0.

    Parameters
    ----------
    exchange : str
        An :mod:`exchange_calendars` code.
    day0 : date-like
        Day 0; must be a session of ``exchange``.
    start, end : int
        Offsets, counted in sessions of ``exchange`` (0 is day 0), with ``start <= end``.

    Returns
    -------
    pandas.DatetimeIndex
        ``end - start + 1`` sessions, in order.

    Raises
    ------
    CalendarError
        If ``day0`` is not a session, ``start > end``, or an offset falls outside the calendar;
        the message names the offset and the allowed bounds.

    Examples
    --------
    >>> [d.strftime("%m-%d") for d in sessions_at("XTKS", "2026-01-09", -1, 1)]
    ['01-08', '01-09', '01-13']
    """
    start, end = operator.index(start), operator.index(end)
    if start > end:
        raise CalendarError(f"window start {start} is after its end {end}")
    if max(abs(start), abs(end)) > MAX_OFFSET:
        raise CalendarError(f"offset {start if abs(start) > MAX_OFFSET else end:+d} from day 0: "
                            f"offsets count sessions and must lie within ±{MAX_OFFSET:,}")
    ts = _parse_date(day0, "day0")
    sched = _around(exchange, ts, max(0, -start), max(0, end))
    pos = _session_position(sched, ts)
    lo, hi = -pos, len(sched.sessions) - 1 - pos
    for offset in (start, end):
        if not lo <= offset <= hi:
            edge = "before the first" if offset < lo else "after the last"
            first_last = sched.first if offset < lo else sched.last
            raise CalendarError(
                f"offset {offset:+d} from day 0 {_d(sched.sessions[pos])} falls {edge} "
                f"{sched.code} session exchange_calendars supports, {_d(first_last)}"
            )
    return sched.sessions[pos + start : pos + end + 1]


def session_offset(exchange: str, day0: DateLike, offset: int) -> pd.Timestamp:
    """Return the session ``offset`` sessions from day 0.

    Parameters
    ----------
    exchange : str
        An :mod:`exchange_calendars` code.
    day0 : date-like
        Day 0; must be a session of ``exchange``.
    offset : int
        Sessions to step (negative: back).

    Returns
    -------
    pandas.Timestamp
        The session, tz-naive midnight.

    Raises
    ------
    CalendarError
        As :func:`sessions_at`.
    """
    return sessions_at(exchange, day0, offset, offset)[0]


def is_session(exchange: str, date: DateLike) -> bool:
    """Whether a date is a session of the exchange.

    Parameters
    ----------
    exchange : str
        An :mod:`exchange_calendars` code.
    date : date-like
        The exchange-local date.

    Returns
    -------
    bool

    Raises
    ------
    CalendarError
        If the date is not a plain date or lies outside the calendar.
    """
    ts = _parse_date(date, "date")
    sched = _schedule(exchange, ts)
    sched.check(ts, "date")
    pos = int(sched.sessions.searchsorted(ts))
    return pos < len(sched.sessions) and bool(sched.sessions[pos] == ts)


def sessions_in_range(exchange: str, start: DateLike, end: DateLike) -> pd.DatetimeIndex:
    """Return the sessions from ``start`` to ``end``, both inclusive.

    Parameters
    ----------
    exchange : str
        An :mod:`exchange_calendars` code.
    start, end : date-like
        Exchange-local dates; they need not be sessions.

    Returns
    -------
    pandas.DatetimeIndex
        The sessions in the range (empty when ``start > end``).

    Raises
    ------
    CalendarError
        If either date is not a plain date or lies outside the calendar.
    """
    lo = _parse_date(start, "start")
    hi = _parse_date(end, "end")
    sched = _schedule(exchange, lo, max(lo, hi))
    sched.check(lo, "start")
    sched.check(hi, "end")
    i = sched.sessions.searchsorted(lo, side="left")
    j = sched.sessions.searchsorted(hi, side="right")
    return sched.sessions[i:j]


def align_sessions(exchange: str, sessions: pd.DatetimeIndex, other: str) -> pd.DatetimeIndex:
    """For each session of ``exchange``, the last session of ``other`` that closed before it opened.

    This aligns a benchmark traded on another exchange by instant (contract.md): a Tokyo
    session t reads New York's session t − 1, whose close precedes Tokyo's open, never New
    York's session t, which closes after Tokyo's close. On the same exchange the sessions are
    returned unchanged. Two consecutive sessions mapped to one session of ``other`` (it was
    closed in between) give a zero benchmark return, which is what was observable.

    Raises
    ------
    CalendarError
        If ``other`` has no session closing before the first of ``sessions`` opened.
    """
    if len(sessions) == 0:
        return sessions
    first, last = sessions[0], sessions[-1]
    here = _schedule(exchange, first, last)
    there = _schedule(other, first - pd.Timedelta(days=_LOOKBACK_DAYS), last)
    if here.code == there.code:
        return sessions
    pos = here.sessions.get_indexer(sessions)
    if (pos < 0).any():
        raise CalendarError(f"{_d(sessions[pos < 0][0])} is not a {here.label} session")
    opens = here.opens[pos]
    last_closed = there.closes.searchsorted(opens, side="left") - 1
    if (last_closed < 0).any():
        raise CalendarError(
            f"no {there.label} session closed before the {here.label} open of "
            f"{_d(sessions[0])} among the sessions exchange_calendars supports for "
            f"{there.code} (from {_d(there.first)})"
        )
    return pd.DatetimeIndex(there.sessions[last_closed])
