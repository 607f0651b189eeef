"""The pooled battery from per-part sums (eventstudy.inference.pooled_sums): one part finishes to
aggregate()'s numbers, splits by security merge to the one-part numbers (r̄ aside: estimated
within parts), the merge is order-free, grank_t and wilcoxon_z say why they are missing, the sums
pickle, and an empty part changes nothing."""

from __future__ import annotations

import dataclasses
import math
import pickle

import numpy as np
import pytest

from eventstudy.errors import InputError
from eventstudy.inference.aggregate import TEST_ORDER, PairArrays, aggregate
from eventstudy.inference.dependence import (
    event_days,
    overlap_correlation,
    overlap_correlation_by_day0,
)
from eventstudy.inference.pooled_sums import (
    NOT_REDUCED,
    ColumnSums,
    PooledSums,
    finish,
    merge,
    pooled_sums,
)

R_BAR_TESTS = ("adj_patell_z", "kp_bmp_t")
REDUCED = tuple(k for k in TEST_ORDER if k not in NOT_REDUCED)
OFFSETS, WINDOWS = np.arange(-5, 6), ((-1, 1), (-5, 5), (0, 0), (0, 2))


def simulate(rng: np.random.Generator, n_sec: int = 60, events: int = 3, m: int = 120,
             rho: float = 0.3, common: bool = False, nan_share: float = 0.03) -> PairArrays:
    """A study on one business-day calendar: each security's returns are a common factor (ρ)
    plus its own noise; each of its ``events`` pairs has a day 0 (all the same date if
    ``common``, else drawn from a few busy dates and a staggered spread, some a few sessions
    after the security's previous one, so that its windows overlap), a constant-mean model on
    the estimation window [−m − 5, −6], an event window −5..+5, and some missing residuals
    (NaN, their date NaT or kept) and abnormal returns."""
    span = 3 * m + 200
    calendar = np.busday_offset(np.datetime64("2021-01-04"), np.arange(span), roll="forward")
    f = rng.standard_normal(span)
    r_sec = math.sqrt(rho) * f + math.sqrt(1 - rho) * rng.standard_normal((n_sec, span))
    r_sec *= rng.uniform(0.01, 0.03, (n_sec, 1))
    busy = m + 10 + np.array([0, 3, 40, 41, 90])
    rows = []
    for s in range(n_sec):
        if common:
            at = [m + 60]
        else:
            at = set()
            while len(at) < events:
                pick = rng.choice(busy) if rng.random() < 0.7 else rng.integers(m + 10, span - 8)
                at.add(int(pick))
                if rng.random() < 0.3 and len(at) < events:  # the same security, days later
                    at.add(int(pick) + int(rng.integers(1, 4)))
            at = sorted(at)
        rows += [(s, d) for d in at]
    n = len(rows)
    sec, d0 = np.array([r[0] for r in rows]), np.array([r[1] for r in rows])
    est_pos = d0[:, None] + np.arange(-m - 5, -5)
    own = r_sec[sec[:, None], est_pos]
    missing = rng.random(own.shape) < nan_share
    own[missing] = np.nan
    mean = np.nanmean(own, axis=1)
    resid = own - mean[:, None]
    ar = r_sec[sec[:, None], d0[:, None] + OFFSETS] - mean[:, None]
    ar[rng.random(ar.shape) < 0.01] = np.nan
    m_i = np.isfinite(resid).sum(axis=1)
    s = np.sqrt(np.nansum(resid**2, axis=1) / (m_i - 1))
    se = np.broadcast_to((s * np.sqrt(1 + 1 / m_i))[:, None], ar.shape).copy()
    car, car_se = [], []
    for lo, hi in WINDOWS:
        sel, length = (OFFSETS >= lo) & (OFFSETS <= hi), hi - lo + 1
        car.append(ar[:, sel].sum(axis=1))  # NaN where a day is missing
        car_se.append(s * np.sqrt(length + length**2 / m_i))
    dates = calendar[est_pos]
    dates[missing & (rng.random(own.shape) < 0.5)] = np.datetime64("NaT")
    axis = np.unique(dates[~np.isnat(dates)])
    by_date = np.full((n, axis.size), np.nan)
    held = np.nonzero(~np.isnat(dates))
    by_date[held[0], np.searchsorted(axis, dates[held])] = resid[held]
    return PairArrays(
        offsets=OFFSETS, ar=ar, se=se, windows=WINDOWS, car=np.stack(car, -1),
        car_se=np.stack(car_se, -1), df=m_i - 1.0, sigma=s, k=np.ones(n),
        estimation_offsets=np.arange(-m - 5, -5), estimation_ar=resid, residuals=by_date,
        day0=calendar[d0], residual_dates=axis,
        keys=tuple((f"E{d}", f"S{q}") for q, d in rows),
        event_dates=calendar[d0[:, None] + OFFSETS], estimation_dates=dates)


