"""Day 0: the first session of the security's exchange in which the market could react to an
announcement (see :mod:`eventstudy.sessions` for the terms).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import numpy as np
import pandas as pd

from eventstudy._typing import TIMINGS
from eventstudy.errors import CalendarError
from eventstudy.sessions.schedule import EARLIEST, LATEST, _around, _d, _hm, _Schedule

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


# --------------------------------------------------------------------------------------------
# Day 0
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DayZero:
    """Day 0 of an announcement on one exchange, with the reason it was chosen.

    Attributes
    ----------
    session : pandas.Timestamp
        Day 0: a session, as a tz-naive midnight timestamp (as :mod:`exchange_calendars` labels
        sessions).
    exchange : str
        The canonical :mod:`exchange_calendars` code, e.g. ``"XTKS"``.
    rule : str
        A short machine tag for the case that applied:

        - ``"before-open"``: an instant before the open, on day 0's own local date;
        - ``"intraday"``: an instant during day 0's session (a lunch break counts as during);
        - ``"after-close"``: an instant at or after a session's close, or a plain date with
          timing ``"after-close"`` that is a session; day 0 is the next session;
        - ``"next-session"``: the instant or plain date fell on a weekend or holiday; day 0 is
          the next session, whatever the timing;
        - ``"same-day"``: a plain date that is a session, timing ``"before-open"`` or
          ``"intraday"``;
        - ``"timing-unknown"``: a plain date that is a session, timing ``"unknown"``; day 0 is
          that session and the CAR(0,+1) window should be read.
    reason : str
        One human sentence saying when the announcement was, in exchange-local time, and why
        day 0 follows, e.g. ``"announced 2026-01-06 17:25 JST, after the Tokyo close (15:30):
        day 0 = 2026-01-07"``. Holidays skipped on the way are named.
    """

    session: pd.Timestamp
    exchange: str
    rule: str
    reason: str


def day_zero(announced: datetime.datetime | datetime.date, timing: str, exchange: str) -> DayZero:
    """Find day 0 of an announcement on an exchange.

    Parameters
    ----------
    announced : datetime.datetime or datetime.date
        Either an instant, a tz-aware :class:`datetime.datetime` (or :class:`pandas.Timestamp`),
        or a plain :class:`datetime.date`, read as the exchange-local date.
    timing : {"before-open", "intraday", "after-close", "unknown"}
        When, relative to the session, a plain-date announcement came. Ignored for instants
        (the instant decides; a disagreeing timing is noted in the reason but not an error).
    exchange : str
        An :mod:`exchange_calendars` code, e.g. ``"XTKS"``.

    Returns
    -------
    DayZero
        Day 0, the rule that applied and a one-sentence reason.

    Raises
    ------
    CalendarError
        If the exchange code is unknown, ``timing`` is not one of the four values,
        ``announced`` is a datetime without UTC offset or not a date at all, or the
        announcement lies outside the calendar's sessions.

    Notes
    -----
    For an instant :math:`t`, day 0 is the first session :math:`s` with
    :math:`\\mathrm{close}(s) > t`, compared in UTC; an instant exactly at the close belongs to
    the next session. For a plain date :math:`d`, day 0 is the first session :math:`s \\ge d`,
    or :math:`s > d` with timing ``"after-close"``.

    Examples
    --------
    >>> import datetime as dt
    >>> tz = dt.timezone(dt.timedelta(hours=8))
    >>> day_zero(dt.datetime(2026, 1, 6, 16, 25, tzinfo=tz), "unknown", "XTKS").reason
    'announced 2026-01-06 17:25 JST, after the Tokyo close (15:30): day 0 = 2026-01-07'
    >>> day_zero(dt.date(2025, 11, 14), "after-close", "XTKS").reason
    'announced 2025-11-14 after the close: day 0 = the next Tokyo session, 2025-11-17'
    """
    if timing not in TIMINGS:
        raise CalendarError(
            f"unknown timing {timing!r}; use one of {', '.join(repr(t) for t in TIMINGS)}"
        )
    if isinstance(announced, datetime.datetime):
        if announced.tzinfo is None or announced.utcoffset() is None:
            raise CalendarError(
                f"`announced` {announced.isoformat()} has no UTC offset; write e.g. "
                "2026-01-06T16:25:00+08:00 or a plain date with timing"
            )
        _check_built(announced.date())  # the local date: a day off the UTC one at most
        instant = pd.Timestamp(announced)
        utc_date = instant.tz_convert("UTC").tz_localize(None).normalize()
        return _day_zero_instant(instant, timing, _around(exchange, utc_date, 2, 2))
    if isinstance(announced, datetime.date):
        _check_built(announced)
        date = pd.Timestamp(announced)
        return _day_zero_date(date, timing, _around(exchange, date, 2, 2))
    raise CalendarError(
        f"`announced` must be a date or a datetime with UTC offset, not {announced!r}"
    )


def _check_built(date: datetime.date) -> None:
    """Refuse a date outside those any calendar is built for (1800 to 2200)."""
    if not EARLIEST.date() <= date <= LATEST.date():
        raise CalendarError(f"announced {date.isoformat()} lies outside the dates exchange "
                            f"calendars are built for here ({EARLIEST.date()} to "
                            f"{LATEST.date()})")


def _day_zero_instant(instant: pd.Timestamp, timing: str, sched: _Schedule) -> DayZero:
    local = instant.tz_convert(sched.tz)
    local_date = local.tz_localize(None).normalize()
    when = f"{_d(local)} {_hm(local)} {local.strftime('%Z')}"
    sched.check(local_date, "announced")
    pos = int(sched.closes.searchsorted(instant, side="right"))
    if local_date < sched.first or pos == len(sched.sessions):
        raise CalendarError(
            f"announced {when}: no {sched.code} session closes after it among the sessions "
            "exchange_calendars supports")
    session = sched.sessions[pos]
    open_, close = sched.opens[pos], sched.closes[pos]
    label = sched.label
    if instant >= open_:
        rule = "intraday"
        hours = f"{_hm(open_.tz_convert(sched.tz))}-{_hm(close.tz_convert(sched.tz))}"
        where = f"during the {label} session ({hours})"
        b_start, b_end = sched.break_starts[pos], sched.break_ends[pos]
        if b_start is not pd.NaT and b_start <= instant < b_end:
            lunch = f"{_hm(b_start.tz_convert(sched.tz))}-{_hm(b_end.tz_convert(sched.tz))}"
            where += f", in the lunch break ({lunch})"
        text = f"announced {when}, {where}: day 0 = {_d(session)}"
    elif local_date == session:
        rule = "before-open"
        where = f"before the {label} open ({_hm(open_.tz_convert(sched.tz))})"
        text = f"announced {when}, {where}: day 0 = {_d(session)}"
    elif pos > 0 and local_date == sched.sessions[pos - 1]:
        rule = "after-close"
        prev_close = sched.closes[pos - 1]
        at = "at" if instant == prev_close else "after"
        where = f"{at} the {label} close ({_hm(prev_close.tz_convert(sched.tz))})"
        text = f"announced {when}, {where}: day 0 = {_d(session)}"
    else:
        rule = "next-session"
        if local_date in sched.sessions:  # only for calendars whose sessions span midnight
            where = f"between {label} sessions"
        else:
            where = _not_a_session(local_date, label)
        text = f"announced {when} ({where}): day 0 = the next session, {_d(session)}"
    text += _closed_between(sched, local_date, session)
    if timing not in ("unknown", rule) and rule != "next-session":
        text += f"; the stated timing {timing!r} disagrees, the instant decides"
    return DayZero(session=session, exchange=sched.code, rule=rule, reason=text)


def _day_zero_date(date: pd.Timestamp, timing: str, sched: _Schedule) -> DayZero:
    sched.check(date, "announced")
    side = "right" if timing == "after-close" else "left"
    pos = int(sched.sessions.searchsorted(date, side=side))
    if pos == len(sched.sessions):
        raise CalendarError(
            f"announced {_d(date)}: no {sched.code} session follows it among the sessions "
            "exchange_calendars supports")
    session = sched.sessions[pos]
    label = sched.label
    on_session = session == date or (pos > 0 and sched.sessions[pos - 1] == date)
    if not on_session:
        rule = "next-session"
        text = (
            f"announced {_d(date)} ({_not_a_session(date, label)}): day 0 = the next session, "
            f"{_d(session)}"
        )
    elif timing == "after-close":
        rule = "after-close"
        text = f"announced {_d(date)} after the close: day 0 = the next {label} session, "
        text += _d(session)
    elif timing == "unknown":
        rule = "timing-unknown"
        text = (
            f"announced {_d(date)}, timing unknown: day 0 = {_d(session)}, the {label} session "
            "that day; read CAR(0,+1) in case it came after the close"
        )
    else:
        rule = "same-day"
        where = "before the open" if timing == "before-open" else "during the session"
        text = f"announced {_d(date)} {where}: day 0 = {_d(session)}, the {label} session that day"
    text += _closed_between(sched, date, session)
    return DayZero(session=session, exchange=sched.code, rule=rule, reason=text)


def _not_a_session(date: pd.Timestamp, label: str) -> str:
    return f"a {_WEEKDAYS[date.day_of_week]}, not a {label} session"


def _closed_between(sched: _Schedule, after: pd.Timestamp, before: pd.Timestamp) -> str:
    """Name the weekdays strictly between two dates on which the exchange was closed."""
    if (before - after).days <= 1:  # adjacent dates: nothing in between
        return ""
    days = pd.date_range(after + pd.Timedelta(days=1), before - pd.Timedelta(days=1), freq="D")
    workdays = np.array([c == "1" for c in sched.weekmask])
    closed = days[workdays[days.day_of_week] & ~days.isin(sched.sessions)]
    if len(closed) == 0:
        return ""
    if len(closed) <= 4:
        listed = ", ".join(_d(d) for d in closed)
    else:
        listed = f"{_d(closed[0])} to {_d(closed[-1])}, {len(closed)} weekdays"
    return f" ({sched.label} closed {listed})"
