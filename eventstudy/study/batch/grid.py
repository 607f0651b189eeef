"""Each pair's exchange and the sessions its offsets count: the returns panel cut into parts, one
per exchange of the pairs' securities, each a matrix of returns on that exchange's sessions.

A panel built as a quant builds it (each ticker's returns on its own trading days, outer-joined
on dates) holds the sessions of several exchanges. A pair's windows count the sessions of its
security's exchange: the rows of other exchanges are skipped for it, and a session of its
exchange without a row (or with NaN) is a missing price. A benchmark on another exchange is
read by instant, as the per-event path reads it (:func:`eventstudy.sessions.align_sessions`):
on each session of the security's exchange, its level at the last session of its own exchange
that closed before the open; its returns on the security's sessions are taken between those
levels. With ``sessions="index"`` every pair counts rows of the index, as one exchange.

Returns are read trade to trade (:mod:`eventstudy.study.batch.spans`): a missing value is a
missing price, and the next return spans the gap. Levels (``kind`` "level": a log volume panel)
are read as they are: a missing value stays missing, and a benchmark of another exchange is its
level at the instant (its last session closed before the open).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from eventstudy._typing import FloatArray
from eventstudy.errors import CalendarError
from eventstudy.sessions import (
    align_sessions,
    exchange_label,
    infer_exchange,
    sessions_in_range,
    supported_range,
)
from eventstudy.study.batch.request import Codes
from eventstudy.study.batch.spans import Prices, derived_returns, levels_of, priced_of

#: A security with at least this many returns on days its exchange was closed, and at least
#: this share of its returns, is not on that exchange (the per-event path's rule for prices).
OFF_SESSION_MIN = 3
OFF_SESSION_SHARE = 0.01
#: Calendar days of sessions of a benchmark's exchange read before the first row (the session
#: a first open reads by instant closed before it).
LOOKBACK_DAYS = 45


@dataclass(frozen=True)
class Part:
    """The pairs of one exchange and the returns their windows read.

    Attributes
    ----------
    exchange : str or None
        The exchange whose sessions the offsets count (None: the rows of the index).
    rows : ndarray
        Positions of the part's pairs among all pairs.
    index : DatetimeIndex
        The part's sessions (its rows).
    prices : Prices
        The returns on those sessions, with what is priced (trade to trade).
    s, b, d : ndarray
        Per pair of the part: rows of ``prices`` for its security and benchmark (−1: not a
        column of returns) and of ``index`` for its day 0 (−1: not a session).
    """

    exchange: str | None
    rows: np.ndarray
    index: pd.DatetimeIndex
    prices: Prices
    s: np.ndarray
    b: np.ndarray
    d: np.ndarray


@dataclass(frozen=True)
class Layout:
    """The parts, and the pairs placed in none, each with its reason."""

    parts: tuple[Part, ...]
    unplaced: np.ndarray  # positions of pairs without an exchange or on the wrong one
    reasons: np.ndarray  # their reasons (object array)
    left_out: int = 0  # returns dated on days their security's exchange was closed


def layout(values: FloatArray, index: pd.DatetimeIndex, columns: pd.Index, s: np.ndarray,
           b: np.ndarray, day0: np.ndarray, exchange: Codes | None,
           benchmark_exchange: Codes | None, sessions: str, kind: str) -> Layout:
    """Cut the pairs into parts by the exchange of their security.

    Parameters
    ----------
    values : (columns × rows) array
        The returns, one row per column of ``returns``.
    index : DatetimeIndex
        The rows' dates.
    columns : Index
        The tickers.
    s, b : ndarray
        Per pair, the column of its security and benchmark (−1: not a column; b = s when the
        model needs no benchmark).
    day0 : ndarray of datetime64
    exchange, benchmark_exchange : Codes or None
        Per pair, canonical exchange codes from the ``pairs`` frame (None, or "", where not given:
        inferred from the ticker as the events file infers it; a benchmark whose exchange
        cannot be inferred is read on its security's exchange, as the per-event path does).
    sessions : {"exchange", "index"}
    kind : {"log", "simple"}
    """
    n = s.size
    if sessions == "index" or n == 0:
        part = _index_part(values, index, np.arange(n), s, b, day0, kind)
        return Layout((part,), np.zeros(0, np.int64), np.zeros(0, object))
    names, sec, bench = _exchange_ids(columns, s, b, exchange, benchmark_exchange)
    unplaced: list[np.ndarray] = [np.flatnonzero(sec == 0)]
    reasons: list[np.ndarray] = [np.array(  # None: the security is not a column
        [_no_exchange(columns[x]) if x >= 0 else None for x in s[unplaced[0]]], dtype=object)]
    parts = []
    left_out = 0
    order = np.argsort(sec, kind="stable")
    bounds = np.searchsorted(sec[order], np.arange(len(names) + 1))
    for i in range(1, len(names)):
        rows = order[bounds[i]:bounds[i + 1]]
        if not rows.size:
            continue
        part, wrong, text, dropped = _exchange_part(values, index, columns, names, i, rows, s,
                                                    b, day0, bench, kind)
        left_out += dropped
        if wrong.size:
            unplaced.append(wrong)
            reasons.append(text)
        if part is not None:
            parts.append(part)
    return Layout(tuple(parts), np.concatenate(unplaced), np.concatenate(reasons), left_out)


def _index_part(values: FloatArray, index: pd.DatetimeIndex, rows: np.ndarray, s: np.ndarray,
                b: np.ndarray, day0: np.ndarray, kind: str) -> Part:
    """Every pair on the rows of the index (``sessions="index"``)."""
    values, s, b = _compact(values, s, b)
    return Part(None, rows, index, priced_of(values, kind), s, b, index.get_indexer(day0))


def _compact(values: FloatArray, s: np.ndarray, b: np.ndarray
             ) -> tuple[FloatArray, np.ndarray, np.ndarray]:
    """The columns the pairs read, when they are under half of them (renumbered): what is
    priced, and the estimation sample's returns, are then worked out on those alone, so a call
    of a few pairs on a wide panel costs in proportion to its pairs. All of them (no copy)
    otherwise."""
    used = used_columns(values.shape[0], s, b)
    if 2 * used.size > values.shape[0]:
        return values, s, b
    at = np.full(values.shape[0] + 1, -1, np.int64)  # position −1 (not a column) stays −1
    at[used] = np.arange(used.size)
    return values[used], at[s], at[b]


def pair_exchanges(columns: pd.Index, s: np.ndarray, given: Codes | None
                   ) -> np.ndarray:
    """Each pair's exchange code: given, else inferred from its ticker ("" when neither)."""
    names, sec, _ = _exchange_ids(columns, s, s, given, None)
    return np.array(names, dtype=object)[sec]


def _exchange_ids(columns: pd.Index, s: np.ndarray, b: np.ndarray, given: Codes | None,
                  given_b: Codes | None) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The exchanges as small integers (0: none) and their codes: each pair's security's
    (given, else inferred from its ticker) and benchmark's (given, else inferred, else its
    security's, as the per-event path reads a benchmark it cannot place)."""
    names = [""]
    known: dict[str, int] = {"": 0}

    def ids(codes: Iterable[str]) -> np.ndarray:
        out = []
        for code in codes:
            if code not in known:
                known[code] = len(names)
                names.append(code)
            out.append(known[code])
        return np.array(out, dtype=np.int64)

    def given_ids(over: Codes) -> np.ndarray:
        return np.append(ids(over.names), 0)[over.inverse]  # "" (blank) and −1 map to 0

    # by column (those the pairs read); position −1 (not a column) reads the last entry: none
    needed = used_columns(len(columns), s, b)
    by_column = np.zeros(len(columns) + 1, np.int64)
    names_of = columns[needed].astype(str)
    by_column[needed] = ids(_infer(t) for t in names_of)
    sec = by_column[s]
    if given is not None:
        over = given_ids(given)
        sec = np.where(over != 0, over, sec)
    bench = by_column[b]
    bench = np.where(bench != 0, bench, sec)
    if given_b is not None:
        over = given_ids(given_b)
        bench = np.where(over != 0, over, bench)
    return names, sec, bench


def used_columns(n_columns: int, *positions: np.ndarray) -> np.ndarray:
    """The distinct columns among ``positions`` (−1: none), sorted; O(pairs), no sort."""
    seen = np.zeros(n_columns + 1, dtype=bool)
    for at in positions:
        seen[at] = True  # −1 marks the spare last entry
    return np.flatnonzero(seen[:-1])


@functools.lru_cache(maxsize=2**16)
def _infer(ticker: str) -> str:
    try:
        return infer_exchange(ticker)
    except CalendarError:
        return ""


def _no_exchange(ticker: object) -> str:
    return (f"cannot infer the exchange of ticker {ticker!r}; give pairs an 'exchange' column "
            "(an exchange_calendars code such as XNYS, XTKS) or count rows of the index with "
            "sessions='index'")


def exchange_grid(code: str, index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """The exchange's sessions over the index's dates (those exchange_calendars supports)."""
    first, last = supported_range(code)
    lo = index[0] if first is None else max(index[0], first)
    hi = index[-1] if last is None else min(index[-1], last)
    if lo > hi:
        return pd.DatetimeIndex([])
    return sessions_in_range(code, lo, hi)


def _exchange_part(values: FloatArray, index: pd.DatetimeIndex, columns: pd.Index,
                   names: list[str], code_id: int, rows: np.ndarray, s: np.ndarray,
                   b: np.ndarray, day0: np.ndarray, bench: np.ndarray, kind: str
                   ) -> tuple[Part | None, np.ndarray, np.ndarray, int]:
    """The part of the pairs at ``rows``, whose securities trade on ``names[code_id]``; and
    the pairs whose security's returns fall on days it was closed (with their reasons)."""
    code = names[code_id]
    grid = exchange_grid(code, index)
    at = index.get_indexer(grid)  # the row of each session (−1: none)
    s_p, b_p = s[rows], b[rows]
    same = bench[rows] == code_id
    on_index = len(grid) == len(index) and bool((at == np.arange(len(index))).all())
    # securities with returns on days the exchange was closed: many → not on this exchange
    off_rows = np.ones(len(index), dtype=bool)
    off_rows[at[at >= 0]] = False
    wrong_cols, dropped = (_off_session(values, used_columns(values.shape[0], s_p), off_rows)
                           if off_rows.any() else (np.zeros(0, np.int64), 0))
    bad = np.isin(s_p, wrong_cols) if wrong_cols.size else np.zeros(s_p.size, dtype=bool)
    wrong = rows[bad]
    text = np.array([_off_text(columns[x], code, values[x], off_rows, index) for x in s_p[bad]],
                    dtype=object)
    keep = ~bad
    rows, s_p, b_p, same = rows[keep], s_p[keep], b_p[keep], same[keep]
    if rows.size == 0:
        return None, wrong, text, dropped
    d = grid.get_indexer(day0[rows])
    if on_index and same.all():  # the index is this exchange's sessions: its rows as they are
        values_p, s_c, b_c = _compact(values, s_p, b_p)
        part = Part(code, rows, grid, priced_of(values_p, kind), s_c, b_c, d)
        return part, wrong, text, dropped
    # the columns the part reads: securities and same-exchange benchmarks by date ...
    native = used_columns(values.shape[0], s_p, np.where(same, b_p, -1))
    gathered = np.full((native.size, len(grid)), np.nan)
    has = at >= 0
    gathered[:, has] = values[native][:, at[has]]
    gathered.flags.writeable = False
    pos = np.full(values.shape[0], -1, np.int64)
    pos[native] = np.arange(native.size)
    prices = priced_of(gathered, kind)
    new_s = np.where(s_p >= 0, pos[np.maximum(s_p, 0)], -1)
    new_b = np.where(same & (b_p >= 0), pos[np.maximum(b_p, 0)], -1)
    # ... and benchmarks of other exchanges, read by instant on this exchange's sessions
    other = ~same & (b_p >= 0)
    if other.any():
        keys = pd.MultiIndex.from_arrays([b_p[other], bench[rows][other]])
        distinct = keys.unique()
        derived = [_read_by_instant(values[col], index, grid, code, names[x], kind)
                   for col, x in distinct]
        new_b[other] = native.size + distinct.get_indexer(keys)
        prices = prices.stack(derived, kind)
    return Part(code, rows, grid, prices, new_s, new_b, d), wrong, text, dropped


def _off_session(values: FloatArray, cols: np.ndarray, off_rows: np.ndarray
                 ) -> tuple[np.ndarray, int]:
    """Columns with many returns on rows that are no session of the exchange, and the number
    of such returns of the other columns (left out)."""
    if not off_rows.any() or cols.size == 0:
        return np.zeros(0, np.int64), 0
    present = ~np.isnan(values[cols])
    off = present[:, off_rows].sum(axis=1)
    total = present.sum(axis=1)
    many = (off >= OFF_SESSION_MIN) & (off >= OFF_SESSION_SHARE * total)
    return cols[many], int(off[~many].sum())


def _off_text(ticker: object, code: str, column: FloatArray, off_rows: np.ndarray,
              index: pd.DatetimeIndex) -> str:
    days = index[off_rows & ~np.isnan(column)]
    shown = ", ".join(str(x.date()) for x in days[:3])
    return (f"security {ticker!r} has {len(days)} returns dated on days {code} "
            f"({exchange_label(code)}) was closed ({shown}, ...): it does not trade there; "
            "give pairs an 'exchange' column, or count rows of the index with sessions='index'")


def _read_by_instant(column: FloatArray, index: pd.DatetimeIndex, grid: pd.DatetimeIndex,
                     code: str, other: str, kind: str) -> tuple[FloatArray, np.ndarray]:
    """A benchmark of exchange ``other``, read by instant on ``code``'s sessions ``grid``:
    its returns there (trade to trade between its levels) and where it is priced."""
    lo = index[0] - pd.Timedelta(days=LOOKBACK_DAYS)
    first = supported_range(other)[0]
    own = sessions_in_range(other, lo if first is None else max(lo, first), index[-1])
    at = index.get_indexer(own)
    on_own = np.full(len(own), np.nan)
    on_own[at >= 0] = column[at[at >= 0]]
    level = levels_of(on_own[None, :], kind)[0]
    try:
        read = own.get_indexer(align_sessions(code, grid, other))
    except CalendarError:  # no session of ``other`` before the first: nothing to read
        return np.full(len(grid), np.nan), np.zeros(len(grid), dtype=bool)
    return derived_returns(level[read], kind)
