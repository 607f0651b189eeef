"""Returns read trade to trade: what is priced, the estimation sample without spanning returns,
and event windows whose returns span missing prices.

A column of returns is read as the per-event path builds returns from prices (Maynes and
Rumsey 1993): a session without a value is a missing price, and the next value is the return
since the last price, spanning the gap. A column is priced on the sessions where it has a
return and on the session before its first return (the first price). For a (security,
benchmark) pair, a session counts when both are priced; its return runs from the previous such
session, over ``span`` sessions, for the security and the benchmark alike. As on the per-event
path, a return spanning a gap is left out of the estimation sample, and in the event window
its expected value is span·α + β·R_m and its variance σ̂²[span + ...] (CLM 1997, eq. 4.4.8 with
D = diag(span); :mod:`eventstudy.estimation.kernel`).

References
----------
.. [1] Maynes, E. and Rumsey, J. (1993) "Conducting event studies with thinly traded stocks",
   Journal of Banking & Finance 17(1), 145-157.
.. [2] Campbell, J., Lo, A. and MacKinlay, A. C. (1997) *The Econometrics of Financial
   Markets*, Princeton University Press, §4.4.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from eventstudy._typing import FloatArray, Window
from eventstudy.estimation import kernel


@dataclass(frozen=True, eq=False)
class Prices:
    """Returns on a part's sessions, read trade to trade.

    A column is priced on the sessions where it has a return and on one more, its first
    price: the session before its first return (or, for a benchmark read by instant, its
    first level).

    Attributes
    ----------
    raw : (columns × sessions) array
        The returns as given (read-only), or derived on these sessions (a benchmark read by
        instant).
    anchor : int array or None
        Per column, the session of its first price (−1: none, or before the first session).
        None when no column has a gap between its first and last return: then the returns
        are all one-session returns, and nothing spans.
    spanning : (int array, int array) or None
        Where a return spans a gap (columns, sessions): it follows a session without a price.
    """

    raw: FloatArray
    anchor: np.ndarray | None
    spanning: tuple[np.ndarray, np.ndarray] | None = None

    @cached_property
    def est(self) -> FloatArray:
        """``raw`` with the returns that span a gap set to NaN (the estimation sample's
        returns); ``raw`` itself when nothing spans."""
        if self.spanning is None or not self.spanning[0].size:
            return self.raw
        out = self.raw.copy()
        out[self.spanning] = np.nan
        out.flags.writeable = False
        return out

    def priced(self, col: np.ndarray, at: np.ndarray) -> np.ndarray:
        """Whether column ``col`` has a price on session ``at`` (arrays that broadcast)."""
        present = ~np.isnan(self.raw[col, at])
        if self.anchor is None:
            return present
        return present | (at == self.anchor[col])

    def stack(self, derived: list[tuple[FloatArray, np.ndarray]], kind: str = "log") -> Prices:
        """These columns followed by ``derived`` ones (returns, priced), read-only; levels
        (``kind`` "level") never span."""
        raw = np.vstack([self.raw, *(r[None, :] for r, _ in derived)])
        raw.flags.writeable = False
        if kind == "level":
            return Prices(raw, None)
        anchor = self.anchor if self.anchor is not None else _anchors(~np.isnan(self.raw))
        firsts = np.array([int(np.argmax(p)) if p.any() else -1 for _, p in derived], np.int64)
        cols, rows = [], []
        if self.spanning is not None:
            cols.append(self.spanning[0])
            rows.append(self.spanning[1])
        for i, (r, p) in enumerate(derived):  # a return after a session without a level
            gap = np.flatnonzero(~np.isnan(r[1:]) & ~p[:-1]) + 1
            cols.append(np.full(gap.size, self.raw.shape[0] + i, np.int64))
            rows.append(gap)
        return Prices(raw, np.concatenate([anchor, firsts]),
                      (np.concatenate(cols), np.concatenate(rows)))


def _anchors(present: np.ndarray) -> np.ndarray:
    """Per column, the session before its first return (−1: none, or it is the first)."""
    first = present.argmax(axis=1)
    return np.where(present.any(axis=1), first - 1, -1).astype(np.int64)


def _priced_where(present: np.ndarray) -> np.ndarray:
    """Priced sessions: those with a return, and the one before each column's first."""
    priced = present.copy()
    anchor = _anchors(present)
    at = np.flatnonzero(anchor >= 0)
    priced[at, anchor[at]] = True
    return priced


