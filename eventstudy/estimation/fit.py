"""The estimate of a normal-return model (:class:`ModelFit`), the model interface
(:class:`NormalReturnModel`) and the closed-form models of methods.md (k ≤ 2): market,
constant mean, market-adjusted. See :mod:`eventstudy.estimation.models` for the conventions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

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
    garch : GarchFit or None
        ``model = "garch"``: the GARCH(1,1) fit whose projected conditional variance is each
        event-window AR's (:mod:`eventstudy.estimation.garch_model`).
    synthetic : Placebos or None
        ``model = "synthetic"``: the donors, weights, RMSPE and placebos in space
        (:mod:`eventstudy.inference.placebo`).
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
    garch: Any = field(default=None, compare=False, repr=False)
    synthetic: Any = field(default=None, compare=False, repr=False)

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
        _check_size(r.size, self.name, self.k)
        m = np.asarray(m, dtype=float)
        rows = self.fit_rows(r.reshape(1, -1), m.reshape(1, -1))
        if rows.error[0]:
            raise EstimationError(FIT_ERRORS[int(rows.error[0])])
        return rows.fit(0, start, end, n_gaps)

    def fit_rows(self, r: FloatArray, m: FloatArray) -> RowFits:
        """Estimate on many samples of one length at once: row i of ``r`` and ``m`` (P × M).

        Row i gives the same numbers, to the last bit, as a fit on row i alone: the means are
        row-wise sums of contiguous rows and the cross products row-wise BLAS dot products
        (``np.matmul`` on stacked vectors), which numpy evaluates row by row exactly as it does
        one vector; :meth:`fit` is this function on one row. Rows that cannot be fitted carry
        a code of :data:`FIT_ERRORS` in ``error`` (0 where the fit is good).
        """
        r = np.asarray(r, dtype=float)
        m = np.asarray(m, dtype=float)
        n = r.shape[1]
        with np.errstate(all="ignore"):
            bad_input = ~np.isfinite(r).all(axis=1)
            if self.needs_benchmark:
                bad_input |= ~np.isfinite(m).all(axis=1)
            alpha, beta, resid, r2, mean_m, sxx, flat = self._ols(r, m)
            ssr = _rowdot(resid, resid)
            overflow = ~(np.isfinite(alpha) & np.isfinite(ssr))
            if self.needs_benchmark:
                overflow |= ~np.isfinite(beta)
            zero = kernel.zero_residual_variance(n, ssr, _rowdot(r, r))
            sigma = np.sqrt(kernel.sigma2(ssr, n, self.k))
        error = np.select([bad_input, flat, overflow, zero], [1, 2, 3, 4], 0)
        return RowFits(self.name, self.k, n, alpha, beta, sigma, r2, mean_m, sxx, error)

    def _ols(self, r: FloatArray, m: FloatArray) -> tuple[FloatArray, ...]:
        """Per row: α, β, residuals, R², R̄_m, S_xx and whether the benchmark is flat."""
        raise NotImplementedError


#: Why a sample cannot be fitted, by the codes of :attr:`RowFits.error`.
FIT_ERRORS = {
    1: "estimation returns hold NaN or infinite values; pass finite returns only",
    2: "benchmark returns have zero variance in the estimation window; the market model "
       "cannot be estimated",
    3: "estimation returns are too large to fit (the sums overflow); check the prices",
    4: "residuals have zero variance in the estimation window (constant prices, or a "
       "security identical to its benchmark)",
}


def _rowdot(a: FloatArray, b: FloatArray) -> FloatArray:
    """Σ a_ij b_ij per row i, by BLAS as ``a[i] @ b[i]`` computes it (bit for bit)."""
    return np.matmul(a[:, None, :], b[:, :, None])[:, 0, 0]


@dataclass(frozen=True)
class RowFits:
    """The closed-form fits of P samples of M returns each (:meth:`NormalReturnModel.fit_rows`).

    Arrays of length P; ``error`` holds a code of :data:`FIT_ERRORS` (0: fitted).
    """

    model: str
    k: int
    n: int
    alpha: FloatArray
    beta: FloatArray
    sigma: FloatArray
    r2: FloatArray
    mean_m: FloatArray
    sxx: FloatArray
    error: np.ndarray

    def fit(self, i: int, start: pd.Timestamp, end: pd.Timestamp, n_gaps: int = 0,
            **counts: object) -> ModelFit:
        """Row ``i`` as a :class:`ModelFit` (Python floats); ``counts`` are ModelFit's sample
        counts and dates (``n_missing``, ``first_obs``, ...)."""
        return ModelFit(
            model=self.model, k=self.k, alpha=float(self.alpha[i]), beta=float(self.beta[i]),
            sigma=float(self.sigma[i]), r2=float(self.r2[i]), n_obs=self.n,
            df=self.n - self.k, mean_m=float(self.mean_m[i]), sxx=float(self.sxx[i]),
            start=start, end=end, n_gaps=n_gaps, **counts,  # type: ignore[arg-type]
        )


class MarketModel(NormalReturnModel):
    """Market model R_t = α + β R_mt + ε_t by OLS (CLM 1997, §4.3)."""

    name = "market"
    k = 2

    def _ols(self, r: FloatArray, m: FloatArray) -> tuple[FloatArray, ...]:
        n = m.shape[1]
        mean_m, mean_r = m.mean(axis=1), r.mean(axis=1)
        dm, dr = m - mean_m[:, None], r - mean_r[:, None]
        # the closed form of kernel.py (shared with the batch engine), on the sums about the
        # sample means (Σdr = Σdm = 0 by construction)
        est = kernel.market_model(n, 0.0, 0.0, _rowdot(dr, dm), _rowdot(dm, dm),
                                  _rowdot(dr, dr), mean_r, mean_m)
        flat = kernel.zero_benchmark_variance(n, est.sxx, _rowdot(m, m))
        beta = np.asarray(est.beta, float)
        resid = dr - beta[:, None] * dm
        syy = np.asarray(est.syy, float)
        r2 = np.where(syy > 0, 1.0 - _rowdot(resid, resid) / syy, np.nan)
        return est.alpha, beta, resid, r2, est.mean_m, est.sxx, flat


class ConstantMean(NormalReturnModel):
    """Constant-mean-return model E[R_t] = μ (CLM 1997, §4.3); σ̂² from estimation days only."""

    name = "constant-mean"
    k = 1
    needs_benchmark = False

    def _ols(self, r: FloatArray, m: FloatArray) -> tuple[FloatArray, ...]:
        mu = np.asarray(kernel.constant_mean(r.shape[1], r.sum(axis=1), _rowdot(r, r)).mu,
                        float)
        nan = np.full(len(r), np.nan)
        return mu, nan, r - mu[:, None], nan, nan, nan, np.zeros(len(r), bool)


class MarketAdjusted(NormalReturnModel):
    """Market-adjusted returns AR = R − R_m, k = 0, σ̂² = Σ AR² / M (Brown & Warner 1980)."""

    name = "market-adjusted"
    k = 0

    def _ols(self, r: FloatArray, m: FloatArray) -> tuple[FloatArray, ...]:
        nan = np.full(len(r), np.nan)
        return (np.zeros(len(r)), np.ones(len(r)), r - m, nan, nan, nan,
                np.zeros(len(r), bool))


def _check_size(n: int, name: str, k: int) -> int:
    """``n`` if it can fit a model with ``k`` parameters (M − k − 2 > 0, the Patell factor's
    denominator), else an EstimationError."""
    if n <= k + 2:
        raise EstimationError(f"{n} estimation returns cannot fit the {name} model (k = {k}); "
                              "M − k − 2 must be positive")
    return n
