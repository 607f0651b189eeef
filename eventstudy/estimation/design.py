"""Normal-return models on a design matrix, whose :class:`~eventstudy.estimation.fit.ModelFit`
carries ``coef`` and ``xtx_inv`` for the general prediction-error variance (CLM eq. 4.4.9):
multi-factor, Dimson (1979) and Scholes–Williams (1977).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from eventstudy._typing import FloatArray
from eventstudy.errors import EstimationError
from eventstudy.estimation.fit import ZERO_VARIANCE, ModelFit, NormalReturnModel, _check_size


class DesignModel(NormalReturnModel):
    """Base of the models estimated on several regressor columns (a general design).

    ``fit`` takes the security's returns ``r`` (M) and a regressor matrix ``x`` (M × p) whose
    columns the model names: factor returns (:class:`MultiFactor`) or the benchmark's returns
    at the session shifts ``shifts`` (R_m,t+j; :class:`Dimson`, :class:`ScholesWilliams`).
    """

    shifts: tuple[int, ...] = (0,)
    factors: tuple[str, ...] = ()
    k: int  # type: ignore[misc]  # set per instance from the design

    def fit(  # type: ignore[override]
        self, r: FloatArray, x: FloatArray, start: pd.Timestamp, end: pd.Timestamp,
        n_gaps: int = 0,
    ) -> ModelFit:
        """Estimate on single-session returns ``r`` and regressors ``x`` (one column each)."""
        r = np.asarray(r, dtype=float)
        n = _check_size(r.size, self.name, self.k)
        x = np.asarray(x, dtype=float).reshape(n, -1)
        if not (np.isfinite(r).all() and np.isfinite(x).all()):
            raise EstimationError(
                "estimation returns hold NaN or infinite values; pass finite returns only"
            )
        scale = x.std(axis=0)
        if (scale <= np.sqrt(ZERO_VARIANCE) * np.maximum(np.abs(x).max(axis=0), 1e-300)).any():
            j = int(np.argmax(scale <= np.sqrt(ZERO_VARIANCE) * np.abs(x).max(axis=0)))
            raise EstimationError(
                f"regressor {self._column_names()[j]} has zero variance in the estimation "
                f"window; the {self.name} model cannot be estimated"
            )
        with np.errstate(all="ignore"):
            coef, pred_inv, resid, r2, params = self._estimate(r, x)
            df = n - self.k
            ssr = float(resid @ resid)
        if not (np.isfinite(coef).all() and np.isfinite(ssr)):
            raise EstimationError(
                "estimation returns are too large to fit (the sums overflow); check the prices"
            )
        if ssr / n <= ZERO_VARIANCE * (float(np.mean(r * r)) or 1.0) or ssr == 0.0:
            raise EstimationError(
                "residuals have zero variance in the estimation window (constant prices, or "
                "a security identical to its regressors)"
            )
        m0 = x[:, self.shifts.index(0)] if 0 in self.shifts and not self.factors else x[:, 0]
        mean_m = float(m0.mean())
        return ModelFit(
            model=self.name, k=self.k, alpha=float(coef[0]),
            beta=float(coef[1]) if coef.size == 2 else float("nan"),
            sigma=float(np.sqrt(ssr / df)), r2=r2, n_obs=n, df=df, mean_m=mean_m,
            sxx=float(np.sum((m0 - mean_m) ** 2)), start=start, end=end, n_gaps=n_gaps,
            coef=tuple(float(c) for c in coef), xtx_inv=pred_inv,
            regressors=self._column_names(), params=params,
        )

    def _column_names(self) -> tuple[str, ...]:
        if self.factors:
            return self.factors
        return tuple(f"R_m(t{j:+d})" if j else "R_m(t)" for j in self.shifts)

    def _estimate(self, r: FloatArray, x: FloatArray) -> tuple[
            FloatArray, FloatArray, FloatArray, float, tuple[tuple[str, float], ...]]:
        raise NotImplementedError


def _ols_design(r: FloatArray, x: FloatArray, what: str
                ) -> tuple[FloatArray, FloatArray, FloatArray, float]:
    """OLS of ``r`` on [1, x]: θ̂, (X'X)⁻¹, residuals and R²; EstimationError if singular."""
    design = np.column_stack([np.ones(r.size), x])
    xtx = design.T @ design
    if np.linalg.cond(xtx) > 1e12:
        raise EstimationError(
            f"the {what} regressors are collinear in the estimation window (X'X is singular); "
            "drop a factor or widen the estimation window"
        )
    xtx_inv = np.linalg.inv(xtx)
    theta = xtx_inv @ (design.T @ r)
    resid = r - design @ theta
    dr = r - r.mean()
    syy = float(dr @ dr)
    r2 = 1.0 - float(resid @ resid) / syy if syy > 0 else float("nan")
    return theta, xtx_inv, resid, r2


class MultiFactor(DesignModel):
    """Multi-factor model R_t = α + Σ_f β_f R_ft + ε_t by OLS (CLM 1997, §4.3.3).

    Notes
    -----
    k = 1 + p parameters for p factors; σ̂² = e'e / (M − k). The factors' returns are taken
    trade to trade over the same sessions as the security's (a factor traded elsewhere is read
    by instant, like a benchmark). The event-window covariance is the general CLM form

    .. math:: V = \\hat\\sigma^2 [D + X^* (X'X)^{-1} X^{*\\prime}],

    with design rows [n, ΣR_f1, …, ΣR_fp] for a return spanning n sessions.

    References
    ----------
    .. [1] Campbell, J., Lo, A. and MacKinlay, A. C. (1997), §4.3.3-4.4.
    """

    name = "multi-factor"

    def __init__(self, factors: Sequence[str] = ()) -> None:
        self.factors = tuple(factors)
        if not self.factors:
            raise EstimationError(
                'the multi-factor model needs factors = ["TICKER", ...] in events.toml'
            )
        self.k = 1 + len(self.factors)

    def _estimate(self, r: FloatArray, x: FloatArray) -> tuple[
            FloatArray, FloatArray, FloatArray, float, tuple[tuple[str, float], ...]]:
        theta, xtx_inv, resid, r2 = _ols_design(r, x, "factor")
        names = ("alpha", *(f"beta[{f}]" for f in self.factors))
        return theta, xtx_inv, resid, r2, tuple(zip(names, map(float, theta), strict=True))


class Dimson(DesignModel):
    """Dimson (1979) aggregated-coefficients beta for thinly traded securities.

    Notes
    -----
    OLS of R_t = α + Σ_{j=−L}^{F} β_j R_m,t+j + ε_t (L lags, F leads); k = 1 + L + 1 + F.
    The beta is the aggregated coefficient β^D = Σ_j β_j (Dimson 1979, eq. 9). Abnormal returns
    use it on the contemporaneous market return, as event-study practice does (e.g. Eventus;
    Maynes & Rumsey 1993): AR_t = R_t − α̂ − β̂^D R_m,t. Consistently, σ̂² is computed from
    those same ARs over the estimation sample, σ̂² = Σ AR² / (M − k) (it includes the
    Σ_j β_j (R_m,t+j − R_m,t) terms the AR leaves in), and the estimation-error term uses the
    prediction row z* = [n, R_m] mapped to the design by A = [[1, 0…0], [0, 1…1]]:
    z*A(X'X)⁻¹A'z*' = Var(α̂ + β̂^D R_m)/σ². Using the AR's σ̂ (≥ the regression's) for that
    term errs on the conservative side.

    References
    ----------
    .. [1] Dimson, E. (1979) "Risk measurement when shares are subject to infrequent trading",
       Journal of Financial Economics 7(2), 197-226.
    .. [2] Maynes, E. and Rumsey, J. (1993) "Conducting event studies with thinly traded
       stocks", Journal of Banking & Finance 17(1), 145-157.
    """

    name = "dimson"

    def __init__(self, lags: int = 1, leads: int | None = None) -> None:
        leads = lags if leads is None else leads
        if lags < 0 or leads < 0:
            raise EstimationError(f"dimson lags and leads must be >= 0, got {lags}, {leads}")
        self.lags, self.leads = lags, leads
        self.shifts = tuple(range(-lags, leads + 1))
        self.k = 1 + len(self.shifts)

    def _estimate(self, r: FloatArray, x: FloatArray) -> tuple[
            FloatArray, FloatArray, FloatArray, float, tuple[tuple[str, float], ...]]:
        theta, xtx_inv, _, r2 = _ols_design(r, x, "lagged benchmark")
        a = np.zeros((2, self.k))
        a[0, 0] = 1.0
        a[1, 1:] = 1.0
        coef = np.array([theta[0], theta[1:].sum()])
        ar = r - coef[0] - coef[1] * x[:, self.shifts.index(0)]
        names = ("alpha", *(f"beta[{j:+d}]" for j in self.shifts))
        return coef, a @ xtx_inv @ a.T, ar, r2, tuple(zip(names, map(float, theta), strict=True))


class ScholesWilliams(DesignModel):
    """Scholes & Williams (1977) beta from non-synchronous data.

    Notes
    -----
    With b₋, b₀, b₊ the slopes of simple regressions of R_t on R_m,t−1, R_m,t and R_m,t+1 and
    ρ̂_m the first-order autocorrelation of the market return,

    .. math:: \\hat\\beta^{SW} = \\frac{b_- + b_0 + b_+}{1 + 2\\hat\\rho_m}, \\quad
              \\hat\\alpha^{SW} = \\bar R - \\hat\\beta^{SW} \\bar R_m,

    the means taken over the sample on which all three regressions are estimated (SW 1977,
    eqs. 13-14, which drop the first and last observations). k = 2; AR_t = R_t − α̂ − β̂ R_m,t,
    σ̂² = Σ AR² / (M − 2), and the estimation-error term is that of the market-model design
    [1, R_m] (the usual event-study approximation; the SW estimator's own sampling variance
    is not used).

    References
    ----------
    .. [1] Scholes, M. and Williams, J. (1977) "Estimating betas from nonsynchronous data",
       Journal of Financial Economics 5(3), 309-327.
    """

    name = "scholes-williams"
    shifts = (-1, 0, 1)
    k = 2

    def _estimate(self, r: FloatArray, x: FloatArray) -> tuple[
            FloatArray, FloatArray, FloatArray, float, tuple[tuple[str, float], ...]]:
        dx = x - x.mean(axis=0)
        dr = r - r.mean()
        b = (dx.T @ dr) / np.sum(dx * dx, axis=0)
        m_lag, m0 = x[:, 0], x[:, 1]
        rho = float(np.corrcoef(m0, m_lag)[0, 1])
        if 1.0 + 2.0 * rho <= 0.05:
            raise EstimationError(
                f"market autocorrelation {rho:.2f} makes 1 + 2ρ too small for the "
                "Scholes-Williams beta"
            )
        beta = float(b.sum()) / (1.0 + 2.0 * rho)
        alpha = float(r.mean()) - beta * float(m0.mean())
        ar = r - alpha - beta * m0
        design = np.column_stack([np.ones(r.size), m0])
        syy = float(dr @ dr)
        r2 = float(np.corrcoef(r, m0)[0, 1] ** 2) if syy > 0 else float("nan")
        params = (("alpha", alpha), ("beta", beta), ("beta[-1]", float(b[0])),
                  ("beta[+0]", float(b[1])), ("beta[+1]", float(b[2])), ("rho_m", rho))
        return (np.array([alpha, beta]), np.linalg.inv(design.T @ design), ar, r2, params)
