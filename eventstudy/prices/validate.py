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
``split``                 warning   a one-day move of at least 10 of the security's daily σ
                                    whose price ratio matches a split (2-for-1, 3-for-2, 3-for-1,
                                    4-for-1, 5-for-4, ... and reverse splits 1-for-2, ...,
                                    1-for-10, ...) within 3 σ (1 σ for 5-for-4 and 4-for-5) and
                                    that does not reverse the next day: a probable split the
                                    prices were not adjusted for (the study leaves that day's
                                    return out of the fit; see :func:`split_of`)
``off-session``           warning   prices dated on days the exchange was closed
``shifted-dates``         error     10 % or more of the dates fall on non-sessions, and every
                                    date is a session once moved a day later: time stamps
                                    turned into dates in the wrong time zone (UTC instead of
                                    exchange-local)
========================  ========  ==========================================================

An error makes a return wrong, so :func:`in_range` raises
:class:`~eventstudy.errors.PriceDataError` for errors that fall inside the dates a study uses;
warnings are returned as text for the pair's notes, except splits, which the study reports
itself with what it did about them (the day's return left out of the estimation sample).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from eventstudy.errors import PriceDataError
from eventstudy.sessions import exchange_of, sessions_in_range, supported_range

__all__ = [
    "MAX_GAP",
    "SPLITS",
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
#: Splits recognised by the ``split`` rule, as (new shares, old shares): an n-for-m split
#: divides the price by n/m. Forward splits (and the 5-for-4 of a 25 % stock dividend), then
#: reverse splits, which multiply the price.
SPLITS = ((2, 1), (3, 2), (3, 1), (4, 1), (5, 1), (10, 1), (5, 4),
          (1, 2), (2, 3), (1, 3), (1, 4), (1, 5), (1, 8), (1, 10), (1, 15), (1, 20), (1, 25),
          (1, 50), (1, 100), (4, 5))
#: A split day's move is at least this many of the security's daily σ ...
SPLIT_SIGMAS = 10.0
#: ... and its price ratio lies within this many σ of the split's (the day's own news, and the
#: market's, move the price around the ratio: Best Buy's 2-for-1 of 1999-03-19 fell 54 %) ...
SPLIT_MATCH = 3.0
#: ... or within this many σ for 5-for-4 and 4-for-5, whose ±20-25 % moves ordinary news makes
#: too (the 2020 crash, Tokyo's 2024-08-05).
SPLIT_MATCH_SMALL = 1.0
#: σ: 1.4826 × the median absolute log return over the sessions this far either side of the
#: day (robust to the day itself and to other jumps), at least SPLIT_SIGMA_FLOOR.
SPLIT_SIGMA_SESSIONS = 20
SPLIT_SIGMA_FLOOR = 0.01

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
    dates = series.index
    first, last = supported_range(exchange)
    lo = dates[0] if first is None else max(dates[0], first)
    hi = dates[-1] if last is None else min(dates[-1], last)
    if lo > hi:
        return []
    # a day beyond the last date: the shifted-dates rule moves every date a day later
    beyond = hi + pd.Timedelta(days=1)
    all_sessions = sessions_in_range(exchange, lo, beyond if last is None else min(beyond, last))
    sessions = all_sessions[all_sessions <= hi]
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
    """Probable unadjusted splits: a one-day move that matches a split's price ratio within a
    tolerance set from the security's own daily volatility, whatever the market did that day.

    With x = log(P_{t−1}/P_t) (log n/m for an n-for-m split) and σ_t the robust daily σ around
    the day (:data:`SPLIT_SIGMA_SESSIONS` either side): |x| ≥ :data:`SPLIT_SIGMAS` σ_t, |x −
    log(n/m)| ≤ :data:`SPLIT_MATCH` σ_t (:data:`SPLIT_MATCH_SMALL` for 5-for-4 and 4-for-5), and
    the move is not half undone by the next close, nor half undoes the previous one (a bad
    print comes back; a split stays).
    """
    values = series.to_numpy()
    if len(values) < 3:
        return []
    log_p = np.log(values)
    x = log_p[:-1] - log_p[1:]  # x[i]: the move onto day i + 1
    moves = pd.Series(np.abs(x))
    width = 2 * SPLIT_SIGMA_SESSIONS + 1
    median = moves.rolling(width, center=True, min_periods=SPLIT_SIGMA_SESSIONS // 2).median()
    fallback = float(np.median(np.abs(x)))
    sigma = np.maximum(1.4826 * median.fillna(fallback).to_numpy(), SPLIT_SIGMA_FLOOR)
    ratios = np.log(np.array([n / m for n, m in SPLITS]))
    tolerance = np.array([SPLIT_MATCH_SMALL if {n, m} == {4, 5} else SPLIT_MATCH
                          for n, m in SPLITS])
    distance = np.abs(x[:, None] - ratios[None, :]) / sigma[:, None]
    match = distance <= tolerance[None, :]
    # a bad print comes back: the two-day move around it is small (next day, or previous day)
    two_day = np.abs(log_p[2:] - log_p[:-2])
    undone_next = np.append(two_day, np.inf) < np.abs(x) / 2
    undoes_previous = np.insert(two_day, 0, np.inf) < np.abs(x) / 2
    stays = ~(undone_next | undoes_previous)
    flagged = match.any(axis=1) & (np.abs(x) >= SPLIT_SIGMAS * sigma) & stays
    issues = []
    for i in np.flatnonzero(flagged):
        j = int(np.flatnonzero(match[i])[0])
        day = series.index[i + 1]
        issues.append(Issue("split", "warning", ticker, day, day, split_message(
            ticker, day, values[i], values[i + 1], SPLITS[j], float(distance[i, j]),
            float(sigma[i]))))
    return issues


def split_message(ticker: str, day: pd.Timestamp, before: float, after: float,
                  split: tuple[int, int], distance: float, sigma: float) -> str:
    """The ``split`` rule's sentence: the move, the split it matches, and how closely."""
    n, m = split
    kind = (f"a {n}-for-{m} split (price ÷ {n / m:g})" if n > m
            else f"a {n}-for-{m} reverse split (price × {m / n:g})")
    return (f"{ticker}: close {before:g} -> {after:g} ({after / before - 1:+.1%}) on {_d(day)} "
            f"matches {kind} within {distance:.1f} daily σ ({sigma:.1%}): probably a split the "
            "prices are not adjusted for (use split-adjusted prices, e.g. Yahoo's Adj Close)")


def split_of(issue: Issue) -> pd.Timestamp | None:
    """The day of a ``split`` issue (the first session at the new price), else None."""
    return issue.first if issue.kind == "split" else None


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
        if issue.kind == "split":  # reported by the study with what it did about it
            continue
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
