"""Many (event, security) pairs studied at once: the one engine of ``run``, ``run_many`` and
``sensitivity``.

Each pair is placed on its exchange's sessions (:mod:`eventstudy.study.resolve`: day 0, the
session grid of its windows, prices loaded and validated once per ticker). The pairs of a
closed-form model (market, constant mean, market-adjusted) are then computed together, per
(exchange, model, windows), a benchmark on another exchange read by instant as the one-pair
path reads it: returns trade to trade across missing prices, the estimation sample (listings,
gaps, probable splits, other events' windows, confounders: :mod:`eventstudy.study.sample`'s
rules, on every pair at once), one fit per sample length
(:meth:`~eventstudy.estimation.fit.NormalReturnModel.fit_rows`) and one pass for the days and
CAR windows (:mod:`eventstudy.inference.windows`). These are the functions the one-pair path
calls on one row, so each pair's numbers are those of :func:`~eventstudy.study.pair.study_pair`
to the last bit, and so are its notes (:mod:`eventstudy.study.stacked_pairs` writes them with
the same functions).

Every other pair goes through :func:`~eventstudy.study.pair.study_pair`: baskets, design models
(multi-factor, Dimson, Scholes-Williams), prices dated off the exchange's sessions, a series
starting inside the estimation window, and every pair that is excluded or raises (so the reason
and the error are the one-pair path's, in the pairs' order).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from eventstudy.estimation.models import MODELS
from eventstudy.estimation.returns import trade_to_trade
from eventstudy.events import BENCHMARK_MODELS, Calendar, Security
from eventstudy.inference import windows
from eventstudy.prices import PriceSource
from eventstudy.study.measures import MeasureSource, finish
from eventstudy.study.pair import _price_tickers, car_windows, study_pair
from eventstudy.study.resolve import Request, Resolver
from eventstudy.study.results import PairResult
from eventstudy.study.sample import _Exclude
from eventstudy.study.stacked_pairs import Placed, pair_results, samples
from eventstudy.study.volatility_tests import volatility_tests

__all__ = ["CLOSED_FORMS", "Request", "study_pairs"]

CLOSED_FORMS = ("market", "constant-mean", "market-adjusted")


def study_pairs(calendar: Calendar, requests: Sequence[Request], source: PriceSource, *,
                stacked: bool = True) -> list[PairResult | _Exclude]:
    """Study every requested pair; an excluded pair is its ``_Exclude`` (with the reason).

    Errors (a missing price file, an announcement outside the calendars) raise as
    :func:`~eventstudy.study.pair.study_pair` raises them, for the first pair at fault.
    ``stacked=False`` studies every pair one by one (the reference the tests hold the stacked
    path to). A pair whose ``measure`` is volume or volatility is studied by the same engine on
    the measure's observable (:mod:`eventstudy.study.measures`).
    """
    measures = list(dict.fromkeys(r.settings.measure for r in requests))
    if measures == ["returns"]:
        return _study(calendar, requests, source, stacked)
    out: list[PairResult | _Exclude | None] = [None] * len(requests)
    for measure in measures:
        idx = [i for i, r in enumerate(requests) if r.settings.measure == measure]
        mine = [requests[i] for i in idx]
        if measure == "returns":
            found = _study(calendar, mine, source, stacked)
        else:
            found = _measured(calendar, mine, source, measure, stacked)
        for i, one in zip(idx, found, strict=True):
            out[i] = one
    return out  # type: ignore[return-value]


def _measured(calendar: Calendar, requests: Sequence[Request], source: PriceSource,
              measure: str, stacked: bool) -> list[PairResult | _Exclude]:
    """The pairs of a volume or volatility study: the engine on the measure's observable
    (and, for volatility, the returns study whose abnormal returns the tests read)."""
    view = MeasureSource(source, measure)
    rewritten = [view.rewrite(r.security, r.settings) for r in requests]
    found = _study(calendar, [Request(r.event, m.security, m.settings)
                              for r, m in zip(requests, rewritten, strict=True)], view, stacked,
                   [m.unusable for m in rewritten])
    tests: list[Any] = [None] * len(requests)
    if measure == "volatility":
        tests = volatility_tests(_study(calendar, [
            Request(r.event, r.security, replace(r.settings, measure="returns"))
            for r in requests], source, stacked))
    return [finish(one, r.security, m, measure, test)
            for one, r, m, test in zip(found, requests, rewritten, tests, strict=True)]


def _study(calendar: Calendar, requests: Sequence[Request], source: PriceSource,
           stacked: bool, unusable_as: Sequence[str] = ()) -> list[PairResult | _Exclude]:
    """:func:`study_pairs` on pairs of one measure (``unusable_as``: a reason to exclude each
    pair, "" for none)."""
    out: list[PairResult | _Exclude | None] = [None] * len(requests)
    for i, req in enumerate(requests):  # a model chosen for the whole study may not fit a pair
        why = (unusable_as[i] if unusable_as else "") or unusable(
            req.settings.model, req.security, req.settings.factors)
        if why:
            out[i] = _Exclude(why, "model not usable")
    if stacked:
        resolver = Resolver(calendar, source)
        todo = [i for i, found in enumerate(out) if found is None]
        for key, members in _groups(resolver, [requests[i] for i in todo]).items():
            found = _compute(resolver, key, [requests[todo[j]] for j, _ in members],
                             np.array([p for _, p in members], int))
            for (j, _), result in zip(members, found, strict=True):
                out[todo[j]] = result
    for i, req in enumerate(requests):  # the rest, one by one, in order (errors raise in order)
        if out[i] is None:
            try:
                out[i] = study_pair(calendar, req.event, req.security, req.settings, source)
            except _Exclude as why:
                out[i] = why
    return out  # type: ignore[return-value]


def _groups(res: Resolver, requests: Sequence[Request]
            ) -> dict[tuple[Any, ...], list[tuple[int, int]]]:
    """The requests the stacked path computes, by what they share, with day 0's position."""
    by_exchange: dict[str, list[int]] = defaultdict(list)
    for i, req in enumerate(requests):
        sec, st = req.security, req.settings
        if st.model not in CLOSED_FORMS or sec.basket:
            continue
        if st.model != "constant-mean" and not sec.benchmark:
            continue
        if all(res.has(t) for t in _price_tickers(sec, st)) and res.day0(
                req.event, sec.exchange) is not None:
            by_exchange[sec.exchange].append(i)
    groups: dict[tuple[Any, ...], list[tuple[int, int]]] = defaultdict(list)
    for exchange, members in by_exchange.items():
        grid = res.grid(exchange, [requests[i] for i in members])
        if grid is None:
            continue
        days = np.array([res.day0(requests[i].event, exchange).session  # type: ignore[union-attr]
                         .to_datetime64() for i in members], "datetime64[ns]")
        for i, pos in zip(members, np.searchsorted(grid, days).tolist(), strict=True):
            req = requests[i]
            if _placeable(res, req, grid, pos):
                st = req.settings
                groups[(exchange, st.model, st.returns, st.estimation, st.window,
                        car_windows(st, req.event))].append((i, pos))
    return groups


