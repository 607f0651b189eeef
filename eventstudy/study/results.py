"""Result objects of an event study: frozen, built once by :func:`eventstudy.study.single.run`.

Floats stay NaN in Python; :meth:`EventStudyResult.to_dict` is the one place that writes
``null``. Field names are those of the JSON contract (contract.md): ``ar``, ``se``, ``t_stat``,
``p``, ``car``, ``caar``, ``n_obs``, ``sigma``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from eventstudy import _display
from eventstudy._lazy import Resolving
from eventstudy._typing import Window
from eventstudy.estimation.models import ModelFit
from eventstudy.events import Confounder, Event
from eventstudy.inference.aggregate import ROBUST_TO_CROSS_CORRELATION, Aggregate
from eventstudy.inference.multiple import adjusted_columns, p_adj
from eventstudy.inference.significance import TestResult
from eventstudy.schema import json_number as num
from eventstudy.study.volatility_table import volatility_dict, volatility_frame

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass(frozen=True)
class StackedRows:
    """What the aggregation reads of pairs computed together, as matrices (row j = one pair):
    AR and se by event-window offset ``t``, CAR and se by window, and the estimation residuals
    (offsets, dates, AR) of all rows end to end, row j's from ``cuts[j]`` to ``cuts[j + 1]``
    (see :func:`eventstudy.study.arrays.pair_arrays`)."""

    t: np.ndarray
    ar: np.ndarray
    se: np.ndarray
    windows: tuple[Window, ...]
    car: np.ndarray
    car_se: np.ndarray
    residual_t: np.ndarray
    residual_dates: np.ndarray  # datetime64
    residual_ar: np.ndarray
    cuts: np.ndarray
    dates: np.ndarray | None = None  # datetime64 (rows × t): the event-window sessions

    def residuals(self, j: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Row ``j``'s estimation residuals: offsets, dates, AR."""
        part = slice(int(self.cuts[j]), int(self.cuts[j + 1]))
        return self.residual_t[part], self.residual_dates[part], self.residual_ar[part]


@dataclass(frozen=True)
class RowOf:
    """A pair's row in the :class:`StackedRows` of its group."""

    rows: StackedRows
    j: int


DAY_COLUMNS = ("t", "date", "return", "benchmark_return", "expected", "ar", "se", "t_stat", "p",
               "car", "span")
RESIDUAL_COLUMNS = ("t", "date", "ar")
CAR_COLUMNS = ("window", "start", "end", "car", "se", "t_stat", "p", "bhar", "n_days")


