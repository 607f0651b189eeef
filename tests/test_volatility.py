"""Event-induced volatility (eventstudy.inference.volatility): the Parkinson (1980) high-low
variance against a hand value and a simulated Brownian motion; the variance-ratio F test and
its pooled χ² against scipy.stats' closed forms; size and power by simulated market-model
studies."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from eventstudy.errors import EstimationError
from eventstudy.inference.volatility import (
    parkinson_variance,
    pooled_variance_ratio,
    variance_ratio,
)

# --- Parkinson -------------------------------------------------------------------------------

def test_parkinson_hand_value_and_missing():
    # ln(1.1) = 0.0953101798, squared 0.0090840304, over 4 ln 2 = 2.7725887222: 0.0032763714
    assert parkinson_variance(110.0, 100.0) == pytest.approx(0.0032763714, rel=1e-8)
    assert parkinson_variance(5.0, 5.0) == 0.0
    out = parkinson_variance([110, np.nan, 100, 0, 10, 12], [100, 90, 110, 1, -1, np.inf])
    assert out[0] == pytest.approx(0.0032763714, rel=1e-8)
    assert np.isnan(out[1:]).all()  # missing, high < low, zero, negative, infinite
    grid = parkinson_variance(np.array([[110.0], [121.0]]), np.array([100.0, 110.0]))
    assert grid.shape == (2, 2)
    assert grid[1, 0] == pytest.approx(4 * 0.0032763714, rel=1e-7)  # ln 1.21 = 2 ln 1.1


def _bm_days(days: int, steps: int, sigma: float, rng, exact: bool) -> np.ndarray:
    """Parkinson variances of ``days`` Brownian log-price paths with variance σ² a day. With
    ``exact``, each step's extremes are drawn from the Brownian bridge between its end points
    (max = (a + b + √((b − a)² + 2 v E))/2, E exponential, v the step's variance), so the
    day's range is that of the continuous path (up to the max and min of one step being drawn
    independently); otherwise the range of the ``steps``-step random walk."""
    x = np.cumsum(rng.normal(0.0, sigma / math.sqrt(steps), (days, steps)), axis=1)
    x = np.concatenate([np.zeros((days, 1)), x], axis=1)
    if not exact:
        return parkinson_variance(np.exp(x.max(1)), np.exp(x.min(1)))
    a, b = x[:, :-1], x[:, 1:]
    v = sigma**2 / steps
    top = (a + b + np.sqrt((b - a) ** 2 + 2 * v * rng.standard_exponential(a.shape))) / 2
    bottom = (a + b - np.sqrt((b - a) ** 2 + 2 * v * rng.standard_exponential(a.shape))) / 2
    return parkinson_variance(np.exp(top.max(1)), np.exp(bottom.min(1)))


def test_parkinson_is_unbiased_for_brownian_motion():
    """E[(ln H/L)²/(4 ln 2)] = σ² for continuous paths: 20,000 days, mean within 4 of its own
    standard errors (≈ 0.45 % of σ²; the bridge's one-step independence adds < 0.2 %, measured
    over 200,000 days). The 390-step random walk's range is biased down by ≈ 7 %: discrete
    sampling, which the same check rejects."""
    rng = np.random.default_rng(1980)
    sigma = 0.02
    v = _bm_days(20_000, 10, sigma, rng, exact=True)
    se = v.std(ddof=1) / math.sqrt(v.size)
    assert abs(v.mean() - sigma**2) < 4 * se
    assert se < 0.006 * sigma**2
    walk = _bm_days(5_000, 390, sigma, rng, exact=False)
    se_walk = walk.std(ddof=1) / math.sqrt(walk.size)
    assert sigma**2 - walk.mean() > 4 * se_walk
    assert walk.mean() / sigma**2 == pytest.approx(0.93, abs=0.03)


# --- variance ratio: closed forms -------------------------------------------------------------

def test_one_day_f_equals_the_two_sided_t():
    sar = np.array([-3.1, -1.2, 0.0, 0.4, 1.96, 2.5])
    df = np.array([5.0, 30.0, 100.0, 248.0, 1000.0, 60.0])
    out = variance_ratio(sar[:, None] * 0.02, np.full((6, 1), 0.02), df)
    np.testing.assert_allclose(out.p, 2 * stats.t.sf(np.abs(sar), df), rtol=1e-10)
    np.testing.assert_allclose(out.f, sar**2, rtol=1e-12)
    np.testing.assert_array_equal(out.df1, 1.0)
    np.testing.assert_array_equal(out.df2, df)


def test_variance_ratio_hand_example():
    ar = np.array([[0.02, -0.01, np.nan, 0.03], [np.nan, np.nan, np.nan, np.nan],
                   [0.01, 0.01, 0.01, 0.01]])
    se = np.array([[0.01, 0.01, 0.02, 0.015], [0.01, 0.01, 0.01, 0.01],
                   [0.01, 0.0, 0.01, np.nan]])
    out = variance_ratio(ar, se, [98, 120, 248], est_sar2_mean=[0.98, 1.0, 0.5])
    f0 = (4.0 + 1.0 + 4.0) / 3
    assert out.f[0] == pytest.approx(f0)
    assert out.df1.tolist() == [3.0, 0.0, 2.0]  # NaN AR; zero or missing se dropped
    assert out.p[0] == pytest.approx(stats.f.sf(f0, 3, 98), rel=1e-10)
    assert out.ratio[0] == pytest.approx(f0 / 0.98)
    assert np.isnan([out.f[1], out.p[1], out.ratio[1]]).all()
    assert out.f[2] == pytest.approx(1.0) and out.ratio[2] == pytest.approx(2.0)
    assert out.p[2] == pytest.approx(stats.f.sf(1.0, 2, 248), rel=1e-10)
    one = variance_ratio([0.02, -0.01, np.nan, 0.03], [0.01, 0.01, 0.02, 0.015], 98)
    assert one.f.shape == (1,) and one.f[0] == pytest.approx(f0)  # a 1-D AR is one pair
    with pytest.raises(EstimationError, match="do not match"):
        variance_ratio(ar, se[:, :2], 98)


def test_pooled_closed_form():
    f = np.array([1.4, 0.8, np.nan, 2.0, 1.1])
    df1 = np.array([11, 11, 11, 0, 5])
    df2 = np.array([198, 98, 198, 100, 2])  # pair 3: no day, pair 4: df2 ≤ 2: left out
    out = pooled_variance_ratio(f, df1, df2)
    total = 11 * 1.4 * 196 / 198 + 11 * 0.8 * 96 / 98  # H0 mean 22
    var = 2 * 11 * (11 + 198 - 2) / (198 - 4) + 2 * 11 * (11 + 98 - 2) / (98 - 4)
    c, nu = var / (2 * 22), 2 * 22**2 / var  # Satterthwaite: total / c ~ chi2(nu)
    assert out.statistic == pytest.approx(total / c, rel=1e-12)
    assert out.dof == pytest.approx(nu, rel=1e-12) and out.n == 2
    assert out.p == pytest.approx(stats.chi2.sf(total / c, nu), rel=1e-10)
    # the scaled statistic has the sum's H0 mean and variance: ν c = 22, 2 ν c² = var
    assert (nu * c, 2 * nu * c * c) == pytest.approx((22, var), rel=1e-12)
    assert out.mean_ratio == pytest.approx(1.1)
    statistic, dof, p = out  # unpacks as (statistic, dof, p)
    assert (statistic, dof, p) == (out.statistic, out.dof, out.p)
    empty = pooled_variance_ratio([np.nan], [3], [100])
    assert empty.n == 0 and empty.dof == 0 and math.isnan(empty.p)


# --- size and power by simulation -----------------------------------------------------------

M, L, N = 200, 11, 30


def _studies(n_studies: int, mult: float, rng):
    """Market-model pairs (M estimation, L event returns): OLS fits and prediction-error
    standard errors se² = σ̂²(1 + 1/M + (m − m̄)²/Sxx), written out; the event window's error
    variance ``mult`` times the estimation window's. Rows = studies × pairs."""
    shape = (n_studies, N)
    m_est = rng.normal(5e-4, 0.01, (*shape, M))
    m_evt = rng.normal(5e-4, 0.01, (*shape, L))
    e_est = rng.normal(0.0, 0.02, (*shape, M))
    e_evt = rng.normal(0.0, 0.02 * math.sqrt(mult), (*shape, L))
    m_bar = m_est.mean(-1, keepdims=True)
    sxx = ((m_est - m_bar) ** 2).sum(-1, keepdims=True)
    # R = α + β m + e: the OLS errors (α̂ − α, β̂ − β) and residuals depend on e only
    d_beta = ((m_est - m_bar) * e_est).sum(-1, keepdims=True) / sxx
    d_alpha = e_est.mean(-1, keepdims=True) - d_beta * m_bar
    resid = e_est - d_alpha - d_beta * m_est
    s2 = (resid**2).sum(-1, keepdims=True) / (M - 2)
    ar = e_evt - d_alpha - d_beta * m_evt
    se = np.sqrt(s2 * (1 + 1 / M + (m_evt - m_bar) ** 2 / sxx))
    est = (resid**2).mean(-1) / s2[..., 0]
    return ar.reshape(-1, L), se.reshape(-1, L), est.reshape(-1)