def _placeable(res: Resolver, req: Request, grid: np.ndarray, pos: int) -> bool:
    """Whether the pair's data fit the stacked path (see the module docstring)."""
    sec, st = req.security, req.settings
    lo, hi = pos + st.estimation[0] - 1, pos + st.window[1]
    if lo < 0 or hi >= len(grid) or pos >= len(grid):
        return False
    for ticker in _price_tickers(sec, st):
        series = (res.series(ticker, sec.exchange) if ticker != sec.benchmark else
                  res.aligned(ticker, _benchmark_exchange(sec), sec.exchange))
        if series is None or series.first > lo + 1 or series.last < hi:
            return False  # unreadable, first priced inside the estimation window, or too short
        off = series.off
        if off.size and off.searchsorted(hi, "right") > off.searchsorted(lo, "right"):
            return False  # a price dated off the exchange's sessions
    return not (st.exclude_event_windows and res.windows(sec, sec.exchange) is None)


def _compute(res: Resolver, key: tuple[Any, ...], requests: list[Request], pos: np.ndarray
             ) -> list[PairResult | None]:
    """The pairs of one group, stacked; None for a pair left to the one-pair path."""
    exchange, model_name, kind, est, win, spans = key
    grid = res.grids[exchange]
    model = MODELS[model_name]()
    idx = pos[:, None] + np.arange(est[0] - 1, win[1] + 1)[None, :]  # anchor session first
    price = _gather(res, exchange, [(r.security.ticker, exchange) for r in requests], idx)
    priced = np.isfinite(price)
    bench = None
    if model.needs_benchmark:
        bench = _gather(res, exchange, [(r.security.benchmark, _benchmark_exchange(r.security))
                                        for r in requests], idx)  # type: ignore[misc]
        priced &= np.isfinite(bench)
    r, span = (a[:, 1:] for a in trade_to_trade(price, priced, kind))  # no return at the anchor
    m = trade_to_trade(bench, priced, kind)[0][:, 1:] if bench is not None else np.zeros_like(r)
    placed = Placed(res, exchange, requests, pos, est, win, spans, kind, grid, priced,
                    model.needs_benchmark)
    smp = samples(placed, r, m, span)
    out: list[PairResult | None] = [None] * len(requests)
    ok = np.flatnonzero(smp.ok & (smp.n_obs > model.k + 2))
    fits: dict[int, Any] = {}
    for n_obs in np.unique(smp.n_obs[ok]):  # one fit per sample length
        rows = ok[smp.n_obs[ok] == n_obs]
        sel = smp.sample[rows]
        found = model.fit_rows(r[rows][sel].reshape(len(rows), n_obs),
                               m[rows][sel].reshape(len(rows), n_obs))
        js = np.flatnonzero(found.error == 0)
        fits.update(zip(rows[js].tolist(), smp.model_fits(found, js, rows[js]), strict=True))
    ok = np.array(sorted(fits), int)
    if not ok.size:
        return out
    stacked = windows.Fits.of([fits[i] for i in ok.tolist()])
    in_win = slice(win[0] - est[0], None)
    t_win = np.arange(win[0], win[1] + 1)
    r_w, m_w, valid_w = r[ok, in_win], m[ok, in_win], smp.valid[ok, in_win]
    span_w = span[ok, in_win]
    span_f = span_w.astype(float)
    days = windows.closed_form_days(stacked, r_w, m_w, span_f, valid_w)
    cars = windows.windows(windows.closed_form_variance(stacked, np.nan_to_num(m_w), span_f),
                           stacked.df, t_win, days.ar, span_f, np.where(valid_w, r_w, np.nan),
                           days.expected, spans, kind)
    n_est = est[1] - est[0] + 1
    resid = r[ok, :n_est] - stacked.expected(m[ok, :n_est], span[ok, :n_est].astype(float))
    found = pair_results(placed, smp, ok, [fits[i] for i in ok.tolist()], r_w, m_w, valid_w,
                         span_w, days, cars, resid)
    for i, result in zip(ok.tolist(), found, strict=True):
        out[i] = result
    return out


