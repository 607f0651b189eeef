"""Tests for eventstudy.sessions: exchanges, day 0, session offsets.

Calendar facts relied on (exchange_calendars 4.13): Tokyo closed 2026-01-12 (Coming of Age Day),
2026-02-23 (Emperor's Birthday), 2024-11-04 (Culture Day, observed) and 2025-12-31 to 2026-01-02;
Tokyo closes 15:30 JST since 2024-11-05 (15:00 before), lunch 11:30-12:30. Sydney trades
10:00-16:00 local, is UTC+11 (AEDT) in summer and UTC+10 (AEST) in winter, closed 2026-01-26
(Australia Day), early close 14:10 on 2025-12-24. New York trades 09:30-16:00 America/New_York,
closed 2026-01-19 (Martin Luther King Jr. Day), early close 13:00 on 2025-11-28.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import exchange_calendars
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventstudy.errors import CalendarError, EventStudyError
from eventstudy.sessions import (
    DayZero,
    align_sessions,
    day_zero,
    exchange_label,
    get_calendar,
    infer_exchange,
    is_session,
    session_offset,
    sessions_at,
    sessions_in_range,
)


def at(iso: str) -> dt.datetime:
    """An instant from an ISO string with UTC offset."""
    return dt.datetime.fromisoformat(iso)


def on(iso: str) -> dt.date:
    """A plain date from an ISO string."""
    return dt.date.fromisoformat(iso)


class Case(NamedTuple):
    id: str
    announced: dt.datetime | dt.date
    timing: str
    day0: str
    rule: str
    reason_has: tuple[str, ...] = ()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize ``case`` from the exchange class's ``cases`` table, with readable ids."""
    if "case" in metafunc.fixturenames:
        cases = metafunc.cls.cases
        metafunc.parametrize("case", cases, ids=[c.id for c in cases])


# --------------------------------------------------------------------------------------------
# Known answers from our event calendar (day 0 Tokyo / Sydney)
# --------------------------------------------------------------------------------------------

KNOWN_ANSWERS = [
    # Friday, plain date after the close: the weekend is skipped on both exchanges.
    pytest.param(on("2025-04-04"), "after-close", "2025-04-07", "2025-04-07", id="2025-04-04"),
    # Plain date during the session: that session.
    pytest.param(on("2025-10-09"), "intraday", "2025-10-09", "2025-10-09", id="2025-10-09"),
    # 16:55 JST / 18:55 AEDT: after both closes, so the next day.
    pytest.param(
        at("2025-10-30T15:55+08:00"),
        "unknown",
        "2025-10-31",
        "2025-10-31",
        id="2025-10-30T15:55+08",
    ),
    # Timing unknown: the same session (and the report reads CAR(0,+1)).
    pytest.param(on("2025-11-07"), "unknown", "2025-11-07", "2025-11-07", id="2025-11-07"),
    # Friday after the close: Monday.
    pytest.param(on("2025-11-14"), "after-close", "2025-11-17", "2025-11-17", id="2025-11-14"),
    # 14:12 JST is during Tokyo's session but 16:12 AEDT is after Sydney's 16:00 close.
    pytest.param(
        at("2025-11-19T14:12+09:00"),
        "unknown",
        "2025-11-19",
        "2025-11-20",
        id="2025-11-19T14:12+09",
    ),
    # 17:25 JST / 19:25 AEDT: after both closes.
    pytest.param(
        at("2026-01-06T16:25+08:00"),
        "unknown",
        "2026-01-07",
        "2026-01-07",
        id="2026-01-06T16:25+08",
    ),
    # Thursday after the close: Friday.
    pytest.param(on("2026-01-08"), "after-close", "2026-01-09", "2026-01-09", id="2026-01-08"),
    # Before the open: the same session.
    pytest.param(on("2026-02-02"), "before-open", "2026-02-02", "2026-02-02", id="2026-02-02"),
    # 11:23 JST (morning session) / 13:23 AEDT: during both sessions.
    pytest.param(
        at("2026-02-24T10:23+08:00"),
        "unknown",
        "2026-02-24",
        "2026-02-24",
        id="2026-02-24T10:23+08",
    ),
    # Friday after the close; Tokyo is closed Monday 2026-02-23 (Emperor's Birthday).
    pytest.param(on("2026-02-20"), "after-close", "2026-02-24", "2026-02-23", id="2026-02-20"),
    # Friday after the close; Tokyo is closed Monday 2026-01-12 (Coming of Age Day).
    pytest.param(on("2026-01-09"), "after-close", "2026-01-13", "2026-01-12", id="2026-01-09"),
]


