"""The ``pairs`` frame of the batch engine read strictly: tickers, day 0 as a date, and the
optional exchange columns.

Day 0 is a datetime (tz-naive, midnight: the session's date) or an ISO 8601 date string
(YYYY-MM-DD). Anything else is refused, naming the pair and the accepted forms: "03/02/2026"
could be 3 February or 2 March, and guessing is how a study ends up on the wrong day.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import numpy as np
import pandas as pd

from eventstudy.errors import CalendarError, InputError
from eventstudy.sessions import canonical_code

#: The one date form a string may take.
ISO_DATE = r"\d{4}-\d{2}-\d{2}"
ACCEPTED = "an ISO 8601 date (YYYY-MM-DD, e.g. 2026-02-03) or a datetime"


@dataclass(frozen=True)
class Codes:
    """A column of exchange codes, factorized: ``names[inverse[i]]`` is pair i's canonical
    code ("" where blank; ``inverse`` −1 where missing)."""

    inverse: np.ndarray
    names: list[str]


@dataclass(frozen=True)
class Request:
    """The pairs as the engine reads them.

    ``security`` and ``benchmark`` are the frame's columns (as given: converting a million
    strings costs more than the study); ``day0`` holds datetime64[ns] dates; ``exchange`` and
    ``benchmark_exchange`` canonical exchange codes per pair ("" where the frame gives none),
    or None without the column.
    """

    security: pd.Series
    benchmark: pd.Series | None
    day0: np.ndarray
    exchange: Codes | None
    benchmark_exchange: Codes | None


def read_request(pairs: object, needs_benchmark: bool, what: str = "pairs") -> Request:
    """Read ``pairs`` (a DataFrame: security, benchmark, day0; optional exchange and
    benchmark_exchange) strictly.

    Raises
    ------
    InputError
        Not a frame, a required column missing, a day 0 that is not a date in an accepted
        form (the pair's label and value named), time-zone-aware or timed day 0 values, an
        unknown exchange code.
    """
    if not isinstance(pairs, pd.DataFrame):
        raise InputError(f"{what}: expected a DataFrame, got {type(pairs).__name__}")
    required = ("security", "benchmark", "day0") if needs_benchmark else ("security", "day0")
    missing = [c for c in required if c not in pairs.columns]
    if missing:
        raise InputError(f"{what}: missing column(s) {', '.join(missing)}; give "
                         "security, benchmark and day0")
    return Request(
        security=pairs["security"],
        benchmark=pairs["benchmark"] if "benchmark" in pairs else None,
        day0=day0_dates(pairs["day0"], pairs.index, what),
        exchange=_codes(pairs, "exchange", what),
        benchmark_exchange=_codes(pairs, "benchmark_exchange", what),
    )


def day0_dates(column: pd.Series, labels: pd.Index, what: str = "pairs") -> np.ndarray:
    """A column of day 0 values as datetime64[ns] dates, or an InputError naming the first
    pair at fault and the accepted forms."""
    dtype = column.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        raise InputError(
            f"{what}: day0 holds time-zone-aware stamps ({dtype.tz}); day 0 is the session's "
            "date on its exchange: pass pairs['day0'].dt.tz_convert(<the exchange's time "
            "zone>).dt.tz_localize(None).dt.normalize(), or ISO dates")
    if pd.api.types.is_datetime64_dtype(dtype):
        stamps = pd.DatetimeIndex(column)
    else:
        stamps = _parse_objects(column, labels, what)
    if stamps.isna().any():
        at = int(np.flatnonzero(stamps.isna())[0])
        raise InputError(f"{what} {_label(labels, at)}: day0 is missing; give {ACCEPTED}")
    timed = stamps != stamps.normalize()
    if timed.any():
        at = int(np.flatnonzero(timed)[0])
        raise InputError(f"{what} {_label(labels, at)}: day0 {stamps[at]} has a time of day; "
                         "give the session's date (YYYY-MM-DD)")
    return stamps.as_unit("ns").to_numpy()


def _parse_objects(values: pd.Series, labels: pd.Index, what: str) -> pd.DatetimeIndex:
    """Strings in ISO form, and date-like objects (date, datetime, Timestamp, datetime64)."""
    objects = values.to_numpy(dtype=object)
    is_text = np.fromiter((isinstance(x, str) for x in objects), bool, len(objects))
    out = np.full(len(objects), np.datetime64("NaT"), dtype="datetime64[ns]")
    if is_text.any():
        parsed = iso_dates(pd.Series(objects[is_text], dtype=object))
        bad = np.isnat(parsed)
        if bad.any():
            at = int(np.flatnonzero(is_text)[np.flatnonzero(bad)[0]])
            raise InputError(f"{what} {_label(labels, at)}: day0 {objects[at]!r} is not "
                             f"{ACCEPTED}")
        out[is_text] = parsed
    for at in np.flatnonzero(~is_text):
        out[at] = _date_like(objects[at], labels, at, what)
    return pd.DatetimeIndex(out)


def iso_dates(text: pd.Series) -> np.ndarray:
    """Strings read as ISO 8601 dates (YYYY-MM-DD, surrounding spaces allowed), as
    datetime64[ns]; NaT for anything else, "2026-1-7" and "2026-02-30" included."""
    text = text.str.strip()
    iso = text.str.fullmatch(ISO_DATE).fillna(False).to_numpy(dtype=bool)
    parsed = pd.to_datetime(text.where(iso), format="%Y-%m-%d", errors="coerce")
    return parsed.to_numpy(dtype="datetime64[ns]")


def _date_like(value: object, labels: pd.Index, at: int, what: str) -> np.datetime64:
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return np.datetime64("NaT")
    if isinstance(value, (datetime.date, np.datetime64)):
        ts = pd.Timestamp(value)
        if ts.tz is not None:
            raise InputError(f"{what} {_label(labels, at)}: day0 {value!r} is time-zone aware; "
                             "give the session's date on its exchange (tz-naive)")
        return ts.as_unit("ns").to_datetime64()
    raise InputError(f"{what} {_label(labels, at)}: day0 {value!r} is not {ACCEPTED}")


def _codes(pairs: pd.DataFrame, column: str, what: str) -> Codes | None:
    """Canonical exchange codes of an optional column ("" where blank)."""
    if column not in pairs.columns:
        return None
    inverse, uniques = pd.factorize(pairs[column])  # missing: −1
    names = [""] * len(uniques)
    for i, value in enumerate(uniques):
        text = str(value).strip()
        if not text:
            continue
        try:
            names[i] = canonical_code(text)
        except CalendarError:
            at = int(np.flatnonzero(inverse == i)[0])
            raise InputError(
                f"{what} {_label(pairs.index, at)}: {column} {text!r} is no exchange code; "
                "give an exchange_calendars code such as XNYS, XTKS, XASX "
                "(exchange_calendars.get_calendar_names())") from None
    return Codes(np.asarray(inverse, np.int64), names)


def _label(labels: pd.Index, at: int) -> str:
    return f"row {at + 1} ({labels[at]!r})"
