"""Tests of eventstudy.estimation.kernel: the closed forms as functions of sums.

Known answers worked by hand on four returns; the sums path against statsmodels OLS and
against the matrix form σ̂²[D + X*(X'X)⁻¹X*'] (CLM 1997, eq. 4.4.9); invariance of the fit to
the centres the sums are taken about, including an ill-conditioned case where raw moments
would lose the digits.
"""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st

from eventstudy.estimation import kernel
from eventstudy.inference.abnormal import ar_covariance

# Hand example: m has mean 0 and Sxx = 0.001; r = 0.01 + 0.9 m + e with e = ±0.001
# orthogonal to 1 and m, so α = 0.01, β = 0.9, SSR = 4e-6, σ̂² = SSR / (4 − 2) = 2e-6.
M_HAND = np.array([-0.02, -0.01, 0.01, 0.02])
R_HAND = np.array([-0.007, 0.0, 0.018, 0.029])


def sums(r: np.ndarray, m: np.ndarray, c_r: float = 0.0, c_m: float = 0.0) -> tuple:
    rc, mc = r - c_r, m - c_m
    return (r.size, rc.sum(), mc.sum(), rc @ mc, mc @ mc, rc @ rc, c_r, c_m)


def test_market_model_hand_example() -> None:
    fit = kernel.market_model(*sums(R_HAND, M_HAND))
    assert fit.alpha == pytest.approx(0.01, rel=1e-12)
    assert fit.beta == pytest.approx(0.9, rel=1e-12)
    assert fit.ssr == pytest.approx(4e-6, rel=1e-9)
    assert fit.mean_m == pytest.approx(0.0, abs=1e-18)
    assert fit.sxx == pytest.approx(1e-3, rel=1e-12)
    assert fit.syy == pytest.approx(8.14e-4, rel=1e-12)
    s2 = kernel.sigma2(fit.ssr, 4, 2)
    assert s2 == pytest.approx(2e-6, rel=1e-9)
    # Var(AR) at R_m = 0.03: σ̂²(1 + 1/4 + 0.03²/0.001) = 2e-6 · 2.15
    var = kernel.ar_variance(s2, 2, 4, fit.mean_m, fit.sxx, 1.0, 0.03)
    assert var == pytest.approx(4.3e-6, rel=1e-9)
    # Var(CAR) over two days with Σ R_m = 0.04: σ̂²(2 + 4/4 + 0.04²/0.001) = 2e-6 · 4.6
    car = kernel.car_variance(s2, 2, 4, fit.mean_m, fit.sxx, 2.0, 0.04)
    assert car == pytest.approx(9.2e-6, rel=1e-9)


def test_constant_mean_and_market_adjusted_hand_examples() -> None:
    r = np.array([0.01, 0.03, 0.02, 0.00])  # μ = 0.015, SSR = 2·0.005² + 2·0.015² = 5e-4
    fit = kernel.constant_mean(4, r.sum(), r @ r)
    assert fit.mu == pytest.approx(0.015, rel=1e-12)
    assert fit.ssr == pytest.approx(5e-4, rel=1e-12)
    s2 = kernel.sigma2(fit.ssr, 4, 1)
    assert kernel.ar_variance(s2, 1, 4, np.nan, np.nan, 1.0, 0.7) == pytest.approx(
        5e-4 / 3 * 1.25, rel=1e-12)
    assert kernel.car_variance(s2, 1, 4, np.nan, np.nan, 3.0, 9.9) == pytest.approx(
        5e-4 / 3 * (3 + 9 / 4), rel=1e-12)
    # market-adjusted: σ̂² = Σ(r − m)²/M, Var(AR) = σ̂² n, nothing estimated
    d = r - M_HAND
    s2 = kernel.sigma2(d @ d, 4, 0)
    assert s2 == pytest.approx((d @ d) / 4, rel=1e-15)
    np.testing.assert_allclose(kernel.ar_variance(s2, 0, 4, np.nan, np.nan,
                                                  np.array([1.0, 2.0]), np.array([0.1, 5.0])),
                               [s2, 2 * s2], rtol=1e-15)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_market_model_matches_statsmodels(seed: int) -> None:
    rng = np.random.default_rng(seed)
    m = rng.normal(0.0005, 0.01, 240)
    r = 0.001 + 1.3 * m + rng.normal(0, 0.02, 240)
    ols = sm.OLS(r, sm.add_constant(m)).fit()
    for c_r, c_m in ((0.0, 0.0), (r.mean(), m.mean()), (0.3, -0.2)):
        fit = kernel.market_model(*sums(r, m, c_r, c_m))
        np.testing.assert_allclose(fit.alpha, ols.params[0], rtol=1e-10)
        np.testing.assert_allclose(fit.beta, ols.params[1], rtol=1e-10)
        np.testing.assert_allclose(kernel.sigma2(fit.ssr, 240, 2), ols.scale, rtol=1e-10)
        np.testing.assert_allclose(1 - fit.ssr / fit.syy, ols.rsquared, rtol=1e-9)