@pytest.mark.parametrize(("announced", "timing", "tokyo", "sydney"), KNOWN_ANSWERS)
def test_known_answers(announced: dt.date, timing: str, tokyo: str, sydney: str) -> None:
    assert day_zero(announced, timing, "XTKS").session == pd.Timestamp(tokyo)
    assert day_zero(announced, timing, "XASX").session == pd.Timestamp(sydney)


# --------------------------------------------------------------------------------------------
# One base class; each exchange gives its cases
# --------------------------------------------------------------------------------------------


class CheckDayZero:
    """Checks every exchange must pass; subclasses set ``exchange`` and ``cases``."""

    exchange: str
    cases: tuple[Case, ...]

    def test_day_zero(self, case: Case) -> None:
        result = day_zero(case.announced, case.timing, self.exchange)
        assert isinstance(result, DayZero)
        assert result.exchange == self.exchange
        assert result.session == pd.Timestamp(case.day0)
        assert result.session.tz is None
        assert result.rule == case.rule
        for text in case.reason_has:
            assert text in result.reason
        assert "day 0 = " in result.reason

    def test_day_zero_is_a_session(self, case: Case) -> None:
        result = day_zero(case.announced, case.timing, self.exchange)
        assert is_session(self.exchange, result.session)


class TestXTKS(CheckDayZero):
    exchange = "XTKS"
    cases = (
        # 07:00 JST, before the 09:00 open on a session day.
        Case(
            "before-open",
            at("2026-01-09T07:00+09:00"),
            "unknown",
            "2026-01-09",
            "before-open",
            ("2026-01-09 07:00 JST", "before the Tokyo open (09:00)"),
        ),
        # Morning session, as in the lead's example sentence.
        Case(
            "intraday-morning",
            at("2026-02-24T11:23+09:00"),
            "unknown",
            "2026-02-24",
            "intraday",
            (
                "announced 2026-02-24 11:23 JST, during the Tokyo session "
                "(09:00-15:30): day 0 = 2026-02-24",
            ),
        ),
        # 12:00 JST is in the 11:30-12:30 lunch break, which counts as during the session.
        Case(
            "lunch-break",
            at("2026-01-09T12:00+09:00"),
            "unknown",
            "2026-01-09",
            "intraday",
            ("lunch break (11:30-12:30)",),
        ),
        # 17:25 JST, after the 15:30 close: the lead's example sentence, word for word.
        Case(
            "after-close",
            at("2026-01-06T16:25+08:00"),
            "unknown",
            "2026-01-07",
            "after-close",
            ("announced 2026-01-06 17:25 JST, after the Tokyo close (15:30): day 0 = 2026-01-07",),
        ),
        # Exactly at the close is not after it: the next session, across the 01-12 holiday.
        Case(
            "at-close-holiday",
            at("2026-01-09T15:30+09:00"),
            "unknown",
            "2026-01-13",
            "after-close",
            ("at the Tokyo close (15:30)", "Tokyo closed 2026-01-12"),
        ),
        # One second before the close is still during the session.
        Case(
            "just-before-close",
            at("2026-01-09T15:29:59+09:00"),
            "unknown",
            "2026-01-09",
            "intraday",
            ("15:29:59 JST",),
        ),
        # 15:10 JST on 2024-11-01 was after the old 15:00 close; 11-04 was a holiday.
        Case(
            "old-close-15:00",
            at("2024-11-01T15:10+09:00"),
            "unknown",
            "2024-11-05",
            "after-close",
            ("after the Tokyo close (15:00)", "Tokyo closed 2024-11-04"),
        ),
        # 15:10 JST on 2024-11-05 is during the session under the new 15:30 close.
        Case(
            "new-close-15:30",
            at("2024-11-05T15:10+09:00"),
            "unknown",
            "2024-11-05",
            "intraday",
            ("(09:00-15:30)",),
        ),
        # A Sunday instant, before a Monday holiday: Tuesday.
        Case(
            "sunday-instant",
            at("2026-02-22T10:00+09:00"),
            "unknown",
            "2026-02-24",
            "next-session",
            ("a Sunday, not a Tokyo session", "Tokyo closed 2026-02-23"),
        ),
        # A stated timing that disagrees with the instant is noted, not an error.
        Case(
            "timing-disagrees",
            at("2026-01-06T17:25+09:00"),
            "before-open",
            "2026-01-07",
            "after-close",
            ("stated timing 'before-open' disagrees",),
        ),
        # Plain dates, each timing.
        Case(
            "date-before-open",
            on("2026-02-02"),
            "before-open",
            "2026-02-02",
            "same-day",
            ("before the open",),
        ),
        Case(
            "date-intraday",
            on("2025-10-09"),
            "intraday",
            "2025-10-09",
            "same-day",
            ("during the session",),
        ),
        Case(
            "date-after-close",
            on("2025-11-14"),
            "after-close",
            "2025-11-17",
            "after-close",
            ("announced 2025-11-14 after the close: day 0 = the next Tokyo session, 2025-11-17",),
        ),
        Case(
            "date-unknown",
            on("2025-11-07"),
            "unknown",
            "2025-11-07",
            "timing-unknown",
            ("timing unknown", "CAR(0,+1)"),
        ),
        # Friday after the close, Monday holiday: Tuesday, naming the holiday.
        Case(
            "date-after-close-holiday",
            on("2026-02-20"),
            "after-close",
            "2026-02-24",
            "after-close",
            ("Tokyo closed 2026-02-23",),
        ),
        # A Sunday plain date: the next session, whatever the timing.
        Case(
            "date-sunday",
            on("2026-02-01"),
            "unknown",
            "2026-02-02",
            "next-session",
            (
                "announced 2026-02-01 (a Sunday, not a Tokyo session): day 0 = the next "
                "session, 2026-02-02",
            ),
        ),
        # After the close on a Sunday is still Monday (not Tuesday).
        Case(
            "date-sunday-after-close", on("2026-02-01"), "after-close", "2026-02-02", "next-session"
        ),
        # The holiday itself, as a plain date.
        Case(
            "date-holiday",
            on("2026-01-12"),
            "intraday",
            "2026-01-13",
            "next-session",
            ("a Monday, not a Tokyo session",),
        ),
        # Year-end closure: 2025-12-31 to 2026-01-02 are all named.
        Case(
            "date-year-end",
            on("2025-12-30"),
            "after-close",
            "2026-01-05",
            "after-close",
            ("Tokyo closed 2025-12-31, 2026-01-01, 2026-01-02",),
        ),
    )