@dataclass(frozen=True)
class PairResult(Resolving):
    """One (event, security) pair.

    ``days`` has the columns of :data:`DAY_COLUMNS`, one row per offset of the event window;
    ``car`` the columns of :data:`CAR_COLUMNS`, one row per CAR window. ``day0_reason`` says
    in words why day 0 is that session. ``residuals`` holds the estimation-sample abnormal
    returns (columns t, date, ar): the inputs of r̄, the rank and generalized-sign tests and
    the crude dependence adjustment.
    """

    security: str
    ticker: str
    name: str
    benchmark: str | None
    exchange: str
    model: str
    returns: str
    day0: pd.Timestamp
    day0_rule: str
    day0_reason: str
    estimation: ModelFit
    days: pd.DataFrame
    car: pd.DataFrame
    headline: Window = (0, 0)
    proxy: bool = False
    members: tuple[str, ...] = ()
    confounders: tuple[tuple[Confounder, int], ...] = ()
    notes: tuple[str, ...] = ()
    residuals: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(RESIDUAL_COLUMNS)))
    # The event-window prediction regressors x* of ``days`` (R_m, or n × p for a design fit):
    # what Var(CAR) of any sub-window needs (eventstudy.study.paths). None when not recorded.
    design: np.ndarray | None = field(default=None, compare=False, repr=False)
    # The same numbers as arrays, for the aggregation (built from the frames when None).
    arrays: RowOf | None = field(default=None, compare=False, repr=False)
    # What was studied (MEASURES) and, for volatility, the tests on the returns' ARs.
    measure: str = "returns"
    volatility: Any = field(default=None, compare=False, repr=False)

    def car_windows(self) -> tuple[Window, ...]:
        """The pair's CAR windows, in the order of ``car``."""
        if self.arrays is not None:
            return self.arrays.rows.windows
        return tuple(tuple(w) for w in self.car["window"])  # type: ignore[misc]

    def row(self) -> RowOf:
        """What the aggregation reads of the pair (its row of a :class:`StackedRows`)."""
        if self.arrays is not None:
            return self.arrays
        days, car, res = self.days, self.car, self.residuals
        return RowOf(StackedRows(
            t=days["t"].to_numpy(int), ar=days["ar"].to_numpy(float)[None],
            se=days["se"].to_numpy(float)[None], windows=self.car_windows(),
            car=car["car"].to_numpy(float)[None], car_se=car["se"].to_numpy(float)[None],
            residual_t=res["t"].to_numpy(int),
            residual_dates=pd.DatetimeIndex(res["date"]).to_numpy(),
            residual_ar=res["ar"].to_numpy(float), cuts=np.array([0, len(res)]),
            dates=pd.DatetimeIndex(days["date"]).to_numpy("datetime64[D]")[None]), 0)

    def __repr__(self) -> str:
        return (f"<PairResult {self.security} ({self.ticker}): day 0 {_date(self.day0)}, "
                f"{self.model} model, M = {self.estimation.n_obs}{car_text(self)}>")

    def _repr_html_(self) -> str | None:
        return _display.repr_html(self)

    def plot(self) -> Figure:
        """The pair's CAR path over the event window with its 95 % band, and its daily ARs as
        bars (the figure of the reports); a :class:`matplotlib.figure.Figure`, no pyplot."""
        return _display.plot(self)


@dataclass(frozen=True)
class Excluded:
    """A pair that could not be studied, and why (``kind``: the reason in a few words)."""

    security: str
    ticker: str
    reason: str
    kind: str = field(default="", compare=False)


@dataclass(frozen=True)
class EventStudyResult(Resolving, _display.Rendered):
    """The study of one event: its pairs, the excluded pairs, and the aggregate over pairs."""

    event: Event
    pairs: tuple[PairResult, ...]
    excluded: tuple[Excluded, ...]
    aggregate: Aggregate | None
    conventions: Mapping[str, str] = field(default_factory=dict)
    windows: tuple[Window, ...] = ()
    adjust: str | None = None  # the p-value adjustment (eventstudy.study.adjusted), if any

    def to_frame(self) -> pd.DataFrame:
        """Tidy per-day rows: one per (pair, t), with event, security and ticker columns, and
        the ``measure`` (returns, volume or volatility) the values are of."""
        frames = [p.days.assign(event=self.event.id, security=p.security, ticker=p.ticker,
                                model=p.model, day0=p.day0, measure=p.measure)
                  for p in self.pairs]
        cols = ["event", "security", "ticker", "model", "day0", *DAY_COLUMNS, "measure",
                *adjusted_columns(self.adjust)]
        if not frames:
            return pd.DataFrame(columns=cols)
        return pd.concat(frames, ignore_index=True)[cols]

    def car_frame(self) -> pd.DataFrame:
        """Tidy CAR rows: one per (pair, CAR window)."""
        frames = [p.car.assign(event=self.event.id, security=p.security, ticker=p.ticker)
                  for p in self.pairs]
        cols = ["event", "security", "ticker", *CAR_COLUMNS, *adjusted_columns(self.adjust)]
        if not frames:
            return pd.DataFrame(columns=cols)
        return pd.concat(frames, ignore_index=True)[cols]

    def tests_frame(self) -> pd.DataFrame:
        """The aggregate's tests as tidy rows: one per (day or CAR window, test key); the
        ``level`` column is ``"day"`` or ``"window"`` (see :func:`tests_frame`)."""
        return tests_frame(self.aggregate)

    @property
    def measure(self) -> str:
        """What the study measures: "returns", "volume" or "volatility"."""
        return self.pairs[0].measure if self.pairs else "returns"

    def volatility_frame(self) -> pd.DataFrame:
        """The volatility tests (``measure = "volatility"``), one row per pair and a last row
        ``pooled``: the variance ratio of the event window's standardized ARs with its F test,
        and the GARCH(1,1) event dummy δ with its t and p (see
        :mod:`eventstudy.study.volatility_tests`); empty for another measure."""
        return volatility_frame(self.pairs)

    def __repr__(self) -> str:
        n = len(self.pairs)
        if n == 1:
            head = car_text(self.pairs[0])
        else:
            head = caar_text(self.aggregate, self.event.headline, self.measure) if n else ""
        return (f"<EventStudyResult {self.event.id}: {n} pair{'' if n == 1 else 's'}, "
                f"{len(self.excluded)} excluded{head}>")

    def plot(self) -> Figure:
        """The CAR path of every pair of the event in one chart (the overview figure of the
        reports); a :class:`matplotlib.figure.Figure`, no pyplot."""
        return _display.plot(self)

    def to_dict(self) -> dict[str, Any]:
        """The contract's JSON document as Python objects (NaN written as None)."""
        return self._document

    def to_json(self, indent: int | None = 2) -> str:
        """The contract's JSON document."""
        return json.dumps(self._document, indent=indent, allow_nan=False, ensure_ascii=False)

    @cached_property
    def _document(self) -> dict[str, Any]:
        return {
            "event": _event_dict(self.event), "measure": self.measure, "adjust": self.adjust,
            "pairs": [_pair_dict(p) for p in self.pairs],
            "excluded": [{"security": x.security, "ticker": x.ticker, "reason": x.reason}
                         for x in self.excluded],
            "aggregate": aggregate_dict(self.aggregate) if self.aggregate else None,
            "conventions": dict(self.conventions),
        }


