"""The estimation samples of stacked pairs and their results: :mod:`eventstudy.study.sample`'s
rules (listings, gaps, probable splits, other events' windows, confounders) applied to every pair
of a group at once, the counts and notes that say what entered each fit, and each pair's
:class:`~eventstudy.study.results.PairResult`, whose frames are built when first read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from eventstudy._lazy import Deferred
from eventstudy.errors import EventStudyError
from eventstudy.estimation.fit import RowFits
from eventstudy.estimation.models import ModelFit
from eventstudy.estimation.returns import GridNotes
from eventstudy.inference import windows
from eventstudy.study.pair import _price_tickers, car_frame, day_frame
from eventstudy.study.resolve import Request, Resolver
from eventstudy.study.results import PairResult, RowOf, StackedRows
from eventstudy.study.sample import (
    _confounder_rows,
    _fit_notes,
    _notes,
    _SampleCounts,
    _split_days,
    _window_confounders,
)


@dataclass(frozen=True)
class Placed:
    """A group of pairs on one exchange's grid: day 0 positions and the shared windows."""

    res: Resolver
    exchange: str
    requests: Sequence[Request]
    pos: np.ndarray
    est: tuple[int, int]
    win: tuple[int, int]
    spans: tuple[tuple[int, int], ...]
    kind: str
    grid: np.ndarray
    priced: np.ndarray  # sessions (anchor first) with a price for the security and benchmark
    benchmark: bool

    def dates(self, i: int) -> pd.DatetimeIndex:
        """The sessions of pair ``i``'s returns (estimation window to the event window's end)."""
        p = int(self.pos[i])
        return pd.DatetimeIndex(self.grid[p + self.est[0]: p + self.win[1] + 1])


@dataclass(frozen=True)
class Samples:
    """What entered each pair's fit (P × T masks over the returns) and why others did not."""

    valid: np.ndarray
    sample: np.ndarray
    n_obs: np.ndarray
    before_data: np.ndarray
    missing: np.ndarray
    gaps: np.ndarray
    events: np.ndarray
    confounders: np.ndarray
    splits: np.ndarray
    ok: np.ndarray  # enough returns, some in the event window, no error in the pair's dates
    split_notes: list[tuple[str, ...]]
    other_ids: list[tuple[str, ...]]
    price_notes: list[tuple[str, ...]]
    placed: Placed

    def counts(self, i: int) -> _SampleCounts:
        est = self.placed.est
        return _SampleCounts(
            window=est[1] - est[0] + 1, n_obs=int(self.n_obs[i]),
            before_data=int(self.before_data[i]), missing=int(self.missing[i]),
            gaps=int(self.gaps[i]), events=int(self.events[i]),
            confounders=int(self.confounders[i]), splits=int(self.splits[i]))

    def model_fits(self, rows: RowFits, js: np.ndarray, pairs: np.ndarray) -> list[ModelFit]:
        """Rows ``js`` of ``rows`` (pairs ``pairs``) as the ModelFits the one-pair path
        returns."""
        placed, est = self.placed, self.placed.est
        at = placed.pos[pairs] + est[0]
        sample = self.sample[pairs]
        first = np.argmax(sample, axis=1)
        last = sample.shape[1] - 1 - np.argmax(sample[:, ::-1], axis=1)
        dates = [pd.DatetimeIndex(placed.grid[x]).tolist()
                 for x in (at, at + est[1] - est[0], at + first, at + last)]
        counts = [a[pairs].tolist() for a in (self.gaps, self.events, self.confounders,
                                              self.before_data, self.missing)]
        return [rows.fit(j, start, end, n_gaps=gaps, n_excluded_events=events,
                         n_excluded_confounders=conf, n_before_data=before, n_missing=missing,
                         first_obs=first_obs, last_obs=last_obs)
                for j, start, end, first_obs, last_obs, gaps, events, conf, before, missing
                in zip(js.tolist(), *dates, *counts, strict=True)]