class TestXASX(CheckDayZero):
    exchange = "XASX"
    cases = (
        # 09:23 AEDT (UTC+11 in February), before the 10:00 open.
        Case(
            "before-open",
            at("2026-02-24T06:23+08:00"),
            "unknown",
            "2026-02-24",
            "before-open",
            ("09:23 AEDT", "before the Sydney open (10:00)"),
        ),
        # 13:23 AEDT, during the session.
        Case(
            "intraday",
            at("2026-02-24T10:23+08:00"),
            "unknown",
            "2026-02-24",
            "intraday",
            ("during the Sydney session (10:00-16:00)",),
        ),
        # 16:12 AEDT, after the 16:00 close.
        Case(
            "after-close",
            at("2025-11-19T14:12+09:00"),
            "unknown",
            "2025-11-20",
            "after-close",
            ("16:12 AEDT", "after the Sydney close (16:00)"),
        ),
        # Winter: 09:30 AEST (UTC+10) is before the open; in AEDT it would be during.
        Case(
            "winter-aest",
            at("2025-07-01T09:30+10:00"),
            "unknown",
            "2025-07-01",
            "before-open",
            ("09:30 AEST",),
        ),
        # Christmas Eve early close at 14:10; Christmas and Boxing Day closed.
        Case(
            "early-close",
            at("2025-12-24T14:30+11:00"),
            "unknown",
            "2025-12-29",
            "after-close",
            ("after the Sydney close (14:10)", "Sydney closed 2025-12-25, 2025-12-26"),
        ),
        # Friday after the close; Monday 2026-01-26 is Australia Day.
        Case(
            "date-after-close-holiday",
            on("2026-01-23"),
            "after-close",
            "2026-01-27",
            "after-close",
            ("Sydney closed 2026-01-26",),
        ),
        # Sydney trades on Tokyo's holidays.
        Case("date-tokyo-holiday", on("2026-01-12"), "intraday", "2026-01-12", "same-day"),
        Case("date-before-open", on("2026-02-02"), "before-open", "2026-02-02", "same-day"),
        Case(
            "date-unknown",
            on("2025-11-07"),
            "unknown",
            "2025-11-07",
            "timing-unknown",
            ("CAR(0,+1)",),
        ),
        Case(
            "date-saturday",
            on("2026-01-10"),
            "before-open",
            "2026-01-12",
            "next-session",
            ("a Saturday, not a Sydney session",),
        ),
    )


