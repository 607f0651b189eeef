"""Tests of eventstudy.estimation.models: the normal-return models and their OLS fits.

Known answers come from three independent places: statsmodels OLS on simulated data and on the
estudy2 sample (real log returns of AMZN, ZM, ... against ^GSPC, read in place from
../shared/data/estudy2/rates.csv), and a five-point example worked by hand in the test.
methods.md: σ̂² = SSR / (M − k), k = 2 (market), 1 (constant mean), 0 (market-adjusted).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from eventstudy.errors import EstimationError, EventStudyError
from eventstudy.estimation.models import (
    MODELS,
    ConstantMean,
    MarketAdjusted,
    MarketModel,
    ModelFit,
    get_model,
)

SHARED = Path(__file__).resolve().parents[2] / "shared"
RATES = SHARED / "data" / "estudy2" / "rates.csv"
needs_rates = pytest.mark.skipif(not RATES.is_file(), reason=f"estudy2 rates not found at {RATES}")

START, END = pd.Timestamp("2025-01-06"), pd.Timestamp("2025-12-30")


def fit(model, r, m=None):
    r = np.asarray(r, float)
    m = np.zeros_like(r) if m is None else np.asarray(m, float)
    return model.fit(r, m, START, END)


def simulated(seed: int, n: int = 240, alpha: float = 3e-4, beta: float = 1.2,
              sigma: float = 0.02) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    m = rng.normal(4e-4, 0.011, n)
    return alpha + beta * m + rng.normal(0.0, sigma, n), m


# ----------------------------------------------------------------------------------------------
# Market model against statsmodels OLS
# ----------------------------------------------------------------------------------------------


def check_against_statsmodels(r: np.ndarray, m: np.ndarray) -> None:
    ols = sm.OLS(r, sm.add_constant(m)).fit()
    res = fit(MarketModel(), r, m)
    assert res.model == "market"
    assert (res.k, res.n_obs, res.df) == (2, r.size, r.size - 2)
    np.testing.assert_allclose(res.alpha, ols.params[0], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(res.beta, ols.params[1], rtol=1e-12)
    # statsmodels' scale is SSR / df_resid = SSR / (M - 2): the M - k divisor of methods.md
    np.testing.assert_allclose(res.sigma, np.sqrt(ols.scale), rtol=1e-12)
    np.testing.assert_allclose(res.r2, ols.rsquared, rtol=1e-12)
    # R̄_m and Sxx enter the prediction-error variance
    np.testing.assert_allclose(res.mean_m, m.mean(), rtol=1e-12)
    np.testing.assert_allclose(res.sxx, np.sum((m - m.mean()) ** 2), rtol=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_market_model_equals_statsmodels_simulated(seed: int) -> None:
    r, m = simulated(seed, n=60 + 60 * seed)
    check_against_statsmodels(r, m)


@needs_rates
@pytest.mark.parametrize("stock", ["AMZN", "ZM", "UBER", "NFLX", "SHOP", "FB", "UPWK"])
def test_market_model_equals_statsmodels_estudy2(stock: str) -> None:
    rates = pd.read_csv(RATES, parse_dates=["date"])
    assert "^GSPC" in rates.columns
    both = rates[[stock, "^GSPC"]].dropna()
    assert len(both) > 100  # ZM and UBER listed during the sample: fewer rows
    check_against_statsmodels(both[stock].to_numpy(), both["^GSPC"].to_numpy())


# ----------------------------------------------------------------------------------------------
# Constant mean and market-adjusted
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1])
def test_constant_mean_is_mean_and_sd_ddof1(seed: int) -> None:
    r, m = simulated(seed)
    res = fit(ConstantMean(), r, m)
    assert (res.model, res.k, res.n_obs, res.df) == ("constant-mean", 1, r.size, r.size - 1)
    np.testing.assert_allclose(res.alpha, r.mean(), rtol=1e-12)
    np.testing.assert_allclose(res.sigma, r.std(ddof=1), rtol=1e-12)
    assert np.isnan(res.beta) and np.isnan(res.r2)
    # the benchmark plays no part: any m gives the same fit
    again = fit(ConstantMean(), r, np.full_like(m, np.nan))
    assert (again.alpha, again.sigma) == (res.alpha, res.sigma)


@pytest.mark.parametrize("seed", [0, 1])
def test_market_adjusted_sigma_divides_by_m(seed: int) -> None:
    r, m = simulated(seed)
    res = fit(MarketAdjusted(), r, m)
    assert (res.model, res.k, res.n_obs, res.df) == ("market-adjusted", 0, r.size, r.size)
    assert (res.alpha, res.beta) == (0.0, 1.0)
    np.testing.assert_allclose(res.sigma**2, np.sum((r - m) ** 2) / r.size, rtol=1e-12)
    # the expected return is the benchmark's own
    np.testing.assert_allclose(res.expected(m[:3], np.ones(3)), m[:3], rtol=0, atol=0)


# ----------------------------------------------------------------------------------------------
# Five points worked by hand
# ----------------------------------------------------------------------------------------------
# m = [-2, -1, 0, 1, 2] %, r = [-1, 0, 2, 1, 3] %.
# m̄ = 0, r̄ = 1 %, Sxx = 10 (%²), Σ dm·dr = 4 + 1 + 0 + 0 + 4 = 9 (%²)
# β = 9/10 = 0.9, α = r̄ − β m̄ = 1 %
# residuals dr − β dm = [-0.2, -0.1, 1, -0.9, 0.2] %, SSR = 1.9 (%²), Syy = 10 (%²)
# market:          σ² = 1.9/(5 − 2) %², R² = 1 − 1.9/10 = 0.81
# constant mean:   μ = 1 %, σ² = Syy/(5 − 1) = 2.5 %²
# market-adjusted: r − m = [1, 1, 2, 0, 1] %, σ² = (1 + 1 + 4 + 0 + 1)/5 = 1.4 %²
HAND_M = np.array([-2.0, -1.0, 0.0, 1.0, 2.0]) / 100
HAND_R = np.array([-1.0, 0.0, 2.0, 1.0, 3.0]) / 100


def test_market_model_by_hand() -> None:
    res = fit(MarketModel(), HAND_R, HAND_M)
    assert res.alpha == pytest.approx(0.01, rel=1e-12)
    assert res.beta == pytest.approx(0.9, rel=1e-12)
    assert res.sigma == pytest.approx(np.sqrt(1.9 / 3) / 100, rel=1e-12)
    assert res.r2 == pytest.approx(0.81, rel=1e-12)
    assert res.mean_m == pytest.approx(0.0, abs=1e-18)
    assert res.sxx == pytest.approx(10e-4, rel=1e-12)
    assert (res.n_obs, res.df, res.start, res.end) == (5, 3, START, END)
    # expected return over one and two sessions: nα + β m
    np.testing.assert_allclose(res.expected(np.array([0.03, 0.01]), np.array([1.0, 2.0])),
                               [0.01 + 0.9 * 0.03, 0.02 + 0.9 * 0.01], rtol=1e-12)


def test_constant_mean_by_hand() -> None:
    res = fit(ConstantMean(), HAND_R, HAND_M)
    assert res.alpha == pytest.approx(0.01, rel=1e-12)
    assert res.sigma == pytest.approx(np.sqrt(2.5) / 100, rel=1e-12)
    assert res.df == 4
    np.testing.assert_allclose(res.expected(np.array([0.5, 0.5]), np.array([1.0, 3.0])),
                               [0.01, 0.03], rtol=1e-12)


def test_market_adjusted_by_hand() -> None:
    res = fit(MarketAdjusted(), HAND_R, HAND_M)
    assert res.sigma == pytest.approx(np.sqrt(1.4) / 100, rel=1e-12)
    assert res.df == 5


# ----------------------------------------------------------------------------------------------
# Degenerate inputs
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["market", "market-adjusted"])
def test_security_identical_to_benchmark_raises(name: str) -> None:
    _, m = simulated(5)
    with pytest.raises(EstimationError, match="zero variance"):
        fit(get_model(name), m.copy(), m)


def test_security_proportional_to_benchmark_raises() -> None:
    # r = α + β m exactly: the market model's residuals are zero (up to rounding)
    _, m = simulated(6)
    with pytest.raises(EstimationError, match="zero variance"):
        fit(MarketModel(), 0.001 + 1.5 * m, m)


@pytest.mark.parametrize("name", ["constant-mean", "market", "market-adjusted"])
def test_constant_security_prices_raise(name: str) -> None:
    # a constant price: every return zero, and the market-adjusted AR is zero too when m = 0
    with pytest.raises(EstimationError):
        fit(get_model(name), np.zeros(50), np.zeros(50))


@pytest.mark.parametrize("level", [0.0, 0.004, -0.013], ids=["zero", "positive", "negative"])
def test_zero_benchmark_variance_raises(level: float) -> None:
    r, _ = simulated(7, n=80)
    with pytest.raises(EstimationError, match="benchmark returns have zero variance"):
        fit(MarketModel(), r, np.full(80, level))


@pytest.mark.parametrize(
    ("name", "k"), [("market", 2), ("constant-mean", 1), ("market-adjusted", 0)]
)
def test_too_few_observations_raise(name: str, k: int) -> None:
    # t statistics need M − k − 2 > 0 (so that Var(SCAR) = (M−k)/(M−k−2) exists)
    r, m = simulated(8, n=k + 3)
    model = get_model(name)
    assert model.k == k
    with pytest.raises(EstimationError, match="cannot fit"):
        fit(model, r[: k + 2], m[: k + 2])
    res = fit(model, r, m)
    assert (res.n_obs, res.df) == (k + 3, 3)


def test_empty_sample_raises() -> None:
    with pytest.raises(EstimationError):
        fit(MarketModel(), np.array([]), np.array([]))


# ----------------------------------------------------------------------------------------------
# Choosing a model by name
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "cls"),
    [("market", MarketModel), ("constant-mean", ConstantMean),
     ("market-adjusted", MarketAdjusted)],
)
def test_get_model(name: str, cls: type) -> None:
    model = get_model(name)
    assert type(model) is cls and model.name == name
    assert model.needs_benchmark is (name != "constant-mean")


@pytest.mark.parametrize("name", ["Market", "ols", "", "constant_mean"])
def test_get_model_unknown_raises(name: str) -> None:
    with pytest.raises(EstimationError, match="unknown model") as info:
        get_model(name)
    assert isinstance(info.value, EventStudyError)  # the CLI catches this base class
    for known in MODELS:
        assert known in str(info.value)


def test_model_fit_is_frozen() -> None:
    res = fit(MarketModel(), HAND_R, HAND_M)
    assert isinstance(res, ModelFit)
    with pytest.raises(AttributeError):
        res.sigma = 1.0  # type: ignore[misc]
