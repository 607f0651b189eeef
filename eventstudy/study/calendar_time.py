"""Calendar-time portfolios of event pairs: the portfolio series built from the pairs and their
prices, then regressed on the market or factors (:mod:`eventstudy.inference.calendar_time`).

Each (event, security) pair is held for ``horizon`` sessions of its own exchange, offsets
``start`` to ``start + horizon - 1`` from its day 0 (default: sessions 1 to ``horizon``, so the
first return held runs from day 0's close to session 1's). On each date the portfolio's return
is the equal- or value-weighted mean of the returns of the pairs held that have one (Jaffe 1974;
Mandelker 1974; Fama 1998; Mitchell & Stafford 2000), trade to trade as in the event studies.
Pairs come from a study (:func:`eventstudy.run_many`: day 0, exchange, benchmark; a basket held
as the level the study read) or from a DataFrame as the batch engine takes them; prices from
the study's price source (:func:`eventstudy.study.single.open_prices`).

References
----------
.. [1] Jaffe, J. F. (1974), Journal of Business 47(3), 410-428.
.. [2] Mandelker, G. (1974), Journal of Financial Economics 1(4), 303-335.
.. [3] Fama, E. F. (1998), Journal of Financial Economics 49(3), 283-306.
.. [4] Mitchell, M. L. and Stafford, E. (2000), Journal of Business 73(3), 287-329.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from eventstudy import sessions
from eventstudy.errors import EstimationError, InputError, warn_excluded
from eventstudy.estimation.returns import period_return
from eventstudy.events import Calendar, load_events
from eventstudy.inference.calendar_time import CONVENTIONS, CalendarTimeResult, regress
from eventstudy.prices import PriceSource
from eventstudy.study.batch.request import day0_dates
from eventstudy.study.pooled import PooledResult
from eventstudy.study.results import EventStudyResult
from eventstudy.study.series import Named, named_prices, security_of
from eventstudy.study.single import open_prices

__all__ = ["Holdings", "calendar_time", "holdings"]

WEIGHTS = ("equal", "value")
KINDS = ("simple", "log")
_TABLE = ("pair", "event", "security", "ticker", "name", "exchange", "day0", "benchmark",
          "value", "shares", "reason")


@dataclass(frozen=True)
class Holdings:
    """The holding mask: ``held[t, i]`` is True when pair ``i`` is held on ``dates[t]`` (the
    union of the pairs' held sessions); ``grids`` holds each exchange's sessions around them."""

    dates: pd.DatetimeIndex
    held: np.ndarray
    grids: dict[str, pd.DatetimeIndex]


def holdings(exchanges: Sequence[str] | np.ndarray, day0: Sequence[object] | np.ndarray, *,
             horizon: int, start: int = 1, labels: Sequence[object] | None = None) -> Holdings:
    """Which pair is held on which date: pair ``i`` on the sessions of ``exchanges[i]`` at
    offsets ``start`` .. ``start + horizon - 1`` from ``day0[i]`` (as
    :func:`eventstudy.sessions.sessions_at` counts them). Sessions beyond the calendar's last
    are not held.

    Raises
    ------
    InputError
        A day 0 that is not a session of its exchange (the pair named by ``labels``).
    """
    codes = np.asarray(exchanges, dtype=object)
    days = pd.DatetimeIndex(day0).as_unit("ns")
    offsets = start + np.arange(horizon)
    grids: dict[str, pd.DatetimeIndex] = {}
    held_dates, held_pairs = [], []  # one pass per exchange, every pair of it at once
    for code in pd.unique(codes):
        idx = np.flatnonzero(codes == code)
        grid = _grid(str(code), (d0 := days[idx]).min(), d0.max(), start, horizon)
        pos = grid.searchsorted(d0)
        found = grid[np.minimum(pos, len(grid) - 1)] == d0
        if not found.all():
            j = int(idx[np.flatnonzero(~found)[0]])
            name = f"pair {labels[j]!r}: " if labels is not None else ""
            raise InputError(f"{name}day0 {days[j].date()} ({days[j].day_name()}) is not a "
                             f"{code} session")
        at = pos[:, None] + offsets[None, :]
        inside = (at >= 0) & (at < len(grid))
        held_dates.append(grid.to_numpy()[at[inside]])
        held_pairs.append(np.broadcast_to(idx[:, None], at.shape)[inside])
        grids[str(code)] = grid
    every = np.concatenate(held_dates)
    dates = pd.DatetimeIndex(np.unique(every), name="date")
    held = np.zeros((len(dates), len(codes)), bool)
    held[dates.searchsorted(every), np.concatenate(held_pairs)] = True
    return Holdings(dates, held, grids)


def _grid(code: str, first: pd.Timestamp, last: pd.Timestamp, start: int, horizon: int
          ) -> pd.DatetimeIndex:
    """The exchange's sessions from before the first held session (the one before it: a factor
    read by instant needs it) to past the last, within the dates the calendar supports (two
    calendar days a session and a margin)."""
    before, after = max(0, -start) + 1, max(0, start + horizon - 1)
    lo, hi = sessions.supported_range(code)
    begin = sessions.days_from(first, -(2 * before + 20))
    end = sessions.days_from(last, 2 * after + 20)
    if lo is not None:
        begin = max(begin, lo.tz_localize(None) if lo.tz is not None else lo)
    if hi is not None:
        end = min(end, hi.tz_localize(None) if hi.tz is not None else hi)
    return sessions.sessions_in_range(code, begin, end)


def calendar_time(
    pairs: PooledResult | EventStudyResult | pd.DataFrame, *, horizon: int, start: int = 1,
    weights: Literal["equal", "value"] = "equal", market: str | None = None,
    factors: str | Sequence[str] | None = None, lags: int | None = None,
    monthly_lags: int | None = None, returns: Literal["simple", "log"] = "simple",
    events: str | os.PathLike[str] | Calendar | None = None,
    prices: str | os.PathLike[str] | PriceSource | None = None, source: str | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
) -> CalendarTimeResult:
    """Calendar-time portfolio regression of event pairs (Jaffe 1974; Mandelker 1974; Fama
    1998; Mitchell & Stafford 2000).

    Parameters
    ----------
    pairs : PooledResult, EventStudyResult or DataFrame
        A study's pairs, or a frame with ``security`` (or ``ticker``: a ticker, an alias or a
        basket of the events file) and ``day0``; optional ``benchmark``, ``exchange`` (else
        the alias's, else inferred from the ticker), ``event``, ``value`` (or ``weight``) and
        ``shares_outstanding``. Its index labels the pairs.
    horizon : int
        Sessions each pair is held (>= 1).
    start : int
        Offset of the first session held (default 1: the session after day 0).
    weights : {"equal", "value"}
        Value: a fixed value per pair, ``value`` (or ``weight``) of the frame, else
        shares_outstanding (frame column, else the events file's) x the close on day 0.
    market, factors : str or sequence of str, optional
        The regressors: one ticker, or several (a list or "T1,T2"); default the pairs' common
        benchmark.
    lags, monthly_lags : int, optional
        Newey-West lags of the daily and monthly fits (default ⌊4 (T/100)^(2/9)⌋).
    returns : {"simple", "log"}
        Simple (default: a portfolio's return is the weighted mean of simple returns), or log.
    events, prices, source, cache_dir
        The events file (aliases, baskets, shares) and the price source, as
        :func:`eventstudy.run_many` takes them.

    Returns
    -------
    CalendarTimeResult

    Raises
    ------
    InputError
        Bad options, a malformed frame, no common benchmark, a day 0 that is not a session,
        a pair without a value (``weights="value"``).
    EstimationError
        An empty portfolio, or too few dates for the daily regression.
    PriceDataError
        A missing price file.

    References
    ----------
    .. [1] Fama, E. F. (1998), Journal of Financial Economics 49(3), 283-306.
    .. [2] Mitchell, M. L. and Stafford, E. (2000), Journal of Business 73(3), 287-329.
    """
    _check(horizon, start, weights, returns)
    calendar = events if isinstance(events, Calendar) else load_events(events)
    table = _table(pairs, calendar)
    chosen = _factors(market, factors, table)
    src = open_prices(calendar, prices=prices, source=source, cache_dir=cache_dir)
    named: dict[str, Named] = {}

    def load(name: str) -> Named:
        if name not in named:
            named[name] = named_prices(calendar, name, src.load, sessions.exchange_of)
        return named[name]

    excluded = [(str(p), str(r)) for p, r in table[["pair", "reason"]].to_numpy() if r]
    kept = table[table["reason"] == ""].reset_index(drop=True)
    if kept.empty:
        raise EstimationError("empty portfolio: no pair can be held (" + "; ".join(
            f"{p}: {r}" for p, r in excluded[:3]) + ")")
    names = [n for n in pd.unique(kept["name"]) if load(n) is not None]  # each series once
    blank = kept["exchange"] == ""
    kept.loc[blank, "exchange"] = kept.loc[blank, "name"].map(
        {n: named[n].exchange or "" for n in names})
    if (kept["exchange"] == "").any():
        row = kept[kept["exchange"] == ""].iloc[0]
        raise InputError(f"pair {row['pair']!r}: cannot infer the exchange of {row['name']!r}; "
                         "give an exchange column (an exchange_calendars code, e.g. XTKS)")
    hold = holdings(kept["exchange"].to_numpy(), kept["day0"].to_numpy(), horizon=horizon,
                    start=start, labels=kept["pair"].tolist())
    panel = pd.concat({n: _returns(named[n].prices, returns) for n in names}, axis=1, sort=True)
    r = panel.reindex(hold.dates).to_numpy(float)[:, panel.columns.get_indexer(kept["name"])]
    active = hold.held & np.isfinite(r)
    n_returns = active.sum(axis=0)
    empty = n_returns == 0
    for i in np.flatnonzero(empty):  # the reason of each pair left out (few)
        excluded.append((str(kept["pair"][i]), _no_returns(hold, i, named[kept["name"][i]])))
    if empty.all():
        raise EstimationError(f"empty portfolio: no pair has a return on its held sessions "
                              f"({excluded[-1][0]}: {excluded[-1][1]})")
    value = _values(kept, named, weights, ~empty)
    w = np.where(active, value[None, :], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):  # NaN where nothing is held
        port = (w * np.where(active, r, 0.0)).sum(axis=1) / w.sum(axis=1)
    series = pd.DataFrame({"return": port, "n_holdings": active.sum(axis=1)}, index=hold.dates)
    series = series[series["n_holdings"] > 0].join(
        _factor_returns(chosen, load, hold, kept["exchange"], returns))
    first = np.where(hold.held.any(axis=0), hold.held.argmax(axis=0), 0)
    last = len(hold.dates) - 1 - hold.held[::-1].argmax(axis=0)
    listed = kept.assign(first=hold.dates[first], last=hold.dates[last], n_returns=n_returns,
                         value=value)[~empty]
    kinds = [r.split(":")[0] if r.startswith("not studied") else "basket not in the events "
             "file" if r.startswith("basket") else "no returns held" for _, r in excluded]
    warn_excluded("eventstudy.calendar_time", len(table), kinds, "result.excluded", stacklevel=2)
    return regress(series, chosen, kind=returns, lags=lags, monthly_lags=monthly_lags,
                   horizon=horizon, start=start, weights=weights, returns=returns,
                   pairs=listed[["pair", "event", "security", "ticker", "exchange", "day0",
                                 "first", "last", "n_returns", "value"]].reset_index(drop=True),
                   excluded=tuple(excluded), conventions=CONVENTIONS)


def _check(horizon: object, start: object, weights: object, returns: object) -> None:
    for name, value, low in (("horizon", horizon, 1), ("start", start, -sessions.MAX_OFFSET)):
        if (isinstance(value, bool) or not isinstance(value, (int, np.integer))
                or not low <= value <= sessions.MAX_OFFSET):
            raise InputError(f"{name} = {value!r}: give a whole number of sessions from {low} "
                             f"to {sessions.MAX_OFFSET:,}")
    if weights not in WEIGHTS:
        raise InputError(f"weights = {weights!r}: give one of {', '.join(WEIGHTS)}")
    if returns not in KINDS:
        raise InputError(f"returns = {returns!r}: give one of {', '.join(KINDS)}")


def _returns(prices: pd.Series, kind: str) -> pd.Series:
    """A price series' returns from each price to the next (trade to trade)."""
    values = prices.to_numpy(float)
    return pd.Series(period_return(values[1:] / values[:-1], kind),  # type: ignore[arg-type]
                     index=prices.index[1:])


def _table(pairs: object, calendar: Calendar) -> pd.DataFrame:
    """The pairs as one frame of :data:`_TABLE` (``name``: what the prices are loaded by;
    ``reason``: why a pair cannot be held, empty when it can)."""
    if isinstance(pairs, pd.DataFrame):
        return _frame_table(pairs, calendar)
    if isinstance(pairs, PooledResult):
        items, left = list(pairs.pairs), list(pairs.excluded)
    elif isinstance(pairs, EventStudyResult):
        items = [(pairs.event.id, p) for p in pairs.pairs]
        left = [(pairs.event.id, x) for x in pairs.excluded]
    else:
        raise InputError(f"pairs: expected a PooledResult, an EventStudyResult or a DataFrame, "
                         f"got {type(pairs).__name__}")
    rows = []
    for event, p in items:  # one row per pair of the study
        reason = ""
        if p.members:  # a basket: its level as the study read it, from the events file
            found = security_of(calendar, p.ticker)
            if found is None or tuple(found.basket) != tuple(p.members):
                reason = (f"basket {p.ticker} ({len(p.members)} members) is not a basket of "
                          f"{calendar.path}: pass the events file the study ran on (events=)")
        own = calendar.securities.get(p.security)
        shares = own.shares_outstanding if own is not None and own.ticker == p.ticker else None
        rows.append((f"{event}:{p.security}", event, p.security, p.ticker, p.ticker, p.exchange,
                     p.day0, p.benchmark or "", math.nan, shares or math.nan, reason))
    rows += [(f"{e}:{x.security}", e, x.security, x.ticker, x.ticker, "", pd.NaT, "",
              math.nan, math.nan, f"not studied: {x.reason}") for e, x in left]
    return pd.DataFrame(rows, columns=list(_TABLE))


def _frame_table(frame: pd.DataFrame, calendar: Calendar) -> pd.DataFrame:
    col = next((c for c in ("security", "ticker") if c in frame.columns), None)
    if col is None or "day0" not in frame.columns:
        raise InputError("pairs: missing column(s); give security (or ticker) and day0, "
                         "optionally benchmark, exchange, event, value, shares_outstanding")
    if frame.empty:
        raise InputError("pairs: no rows")
    labels = pd.Series(frame.index.astype(str), dtype=object)
    names = pd.Series(frame[col].to_numpy(dtype=object))
    bad = ~names.map(lambda x: isinstance(x, str) and bool(x.strip())).astype(bool)
    if bad.any():
        at = int(np.flatnonzero(bad)[0])
        raise InputError(f"pairs row {at + 1} ({labels[at]!r}): {col} {names[at]!r} is not a "
                         "ticker")
    names = names.str.strip()
    aliases = {n: calendar.securities[n] for n in pd.unique(names) if n in calendar.securities}

    def text(column: str) -> pd.Series:
        if column not in frame.columns:
            return pd.Series([""] * len(frame), dtype=object)
        return pd.Series(frame[column].fillna("").astype(str).str.strip().to_numpy(),
                         dtype=object)

    exchange = text("exchange")
    codes = {c: sessions.canonical_code(c) for c in pd.unique(exchange) if c}
    value_col = next((c for c in ("value", "weight") if c in frame.columns), None)
    shares = (pd.to_numeric(frame["shares_outstanding"], errors="coerce").to_numpy(float)
              if "shares_outstanding" in frame.columns else names.map(
                  {n: s.shares_outstanding for n, s in aliases.items()}).to_numpy(float))
    return pd.DataFrame({
        "pair": labels, "event": text("event"), "security": names,
        "ticker": names.map(lambda n: aliases[n].ticker if n in aliases else n),
        "name": names, "exchange": exchange.map(lambda c: codes.get(c, "")),
        "day0": day0_dates(frame["day0"], frame.index, "pairs"),
        "benchmark": text("benchmark"),
        "value": (pd.to_numeric(frame[value_col], errors="coerce").to_numpy(float)
                  if value_col else np.full(len(frame), np.nan)),
        "shares": shares, "reason": "",
    }, columns=list(_TABLE))


def _factors(market: str | None, factors: str | Sequence[str] | None,
             table: pd.DataFrame) -> list[str]:
    if market is not None and factors is not None:
        raise InputError("give market (one ticker) or factors (several), not both")
    if market is not None:
        items: Sequence[str] = [market]
    elif factors is not None:
        items = factors.split(",") if isinstance(factors, str) else list(factors)
    else:
        counts = table.loc[(table["reason"] == "") & (table["benchmark"] != ""),
                           "benchmark"].value_counts()
        if len(counts) == 1:
            return str(counts.index[0]).split(" + ")
        found = ", ".join(f"{b} ({n} pairs)" for b, n in counts.items())
        what = f"no common benchmark: {found}" if found else "no benchmark"
        raise InputError(f"the pairs have {what}; give market=TICKER (--market) or "
                         "factors=[...] (--factors T1,T2)")
    out = list(dict.fromkeys(str(f).strip() for f in items if str(f).strip()))
    if not out or {"return", "n_holdings", "in_sample"} & set(out):
        raise InputError(f"factors {list(items)!r}: give one or more tickers")
    return out


def _values(kept: pd.DataFrame, named: dict[str, Named], weights: str,
            held: np.ndarray) -> np.ndarray:
    """Each pair's fixed weight: 1 (equal), else its value, or shares x its close on day 0."""
    if weights == "equal":
        return np.ones(len(kept))
    value = kept["value"].to_numpy(float).copy()
    need = ~np.isfinite(value) & np.isfinite(kept["shares"].to_numpy(float))
    for name, idx in kept[need].groupby("name").groups.items():  # per series, not per pair
        prices = named[str(name)].prices
        d0 = pd.DatetimeIndex(kept.loc[idx, "day0"])
        pos = prices.index.searchsorted(d0, side="right") - 1
        close = np.where(pos >= 0, prices.to_numpy(float)[np.maximum(pos, 0)], np.nan)
        value[idx] = kept.loc[idx, "shares"].to_numpy(float) * close
    bad = held & ~(np.isfinite(value) & (value > 0))
    if bad.any():
        shown = ", ".join(kept["pair"][bad][:3])
        more = f" and {int(bad.sum()) - 3} more" if bad.sum() > 3 else ""
        raise InputError(f"weights='value': no positive value for pair(s) {shown}{more}; give "
                         "a value column, or shares_outstanding (a column, or in the events "
                         "file)")
    return value


def _factor_returns(factors: Sequence[str], load: object, hold: Holdings,
                    exchanges: pd.Series, kind: str) -> pd.DataFrame:
    """Each factor's return on the portfolio's dates: by date, or by instant when every pair
    is on one exchange and the factor trades on another (the study's reading of a benchmark
    on another exchange, :func:`eventstudy.sessions.align_sessions`)."""
    codes = pd.unique(exchanges)
    home = str(codes[0]) if len(codes) == 1 else None
    out = {}
    for factor in factors:  # a handful
        series: Named = load(factor)  # type: ignore[operator]
        if home is not None and series.exchange not in (None, home):
            grid = hold.grids[home]
            read = sessions.align_sessions(home, grid, str(series.exchange))
            px = series.prices.reindex(read).to_numpy(float)
            got = pd.Series(period_return(px[1:] / px[:-1], kind),  # type: ignore[arg-type]
                            index=grid[1:])
        else:
            got = _returns(series.prices, kind)
        out[factor] = got.reindex(hold.dates).to_numpy(float)
    return pd.DataFrame(out, index=hold.dates)


def _no_returns(hold: Holdings, i: int, named: Named) -> str:
    dates, p = hold.dates[hold.held[:, i]], named.prices.index
    return ("no held session within the exchange's calendar" if dates.empty else
            f"no returns on its held sessions {dates[0].date()}..{dates[-1].date()} "
            f"(prices {p[0].date()}..{p[-1].date()})")