class TestXNYS(CheckDayZero):
    exchange = "XNYS"
    cases = (
        # 16:25+08:00 is 03:25 EST the same day, before the 09:30 open.
        Case(
            "before-open",
            at("2026-01-06T16:25+08:00"),
            "unknown",
            "2026-01-06",
            "before-open",
            ("03:25 EST", "before the New York open (09:30)"),
        ),
        # 13:45 UTC is 09:45 EDT after the 2026-03-08 DST switch: during the session.
        Case(
            "dst-intraday",
            at("2026-03-09T13:45+00:00"),
            "unknown",
            "2026-03-09",
            "intraday",
            ("09:45 EDT",),
        ),
        # The same UTC clock time a week earlier is 08:45 EST: before the open.
        Case(
            "est-before-open",
            at("2026-03-02T13:45+00:00"),
            "unknown",
            "2026-03-02",
            "before-open",
            ("08:45 EST",),
        ),
        # 16:00 New York exactly: at the close, so the next session.
        Case(
            "at-close",
            at("2026-01-08T16:00-05:00"),
            "unknown",
            "2026-01-09",
            "after-close",
            ("at the New York close (16:00)",),
        ),
        # Day after Thanksgiving closes at 13:00; 13:30 is after it.
        Case(
            "early-close",
            at("2025-11-28T13:30-05:00"),
            "unknown",
            "2025-12-01",
            "after-close",
            ("after the New York close (13:00)",),
        ),
        # Friday after the close; Monday 2026-01-19 is Martin Luther King Jr. Day.
        Case(
            "date-after-close-holiday",
            on("2026-01-16"),
            "after-close",
            "2026-01-20",
            "after-close",
            ("New York closed 2026-01-19",),
        ),
        # A plain Saturday date: Monday.
        Case(
            "date-saturday",
            on("2026-01-10"),
            "unknown",
            "2026-01-12",
            "next-session",
            ("a Saturday, not a New York session",),
        ),
        Case("date-intraday", on("2025-10-09"), "intraday", "2025-10-09", "same-day"),
    )


# --------------------------------------------------------------------------------------------
# Properties (hypothesis), checked against exchange_calendars directly
# --------------------------------------------------------------------------------------------

EXCHANGES = ["XTKS", "XASX", "XNYS"]


def reference_calendar(exchange: str) -> exchange_calendars.ExchangeCalendar:
    """The library's own calendar over a fixed range (never its default, which follows today)."""
    return exchange_calendars.get_calendar(exchange, start="2023-01-01", end="2027-12-31")