def test_size_of_the_pair_and_pooled_tests():
    """2,000 studies of 30 pairs under H0: the per-pair F test rejects 5.0 % (60,000 tests,
    SE 0.09 %) and the pooled test, Satterthwaite-scaled, 4.8 % over 10,000 studies (the
    unscaled χ²(Σ L) rejected 5.9 %: see the module's notes)."""
    rng = np.random.default_rng(20240601)
    pair, pooled = [], []
    for _ in range(4):
        ar, se, est = _studies(500, 1.0, rng)
        vr = variance_ratio(ar, se, M - 2, est)
        assert vr.df1.min() == L
        pair.append(vr.p < 0.05)
        for f, d1, d2 in zip(vr.f.reshape(500, N), vr.df1.reshape(500, N),
                             vr.df2.reshape(500, N), strict=True):
            pooled.append(pooled_variance_ratio(f, d1, d2).p < 0.05)
        ratio = vr.ratio
    assert 0.04 <= np.mean(pair) <= 0.06
    assert 0.035 <= np.mean(pooled) <= 0.065
    assert np.mean(ratio) == pytest.approx(M / (M - 2), abs=0.02)  # E F · M/(M − k)


def test_power_with_the_event_variance_four_times():
    rng = np.random.default_rng(7)
    ar, se, est = _studies(100, 4.0, rng)
    vr = variance_ratio(ar, se, M - 2, est)
    assert np.mean(vr.p < 0.05) > 0.80  # ≈ 92 %
    assert np.median(vr.ratio) == pytest.approx(4.0 * (L - 0.7) / L, rel=0.1)
    pooled = [pooled_variance_ratio(f, L, M - 2).p for f in vr.f.reshape(100, N)]
    assert max(pooled) < 1e-6
