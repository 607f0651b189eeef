"""Exchange calendars, day 0 and session offsets.

Terms used throughout the package, defined once here:

session
    A trading day of one exchange, as listed by :mod:`exchange_calendars`: a tz-naive midnight
    :class:`pandas.Timestamp` labelling the exchange-local date, with an open and a close instant
    (UTC) and possibly a lunch break. Weekends and exchange holidays are not sessions.
day 0
    The first session of the security's exchange in which the market could react to an
    announcement: the first session whose close is strictly after the announcement instant. For a
    plain date, the first session on or after that exchange-local date, or strictly after it
    when the announcement came after the close. See :func:`day_zero`.
offset
    A signed count of sessions of the security's exchange relative to day 0: offset 0 is day 0,
    +1 the next session, -1 the previous one. Offsets step over weekends and holidays; they never
    count calendar days.
window
    An inclusive pair of offsets ``(start, end)``, e.g. the event window ``(-10, 10)``, the
    estimation window ``(-250, -11)`` or the CAR window ``(0, 1)``.

Dates passed to the helpers here are parsed at the boundary: a date-like value (ISO string,
:class:`datetime.date`, tz-naive midnight :class:`pandas.Timestamp`) becomes a tz-naive midnight
timestamp, and any date outside the calendar's first and last session raises
:class:`~eventstudy.errors.CalendarError`.
"""

from __future__ import annotations

import datetime
import difflib
import functools
import operator
import re
import warnings
from dataclasses import dataclass
from typing import TypeAlias

import exchange_calendars
import numpy as np
import pandas as pd

from eventstudy._typing import TIMINGS
from eventstudy.errors import CalendarError

__all__ = [
    "DayZero",
    "align_sessions",
    "day_zero",
    "exchange_label",
    "get_calendar",
    "infer_exchange",
    "is_session",
    "session_offset",
    "sessions_at",
    "sessions_in_range",
]

DateLike: TypeAlias = str | datetime.date | pd.Timestamp | np.datetime64
"""A value naming a date: ISO string, ``datetime.date``, or tz-naive midnight timestamp."""

_SUGGESTED_CODES = ("XTKS", "XASX", "XNYS", "XNAS", "XLON", "XHKG", "XTSE", "XFRA", "XPAR")

# Yahoo-style ticker suffix -> exchange_calendars code.
_SUFFIX_EXCHANGES: dict[str, str] = {
    "T": "XTKS",
    "AX": "XASX",
    "L": "XLON",
    "HK": "XHKG",
    "TO": "XTSE",
    "V": "XTSX",
    "DE": "XFRA",
    "F": "XFRA",
    "PA": "XPAR",
    "AS": "XAMS",
    "BR": "XBRU",
    "LS": "XLIS",
    "MI": "XMIL",
    "MC": "XMAD",
    "SW": "XSWX",
    "ST": "XSTO",
    "OL": "XOSL",
    "CO": "XCSE",
    "HE": "XHEL",
    "VI": "XWBO",
    "IR": "XDUB",
    "WA": "XWAR",
    "IS": "XIST",
    "JO": "XJSE",
    "TA": "XTAE",
    "SI": "XSES",
    "KS": "XKRX",
    "KQ": "XKRX",
    "SS": "XSHG",
    "TW": "XTAI",
    "NZ": "XNZE",
    "BO": "XBOM",
    "JK": "XIDX",
    "KL": "XKLS",
    "BK": "XBKK",
    "SA": "BVMF",
    "MX": "XMEX",
}

# Index tickers (Yahoo spelling) -> the exchange whose sessions the index is computed on.
_INDEX_EXCHANGES: dict[str, str] = {
    "^N225": "XTKS",
    "^TOPX": "XTKS",
    "^TPX": "XTKS",
    "^AXJO": "XASX",
    "^AORD": "XASX",
    "^GSPC": "XNYS",
    "^DJI": "XNYS",
    "^IXIC": "XNYS",
    "^NDX": "XNYS",
    "^RUT": "XNYS",
    "^FTSE": "XLON",
    "^HSI": "XHKG",
    "^GSPTSE": "XTSE",
    "^GDAXI": "XFRA",
    "^FCHI": "XPAR",
}

# A plain US ticker: letters, optionally a class or series after '-' (BRK-B, BAC-PL) or a class
# letter after '.' (BF.B); two letters after '.' look like a foreign suffix (ABC.SI), so they fail.
_US_TICKER = re.compile(r"[A-Z]{1,5}(?:-[A-Z]{1,2}|\.[A-Z])?")