@pytest.mark.parametrize("exchange", EXCHANGES)
@settings(max_examples=150, deadline=None)
@given(
    st.datetimes(
        min_value=dt.datetime(2025, 1, 1),
        max_value=dt.datetime(2025, 12, 31, 23, 59, 59),
        timezones=st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=9))]),
    )
)
def test_instant_property(exchange: str, instant: dt.datetime) -> None:
    # Day 0 is a session whose close is after the instant; the previous close is not.
    cal = reference_calendar(exchange)
    day0 = day_zero(instant, "unknown", exchange).session
    stamp = pd.Timestamp(instant)
    assert cal.is_session(day0)
    assert cal.closes[day0] > stamp
    assert cal.closes[cal.previous_session(day0)] <= stamp


@pytest.mark.parametrize("exchange", EXCHANGES)
@settings(max_examples=100, deadline=None)
@given(
    st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2025, 12, 31)),
    st.sampled_from(["before-open", "intraday", "after-close", "unknown"]),
)
def test_date_property(exchange: str, date: dt.date, timing: str) -> None:
    # Day 0 is the first session on (or, after the close, strictly after) the date.
    cal = reference_calendar(exchange)
    day0 = day_zero(date, timing, exchange).session
    stamp = pd.Timestamp(date)
    assert cal.is_session(day0)
    assert day0 > stamp if timing == "after-close" else day0 >= stamp
    between = cal.sessions[(cal.sessions >= stamp) & (cal.sessions < day0)]
    assert list(between) == ([stamp] if timing == "after-close" and cal.is_session(stamp) else [])


# --------------------------------------------------------------------------------------------
# Errors of day_zero
# --------------------------------------------------------------------------------------------


def test_naive_datetime_is_an_error() -> None:
    with pytest.raises(CalendarError, match=r"has no UTC offset; write e\.g\. 2026-01-06T16:25"):
        day_zero(dt.datetime(2026, 1, 6, 16, 25), "unknown", "XTKS")


def test_naive_timestamp_is_an_error() -> None:
    with pytest.raises(CalendarError, match="no UTC offset"):
        day_zero(pd.Timestamp("2026-01-06 16:25"), "unknown", "XTKS")


def test_unknown_timing_lists_valid_ones() -> None:
    with pytest.raises(CalendarError, match=r"'after_close'.*'before-open'.*'after-close'"):
        day_zero(on("2026-01-06"), "after_close", "XTKS")


def test_not_a_date_is_an_error() -> None:
    with pytest.raises(CalendarError, match="must be a date"):
        day_zero("2026-01-06", "unknown", "XTKS")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "announced",
    [on("1990-01-05"), at("1990-01-05T12:00+09:00")], ids=["date-before", "instant-before"],
)
def test_before_the_first_supported_session_names_it(announced: dt.date) -> None:
    # exchange_calendars builds Tokyo from 1997 on (XTKS.bound_min): the one line names the
    # first session, whatever today's date
    with pytest.raises(CalendarError, match=f"announced {announced:%Y-%m-%d} is before "
                       "1997-01-06, the first XTKS session exchange_calendars supports"):
        day_zero(announced, "unknown", "XTKS")


@pytest.mark.parametrize(
    "announced", [on("1997-04-30"), on("2100-01-05"), at("2100-01-05T12:00Z")],
    ids=["1997", "date-2100", "instant-2100"])
def test_any_supported_date_has_a_day_zero(announced: dt.date) -> None:
    # the calendar is built for the dates asked about, not 20 years back from today
    got = day_zero(announced, "unknown", "XNYS").session
    ref = exchange_calendars.get_calendar("XNYS", start=got - pd.Timedelta(days=30),
                                          end=got + pd.Timedelta(days=30))
    assert ref.is_session(got)
    assert got - pd.Timestamp(announced.strftime("%Y-%m-%d")) < pd.Timedelta(days=5)


