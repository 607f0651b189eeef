"""Many (event, security) pairs studied at once: the one engine of ``run``, ``run_many`` and
``sensitivity``.

Each pair is resolved with the calendars (day 0 on its exchange, the session grid of its
estimation and event windows) against prices loaded and validated once per ticker. The pairs
whose windows are clean, the common case (every session of the grid priced for the security and
its benchmark on the same exchange, no price dated off the exchange's sessions, no probable
split, confounder or other event's window of the security in the grid, enough estimation
returns, a closed-form model), are then computed together: one stacked fit per (exchange,
model, windows), one pass for the days and the CAR windows
(:meth:`~eventstudy.estimation.fit.NormalReturnModel.fit_rows`,
:mod:`eventstudy.inference.windows`), the same functions the one-pair path calls on one row, so
each pair's numbers are those of :func:`~eventstudy.study.pair.study_pair` to the last bit.
Every other pair (a gap, a basket, a design model, a benchmark read by instant, hygiene that
drops sessions, an exclusion, an error) goes through :func:`~eventstudy.study.pair.study_pair`,
which says what it did in the pair's notes. A pair's day-by-day and CAR frames are built when
first read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from eventstudy import sessions
from eventstudy.errors import EventStudyError
from eventstudy.estimation.models import MODELS
from eventstudy.estimation.returns import GridNotes, period_return
from eventstudy.events import Calendar, Event, Security, Settings
from eventstudy.inference import windows
from eventstudy.prices import PriceSource
from eventstudy.study.pair import _price_tickers, car_frame, car_windows, day_frame, study_pair
from eventstudy.study.results import Deferred, PairResult, PairVectors
from eventstudy.study.sample import _Exclude, _notes, _SampleCounts

CLOSED_FORMS = ("market", "constant-mean", "market-adjusted")


@dataclass(frozen=True)
class Request:
    """One pair to study: the event, the security and the pair's settings."""

    event: Event
    security: Security
    settings: Settings


def study_pairs(calendar: Calendar, requests: Sequence[Request], source: PriceSource
                ) -> list[PairResult | _Exclude]:
    """Study every requested pair; an excluded pair is its ``_Exclude`` (with the reason).

    Errors (a missing price file, an announcement outside the calendars) raise as
    :func:`~eventstudy.study.pair.study_pair` raises them, for the first pair at fault.
    """
    out: list[PairResult | _Exclude | None] = [None] * len(requests)
    plan = _Plan(calendar, source)
    for key, rows in plan.clean(requests).items():
        index = [i for i, _, _ in rows]
        found = plan.compute(key, [requests[i] for i in index], np.array([p for _, p, _ in rows]),
                             [n for _, _, n in rows])
        for i, result in zip(index, found, strict=True):
            out[i] = result
    for i, req in enumerate(requests):  # the rest, one by one, in order (errors raise in order)
        if out[i] is None:
            try:
                out[i] = study_pair(calendar, req.event, req.security, req.settings, source)
            except _Exclude as why:
                out[i] = why
    return out  # type: ignore[return-value]