def priced_of(values: FloatArray, kind: str = "log") -> Prices:
    """The returns ``values`` (read-only) with where they are priced and where a return spans
    a gap; ``anchor`` is None when no column has a gap (one pass over the values), or when
    they are levels (``kind`` "level": log volume, each value as it is, nothing spans)."""
    values = values.view()
    values.flags.writeable = False  # the compiled kernels keep one specialisation
    present = ~np.isnan(values)
    n_rows = values.shape[1]
    if n_rows == 0 or kind == "level" or present.all():
        return Prices(values, None)
    count = present.sum(axis=1)
    first = present.argmax(axis=1)
    last = n_rows - 1 - present[:, ::-1].argmax(axis=1)
    if not ((count > 0) & (count < last - first + 1)).any():
        return Prices(values, None)
    # a return right after a session without one, but for the first (after the first price)
    after = present[:, 1:] & ~present[:, :-1]
    cols, rows = np.nonzero(after)
    rows += 1
    keep = rows != first[cols]
    return Prices(values, _anchors(present), (cols[keep], rows[keep]))


def levels_of(values: FloatArray, kind: str) -> FloatArray:
    """Log price levels of columns of returns (trade to trade), up to a constant per column:
    the running sum of log returns, NaN where not priced; levels (``kind`` "level") as they
    are."""
    if kind == "level":
        return values.copy()
    present = ~np.isnan(values)
    logs = np.log1p(values) if kind == "simple" else values
    level = np.cumsum(np.where(present, logs, 0.0), axis=1)
    return np.where(_priced_where(present), level, np.nan)


def derived_returns(level: FloatArray, kind: str) -> tuple[FloatArray, np.ndarray]:
    """Returns (of ``kind``) between the finite values of a series of log levels, each dated
    by the session that ends it, and where the series is priced; for ``kind`` "level", the
    levels themselves (read at the instant, as the per-event path reads a level)."""
    priced = np.isfinite(level)
    if kind == "level":
        return np.where(priced, level, np.nan), priced
    at = np.flatnonzero(priced)
    out = np.full(level.shape, np.nan)
    if at.size > 1:
        step = level[at[1:]] - level[at[:-1]]
        out[at[1:]] = np.expm1(step) if kind == "simple" else step
    return out, priced


# --- event windows with spanning returns -----------------------------------------------------

def candidates(prices: Prices, s: np.ndarray, b: np.ndarray, d: np.ndarray, win: Window,
               ok: np.ndarray, n_days: np.ndarray) -> np.ndarray:
    """Positions of the ``ok`` pairs whose event window may hold a return spanning a gap.

    ``n_days`` are the days the engine found a return of both series on: a window with one on
    every day, after a session where both were priced, holds one-session returns only. The
    others (a missing value inside, or a gap just before) are redone trade to trade.
    """
    if prices.anchor is None or not ok.any():
        return np.zeros(0, np.int64)
    rows = np.flatnonzero(ok)
    length = win[1] - win[0] + 1
    before = d[rows] + win[0] - 1
    inside = before >= 0
    at = np.maximum(before, 0)
    priced = prices.priced(s[rows], at) & prices.priced(b[rows], at)
    return rows[(n_days[rows] < length) | (inside & ~priced)]


#: Sessions before the event window searched first for the last one both series are priced
#: on; the pairs that need more (a long gap right before the window) are read again from the
#: session before the estimation window, as the per-event path's grid starts.
LOOKBACK = 10


