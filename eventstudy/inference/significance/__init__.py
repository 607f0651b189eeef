"""Tests of abnormal returns across pairs, one function per methods.md key.

Single-pair t tests live with the AR variances in :mod:`eventstudy.inference.abnormal`; this
package holds the cross-sectional tests, by family: :mod:`~.parametric` (independent pairs),
:mod:`~.robust` (robust to cross-correlation), :mod:`~.ranks` (sign and rank tests), and the
result objects and shared helpers in :mod:`~.result`.

Each function works on plain numpy arrays so that the per-event path
(:mod:`eventstudy.inference.aggregate`) and the vectorised batch engine share one
implementation:

- a 1-D array of N values is one cross-section; the function returns a :class:`TestResult`;
- an array of shape ``(..., N, K)`` holds K cross-sections (days, CAR windows) of N pairs, with
  any leading batch axes (e.g. simulated studies); pairs are on axis -2. The function returns a
  :class:`TestArray` of shape ``(..., K)``, whose items are :class:`TestResult`.

Per-pair parameters (degrees of freedom, a pair's fraction of positive estimation ARs) have
shape ``(..., N)``; per-study nuisance parameters (r̄, the estimation-window standard deviation
of the mean AR) have shape ``(...)`` or ``(..., K)``. NaN marks a pair without data in a column.

An undefined test (too few pairs, zero dispersion, r̄ unknown) still returns its result, with NaN
and a ``reason``; nothing here raises on data. Conventions (methods.md): every p-value is
two-sided; standardized values (SAR, SCAR) use the prediction-error-corrected variance and are
Student t with M − k df under H0, so Var(SAR) = (M − k)/(M − k − 2).

References
----------
.. [1] Campbell, J., Lo, A. and MacKinlay, A. C. (1997) *The Econometrics of Financial
   Markets*, Princeton University Press, §4.4.
"""

from eventstudy.inference.significance.parametric import (
    bmp_t,
    csect_t,
    j1,
    j2,
    patell_z,
    savickas_t,
    skew_t,
)
from eventstudy.inference.significance.ranks import (
    average_ranks,
    grank_t,
    gsign_z,
    positive_fraction,
    rank_z,
    sign_z,
    standardized_ranks,
    wilcoxon_z,
)
from eventstudy.inference.significance.result import (
    NORMAL,
    REFERENCES,
    TestArray,
    TestResult,
)
from eventstudy.inference.significance.robust import (
    adj_patell_z,
    cda_t,
    kp_bmp_t,
    portfolio_t,
)

__all__ = [
    "NORMAL",
    "REFERENCES",
    "TestArray",
    "TestResult",
    "adj_patell_z",
    "average_ranks",
    "bmp_t",
    "cda_t",
    "csect_t",
    "grank_t",
    "gsign_z",
    "j1",
    "j2",
    "kp_bmp_t",
    "patell_z",
    "portfolio_t",
    "positive_fraction",
    "rank_z",
    "savickas_t",
    "sign_z",
    "skew_t",
    "standardized_ranks",
    "wilcoxon_z",
]
