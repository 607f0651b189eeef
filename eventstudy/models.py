"""Normal-return models, estimated by OLS on a pair's estimation window.

Model names are picked from a typed string in one place, :func:`get_model`. Each model's
``fit`` estimates once and returns a :class:`ModelFit`, which states ``k`` (parameters) and the
degrees of freedom ``M - k`` explicitly.

Conventions (methods.md): σ̂² divides the sum of squared residuals by M − k (market model
k = 2, constant mean k = 1, market-adjusted k = 0); only single-session returns enter the
estimation sample (returns that span a gap are left out and counted in ``n_gaps``).

References
----------
.. [1] Campbell, J., Lo, A. and MacKinlay, A. C. (1997) *The Econometrics of Financial
   Markets*, Princeton University Press, ch. 4.
.. [2] MacKinlay, A. C. (1997) "Event Studies in Economics and Finance", Journal of Economic
   Literature 35(1), 13-39.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from eventstudy._typing import MODEL_NAMES, FloatArray
from eventstudy.errors import EstimationError

# Relative size below which a variance counts as zero (constant prices, identical series).
ZERO_VARIANCE = 1e-14


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

    def expected(self, m: FloatArray, span: FloatArray) -> FloatArray:
        """Normal return over ``span`` sessions given the benchmark return ``m`` over them."""
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
        n = r.size
        if n <= self.k + 2:
            raise EstimationError(
                f"{n} estimation returns cannot fit the {self.name} model (k = {self.k}); "
                f"M − k − 2 must be positive"
            )
        alpha, beta, resid, r2, mean_m, sxx = self._ols(r, np.asarray(m, dtype=float))
        df = n - self.k
        ssr = float(resid @ resid)
        scale = float(np.mean(r * r)) or 1.0
        if ssr / n <= ZERO_VARIANCE * scale or ssr == 0.0:
            raise EstimationError(
                "residuals have zero variance in the estimation window (constant prices, or "
                "a security identical to its benchmark)"
            )
        return ModelFit(
            model=self.name, k=self.k, alpha=alpha, beta=beta, sigma=float(np.sqrt(ssr / df)),
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
        sxx = float(dm @ dm)
        if sxx <= ZERO_VARIANCE * max(float(np.mean(m * m)), 1e-300) * m.size:
            raise EstimationError(
                "benchmark returns have zero variance in the estimation window; the market "
                "model cannot be estimated"
            )
        beta = float(dm @ dr) / sxx
        alpha = mean_r - beta * mean_m
        resid = dr - beta * dm
        syy = float(dr @ dr)
        r2 = 1.0 - float(resid @ resid) / syy if syy > 0 else float("nan")
        return alpha, beta, resid, r2, mean_m, sxx


class ConstantMean(NormalReturnModel):
    """Constant-mean-return model E[R_t] = μ (CLM 1997, §4.3); σ̂² from estimation days only."""

    name = "constant-mean"
    k = 1
    needs_benchmark = False

    def _ols(self, r: FloatArray, m: FloatArray
             ) -> tuple[float, float, FloatArray, float, float, float]:
        mu = float(r.mean())
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


MODELS: dict[str, type[NormalReturnModel]] = {
    cls.name: cls for cls in (MarketModel, ConstantMean, MarketAdjusted)
}
assert tuple(MODELS) == MODEL_NAMES


def get_model(name: str) -> NormalReturnModel:
    """The model of this name ("market", "constant-mean", "market-adjusted")."""
    try:
        return MODELS[name]()
    except KeyError:
        raise EstimationError(
            f"unknown model '{name}'; choose one of {', '.join(MODELS)}"
        ) from None