def samples(placed: Placed, r: np.ndarray, m: np.ndarray, span: np.ndarray) -> Samples:
    """Each pair's estimation sample, counts, exclusions and notes (``_Exclude`` cases are
    left out of ``ok``: the one-pair path says why)."""
    res, est, win = placed.res, placed.est, placed.win
    n_pairs = len(placed.requests)
    t = np.arange(est[0], win[1] + 1)
    valid = np.isfinite(r) & np.isfinite(m)
    in_est = t <= est[1]
    n_est = est[1] - est[0] + 1
    usable = in_est & valid & (span == 1)
    on_split = np.zeros_like(usable)
    split_notes: list[tuple[str, ...]] = [()] * n_pairs
    other_ids: list[tuple[str, ...]] = [()] * n_pairs
    price_notes: list[tuple[str, ...]] = [()] * n_pairs
    ok = np.ones(n_pairs, bool)
    grid = placed.grid
    for i, req in enumerate(placed.requests):  # splits: a few tickers, checked by date
        p = int(placed.pos[i])
        lo, hi = grid[p + est[0] - 1], grid[p + win[1]]
        tickers = _price_tickers(req.security, req.settings)
        if any(lo <= s.first.to_datetime64() <= hi for tk in tickers for s in res.splits(tk)):
            on_split[i], split_notes[i] = _split_days(
                res.source, tickers, placed.dates(i), valid[i], t, est, win[0])
        if any(res.has_issues(tk) for tk in tickers) and hasattr(res.source, "notes_between"):
            try:
                price_notes[i] = res.source.notes_between(
                    tickers, pd.Timestamp(grid[p + est[0]]), pd.Timestamp(grid[p + win[1]]))
            except EventStudyError:  # an error inside the pair's dates: the one-pair path
                ok[i] = False
    data_usable, usable = usable, usable & ~on_split
    in_other = np.zeros_like(usable)
    on_conf = np.zeros_like(usable)
    for i, req in enumerate(placed.requests):
        if req.settings.exclude_event_windows:
            other_ids[i] = _other_windows(placed, i, req, usable[i, :n_est], in_other[i, :n_est])
        days = placed.res.confounders(req.security)
        if req.settings.exclude_confounders and days.size:
            p = int(placed.pos[i])
            on_conf[i] = _confounder_rows(grid[p + est[0]: p + win[1] + 1], days, usable[i],
                                          in_other[i])
    sample = usable & ~in_other & ~on_conf
    n_obs = sample.sum(axis=1)
    before = in_est & (np.cumsum(valid, axis=1) == 0)  # no return yet: a listing
    spanning = valid & (span > 1)
    in_win = t >= win[0]
    ok &= (n_obs >= np.array([r.settings.min_estimation for r in placed.requests]))
    ok &= valid[:, in_win].any(axis=1)
    return Samples(
        valid=valid, sample=sample, n_obs=n_obs, before_data=before.sum(axis=1),
        missing=(in_est & ~before & ~spanning & ~data_usable).sum(axis=1),
        gaps=(in_est & spanning).sum(axis=1), events=in_other.sum(axis=1),
        confounders=on_conf.sum(axis=1), splits=(data_usable & on_split).sum(axis=1), ok=ok,
        split_notes=split_notes, other_ids=other_ids, price_notes=price_notes, placed=placed)


def _other_windows(placed: Placed, i: int, req: Request, usable: np.ndarray,
                   in_other: np.ndarray) -> tuple[str, ...]:
    """Mark (in ``in_other``) the usable estimation returns inside other events' windows of
    the security, in calendar order; the ids of the events that took some (``_hygiene``)."""
    found = placed.res.windows(req.security, placed.exchange)
    assert found is not None  # checked when the pair was placed
    lo = int(placed.pos[i]) + placed.est[0]
    hi = lo + len(usable) - 1
    hit = []
    for j in np.flatnonzero((found.start <= hi) & (found.end >= lo)).tolist():
        if found.ids[j] == req.event.id:
            continue
        a, b = max(int(found.start[j]), lo) - lo, min(int(found.end[j]), hi) - lo + 1
        new = usable[a:b] & ~in_other[a:b]
        if new.any():
            hit.append(found.ids[j])
            in_other[a:b] |= new
    return tuple(hit)


