"""The estimate of a normal-return model (:class:`ModelFit`), the model interface
(:class:`NormalReturnModel`) and the closed-form models of methods.md (k ≤ 2): market,
constant mean, market-adjusted. See :mod:`eventstudy.estimation.models` for the conventions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd

from eventstudy._typing import FloatArray
from eventstudy.errors import EstimationError
from eventstudy.estimation import kernel

# Relative size below which a variance counts as zero (constant prices, identical series).
ZERO_VARIANCE = kernel.ZERO_VARIANCE


@dataclass(frozen=True)
class ModelFit:
    """An estimated normal-return model of one pair.

    Attributes
    ----------
    model : str
        The model's name.
    k : int
        Parameters estimated (market 2, constant mean 1, market-adjusted 0).
    alpha, beta : float
        Intercept and slope; the constant mean has ``alpha`` = mean return and ``beta`` NaN;
        market-adjusted has α = 0, β = 1 by construction.
    sigma : float
        Residual standard deviation, σ̂² = SSR / (M − k).
    r2 : float
        R² of the market model; NaN for the other models.
    n_obs : int
        M, the usable estimation returns.
    df : int
        M − k, the degrees of freedom of σ̂² and of every single-pair t test.
    mean_m, sxx : float
        Mean benchmark return R̄_m and Σ(R_m − R̄_m)² over the estimation sample (market model;
        NaN otherwise). They enter the prediction-error variance.
    start, end : pd.Timestamp
        First and last sessions of the estimation window.
    n_gaps : int
        Returns in the window left out because they span missing prices.
    coef : tuple of float
        Design models only: the prediction coefficients on z* = [n, x*] (α then the slopes; for
        Dimson and Scholes–Williams (α, β) with β the aggregated beta). Empty otherwise.
    xtx_inv : ndarray or None
        Design models only: (X'X)⁻¹ expressed in the prediction coordinates z*, i.e.
        A (X'X)⁻¹ A' where z* = x* A' maps prediction rows to design rows (A = I for the
        multi-factor model). None for the closed-form models.
    regressors : tuple of str
        Names of the columns of x* (tickers) for design models.
    params : tuple of (str, float)
        Every estimated parameter by name (e.g. the Dimson lag betas), for display.
    n_excluded_events, n_excluded_confounders : int
        Estimation sessions dropped because they fall in another event's window for the same
        security, or on a listed confounder date of it (estimation-window hygiene).
    n_before_data, n_missing : int
        Estimation sessions without a return because they come before the pair's first
        return (a listing inside the window), or because a price is missing later (a halt,
        an outage; Dimson and Scholes–Williams also count a missing lag or lead here).
        With ``n_gaps`` and the hygiene counts they add up, with M, to the window's length.
    first_obs, last_obs : pd.Timestamp or None
        First and last sessions of the estimation sample (the returns that entered the fit).
    """

    model: str
    k: int
    alpha: float
    beta: float
    sigma: float
    r2: float
    n_obs: int
    df: int
    mean_m: float
    sxx: float
    start: pd.Timestamp
    end: pd.Timestamp
    n_gaps: int = 0
    coef: tuple[float, ...] = ()
    xtx_inv: FloatArray | None = field(default=None, compare=False, repr=False)
    regressors: tuple[str, ...] = ()
    params: tuple[tuple[str, float], ...] = ()
    n_excluded_events: int = 0
    n_excluded_confounders: int = 0
    n_before_data: int = 0
    n_missing: int = 0
    first_obs: pd.Timestamp | None = None
    last_obs: pd.Timestamp | None = None

    @property
    def general(self) -> bool:
        """Whether the fit carries a general design (its variance uses ``xtx_inv``)."""
        return self.xtx_inv is not None

    def expected(self, m: FloatArray, span: FloatArray) -> FloatArray:
        """Normal return over ``span`` sessions given the benchmark return ``m`` over them.

        For a multi-factor fit ``m`` holds one column per factor (n × p, or n for p = 1).
        """
        if self.general:
            span = np.asarray(span, float)
            if span.size == 0:
                return np.zeros(0)
            x = np.asarray(m, float).reshape(span.size, -1)
            return self.coef[0] * span + x @ np.asarray(self.coef[1:])
        if self.model == "constant-mean":
            return self.alpha * span
        return self.alpha * span + self.beta * m


class NormalReturnModel:
    """Base class: a named model with ``k`` parameters and an OLS ``fit``."""

    name: ClassVar[str]
    k: ClassVar[int]
    needs_benchmark: ClassVar[bool] = True

    def fit(
        self, r: FloatArray, m: FloatArray, start: pd.Timestamp, end: pd.Timestamp,
        n_gaps: int = 0,
    ) -> ModelFit:
        """Estimate on single-session returns ``r`` (security) and ``m`` (benchmark)."""
        r = np.asarray(r, dtype=float)
        n = _check_size(r.size, self.name, self.k)
        m = np.asarray(m, dtype=float)
        if not np.isfinite(r).all() or (self.needs_benchmark and not np.isfinite(m).all()):
            raise EstimationError(
                "estimation returns hold NaN or infinite values; pass finite returns only"
            )
        with np.errstate(all="ignore"):
            alpha, beta, resid, r2, mean_m, sxx = self._ols(r, m)
            df = n - self.k
            ssr = float(resid @ resid)
        if not np.isfinite([alpha, ssr]).all() or (self.needs_benchmark and not np.isfinite(beta)):
            raise EstimationError(
                "estimation returns are too large to fit (the sums overflow); check the prices"
            )
        if kernel.zero_residual_variance(n, ssr, float(r @ r)):
            raise EstimationError(
                "residuals have zero variance in the estimation window (constant prices, or "
                "a security identical to its benchmark)"
            )
        sigma = float(np.sqrt(kernel.sigma2(ssr, n, self.k)))
        return ModelFit(
            model=self.name, k=self.k, alpha=alpha, beta=beta, sigma=sigma,
            r2=r2, n_obs=n, df=df, mean_m=mean_m, sxx=sxx, start=start, end=end, n_gaps=n_gaps,
        )

    def _ols(self, r: FloatArray, m: FloatArray
             ) -> tuple[float, float, FloatArray, float, float, float]:
        raise NotImplementedError


class MarketModel(NormalReturnModel):
    """Market model R_t = α + β R_mt + ε_t by OLS (CLM 1997, §4.3)."""

    name = "market"
    k = 2

    def _ols(self, r: FloatArray, m: FloatArray
             ) -> tuple[float, float, FloatArray, float, float, float]:
        mean_m, mean_r = float(m.mean()), float(r.mean())
        dm, dr = m - mean_m, r - mean_r
        # the closed form of kernel.py (shared with the batch engine), on the sums about the
        # sample means (Σdr = Σdm = 0 by construction)
        est = kernel.market_model(m.size, 0.0, 0.0, dr @ dm, dm @ dm, dr @ dr, mean_r, mean_m)
        sxx = float(est.sxx)
        if kernel.zero_benchmark_variance(m.size, sxx, float(m @ m)):
            raise EstimationError(
                "benchmark returns have zero variance in the estimation window; the market "
                "model cannot be estimated"
            )
        beta, alpha, mean_m = float(est.beta), float(est.alpha), float(est.mean_m)
        resid = dr - beta * dm
        syy = float(est.syy)
        r2 = 1.0 - float(resid @ resid) / syy if syy > 0 else float("nan")
        return alpha, beta, resid, r2, mean_m, sxx


class ConstantMean(NormalReturnModel):
    """Constant-mean-return model E[R_t] = μ (CLM 1997, §4.3); σ̂² from estimation days only."""

    name = "constant-mean"
    k = 1
    needs_benchmark = False

    def _ols(self, r: FloatArray, m: FloatArray
             ) -> tuple[float, float, FloatArray, float, float, float]:
        mu = float(kernel.constant_mean(r.size, r.sum(), r @ r).mu)
        nan = float("nan")
        return mu, nan, r - mu, nan, nan, nan


class MarketAdjusted(NormalReturnModel):
    """Market-adjusted returns AR = R − R_m, k = 0, σ̂² = Σ AR² / M (Brown & Warner 1980)."""

    name = "market-adjusted"
    k = 0

    def _ols(self, r: FloatArray, m: FloatArray
             ) -> tuple[float, float, FloatArray, float, float, float]:
        nan = float("nan")
        return 0.0, 1.0, r - m, nan, nan, nan


def _check_size(n: int, name: str, k: int) -> int:
    """``n`` if it can fit a model with ``k`` parameters (M − k − 2 > 0, the Patell factor's
    denominator), else an EstimationError."""
    if n <= k + 2:
        raise EstimationError(f"{n} estimation returns cannot fit the {name} model (k = {k}); "
                              "M − k − 2 must be positive")
    return n
