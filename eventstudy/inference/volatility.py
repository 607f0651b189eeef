"""Event-induced volatility: the Parkinson (1980) high-low variance of a session and the
variance-ratio tests of the event window's standardized abnormal returns, per pair and pooled.

All functions are vectorised across pairs (rows = pairs, columns = event-window days) and use
only numpy and :mod:`scipy.special` (no ``scipy.stats``, whose import costs 0.7 s).

Notes
-----
Variance ratio (Beaver 1968's U statistic in the prediction-error form of Patell 1976; CLM 1997
§4.4). With AR_it the abnormal return on event day t and se_it its prediction-error-corrected
standard error (σ̂_i √(1 + x*'(X'X)⁻¹x*)), SAR_it = AR_it / se_it is Student t with
df_i = M_i − k_i degrees of freedom under H0 (normal errors, no change in variance). Over the
L_i event days with a finite SAR,

.. math::

   F_i = \\frac{1}{L_i} \\sum_t SAR_{it}^2 \\;\\dot\\sim\\; F(L_i, df_i),

exactly for L_i = 1. For L_i > 1 the L_i SARs share σ̂_i (as an F ratio's numerator terms
share its denominator) but their numerators are correlated through the estimation error of the
model's coefficients, corr = O(1/M_i), so the F distribution is an approximation whose error
vanishes as M_i grows. The upper tail (a rise in volatility) is the p-value.

Pooled over N independent pairs: each term df1_i F_i (df2_i − 2)/df2_i has mean df1_i under
H0 (E F(d1, d2) = d2/(d2 − 2)), and

.. math::

   \\chi^2 = \\sum_i df1_i F_i \\frac{df2_i - 2}{df2_i}
   \\;\\dot\\sim\\; \\chi^2\\Big(\\sum_i df1_i\\Big),

with each term's variance 2 d1 (d1 + d2 − 2)/(d2 − 4), not the χ²(d1)'s 2 d1 (+7 % for
d1 = 11, d2 = 198): compared with χ²(Σ df1) the sum over-rejects (5.9 % at the 5 % level for
N = 30 pairs, M = 200, L = 11, 10,000 simulated studies). So the sum S is scaled as
Satterthwaite (1946) scales a sum of variances: S/c ~ χ²(ν) with c = Var(S)/(2 E S) and
ν = 2 (E S)²/Var(S), which matches both moments under H0 (benchmarks/size_power.md gives its
size; the numerators' correlation through the coefficients' estimation error, O(1/M), is left
in).

Parkinson (1980): for a Brownian log price with variance σ² per session observed continuously,
E[(ln H − ln L)²] = 4 ln 2 · σ², so (ln H/L)² / (4 ln 2) is unbiased for σ², about 5 times as
efficient as the squared close-to-close return. Discrete trading biases it downwards: the
range of a 390-step (one-minute) random walk gives 0.93 σ².

References
----------
.. [1] Parkinson, M. (1980) "The extreme value method for estimating the variance of the rate
   of return", Journal of Business 53(1), 61-65.
.. [2] Beaver, W. (1968) "The information content of annual earnings announcements", Journal
   of Accounting Research 6 (Supplement), 67-92.
.. [3] Patell, J. (1976) "Corporate forecasts of earnings per share and stock price behavior",
   Journal of Accounting Research 14(2), 246-276.
.. [4] Campbell, J., Lo, A. and MacKinlay, A. C. (1997) *The Econometrics of Financial
   Markets*, Princeton University Press, §4.4.
.. [5] Satterthwaite, F. E. (1946) "An approximate distribution of estimates of variance
   components", Biometrics Bulletin 2(6), 110-114.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import chdtrc, fdtrc

from eventstudy._typing import FloatArray
from eventstudy.errors import EstimationError

FOUR_LN2 = 4.0 * math.log(2.0)


def parkinson_variance(high: Any, low: Any) -> FloatArray:
    """The Parkinson (1980) high-low variance (ln(H/L))² / (4 ln 2) of each session.

    Parameters
    ----------
    high, low : array_like
        The session's highest and lowest prices (any shapes that broadcast together).

    Returns
    -------
    ndarray
        The variance estimate of the session's log return; NaN where either price is missing,
        non-finite or non-positive, or where the high is below the low.
    """
    h = np.asarray(high, dtype=np.float64)
    lo = np.asarray(low, dtype=np.float64)
    ok = np.isfinite(h) & np.isfinite(lo) & (h > 0.0) & (lo > 0.0) & (h >= lo)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log(np.where(ok, h, 1.0) / np.where(ok, lo, 1.0)) ** 2 / FOUR_LN2
    return np.where(ok, out, np.nan)


@dataclass(frozen=True)
class VarianceRatio:
    """Per pair (arrays of length N): ``ratio`` the event window's mean SAR² over the
    estimation sample's mean squared standardized residual (over 1 when not given); ``f`` the
    mean SAR² itself, F(``df1``, ``df2``) under H0; ``df1`` = L_i, the event days with a finite
    SAR; ``df2`` = M_i − k_i; ``p`` the upper tail (a rise in volatility). A pair without a
    finite SAR has ``df1`` 0 and NaN elsewhere."""

    ratio: FloatArray
    f: FloatArray
    df1: FloatArray
    df2: FloatArray
    p: FloatArray


def variance_ratio(ar: Any, se: Any, df: Any, est_sar2_mean: Any = None) -> VarianceRatio:
    """Per pair, the F test of an event-window rise in the abnormal returns' variance: the mean
    over the event days of SAR² = (AR/se)², F(L_i, df_i) under H0 (Beaver 1968; Patell 1976;
    CLM 1997 §4.4; see the module's notes for the approximation when L_i > 1).

    Parameters
    ----------
    ar : array_like
        Abnormal returns, pairs × event days (NaN where missing); a 1-D array is one pair.
    se : array_like
        Their prediction-error-corrected standard errors (broadcast to ``ar``).
    df : array_like
        Degrees of freedom of each pair's σ̂, M_i − k_i (scalar or one per pair).
    est_sar2_mean : array_like, optional
        Each pair's estimation-window mean of squared standardized residuals (e/σ̂)², the
        denominator of ``ratio``; 1 when not given.

    Returns
    -------
    VarianceRatio
        ``ratio``, ``f``, ``df1``, ``df2``, ``p`` per pair.
    """
    a = np.atleast_2d(np.asarray(ar, dtype=np.float64))
    if a.ndim != 2:
        raise EstimationError(f"variance ratio: abnormal returns must be pairs × days, "
                              f"not {a.ndim}-D")
    try:
        s = np.broadcast_to(np.asarray(se, dtype=np.float64), a.shape)
        d2 = np.broadcast_to(np.asarray(df, dtype=np.float64), a.shape[:1])
        base = np.broadcast_to(np.asarray(1.0 if est_sar2_mean is None else est_sar2_mean,
                                          dtype=np.float64), a.shape[:1])
    except ValueError as exc:
        raise EstimationError(f"variance ratio: se, df or the estimation mean do not match "
                              f"the {a.shape[0]} pairs × {a.shape[1]} days of AR") from exc
    with np.errstate(divide="ignore", invalid="ignore"):
        sar2 = (a / s) ** 2
    good = np.isfinite(sar2) & (s > 0.0)
    df1 = good.sum(axis=1).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(good, sar2, 0.0).sum(axis=1) / df1
        ok = (df1 > 0) & np.isfinite(d2) & (d2 > 0)
        f = np.where(ok, f, np.nan)
        p = np.where(ok, fdtrc(np.where(ok, df1, 1.0), np.where(ok, d2, 1.0),
                               np.where(ok, f, 0.0)), np.nan)
        ratio = np.where(np.isfinite(base) & (base > 0), f / base, np.nan)
    return VarianceRatio(ratio=ratio, f=f, df1=df1, df2=np.array(d2, dtype=np.float64), p=p)


@dataclass(frozen=True)
class PooledVarianceRatio:
    """The pooled variance-ratio test: ``statistic`` χ², ``dof`` Σ df1_i, upper-tail ``p``,
    ``mean_ratio`` the mean of the pairs' F_i (mean event SAR²), ``n`` the pairs pooled.
    Unpacks as ``statistic, dof, p = pooled_variance_ratio(...)``."""

    statistic: float
    dof: float
    p: float
    mean_ratio: float
    n: int

    def __iter__(self) -> Iterator[float]:
        return iter((self.statistic, self.dof, self.p))


def pooled_variance_ratio(f: Any, df1: Any, df2: Any) -> PooledVarianceRatio:
    """The variance-ratio test pooled over independent pairs: S = Σ_i df1_i F_i (df2_i − 2)/df2_i
    (each term scaled to its H0 mean df1_i), compared as S/c with χ²(ν), c and ν matching S's
    H0 mean and variance (Satterthwaite 1946); upper tail (see the module's notes; Beaver
    1968, Patell 1976, CLM 1997 §4.4). ``statistic`` is S/c, ``dof`` ν.

    Parameters
    ----------
    f, df1, df2 : array_like
        The pairs' F statistics and degrees of freedom (:func:`variance_ratio`). Pairs with a
        non-finite F, df1 < 1 or df2 ≤ 2 are left out.

    Returns
    -------
    PooledVarianceRatio
        statistic, dof, p, mean_ratio, n (NaN statistic and p, 0 dof, when no pair is usable).
    """
    fv, d1, d2 = np.broadcast_arrays(np.asarray(f, dtype=np.float64),
                                     np.asarray(df1, dtype=np.float64),
                                     np.asarray(df2, dtype=np.float64))
    use = np.isfinite(fv) & np.isfinite(d1) & np.isfinite(d2) & (d1 >= 1) & (d2 > 2)
    if not use.any():
        return PooledVarianceRatio(math.nan, 0.0, math.nan, math.nan, 0)
    fv, d1, d2 = fv[use], d1[use], d2[use]
    total = float(np.sum(d1 * fv * (d2 - 2.0) / d2))  # H0 mean Σ df1
    mean = float(np.sum(d1))
    # H0 variance of each term: 2 d1 (d1 + d2 − 2)/(d2 − 4) (infinite for d2 ≤ 4: χ² then)
    var = np.where(d2 > 4, 2.0 * d1 * (d1 + d2 - 2.0) / np.where(d2 > 4, d2 - 4.0, 1.0),
                   2.0 * d1)
    scale = float(np.sum(var)) / (2.0 * mean)  # Satterthwaite: total / scale ~ χ²(dof)
    stat, dof = total / scale, 2.0 * mean * mean / float(np.sum(var))
    return PooledVarianceRatio(statistic=stat, dof=dof, p=float(chdtrc(dof, stat)),
                               mean_ratio=float(np.mean(fv)), n=int(use.sum()))