def test_centring_keeps_digits_when_raw_moments_cancel() -> None:
    """Returns far from zero relative to their spread: raw Σm² − (Σm)²/n cancels 12 digits."""
    rng = np.random.default_rng(7)
    m = 1.0 + rng.normal(0, 1e-6, 250)
    r = 0.5 + 0.8 * (m - 1.0) + rng.normal(0, 1e-6, 250)
    ols = sm.OLS(r, sm.add_constant(m)).fit()
    centred = kernel.market_model(*sums(r, m, r.mean(), m.mean()))
    np.testing.assert_allclose(centred.beta, ols.params[1], rtol=1e-9)
    np.testing.assert_allclose(kernel.sigma2(centred.ssr, 250, 2), ols.scale, rtol=1e-8)
    raw = kernel.market_model(*sums(r, m))
    assert abs(raw.beta - ols.params[1]) > 1e-6  # the failure mode the centres avoid


@pytest.mark.parametrize("k", [0, 1, 2])
def test_variances_equal_matrix_form_with_spans(k: int) -> None:
    """Closed forms over many pairs at once (broadcast) = γ'Vγ and diag V of the matrix form."""
    rng = np.random.default_rng(k)
    n_pairs, n_est, n_win = 25, 60, 7
    for i in range(n_pairs):
        m_est = rng.normal(0.001, 0.012, n_est)
        span = rng.integers(1, 4, n_win).astype(float)
        m_win = rng.normal(0, 0.01, n_win) * np.sqrt(span)
        x = np.column_stack([np.ones(n_est), m_est])[:, :k]
        xs = np.column_stack([span, m_win])[:, :k]
        s2 = rng.uniform(1e-4, 1e-3)
        v = ar_covariance(np.sqrt(s2), x, xs, span)
        mean_m, sxx = m_est.mean(), np.sum((m_est - m_est.mean()) ** 2)
        np.testing.assert_allclose(
            kernel.ar_variance(s2, k, n_est, mean_m, sxx, span, m_win), np.diag(v), rtol=1e-10)
        np.testing.assert_allclose(
            kernel.car_variance(s2, k, n_est, mean_m, sxx, span.sum(), m_win.sum()), v.sum(),
            rtol=1e-10)
        if i == 0:  # broadcast: (pairs, 1) parameters against (pairs, L) returns
            got = kernel.ar_variance(np.full((3, 1), s2), k, np.full((3, 1), n_est),
                                     np.full((3, 1), mean_m), np.full((3, 1), sxx), span,
                                     np.tile(m_win, (3, 1)))
            np.testing.assert_allclose(got, np.tile(np.diag(v), (3, 1)), rtol=1e-10)
            # into a caller's array (the batch engine writes se in place): same numbers
            into = np.full((3, n_win), np.nan)
            back = kernel.ar_variance(np.full((3, 1), s2), k, np.full((3, 1), n_est),
                                      np.full((3, 1), mean_m), np.full((3, 1), sxx), span,
                                      np.tile(m_win, (3, 1)), out=into)
            assert back is into
            np.testing.assert_array_equal(into, got)


def test_car_variance_nan_without_returns() -> None:
    out = kernel.car_variance(np.array([1e-4, 1e-4]), 2, 100, 0.0, 0.01, np.array([0.0, 3.0]),
                              np.array([0.0, 0.01]))
    assert np.isnan(out[0]) and np.isfinite(out[1])


def test_zero_variance_detectors() -> None:
    m = np.full(50, 0.01)
    fit = kernel.market_model(*sums(np.linspace(-0.01, 0.01, 50), m))
    assert kernel.zero_benchmark_variance(50, fit.sxx, m @ m)
    r = np.random.default_rng(0).normal(0, 0.01, 50)
    same = kernel.market_model(*sums(r, r, r.mean(), r.mean()))
    assert kernel.zero_residual_variance(50, same.ssr, r @ r)
    noisy = kernel.market_model(*sums(r + np.random.default_rng(1).normal(0, 1e-3, 50), r))
    assert not kernel.zero_residual_variance(50, noisy.ssr, r @ r)
    assert not kernel.zero_benchmark_variance(50, noisy.sxx, r @ r)
    # raw Σx² recovered from centred sums
    x, c = np.array([0.3, -0.1, 0.7]), 0.25
    assert kernel.raw_square_sum(3, (x - c).sum(), (x - c) @ (x - c), c) == pytest.approx(x @ x)


@settings(max_examples=40, deadline=None)
@given(st.floats(-0.5, 0.5), st.floats(-0.5, 0.5), st.integers(0, 2**32 - 1))
def test_fit_invariant_to_centres(c_r: float, c_m: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    m = rng.normal(0, 0.01, 80)
    r = rng.normal(0, 0.01, 80) + 0.7 * m
    a = kernel.market_model(*sums(r, m))
    b = kernel.market_model(*sums(r, m, c_r, c_m))
    np.testing.assert_allclose([b.alpha, b.beta, b.mean_m, b.sxx, b.ssr],
                               [a.alpha, a.beta, a.mean_m, a.sxx, a.ssr], rtol=1e-8, atol=1e-15)
