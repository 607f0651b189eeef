"""Tests of the design models: multi-factor, Dimson (1979) and Scholes–Williams (1977).

Known answers:
- a multi-factor fit on data built as design × θ + a residual vector orthogonal to the design
  (so θ and σ̂ = ||e|| / sqrt(M − k) are known before fitting);
- the general variance σ̂²[D + Z*(X'X)⁻¹Z*'] against the matrix form written out here from the
  estimation design (not from the fit's stored inverse), with spans;
- one factor: the general path reproduces the market model's closed forms (methods.md);
- simulated non-synchronous prices (the stock's close is its last trade, a random time before
  the market's close): OLS is attenuated by E[delay], Dimson and Scholes–Williams are not.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eventstudy.errors import EstimationError
from eventstudy.estimation.models import (
    Dimson,
    MarketModel,
    MultiFactor,
    ScholesWilliams,
    get_model,
)
from eventstudy.estimation.returns import shifted_returns
from eventstudy.events import load_events
from eventstudy.inference import abnormal
from eventstudy.prices import embedded, open_source
from eventstudy.study.pair import study_pair

START, END = pd.Timestamp("2025-01-06"), pd.Timestamp("2025-12-30")
DATA = Path(embedded.__file__).resolve().parent / "data"


def orthogonal_residual(design: np.ndarray, rng: np.random.Generator, scale: float
                        ) -> np.ndarray:
    """A random vector with zero projection on the columns of ``design``."""
    e = rng.normal(0.0, scale, design.shape[0])
    q, _ = np.linalg.qr(design)
    return e - q @ (q.T @ e)


@pytest.fixture
def factor_data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    m = 120
    x = np.column_stack([rng.normal(0, 0.01, m), rng.normal(0, 0.006, m), rng.normal(0, 0.02, m)])
    theta = np.array([4e-4, 1.1, -0.35, 0.2])
    design = np.column_stack([np.ones(m), x])
    e = orthogonal_residual(design, rng, 0.015)
    return x, design @ theta + e, theta, e


def test_multi_factor_recovers_known_coefficients(factor_data) -> None:
    x, r, theta, e = factor_data
    fit = MultiFactor(["A", "B", "C"]).fit(r, x, START, END)
    assert (fit.k, fit.n_obs, fit.df) == (4, 120, 116)  # k = 1 + #factors in every df
    np.testing.assert_allclose(fit.coef, theta, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(fit.sigma, np.sqrt(e @ e / (120 - 4)), rtol=1e-12)
    assert fit.regressors == ("A", "B", "C")
    assert dict(fit.params)["beta[B]"] == pytest.approx(-0.35, rel=1e-10)


def test_multi_factor_variance_equals_matrix_form(factor_data) -> None:
    x, r, _, _ = factor_data
    fit = MultiFactor(["A", "B", "C"]).fit(r, x, START, END)
    rng = np.random.default_rng(3)
    span = np.array([1.0, 1.0, 3.0, 1.0, 2.0])  # two returns span missing prices
    x_event = rng.normal(0, 0.01, (5, 3)) * span[:, None]
    v = abnormal.ar_covariance(fit.sigma, np.column_stack([np.ones(120), x]),
                               np.column_stack([span, x_event]), span)
    np.testing.assert_allclose(abnormal.general_ar_variance(fit, x_event, span), np.diag(v),
                               rtol=1e-12)
    for lo, hi in [(0, 1), (0, 5), (2, 4)]:
        g = np.zeros(5)
        g[lo:hi] = 1.0
        sel = g.astype(bool)
        np.testing.assert_allclose(
            abnormal.general_car_variance(fit, x_event[sel], span[sel]), g @ v @ g, rtol=1e-12)
    # and the dispatcher picks the general path for a design fit
    np.testing.assert_allclose(abnormal.pair_ar_variance(fit, x_event, span), np.diag(v),
                               rtol=1e-12)


def test_one_factor_general_path_equals_market_model_closed_form() -> None:
    rng = np.random.default_rng(11)
    m = rng.normal(0, 0.01, 200)
    r = 2e-4 + 0.9 * m + rng.normal(0, 0.02, 200)
    general = MultiFactor(["M"]).fit(r, m[:, None], START, END)
    closed = MarketModel().fit(r, m, START, END)
    np.testing.assert_allclose(general.coef, [closed.alpha, closed.beta], rtol=1e-10)
    np.testing.assert_allclose(general.sigma, closed.sigma, rtol=1e-12)
    assert general.df == closed.df == 198
    m_event, span = np.array([0.01, -0.03, 0.002, 0.015]), np.array([1.0, 2.0, 1.0, 1.0])
    np.testing.assert_allclose(abnormal.general_ar_variance(general, m_event, span),
                               abnormal.ar_variance(closed, m_event, span), rtol=1e-10)
    np.testing.assert_allclose(abnormal.general_car_variance(general, m_event, span),
                               abnormal.car_variance(closed, m_event, span), rtol=1e-10)
    np.testing.assert_allclose(general.expected(m_event, span),
                               closed.expected(m_event, span), rtol=1e-10)


def test_dimson_k_and_variance_of_summed_beta_prediction() -> None:
    rng = np.random.default_rng(5)
    n = 300
    mkt = rng.normal(0, 0.01, n + 4)
    lagged = np.column_stack([mkt[2 + j: 2 + j + n] for j in (-2, -1, 0, 1, 2)])
    r = 1e-4 + lagged @ np.array([0.1, 0.3, 0.8, 0.05, 0.0]) + rng.normal(0, 0.02, n)
    model = Dimson(lags=2)
    assert model.shifts == (-2, -1, 0, 1, 2) and model.k == 6
    assert (Dimson(lags=1, leads=0).k, Dimson(lags=0).k, ScholesWilliams().k) == (3, 2, 2)
    fit = model.fit(r, lagged, START, END)
    assert fit.df == n - 6
    design = np.column_stack([np.ones(n), lagged])
    theta = np.linalg.lstsq(design, r, rcond=None)[0]
    np.testing.assert_allclose(fit.beta, theta[1:].sum(), rtol=1e-10)
    np.testing.assert_allclose(fit.alpha, theta[0], rtol=1e-9)
    # AR uses the summed beta on R_m,t; σ̂² is the mean square of those ARs over M − k
    ar = r - theta[0] - theta[1:].sum() * lagged[:, 2]
    np.testing.assert_allclose(fit.sigma, np.sqrt(ar @ ar / (n - 6)), rtol=1e-10)
    # event-window prediction rows [n, R_m, R_m, R_m, R_m, R_m] against the full (X'X)⁻¹
    m_event, span = np.array([0.02, -0.01, 0.004]), np.array([1.0, 1.0, 2.0])
    x_star = np.column_stack([span, *([m_event] * 5)])
    v = fit.sigma**2 * (np.diag(span) + x_star @ np.linalg.solve(design.T @ design, x_star.T))
    np.testing.assert_allclose(abnormal.general_ar_variance(fit, m_event, span), np.diag(v),
                               rtol=1e-10)
    np.testing.assert_allclose(abnormal.general_car_variance(fit, m_event, span), v.sum(),
                               rtol=1e-10)


def test_multi_factor_needs_factors_and_rejects_collinear_ones() -> None:
    with pytest.raises(EstimationError, match="factors"):
        get_model("multi-factor")
    rng = np.random.default_rng(1)
    f = rng.normal(0, 0.01, 100)
    with pytest.raises(EstimationError, match="collinear"):
        MultiFactor(["A", "B"]).fit(rng.normal(0, 0.01, 100), np.column_stack([f, 2 * f]),
                                    START, END)
    with pytest.raises(EstimationError, match="zero variance"):
        MultiFactor(["A", "B"]).fit(rng.normal(0, 0.01, 100),
                                    np.column_stack([f, np.full(100, 0.01)]), START, END)


def test_shifted_returns_align_lags_and_leads_on_the_grid() -> None:
    grid = pd.bdate_range("2025-01-06", periods=6)
    level = pd.Series([100.0, 101.0, 99.0, np.nan, 102.0, 103.0], index=grid)
    out = shifted_returns(level, grid, (-1, 0, 1))
    r = np.log([np.nan, 101 / 100, 99 / 101, np.nan, np.nan, 103 / 102])
    np.testing.assert_allclose(out[:, 1], r)  # contemporaneous: one-session returns only
    np.testing.assert_allclose(out[1:, 0], r[:-1])  # lag: row t holds R_{t-1}
    np.testing.assert_allclose(out[:-1, 2], r[1:])  # lead: row t holds R_{t+1}
    assert np.isnan(out[0, 0]) and np.isnan(out[-1, 2])


# ----------------------------------------------------------------------------------------------
# Non-synchronous trading: beta recovery (Scholes & Williams 1977; Dimson 1979)
# ----------------------------------------------------------------------------------------------


def nonsynchronous(seed: int, days: int = 2500, beta: float = 1.2, steps: int = 10,
                   max_delay: float = 0.8) -> tuple[np.ndarray, np.ndarray]:
    """Daily returns of a market observed at the close and a stock observed at its last trade.

    Log prices follow random walks on ``steps`` intraday steps; the stock's true log price is
    β × market + idiosyncratic. Its recorded close on day t is its price at a random time
    U(0, ``max_delay``) of a day before the close, so OLS on same-day returns estimates
    β(1 − E[delay]) and the lag-one covariance carries the rest (SW 1977, section 2).
    """
    rng = np.random.default_rng(seed)
    n = days * steps
    market = np.concatenate([[0.0], np.cumsum(rng.normal(0, 0.01 / np.sqrt(steps), n))])
    stock = beta * market + np.concatenate(
        [[0.0], np.cumsum(rng.normal(0, 0.015 / np.sqrt(steps), n))])
    close = np.arange(1, days + 1) * steps
    delay = rng.integers(0, int(max_delay * steps) + 1, days)
    m_price, s_price = market[close], stock[close - delay]
    return np.diff(s_price), np.diff(m_price)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_dimson_and_scholes_williams_recover_beta_where_ols_is_attenuated(seed: int) -> None:
    beta = 1.2
    r, m = nonsynchronous(seed, beta=beta)
    lag, lead = np.roll(m, 1), np.roll(m, -1)
    keep = slice(1, -1)  # the sample on which lag and lead exist
    x = np.column_stack([lag, m, lead])[keep]
    r = r[keep]
    ols = MarketModel().fit(r, x[:, 1], START, END).beta
    dimson = Dimson(lags=1).fit(r, x, START, END).beta
    sw = ScholesWilliams().fit(r, x, START, END).beta
    # E[delay] = 0.4 of a day: OLS converges to 0.6 β = 0.72
    assert ols == pytest.approx(0.6 * beta, abs=0.08)
    assert dimson == pytest.approx(beta, abs=0.08)
    assert sw == pytest.approx(beta, abs=0.08)


def test_scholes_williams_formula_on_its_parts() -> None:
    r, m = nonsynchronous(4, days=400)
    x = np.column_stack([np.roll(m, 1), m, np.roll(m, -1)])[1:-1]
    r = r[1:-1]
    fit = ScholesWilliams().fit(r, x, START, END)
    p = dict(fit.params)
    slopes = [np.polyfit(x[:, j], r, 1)[0] for j in range(3)]
    np.testing.assert_allclose([p["beta[-1]"], p["beta[+0]"], p["beta[+1]"]], slopes,
                               rtol=1e-9)
    rho = np.corrcoef(x[:, 1], x[:, 0])[0, 1]
    np.testing.assert_allclose(fit.beta, sum(slopes) / (1 + 2 * rho), rtol=1e-9)
    np.testing.assert_allclose(fit.alpha, r.mean() - fit.beta * x[:, 1].mean(), rtol=1e-9,
                               atol=1e-15)
    ar = r - fit.alpha - fit.beta * x[:, 1]
    np.testing.assert_allclose(fit.sigma, np.sqrt(ar @ ar / (r.size - 2)), rtol=1e-10)


def test_on_the_data_liquid_betas_agree_and_the_seed_names_are_not_thin() -> None:
    """Zero-return fractions from the raw CSVs over the dual-use-ban estimation window: the
    seed names trade every day (< 5 % zero returns), Arafura (ARU.AX, half-cent ticks) is the
    thin name of the dataset (> 15 %). For a liquid ASX 200 ETF (IOZ.AX) the OLS, Dimson and
    Scholes–Williams betas agree: nothing to correct, so the corrections add no bias."""
    calendar = load_events(Path(__file__).resolve().parents[1] / "eventstudy" / "events.toml")
    event, source = calendar.event("dual-use-ban"), open_source(None)
    zeros = {}
    for ticker in ("ARU.AX", "IOZ.AX", "LYC.AX", "6330.T"):
        security = calendar.security(ticker)
        base = calendar.settings(event, security)
        fits = {m: study_pair(calendar, event, security, replace(base, model=m), source)
                for m in ("market", "dimson", "scholes-williams")}
        fit = fits["market"].estimation
        close = pd.read_csv(DATA / f"{ticker}.csv", index_col="date", parse_dates=True)["close"]
        close = close[(close.index >= fit.start) & (close.index <= fit.end)]
        zeros[ticker] = float(np.mean(np.diff(np.log(close.to_numpy())) == 0))
        if ticker == "IOZ.AX":
            betas = [p.estimation.beta for p in fits.values()]
            assert max(betas) - min(betas) < 0.1
            dimson = fits["dimson"].estimation
            assert (dimson.k, dimson.df) == (4, dimson.n_obs - 4)
    assert zeros["ARU.AX"] > 0.15
    assert max(zeros["IOZ.AX"], zeros["LYC.AX"], zeros["6330.T"]) < 0.05
