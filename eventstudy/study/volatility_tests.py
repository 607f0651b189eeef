"""The volatility tests of a pair, read from its returns study: the variance ratio of its
event-window standardized abnormal returns (:func:`eventstudy.inference.volatility.variance_ratio`)
and a GARCH(1,1) with an event-window dummy in the variance equation
(:func:`eventstudy.estimation.garch.fit_event_variance`).

The GARCH is fitted in two steps: the pair's normal-return model by OLS on the estimation
window (the returns study), then GARCH(1,1) on its abnormal returns, the estimation sample
followed by the event window's, with the event-window dummy in the mean and in the variance
(Savickas 2003). The dummy's coefficient δ is the rise of the variance intercept on event days.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from eventstudy.errors import EstimationError
from eventstudy.estimation.garch import EventVarianceFit, fit_event_variance
from eventstudy.inference.volatility import variance_ratio
from eventstudy.study.results import PairResult
from eventstudy.study.sample import _Exclude


@dataclass(frozen=True)
class VolatilityTests:
    """A pair's volatility tests.

    ``ratio`` is the event window's mean squared standardized AR over the estimation sample's
    mean squared standardized residual; ``f`` its F(``df1``, ``df2``) statistic with the
    upper-tail ``p`` (a rise in volatility). ``garch`` is the event-dummy fit (None with the
    reason in ``garch_error`` when it cannot be fitted). ``model`` names the returns model
    whose abnormal returns are read.
    """

    model: str
    ratio: float
    f: float
    df1: int
    df2: int
    p: float
    garch: EventVarianceFit | None
    garch_error: str = ""


def volatility_tests(found: Sequence[PairResult | _Exclude]) -> list[VolatilityTests | None]:
    """The tests of each studied pair of a returns study (None for an excluded pair)."""
    pairs = [(i, p) for i, p in enumerate(found) if isinstance(p, PairResult)]
    out: list[VolatilityTests | None] = [None] * len(found)
    if not pairs:
        return out
    width = max(len(p.days) for _, p in pairs)
    ar, se = np.full((len(pairs), width), np.nan), np.full((len(pairs), width), np.nan)
    est = np.empty(len(pairs))
    for j, (_, p) in enumerate(pairs):  # the pairs of one event: a handful
        ar[j, :len(p.days)] = p.days["ar"].to_numpy(float)
        se[j, :len(p.days)] = p.days["se"].to_numpy(float)
        resid = p.residuals["ar"].to_numpy(float)
        est[j] = np.mean((resid / p.estimation.sigma) ** 2)
    df = np.array([p.estimation.df for _, p in pairs], float)
    vr = variance_ratio(ar, se, df, est)
    for j, (i, p) in enumerate(pairs):
        fit, error = _garch(p)
        out[i] = VolatilityTests(p.model, float(vr.ratio[j]), float(vr.f[j]), int(vr.df1[j]),
                                 int(vr.df2[j]), float(vr.p[j]), fit, error)
    return out


def _garch(pair: PairResult) -> tuple[EventVarianceFit | None, str]:
    """The event-dummy GARCH of a pair's abnormal returns, or why it cannot be fitted."""
    resid = pair.residuals.sort_values("t")["ar"].to_numpy(float)
    event = pair.days["ar"].to_numpy(float)
    event = event[np.isfinite(event)]
    series = np.concatenate([resid, event])
    dummy = np.concatenate([np.zeros(len(resid)), np.ones(len(event))])
    try:
        return fit_event_variance(series, None, dummy), ""
    except EstimationError as exc:
        return None, str(exc)