def tests_frame(aggregate: Aggregate | None) -> pd.DataFrame:
    """``aggregate.tests_frame()`` (``level`` "day" or "window"); the empty frame when there is
    no aggregate."""
    if aggregate is None:
        aggregate = Aggregate(0, pd.DataFrame(), pd.DataFrame())
    return aggregate.tests_frame()


def _pct(x: Any, measure: str = "returns") -> str:
    """A value for a repr: a return in %, log volume in log points, a variance in %²."""
    if num(x) is None:
        return "–"
    if measure == "volume":
        return f"{float(x):+.3f} log points"
    if measure == "volatility":
        return f"{float(x) * 1e4:+.2f} %²"
    return f"{float(x) * 100:+.2f}%"


def _window(w: Window) -> str:
    return f"({w[0]:+d},{w[1]:+d})"


def car_text(pair: PairResult) -> str:
    """``, CAR(+0,+1) +7.31% (t = 1.71, p = 0.0882)``: the pair's headline CAR for a repr
    (empty when the pair has no such window)."""
    head = pair.car[[tuple(w) == tuple(pair.headline) for w in pair.car["window"]]]
    if not len(head):
        return ""
    row = head.iloc[0]
    t = "–" if num(row.t_stat) is None else f"{row.t_stat:.2f}"
    p = "–" if num(row.p) is None else "< 0.0001" if row.p < 1e-4 else f"= {row.p:.4f}"
    return f", CAR{_window(pair.headline)} {_pct(row.car, pair.measure)} (t = {t}, p {p})"


def caar_text(aggregate: Aggregate | None, window: Window, measure: str = "returns") -> str:
    """``, CAAR(+0,+0) +7.20% (N = 4)``: an aggregate's CAAR over ``window`` (or its first
    window when it has not that one) for a repr; empty without an aggregate or a window."""
    if aggregate is None or not len(aggregate.car):
        return ""
    car = aggregate.car
    windows = [tuple(w) for w in car.index]
    j = windows.index(tuple(window)) if tuple(window) in windows else 0
    return (f", CAAR{_window(windows[j])} {_pct(car['caar'].iloc[j], measure)} "
            f"(N = {int(car['n'].iloc[j])})")


