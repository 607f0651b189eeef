"""Known answers, worked by hand on tiny inputs, for every test of methods.md.

Each expected value is derived in the comment above it from the formula of methods.md (or the
cited paper), not from the code's output.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from eventstudy.inference import significance as sig


def close(a: float, b: float, tol: float = 1e-9) -> bool:
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)


# --- parametric -------------------------------------------------------------------------------


def test_csect_t_known_answer() -> None:
    # x = 1, 2, 3: mean 2, s = 1, t = 2 / (1/√3) = 2√3; t(2) has F(t) = 1/2 + t/(2√(2+t²)),
    # so p = 1 − t/√(2 + t²) = 1 − 2√3/√14.
    r = sig.csect_t([1.0, 2.0, 3.0])
    assert close(r.stat, 2 * math.sqrt(3))
    assert close(r.p, 1 - 2 * math.sqrt(3) / math.sqrt(14))
    assert r.dist == "t(2)" and r.reason is None


def test_csect_t_ignores_nan_and_is_undefined_below_two() -> None:
    assert close(sig.csect_t([1.0, np.nan, 2.0, 3.0]).stat, 2 * math.sqrt(3))
    r = sig.csect_t([0.5, np.nan])
    assert math.isnan(r.stat) and math.isnan(r.p) and "N >= 2, has 1" in r.reason
    r = sig.csect_t([0.5, 0.5, 0.5])
    assert math.isnan(r.stat) and r.reason == "zero cross-sectional dispersion"


def test_patell_z_known_answer() -> None:
    # SAR = 1, 2, −0.5 with df 10, 10, 6: Σ SAR = 2.5; Σ df/(df−2) = 1.25 + 1.25 + 1.5 = 4;
    # z = 2.5 / 2 = 1.25, p = 2(1 − Φ(1.25)) = 0.2112995473.
    r = sig.patell_z([1.0, 2.0, -0.5], [10, 10, 6])
    assert close(r.stat, 1.25)
    assert close(r.p, 0.2112995473337106, 1e-9)
    assert r.dist == "N(0,1)"


def test_patell_needs_more_than_two_df() -> None:
    r = sig.patell_z([1.0, 2.0], [10, 2])
    assert math.isnan(r.stat) and "M − k <= 2" in r.reason


def test_adj_patell_z_known_answer_and_zero_r_bar() -> None:
    # N = 3, r̄ = 0.5: 1 + (N − 1) r̄ = 2, z = 1.25 / √2.
    r = sig.adj_patell_z([1.0, 2.0, -0.5], [10, 10, 6], 0.5)
    assert close(r.stat, 1.25 / math.sqrt(2))
    # r̄ = 0: identical to Patell (KP 2010).
    assert close(sig.adj_patell_z([1.0, 2.0, -0.5], [10, 10, 6], 0.0).stat, 1.25)
    r = sig.adj_patell_z([1.0, 2.0, -0.5], [10, 10, 6], math.nan)
    assert math.isnan(r.stat) and "r̄ undefined" in r.reason


def test_bmp_and_kp_bmp_known_answer() -> None:
    # SAR = 1, 2, 3: BMP = 2√3 (as csect_t); r̄ = 0.25, N = 3:
    # √((1 − 0.25)/(1 + 2·0.25)) = √0.5, KP-BMP = 2√3·√0.5 = √6.
    assert close(sig.bmp_t([1.0, 2.0, 3.0]).stat, 2 * math.sqrt(3))
    r = sig.kp_bmp_t([1.0, 2.0, 3.0], 0.25)
    assert close(r.stat, math.sqrt(6))
    assert r.dist == "t(2)"
    assert close(sig.kp_bmp_t([1.0, 2.0, 3.0], 0.0).stat, 2 * math.sqrt(3))


def test_j1_and_j2_known_answers() -> None:
    # CAR 0.01, 0.03 with se 0.01, 0.02: CAAR 0.02, se = √((1e-4 + 4e-4)/4) = √1.25e-4.
    assert close(sig.j1([0.01, 0.03], [0.01, 0.02]).stat, 0.02 / math.sqrt(1.25e-4))
    # J2 = √(N(M−k−2)/(M−k)) · mean SCAR; N = 2, M − k = 10: √(2·8/10) · 1.5.
    r = sig.j2([1.0, 2.0], [10, 10])
    assert close(r.stat, math.sqrt(2 * 8 / 10) * 1.5)


def test_cda_t_known_answer() -> None:
    # mean CAR 0.03 over L = 4 days, S(AAR) = 0.01: t = 0.03 / (√4 · 0.01) = 1.5, df 9.
    r = sig.cda_t([0.02, 0.04], 0.01, 9, 4)
    assert close(r.stat, 1.5) and r.dist == "t(9)"
    assert math.isnan(sig.cda_t([0.02, 0.04], 0.0, 9).stat)


def test_skew_t_known_answer() -> None:
    # x = 0, 0, 3: mean 1, deviations −1, −1, 2, s² = 6/2 = 3; γ̂ = (−1 − 1 + 8)/(3·(√3)³)
    # = 6/(9√3); S = 1/√3; t = √3 (S + γ̂S²/3 + γ̂²S³/27 + γ̂/18) = 1.11294
    s, g = 1 / math.sqrt(3), 6 / (9 * math.sqrt(3))
    expected = math.sqrt(3) * (s + g * s**2 / 3 + g**2 * s**3 / 27 + g / 18)
    assert close(expected, 1.11294, 1e-5)
    r = sig.skew_t([0.0, 0.0, 3.0])
    assert close(r.stat, expected)
    # symmetric data: γ̂ = 0 and the statistic is the plain t.
    assert close(sig.skew_t([1.0, 2.0, 3.0]).stat, 2 * math.sqrt(3))


# --- nonparametric ----------------------------------------------------------------------------


def test_sign_and_generalized_sign_known_answers() -> None:
    # W = 3 positive of N = 4: (3 − 2)/√1 = 1.
    x = [1.0, 2.0, -1.0, 3.0]
    assert close(sig.sign_z(x).stat, 1.0)
    # p̂ = mean(0.4, 0.6, 0.5, 0.5) = 0.5: the same z.
    assert close(sig.gsign_z(x, [0.4, 0.6, 0.5, 0.5]).stat, 1.0)
    # p̂ = 0.4: (3 − 1.6)/√(4·0.4·0.6).
    assert close(sig.gsign_z(x, [0.4] * 4).stat, 1.4 / math.sqrt(0.96))
    assert "p̂ is 0 or 1" in sig.gsign_z(x, [1.0] * 4).reason


def test_positive_fraction_per_pair() -> None:
    e = np.array([[0.1, -0.2, 0.3, np.nan], [-0.1, -0.1, 0.2, 0.4]])
    assert np.allclose(sig.positive_fraction(e), [2 / 3, 0.5])


def test_wilcoxon_known_answers() -> None:
    # |x| ranks 1..4, W⁺ = 1 + 3 + 4 = 8; mean N(N+1)/4 = 5; var 4·5·9/24 = 7.5.
    assert close(sig.wilcoxon_z([1.0, -2.0, 3.0, 4.0]).stat, 3 / math.sqrt(7.5))
    # zeros are dropped: N = 2, W⁺ = 1, mean 1.5, var 2·3·5/24 = 1.25.
    assert close(sig.wilcoxon_z([0.0, 1.0, -2.0]).stat, -0.5 / math.sqrt(1.25))
    # ties averaged: |x| = 1, 1, 2 -> ranks 1.5, 1.5, 3; W⁺ = 4.5; mean 3; var 3.5.
    assert close(sig.wilcoxon_z([1.0, -1.0, 2.0]).stat, 1.5 / math.sqrt(3.5))


def test_average_ranks_ties_and_nan() -> None:
    r = sig.average_ranks([3.0, 1.0, np.nan, 1.0])
    assert np.allclose(r[[0, 1, 3]], [3.0, 1.5, 1.5]) and np.isnan(r[2])


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, (3, 7), elements=st.sampled_from([np.nan, -1.0, 0.0, 0.5, 2.0, 3.5])))
def test_average_ranks_match_scipy(x: np.ndarray) -> None:
    from scipy.stats import rankdata

    expected = rankdata(x, axis=-1, nan_policy="omit")
    assert np.allclose(sig.average_ranks(x), expected, equal_nan=True)


def test_rank_z_known_answer() -> None:
    # Two pairs, days (est, est, event). Pair 1: 0.1, 0.3, 0.5 -> ranks 1, 2, 3; pair 2:
    # 0.2, −0.1, 0.4 -> 2, 1, 3. T = 3: U = K/4 − 1/2 -> (−.25, 0, .25), (0, −.25, .25).
    # Ū = (−.125, −.125, .25); S_U = √((.015625·2 + .0625)/3) = √.03125; z = .25/√.03125 = √2.
    x = np.array([[0.1, 0.3, 0.5], [0.2, -0.1, 0.4]])
    u = sig.standardized_ranks(x)
    assert np.allclose(u, [[-0.25, 0, 0.25], [0, -0.25, 0.25]])
    r = sig.rank_z(u, [0, 0, 1])
    assert close(r.stat, math.sqrt(2))
    # a window over the last two days: (−.125 + .25)/(√2 · √.03125) = 0.5.
    assert close(sig.rank_z(u, [0, 1, 1]).stat, 0.125 / (math.sqrt(2) * math.sqrt(0.03125)))


def test_grank_t_known_answer() -> None:
    # Estimation SARs: pair 1 (0.1, 0.3, −0.2), pair 2 (0.2, −0.1, 0.0). SCAR = (0.5, 3):
    # cross-sectional sd = √(2·1.25²) -> SCAR* = (0.2828, 1.6971).
    # Pair 1 ranks of (0.1, 0.3, −0.2 | 0.2828) = (2, 4, 1 | 3); pair 2 = (3, 1, 2 | 4).
    # T = 4: U = K/5 − 1/2 -> (−.1, .3, −.3 | .1), (.1, −.3, −.1 | .3).
    # Ū = (0, 0, −.2 | .2); S_Ū = √((.04 + .04)/4) = √.02; Z = .2/√.02 = √2;
    # t = Z √((T − 2)/(T − 1 − Z²)) = √2 · √(2/1) = 2, df T − 2 = 2.
    est = np.array([[0.1, 0.3, -0.2], [0.2, -0.1, 0.0]])
    r = sig.grank_t(est, [0.5, 3.0])
    assert close(r.stat, 2.0)
    assert r.dist == "t(2)"
    # Both SCAR* the largest: Ū = (0, −.1, −.2 | .3), S_Ū = √(.14/4), Z = .3/√.035,
    # t = Z √(2/(3 − Z²)) = 2√3.
    assert close(sig.grank_t(est, [1.0, 3.0]).stat, 2 * math.sqrt(3))


def test_grank_t_r_bar_correction_known_answer() -> None:
    # r̄ = 0.96: S_SCAR/√0.04 = 5 S_SCAR, so SCAR* = (0.0566, 0.3394). Pair 1 ranks of
    # (0.1, 0.3, −0.2 | 0.0566) = (3, 4, 1 | 2) -> U = (.1, .3, −.3 | −.1); pair 2 unchanged
    # (.1, −.3, −.1 | .3). Ū = (.1, 0, −.2 | .1); S_Ū² = .06/4; Z² = .01/.015 = 2/3;
    # t² = Z² · 2/(3 − Z²) = 4/7.
    est = np.array([[0.1, 0.3, -0.2], [0.2, -0.1, 0.0]])
    assert close(sig.grank_t(est, [0.5, 3.0], 0.96).stat, math.sqrt(4 / 7))
    assert close(sig.grank_t(est, [0.5, 3.0], 0.0).stat, 2.0)  # r̄ = 0: the paper's test


def test_grank_is_undefined_without_dispersion() -> None:
    est = np.array([[0.1, 0.3, -0.2], [0.2, -0.1, 0.0]])
    r = sig.grank_t(est, [1.0, 1.0])
    assert math.isnan(r.stat) and "dispersion" in r.reason


def test_portfolio_t_known_answer() -> None:
    # AAR 0.03, σ̂_p 0.01, prediction-error factor 2.25: t = 0.03/(0.01·1.5) = 2, t(100).
    r = sig.portfolio_t(0.03, 0.01, 2.25, 100)
    assert close(r.stat, 2.0) and r.dist == "t(100)"
    assert math.isnan(sig.portfolio_t(0.03, math.nan, 2.25, 100).stat)


# --- arrays: many columns and batch axes ----------------------------------------------------


def test_matrix_input_equals_column_by_column() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 6, 3))  # two studies, six pairs, three columns
    x[0, 1, 2] = np.nan
    df = np.full((2, 6), 50.0)
    for fn, args in ((sig.csect_t, ()), (sig.skew_t, ()), (sig.sign_z, ()),
                     (sig.wilcoxon_z, ()), (sig.patell_z, (df,)), (sig.kp_bmp_t, (0.1,))):
        arr = fn(x, *args)
        assert arr.shape == (2, 3)
        for b in range(2):
            for k in range(3):
                single_args = tuple(a[b] if isinstance(a, np.ndarray) else a for a in args)
                one = fn(x[b, :, k], *single_args)
                assert close(arr[b, k].stat, one.stat), fn.__name__


def test_undefined_items_carry_reasons_in_arrays() -> None:
    x = np.array([[1.0, np.nan], [2.0, np.nan], [4.0, 1.0]])
    arr = sig.csect_t(x)
    assert arr[0].reason is None and math.isfinite(arr[0].stat)
    assert math.isnan(arr[1].stat) and "N >= 2, has 1" in arr[1].reason


@pytest.mark.parametrize("key", ["csect_t", "bmp_t", "skew_t", "sign_z", "wilcoxon_z"])
def test_single_pair_tests_are_nan_not_errors(key: str) -> None:
    r = getattr(sig, key)([0.5])
    if key in ("sign_z", "wilcoxon_z"):  # defined for N = 1 (z = ±1)
        assert math.isfinite(r.stat)
    else:
        assert math.isnan(r.stat) and math.isnan(r.p) and r.reason
