"""Tests robust to cross-correlation of the pairs' abnormal returns (one event date): the
Kolari–Pynnönen adjusted Patell and BMP tests, the crude dependence adjustment and the portfolio t.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from eventstudy._typing import FloatArray
from eventstudy.inference.significance.parametric import _patell_from, _patell_sums
from eventstudy.inference.significance.result import (
    NORMAL,
    _cross,
    _few,
    _moments,
    _pack,
    _per_column,
)


def _kp_factor(n: FloatArray, r_bar: FloatArray) -> tuple[FloatArray, list[tuple[Any, str]]]:
    with np.errstate(invalid="ignore"):
        denom = 1.0 + (n - 1) * r_bar
    reasons = [(~np.isfinite(r_bar), "r̄ undefined (residual correlation not estimable)"),
               (denom <= 0, "1 + (N − 1) r̄ <= 0")]
    return denom, reasons


def kp_bmp_t(standardized: Any, r_bar: Any) -> Any:
    """Kolari–Pynnönen (2010) cross-correlation-adjusted BMP test.

    Parameters
    ----------
    standardized : array
        SAR (or SCAR) per pair, as for :func:`bmp_t`.
    r_bar : float or array
        Mean correlation of the pairs' abnormal returns, estimated on the estimation window.

    Notes
    -----
    .. math:: t_{KP} = t_{BMP} \\sqrt{\\frac{1 - \\bar r}{1 + (N - 1)\\bar r}},\\quad
       \\text{df } N - 1

    References
    ----------
    .. [1] Kolari, J. and Pynnönen, S. (2010) "Event study testing with cross-sectional
       correlation of abnormal returns", Review of Financial Studies 23(11), 3996-4025.
    """
    x, scalar = _cross(standardized)
    n, mean, sd = _moments(x)
    return _kp_bmp_t_from(n, mean, sd, _per_column(r_bar, x), scalar)


def _kp_bmp_t_from(n: Any, mean: Any, sd: Any, r: Any, scalar: bool = False) -> Any:
    """:func:`kp_bmp_t` from the count, mean and sample sd of the SARs of each column and the
    column's r̄."""
    denom, kp = _kp_factor(n, r)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = mean / (sd / np.sqrt(n)) * np.sqrt((1.0 - r) / denom)
    return _pack("kp_bmp_t", t, n - 1,
                 [_few(n), (sd == 0, "zero cross-sectional dispersion"), *kp], scalar)


def adj_patell_z(standardized: Any, df: Any, r_bar: Any) -> Any:
    """Kolari–Pynnönen (2010) adjusted Patell test.

    Notes
    -----
    .. math:: z_{adj} = z_{Patell} / \\sqrt{1 + (N - 1)\\bar r}

    References
    ----------
    .. [1] Kolari, J. and Pynnönen, S. (2010) "Event study testing with cross-sectional
       correlation of abnormal returns", Review of Financial Studies 23(11), 3996-4025.
    """
    x, scalar = _cross(standardized)
    return _adj_patell_z_from(*_patell_sums(x, df), _per_column(r_bar, x), scalar)


def _adj_patell_z_from(total: Any, var: Any, n: Any, small: Any, r: Any,
                       scalar: bool = False) -> Any:
    """:func:`adj_patell_z` from Patell's sums (``parametric._patell_sums``) and each column's
    r̄."""
    z, n, reasons = _patell_from(total, var, n, small)
    denom, kp = _kp_factor(n, r)
    with np.errstate(invalid="ignore"):
        z = z / np.sqrt(denom)
    return _pack("adj_patell_z", z, NORMAL, [*reasons, *kp], scalar)


