"""A study's p-values adjusted for multiple testing (``adjust=`` of ``run``, ``run_event`` and
``run_many``; ``eventstudy run --adjust``): which p-values form a family, and the adjusted copy
of a result.

Families (each adjusted on its own by :func:`eventstudy.inference.multiple.adjust_p`; NaN
p-values stay NaN and are left out, so a family's size is its number of defined tests):

1. The single-pair CAR tests: every (pair, CAR window) p-value of the study is one family —
   windows × securities of one event; for a pooled study (``run_many``) events × securities ×
   windows, every pair of every event. An excluded pair has no p-value and is not counted.
   Each pair's ``car`` frame gains the column ``p_adjusted``.
2. The single-pair day-by-day AR tests: every (pair, event day) p-value of the study, a family
   of its own (days × securities, × events when pooled); ``days`` gains ``p_adjusted``.
3. The pooled (aggregate) tests of the CAR windows: for each test key, its p-values across the
   CAAR windows. The test keys are alternative tests of one hypothesis (that the mean abnormal
   return is zero), not further hypotheses, so they are never pooled into one family; the
   windows are the multiple hypotheses. A pooled study's per-event aggregates are adjusted
   within each event.
4. The aggregate day-by-day tests: for each test key, across the event days.

Aggregate tests become :class:`~eventstudy.inference.multiple.AdjustedTest` (a
:class:`~eventstudy.inference.significance.TestResult` with ``p_adjusted``); the result's
``adjust`` names the method and ``conventions["p_adjusted"]`` states the families and sizes.
Frames and tests are copied, never modified; fields computed when first read
(:class:`~eventstudy._lazy.Deferred`: a pooled study's per-event aggregates, the bootstrap
interval) stay deferred.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from eventstudy import _lazy
from eventstudy._lazy import Deferred
from eventstudy.inference.aggregate import Aggregate
from eventstudy.inference.multiple import (
    DESCRIPTIONS,
    P_ADJUSTED,
    AdjustedTest,
    adjust_p,
    check_method,
    plain_test,
)
from eventstudy.inference.significance import TestResult
from eventstudy.study.results import EventStudyResult, PairResult

R = TypeVar("R")


def adjusted(result: R, method: str | None) -> R:
    """``result`` (an :class:`EventStudyResult` or a ``PooledResult``) with adjusted p-values
    (see the module's families); ``method`` "holm", "bh" or "by", None or "none" for the
    unadjusted result.

    Raises
    ------
    InputError
        An unknown ``method``.
    """
    name = check_method(method)
    if name is None and getattr(result, "adjust", None) is None:
        return result
    if hasattr(result, "results"):  # a pooled study (eventstudy.study.pooled.PooledResult)
        return _pooled(result, name)
    study: EventStudyResult = result  # type: ignore[assignment]
    pairs = adjust_pairs(study.pairs, name)
    note = convention(name, pairs, _lazy.stored(study, "aggregate"), "the study")
    return _lazy.replace(study, pairs=tuple(pairs), adjust=name,  # type: ignore[return-value]
                         aggregate=_later(_lazy.stored(study, "aggregate"), name),
                         conventions=_with(study.conventions, note))


def _pooled(pooled: Any, name: str | None) -> Any:
    """A pooled study: the pairs of all events one family (per level), each aggregate (the
    pooled one, each event's) its own families."""
    results = pooled.results
    pairs = adjust_pairs([p for r in results for p in r.pairs], name)
    cuts = np.cumsum([0, *(len(r.pairs) for r in results)])
    scope = f"the {len(results)} events pooled"
    note = convention(name, pairs, pooled.aggregate, scope)
    per_event = tuple(
        _lazy.replace(r, pairs=tuple(pairs[cuts[i]:cuts[i + 1]]), adjust=name,
                      aggregate=_later(_lazy.stored(r, "aggregate"), name),
                      conventions=_with(r.conventions, convention(name, pairs, None, scope)))
        for i, r in enumerate(results))
    return _lazy.replace(pooled, results=per_event,
                         aggregate=adjust_aggregate(pooled.aggregate, name), adjust=name,
                         conventions=_with(pooled.conventions, note))


def adjust_pairs(pairs: Sequence[PairResult], method: str | None) -> list[PairResult]:
    """The pairs with ``p_adjusted`` in ``car`` (all pairs' CAR p-values one family) and in
    ``days`` (all pairs' day AR p-values another); without the column for None."""
    cars = _adjusted_frames([p.car for p in pairs], method)
    days = _adjusted_frames([p.days for p in pairs], method)
    return [_lazy.replace(p, car=c, days=d) for p, c, d in zip(pairs, cars, days, strict=True)]


def _adjusted_frames(frames: Sequence[pd.DataFrame], method: str | None) -> list[pd.DataFrame]:
    """``frames`` with the column ``p_adjusted``: their ``p`` column adjusted as one family."""
    if method is None:
        return [f.drop(columns=P_ADJUSTED, errors="ignore") for f in frames]
    p = np.concatenate([f["p"].to_numpy(float) for f in frames]) if frames else np.empty(0)
    q = adjust_p(p, method)
    cuts = np.cumsum([0, *(len(f) for f in frames)])
    return [f.assign(**{P_ADJUSTED: q[cuts[i]:cuts[i + 1]]}) for i, f in enumerate(frames)]


def adjust_tests(tests: Mapping[Any, Mapping[str, TestResult]], method: str | None
                 ) -> dict[Any, dict[str, TestResult]]:
    """``day_tests`` or ``car_tests`` of an aggregate with adjusted p-values: for each test key,
    its p-values across the columns (days or windows) one family; plain tests for None."""
    if method is None:
        return {c: {k: plain_test(r) for k, r in v.items()} for c, v in tests.items()}
    items = [(c, k, r) for c, v in tests.items() for k, r in v.items()]
    q = adjust_p([r.p for _, _, r in items], method, [k for _, k, _ in items])
    out: dict[Any, dict[str, TestResult]] = {c: {} for c in tests}
    for (c, k, r), value in zip(items, q, strict=True):
        out[c][k] = AdjustedTest.of(r, value)
    return out


def adjust_aggregate(agg: Aggregate, method: str | None) -> Aggregate:
    """The aggregate with adjusted tests (families 3 and 4 of the module); its bootstrap
    interval still computed when first read."""
    return _lazy.replace(agg, day_tests=adjust_tests(agg.day_tests, method),
                         car_tests=adjust_tests(agg.car_tests, method))


def _later(agg: Any, method: str | None) -> Any:
    """An aggregate field adjusted, staying deferred when it is (None stays None)."""
    if agg is None:
        return None
    if type(agg) is Deferred:
        make = agg.make
        return Deferred(lambda: adjust_aggregate(make(), method))
    return adjust_aggregate(agg, method)


def convention(method: str | None, pairs: Sequence[PairResult], agg: Any, scope: str
               ) -> str | None:
    """The families of an adjustment and their sizes, in words (``conventions["p_adjusted"]``);
    ``agg``: the aggregate (None or deferred: its families are described without sizes)."""
    if method is None:
        return None
    n_car = sum(int(np.isfinite(p.car["p"].to_numpy(float)).sum()) for p in pairs)
    n_day = sum(int(np.isfinite(p.days["p"].to_numpy(float)).sum()) for p in pairs)
    text = (f"{DESCRIPTIONS[method]}. Families: the pairs' CAR tests, every CAR window × pair of "
            f"{scope} ({n_car} p-values); the pairs' day-by-day AR tests, every day × pair "
            f"({n_day}); the aggregate tests, each test key across the CAR windows")
    if isinstance(agg, Aggregate):
        text += f" ({len(agg.car_tests)})"
    return (text + " and, separately, across the event days, test keys never pooled (they "
            "are alternative tests of one hypothesis). Undefined (NaN) p-values are left out.")


def _with(conventions: Mapping[str, str], note: str | None) -> dict[str, str]:
    out = {k: v for k, v in conventions.items() if k != P_ADJUSTED}
    return out if note is None else {**out, P_ADJUSTED: note}