def sparse(a: PairArrays) -> PairArrays:
    """The arrays as a cluster task has them: no dense residuals by date."""
    return dataclasses.replace(a, residuals=None, residual_dates=None)


def rows(a: PairArrays, pick: np.ndarray) -> PairArrays:
    """The pairs at ``pick`` (a part), residuals by date left out."""
    per_pair = ("ar", "se", "car", "car_se", "df", "sigma", "k", "estimation_ar", "day0",
                "event_dates", "estimation_dates")
    return dataclasses.replace(sparse(a), keys=tuple(a.keys[i] for i in pick),
                               **{f: np.asarray(getattr(a, f))[pick] for f in per_pair
                                  if getattr(a, f) is not None})


def split(a: PairArrays, parts: int, seed: int) -> list[PairArrays]:
    """The pairs split at random into ``parts`` parts by security (a security in one part)."""
    sec = np.array([k[1] for k in a.keys])
    names = np.unique(sec)
    home = dict(zip(names, np.random.default_rng(seed).integers(0, parts, names.size),
                    strict=True))
    where = np.array([home[x] for x in sec])
    return [rows(a, np.flatnonzero(where == p)) for p in range(parts)]


def assert_same(got, want, keys=TEST_ORDER, rtol=1e-10, r_bar=True) -> None:
    """The tests ``keys`` (stat, p, dist, reason), AAR, CAAR, n and r̄ agree."""
    assert got.n == want.n
    np.testing.assert_array_equal(got.days["n"], want.days["n"])
    np.testing.assert_array_equal(got.car["n"], want.car["n"])
    np.testing.assert_allclose(got.days["aar"], want.days["aar"], rtol=rtol)
    np.testing.assert_allclose(got.car["caar"], want.car["caar"], rtol=rtol)
    for level in ("day_tests", "car_tests"):
        for col, tests in getattr(want, level).items():
            for key in keys:
                g, w = getattr(got, level)[col][key], tests[key]
                assert (g.dist, g.reason) == (w.dist, w.reason), (col, key)
                np.testing.assert_allclose([g.stat, g.p], [w.stat, w.p], rtol=rtol,
                                           atol=1e-300, err_msg=f"{level} {col} {key}")
    if r_bar:
        assert got.r_bar == pytest.approx(want.r_bar, rel=rtol)
        for w in want.r_bar_car:
            assert got.r_bar_car[w] == pytest.approx(want.r_bar_car[w], rel=rtol), w


@pytest.fixture(scope="module", params=["staggered", "common date"])
def study(request: pytest.FixtureRequest) -> PairArrays:
    common = request.param == "common date"
    return simulate(np.random.default_rng(7), n_sec=150 if common else 60, common=common)


# --- one part: aggregate()'s numbers ------------------------------------------------------------


def test_one_part_finishes_to_aggregate(study: PairArrays) -> None:
    want = aggregate(study, bootstrap=0)
    # residuals by date (dense), estimation_ar at its dates, or both
    for a in (dataclasses.replace(study, estimation_dates=None), sparse(study), study):
        got = finish(pooled_sums(a))
        assert_same(got, want, REDUCED)
        assert got.common_date == want.common_date
        assert got.keys == () and got.bootstrap["n"] == 0
        assert got.car[["ci_low", "ci_high"]].isna().all().all()
    # the comparison means something: every reduced test is defined somewhere, r̄ is not 0
    defined = {k for t in want.day_tests.values() for k, r in t.items() if math.isfinite(r.stat)}
    assert set(REDUCED) - {"portfolio_t"} <= defined
    assert ("portfolio_t" in defined) == want.common_date
    assert 0.01 < want.r_bar < 0.5


def test_day_r_bar_equals_the_by_day0_and_full_matrix_values() -> None:
    a = simulate(np.random.default_rng(11), n_sec=40)
    days = event_days(a.day0, a.offsets, a.event_dates)
    full, _, full_car = overlap_correlation(a.residuals, a.day0, days, a.offsets, a.windows)
    by_day0, _ = overlap_correlation_by_day0(a.residuals, a.day0, days, a.offsets, a.windows)
    got = finish(pooled_sums(sparse(a)))
    assert got.r_bar == pytest.approx(by_day0, rel=1e-12)
    assert got.r_bar == pytest.approx(full, rel=1e-12)
    np.testing.assert_allclose(list(got.r_bar_car.values()), full_car, rtol=1e-12)
    # dates of more pairs than ``block`` on a seeded subsample: as overlap_correlation_by_day0
    sub, sub_car = overlap_correlation_by_day0(a.residuals, a.day0, days, a.offsets,
                                               a.windows, block=5)
    got = finish(pooled_sums(sparse(a), block=5))
    assert got.r_bar == pytest.approx(sub, rel=1e-12) and got.r_bar != pytest.approx(full)
    np.testing.assert_allclose(list(got.r_bar_car.values()), sub_car, rtol=1e-12)


