"""Tests of eventstudy.inference.abnormal: AR, Var(AR), Var(CAR) and p-values (CLM 1997 §4.4).

Equivalence: the closed forms (``ar_variance``, ``car_variance``) against the matrix form
V = σ̂²[D + X*(X'X)⁻¹X*'] for each model (k = 2, 1, 0), including returns spanning n > 1
sessions (design row [n, R_m], D = diag(span)). Known answers: a one-day variance worked by
hand, p-values from the closed-form t(1) and t(2) distributions. Size and coverage: a
simulation from a market model, whose SAR and SCAR are exactly Student t(M − 2) under H0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from eventstudy.estimation.models import ConstantMean, MarketAdjusted, MarketModel, get_model
from eventstudy.inference.abnormal import (
    abnormal_returns,
    ar_covariance,
    ar_variance,
    car_variance,
    estimation_term,
    two_sided_p,
)

START, END = pd.Timestamp("2025-01-06"), pd.Timestamp("2025-12-30")


def design(k: int, first: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Design matrix with k columns: [first, m] (market), [first] (constant mean), none."""
    return np.column_stack([first, m][:k]) if k else np.empty((first.size, 0))


def random_case(seed: int, name: str):
    """A fit on M estimation returns and an event window of L returns, some spanning gaps."""
    rng = np.random.default_rng(seed)
    n_est, n_win = int(rng.integers(20, 260)), int(rng.integers(1, 25))
    m_est = rng.normal(5e-4, 0.012, n_est)
    r_est = 2e-4 + 0.9 * m_est + rng.normal(0, 0.018, n_est)
    fit = get_model(name).fit(r_est, m_est, START, END)
    span = rng.choice([1, 1, 1, 1, 2, 3, 5], size=n_win).astype(float)
    m_win = rng.normal(5e-4 * span, 0.012 * np.sqrt(span))  # the benchmark over span sessions
    return fit, m_est, m_win, span


CASES = [(name, seed) for name in ("market", "constant-mean", "market-adjusted")
         for seed in range(6)]


