"""Tests of abnormal returns: each a small value object with statistic, p-value and null.

Single-pair t tests live with the AR variances in :mod:`eventstudy.abnormal`; this module holds
the cross-sectional tests keyed as in methods.md. An undefined test (too few pairs, zero
dispersion) still returns its :class:`TestResult`, with NaN and a ``reason``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from eventstudy._typing import FloatArray
from eventstudy.abnormal import two_sided_p


@dataclass(frozen=True)
class TestResult:
    """One test of H0: mean abnormal return = 0.

    Attributes
    ----------
    key : str
        The methods.md key, e.g. "csect_t".
    stat, p : float
        Statistic and two-sided p-value; NaN when undefined.
    dist : str
        The null distribution, e.g. "t(3)" or "N(0,1)".
    reference : str
        The paper the statistic comes from.
    reason : str or None
        Why the test is undefined, when it is.
    """

    __test__ = False  # not a pytest class

    key: str
    stat: float
    p: float
    dist: str
    reference: str
    reason: str | None = None


def csect_t(values: FloatArray) -> TestResult:
    """Cross-sectional t test of the mean AR (or CAR) across pairs.

    Notes
    -----
    .. math:: t = \\bar{A} / (s / \\sqrt{N}),\\quad s^2 = \\frac{1}{N-1}\\sum (A_i - \\bar A)^2

    with N − 1 degrees of freedom; NaN values (pairs without data that day) are left out.
    Not robust to cross-correlation: with a common event date it over-rejects.

    References
    ----------
    .. [1] Brown, S. and Warner, J. (1985) "Using daily stock returns: the case of event
       studies", Journal of Financial Economics 14(1), 3-31.
    """
    ref = "Brown & Warner (1985)"
    x = np.asarray(values, float)
    x = x[np.isfinite(x)]
    n = x.size
    if n < 2:
        return TestResult("csect_t", math.nan, math.nan, "t(N-1)", ref, f"needs N >= 2, has {n}")
    s = float(np.std(x, ddof=1))
    if s == 0.0:
        return TestResult("csect_t", math.nan, math.nan, f"t({n - 1})", ref,
                          "zero cross-sectional dispersion")
    t = float(np.mean(x)) / (s / math.sqrt(n))
    return TestResult("csect_t", t, float(two_sided_p(t, n - 1)), f"t({n - 1})", ref)
