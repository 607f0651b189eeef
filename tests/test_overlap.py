"""r̄ of a CAR window weighted by the overlap of the pairs' event windows (Kolari, Pape and
Pynnönen 2018): a hand-made known answer, the day r̄ for a common date and for disjoint windows
(bit for bit), the by-day-0 computation against the full matrix, the batch's event dates, the
JSON, and a small size simulation where the same-day-0 r̄ over-rejects and this one does not."""

from __future__ import annotations

import copy
import math

import numpy as np
import pandas as pd
import pytest

from eventstudy.inference import significance as sig
from eventstudy.inference.aggregate import PairArrays, aggregate, all_tests
from eventstudy.inference.dependence import (
    event_days,
    overlap_correlation,
    overlap_correlation_by_day0,
    residual_correlation,
    shared_days,
)

R2 = 1 / math.sqrt(2)


def _four() -> np.ndarray:
    """Residuals of pairs A = x, B = x + y, C = y, D = −x with x ⟂ y, both centred and of one
    norm: ρ_AB = ρ_BC = 1/√2, ρ_BD = −1/√2, ρ_AD = −1, ρ_AC = ρ_CD = 0 (exactly)."""
    x = np.tile([1.0, -1.0, 1.0, -1.0], 10)
    y = np.tile([1.0, 1.0, -1.0, -1.0], 10)
    return np.vstack([x, x + y, y, -x])


# --- known answers ----------------------------------------------------------------------------


def test_known_answer_by_hand() -> None:
    # day 0 (sessions): A 0, B 0, C 1, D 5. CAR(−1,+1), L = 3: τ_AB = 3 (same day 0),
    # τ_AC = τ_BC = 2, D shares no day. Σ over the 6 unordered pairs of ρ τ/L:
    # 1/√2 · 1 + 1/√2 · 2/3 = (5/3)/√2; r̄ = 2 · that / 12 ordered pairs.
    e, d0, offsets = _four(), np.array([0.0, 0.0, 1.0, 5.0]), np.arange(-5, 6)
    windows = [(-1, 1), (-5, 5), (0, 0)]
    day, _, car = overlap_correlation(e, d0, event_days(d0, offsets), offsets, windows)
    assert car[0] == pytest.approx(2 * (5 / 3) * R2 / 12, rel=1e-12)
    # CAR(−5,+5), L = 11: τ_AC = τ_BC = 10, τ_AD = τ_BD = 6, τ_CD = 7:
    # 1/√2 + 0 − 6/11 + 1/√2 · 10/11 − 1/√2 · 6/11 + 0
    expected = (R2 * (1 + 10 / 11 - 6 / 11) - 6 / 11) / 6
    assert car[1] == pytest.approx(expected, rel=1e-12)
    # the same-day-0 r̄ counts ρ_AB only; window (0, 0) is the day's
    assert day == pytest.approx(2 * R2 / 12, rel=1e-12)
    assert car[2] == day
    assert residual_correlation(e, d0)[0] == day


def test_unestimable_correlation_leaves_only_overlapping_pairs() -> None:
    # D has 20 residuals (fewer than 30 shared dates): its ρ is not estimable. Where its
    # window shares no day (CAR(−1,+1)) it still counts as 0; where it overlaps (CAR(−5,+5)) its
    # pairs leave the mean: 6 ordered pairs of A, B, C remain.
    e, d0, offsets = _four(), np.array([0.0, 0.0, 1.0, 5.0]), np.arange(-5, 6)
    e[3, 20:] = np.nan
    _, _, car = overlap_correlation(e, d0, event_days(d0, offsets), offsets, [(-1, 1), (-5, 5)])
    assert car[0] == pytest.approx(2 * (5 / 3) * R2 / 12, rel=1e-12)
    assert car[1] == pytest.approx(2 * R2 * (1 + 10 / 11) / 6, rel=1e-12)


def test_shared_days_and_event_days() -> None:
    days = np.array([[1.0, 2.0, 3.0], [2.0, 3.0, 4.0], [7.0, 8.0, np.nan], [3.0, np.nan, 8.0]])
    expected = np.array([[3, 2, 0, 1], [2, 3, 0, 1], [0, 0, 2, 1], [1, 1, 1, 2]], float)
    np.testing.assert_array_equal(shared_days(days), expected)
    np.testing.assert_array_equal(shared_days(days[:2], days[2:]), expected[:2, 2:])
    np.testing.assert_array_equal(shared_days(np.stack([days, days[::-1]])),
                                  np.stack([expected, expected[::-1, ::-1]]))
    # datetime day 0s move by weekdays; given event dates are taken as they are
    fri = np.array(["2026-01-09"], "datetime64[D]")
    got = event_days(fri, np.array([-1, 0, 1]))
    want = np.array(["2026-01-08", "2026-01-09", "2026-01-12"], "datetime64[D]")
    np.testing.assert_array_equal(got[0], want.astype(np.int64).astype(float))
    given = np.array([["2026-01-08", "NaT"]], "datetime64[D]")
    assert np.isnan(event_days(fri, [0, 1], given)[0, 1])