def test_after_the_last_supported_session_is_an_error() -> None:
    # Shanghai's calendar is defined to 2026-12-31 (XSHG.bound_max)
    last = exchange_calendars.get_calendar("XSHG", start="2026-01-01").last_session.date()
    with pytest.raises(CalendarError, match="no XSHG session follows it"):
        day_zero(last, "after-close", "XSHG")
    assert day_zero(last, "before-open", "XSHG").session == pd.Timestamp(last)
    with pytest.raises(CalendarError, match="after 2026-12-31, the last date"):
        day_zero(on("2027-02-01"), "unknown", "XSHG")


def test_unknown_exchange_in_day_zero() -> None:
    with pytest.raises(CalendarError, match="XTKY"):
        day_zero(on("2026-01-06"), "unknown", "XTKY")


# --------------------------------------------------------------------------------------------
# Calendars, exchanges, labels
# --------------------------------------------------------------------------------------------


def test_get_calendar_is_cached() -> None:
    cal = get_calendar("XTKS", "2025-01-01", "2025-12-31")
    assert cal is get_calendar("xtks", "2025-01-01", "2025-12-31")
    assert cal.name == "XTKS"
    assert cal.first_session == pd.Timestamp("2025-01-06")


def test_get_calendar_accepts_aliases_and_lower_case() -> None:
    assert get_calendar("NYSE", "2025-01-01", "2025-12-31").name == "XNYS"
    assert get_calendar("xasx", "2025-01-01", "2025-12-31").name == "XASX"
    assert day_zero(on("2026-01-10"), "unknown", "NYSE").exchange == "XNYS"


def test_get_calendar_unknown_code() -> None:
    with pytest.raises(CalendarError) as info:
        get_calendar("XTKY", "2025-01-01", "2025-12-31")
    message = str(info.value)
    assert "'XTKY'" in message
    for code in ("XTKS", "XASX", "XNYS", "XLON", "XHKG"):
        assert code in message
    assert "`exchange = " in message and "events.toml" in message
    assert isinstance(info.value, EventStudyError)


INFER_TABLE = [
    ("6330.T", "XTKS"),
    ("LYC.AX", "XASX"),
    ("BP.L", "XLON"),
    ("0700.HK", "XHKG"),
    ("SHOP.TO", "XTSE"),
    ("SAP.DE", "XFRA"),
    ("MC.PA", "XPAR"),
    ("^N225", "XTKS"),
    ("^TOPX", "XTKS"),
    ("^TPX", "XTKS"),
    ("^AXJO", "XASX"),
    ("^AORD", "XASX"),
    ("^GSPC", "XNYS"),
    ("^DJI", "XNYS"),
    ("^IXIC", "XNYS"),
    ("^RUT", "XNYS"),
    ("MP", "XNYS"),
    ("AAPL", "XNYS"),
    ("BRK-B", "XNYS"),
    ("BF.B", "XNYS"),
    ("aapl", "XNYS"),
]


@pytest.mark.parametrize(("ticker", "code"), INFER_TABLE, ids=[t for t, _ in INFER_TABLE])
def test_infer_exchange(ticker: str, code: str) -> None:
    assert infer_exchange(ticker) == code


@pytest.mark.parametrize("ticker", ["JPY=X", "^XYZ", "GC=F", "ABC.ZZ", "", "BTC-USD-X"])
def test_infer_exchange_refuses(ticker: str) -> None:
    with pytest.raises(CalendarError, match=r'set `exchange = "\.\.\."`'):
        infer_exchange(ticker)


@pytest.mark.parametrize(
    ("code", "label"),
    [
        ("XTKS", "Tokyo"),
        ("XASX", "Sydney"),
        ("XNYS", "New York"),
        ("XLON", "London"),
        ("XHKG", "Hong Kong"),
        ("ZZZZ", "ZZZZ"),
    ],
)
def test_exchange_label(code: str, label: str) -> None:
    assert exchange_label(code) == label


# --------------------------------------------------------------------------------------------
# Offsets and ranges
# --------------------------------------------------------------------------------------------


