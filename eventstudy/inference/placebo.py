"""Placebo-in-space inference for a synthetic control (Abadie, Diamond and Hainmueller 2010).

Every donor is in turn treated as if it were the event's security: its synthetic control is
fitted on the other donors over the same estimation sample, and its abnormal returns are read
over the same event window. The pair's statistic is then ranked among the placebos':

- the ratio of post-event to pre-event RMSPE (ADH 2010, §2.4 and fig. 4): RMSPE_pre over the
  estimation sample (the fit's residuals), RMSPE_post over the event window's days t ≥ 0; a
  ratio rather than the post-event RMSPE alone, so that a donor the others fit badly before the
  event does not look like a reaction after it;
- |CAR| over each CAR window (Acemoglu et al. 2016 rank CARs among placebo firms likewise).

p = #{units u (the pair included) with statistic_u ≥ the pair's} / (J + 1): the share of the
J + 1 units, treated first, at least as extreme, so the smallest attainable p is 1/(J + 1).
The test is exact under random assignment of the event to one of the units.

References
----------
.. [1] Abadie, A., Diamond, A. and Hainmueller, J. (2010) "Synthetic control methods for
   comparative case studies", Journal of the American Statistical Association 105(490),
   493-505.
.. [2] Acemoglu, D., Johnson, S., Kermani, A., Kwak, J. and Mitton, T. (2016) "The value of
   connections in turbulent times: evidence from the United States", Journal of Financial
   Economics 121(2), 368-391.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from eventstudy._typing import FloatArray, Window
from eventstudy.schema import json_number as num

_TIE = 1e-12  # relative tolerance: a placebo equal to the pair's up to rounding counts as ≥


@dataclass(frozen=True)
class Placebos:
    """The synthetic control of a pair and its placebos in space.

    Attributes
    ----------
    donors : tuple of str
        The donor pool, in the order of ``weights`` and of the placebo units 1..J.
    weights : ndarray (J,)
        The pair's weights on its donors (≥ 0, summing to 1).
    left_out : tuple of str
        Donors of the pool left out because they lack a price on a session the pair has one.
    rmspe_pre, rmspe_post, ratio : ndarray (J + 1,)
        Per unit (the pair first, then each donor as a placebo): RMSPE over the estimation
        sample, over the event window's days t ≥ 0, and their ratio.
    windows : tuple of (int, int)
        The CAR windows of ``car`` and ``p_car``.
    car : ndarray (J + 1, W)
        Each unit's CAR over each window (NaN where it has no return in the window).
    p_ratio : float
        Rank p-value of the pair's RMSPE ratio among the J + 1 units.
    p_car : ndarray (W,)
        Rank p-value of the pair's |CAR| per window.
    """

    donors: tuple[str, ...]
    weights: FloatArray
    left_out: tuple[str, ...]
    rmspe_pre: FloatArray
    rmspe_post: FloatArray
    ratio: FloatArray
    windows: tuple[Window, ...]
    car: FloatArray
    p_ratio: float
    p_car: FloatArray

    @property
    def n_placebos(self) -> int:
        """J, the placebo units (the donors)."""
        return len(self.donors)

    def top(self, n: int = 5) -> list[tuple[str, float]]:
        """The ``n`` largest weights, largest first (zero weights left out)."""
        order = np.argsort(-self.weights, kind="stable")[:n]
        return [(self.donors[j], float(self.weights[j])) for j in order if self.weights[j] > 0]

    def to_dict(self) -> dict[str, Any]:
        """The JSON keys of the pair's ``estimation`` object (schema: weights, rmspe, placebo)."""
        order = np.argsort(-self.weights, kind="stable")
        return {
            "weights": {self.donors[j]: float(self.weights[j]) for j in order},
            "donors_left_out": list(self.left_out),
            "rmspe": {"pre": num(self.rmspe_pre[0]), "post": num(self.rmspe_post[0]),
                      "ratio": num(self.ratio[0])},
            "placebo": {
                "n": self.n_placebos, "p_rmspe_ratio": num(self.p_ratio),
                "car": [{"window": list(w), "p": num(p)}
                        for w, p in zip(self.windows, self.p_car, strict=True)],
                "units": [
                    {"ticker": name, "rmspe_pre": num(self.rmspe_pre[u]),
                     "rmspe_post": num(self.rmspe_post[u]), "ratio": num(self.ratio[u]),
                     "car": [num(c) for c in self.car[u]]}
                    for u, name in enumerate(self.donors, start=1)],
            },
        }


def rank_p(stat: FloatArray) -> FloatArray:
    """p of unit 0's statistic among all units (axis 0): #{u: stat_u ≥ stat_0} / #units with
    a finite statistic (NaN when unit 0's is not finite)."""
    s = np.asarray(stat, float)
    ok = np.isfinite(s)
    first = s[0]
    with np.errstate(invalid="ignore"):
        at_least = ok & (s >= first - _TIE * np.abs(first))
        p = at_least.sum(axis=0) / ok.sum(axis=0)
    return np.where(np.isfinite(first), p, np.nan)


def placebo_test(residuals: FloatArray, ar: FloatArray, t: np.ndarray,
                 windows: Sequence[Window], donors: Sequence[str], weights: FloatArray,
                 left_out: Sequence[str] = ()) -> Placebos:
    """Rank the pair (column 0) among its placebos (columns 1..J).

    ``residuals`` (M × U) are the units' estimation-sample residuals, ``ar`` (L × U) their
    event-window abnormal returns (NaN where a return is missing) at offsets ``t`` (L).
    """
    e = np.asarray(residuals, float)
    a = np.asarray(ar, float)
    t = np.asarray(t)
    post = a[t >= 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        pre = np.sqrt(np.mean(e * e, axis=0))
        ok = np.isfinite(post)
        after = np.sqrt(np.where(ok, post * post, 0.0).sum(axis=0) / ok.sum(axis=0))
        ratio = after / pre
    car = np.full((a.shape[1], len(windows)), np.nan)
    for i, (lo, hi) in enumerate(windows):
        rows = a[(t >= lo) & (t <= hi)]
        have = np.isfinite(rows).any(axis=0)
        car[:, i] = np.where(have, np.nansum(rows, axis=0), np.nan)
    return Placebos(
        donors=tuple(donors), weights=np.asarray(weights, float), left_out=tuple(left_out),
        rmspe_pre=pre, rmspe_post=after, ratio=ratio, windows=tuple(windows), car=car,
        p_ratio=float(rank_p(ratio)), p_car=rank_p(np.abs(car)),
    )