# --- parts merged ---------------------------------------------------------------------------------


@pytest.mark.parametrize("parts", [2, 5])
def test_splits_by_security_merge_to_the_one_part_numbers(study: PairArrays, parts: int) -> None:
    whole = finish(pooled_sums(sparse(study)))
    sums = [pooled_sums(p) for p in split(study, parts, seed=parts)]
    assert sum(s.n for s in sums) == study.ar.shape[0] and min(s.n for s in sums) > 0
    merged = finish(merge(sums))
    assert_same(merged, whole, tuple(k for k in REDUCED if k not in R_BAR_TESTS), r_bar=False)
    assert merged.common_date == whole.common_date
    # the merge is associative and free of the parts' order, up to rounding
    assert_same(finish(merge(sums[::-1])), merged, rtol=1e-12)
    assert_same(finish(merge([merge(sums[:1]), merge(sums[1:])])), merged, rtol=1e-12)


def test_r_bar_from_splits_is_close_to_the_full_r_bar() -> None:
    # 1,200 pairs (400 securities × 3 events) on a common factor, ρ = 0.3, 70 % of them on 5
    # busy dates. Split by security, a part correlates its own pairs only: of each day-0 date's
    # ordered pairs a part holds about 1/parts, and pairs across parts take the date's mean ρ̂
    # over those (a window's cross-date pairs of different securities likewise, scaled). So r̄
    # from splits is the full r̄ with each mean ρ̂ taken over a random subset of the pairs: its
    # error is the sampling error of that mean. ρ̂ has sd ≈ (1 − ρ²)/√M ≈ 0.08 per pair, and
    # the pairs' ρ̂ share members, so the mean over the pairs of ~1,200 members errs by about
    # 0.08/√1200 ≈ 0.002, times the share of same-date pairs in r̄ (~0.07 here): ~2e-4 on r̄ of
    # 0.02 (days) to 0.05 (CAR(−5,+5)). Seeds 5-7, 2 to 20 parts: at most 6e-4. Bound: 0.001.
    a = simulate(np.random.default_rng(5), n_sec=400, events=3)
    whole = finish(pooled_sums(sparse(a)))
    for parts in (2, 5):
        merged = finish(merge(pooled_sums(p) for p in split(a, parts, seed=1)))
        assert "correlated within parts" in merged.r_bar_method  # not all pairs were examined
        assert merged.r_bar == pytest.approx(whole.r_bar, abs=0.001), parts
        for w, r in whole.r_bar_car.items():
            assert merged.r_bar_car[w] == pytest.approx(r, abs=0.001), (parts, w)
        # the KP tests follow: the same numbers but for r̄
        for key in R_BAR_TESTS:
            got, want = merged.day_tests[0][key].stat, whole.day_tests[0][key].stat
            assert got == pytest.approx(want, rel=0.01), key
    assert 0.01 < whole.r_bar < whole.r_bar_car[(-5, 5)] < 0.3


def test_a_date_no_part_holds_twice_takes_the_pooled_ratio() -> None:
    # every pair on its own date but one date with one pair in each of two parts: P_d = 2,
    # E_d = 0: that date takes the mean ρ̂ of the dates examined (here none: r̄ undefined)
    a = simulate(np.random.default_rng(3), n_sec=30, common=True)
    day0 = np.asarray(a.day0) + np.arange(30) * 20  # residuals all on the same dates
    day0[1] = day0[0]
    a = dataclasses.replace(a, day0=day0, event_dates=None)
    parts = [pooled_sums(rows(a, np.array([0]))), pooled_sums(rows(a, np.arange(1, 30)))]
    assert math.isnan(finish(merge(parts)).r_bar)
    assert finish(pooled_sums(sparse(a))).r_bar != 0.0  # one part: the date's ρ̂ is known


# --- the tests that do not reduce, pickling, empty parts -----------------------------------------


