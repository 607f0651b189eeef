"""Closed-form estimates and prediction-error variances as vectorised functions of sums.

The one implementation of the normal-return formulas of methods.md, shared by the per-event
path (:mod:`eventstudy.estimation.models`, :mod:`eventstudy.inference.abnormal`) and the batch
engine (:mod:`eventstudy.study.batch`). Every function takes numpy arrays (or scalars) that
broadcast together, so one call serves one pair or a million.

Sums may be taken about any centre: with r' = r − c_r and m' = m − c_m, pass the sums of the
centred values and the centres. Centring each series near its mean before forming sums keeps
the differences of raw moments (Σm'² − (Σm')²/n) free of cancellation.

Notes
-----
Market model R = α + β R_m + ε (k = 2), from n, Σr, Σm, Σrm, Σm², Σr² over the estimation
sample of M = n returns:

.. math::

   \\bar R_m = c_m + \\Sigma m'/n, \\quad
   S_{xx} = \\Sigma m'^2 - (\\Sigma m')^2/n, \\quad
   S_{xy} = \\Sigma r'm' - \\Sigma r' \\Sigma m'/n, \\quad
   S_{yy} = \\Sigma r'^2 - (\\Sigma r')^2/n,

   \\hat\\beta = S_{xy}/S_{xx}, \\quad \\hat\\alpha = \\bar R - \\hat\\beta \\bar R_m, \\quad
   SSR = S_{yy} - \\hat\\beta S_{xy}, \\quad \\hat\\sigma^2 = SSR/(M - k).

Constant mean (k = 1): μ̂ = R̄, SSR = S_yy. Market-adjusted (k = 0): AR = R − R_m, SSR = Σ AR².

Prediction-error variance of an abnormal return over ``span`` = n sessions with benchmark
return R_m over them (design row x* = [n, R_m]; CLM eq. 4.4.8-4.4.13):

.. math::

   \\operatorname{Var}(AR) = \\hat\\sigma^2 [\\, n + x^{*\\prime}(X'X)^{-1}x^* ], \\quad
   x^{*\\prime}(X'X)^{-1}x^* = n^2/M + (R_m - n\\bar R_m)^2 / S_{xx},

the last term for the market model only, none of the two for market-adjusted returns. A CAR
over a window is the same with n = S_n (sessions covered by its valid returns) and R_m = Σ R_m:
Var(CAR) = σ̂²[S_n + S_n²/M + (ΣR_m − S_n R̄_m)²/S_xx] (= σ̂²[L + L²/M + ...] for L daily
returns, CLM's formula).

References
----------
.. [1] Campbell, J., Lo, A. and MacKinlay, A. C. (1997) *The Econometrics of Financial
   Markets*, Princeton University Press, §4.3-4.4.
.. [2] MacKinlay, A. C. (1997) "Event Studies in Economics and Finance", Journal of Economic
   Literature 35(1), 13-39.
.. [3] Brown, S. and Warner, J. (1980) "Measuring security price performance", Journal of
   Financial Economics 8(3), 205-258 (market-adjusted returns).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from eventstudy._typing import FloatArray

# Relative size below which a variance counts as zero (constant prices, identical series).
ZERO_VARIANCE = 1e-14

# Parameters estimated by each model: the k of σ̂² = SSR / (M − k).
K = {"market": 2, "constant-mean": 1, "market-adjusted": 0}

ArrayLike = FloatArray | float


class MarketFit(NamedTuple):
    """Market-model OLS from sums: each field an array shaped like the inputs."""

    alpha: FloatArray
    beta: FloatArray
    ssr: FloatArray
    syy: FloatArray
    mean_m: FloatArray
    sxx: FloatArray


class MeanFit(NamedTuple):
    """Constant-mean fit from sums."""

    mu: FloatArray
    ssr: FloatArray


def market_model(
    n: ArrayLike, sum_r: ArrayLike, sum_m: ArrayLike, sum_rm: ArrayLike, sum_mm: ArrayLike,
    sum_rr: ArrayLike, centre_r: ArrayLike = 0.0, centre_m: ArrayLike = 0.0,
) -> MarketFit:
    """OLS of R = α + β R_m + ε from the sums of (centred) returns (CLM 1997, §4.3).

    Parameters
    ----------
    n : array
        M, the number of estimation returns.
    sum_r, sum_m, sum_rm, sum_mm, sum_rr : array
        Σr', Σm', Σr'm', Σm'², Σr'² of the centred returns r' = r − c_r, m' = m − c_m.
    centre_r, centre_m : array
        c_r and c_m (0 when the sums are of raw returns).

    Returns
    -------
    MarketFit
        α̂, β̂, SSR = S_yy − β̂ S_xy (≥ 0), S_yy, R̄_m and S_xx. β̂ is NaN where S_xx ≤ 0.

    Notes
    -----
    S_xx = Σm'² − (Σm')²/n and S_xy = Σr'm' − Σr'Σm'/n are invariant to the centres; the
    centres only move the means R̄ = c_r + Σr'/n and R̄_m = c_m + Σm'/n.
    """
    n = np.asarray(n, float)
    sum_r, sum_m = np.asarray(sum_r, float), np.asarray(sum_m, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        dr, dm = sum_r / n, sum_m / n
        sxx = sum_mm - sum_m * dm
        sxy = sum_rm - sum_r * dm
        syy = sum_rr - sum_r * dr
        beta = np.where(sxx > 0, sxy / np.where(sxx > 0, sxx, 1.0), np.nan)
        mean_m = centre_m + dm
        alpha = (centre_r + dr) - beta * mean_m
        ssr = np.maximum(syy - beta * sxy, 0.0)
    return MarketFit(alpha, beta, ssr, syy, mean_m, sxx)


def constant_mean(n: ArrayLike, sum_r: ArrayLike, sum_rr: ArrayLike,
                  centre_r: ArrayLike = 0.0) -> MeanFit:
    """Constant-mean model E[R] = μ from sums (CLM 1997, §4.3): μ̂ = R̄, SSR = S_yy.

    ``sum_r`` and ``sum_rr`` are Σr' and Σr'² of r' = r − c_r, the estimation days only.
    """
    n = np.asarray(n, float)
    sum_r = np.asarray(sum_r, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        dr = sum_r / n
        ssr = np.maximum(sum_rr - sum_r * dr, 0.0)
    return MeanFit(centre_r + dr, ssr)


def sigma2(ssr: ArrayLike, n: ArrayLike, k: int) -> FloatArray:
    """σ̂² = SSR / (M − k), the divisor methods.md prescribes (market-adjusted: SSR / M)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(ssr, float) / (np.asarray(n, float) - k)


