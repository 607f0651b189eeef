"""Exchange lookup: a calendar by code, the exchange a ticker trades on, and its readable name.
"""

from __future__ import annotations

import difflib
import functools
import re
import warnings

import exchange_calendars

from eventstudy.errors import CalendarError

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