def event_returns(prices: Prices, s: np.ndarray, b: np.ndarray, d: np.ndarray, est0: int,
                  win: Window, needs_benchmark: bool, kind: str
                  ) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Each pair's event-window returns trade to trade: (r, m, span), pairs × days.

    A window session where security and benchmark are both priced carries the return since
    the previous such session (looked for back to the session before the estimation window,
    as the per-event path's grid starts), over ``span`` sessions; the others have NaN (and
    span 0). A one-session return is the value given, exactly.
    """
    back = min(LOOKBACK, win[0] - est0 + 1)
    r, m, span, short = _event_returns(prices, s, b, d, win[0] - back, win, needs_benchmark,
                                       kind)
    if back < win[0] - est0 + 1 and short.any():
        at = np.flatnonzero(short)
        r[at], m[at], span[at], _ = _event_returns(prices, s[at], b[at], d[at], est0 - 1, win,
                                                   needs_benchmark, kind)
    return r, m, span


def _event_returns(prices: Prices, s: np.ndarray, b: np.ndarray, d: np.ndarray, first: int,
                   win: Window, needs_benchmark: bool, kind: str
                   ) -> tuple[FloatArray, FloatArray, FloatArray, np.ndarray]:
    """:func:`event_returns` reading back to offset ``first``; also the pairs whose first
    priced window session found no earlier one there (``short``)."""
    n_rows = prices.raw.shape[1]
    width = win[1] - first + 1
    at = (d + first)[:, None] + np.arange(width)
    inside = (at >= 0) & (at < n_rows)
    at = np.clip(at, 0, max(n_rows - 1, 0))
    p_s = prices.priced(s[:, None], at) & inside
    raw_s = prices.raw[s[:, None], at]
    l_s = _levels(raw_s, p_s, kind)
    common = p_s
    if needs_benchmark:
        p_b = prices.priced(b[:, None], at) & inside
        raw_b = prices.raw[b[:, None], at]
        l_b = _levels(raw_b, p_b, kind)
        common = p_s & p_b
    index = np.where(common, np.arange(width), -1)
    previous = np.full_like(index, -1)
    np.maximum.accumulate(index[:, :-1], axis=1, out=previous[:, 1:])
    j = np.arange(win[0] - first, width)  # the event window's columns
    prev = previous[:, j]
    valid = common[:, j] & (prev >= 0)
    short = (common[:, j] & (prev < 0)).any(axis=1)
    safe = np.maximum(prev, 0)
    rows = np.arange(d.size)[:, None]
    one = valid & (prev == j[None, :] - 1)  # one session: the value given
    r = np.where(valid, l_s[:, j] - l_s[rows, safe], np.nan)
    if kind == "simple":
        r = np.expm1(r)
    r = np.where(one, raw_s[:, j], r)
    if needs_benchmark:
        m = np.where(valid, l_b[:, j] - l_b[rows, safe], np.nan)
        if kind == "simple":
            m = np.expm1(m)
        m = np.where(one, raw_b[:, j], m)
    else:
        m = np.zeros(r.shape)
    span = np.where(valid, j[None, :] - prev, 0).astype(float)
    return r, m, span, short


def _levels(raw: FloatArray, priced: np.ndarray, kind: str) -> FloatArray:
    """Running sums of the log returns of priced sessions (log levels up to a constant)."""
    logs = np.log1p(raw) if kind == "simple" else raw
    return np.cumsum(np.where(priced & ~np.isnan(logs), logs, 0.0), axis=1)


def respan(prices: Prices, rows: np.ndarray, s: np.ndarray, b: np.ndarray, d: np.ndarray,
           est0: int, win: Window, model: str, kind: str, alpha: FloatArray, beta: FloatArray,
           sigma2: FloatArray, n_obs: FloatArray, mean_m: FloatArray, sxx: FloatArray
           ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, np.ndarray]:
    """AR, se, CAR, Var(CAR) and days of the pairs at ``rows`` from their trade-to-trade event
    windows (:func:`event_returns`) and fits: the per-event path's formulas
    (:mod:`eventstudy.estimation.kernel`, with spans)."""
    k = kernel.K[model]
    r, m, span = event_returns(prices, s[rows], b[rows], d[rows], est0, win,
                               model != "constant-mean", kind)
    a, bt = alpha[rows, None], beta[rows, None]
    if model == "market":
        ar = r - (span * a + bt * m)
    elif model == "constant-mean":
        ar = r - span * a
    else:
        ar = r - m
    valid = ~np.isnan(ar)
    s2, n = sigma2[rows], n_obs[rows]
    var = kernel.ar_variance(s2[:, None], k, n[:, None], mean_m[rows, None], sxx[rows, None],
                             span, np.where(valid, m, 0.0))
    se = np.where(valid, np.sqrt(var), np.nan)
    days = valid.sum(axis=1)
    car = np.where(days > 0, np.where(valid, ar, 0.0).sum(axis=1), np.nan)
    car_var = kernel.car_variance(s2, k, n, mean_m[rows], sxx[rows],
                                  np.where(valid, span, 0.0).sum(axis=1),
                                  np.where(valid, m, 0.0).sum(axis=1))
    return ar, se, car, car_var, days