def test_grank_and_wilcoxon_say_they_are_not_reduced(study: PairArrays) -> None:
    got = finish(pooled_sums(sparse(study)))
    for tests in [*got.day_tests.values(), *got.car_tests.values()]:
        assert list(tests) == list(TEST_ORDER)
        for key in NOT_REDUCED:
            r = tests[key]
            assert math.isnan(r.stat) and math.isnan(r.p)
            assert r.reason.startswith("not reduced on the cluster: ")
    assert got.day_tests[0]["wilcoxon_z"].dist == "N(0,1)"
    rows_ = got.tests_frame()
    assert rows_.loc[rows_["key"] == "grank_t", "reason"].str.contains("two passes").all()


def _fields(s: object) -> dict:
    out = {}
    for f in dataclasses.fields(s):
        v = getattr(s, f.name)
        if dataclasses.is_dataclass(v):
            out.update({f"{f.name}.{k}": x for k, x in _fields(v).items()})
        else:
            out[f.name] = v
    return out


def assert_identical(a: PooledSums, b: PooledSums) -> None:
    fa, fb = _fields(a), _fields(b)
    assert fa.keys() == fb.keys()
    for k in fa:
        np.testing.assert_array_equal(fa[k], fb[k], err_msg=k)


def test_pickle_round_trip_and_size(study: PairArrays) -> None:
    s = pooled_sums(sparse(study))
    back = pickle.loads(pickle.dumps(s))
    assert_identical(back, s)
    assert_same(finish(back), finish(s), rtol=0)
    # no per-pair arrays: nothing longer than the offsets, windows' sums or dates
    t, d = len(study.offsets), len(study.estimation_offsets)
    bound = max(d + t, len(s.dates), len(s.overlap.day0), 2 * 3 * len(WINDOWS))
    assert all(np.size(v) <= bound for v in _fields(s).values())
    assert len(s.dates) <= d + len(s.overlap.day0) * (d + t)  # distinct dates, not N × D


def test_an_empty_part_merges_as_a_no_op(study: PairArrays) -> None:
    s = pooled_sums(sparse(study))
    empty = pooled_sums(rows(study, np.zeros(0, int)))
    assert empty.n == 0 and len(empty.dates) == 0
    for parts in ([s, empty], [empty, s], [empty, s, empty]):
        assert_identical(merge(parts), s)
    # a column only one part has data in keeps that part's moments exactly
    halves = split(study, 2, seed=3)
    one = pooled_sums(halves[0])
    other = pooled_sums(dataclasses.replace(halves[1], ar=np.full_like(halves[1].ar, np.nan)))
    merged = merge([other, one])
    for key in ("mean", "m2", "m3"):
        np.testing.assert_array_equal(getattr(merged.day, key), getattr(one.day, key))
    nothing = finish(empty)
    assert nothing.n == 0 and not nothing.common_date
    assert all(math.isnan(r.stat) for r in nothing.day_tests[0].values())


def test_merge_refuses_parts_of_different_layouts(study: PairArrays) -> None:
    s = pooled_sums(sparse(study))
    other = dataclasses.replace(s, windows=s.windows[:1])
    with pytest.raises(InputError, match="different offsets"):
        merge([s, other])
    with pytest.raises(InputError, match="no pooled sums"):
        merge([])
    assert isinstance(s.day, ColumnSums)


def test_sampled_r_bar_is_unbiased_and_the_other_tests_are_untouched() -> None:
    """``sample=m``: r̄ from a seeded uniform subsample of m of the part's pairs (and
    ``cross_sample`` of them for the cross-date pairs), each drawn cross-date pair weighted by
    N(N − 1)/(m(m − 1)). Over seeds its mean is the full r̄ of the
    days and of each window (within 3 standard errors of the mean); every other number is that
    of the whole part, bit for bit; a sample as large as the part is no sample."""
    a = sparse(simulate(np.random.default_rng(11), n_sec=150, events=4, rho=0.3))
    n = len(a.day0)
    full = finish(pooled_sums(a))
    assert full.r_bar > 0.01 and n > 400
    for kw in ({"sample": n // 4}, {"sample": n // 2, "cross_sample": n // 6}):
        draws = [finish(pooled_sums(a, seed=seed, **kw)) for seed in range(40)]
        for get in [lambda x: x.r_bar] + [lambda x, w=w: x.r_bar_car[w] for w in WINDOWS]:
            values = np.array([get(x) for x in draws])
            assert values.std() > 0  # the subsample moves it
            se = values.std(ddof=1) / np.sqrt(values.size)
            assert abs(values.mean() - get(full)) < 3 * se + 1e-12, (kw, values.mean(),
                                                                      get(full))
    no_r = tuple(k for k in REDUCED if k not in R_BAR_TESTS)
    assert_same(draws[0], full, keys=no_r, rtol=0, r_bar=False)
    assert_same(finish(pooled_sums(a, sample=n)), full, rtol=0)
