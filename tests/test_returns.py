"""Tests of eventstudy.returns: log/simple returns on a session grid, trade to trade.

Known answers are worked by hand on grids of four to six sessions. Trade to trade (Maynes &
Rumsey 1993): a session where the security or the benchmark has no price has no return, and the
next return of both spans the gap. Sessions here are arbitrary dates: ``pair_returns`` only
needs the grid it is given.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventstudy.returns import RETURN_COLUMNS, GridNotes, basket_level, pair_returns

# Mon 2024-03-04 .. Mon 2024-03-11, Wednesday 03-06 not a session (a holiday of the grid)
GRID = pd.DatetimeIndex(["2024-03-04", "2024-03-05", "2024-03-07", "2024-03-08", "2024-03-11"])
P = [100.0, 110.0, 99.0, 99.0, 108.9]
B = [1000.0, 1010.0, 1000.0, 1020.0, 1010.0]


def series(values, index=GRID) -> pd.Series:
    return pd.Series(values, index=pd.DatetimeIndex(index), dtype=float)


def test_log_returns_by_hand() -> None:
    frame, notes = pair_returns(series(P), series(B), GRID, "log")
    assert list(frame.columns) == list(RETURN_COLUMNS)
    assert frame.index.equals(GRID)
    np.testing.assert_allclose(
        frame["return"], [np.nan, math.log(1.1), math.log(0.9), 0.0, math.log(1.1)], rtol=1e-15
    )
    np.testing.assert_allclose(
        frame["benchmark_return"],
        [np.nan, math.log(1.01), math.log(1000 / 1010), math.log(1.02), math.log(1010 / 1020)],
        rtol=1e-15,
    )
    assert frame["span"].tolist() == [0, 1, 1, 1, 1]
    assert notes == GridNotes((), ())


def test_simple_returns_by_hand() -> None:
    frame, _ = pair_returns(series(P), series(B), GRID, "simple")
    np.testing.assert_allclose(frame["return"], [np.nan, 0.1, -0.1, 0.0, 0.1], atol=1e-15)
    np.testing.assert_allclose(frame["benchmark_return"],
                               [np.nan, 0.01, -10 / 1010, 0.02, -10 / 1020], atol=1e-15)


def test_without_benchmark() -> None:
    frame, notes = pair_returns(series(P), None, GRID, "log")
    np.testing.assert_allclose(frame["return"].iloc[1:], np.log(np.array(P[1:]) / P[:-1]))
    assert frame["benchmark_return"].isna().all()
    assert notes.missing == ()


@pytest.mark.parametrize("who", ["security", "benchmark", "both"])
def test_missing_price_spans_two_sessions(who: str) -> None:
    # no price on 2024-03-07 (position 2): that session has no return; 03-08 spans 03-05..03-08
    gap = GRID[2]
    p, b = series(P), series(B)
    if who in ("security", "both"):
        p = p.drop(gap)
    if who in ("benchmark", "both"):
        b = b.drop(gap)
    frame, notes = pair_returns(p, b, GRID, "log")
    assert np.isnan(frame.loc[gap, "return"]) and np.isnan(frame.loc[gap, "benchmark_return"])
    assert frame["span"].tolist() == [0, 1, 0, 2, 1]
    assert frame["return"].iloc[3] == pytest.approx(math.log(99.0 / 110.0), rel=1e-15)
    # the benchmark return spans the same interval: log(B_t / B_{t-2})
    assert frame["benchmark_return"].iloc[3] == pytest.approx(math.log(1020 / 1010), rel=1e-15)
    # untouched elsewhere
    assert frame["return"].iloc[1] == pytest.approx(math.log(1.1), rel=1e-15)
    assert frame["return"].iloc[4] == pytest.approx(math.log(1.1), rel=1e-15)
    assert notes.missing == (gap,)
    assert notes.off_session == ()


def test_missing_price_simple_returns_span_the_gap() -> None:
    frame, _ = pair_returns(series(P).drop(GRID[2]), series(B), GRID, "simple")
    assert frame["return"].iloc[3] == pytest.approx(99 / 110 - 1, rel=1e-14)
    assert frame["benchmark_return"].iloc[3] == pytest.approx(1020 / 1010 - 1, rel=1e-14)


def test_two_missing_days_in_different_series_make_one_long_return() -> None:
    # security missing on 03-07, benchmark missing on 03-08: 03-11 spans three sessions
    frame, notes = pair_returns(series(P).drop(GRID[2]), series(B).drop(GRID[3]), GRID, "log")
    assert frame["span"].tolist() == [0, 1, 0, 0, 3]
    assert frame["return"].iloc[4] == pytest.approx(math.log(108.9 / 110), rel=1e-14)
    assert frame["benchmark_return"].iloc[4] == pytest.approx(math.log(1010 / 1010), abs=1e-15)
    assert notes.missing == (GRID[2], GRID[3])


def test_first_session_without_price() -> None:
    frame, notes = pair_returns(series(P).drop(GRID[0]), series(B), GRID, "log")
    assert frame["return"].iloc[:2].isna().all()
    assert frame["span"].tolist() == [0, 0, 1, 1, 1]
    assert frame["benchmark_return"].iloc[2] == pytest.approx(math.log(1000 / 1010), rel=1e-15)
    assert notes.missing == (GRID[0],)


def test_price_on_a_non_session_is_left_out_and_listed() -> None:
    holiday = pd.Timestamp("2024-03-06")  # a Wednesday that is not a session of GRID
    p = pd.concat([series(P), series([500.0], [holiday])]).sort_index()
    b = pd.concat([series(B), series([9999.0], [holiday])]).sort_index()
    outside = series([1.0], ["2024-03-01"])  # before the grid: not the grid's business
    frame, notes = pair_returns(pd.concat([outside, p]), b, GRID, "log")
    expected, _ = pair_returns(series(P), series(B), GRID, "log")
    pd.testing.assert_frame_equal(frame, expected)  # 03-07 still relative to 03-05
    assert notes.off_session == (holiday,)
    assert notes.missing == ()


def test_price_on_a_non_session_does_not_fill_a_missing_session() -> None:
    holiday = pd.Timestamp("2024-03-06")
    p = pd.concat([series(P).drop(GRID[2]), series([500.0], [holiday])]).sort_index()
    frame, notes = pair_returns(p, series(B), GRID, "log")
    assert frame["span"].tolist() == [0, 1, 0, 2, 1]
    assert frame["return"].iloc[3] == pytest.approx(math.log(99 / 110), rel=1e-15)
    assert notes == GridNotes((holiday,), (GRID[2],))


# ----------------------------------------------------------------------------------------------
# basket_level: equal-weighted proxy whose return is the mean of its members' returns
# ----------------------------------------------------------------------------------------------

SIX = pd.bdate_range("2024-04-01", periods=6)
A = [10.0, 11.0, 12.1, 11.0, 11.5, 12.0]
C = [50.0, 49.0, 51.0, 52.0, 50.5, 50.0]
# member C has no price on SIX[2]


def member_returns(prices, kind):
    p = np.asarray(prices, float)
    return np.log(p[1:] / p[:-1]) if kind == "log" else p[1:] / p[:-1] - 1


@pytest.mark.parametrize("kind", ["log", "simple"])
def test_basket_return_is_mean_of_member_returns(kind: str) -> None:
    level = basket_level([series(A, SIX), series(C, SIX)], SIX, kind)
    got = member_returns(level.to_numpy(), kind)
    expected = (member_returns(A, kind) + member_returns(C, kind)) / 2
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
    assert level.index.equals(SIX)


@pytest.mark.parametrize("kind", ["log", "simple"])
def test_basket_with_a_member_missing_a_day(kind: str) -> None:
    # day 2: only A has a return; day 3: the mean of A's one-day return and C's return over
    # days 1..3 (trade to trade); other days: the mean of both
    c = series(C, SIX).drop(SIX[2])
    level = basket_level([series(A, SIX), c], SIX, kind)
    assert level.notna().all()
    got = member_returns(level.to_numpy(), kind)
    ra, rc = member_returns(A, kind), member_returns(C, kind)
    c_over_gap = math.log(52 / 49) if kind == "log" else 52 / 49 - 1
    expected = [(ra[0] + rc[0]) / 2, ra[1], (ra[2] + c_over_gap) / 2, (ra[3] + rc[3]) / 2,
                (ra[4] + rc[4]) / 2]
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)


def test_basket_level_is_nan_where_no_member_has_a_price() -> None:
    a = series(A, SIX).drop(SIX[3])
    c = series(C, SIX).drop(SIX[3])
    level = basket_level([a, c], SIX, "log")
    assert np.isnan(level.iloc[3])
    assert level.drop(SIX[3]).notna().all()
    # through the gap, the level's return is the mean of the members' two-session returns
    got = math.log(level.iloc[4] / level.iloc[2])
    assert got == pytest.approx((math.log(11.5 / 12.1) + math.log(50.5 / 51)) / 2, rel=1e-12)


def test_basket_of_one_member_has_its_returns() -> None:
    level = basket_level([series(A, SIX)], SIX, "log")
    np.testing.assert_allclose(member_returns(level.to_numpy(), "log"),
                               member_returns(A, "log"), rtol=1e-12)


# ----------------------------------------------------------------------------------------------
# Properties
# ----------------------------------------------------------------------------------------------

prices = st.lists(st.floats(0.01, 1e5), min_size=6, max_size=6)


@settings(max_examples=60, deadline=None)
@given(p=prices, b=prices, scale=st.floats(1e-3, 1e3), bscale=st.floats(1e-3, 1e3),
       gaps=st.lists(st.booleans(), min_size=6, max_size=6))
def test_scaling_prices_leaves_returns_unchanged(p, b, scale, bscale, gaps) -> None:
    sessions = SIX
    keep = ~np.asarray(gaps)
    sec = series(p, sessions)[keep]
    ben = series(b, sessions)
    base, _ = pair_returns(sec, ben, sessions, "log")
    scaled, notes = pair_returns(sec * scale, ben * bscale, sessions, "log")
    np.testing.assert_allclose(scaled.to_numpy(), base.to_numpy(), rtol=1e-9, atol=1e-12)
    simple, _ = pair_returns(sec * scale, ben * bscale, sessions, "simple")
    np.testing.assert_allclose(np.log1p(simple["return"]), base["return"], rtol=1e-9,
                               atol=1e-12)
    assert notes.missing == tuple(sessions[~keep])


@settings(max_examples=60, deadline=None)
@given(p=prices, gaps=st.lists(st.booleans(), min_size=6, max_size=6))
def test_trade_to_trade_log_returns_telescope(p, gaps) -> None:
    # the log returns add up to log(last price / first price), and the spans to the sessions
    # between them, whatever the gaps
    keep = ~np.asarray(gaps)
    sec = series(p, SIX)[keep]
    frame, _ = pair_returns(sec, None, SIX, "log")
    if keep.sum() < 2:
        assert frame["return"].isna().all()
        return
    pos = np.flatnonzero(keep)
    assert frame["return"].sum() == pytest.approx(math.log(sec.iloc[-1] / sec.iloc[0]),
                                                  rel=1e-9, abs=1e-12)
    assert frame["span"].sum() == pos[-1] - pos[0]
    assert frame["return"].notna().sum() == keep.sum() - 1
