"""Checks run on every price series, whatever its source.

Pure functions: a series (and optionally its exchange) in, a list of :class:`Issue` out. Each
issue has a ``kind``, a ``severity`` (``"warning"`` or ``"error"``), the ticker, the dates it
concerns and a message that names them. Structural faults (:func:`clean`) are always errors:
the series cannot be used at all. Content rules (:func:`check`) flag what a careful analyst
would look at before trusting a return:

========================  ========  ==========================================================
kind                      severity  rule
========================  ========  ==========================================================
``duplicate-date``        error     a date appears twice
``bad-price``             error     a price that is not a finite positive number
``unsorted``              warning   rows not in date order (sorted before use)
``gap``                   warning   more than ``max_gap`` consecutive exchange sessions
                                    without a price
``stale``                 warning   ``stale_run`` or more consecutive sessions with the same
                                    price (zero returns)
``split``                 error     a one-day move of -50 % or worse whose price ratio is close
                                    to a split ratio (1:2, 1:3, 1:4, 1:5, 1:8, 1:10, 1:20, ...)
                                    and that does not reverse the next day: a probable split
                                    the prices were not adjusted for
``off-session``           warning   prices dated on days the exchange was closed
``shifted-dates``         error     10 % or more of the dates fall on non-sessions, and every
                                    date is a session once moved a day later: time stamps
                                    turned into dates in the wrong time zone (UTC instead of
                                    exchange-local)
========================  ========  ==========================================================

An error makes a return wrong, so :func:`in_range` raises
:class:`~eventstudy.errors.PriceDataError` for errors that fall inside the dates a study uses;
warnings are returned as text for the pair's notes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from eventstudy.errors import CalendarError, PriceDataError
from eventstudy.sessions import get_calendar, infer_exchange

__all__ = [
    "MAX_GAP",
    "SPLIT_RATIOS",
    "STALE_RUN",
    "Issue",
    "check",
    "clean",
    "exchange_of",
    "in_range",
]

#: Default: more consecutive missing sessions than this is a ``gap``.
MAX_GAP = 5
#: Default: this many or more consecutive zero returns is ``stale``.
STALE_RUN = 5
#: Split ratios n (a 1:n split divides the price by n) recognised by the ``split`` rule.
SPLIT_RATIOS = (2, 3, 4, 5, 6, 8, 10, 15, 20, 25, 30, 40, 50, 100)
#: Tolerance between the price ratio and a split ratio, in log points: the split day's own
#: market move blurs the ratio (a 1:10 split on a -8 % day shows as 1:10.9).
SPLIT_TOLERANCE = 0.10

Severity = Literal["warning", "error"]


@dataclass(frozen=True)
class Issue:
    """One problem found in a price series.

    Attributes
    ----------
    kind : str
        The rule, e.g. ``"gap"`` (see the module docstring).
    severity : {"warning", "error"}
        ``"error"`` when a return computed across it would be wrong.
    ticker : str
        The series' ticker.
    first, last : pandas.Timestamp or None
        The dates concerned (equal for a single day; None when the whole series is).
    message : str
        One line naming the ticker, the dates and the rule.
    """

    kind: str
    severity: Severity
    ticker: str
    first: pd.Timestamp | None
    last: pd.Timestamp | None
    message: str

    def __str__(self) -> str:
        return self.message


def _d(ts: pd.Timestamp) -> str:
    return f"{ts:%Y-%m-%d}"


def exchange_of(ticker: str) -> str | None:
    """The exchange code inferred from a Yahoo ticker, or None (currencies, unknown suffix)."""
    try:
        return infer_exchange(ticker)
    except CalendarError:
        return None


def clean(series: pd.Series, ticker: str, where: str) -> tuple[pd.Series, list[Issue]]:
    """Check a series' structure; return it sorted, as ``float64``, with its warnings.

    Parameters
    ----------
    series : pandas.Series
        Prices indexed by dates (any order).
    ticker : str
        For messages and the result's name.
    where : str
        Where the series comes from (a file, "Yahoo"), for messages.

    Returns
    -------
    series : pandas.Series
        Sorted ``float64`` prices on a tz-naive ``DatetimeIndex`` named ``"date"``.
    issues : list of Issue
        ``unsorted`` when the rows were out of order.

    Raises
    ------
    PriceDataError
        Duplicate dates, a non-numeric, non-finite or non-positive price, an empty series, or
        an index that is not made of dates (message names `where`, the ticker and the date).
    """
    if len(series) == 0:
        raise PriceDataError(f"{where}: no prices for {ticker}")
    try:
        index = pd.DatetimeIndex(series.index)
    except (TypeError, ValueError):
        raise PriceDataError(f"{where}: the index of {ticker} is not made of dates") from None
    if index.tz is not None:
        raise PriceDataError(
            f"{where}: {ticker} has time stamps ({index.tz}), not exchange-local dates; "
            "convert them with eventstudy.prices.yahoo.local_dates"
        )
    values = pd.to_numeric(pd.Series(series.to_numpy(), dtype=object), errors="coerce")
    values = values.to_numpy(dtype=np.float64)
    with np.errstate(invalid="ignore"):
        bad = ~(np.isfinite(values) & (values > 0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise PriceDataError(
            f"{where}: {ticker} on {_d(index[i])}: price {series.iloc[i]!r} is not a positive "
            f"number ({int(bad.sum())} such row(s)); fix or drop those rows"
        )
    dup = index.duplicated()
    if dup.any():
        raise PriceDataError(
            f"{where}: {ticker} has date {_d(index[dup][0])} twice ({int(dup.sum())} duplicate "
            "date(s)); keep one row per date"
        )
    issues = []
    if not index.is_monotonic_increasing:
        issues.append(Issue("unsorted", "warning", ticker, None, None,
                            f"{ticker}: rows from {where} were not in date order; sorted"))
    out = pd.Series(values, index=index.normalize().as_unit("ns").rename("date"), name=ticker)
    return out.sort_index(kind="stable"), issues


def check(
    series: pd.Series,
    exchange: str | None = None,
    *,
    max_gap: int = MAX_GAP,
    stale_run: int = STALE_RUN,
) -> list[Issue]:
    """Run the content rules on a clean series (see :func:`clean`).

    Parameters
    ----------
    series : pandas.Series
        Sorted positive prices on unique tz-naive dates; ``name`` is the ticker.
    exchange : str, optional
        An exchange_calendars code; without it the calendar rules (``gap``, ``off-session``,
        ``shifted-dates``) are skipped.
    max_gap : int, default MAX_GAP
        Longest run of sessions without a price that is not reported.
    stale_run : int, default STALE_RUN
        Shortest run of zero returns reported as stale.

    Returns
    -------
    list of Issue
        In rule order, then by date.
    """
    ticker = str(series.name)
    issues: list[Issue] = []
    if exchange is not None:
        issues += _calendar_rules(series, ticker, exchange, max_gap)
    issues += _stale(series, ticker, stale_run)
    issues += _splits(series, ticker)
    return issues


def _calendar_rules(series: pd.Series, ticker: str, exchange: str, max_gap: int) -> list[Issue]:
    all_sessions = get_calendar(exchange).sessions
    dates = series.index
    lo, hi = max(dates[0], all_sessions[0]), min(dates[-1], all_sessions[-1])
    if lo > hi:
        return []
    sessions = all_sessions[(all_sessions >= lo) & (all_sessions <= hi)]
    inside = dates[(dates >= lo) & (dates <= hi)]
    on_session = inside.isin(sessions)
    issues = []
    off = inside[~on_session]
    if len(inside) >= 5 and len(off) >= 0.1 * len(inside):
        # all of them sessions once moved a day later: Monday's bar dated Sunday, and so on
        shifted = (inside + pd.Timedelta(days=1)).isin(all_sessions).mean()
        if shifted >= 0.98:
            return [Issue(
                "shifted-dates", "error", ticker, off[0], off[-1],
                f"{ticker}: {len(off)} of {len(inside)} dates are not {exchange} sessions and "
                "every date is a session a day later: the dates look like UTC time stamps of "
                "exchange-local midnights; convert time stamps to the exchange's local date"
            )]
    if len(off):
        shown = ", ".join(_d(d) for d in off[:5]) + (" ..." if len(off) > 5 else "")
        issues.append(Issue("off-session", "warning", ticker, off[0], off[-1],
                            f"{ticker}: {len(off)} price(s) dated on days {exchange} was closed "
                            f"({shown})"))
    priced = inside[on_session]
    if len(priced) >= 2:
        pos = sessions.searchsorted(priced)
        missing = np.diff(pos) - 1
        for k in np.flatnonzero(missing > max_gap):
            a, b = sessions[pos[k] + 1], sessions[pos[k + 1] - 1]
            issues.append(Issue(
                "gap", "warning", ticker, a, b,
                f"{ticker}: no prices for {int(missing[k])} sessions {_d(a)}..{_d(b)} "
                f"(more than {max_gap}); returns span the gap"))
    return issues


def _runs(flag: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of the runs of True in `flag`, stop exclusive."""
    padded = np.concatenate(([False], flag, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def _stale(series: pd.Series, ticker: str, stale_run: int) -> list[Issue]:
    values = series.to_numpy()
    same = values[1:] == values[:-1]  # return i+1 is zero
    issues = []
    for a, b in _runs(same):
        if b - a >= stale_run:
            first, last = series.index[a + 1], series.index[b]
            issues.append(Issue(
                "stale", "warning", ticker, first, last,
                f"{ticker}: price unchanged at {values[a]:g} for {b - a} sessions "
                f"{_d(first)}..{_d(last)} (stale prices?)"))
    return issues


def _splits(series: pd.Series, ticker: str) -> list[Issue]:
    values = series.to_numpy()
    if len(values) < 2:
        return []
    ratio = values[:-1] / values[1:]  # previous / current: n for a 1:n split
    ratios = np.asarray(SPLIT_RATIOS, dtype=np.float64)
    distance = np.abs(np.log(ratio[:, None] / ratios[None, :]))
    nearest = ratios[distance.argmin(axis=1)]
    close = distance.min(axis=1) <= SPLIT_TOLERANCE
    # a bad tick comes back the next day; an unadjusted split stays down
    after = np.append(values[2:], np.nan) / values[:-1]
    stays = ~(after > 0.75)
    issues = []
    for i in np.flatnonzero((ratio >= 2.0) & close & stays):
        day = series.index[i + 1]
        move = values[i + 1] / values[i] - 1
        issues.append(Issue(
            "split", "error", ticker, day, day,
            f"{ticker}: price fell {values[i]:g} -> {values[i + 1]:g} ({move:+.0%}) "
            f"on {_d(day)}, a ratio of 1:{nearest[i]:g}: probably a split the prices are not "
            "adjusted for; use split-adjusted prices (Yahoo: Adj Close)"))
    return issues


def in_range(
    issues: Iterable[Issue], start: pd.Timestamp, end: pd.Timestamp
) -> tuple[str, ...]:
    """Warnings touching ``start..end`` as text; raise for an error in that range.

    Parameters
    ----------
    issues : iterable of Issue
    start, end : pandas.Timestamp
        The first and last date a study uses.

    Returns
    -------
    tuple of str
        The messages of the warnings whose dates overlap the range (or have none).

    Raises
    ------
    PriceDataError
        For the first error whose dates overlap the range.
    """
    notes = []
    for issue in issues:
        if issue.first is not None and (issue.last < start or issue.first > end):
            continue
        if issue.severity == "error":
            raise PriceDataError(
                f"{issue.message} (inside the study's dates {_d(start)}..{_d(end)})")
        notes.append(issue.message)
    return tuple(notes)


def summary(issues: Sequence[Issue]) -> str:
    """One line counting issues by kind, e.g. ``"gap: 1, stale: 2"`` (``"none"`` if empty)."""
    kinds = pd.Series([i.kind for i in issues], dtype=object).value_counts(sort=False)
    return ", ".join(f"{k}: {n}" for k, n in kinds.items()) or "none"