def test_sessions_at_steps_over_holiday() -> None:
    # Tokyo is closed 2026-01-12: offset +1 from Friday 01-09 is Tuesday 01-13.
    got = sessions_at("XTKS", pd.Timestamp("2026-01-09"), -2, 2)
    assert list(got) == list(
        pd.to_datetime(["2026-01-07", "2026-01-08", "2026-01-09", "2026-01-13", "2026-01-14"])
    )
    assert isinstance(got, pd.DatetimeIndex)
    # Sydney trades on 01-12, so the same offsets differ there.
    assert session_offset("XASX", "2026-01-09", 1) == pd.Timestamp("2026-01-12")


def test_sessions_at_backwards_over_holiday() -> None:
    # Offset -1 from Tuesday 2026-02-24 is Friday 02-20 (02-23 closed).
    assert session_offset("XTKS", on("2026-02-24"), -1) == pd.Timestamp("2026-02-20")
    assert session_offset("XTKS", "2026-02-24", 0) == pd.Timestamp("2026-02-24")


def test_sessions_at_estimation_window_length() -> None:
    got = sessions_at("XNYS", "2026-01-06", -250, -11)
    assert len(got) == 240
    assert got[-1] < pd.Timestamp("2026-01-06")
    assert got.is_monotonic_increasing


def test_sessions_at_requires_a_session() -> None:
    with pytest.raises(
        CalendarError,
        match=r"day0 2026-01-12 is not a XTKS session.*2026-01-09 "
        r"and 2026-01-13",
    ):
        sessions_at("XTKS", "2026-01-12", 0, 1)


def test_sessions_at_out_of_bounds_names_offset_and_bounds() -> None:
    # Tokyo's calendar starts in 1997 and Shanghai's ends in 2026 (exchange_calendars' bounds)
    with pytest.raises(CalendarError, match=r"offset -1 from day 0 1997-01-06 falls before the "
                       r"first XTKS session exchange_calendars supports, 1997-01-06"):
        sessions_at("XTKS", "1997-01-06", -1, 0)
    with pytest.raises(CalendarError, match=r"offset \+5 .*after the last XSHG session"):
        sessions_at("XSHG", "2026-12-31", 0, 5)


def test_sessions_at_reaches_decades_back() -> None:
    # a 1997 event with a 250-session estimation window: the calendar grows to hold it
    got = sessions_at("XNYS", "1997-04-30", -250, 2)
    ref = exchange_calendars.get_calendar("XNYS", start="1995-01-01", end="1998-12-31")
    i = ref.sessions.get_loc(pd.Timestamp("1997-04-30"))
    assert got.equals(ref.sessions[i - 250:i + 3])


def test_absurd_offsets_are_one_line() -> None:
    with pytest.raises(CalendarError, match=r"offset -100000000000000000000 .*within"):
        sessions_at("XTKS", "2026-01-09", -10**20, 0)


def test_sessions_at_reversed_window() -> None:
    with pytest.raises(CalendarError, match="start 3 is after its end 1"):
        sessions_at("XTKS", "2026-01-09", 3, 1)


@pytest.mark.parametrize(
    ("exchange", "date", "expected"),
    [
        ("XTKS", "2026-01-12", False),
        ("XASX", "2026-01-12", True),
        ("XTKS", "2026-02-23", False),
        ("XTKS", on("2026-02-24"), True),
        ("XNYS", pd.Timestamp("2026-01-10"), False),
    ],
    ids=["tokyo-holiday", "sydney-open", "tokyo-emperor", "tokyo-date", "nyse-saturday"],
)
def test_is_session(exchange: str, date: object, expected: bool) -> None:
    assert is_session(exchange, date) is expected


def test_sessions_in_range() -> None:
    got = sessions_in_range("XTKS", "2026-01-10", on("2026-01-14"))
    assert list(got) == list(pd.to_datetime(["2026-01-13", "2026-01-14"]))
    assert len(sessions_in_range("XTKS", "2026-01-14", "2026-01-10")) == 0


@pytest.mark.parametrize(
    ("date", "pattern"),
    [
        ("1990-01-01", r"date 1990-01-01 is before 1997-01-06, the first XTKS session"),
        ("2026-01-06 12:00", "not a date"),
        (pd.Timestamp("2026-01-06", tz="UTC"), "not a date"),
        ("yesterday-ish", "not a date"),
    ],
    ids=["before-first", "time-of-day", "tz-aware", "garbage"],
)
def test_date_parsing_errors(date: object, pattern: str) -> None:
    with pytest.raises(CalendarError, match=pattern):
        is_session("XTKS", date)