_LABELS: dict[str, str] = {
    "XTKS": "Tokyo",
    "XASX": "Sydney",
    "XNYS": "New York",
    "XNAS": "New York",
    "XASE": "New York",
    "XLON": "London",
    "XHKG": "Hong Kong",
    "XTSE": "Toronto",
    "XTSX": "Toronto",
    "XFRA": "Frankfurt",
    "XETR": "Frankfurt",
    "XPAR": "Paris",
    "XAMS": "Amsterdam",
    "XBRU": "Brussels",
    "XLIS": "Lisbon",
    "XMIL": "Milan",
    "XMAD": "Madrid",
    "XSWX": "Zurich",
    "XSTO": "Stockholm",
    "XOSL": "Oslo",
    "XCSE": "Copenhagen",
    "XHEL": "Helsinki",
    "XWBO": "Vienna",
    "XDUB": "Dublin",
    "XWAR": "Warsaw",
    "XIST": "Istanbul",
    "XJSE": "Johannesburg",
    "XTAE": "Tel Aviv",
    "XSES": "Singapore",
    "XKRX": "Seoul",
    "XSHG": "Shanghai",
    "XTAI": "Taipei",
    "XNZE": "Wellington",
    "XBOM": "Mumbai",
    "XIDX": "Jakarta",
    "XKLS": "Kuala Lumpur",
    "XBKK": "Bangkok",
    "BVMF": "São Paulo",
    "XMEX": "Mexico City",
}

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


# --------------------------------------------------------------------------------------------
# Calendars and exchanges
# --------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def get_calendar(code: str) -> exchange_calendars.ExchangeCalendar:
    """Return the exchange calendar for an exchange code (cached).

    Parameters
    ----------
    code : str
        An :mod:`exchange_calendars` code such as ``"XTKS"`` (Tokyo), ``"XASX"`` (Sydney) or
        ``"XNYS"`` (New York). Aliases (``"NYSE"``, ``"JPX"``) and lower case are accepted.

    Returns
    -------
    exchange_calendars.ExchangeCalendar
        The calendar with :mod:`exchange_calendars`' default bounds (about 20 years back to one
        year ahead of today).

    Raises
    ------
    CalendarError
        If no calendar has that code. The message lists valid codes and says where to fix it.
    """
    names = exchange_calendars.get_calendar_names(include_aliases=True)
    name = code.strip() if isinstance(code, str) else code
    if name not in names and isinstance(name, str) and name.upper() in names:
        name = name.upper()
    if name not in names:
        close = difflib.get_close_matches(str(name).upper(), names, n=1)
        hint = f"did you mean {close[0]}? " if close else ""
        raise CalendarError(
            f"unknown exchange code {code!r}; {hint}valid codes include "
            f"{', '.join(_SUGGESTED_CODES)} (see exchange_calendars.get_calendar_names()); "
            f'fix `exchange = "..."` for this security in events.toml'
        )
    with warnings.catch_warnings():
        # exchange_calendars 4.13 reads tz-aware ``Series.values`` while building a calendar,
        # which pandas >= 3.1 deprecates; the warning is theirs and not actionable here.
        warnings.filterwarnings(
            "ignore", message="Series.values returning an ndarray", category=DeprecationWarning
        )
        return exchange_calendars.get_calendar(exchange_calendars.resolve_alias(name))


def infer_exchange(ticker: str) -> str:
    """Infer the exchange code of a Yahoo-style ticker.

    Parameters
    ----------
    ticker : str
        A ticker as written in events.toml, e.g. ``"6330.T"``, ``"LYC.AX"``, ``"^N225"``,
        ``"MP"``, ``"BRK-B"``.

    Returns
    -------
    str
        The :mod:`exchange_calendars` code: ``".T"`` gives ``"XTKS"``, ``".AX"`` ``"XASX"``,
        ``".L"`` ``"XLON"``, ``".HK"`` ``"XHKG"``, ``".TO"`` ``"XTSE"``, ``".DE"`` ``"XFRA"``,
        ``".PA"`` ``"XPAR"`` (and other common Yahoo suffixes); known index tickers map to
        their home exchange (``^N225`` to ``XTKS``, ``^AXJO`` to ``XASX``, ``^GSPC`` to
        ``XNYS``); a plain US ticker (letters, optionally a class after ``-`` or ``.``) gives
        ``"XNYS"``.

    Raises
    ------
    CalendarError
        For anything else (currencies such as ``"JPY=X"``, futures, unknown indices or
        suffixes). The message says to set ``exchange = "..."`` in events.toml.

    Examples
    --------
    >>> infer_exchange("6330.T"), infer_exchange("^AXJO"), infer_exchange("BRK-B")
    ('XTKS', 'XASX', 'XNYS')
    """
    symbol = ticker.strip().upper()
    if symbol in _INDEX_EXCHANGES:
        return _INDEX_EXCHANGES[symbol]
    if not symbol.startswith("^") and "." in symbol:
        suffix = symbol.rsplit(".", 1)[1]
        if suffix in _SUFFIX_EXCHANGES:
            return _SUFFIX_EXCHANGES[suffix]
    if _US_TICKER.fullmatch(symbol):
        return "XNYS"
    raise CalendarError(
        f"cannot infer the exchange of ticker {ticker!r}; set "
        f'`exchange = "..."` for this security in events.toml (an exchange_calendars code '
        f"such as {', '.join(_SUGGESTED_CODES[:4])})"
    )


