"""Abnormal returns, CARs and their prediction-error-corrected variances (CLM 1997, §4.4).

With X = [1, R_m] the estimation design (M rows) and X* the event-window design, the
covariance of the event-window abnormal returns is

.. math:: V = \\hat\\sigma^2 \\left[ D + X^* (X'X)^{-1} X^{*\\prime} \\right],

where D = I for daily returns. A return spanning ``n`` sessions (trade to trade across a missing
price) has expectation nα + βR_m and error variance nσ², so D = diag(span) and its design row is
[n, R_m]. The closed forms below follow from (X'X)⁻¹ of the two-parameter design:

- one day: Var(AR) = σ̂² [ n + n²/M + (R_m − n R̄_m)² / Sxx ]
- a window: Var(CAR) = γ'Vγ = σ̂² [ S_n + S_n²/M + (Σ R_m − S_n R̄_m)² / Sxx ], S_n = Σ n
  (S_n = L, the window's length, when no return spans a gap: CLM's formula).
- constant mean: σ̂² (n + n²/M); market-adjusted (nothing estimated): σ̂² n.

Models with a general design (multi-factor, Dimson, Scholes–Williams; ``fit.general``) use the
matrix form directly, with ``fit.xtx_inv`` = (X'X)⁻¹ in the prediction coordinates z* = [n, x*]:
Var(AR) = σ̂²[n + z*(X'X)⁻¹z*'] and Var(CAR) = σ̂²[Σn + (Σz*)(X'X)⁻¹(Σz*)'] (a return
spanning n sessions has design row [n, ΣR_f, …]). :func:`pair_ar_variance` and
:func:`pair_car_variance` pick the path.

SAR = AR / sqrt(Var(AR)) and SCAR = CAR / sqrt(Var(CAR)) are Student t with M − k df under H0.

References
----------
.. [1] Campbell, J., Lo, A. and MacKinlay, A. C. (1997) *The Econometrics of Financial
   Markets*, Princeton University Press, §4.4.
.. [2] Patell, J. (1976) "Corporate forecasts of earnings per share and stock price behavior",
   Journal of Accounting Research 14(2), 246-276.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from eventstudy._typing import FloatArray
from eventstudy.estimation import kernel
from eventstudy.estimation.models import ModelFit


def abnormal_returns(fit: ModelFit, r: FloatArray, m: FloatArray, span: FloatArray) -> FloatArray:
    """AR = R − E[R | model], over ``span`` sessions per return (CLM eq. 4.4.7)."""
    return np.asarray(r, float) - fit.expected(np.asarray(m, float), np.asarray(span, float))


def estimation_term(fit: ModelFit, n: FloatArray, m: FloatArray) -> FloatArray:
    """x*'(X'X)⁻¹x* for design rows x* = [n, m]: the parameter-estimation share of the variance."""
    return kernel.estimation_term(fit.k, fit.n_obs, fit.mean_m, fit.sxx, n, m)


def ar_variance(fit: ModelFit, m: FloatArray, span: FloatArray) -> FloatArray:
    """Prediction-error variance of each AR: σ̂² [n + x*'(X'X)⁻¹x*] (CLM eq. 4.4.8-4.4.9)."""
    return kernel.ar_variance(fit.sigma**2, fit.k, fit.n_obs, fit.mean_m, fit.sxx, span, m)


def car_variance(fit: ModelFit, m: FloatArray, span: FloatArray) -> float:
    """Var(CAR) = γ'Vγ over the returns of one window, in closed form (CLM eq. 4.4.13).

    ``m`` and ``span`` hold the window's valid returns only; a window without returns has
    variance NaN.
    """
    span = np.asarray(span, float)
    if span.size == 0 or span.sum() == 0:
        return float("nan")
    s_n, s_m = float(span.sum()), float(np.sum(m))
    return float(kernel.car_variance(fit.sigma**2, fit.k, fit.n_obs, fit.mean_m, fit.sxx, s_n,
                                     s_m))


def ar_covariance(
    sigma: float, x_estimation: FloatArray, x_event: FloatArray, span: FloatArray
) -> FloatArray:
    """The matrix form V = σ̂² [D + X*(X'X)⁻¹X*'] (CLM eq. 4.4.9), D = diag(span).

    The reference for the closed forms above; ``x_estimation`` and ``x_event`` are design
    matrices with one column per parameter (none for market-adjusted returns).
    """
    x = np.asarray(x_estimation, float)
    xs = np.asarray(x_event, float)
    d = np.diag(np.asarray(span, float))
    if x.shape[1] == 0:
        return sigma**2 * d
    return sigma**2 * (d + xs @ np.linalg.solve(x.T @ x, xs.T))


def design_rows(x: FloatArray, span: FloatArray) -> FloatArray:
    """Prediction design rows z* = [n, x*] (one row per return; x* 1-D or n × p)."""
    span = np.asarray(span, float)
    return np.column_stack([span, np.asarray(x, float).reshape(span.size, -1)])


def general_ar_variance(fit: ModelFit, x: FloatArray, span: FloatArray) -> FloatArray:
    """Var(AR) = σ̂² [n + z*(X'X)⁻¹z*'] per return, for a fit with a general design.

    The diagonal of the matrix form V = σ̂²[D + Z*(X'X)⁻¹Z*'] (CLM 1997, eq. 4.4.9) with
    ``fit.xtx_inv`` in the prediction coordinates z* = [n, x*] (see ModelFit).
    """
    span = np.asarray(span, float)
    if span.size == 0:
        return np.zeros(0)
    z = design_rows(x, span)
    assert fit.xtx_inv is not None
    return fit.sigma**2 * (span + np.einsum("ij,jk,ik->i", z, fit.xtx_inv, z))


def general_car_variance(fit: ModelFit, x: FloatArray, span: FloatArray) -> float:
    """Var(CAR) = γ'Vγ = σ̂² [Σn + (Σz*)(X'X)⁻¹(Σz*)'] over one window's returns (CLM eq. 4.4.13).

    γ'Z* is the column sum of the window's design rows, so γ'Vγ needs no L × L matrix. A
    window without returns has variance NaN.
    """
    span = np.asarray(span, float)
    if span.size == 0 or span.sum() == 0:
        return float("nan")
    z = design_rows(x, span).sum(axis=0)
    assert fit.xtx_inv is not None
    return float(fit.sigma**2 * (span.sum() + z @ fit.xtx_inv @ z))


def pair_ar_variance(fit: ModelFit, x: FloatArray, span: FloatArray) -> FloatArray:
    """Var(AR): the general matrix path for design fits, the closed forms otherwise."""
    if fit.general:
        return general_ar_variance(fit, x, span)
    return ar_variance(fit, x, span)


def pair_car_variance(fit: ModelFit, x: FloatArray, span: FloatArray) -> float:
    """Var(CAR): the general matrix path for design fits, the closed forms otherwise."""
    if fit.general:
        return general_car_variance(fit, x, span)
    return car_variance(fit, x, span)


def two_sided_p(t_stat: FloatArray, df: float) -> FloatArray:
    """Two-sided p-value of a Student t statistic with ``df`` degrees of freedom.

    ``scipy.special.stdtr`` is the t distribution function that ``scipy.stats.t`` wraps;
    calling it directly spares the CLI the import of ``scipy.stats`` (0.7 s).
    """
    return 2.0 * special.stdtr(df, -np.abs(t_stat))
