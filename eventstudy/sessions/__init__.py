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
timestamp. Each exchange's calendar is built over the dates the call needs (and grown when a
later call needs more), for any date :mod:`exchange_calendars` supports for that exchange; a
date outside those (Tokyo before 1997, say) raises :class:`~eventstudy.errors.CalendarError`
naming the first (or last) supported date. No result or message depends on today's date.

Modules: :mod:`~eventstudy.sessions.exchanges` (calendar by code over a range, exchange of a
ticker), :mod:`~eventstudy.sessions.schedule` (session arrays over the years asked for, date
parsing), :mod:`~eventstudy.sessions.stored` (built schedules kept on disk between processes),
:mod:`~eventstudy.sessions.day_zero` and :mod:`~eventstudy.sessions.offsets`.
"""

from eventstudy.sessions.day_zero import DayZero, day_zero
from eventstudy.sessions.exchanges import (
    canonical_code,
    exchange_label,
    exchange_of,
    exchange_tz,
    get_calendar,
    infer_exchange,
    listed_on,
    supported_range,
)
from eventstudy.sessions.offsets import (
    MAX_OFFSET,
    align_sessions,
    as_window,
    is_session,
    session_offset,
    sessions_at,
    sessions_in_range,
)
from eventstudy.sessions.schedule import DateLike, days_from

__all__ = [
    "MAX_OFFSET",
    "DateLike",
    "DayZero",
    "align_sessions",
    "as_window",
    "canonical_code",
    "day_zero",
    "days_from",
    "exchange_label",
    "exchange_of",
    "exchange_tz",
    "get_calendar",
    "infer_exchange",
    "is_session",
    "listed_on",
    "session_offset",
    "sessions_at",
    "sessions_in_range",
    "supported_range",
]