# --- the day r̄ where windows coincide or do not meet ------------------------------------------


def _study(rng: np.random.Generator, day0: np.ndarray, n_off: int = 11, m: int = 120,
           rho: float = 0.3, event_dates: object = None) -> PairArrays:
    """Constant-mean pairs on one calendar, residuals equicorrelated on each date (ρ); day 0
    of each pair at ``day0`` (sessions, ≥ m), event window offsets −5..+5."""
    n, lead = day0.shape[-1], day0.shape[:-1]
    span = int(day0.max()) + n_off
    f = rng.standard_normal((*lead, 1, span))
    r = math.sqrt(rho) * f + math.sqrt(1 - rho) * rng.standard_normal((*lead, n, span))
    start = (day0 - m - 5).astype(int)
    at = start[..., None] + np.arange(m + n_off)
    own = np.take_along_axis(r, at, axis=-1)
    mean = own[..., :m].mean(-1, keepdims=True)
    resid, ar = own[..., :m] - mean, own[..., m:] - mean
    s = np.sqrt((resid**2).sum(-1) / (m - 1))
    offsets, windows = np.arange(-5, 6), ((-1, 1), (-5, 5), (0, 0))
    car = np.stack([ar[..., (offsets >= lo) & (offsets <= hi)].sum(-1) for lo, hi in windows], -1)
    length = np.array([hi - lo + 1 for lo, hi in windows], float)
    by_date = np.full((*lead, n, span), np.nan)
    np.put_along_axis(by_date, at[..., :m], resid, axis=-1)
    return PairArrays(
        offsets=offsets, ar=ar, se=np.broadcast_to(s[..., None] * math.sqrt(1 + 1 / m), ar.shape),
        windows=windows, car=car, car_se=s[..., None] * np.sqrt(length + length**2 / m),
        df=np.full(day0.shape, m - 1.0), sigma=s, k=np.ones(day0.shape),
        estimation_offsets=np.arange(-m - 5, -5), estimation_ar=resid, residuals=by_date,
        day0=day0.astype(float), keys=tuple(("e", f"S{i}") for i in range(n)),
        event_dates=event_dates)


@pytest.mark.parametrize("day0", [np.full(12, 200), np.repeat([200, 230, 260], 4)],
                         ids=["common date", "disjoint windows"])
def test_common_date_and_disjoint_windows_keep_the_day_r_bar_bit_for_bit(day0) -> None:
    a = _study(np.random.default_rng(2), day0)
    day, _, car = overlap_correlation(a.residuals, a.day0, event_days(a.day0, a.offsets),
                                      a.offsets, a.windows)
    assert day == residual_correlation(a.residuals, a.day0)[0]
    assert (car == day).all()
    agg = aggregate(a, bootstrap=0)
    assert agg.r_bar == day and set(agg.r_bar_car.values()) == {float(day)}
    _, before = all_tests(a, r_bar=day)  # the day r̄ for every window, as before KPP 2018
    for j, w in enumerate(a.windows):
        for key in ("adj_patell_z", "kp_bmp_t"):
            assert agg.car_tests[w][key].stat == before[key][j].stat


def test_same_day0_counts_as_full_overlap_across_calendars() -> None:
    # two exchanges, one day 0, a holiday on one of them at +1: the windows hold different
    # dates, but the pairs' windows are the same event days (τ = L, KP 2010's common date).
    day0 = np.full(6, 200)
    dates = np.broadcast_to(200.0 + np.arange(-5, 6), (6, 11)).copy()
    dates[3:, 6:] += 1  # pairs 3-5 skip day 201
    a = _study(np.random.default_rng(4), day0, event_dates=dates)
    agg = aggregate(a, bootstrap=0)
    assert set(agg.r_bar_car.values()) == {agg.r_bar}


# --- at scale: by day 0 against the full matrix -----------------------------------------------


def test_by_day0_equals_the_full_matrix_without_subsamples(monkeypatch) -> None:
    rng = np.random.default_rng(5)
    day0 = np.sort(rng.integers(200, 212, 40))  # 12 dates, windows overlapping partly
    a = _study(rng, day0)
    days = event_days(a.day0, a.offsets)
    day, _, car = overlap_correlation(a.residuals, a.day0, days, a.offsets, a.windows)
    by_day, by_car = overlap_correlation_by_day0(a.residuals, a.day0, days, a.offsets, a.windows)
    assert by_day == pytest.approx(float(day), rel=1e-12)
    np.testing.assert_allclose(by_car, car, rtol=1e-12)
    assert by_car[1] > 2 * by_day  # CAR(−5,+5): most pairs' windows overlap, few share day 0
    # through aggregate() above the threshold (no date has more than a block of pairs)
    import eventstudy.inference.aggregate as agg_module

    full = aggregate(a, bootstrap=0)
    monkeypatch.setattr(agg_module, "R_BAR_MAX_PAIRS", 10)
    monkeypatch.setattr(agg_module, "R_BAR_ALL_PAIRS", 12)
    large = aggregate(a, bootstrap=0)
    for w in a.windows:
        assert large.r_bar_car[w] == pytest.approx(full.r_bar_car[w], rel=1e-12)
    assert "windows overlap" in large.r_bar_method
    # a date with more pairs than a block: a seeded subsample of them, close to the full value
    sub = overlap_correlation_by_day0(a.residuals, a.day0, days, a.offsets, a.windows, block=3)
    again = overlap_correlation_by_day0(a.residuals, a.day0, days, a.offsets, a.windows, block=3)
    np.testing.assert_array_equal(sub[1], again[1])
    np.testing.assert_allclose(sub[1], car, atol=0.05)


