"""Exchange lookup: a calendar by code over the dates a study needs, the exchange a ticker trades
on, and its readable name.
"""

from __future__ import annotations

import datetime
import difflib
import functools
import re
import warnings
from collections.abc import Iterable
from typing import TypeAlias

import exchange_calendars
import numpy as np
import pandas as pd
from pandas.errors import OutOfBoundsDatetime
from pandas.tseries.offsets import CustomBusinessDay

from eventstudy.errors import CalendarError, first_line

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


# --------------------------------------------------------------------------------------------
# Calendars and exchanges
# --------------------------------------------------------------------------------------------


def canonical_code(code: str) -> str:
    """The :mod:`exchange_calendars` code an exchange code or alias names (nothing is built).

    Parameters
    ----------
    code : str
        A code such as ``"XTKS"``, an alias (``"NYSE"``, ``"JPX"``), in any case.

    Returns
    -------
    str
        The canonical code, e.g. ``"XNYS"`` for ``"nyse"``.

    Raises
    ------
    CalendarError
        If no calendar has that code. The message lists valid codes and says where to fix it.
    """
    if isinstance(code, str) and code in _CANONICAL:  # every session lookup asks
        return _CANONICAL[code]
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
    found = str(exchange_calendars.resolve_alias(name))
    if isinstance(code, str):
        _CANONICAL[code] = found
    return found


_CANONICAL: dict[str, str] = {}  # codes already resolved


def _factory(code: str) -> type[exchange_calendars.ExchangeCalendar]:
    """The calendar class of ``code``, as exchange_calendars' dispatcher registers it (the
    library has no public accessor for the class; building an instance is what costs)."""
    dispatcher = exchange_calendars.calendar_utils.global_calendar_dispatcher
    return dispatcher._calendar_factories[canonical_code(code)]


def supported_range(code: str) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """The first and last dates :mod:`exchange_calendars` can build the exchange's calendar for
    (None: no bound). They are properties of the exchange's calendar, never of today's date."""
    cls = _factory(code)
    return cls.bound_min(), cls.bound_max()


def exchange_tz(code: str) -> datetime.tzinfo:
    """The exchange's time zone (nothing is built)."""
    return _factory(code).tz


@functools.lru_cache(maxsize=64)
def _sized(cls: type[exchange_calendars.ExchangeCalendar]
           ) -> type[exchange_calendars.ExchangeCalendar]:
    """``cls``, its regular holidays computed over the calendar's range only.

    :mod:`exchange_calendars` hands pandas a holiday calendar whose holidays are computed from
    1970 to 2200 whatever the range asked for (``CustomBusinessDay(calendar=...)``): most of
    the 0.1-0.3 s a calendar costs to build. The subclass passes the same rules' holidays over
    the range and a year either side instead, which gives the same sessions, opens and closes
    (tests/test_calendar_range.py compares them with the library's own calendar). Calendars
    that define their own business day (special weekmasks: XBOM, XKRX, XMOS, XTAE) are used as
    they are.
    """
    owner = next(c for c in cls.__mro__ if "day" in vars(c))
    if owner is not exchange_calendars.ExchangeCalendar:
        return cls

    class Sized(cls):  # type: ignore[valid-type, misc]
        def __init__(self, start: pd.Timestamp, end: pd.Timestamp) -> None:
            self._holiday_range = (start - _PAD, end + _PAD)
            super().__init__(start, end)

        @functools.cached_property
        def day(self) -> CustomBusinessDay:
            regular = self.regular_holidays
            dates = [] if regular is None else list(regular.holidays(*self._holiday_range))
            return CustomBusinessDay(holidays=[*self.adhoc_holidays, *dates],
                                     weekmask=self.weekmask)

    Sized.__name__ = Sized.__qualname__ = cls.__name__
    return Sized


_PAD = pd.DateOffset(years=1)


@functools.lru_cache(maxsize=64)
def _build(code: str, start: pd.Timestamp, end: pd.Timestamp
           ) -> exchange_calendars.ExchangeCalendar:
    with warnings.catch_warnings():
        # exchange_calendars 4.13 reads tz-aware ``Series.values`` while building a calendar,
        # which pandas >= 3.1 deprecates; the warning is theirs and not actionable here.
        warnings.filterwarnings(
            "ignore", message="Series.values returning an ndarray", category=DeprecationWarning
        )
        try:
            return _sized(_factory(code))(start, end)
        except (ValueError, OverflowError, OutOfBoundsDatetime) as exc:
            raise CalendarError(f"exchange_calendars cannot build the {code} calendar for "
                                f"{start.date()} to {end.date()} ({first_line(exc)})") from None


def get_calendar(code: str, start: DateLike, end: DateLike) -> exchange_calendars.ExchangeCalendar:
    """Return the exchange calendar of ``code`` over ``start`` to ``end`` (cached).

    Parameters
    ----------
    code : str
        An :mod:`exchange_calendars` code such as ``"XTKS"`` (Tokyo), ``"XASX"`` (Sydney) or
        ``"XNYS"`` (New York). Aliases (``"NYSE"``, ``"JPX"``) and lower case are accepted.
    start, end : date-like
        The dates the calendar must span. The range is never taken from today's date (as
        :mod:`exchange_calendars`' default is); it is cut to the dates the library supports
        for the exchange (:func:`supported_range`).

    Returns
    -------
    exchange_calendars.ExchangeCalendar
        The calendar over the range, built once per process per exchange and range.

    Raises
    ------
    CalendarError
        If no calendar has that code (the message lists valid codes and says where to fix
        it), or the range lies wholly outside the supported dates.
    """
    name = canonical_code(code)
    lo, hi = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    first, last = supported_range(name)
    lo = max(lo, first) if first is not None else lo
    hi = min(hi, last) if last is not None else hi
    if lo >= hi:
        raise CalendarError(
            f"{name}: {pd.Timestamp(start).date()} to {pd.Timestamp(end).date()} is outside the "
            f"dates exchange_calendars supports for it ({_supported_text(name)})")
    return _build(name, lo, hi)


def _supported_text(code: str) -> str:
    first, last = supported_range(code)
    if first is None and last is None:
        return "no bound"
    a = "" if first is None else f"from {first.date()}"
    b = "" if last is None else f"to {last.date()}"
    return " ".join(x for x in (a, b) if x)


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


def exchange_of(ticker: str) -> str | None:
    """The exchange code inferred from a Yahoo ticker, or None (currencies, unknown suffix)."""
    try:
        return infer_exchange(ticker)
    except CalendarError:
        return None


def listed_on(tickers: Iterable[str], exchange: str) -> list[str]:
    """The tickers of ``tickers`` that name a security, not an index (``^``), traded on
    ``exchange`` by :func:`infer_exchange` (a ticker it cannot place is left out), in order."""
    return [t for t in tickers if not t.startswith("^") and exchange_of(t) == exchange]


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