def exchange_label(code: str) -> str:
    """Return a short human name (the city) for an exchange code.

    Parameters
    ----------
    code : str
        An :mod:`exchange_calendars` code.

    Returns
    -------
    str
        ``"Tokyo"`` for ``"XTKS"``, ``"Sydney"`` for ``"XASX"``, ``"New York"`` for ``"XNYS"``,
        ...; the code itself when no label is known.
    """
    return _LABELS.get(code, code)


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
    sched = _schedule(exchange)
    if isinstance(announced, datetime.datetime):
        if announced.tzinfo is None or announced.utcoffset() is None:
            raise CalendarError(
                f"`announced` {announced.isoformat()} has no UTC offset; write e.g. "
                "2026-01-06T16:25:00+08:00 or a plain date with timing"
            )
        return _day_zero_instant(pd.Timestamp(announced), timing, sched)
    if isinstance(announced, datetime.date):
        return _day_zero_date(pd.Timestamp(announced), timing, sched)
    raise CalendarError(
        f"`announced` must be a date or a datetime with UTC offset, not {announced!r}"
    )


def _day_zero_instant(instant: pd.Timestamp, timing: str, sched: _Schedule) -> DayZero:
    local = instant.tz_convert(sched.tz)
    local_date = local.tz_localize(None).normalize()
    when = f"{_d(local)} {_hm(local)} {local.strftime('%Z')}"
    pos = int(sched.closes.searchsorted(instant, side="right"))
    if local_date < sched.first or pos == len(sched.sessions):
        raise CalendarError(
            f"announced {when} is outside the {sched.code} calendar, whose sessions run "
            f"{sched.bounds()}"
        )
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
    if not sched.first <= date <= sched.last:
        raise CalendarError(
            f"announced {_d(date)} is outside the {sched.code} calendar, whose sessions run "
            f"{sched.bounds()}"
        )
    side = "right" if timing == "after-close" else "left"
    pos = int(sched.sessions.searchsorted(date, side=side))
    if pos == len(sched.sessions):
        raise CalendarError(
            f"announced {_d(date)} after the close: the next {sched.code} session lies beyond "
            f"the calendar, whose sessions run {sched.bounds()}"
        )
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


# --------------------------------------------------------------------------------------------
# Offsets and ranges
# --------------------------------------------------------------------------------------------


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
    sched = _schedule(exchange)
    start, end = operator.index(start), operator.index(end)
    if start > end:
        raise CalendarError(f"window start {start} is after its end {end}")
    pos = _session_position(sched, day0)
    lo, hi = -pos, len(sched.sessions) - 1 - pos
    for offset in (start, end):
        if not lo <= offset <= hi:
            edge = "before the first" if offset < lo else "after the last"
            first_last = sched.first if offset < lo else sched.last
            raise CalendarError(
                f"offset {offset:+d} from day 0 {_d(sched.sessions[pos])} falls {edge} "
                f"{sched.code} session, {_d(first_last)}; offsets from this day 0 must lie in "
                f"{lo:+d} to {hi:+d} (sessions {sched.bounds()})"
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
    sched = _schedule(exchange)
    ts = _parse_date(date, "date", sched)
    return bool(sched.sessions[sched.sessions.searchsorted(ts)] == ts)


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
    sched = _schedule(exchange)
    lo = _parse_date(start, "start", sched)
    hi = _parse_date(end, "end", sched)
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
    here, there = _schedule(exchange), _schedule(other)
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
            f"{_d(sessions[0])}; the {there.code} calendar runs {there.bounds()}"
        )
    return pd.DatetimeIndex(there.sessions[last_closed])