def cda_t(values: Any, s_aar: Any, df: Any, length: Any = 1) -> Any:
    """Brown–Warner crude dependence adjustment.

    Parameters
    ----------
    values : array
        ARs of one day (or CARs of one window) per pair.
    s_aar : float or array
        Sample standard deviation (ddof 1) of the daily mean AR over the estimation window
        (event time), per study.
    df : float or array
        Its degrees of freedom: estimation days with a mean AR, minus 1.
    length : int or array
        L, the days of each column (1 for a day, L for a CAR window).

    Notes
    -----
    .. math:: t = \\overline{A} / (\\sqrt{L}\\,S(\\overline{AR})),\\quad
       S^2 = \\frac{1}{D-1}\\sum_{s}(\\overline{AR}_s - \\bar{\\bar{AR}})^2

    The time-series standard deviation of the portfolio mean absorbs any cross-correlation,
    so the test is robust to a common event date; it ignores event-induced variance.

    References
    ----------
    .. [1] Brown, S. and Warner, J. (1980) "Measuring security price performance", Journal of
       Financial Economics 8(3), 205-258.
    .. [2] Brown, S. and Warner, J. (1985) "Using daily stock returns", Journal of Financial
       Economics 14(1), 3-31.
    """
    x, scalar = _cross(values)
    n, mean, _ = _moments(x)
    return _cda_t_from(n, mean, _per_column(s_aar, x), _per_column(df, x), length, scalar)


def _cda_t_from(n: Any, mean: Any, s: Any, df: Any, length: Any, scalar: bool = False) -> Any:
    """:func:`cda_t` from the count and mean AR (CAR) of each column, and S(AAR) and its df
    broadcast to the columns."""
    lengths = np.broadcast_to(np.asarray(length, float), mean.shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = mean / (np.sqrt(lengths) * s)
    return _pack("cda_t", t, df,
                 [_few(n, 1), (~(s > 0), "no estimation-window dispersion of the mean AR")],
                 scalar)


def portfolio_t(aar: Any, sigma_p: Any, inflation: Any, df: Any) -> Any:
    """Portfolio test: the equal-weighted portfolio of the pairs as one security.

    Parameters
    ----------
    aar : array ``(..., K)``
        The portfolio's abnormal return on each tested day (AAR_t) or window (CAAR).
    sigma_p : float or array ``(...)``
        The portfolio's residual standard deviation on the estimation window:
        σ̂_p² = Σ_s P_s² / (M_p − k), P_s the mean of the pairs' estimation ARs on date s.
    inflation : array ``(..., K)``
        The prediction-error factor of each column, the mean over pairs of
        Var(AR_it)/σ̂_i² (a day) or Var(CAR_i)/σ̂_i² (a window).
    df : float or array
        M_p − k.

    Notes
    -----
    .. math:: t = \\frac{\\overline{AR}_t}{\\hat\\sigma_p \\sqrt{c_t}} \\sim t(M_p - k)

    With a common event date, the same benchmark, model and estimation dates for all pairs,
    the portfolio's residuals are exactly those of a regression of the portfolio's return on
    the benchmark, so σ̂_p and c_t are exact and the test is exact under any cross-correlation
    (normal errors). Otherwise it is an approximation.

    References
    ----------
    .. [1] Brown, S. and Warner, J. (1980) "Measuring security price performance", Journal of
       Financial Economics 8(3), 205-258.
    .. [2] Campbell, J., Lo, A. and MacKinlay, A. C. (1997), §4.6 (clustering).
    """
    a = np.asarray(aar, float)
    scalar = a.ndim == 0
    a = np.atleast_1d(a)
    c = np.broadcast_to(np.asarray(inflation, float), a.shape)
    s = np.asarray(sigma_p, float)
    s = s[..., None] if s.ndim and s.shape == a.shape[:-1] else s
    s = np.broadcast_to(s, a.shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = a / (s * np.sqrt(c))
    d = np.asarray(df, float)
    d = d[..., None] if d.ndim and d.shape == a.shape[:-1] else d
    out = _pack("portfolio_t", t, np.broadcast_to(d, a.shape),
                [(~(s > 0), "portfolio σ undefined (needs a common event date)")], False)
    return out[0] if scalar else out