@pytest.mark.parametrize(("name", "seed"), CASES, ids=[f"{n}-{s}" for n, s in CASES])
def test_car_variance_closed_form_equals_matrix_form(name: str, seed: int) -> None:
    fit, m_est, m_win, span = random_case(seed, name)
    x = design(fit.k, np.ones_like(m_est), m_est)
    xs = design(fit.k, span, m_win)
    v = ar_covariance(fit.sigma, x, xs, span)
    gamma = np.ones(span.size)
    # the matrix form itself, written out here with an explicit inverse
    own = fit.sigma**2 * np.diag(span)
    if fit.k:
        own = own + fit.sigma**2 * xs @ np.linalg.inv(x.T @ x) @ xs.T
    np.testing.assert_allclose(v, own, rtol=1e-10, atol=0)
    np.testing.assert_allclose(car_variance(fit, m_win, span), gamma @ v @ gamma, rtol=1e-12)
    np.testing.assert_allclose(ar_variance(fit, m_win, span), np.diag(v), rtol=1e-12)
    # and every sub-window: γ selects days 0..j
    for j in range(span.size):
        g = (np.arange(span.size) <= j).astype(float)
        np.testing.assert_allclose(car_variance(fit, m_win[: j + 1], span[: j + 1]),
                                   g @ v @ g, rtol=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_car_variance_clm_formula_daily(seed: int) -> None:
    # CLM: σ̂²[L + L²/M + (Σ_window (R_m − R̄_m))² / Sxx] when no return spans a gap
    fit, m_est, m_win, _ = random_case(seed, "market")
    span = np.ones(m_win.size)
    L, M = span.size, m_est.size
    dm = m_est - m_est.mean()
    expected = fit.sigma**2 * (L + L**2 / M + np.sum(m_win - m_est.mean()) ** 2 / (dm @ dm))
    np.testing.assert_allclose(car_variance(fit, m_win, span), expected, rtol=1e-12)
    cm = ConstantMean().fit(m_est * 0.5 + np.linspace(-0.01, 0.01, M), m_est, START, END)
    np.testing.assert_allclose(car_variance(cm, m_win, span), cm.sigma**2 * (L + L**2 / M),
                               rtol=1e-12)
    ma = MarketAdjusted().fit(m_est * 0.5 + np.linspace(-0.01, 0.01, M), m_est, START, END)
    np.testing.assert_allclose(car_variance(ma, m_win, span), ma.sigma**2 * L, rtol=1e-12)


def test_one_day_variance_by_hand() -> None:
    # The five points of test_models: m = [-2..2] %, r = [-1, 0, 2, 1, 3] %:
    # M = 5, m̄ = 0, Sxx = 10 %², σ̂² = 1.9/3 %².
    # A day with R_m = 3 %: σ̂²[1 + 1/5 + (3 − 0)²/10] = (1.9/3)(2.1) %² = 1.33 %² = 1.33e-4.
    # A two-session return with R_m = 1 %: σ̂²[2 + 4/5 + (1 − 2·0)²/10] = (1.9/3)(2.9) %².
    # Constant mean on the same r: σ̂² = 2.5 %², one day σ̂²(1 + 1/5) = 3 %².
    m = np.array([-2.0, -1.0, 0.0, 1.0, 2.0]) / 100
    r = np.array([-1.0, 0.0, 2.0, 1.0, 3.0]) / 100
    fit = MarketModel().fit(r, m, START, END)
    got = ar_variance(fit, np.array([0.03, 0.01]), np.array([1.0, 2.0]))
    np.testing.assert_allclose(got, [1.33e-4, 1.9 / 3 * 2.9 * 1e-4], rtol=1e-12)
    cm = ConstantMean().fit(r, m, START, END)
    np.testing.assert_allclose(ar_variance(cm, np.array([0.5]), np.array([1.0])), [3e-4],
                               rtol=1e-12)
    # AR on that day: R − (α + β R_m) = 5 % − (1 % + 0.9·3 %) = 1.3 %
    np.testing.assert_allclose(abnormal_returns(fit, [0.05], [0.03], [1.0]), [0.013],
                               rtol=1e-12)


def test_estimation_term_market_adjusted_is_zero() -> None:
    fit = MarketAdjusted().fit(np.linspace(-0.01, 0.02, 30), np.zeros(30), START, END)
    np.testing.assert_array_equal(estimation_term(fit, np.ones(3), np.array([0.1, 0, -1])), 0)
    np.testing.assert_allclose(ar_variance(fit, np.array([0.1, 0.2]), np.array([1.0, 3.0])),
                               fit.sigma**2 * np.array([1.0, 3.0]), rtol=1e-15)


def test_car_variance_of_empty_window_is_nan() -> None:
    fit, *_ = random_case(0, "market")
    assert np.isnan(car_variance(fit, np.array([]), np.array([])))


# ----------------------------------------------------------------------------------------------
# p-values
# ----------------------------------------------------------------------------------------------


def test_two_sided_p_equals_scipy() -> None:
    t = np.array([-4.0, -1.96, -0.3, 0.0, 0.3, 1.0, 2.5, 10.0])
    for df in (1, 2, 5, 30, 238):
        np.testing.assert_allclose(two_sided_p(t, df), 2 * stats.t.sf(np.abs(t), df),
                                   rtol=1e-14)
        np.testing.assert_allclose(two_sided_p(t, df), two_sided_p(-t, df), rtol=0)


def test_two_sided_p_closed_forms() -> None:
    t = np.array([0.0, 0.5, 1.0, 3.0, 40.0])
    # t(1) is Cauchy: P(|T| > t) = 1 − (2/π) arctan t
    np.testing.assert_allclose(two_sided_p(t, 1), 1 - 2 / np.pi * np.arctan(t), rtol=1e-12)
    # t(2): P(|T| > t) = 1 − t / sqrt(t² + 2)
    np.testing.assert_allclose(two_sided_p(t, 2), 1 - t / np.sqrt(t**2 + 2), rtol=1e-10)
    assert np.isnan(two_sided_p(np.nan, 10))


# ----------------------------------------------------------------------------------------------
# Simulation: size of the t tests, Var(SCAR), recovery of an injected AR
# ----------------------------------------------------------------------------------------------

N_REP, M_EST, L_WIN, BETA, SIGMA, ALPHA = 2000, 120, 11, 1.2, 0.02, 2e-4
DAY0 = 5  # event days -5..5
JUMP = 0.08


@pytest.fixture(scope="module")
def simulation() -> dict[str, np.ndarray]:
    """Fit the market model on M = 120 days and score 11 event days, N_REP times."""
    rng = np.random.default_rng(20260107)
    m = rng.normal(4e-4, 0.012, (N_REP, M_EST + L_WIN))
    r = ALPHA + BETA * m + rng.normal(0.0, SIGMA, (N_REP, M_EST + L_WIN))
    span = np.ones(L_WIN)
    model = MarketModel()
    ar = np.empty((N_REP, L_WIN))
    var = np.empty((N_REP, L_WIN))
    car = np.empty(N_REP)
    car_var = np.empty(N_REP)
    ar_jump = np.empty(N_REP)
    df = np.empty(N_REP)
    for i in range(N_REP):
        fit = model.fit(r[i, :M_EST], m[i, :M_EST], START, END)
        m_win, r_win = m[i, M_EST:], r[i, M_EST:]
        ar[i] = abnormal_returns(fit, r_win, m_win, span)
        var[i] = ar_variance(fit, m_win, span)
        car[i] = ar[i].sum()
        car_var[i] = car_variance(fit, m_win, span)
        r_jump = r_win.copy()
        r_jump[DAY0] += JUMP
        ar_jump[i] = abnormal_returns(fit, r_jump, m_win, span)[DAY0]
        df[i] = fit.df
    return {"ar": ar, "var": var, "car": car, "car_var": car_var, "ar_jump": ar_jump, "df": df}


def test_simulation_df(simulation) -> None:
    assert np.all(simulation["df"] == M_EST - 2)


def test_ar_t_statistics_have_student_t_size(simulation) -> None:
    t = simulation["ar"] / np.sqrt(simulation["var"])
    p = two_sided_p(t, M_EST - 2)
    rate = np.mean(p < 0.05)
    assert 0.035 <= rate <= 0.065, rate
    # the same from the critical value of t(118)
    assert np.mean(np.abs(t) > stats.t.ppf(0.975, M_EST - 2)) == pytest.approx(rate)
    # under H0 p is uniform: each decile holds about a tenth
    deciles = np.histogram(p, bins=10, range=(0, 1))[0] / p.size
    assert np.all(np.abs(deciles - 0.1) < 0.015), deciles


def test_sar_and_scar_variance(simulation) -> None:
    # SAR and SCAR are t(M − k) under H0: variance (M − k)/(M − k − 2) = 118/116 ≈ 1.017.
    # Without the estimation-error terms Var(SCAR) would be about 1.2 here (L/M + ... ≈ 0.18).
    target = (M_EST - 2) / (M_EST - 4)
    sar = simulation["ar"] / np.sqrt(simulation["var"])
    assert np.mean(sar**2) == pytest.approx(target, abs=0.04)
    scar = simulation["car"] / np.sqrt(simulation["car_var"])
    assert np.var(scar) == pytest.approx(target, abs=0.1)
    assert np.mean(scar) == pytest.approx(0.0, abs=0.07)


def test_injected_abnormal_return_is_recovered(simulation) -> None:
    ar, se = simulation["ar_jump"], np.sqrt(simulation["var"][:, DAY0])
    assert np.mean(ar) == pytest.approx(JUMP, abs=0.002)
    half = stats.t.ppf(0.975, M_EST - 2) * se
    coverage = np.mean((ar - half <= JUMP) & (JUMP <= ar + half))
    assert 0.93 <= coverage <= 0.97, coverage
    # a 4σ jump is detected most of the time at the 5 % level
    assert np.mean(two_sided_p(ar / se, M_EST - 2) < 0.05) > 0.9
