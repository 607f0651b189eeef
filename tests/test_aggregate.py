"""Aggregation core: r̄, the estimation-window nuisances, batch consistency, bootstrap, frames."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from eventstudy.inference import significance as sig
from eventstudy.inference.aggregate import (
    TEST_ORDER,
    PairArrays,
    aggregate,
    all_tests,
    bootstrap_caar,
    estimation_aar_sd,
    portfolio_sigma,
    residual_correlation,
)


def _arrays(rng: np.random.Generator, n: int = 6, m: int = 80, common: bool = True,
            batch: tuple[int, ...] = ()) -> PairArrays:
    """A small simulated study (market model, OLS), the way the per-event path feeds it."""
    days = m + 3
    mkt = rng.normal(0.0, 0.01, (*batch, 1, days))
    r = 1.2 * mkt + rng.normal(0.0, 0.02, (*batch, n, days))
    mkt = np.broadcast_to(mkt, r.shape)
    me, re = mkt[..., :m], r[..., :m]
    mb, rb = me.mean(-1, keepdims=True), re.mean(-1, keepdims=True)
    sxx = ((me - mb) ** 2).sum(-1, keepdims=True)
    b = ((me - mb) * (re - rb)).sum(-1, keepdims=True) / sxx
    a = rb - b * mb
    resid = re - a - b * me
    s = np.sqrt((resid**2).sum(-1) / (m - 2))
    ar = r[..., m:] - a - b * mkt[..., m:]
    se = s[..., None] * np.sqrt(1 + 1 / m + (mkt[..., m:] - mb) ** 2 / sxx)
    car = ar[..., 1:2] + ar[..., 2:3]
    car_se = s[..., None] * np.sqrt(2 + 4 / m + (mkt[..., m + 1:].sum(-1, keepdims=True)
                                                 - 2 * mb) ** 2 / sxx)
    day0 = np.zeros((*batch, n)) if common else np.broadcast_to(np.arange(n), (*batch, n))
    return PairArrays(
        offsets=np.array([-1, 0, 1]), ar=ar, se=se, windows=((0, 1),), car=car, car_se=car_se,
        df=np.full((*batch, n), m - 2.0), sigma=s, k=np.full((*batch, n), 2.0),
        estimation_offsets=np.arange(-m - 10, -10), estimation_ar=resid, residuals=resid,
        day0=day0, keys=tuple(("e", f"S{i}") for i in range(n)),
    )


# --- r̄ ----------------------------------------------------------------------------------------


def test_r_bar_known_answer_perfect_correlations() -> None:
    # A = x, B = 2x + 1 (ρ = 1 with A), C = −x (ρ = −1 with A and B): the six ordered
    # off-diagonal correlations are 1, 1, −1, −1, −1, −1, mean −1/3. B misses 5 dates
    # (pairwise complete: its correlations are still exact).
    x = np.random.default_rng(0).normal(size=40)
    b = 2 * x + 1
    b[:5] = np.nan
    e = np.vstack([x, b, -x])
    used, everything = residual_correlation(e, np.zeros(3))
    assert math.isclose(used, -1 / 3) and math.isclose(everything, -1 / 3)
    # C on another day 0: its correlations count as 0 in r̄ used: (1 + 1)/6.
    used, everything = residual_correlation(e, np.array([0, 0, 7]))
    assert math.isclose(used, 1 / 3) and math.isclose(everything, -1 / 3)


def test_r_bar_equals_pandas_pairwise_complete_mean() -> None:
    rng = np.random.default_rng(1)
    common = rng.normal(size=(1, 120))
    e = 0.5 * common + rng.normal(size=(5, 120))
    e[rng.random(e.shape) < 0.2] = np.nan
    corr = pd.DataFrame(e.T).corr(min_periods=30).to_numpy()
    expected = corr[~np.eye(5, dtype=bool)].mean()
    used, everything = residual_correlation(e, np.zeros(5))
    assert math.isclose(used, expected, rel_tol=1e-10)
    assert math.isclose(everything, expected, rel_tol=1e-10)


def test_r_bar_needs_overlap() -> None:
    e = np.full((2, 60), np.nan)
    e[0, :30], e[1, 30:] = np.arange(30.0), np.arange(30.0)  # no shared date
    used, _ = residual_correlation(e, np.zeros(2))
    assert math.isnan(used)


# --- estimation-window nuisances --------------------------------------------------------------


def test_estimation_aar_sd_known_answer() -> None:
    # daily mean AR over two pairs: (0, 2, 4) (pair 2 missing on day 3) -> sd 2, df 2.
    e = np.array([[-1.0, 1.0, 4.0], [1.0, 3.0, np.nan]])
    s, df = estimation_aar_sd(e)
    assert math.isclose(s, 2.0) and df == 2


def test_portfolio_sigma_equals_the_portfolio_regression() -> None:
    # Common benchmark and dates: the mean of OLS residuals is the OLS residual of the mean
    # return, so σ̂_p = √(SSR_p / (M − 2)) of the portfolio's own market-model regression.
    a = _arrays(np.random.default_rng(2), n=5, m=100)
    s, df = portfolio_sigma(a.residuals, a.k, a.day0)
    port = a.residuals.mean(axis=0)
    assert abs(port.mean()) < 1e-15
    assert math.isclose(s, math.sqrt((port**2).sum() / 98)) and df == 98
    s_other, _ = portfolio_sigma(a.residuals, a.k, np.arange(5))
    assert math.isnan(s_other)  # no common date


# --- the whole set of tests --------------------------------------------------------------------


def test_every_key_at_both_levels_and_identities() -> None:
    a = _arrays(np.random.default_rng(3))
    day, car = all_tests(a)
    assert list(day) == list(TEST_ORDER) and list(car) == list(TEST_ORDER)
    assert day["csect_t"].shape == (3,) and car["csect_t"].shape == (1,)
    # J2 is Patell's z; with r̄ = 0 the KP tests equal their plain versions.
    assert np.allclose(day["j2"].stat, day["patell_z"].stat)
    day0, _ = all_tests(a, r_bar=0.0)
    assert np.allclose(day0["adj_patell_z"].stat, day0["patell_z"].stat)
    assert np.allclose(day0["kp_bmp_t"].stat, day0["bmp_t"].stat)
    # the portfolio test equals a single-series t test of the portfolio's AR on day 0
    port_ar = np.nanmean(a.ar[:, 1])
    s_p, _ = portfolio_sigma(a.residuals, a.k, a.day0)
    infl = np.mean((a.se[:, 1] / a.sigma) ** 2)
    assert math.isclose(day["portfolio_t"][1].stat, port_ar / (s_p * math.sqrt(infl)))


def test_batched_studies_equal_one_by_one() -> None:
    a = _arrays(np.random.default_rng(4), batch=(3,))
    day, car = all_tests(a)
    for b in range(3):
        one = PairArrays(**{f: (getattr(a, f)[b] if f in ("ar", "se", "car", "car_se", "df",
                                                          "sigma", "k", "estimation_ar",
                                                          "residuals", "day0")
                                else getattr(a, f)) for f in a.__dataclass_fields__})
        d1, c1 = all_tests(one)
        for key in TEST_ORDER:
            assert np.allclose(day[key].stat[b], d1[key].stat, equal_nan=True), key
            assert np.allclose(car[key].stat[b], c1[key].stat, equal_nan=True), key


def test_injected_effect_is_detected() -> None:
    a = _arrays(np.random.default_rng(5), n=30)
    shifted = PairArrays(**{**a.__dict__, "ar": a.ar + np.array([0.0, 0.05, 0.0])})
    day, _ = all_tests(shifted)
    for key in TEST_ORDER:
        assert day[key][1].p < 0.01, key


def test_undefined_with_one_pair() -> None:
    a = _arrays(np.random.default_rng(6), n=1)
    agg = aggregate(a, bootstrap=0)
    for key in ("csect_t", "bmp_t", "kp_bmp_t", "adj_patell_z", "skew_t", "grank_t"):
        r = agg.day_tests[0][key]
        assert math.isnan(r.stat) and r.reason, key


# --- the Aggregate object ---------------------------------------------------------------------


def test_aggregate_tables_and_tidy_tests() -> None:
    a = _arrays(np.random.default_rng(7))
    agg = aggregate(a, bootstrap=200, seed=3)
    assert agg.n == 6 and agg.common_date
    assert list(agg.days.index) == [-1, 0, 1]
    assert math.isclose(agg.days.loc[0, "aar"], a.ar[:, 1].mean())
    assert math.isclose(agg.car["caar"].iloc[0], a.car[:, 0].mean())
    frame = agg.tests_frame()
    assert len(frame) == (3 + 1) * len(TEST_ORDER)
    row = frame[(frame.level == "day") & (frame.t == 0) & (frame.key == "patell_z")].iloc[0]
    assert math.isclose(row.stat, agg.day_tests[0]["patell_z"].stat)
    # grank_t over-rejects at ρ = 0.3 (7 %, benchmarks/size_power.md): not marked robust
    assert set(frame[frame.robust].key) == {"adj_patell_z", "kp_bmp_t", "cda_t", "portfolio_t",
                                            "rank_z"}


def test_bootstrap_reproducible_and_sound() -> None:
    car = np.random.default_rng(8).normal(0.01, 0.02, (40, 2))
    lo1, hi1 = bootstrap_caar(car, 500, seed=11)
    lo2, hi2 = bootstrap_caar(car, 500, seed=11)
    lo3, _ = bootstrap_caar(car, 500, seed=12)
    assert np.array_equal(lo1, lo2) and np.array_equal(hi1, hi2)
    assert not np.array_equal(lo1, lo3)
    assert np.all(lo1 < car.mean(axis=0)) and np.all(car.mean(axis=0) < hi1)
    # the percentile interval is close to mean ± 1.96 s/√N for a normal sample
    half = 1.96 * car.std(axis=0, ddof=1) / math.sqrt(40)
    assert np.allclose(hi1 - lo1, 2 * half, rtol=0.2)
    # identical CARs: a degenerate interval at that value; NaN pairs are left out
    flat = np.array([[0.02], [0.02], [np.nan], [0.02]])
    lo, hi = bootstrap_caar(flat, 100, seed=0)
    assert math.isclose(lo[0], 0.02) and math.isclose(hi[0], 0.02)


def test_adapter_rejects_duplicate_keys() -> None:
    from eventstudy.study.arrays import pair_arrays

    with pytest.raises(ValueError, match="unique"):
        pair_arrays([], [(0, 1)], keys=[("e", "LYC"), ("e", "LYC")])


def test_rank_inputs_shape() -> None:
    u = sig.standardized_ranks(np.array([[1.0, np.nan, 3.0, 2.0]]))
    # T_i = 3 non-missing: ranks 1, 3, 2 over 4 -> −.25, .25, 0
    assert np.allclose(u[0, [0, 2, 3]], [-0.25, 0.25, 0.0]) and np.isnan(u[0, 1])


def test_pair_order_does_not_matter_and_signs_flip() -> None:
    a = _arrays(np.random.default_rng(9), n=8)
    perm = np.random.default_rng(10).permutation(8)
    per_pair = ("ar", "se", "car", "car_se", "df", "sigma", "k", "estimation_ar", "residuals",
                "day0")
    shuffled = PairArrays(**{f: getattr(a, f)[perm] if f in per_pair else getattr(a, f)
                             for f in a.__dataclass_fields__})
    flipped = PairArrays(**{**a.__dict__, "ar": -a.ar, "car": -a.car,
                            "estimation_ar": -a.estimation_ar, "residuals": -a.residuals})
    day, car = all_tests(a)
    day_s, car_s = all_tests(shuffled)
    day_f, _ = all_tests(flipped)
    for key in TEST_ORDER:
        assert np.allclose(day[key].stat, day_s[key].stat, equal_nan=True), key
        assert np.allclose(car[key].stat, car_s[key].stat, equal_nan=True), key
    # symmetric statistics change sign when every abnormal return does (continuous data)
    for key in ("csect_t", "patell_z", "adj_patell_z", "bmp_t", "kp_bmp_t", "j1", "cda_t",
                "portfolio_t", "sign_z", "rank_z", "wilcoxon_z"):
        assert np.allclose(day_f[key].stat, -day[key].stat), key


# --- at scale: r̄ by day-0 date, grank_t in blocks, the deferred interval ----------------------


def test_r_bar_by_day0_equals_the_full_matrix() -> None:
    # 40 pairs on 4 dates with a common factor per date: only pairs sharing a day 0 count, so
    # the per-date computation is the full one (to rounding), at a tenth of the products.
    from eventstudy.inference.dependence import overlap_correlation_by_day0

    def residual_correlation_by_day0(e, day0, **kw):  # the day r̄, the first value
        return overlap_correlation_by_day0(e, day0, **kw)[0]

    rng = np.random.default_rng(5)
    day0 = np.repeat(np.arange(4), 10)
    factor = rng.normal(size=(4, 120))
    e = 0.6 * factor[day0] + rng.normal(size=(40, 120))
    e[rng.random(e.shape) < 0.1] = np.nan
    used, _ = residual_correlation(e, day0)
    assert residual_correlation_by_day0(e, day0) == pytest.approx(float(used), rel=1e-12)
    # ρ = 0.36 / 1.36 = 0.265 within a date, 0 across: r̄ = 0.265 · (4 · 90) / (40 · 39) = 0.061
    assert 0.045 < used < 0.075
    # a date with more pairs than a block is estimated on a seeded subsample of its pairs
    sub = residual_correlation_by_day0(e, np.zeros(40), block=20)
    full, _ = residual_correlation(e, np.zeros(40))
    assert sub == residual_correlation_by_day0(e, np.zeros(40), block=20)  # seeded
    assert sub == pytest.approx(float(full), abs=0.05)


def test_aggregate_above_the_r_bar_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    import eventstudy.inference.aggregate as agg_module

    a = _arrays(np.random.default_rng(8), n=30, common=False)
    small = aggregate(a, bootstrap=0)
    monkeypatch.setattr(agg_module, "R_BAR_MAX_PAIRS", 10)
    monkeypatch.setattr(agg_module, "R_BAR_ALL_PAIRS", 12)
    large = aggregate(a, bootstrap=0)
    assert large.r_bar == pytest.approx(small.r_bar, abs=1e-15)  # all dates differ: 0
    assert "within each day-0 date" in large.r_bar_method
    assert math.isfinite(large.r_bar_all)


def test_grank_t_gives_the_same_bits_at_any_block_size(monkeypatch: pytest.MonkeyPatch) -> None:
    from eventstudy.inference.significance import ranks

    rng = np.random.default_rng(11)
    e = rng.standard_t(4, size=(300, 60))
    e[rng.random(e.shape) < 0.05] = np.nan
    e[:, :4] = np.round(e[:, :4])  # ties among estimation values
    g = rng.normal(size=(300, 5))
    g[0, 0] = e[0, 5]  # an event value tied with an estimation value
    g[rng.random(g.shape) < 0.05] = np.nan
    whole = sig.grank_t(e, g)
    for block in (1, 37, 600, 1 << 30):
        monkeypatch.setattr(ranks, "GRANK_CHUNK", block)
        part = sig.grank_t(e, g)
        np.testing.assert_array_equal(part.stat, whole.stat)
        np.testing.assert_array_equal(part.p, whole.p)
    assert np.isfinite(whole.stat).all()


def test_bootstrap_interval_is_computed_when_first_read() -> None:
    a = _arrays(np.random.default_rng(9), n=12)
    agg = aggregate(a, bootstrap=300, seed=4)
    assert type(object.__getattribute__(agg, "car")).__name__ == "Deferred"
    low, high = bootstrap_caar(a.car, 300, 4)
    np.testing.assert_array_equal(agg.car["ci_low"].to_numpy(), low)
    np.testing.assert_array_equal(agg.car["ci_high"].to_numpy(), high)
    assert type(object.__getattribute__(agg, "car")) is pd.DataFrame  # kept once built
