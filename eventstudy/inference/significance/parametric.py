"""Parametric tests that assume independent pairs: the cross-sectional t (csect_t), Patell's z,
BMP's t, CLM's J1 and J2, and the skewness-adjusted t.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from eventstudy._typing import FloatArray
from eventstudy.inference.significance.result import (
    NORMAL,
    _central,
    _cross,
    _few,
    _moments,
    _pack,
    _per_pair,
    _sd,
)


def csect_t(values: Any) -> Any:
    """Cross-sectional t test of the mean AR (or CAR) across pairs.

    Parameters
    ----------
    values : array
        ARs of one day (or CARs of one window): ``(N,)``, or ``(..., N, K)``.

    Returns
    -------
    TestResult or TestArray
        t with N − 1 df; NaN values (pairs without data) are left out.

    Notes
    -----
    .. math:: t = \\bar{A} / (s / \\sqrt{N}),\\quad s^2 = \\frac{1}{N-1}\\sum (A_i - \\bar A)^2

    Not robust to cross-correlation: with a common event date it over-rejects.

    References
    ----------
    .. [1] Brown, S. and Warner, J. (1985) "Using daily stock returns: the case of event
       studies", Journal of Financial Economics 14(1), 3-31.
    """
    return _mean_t("csect_t", values)


def bmp_t(standardized: Any) -> Any:
    """Boehmer–Musumeci–Poulsen standardized cross-sectional test.

    Parameters
    ----------
    standardized : array
        SAR of one day (or SCAR of one window) per pair, prediction-error corrected.

    Notes
    -----
    .. math:: t = \\overline{SAR} / (s(SAR)/\\sqrt N),\\quad \\text{df } N-1

    The cross-sectional standard deviation of the SARs absorbs event-induced variance; the
    prediction-error correction is kept in SAR (methods.md). Not robust to cross-correlation.

    References
    ----------
    .. [1] Boehmer, E., Musumeci, J. and Poulsen, A. (1991) "Event-study methodology under
       conditions of event-induced variance", Journal of Financial Economics 30(2), 253-272.
    """
    return _mean_t("bmp_t", standardized)


def savickas_t(standardized: Any) -> Any:
    """Savickas (2003) GARCH-standardized test.

    Parameters
    ----------
    standardized : array
        AR of one day (or CAR of one window) per pair divided by its GARCH conditional standard
        deviation projected from the end of the estimation window (``model = "garch"``).

    Notes
    -----
    .. math:: t = \\overline{SAR^h} / (s(SAR^h)/\\sqrt N),\\quad \\text{df } N-1

    The statistic of :func:`bmp_t` on GARCH-standardized abnormal returns: the conditional
    variance absorbs the volatility clustering the constant σ̂ of the other tests ignores, and
    the cross-sectional dispersion absorbs event-induced variance.

    References
    ----------
    .. [1] Savickas, R. (2003) "Event-induced volatility and tests for abnormal performance",
       Journal of Financial Research 26(2), 165-178.
    """
    return _mean_t("savickas_t", standardized)


def _mean_t(key: str, values: Any) -> Any:
    """t = mean / (s / √N) across pairs, df N − 1: csect_t on ARs, bmp_t on SARs."""
    x, scalar = _cross(values)
    n, mean, sd = _moments(x)
    return _mean_t_from(key, n, mean, sd, scalar)


def _mean_t_from(key: str, n: Any, mean: Any, sd: Any, scalar: bool = False) -> Any:
    """The t of :func:`csect_t` (:func:`bmp_t`, :func:`savickas_t`) from the count, mean and
    sample sd (ddof 1) of each column: t = mean / (sd / √N), df N − 1."""
    with np.errstate(invalid="ignore", divide="ignore"):
        t = mean / (sd / np.sqrt(n))
    return _pack(key, t, n - 1, [_few(n), (sd == 0, "zero cross-sectional dispersion")], scalar)


def _patell_sums(x: FloatArray, df: Any) -> tuple[FloatArray, FloatArray, FloatArray, Any]:
    """Σ SAR, Σ (M_i − k)/(M_i − k − 2) and N over the pairs with a SAR, and whether one of
    them has M − k <= 2: the additive sums of Patell's z (and of J2, adjusted Patell)."""
    d = np.broadcast_to(_per_pair(df, x), x.shape)
    ok = np.isfinite(x)
    with np.errstate(invalid="ignore", divide="ignore"):
        var = np.where(ok, d / (d - 2.0), 0.0).sum(axis=-2)
    total = np.where(ok, x, 0.0).sum(axis=-2)
    small = (ok & ~(d > 2)).any(axis=-2)
    return total, var, ok.sum(axis=-2), small


def _patell_from(total: Any, var: Any, n: Any, small: Any,
                 ) -> tuple[FloatArray, Any, list[tuple[Any, str]]]:
    """Patell's z = Σ SAR / √Σ (M_i − k)/(M_i − k − 2) from :func:`_patell_sums`, N, and the
    reasons it is undefined."""
    with np.errstate(invalid="ignore", divide="ignore"):
        z = total / np.sqrt(var)
    return z, n, [_few(n, 1), (small, "a pair has M − k <= 2")]