def pair_results(placed: Placed, smp: Samples, ok: np.ndarray, fits: Sequence[ModelFit],
                 r: np.ndarray, m: np.ndarray, valid: np.ndarray, span: np.ndarray,
                 days: windows.Days, cars: windows.Windows, resid: np.ndarray
                 ) -> list[PairResult]:
    """The PairResults of pairs ``ok`` (rows of the window arrays, in that order); their
    ``days``, ``car`` and ``residuals`` frames are built when first read."""
    est, win, bench = placed.est, placed.win, placed.benchmark
    t_win = np.arange(win[0], win[1] + 1)
    pos = placed.pos[ok]
    used = smp.sample[ok, : est[1] - est[0] + 1]
    cuts = np.concatenate([[0], np.cumsum(used.sum(axis=1))])
    event_dates = placed.grid[pos[:, None] + t_win[None, :]]
    rows = StackedRows(
        t=t_win, ar=days.ar, se=days.se, windows=placed.spans, car=cars.car, car_se=cars.se,
        residual_t=np.broadcast_to(np.arange(est[0], est[1] + 1), used.shape)[used],
        residual_dates=placed.grid[pos[:, None] + np.arange(est[0], est[1] + 1)][used],
        residual_ar=resid[used], cuts=cuts, dates=np.asarray(event_dates, "datetime64[D]"))
    group = _Frames(placed, rows, event_dates, r, m, valid, days, cars, span)
    day0_gap = ~valid[:, t_win == 0].any(axis=1)
    detailed = (~placed.priced[ok].all(axis=1) | (smp.before_data[ok] > 0)
                | (smp.missing[ok] > 0) | (smp.gaps[ok] > 0) | (smp.splits[ok] > 0))
    no_design = np.zeros(len(t_win))
    out = []
    for j, i in enumerate(ok.tolist()):
        req = placed.requests[i]
        sec, event = req.security, req.event
        d0 = placed.res.day0(event, sec.exchange)
        assert d0 is not None
        out.append(PairResult(
            security=sec.alias, ticker=sec.ticker, name=sec.name,
            benchmark=sec.benchmark if bench else None, exchange=sec.exchange,
            model=fits[j].model, returns=req.settings.returns, day0=d0.session,
            day0_rule=d0.rule, day0_reason=d0.reason, estimation=fits[j],
            days=Deferred(partial(group.days, j)),  # type: ignore[arg-type]
            car=Deferred(partial(group.car, j)),  # type: ignore[arg-type]
            headline=event.headline, proxy=sec.proxy, members=sec.basket,
            confounders=_shown_confounders(placed, req, group.dates[j], t_win),
            notes=_pair_notes(placed, smp, i, fits[j], bool(detailed[j]), bool(day0_gap[j])),
            residuals=Deferred(partial(group.residuals, j)),  # type: ignore[arg-type]
            design=m[j] if bench else no_design.copy(), arrays=RowOf(rows, j),
        ))
    return out


@dataclass(frozen=True)
class _Frames:
    """Builds a stacked pair's frames when they are first read (row j of the group)."""

    placed: Placed
    rows: StackedRows
    dates: np.ndarray  # the event windows' sessions, one row per pair
    r: np.ndarray
    m: np.ndarray
    valid: np.ndarray
    day_rows: windows.Days
    cars: windows.Windows
    span: np.ndarray

    def days(self, j: int) -> pd.DataFrame:
        valid = self.valid[j]
        m = np.where(valid, self.m[j], np.nan) if self.placed.benchmark else None
        return day_frame(self.rows.t, pd.DatetimeIndex(self.dates[j]),
                         np.where(valid, self.r[j], np.nan), m, self.day_rows.row(j),
                         self.span[j])

    def car(self, j: int) -> pd.DataFrame:
        return car_frame(self.placed.spans, self.rows.t,
                         pd.Series(pd.DatetimeIndex(self.dates[j])), self.cars.rows(j), 0)

    def residuals(self, j: int) -> pd.DataFrame:
        t, dates, ar = self.rows.residuals(j)
        return pd.DataFrame({"t": t, "date": pd.DatetimeIndex(dates), "ar": ar})


def _shown_confounders(placed: Placed, req: Request, win_dates: np.ndarray, t_win: np.ndarray
                       ) -> tuple[tuple[Any, int], ...]:
    """The security's confounders inside the event window, as ``study_pair`` shows them."""
    if not placed.res.confounders(req.security).size:
        return ()
    return _window_confounders(placed.res.calendar.confounders_for(req.security), win_dates,
                               t_win)


def _pair_notes(placed: Placed, smp: Samples, i: int, fit: ModelFit, detailed: bool,
                day0_gap: bool) -> tuple[str, ...]:
    """The notes ``study_pair`` writes, in its order (``detailed``: a session without a price
    or a return left out of the sample by the data, so ``_notes`` has something to say)."""
    req = placed.requests[i]
    notes = smp.split_notes[i]
    if detailed or req.security.proxy:
        p = int(placed.pos[i])
        sessions = placed.grid[p + placed.est[0] - 1: p + placed.win[1] + 1]
        missing = tuple(pd.DatetimeIndex(sessions[~placed.priced[i]]))
        notes = (*notes, *_notes(GridNotes((), missing), placed.dates(i), req.security,
                                 smp.counts(i)))
    d0 = placed.res.day0(req.event, req.security.exchange)
    return _fit_notes((*notes, *smp.price_notes[i]), fit, smp.other_ids[i],
                      d0.session if day0_gap else None)  # type: ignore[union-attr]