def _gather(res: Resolver, exchange: str, tickers: list[tuple[str, str]], idx: np.ndarray
            ) -> np.ndarray:
    """Row i: the prices of ``tickers[i]`` (ticker, its exchange) at positions ``idx[i]`` of
    the exchange's grid (read by instant from another exchange)."""
    names = list(dict.fromkeys(tickers))
    table = np.stack([res.aligned(t, other, exchange).price  # type: ignore[union-attr]
                      for t, other in names])
    row = {t: k for k, t in enumerate(names)}
    return table[np.array([row[t] for t in tickers])[:, None], idx]


def _benchmark_exchange(security: Security) -> str:
    """The exchange whose sessions the benchmark follows (``study_pair``'s rule)."""
    return security.benchmark_exchange or security.exchange


def unusable(model: str, security: Security, factors: Sequence[str]) -> str | None:
    """Why ``model`` cannot be used for ``security`` as configured (None when it can): the
    events file checks its own settings; a model chosen for a whole study (``run(model=...)``,
    ``--models``) is checked here, and the pair excluded with the reason."""
    if model in BENCHMARK_MODELS and not security.benchmark:
        return f"no benchmark configured for the {model} model"
    if model == "multi-factor" and not factors:
        return 'no factors configured (factors = ["TICKER", ...] in events.toml)'
    return None