# --- the batch passes its sessions; the JSON carries the windows' r̄ -------------------------------


def test_batch_aggregate_uses_the_sessions_of_each_pair() -> None:
    from eventstudy import batch

    rng = np.random.default_rng(6)
    n_rows, n_sec = 420, 12
    m = rng.normal(0.0, 0.01, n_rows)
    factor = rng.normal(0.0, 0.01, n_rows)
    r = 1.1 * m[:, None] + factor[:, None] + rng.normal(0, 0.015, (n_rows, n_sec))
    returns = pd.DataFrame(r, index=pd.bdate_range("2015-01-01", periods=n_rows),
                           columns=[f"S{i}" for i in range(n_sec)])
    returns["M"] = m
    at = 350 + np.arange(n_sec) % 4  # day 0s on 4 consecutive sessions
    pairs = pd.DataFrame({"security": returns.columns[:n_sec], "benchmark": "M",
                          "day0": returns.index[at]})
    res = batch(returns, pairs, estimation=(-250, -11), window=(-5, 5), sessions="index")
    agg = res.aggregate(windows=[(0, 0), (-5, 5)], bootstrap=0)
    arrays = res._pair_arrays(np.arange(n_sec), ((0, 0), (-5, 5)), "")
    np.testing.assert_array_equal(arrays.event_dates[:, 5], arrays.day0)
    np.testing.assert_array_equal(arrays.event_dates[0], returns.index[345:356].to_numpy())
    _, _, car = overlap_correlation(arrays.residuals, arrays.day0,
                                    event_days(arrays.day0, arrays.offsets, arrays.event_dates),
                                    arrays.offsets, arrays.windows)
    assert agg.r_bar_car[(0, 0)] == agg.r_bar
    assert agg.r_bar_car[(-5, 5)] == pytest.approx(float(car[1]), rel=1e-12)
    assert agg.r_bar_car[(-5, 5)] > 2 * agg.r_bar > 0


def test_json_and_schema_carry_r_bar_car() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    from test_schema import CONTRACT_EXAMPLE

    from eventstudy.schema import validate_result
    from eventstudy.study.results import aggregate_dict

    agg = aggregate(_study(np.random.default_rng(7), np.repeat([200, 202], 5)), bootstrap=0)
    got = aggregate_dict(agg)["r_bar_car"]
    assert got == {"(-1,+1)": agg.r_bar_car[(-1, 1)], "(-5,+5)": agg.r_bar_car[(-5, 5)],
                   "(+0,+0)": agg.r_bar}
    doc = copy.deepcopy(CONTRACT_EXAMPLE)
    doc["aggregate"]["r_bar_car"] = {**got, "(+0,+1)": None}
    validate_result(doc)
    for bad in ({"0,1": 0.1}, {"(-1,+1)": "0.1"}):
        doc["aggregate"]["r_bar_car"] = bad
        with pytest.raises(jsonschema.ValidationError):
            validate_result(doc)


# --- size: the same-day-0 r̄ over-rejects with staggered dates, the overlap-weighted one not ---


def test_size_with_partly_overlapping_windows() -> None:
    # 400 studies of 30 pairs, day 0s on 5 consecutive sessions, ρ = 0.3 on each date, H0.
    # CAR(−5,+5): pairs' windows share 7-11 of 11 days, so the SCARs' mean correlation is
    # ≈ 0.3 · 0.85 = 0.26; the same-day-0 r̄ is ≈ 0.3 / 5 = 0.06 and under-corrects.
    rng = np.random.default_rng(11)
    day0 = 200 + rng.integers(0, 5, (400, 30))
    a = _study(rng, day0, m=100)
    r_day, _, r_car = overlap_correlation(a.residuals, a.day0, event_days(a.day0, a.offsets),
                                          a.offsets, a.windows)
    assert 0.2 < r_car[:, 1].mean() < 0.3 and 0.03 < r_day.mean() < 0.09
    _, new = all_tests(a, r_bar=r_day, r_bar_car=r_car)
    scar = a.car[..., 1:2] / a.car_se[..., 1:2]  # (studies, pairs, 1 window)
    for key, old in (("kp_bmp_t", sig.kp_bmp_t(scar, r_day)),
                     ("adj_patell_z", sig.adj_patell_z(scar, a.df, r_day))):
        size_new, size_old = np.mean(new[key].p[:, 1] < 0.05), np.mean(old.p[:, 0] < 0.05)
        assert 0.02 <= size_new <= 0.085, (key, size_new)
        assert size_old >= 0.12, (key, size_old)