def test_sessions_in_range_outside_calendar() -> None:
    with pytest.raises(CalendarError, match="end 2027-06-01 is after 2026-12-31, the last date"):
        sessions_in_range("XSHG", "2026-01-01", "2027-06-01")
    with pytest.raises(CalendarError, match="start 1996-06-01 is before 1997-01-06"):
        sessions_in_range("XTKS", "1996-06-01", "1997-06-01")


class TestAlignSessions:
    """A benchmark on another exchange is read at its last session closed before the open."""

    def test_same_exchange_is_identity(self) -> None:
        s = sessions_in_range("XTKS", "2026-01-05", "2026-01-16")
        assert align_sessions("XTKS", s, "XTKS").equals(s)

    @pytest.mark.parametrize(
        ("exchange", "session", "other", "expected"),
        [
            # Tokyo opens 00:00 UTC; New York's previous session closed 21:00 UTC the day before.
            ("XTKS", "2026-01-07", "XNYS", "2026-01-06"),
            # Tokyo reopens Tue 2026-01-13 after Coming of Age Day: New York traded Mon 01-12.
            ("XTKS", "2026-01-13", "XNYS", "2026-01-12"),
            # New York closed Mon 2026-01-19 (Martin Luther King Day): Tokyo's 01-19 and 01-20
            # both read Fri 01-16, so the benchmark return of Tokyo 01-20 is zero.
            ("XTKS", "2026-01-19", "XNYS", "2026-01-16"),
            ("XTKS", "2026-01-20", "XNYS", "2026-01-16"),
            # Sydney opens 10:00 AEDT = 23:00 UTC the day before: Tokyo's previous close counts.
            ("XASX", "2026-01-07", "XTKS", "2026-01-06"),
            # New York opens 14:30 UTC, after Tokyo's 06:30 UTC close of the same date.
            ("XNYS", "2026-01-07", "XTKS", "2026-01-07"),
        ],
        ids=["tokyo<-ny", "tokyo-after-holiday", "ny-holiday-1", "ny-holiday-2",
             "sydney<-tokyo", "ny<-tokyo-same-date"],
    )
    def test_known_alignments(self, exchange, session, other, expected) -> None:
        got = align_sessions(exchange, pd.DatetimeIndex([pd.Timestamp(session)]), other)
        assert got[0] == pd.Timestamp(expected)

    def test_not_a_session(self) -> None:
        with pytest.raises(CalendarError, match="not a Tokyo session"):
            align_sessions("XTKS", pd.DatetimeIndex([pd.Timestamp("2026-01-12")]), "XNYS")


def test_windows_of_absurd_size_end_in_an_error_not_a_loop() -> None:
    # Sydney has no first session in exchange_calendars: a window reaching past the dates
    # calendars are built for (1800 to 2200) once grew the calendar without end (issue 27).
    from eventstudy.sessions.schedule import EARLIEST, LATEST, days_from

    with pytest.raises(CalendarError, match="falls before the first XASX session"):
        sessions_at("XASX", "1801-06-01", -1000, 0)
    day = pd.Timestamp("2026-01-07")
    assert days_from(day, -(10**9)) == EARLIEST and days_from(day, 10**9) == LATEST
    assert days_from(day, -7) == pd.Timestamp("2025-12-31")
    assert days_from(pd.Timestamp("1800-01-05"), -30) == EARLIEST


@pytest.mark.parametrize("announced", [dt.date(9999, 12, 31), dt.date(1, 1, 1),
                                       dt.datetime(2262, 4, 12, tzinfo=dt.UTC)])
def test_an_announcement_outside_the_calendars_is_a_calendar_error(announced) -> None:
    with pytest.raises(CalendarError, match="outside the dates exchange calendars are built"):
        day_zero(announced, "before-open", "XNYS")