class _Plan:
    """Day 0, session grids and prices on them, shared by the pairs of one call."""

    def __init__(self, calendar: Calendar, source: PriceSource) -> None:
        self.calendar = calendar
        self.source = source
        self.day0: dict[tuple[Any, str, str], Any] = {}
        self.grids: dict[str, pd.DatetimeIndex] = {}
        self.prices: dict[tuple[str, str], tuple[np.ndarray, np.ndarray, np.ndarray] | None] = {}
        self.windows: dict[tuple[str, str], list[tuple[int, int]]] = {}  # hygiene, by security
        by_name: dict[str, list[Event]] = defaultdict(list)
        for event in calendar.events:
            for name in event.securities:
                by_name[name].append(event)
        self.by_name = by_name
        self.known: dict[str, bool] = {}
        self.confounders: dict[str, np.ndarray] = {}
        self.days: dict[str, np.ndarray] = {}  # each grid as datetime64 (cheap to index)

    def _has(self, ticker: str) -> bool:
        if ticker not in self.known:
            self.known[ticker] = self.source.has(ticker)
        return self.known[ticker]

    def _day0(self, event: Event, exchange: str) -> Any:
        key = (event.announced, event.timing, exchange)
        if key not in self.day0:
            try:
                self.day0[key] = sessions.day_zero(event.announced, event.timing, exchange)
            except EventStudyError:
                self.day0[key] = None
        return self.day0[key]

    def clean(self, requests: Sequence[Request]
              ) -> dict[tuple[Any, ...], list[tuple[int, int, tuple[str, ...]]]]:
        """The requests the stacked path computes, grouped by what they share."""
        candidates: dict[str, list[tuple[int, Any]]] = defaultdict(list)
        for i, req in enumerate(requests):
            sec, st = req.security, req.settings
            if st.model not in CLOSED_FORMS or sec.basket:
                continue
            bench = sec.benchmark if st.model != "constant-mean" else None
            if st.model != "constant-mean" and (
                    bench is None or (sec.benchmark_exchange or sec.exchange) != sec.exchange):
                continue
            if not all(self._has(t) for t in (sec.ticker, bench) if t):
                continue
            d0 = self._day0(req.event, sec.exchange)
            if d0 is not None:
                candidates[sec.exchange].append((i, d0))
        groups: dict[tuple[Any, ...], list[tuple[int, int, tuple[str, ...]]]] = (
            defaultdict(list))
        for exchange, items in candidates.items():
            grid = self._grid(exchange, [d0.session for _, d0 in items], requests, items)
            if grid is None:
                continue
            at = grid.searchsorted(pd.DatetimeIndex([d0.session for _, d0 in items]))
            for (i, _), pos in zip(items, at.tolist(), strict=True):
                req = requests[i]
                notes = self._clean_notes(req, grid, pos)
                if notes is not None:
                    st = req.settings
                    key = (exchange, st.model, st.returns, st.estimation, st.window,
                           car_windows(st, req.event))
                    groups[key].append((i, pos, notes))
        return groups

    def _grid(self, exchange: str, days: list[pd.Timestamp], requests: Sequence[Request],
              items: list[tuple[int, Any]]) -> pd.DatetimeIndex | None:
        before = max(1 - requests[i].settings.estimation[0] for i, _ in items)
        after = max(requests[i].settings.window[1] for i, _ in items)
        start = min(days) - pd.Timedelta(days=2 * before + 30)
        end = max(days) + pd.Timedelta(days=2 * after + 30)
        try:
            grid = sessions.sessions_in_range(exchange, start, end)
        except EventStudyError:
            return None
        self.grids[exchange] = grid
        self.days[exchange] = grid.to_numpy()
        return grid

    def _series(self, ticker: str, exchange: str) -> tuple[np.ndarray, np.ndarray, np.ndarray
                                                           ] | None:
        """Prices of ``ticker`` on the exchange's grid, the running count of sessions without
        a price, and the positions of its dates that are not sessions (None: unreadable)."""
        key = (ticker, exchange)
        if key not in self.prices:
            grid = self.grids[exchange]
            try:
                series = self.source.load(ticker)
            except EventStudyError:
                self.prices[key] = None
                return None
            on_grid = series.reindex(grid).to_numpy(float)
            missing = np.concatenate([[0], np.cumsum(~np.isfinite(on_grid))])
            dates = series.index
            off = dates[~dates.isin(grid)]
            self.prices[key] = (on_grid, missing, grid.searchsorted(off))
        return self.prices[key]

    def _clean_notes(self, req: Request, grid: pd.DatetimeIndex, pos: int
                     ) -> tuple[str, ...] | None:
        """The pair's notes when the stacked path can compute it, else None."""
        sec, st = req.security, req.settings
        lo, hi = pos + st.estimation[0] - 1, pos + st.window[1]
        n_obs = st.estimation[1] - st.estimation[0] + 1
        days = self.days[sec.exchange]
        if lo < 0 or hi >= len(grid) or pos >= len(grid) or (
                days[pos] != self._day0(req.event, sec.exchange).session.to_datetime64()):
            return None
        if n_obs < st.min_estimation or n_obs <= MODELS[st.model].k + 2:
            return None
        tickers = _price_tickers(sec, st)
        for ticker in tickers:
            series = self._series(ticker, sec.exchange)
            if series is None:
                return None
            _, missing, off = series
            if missing[hi + 1] - missing[lo] or np.any((off > lo) & (off <= hi)):
                return None  # a session without a price, or a price off the sessions
            if any(days[lo] <= i.first.to_datetime64() <= days[hi] for i in self._splits(ticker)):
                return None
        if any(days[lo] <= c <= days[hi] for c in self._confounders(sec)):
            return None
        if st.exclude_event_windows and self._other_windows_hit(req, grid, pos):
            return None
        notes: tuple[str, ...] = ()
        if sec.proxy:
            counts = _SampleCounts(window=n_obs, n_obs=n_obs, before_data=0, missing=0, gaps=0,
                                   events=0, confounders=0)
            notes = _notes(GridNotes(), grid[lo + 1: hi + 1], sec, counts)
        if hasattr(self.source, "notes_between") and any(self._issues(t) for t in tickers):
            try:
                notes = (*notes, *self.source.notes_between(tickers, grid[lo + 1], grid[hi]))
            except EventStudyError:  # an error in the pair's dates: the one-pair path raises it
                return None
        return notes

    def _issues(self, ticker: str) -> bool:
        issues = getattr(self.source, "issues", None)
        return bool(issues(ticker)) if callable(issues) else True

    def _splits(self, ticker: str) -> list[Any]:
        """The probable splits of a loaded ticker (with a date)."""
        if not hasattr(self.source, "splits"):
            return []
        return [i for i in self.source.splits([ticker]) if i.first is not None]

    def _confounders(self, security: Security) -> np.ndarray:
        key = security.alias
        if key not in self.confounders:
            self.confounders[key] = np.array(
                [np.datetime64(c.date, "ns") for c in self.calendar.confounders_for(security)],
                "datetime64[ns]")
        return self.confounders[key]

    def _other_windows_hit(self, req: Request, grid: pd.DatetimeIndex, pos: int) -> bool:
        sec = req.security
        others = {e.id: e for name in (sec.alias, sec.ticker) for e in self.by_name.get(name, ())}
        lo, hi = pos + req.settings.estimation[0], pos + req.settings.estimation[1]
        for other in others.values():
            if other.id == req.event.id:
                continue
            d0 = self._day0(other, sec.exchange)
            if d0 is None:
                continue
            where = int(grid.searchsorted(d0.session))
            w = self.calendar.settings(other, sec).window
            if where >= len(grid) or grid[where] != d0.session:
                return True  # outside the grid: let the one-pair path decide
            if where + w[0] <= hi and where + w[1] >= lo:
                return True
        return False

    def compute(self, key: tuple[Any, ...], requests: list[Request], pos: np.ndarray,
                notes: list[tuple[str, ...]]) -> list[PairResult | None]:
        """The pairs of one group, stacked; a pair the fit refuses goes the one-pair way."""
        exchange, model_name, kind, est, win, spans = key
        days = self.days[exchange]
        model = MODELS[model_name]()
        offsets = np.arange(est[0] - 1, win[1] + 1)
        idx = pos[:, None] + offsets[None, :]  # grid positions, anchor first
        price = np.stack([self._series(r.security.ticker, exchange)[0] for r in requests])  # type: ignore[index]
        r_all = _returns(np.take_along_axis(price, idx, axis=1), kind)
        if model.needs_benchmark:
            bench = np.stack([self._series(r.security.benchmark, exchange)[0]  # type: ignore[arg-type,index]
                              for r in requests])
            m_all = _returns(np.take_along_axis(bench, idx, axis=1), kind)
        else:
            m_all = np.zeros_like(r_all)
        n_est = est[1] - est[0] + 1
        fits = model.fit_rows(np.ascontiguousarray(r_all[:, :n_est]),
                              np.ascontiguousarray(m_all[:, :n_est]))
        results: list[PairResult | None] = [None] * len(requests)
        ok = np.flatnonzero(fits.error == 0)
        if not ok.size:
            return results
        first_w = win[0] - est[0]
        r_win, m_win = r_all[ok, first_w:], m_all[ok, first_w:]
        t_win = np.arange(win[0], win[1] + 1)
        starts = pd.DatetimeIndex(days[pos[ok] + est[0]]).tolist()
        ends = pd.DatetimeIndex(days[pos[ok] + est[1]]).tolist()
        model_fits = [fits.fit(i, a, b, first_obs=a, last_obs=b)
                      for i, a, b in zip(ok.tolist(), starts, ends, strict=True)]
        stacked = windows.Fits.of(model_fits)
        span = np.ones(r_win.shape)
        day_rows = windows.days(stacked, r_win, m_win, span, np.ones(span.shape, bool))
        w = windows.windows(stacked, t_win, day_rows.ar, m_win, span, r_win, day_rows.expected,
                            spans, kind)
        resid = r_all[ok, :n_est] - stacked.expected(m_all[ok, :n_est], np.ones((ok.size, n_est)))
        shape = _Shape(exchange, est, win, spans, t_win, np.arange(est[0], est[1] + 1),
                       model.needs_benchmark)
        for j, i in enumerate(ok.tolist()):
            results[i] = self._pair(requests[i], model_fits[j], shape, int(pos[i]), notes[i],
                                    r_win[j], m_win[j], day_rows.row(j), w.rows(j), resid[j])
        return results

    def _pair(self, req: Request, fit: Any, shape: _Shape, pos: int, notes: tuple[str, ...],
              r: np.ndarray, m: np.ndarray, row: windows.Days, w_row: windows.Windows,
              resid: np.ndarray) -> PairResult:
        sec, st, event = req.security, req.settings, req.event
        d0 = self._day0(event, sec.exchange)
        days = self.days[shape.exchange]
        est, win = shape.est, shape.win
        win_dates = days[pos + win[0]: pos + win[1] + 1]
        est_dates = days[pos + est[0]: pos + est[1] + 1]
        n_win = len(shape.t_win)
        has_benchmark = shape.benchmark
        design = m if has_benchmark else np.zeros(n_win)
        return PairResult(
            security=sec.alias, ticker=sec.ticker, name=sec.name,
            benchmark=sec.benchmark if has_benchmark else None, exchange=sec.exchange,
            model=fit.model, returns=st.returns, day0=d0.session, day0_rule=d0.rule,
            day0_reason=d0.reason, estimation=fit,
            days=Deferred(lambda: day_frame(  # type: ignore[arg-type]
                shape.t_win, pd.DatetimeIndex(win_dates), r, m if has_benchmark else None, row,
                np.ones(n_win, np.int64))),
            car=Deferred(lambda: car_frame(  # type: ignore[arg-type]
                shape.spans, shape.t_win, pd.Series(pd.DatetimeIndex(win_dates)), w_row, 0)),
            headline=event.headline, proxy=sec.proxy, members=sec.basket, confounders=(),
            notes=notes,
            residuals=Deferred(lambda: pd.DataFrame({  # type: ignore[arg-type]
                "t": shape.t_est, "date": pd.DatetimeIndex(est_dates), "ar": resid})),
            design=design,
            arrays=PairVectors(t=shape.t_win, ar=row.ar, se=row.se, windows=shape.spans,
                               car=w_row.car[0], car_se=w_row.se[0], residual_t=shape.t_est,
                               residual_dates=est_dates, residual_ar=resid),
        )


@dataclass(frozen=True)
class _Shape:
    """What the pairs of a stacked group share."""

    exchange: str
    est: tuple[int, int]
    win: tuple[int, int]
    spans: tuple[tuple[int, int], ...]
    t_win: np.ndarray
    t_est: np.ndarray
    benchmark: bool


def _returns(price: np.ndarray, kind: str) -> np.ndarray:
    """Returns between consecutive columns of a fully priced grid (``_trade_to_trade``)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return period_return(price[:, 1:] / price[:, :-1], kind)  # type: ignore[arg-type]