def patell_z(standardized: Any, df: Any) -> Any:
    """Patell (1976) standardized-residual test.

    Parameters
    ----------
    standardized : array
        SAR (or SCAR) per pair, prediction-error corrected.
    df : int or array
        M_i − k_i per pair, shape ``(..., N)``.

    Notes
    -----
    .. math:: z = \\frac{\\sum_i SAR_i}{\\sqrt{\\sum_i (M_i - k)/(M_i - k - 2)}} \\sim N(0, 1)

    Variance factor (M − k)/(M − k − 2), the variance of a t variable (methods.md; some tools use
    (M − 2)/(M − 4)). Assumes independent pairs and no event-induced variance.

    References
    ----------
    .. [1] Patell, J. (1976) "Corporate forecasts of earnings per share and stock price
       behavior: empirical tests", Journal of Accounting Research 14(2), 246-276.
    """
    x, scalar = _cross(standardized)
    return _patell_z_from("patell_z", *_patell_sums(x, df), scalar)


def _patell_z_from(key: str, total: Any, var: Any, n: Any, small: Any,
                   scalar: bool = False) -> Any:
    """:func:`patell_z` (``key`` "patell_z") or :func:`j2` (``key`` "j2") from
    :func:`_patell_sums`."""
    z, _, reasons = _patell_from(total, var, n, small)
    return _pack(key, z, NORMAL, reasons, scalar)


def j2(standardized: Any, df: Any) -> Any:
    """CLM's J2: the scaled mean of SCARs (one day: of SARs).

    Notes
    -----
    .. math:: J_2 = \\sqrt{\\frac{N(M-k-2)}{M-k}}\\;\\overline{SCAR}

    for a common M; with pair-specific M_i the same statistic is
    :math:`\\sum_i SCAR_i / \\sqrt{\\sum_i (M_i-k)/(M_i-k-2)}`, numerically Patell's z.

    References
    ----------
    .. [1] Campbell, J., Lo, A. and MacKinlay, A. C. (1997), §4.4.3, eq. (4.4.24).
    """
    x, scalar = _cross(standardized)
    return _patell_z_from("j2", *_patell_sums(x, df), scalar)


def j1(values: Any, se: Any) -> Any:
    """CLM's J1: CAAR over its standard error from the pairs' own variances.

    Parameters
    ----------
    values, se : array
        CAR (or AR) per pair and its prediction-error-corrected standard error.

    Notes
    -----
    .. math:: J_1 = \\overline{CAR} / \\sqrt{\\textstyle\\sum_i \\sigma^2_i(CAR) / N^2}
       \\sim N(0, 1)

    References
    ----------
    .. [1] Campbell, J., Lo, A. and MacKinlay, A. C. (1997), §4.4.3, eq. (4.4.22).
    """
    x, scalar = _cross(values)
    return _j1_from(*_j1_sums(x, se), scalar)


def _j1_sums(x: FloatArray, se: Any) -> tuple[FloatArray, FloatArray, FloatArray]:
    """N, Σ CAR and Σ σ²(CAR) over the pairs with both: the additive sums of :func:`j1`."""
    s = np.asarray(se, float)
    s = s[:, None] if s.ndim == 1 else s
    ok = np.isfinite(x) & np.isfinite(s)
    return ok.sum(axis=-2), np.where(ok, x, 0.0).sum(axis=-2), np.where(ok, s**2, 0.0).sum(axis=-2)


def _j1_from(n: Any, total: Any, var: Any, scalar: bool = False) -> Any:
    """:func:`j1` from :func:`_j1_sums`: J1 = (Σ CAR / N) / √(Σ σ²(CAR) / N²)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / n
        z = mean / np.sqrt(var / n**2)
    return _pack("j1", z, NORMAL, [_few(n, 1)], scalar)


def skew_t(values: Any) -> Any:
    """Hall (1992) skewness-adjusted t, as used by Lyon, Barber & Tsai (1999).

    Notes
    -----
    .. math:: S = \\bar A / s,\\quad \\hat\\gamma = \\frac{\\sum_i (A_i - \\bar A)^3}{N s^3},
       \\quad t = \\sqrt N \\left(S + \\tfrac13 \\hat\\gamma S^2 + \\tfrac1{27}\\hat\\gamma^2 S^3
       + \\tfrac{1}{6N}\\hat\\gamma\\right)

    with s the sample standard deviation (ddof 1); compared with t(N − 1). Not robust to
    cross-correlation.

    References
    ----------
    .. [1] Hall, P. (1992) "On the removal of skewness by transformation", Journal of the Royal
       Statistical Society B 54(1), 221-228.
    .. [2] Lyon, J., Barber, B. and Tsai, C.-L. (1999) "Improved methods for tests of long-run
       abnormal stock returns", Journal of Finance 54(1), 165-201.
    """
    x, scalar = _cross(values)
    n, mean, m2, m3 = _central(x, third=True)
    return _skew_t_from(n, mean, _sd(n, m2), m3, scalar)


def _skew_t_from(n: Any, mean: Any, sd: Any, m3: Any, scalar: bool = False) -> Any:
    """:func:`skew_t` from the count, mean, sample sd (ddof 1) and Σ(A_i − Ā)³ of each column."""
    with np.errstate(invalid="ignore", divide="ignore"):
        gamma = m3 / (n * sd**3)
        s = mean / sd
        t = np.sqrt(n) * (s + gamma * s**2 / 3 + gamma**2 * s**3 / 27 + gamma / (6 * n))
    return _pack("skew_t", t, n - 1, [_few(n, 3), (sd == 0, "zero cross-sectional dispersion")],
                 scalar)