def raw_square_sum(n: ArrayLike, sum_x: ArrayLike, sum_xx: ArrayLike,
                   centre: ArrayLike) -> FloatArray:
    """Σx² of the raw values from the sums of x' = x − c: Σx'² + 2cΣx' + nc²."""
    centre = np.asarray(centre, float)
    return np.asarray(sum_xx, float) + centre * (2.0 * np.asarray(sum_x, float)
                                                 + np.asarray(n, float) * centre)


def zero_benchmark_variance(n: ArrayLike, sxx: ArrayLike, raw_mm: ArrayLike) -> FloatArray:
    """True where S_xx is zero relative to Σm² (a constant benchmark): no market model."""
    raw_mm = np.asarray(raw_mm, float)
    n = np.asarray(n, float)
    with np.errstate(invalid="ignore", divide="ignore"):  # n = 0: no fit, no warning
        mean_mm = np.maximum(raw_mm / n, 1e-300)
        return ~(np.asarray(sxx, float) > ZERO_VARIANCE * mean_mm * n)


def zero_residual_variance(n: ArrayLike, ssr: ArrayLike, raw_rr: ArrayLike) -> FloatArray:
    """True where SSR is zero relative to Σr² (constant prices, a copy of the benchmark)."""
    ssr = np.asarray(ssr, float)
    n = np.asarray(n, float)
    raw_rr = np.asarray(raw_rr, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(raw_rr > 0, raw_rr / n, 1.0)
        return ~(ssr / n > ZERO_VARIANCE * scale) | (ssr == 0.0)


def estimation_term(k: int, n_obs: ArrayLike, mean_m: ArrayLike, sxx: ArrayLike,
                    span: ArrayLike, m: ArrayLike) -> FloatArray:
    """x*'(X'X)⁻¹x* for design rows x* = [span, m]: the parameter-estimation share of Var(AR).

    k = 2: span²/M + (m − span R̄_m)²/S_xx; k = 1: span²/M; k = 0: 0 (nothing estimated).
    """
    span = np.asarray(span, float)
    m = np.asarray(m, float)
    shape = np.broadcast_shapes(span.shape, m.shape, np.shape(n_obs), np.shape(mean_m),
                                np.shape(sxx))
    if k == 0:
        return np.zeros(shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        base = span * span / np.asarray(n_obs, float)
        if k != 2:  # constant mean (other k: models with a general design use the matrix form)
            return np.array(np.broadcast_to(base, shape))
        term = np.subtract(m, span * np.asarray(mean_m, float))
        term = np.array(np.broadcast_to(term, shape)) if term.shape != shape else term
        term *= term
        term /= sxx
        term += base
    return term


def ar_variance(sigma_sq: ArrayLike, k: int, n_obs: ArrayLike, mean_m: ArrayLike,
                sxx: ArrayLike, span: ArrayLike, m: ArrayLike,
                out: FloatArray | None = None) -> FloatArray:
    """Var(AR) = σ̂² [span + x*'(X'X)⁻¹x*] (CLM 1997, eq. 4.4.8-4.4.9), elementwise.

    Evaluated as σ̂²(span + span²/M) + (σ̂²/S_xx)(m − span R̄_m)², one new array (or ``out``,
    of the broadcast shape) and in-place operations on it (the batch engine calls this on
    chunks of pairs × days).
    """
    span = np.asarray(span, float)
    m = np.asarray(m, float)
    sigma_sq = np.asarray(sigma_sq, float)
    shape = np.broadcast_shapes(span.shape, m.shape, sigma_sq.shape, np.shape(n_obs),
                                np.shape(mean_m), np.shape(sxx))
    with np.errstate(invalid="ignore", divide="ignore"):
        if k == 0:
            base = sigma_sq * span
        else:
            base = sigma_sq * (span + span * span / np.asarray(n_obs, float))
        if k != 2:  # constant mean (other k: models with a general design use the matrix form)
            if out is None:
                return np.array(np.broadcast_to(base, shape))
            np.copyto(out, base)
            return out
        centre = span * np.asarray(mean_m, float)
        if out is not None:
            var = np.subtract(m, centre, out=out)
        else:
            var = np.subtract(m, centre)
            var = np.array(np.broadcast_to(var, shape)) if var.shape != shape else var
        var *= var
        var *= sigma_sq / np.asarray(sxx, float)
        var += base
    return var


def car_variance(sigma_sq: ArrayLike, k: int, n_obs: ArrayLike, mean_m: ArrayLike,
                 sxx: ArrayLike, s_n: ArrayLike, s_m: ArrayLike) -> FloatArray:
    """Var(CAR) = σ̂²[S_n + S_n²/M + (ΣR_m − S_n R̄_m)²/S_xx] (CLM 1997, eq. 4.4.13).

    ``s_n`` is the number of sessions the window's valid returns cover (L without gaps) and
    ``s_m`` the sum of their benchmark returns. NaN where the window holds no return.
    """
    s_n = np.asarray(s_n, float)
    var = ar_variance(sigma_sq, k, n_obs, mean_m, sxx, s_n, s_m)
    return np.where(s_n > 0, var, np.nan)
