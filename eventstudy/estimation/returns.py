"""Returns on an exchange's session grid, trade to trade across missing prices.

A pair's returns live on the sessions of the security's exchange. The security and its
benchmark are read at the same sessions; a session where either has no price has no return,
and the next session where both have one carries a return spanning the gap, for the security
and the benchmark alike (trade-to-trade; Maynes & Rumsey 1993). ``span`` counts the sessions a
return covers (1 for an ordinary daily return).

Prices dated on a day that is not a session of the exchange are not moved to a neighbouring
session: they are left out and listed in :class:`GridNotes`, as are sessions without a price.

References
----------
.. [1] Maynes, E. and Rumsey, J. (1993) "Conducting event studies with thinly traded stocks",
   Journal of Banking & Finance 17(1), 145-157.
.. [2] Fama, E. F. (1976) *Foundations of Finance*, Basic Books, ch. 2 (value-weighted
   portfolio returns). JPX (2025) "TOPIX (Tokyo Stock Price Index) Calculation Methodology".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from eventstudy._typing import ReturnKind
from eventstudy.errors import PriceDataError

RETURN_COLUMNS = ("return", "benchmark_return", "span")


@dataclass(frozen=True)
class GridNotes:
    """What aligning prices to the session grid found: dates left out, sessions missing."""

    off_session: tuple[pd.Timestamp, ...] = ()
    missing: tuple[pd.Timestamp, ...] = ()


def period_return(ratio: np.ndarray, kind: ReturnKind) -> np.ndarray:
    """Return over one interval from the price ratio P_end / P_start: log or simple."""
    return np.log(ratio) if kind == "log" else ratio - 1.0


def basket_level(
    members: Sequence[pd.Series], sessions: pd.DatetimeIndex, kind: ReturnKind,
    weights: Sequence[float] | None = None, as_of: pd.Timestamp | None = None,
) -> pd.Series:
    """Level of a basket of ``members``' prices on ``sessions``: equal- or cap-weighted.

    Equal-weighted (no ``weights``): each member's return is taken trade to trade on
    ``sessions``; the basket's return on a session is the mean over the members that have
    one, so the level's ``kind`` return equals that mean exactly.

    Capitalisation-weighted (``weights``, index weights or market values as of ``as_of``,
    one per member): the basket holds fixed quantities q_i = w_i / P_i(as_of), P_i(as_of)
    the member's last price on or before ``as_of``, the way a capitalisation-weighted index
    holds its constituents' shares between reviews, and its level is the value of those
    holdings, Σ q_i P_i,t: its simple return is Σ ω_i R_i with ω_i each member's share of the
    value before the session (Fama 1976, ch. 2). A member without a price on a session is
    held at its last price (zero return there; its move shows when it trades again), as an
    index carries a constituent that did not trade; before its first price it is not held.

    The level is NaN on sessions where no member has a price.

    Raises
    ------
    PriceDataError
        ``weights`` does not match ``members``, or a member has no price on or before
        ``as_of``.
    """
    prices = pd.concat([m.reindex(sessions) for m in members], axis=1).to_numpy(float)
    priced = np.isfinite(prices).any(axis=1)
    if weights is not None:
        units = _units(members, weights, as_of)
        last = pd.DataFrame(prices).ffill()  # a member without a price keeps its last one
        now, before = last.to_numpy(), last.shift(1).to_numpy()
        both = np.isfinite(now) & np.isfinite(before)  # listed on both sessions
        held = np.where(both, before * units, 0.0)
        gain = np.where(both, (now - before) * units, 0.0)
        value = held.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            simple = np.where(value > 0, gain.sum(axis=1) / value, 0.0)
        level = np.cumprod(1.0 + simple)
        return pd.Series(np.where(priced, level, np.nan), index=sessions, name="basket")
    member_returns = np.full(prices.shape, np.nan)
    for j in range(prices.shape[1]):  # per member (a handful), each vectorised over sessions
        r, _ = _trade_to_trade(prices[:, j], np.isfinite(prices[:, j]), kind)
        member_returns[:, j] = r
    with np.errstate(invalid="ignore"):
        counts = np.isfinite(member_returns).sum(axis=1)
        mean = np.where(counts > 0, np.nansum(member_returns, axis=1) / np.maximum(counts, 1), 0.0)
    growth = np.exp(np.cumsum(mean)) if kind == "log" else np.cumprod(1.0 + mean)
    return pd.Series(np.where(priced, growth, np.nan), index=sessions, name="basket")


def _units(members: Sequence[pd.Series], weights: Sequence[float],
           as_of: pd.Timestamp | None) -> np.ndarray:
    """Quantities of a capitalisation-weighted basket: w_i / P_i(as_of), the weights scaled by
    a power of two (exactly: the returns keep every bit) so that the largest lies in [0.5, 1)
    and no sum of holdings can overflow, whatever unit they were given in."""
    w = np.asarray(weights, float)
    if w.size and np.isfinite(w).all() and (w > 0).all():
        w = np.ldexp(w, -np.frexp(w.max())[1])
    if w.shape != (len(members),) or not (np.isfinite(w).all() and (w > 0).all()):
        raise PriceDataError(f"basket weights {list(weights)}: give one positive weight per "
                             f"member ({len(members)})")
    if as_of is None:
        raise PriceDataError("basket weights need the date they are as of (weights_date)")
    anchor = np.empty(len(members))
    for j, m in enumerate(members):  # one lookup per member (a handful)
        known = m.loc[:as_of].dropna()
        if known.empty:
            raise PriceDataError(f"basket member {m.name or j}: no price on or before "
                                 f"{as_of.date()}, the date of the weights (weights_date)")
        anchor[j] = known.iloc[-1]
    return w / anchor


def _trade_to_trade(
    price: np.ndarray, valid: np.ndarray, kind: ReturnKind
) -> tuple[np.ndarray, np.ndarray]:
    """Returns and spans between consecutive valid positions of ``price`` (one series)."""
    out, span = trade_to_trade(price[None], valid[None], kind)
    return out[0], span[0]


def trade_to_trade(
    price: np.ndarray, valid: np.ndarray, kind: ReturnKind
) -> tuple[np.ndarray, np.ndarray]:
    """Per row of ``price`` (series × sessions), the return from each valid position's previous
    valid position, and the sessions it spans (0 and NaN where there is none: the first valid
    position, and invalid ones). Each return is its own two prices' ratio, elementwise, so a
    row's returns do not depend on the other rows."""
    if kind == "level":  # an observable read as it is (log volume, a variance): no spanning
        return np.where(valid, price, np.nan), np.where(valid, 1, 0)
    cols = np.arange(price.shape[-1])
    last = np.maximum.accumulate(np.where(valid, cols, -1), axis=-1)
    prev = np.full(last.shape, -1)
    prev[:, 1:] = last[:, :-1]
    has = valid & (prev >= 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = price / np.take_along_axis(price, np.maximum(prev, 0), axis=-1)
        out = np.where(has, period_return(ratio, kind), np.nan)
    return out, np.where(has, cols - prev, 0)


def pair_returns(
    security: pd.Series,
    benchmark: pd.Series | None,
    sessions: pd.DatetimeIndex,
    kind: ReturnKind = "log",
) -> tuple[pd.DataFrame, GridNotes]:
    """Security and benchmark returns on ``sessions``, trade to trade over common prices.

    Parameters
    ----------
    security, benchmark : pd.Series
        Prices indexed by date. ``benchmark`` may be None (constant-mean model).
    sessions : pd.DatetimeIndex
        Consecutive sessions of the security's exchange.
    kind : {"log", "simple"}

    Returns
    -------
    frame : pd.DataFrame
        Indexed by ``sessions``; columns ``return``, ``benchmark_return`` and ``span`` (sessions
        covered by the return; 0 where there is none). The first session never has a return.
    notes : GridNotes
        Price dates in the grid's range that are not sessions; sessions without a price.
    """
    start, end = sessions[0], sessions[-1]
    series = [security] if benchmark is None else [security, benchmark]
    off: set[pd.Timestamp] = set()
    for s in series:
        inside = s.index[(s.index >= start) & (s.index <= end)]
        off.update(inside.difference(sessions))
    on_grid = [s.reindex(sessions).to_numpy(float) for s in series]
    valid = np.logical_and.reduce([np.isfinite(x) for x in on_grid])
    r, span = _trade_to_trade(on_grid[0], valid, kind)
    m = _trade_to_trade(on_grid[1], valid, kind)[0] if benchmark is not None else (
        np.full(valid.shape, np.nan))
    frame = pd.DataFrame({"return": r, "benchmark_return": m, "span": span}, index=sessions)
    missing = sessions[~valid]
    notes = GridNotes(tuple(sorted(off)), tuple(missing))
    return frame, notes


def design_returns(
    security: pd.Series,
    regressors: Sequence[pd.Series],
    sessions: pd.DatetimeIndex,
    kind: ReturnKind = "log",
) -> tuple[pd.DataFrame, np.ndarray, GridNotes]:
    """Security and several regressors' returns on ``sessions``, trade to trade over common prices.

    The multi-regressor form of :func:`pair_returns`: a session counts only when the security
    and every regressor have a price, and the next such session carries a return spanning the
    gap for all of them alike.

    Parameters
    ----------
    security : pd.Series
        Prices indexed by date.
    regressors : sequence of pd.Series
        Regressor prices (factors) already indexed on ``sessions`` or by date; at least one.
    sessions : pd.DatetimeIndex
        Consecutive sessions of the security's exchange.
    kind : {"log", "simple"}

    Returns
    -------
    frame : pd.DataFrame
        Columns ``return``, ``benchmark_return`` (the first regressor) and ``span``.
    x : ndarray
        ``len(sessions)`` × ``len(regressors)``: each regressor's return over the same interval
        as the security's (NaN where there is none).
    notes : GridNotes
    """
    if not regressors:
        raise ValueError("design_returns needs at least one regressor")
    frame, notes = pair_returns(security, regressors[0], sessions, kind)
    on_grid = [s.reindex(sessions).to_numpy(float) for s in (security, *regressors)]
    valid = np.logical_and.reduce([np.isfinite(v) for v in on_grid])
    r, span = _trade_to_trade(on_grid[0], valid, kind)
    x = np.column_stack([_trade_to_trade(v, valid, kind)[0] for v in on_grid[1:]])
    frame = pd.DataFrame({"return": r, "benchmark_return": x[:, 0], "span": span},
                         index=sessions)
    missing = sessions[~valid]
    return frame, x, GridNotes(notes.off_session, tuple(missing))


def shifted_returns(
    level: pd.Series, sessions: pd.DatetimeIndex, shifts: Sequence[int], kind: ReturnKind = "log"
) -> np.ndarray:
    """Single-session returns of ``level`` at session offsets ``shifts``: column j is R_{t+j}.

    Used for lagged (j < 0) and leading (j > 0) benchmark returns (Dimson 1979; Scholes &
    Williams 1977), aligned on the security's sessions: row t of column j holds the benchmark's
    return over session t + j of the grid. Only returns over one session are given; a return
    that would span a missing price, or fall outside the grid, is NaN (such rows leave the
    estimation sample).
    """
    p = level.reindex(sessions).to_numpy(float)
    r = np.full(p.shape, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        r[1:] = period_return(p[1:] / p[:-1], kind)
    n = r.size
    out = np.full((n, len(shifts)), np.nan)
    for i, j in enumerate(shifts):  # a handful of shifts, each vectorised
        src = np.arange(n) + j
        ok = (src >= 0) & (src < n)
        out[ok, i] = r[src[ok]]
    return out