def _event_dict(event: Event) -> dict[str, Any]:
    return {
        "id": event.id, "title": event.title, "announced": event.announced_text,
        "timing": event.timing, "tags": list(event.tags), "sources": list(event.sources),
        "headline": list(event.headline), "notes": event.notes or None,
    }


def _date(ts: Any) -> str | None:
    return None if ts is None or pd.isna(ts) else pd.Timestamp(ts).date().isoformat()


def _test(t: TestResult) -> dict[str, Any]:
    return {"stat": num(t.stat), "p": num(t.p), "dist": t.dist, "reason": t.reason, **p_adj(t)}


def _pair_dict(p: PairResult) -> dict[str, Any]:
    fit = p.estimation
    return {
        "security": p.security, "ticker": p.ticker, "name": p.name, "benchmark": p.benchmark,
        "exchange": p.exchange, "model": p.model, "returns": p.returns,
        "day0": _date(p.day0), "day0_rule": p.day0_rule, "day0_reason": p.day0_reason,
        "proxy": p.proxy, "members": list(p.members), "headline": list(p.headline),
        "estimation": {
            "start": _date(fit.start), "end": _date(fit.end), "n_obs": fit.n_obs,
            "alpha": num(fit.alpha), "beta": num(fit.beta), "sigma": num(fit.sigma),
            "r2": num(fit.r2), "k": fit.k, "df": fit.df, "n_gaps": fit.n_gaps,
            "n_excluded_events": fit.n_excluded_events,
            "n_excluded_confounders": fit.n_excluded_confounders,
            "n_before_data": fit.n_before_data, "n_missing": fit.n_missing,
            "first_obs": _date(fit.first_obs) if fit.first_obs is not None else None,
            "last_obs": _date(fit.last_obs) if fit.last_obs is not None else None,
            "params": {name: num(value) for name, value in fit.params},
            **(fit.synthetic.to_dict() if fit.synthetic is not None else {}),
        },
        "days": [
            {"t": int(r.t), "date": _date(r.date), "return": num(r["return"]),
             "benchmark_return": num(r.benchmark_return), "expected": num(r.expected),
             "ar": num(r.ar), "se": num(r.se), "t_stat": num(r.t_stat), "p": num(r.p),
             "car": num(r.car), "span": int(r.span), **p_adj(r)}
            for _, r in p.days.iterrows()
        ],
        "car": [
            {"window": list(r.window), "car": num(r.car), "se": num(r.se),
             "t_stat": num(r.t_stat), "p": num(r.p), "bhar": num(r.bhar),
             "n_days": int(r.n_days), **p_adj(r)}
            for _, r in p.car.iterrows()
        ],
        "confounders": [{"date": c.date.isoformat(), "t": t, "note": c.note}
                        for c, t in p.confounders],
        "notes": list(p.notes),
        "measure": p.measure,
        "volatility": volatility_dict(p.volatility),
    }


def aggregate_dict(agg: Aggregate) -> dict[str, Any]:
    """The ``aggregate`` member of the result document (contract.md): n, r̄, the days' AAR and
    the CAR windows' CAAR, each with its tests."""
    return {
        "n": agg.n,
        "r_bar": num(agg.r_bar),
        "r_bar_all": num(agg.r_bar_all),
        "r_bar_car": {_window(w): num(r) for w, r in agg.r_bar_car.items()},
        "r_bar_method": agg.r_bar_method,
        "n_events": agg.n_events,
        "common_date": agg.common_date,
        "robust_to_cross_correlation": list(ROBUST_TO_CROSS_CORRELATION),
        "bootstrap": dict(agg.bootstrap),
        "days": [
            {"t": int(t), "n": int(row.n), "aar": num(row.aar),
             "tests": {k: _test(v) for k, v in agg.day_tests.get(int(t), {}).items()}}
            for t, row in agg.days.iterrows()
        ],
        "car": [
            {"window": list(w), "n": int(row.n), "caar": num(row.caar),
             "ci": [num(row.get("ci_low")), num(row.get("ci_high"))],
             "tests": {k: _test(v) for k, v in agg.car_tests.get(tuple(w), {}).items()}}
            for w, row in agg.car.iterrows()
        ],
    }
