"""Tests of eventstudy.estimation.returns: log/simple returns on a session grid, trade to trade.

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

from eventstudy.estimation.returns import RETURN_COLUMNS, GridNotes, basket_level, pair_returns

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
# basket_level with weights: capitalisation-weighted, fixed quantities w_i / P_i(as_of)
# ----------------------------------------------------------------------------------------------

def test_cap_weighted_basket_is_the_value_of_fixed_holdings() -> None:
    # weights 1 and 3 as of SIX[1]: quantities 1/11 of A and 3/49 of C; the level moves as
    # the holdings' value q_A·A + q_C·C, worked by hand on every day
    level = basket_level([series(A, SIX), series(C, SIX)], SIX, "log", [1.0, 3.0], SIX[1])
    q_a, q_c = 1 / 11, 3 / 49
    value = [q_a * a + q_c * c for a, c in zip(A, C, strict=True)]
    np.testing.assert_allclose(level / level.iloc[0], np.array(value) / value[0], rtol=1e-14)
    # on the weights' date the members' shares of the value are the weights' shares
    assert q_a * A[1] / value[1] == pytest.approx(1 / 4, rel=1e-14)


def test_cap_weighted_basket_across_a_missing_price() -> None:
    # C has no price on SIX[2]: it is held at its last price (49), so that day only A moves
    # but C still counts in the value; on SIX[3] C's move from 49 shows
    c = series(C, SIX).drop(SIX[2])
    level = basket_level([series(A, SIX), c], SIX, "simple", [2.0, 5.0], SIX[0])
    q_a, q_c = 2 / 10, 5 / 50
    r = level.to_numpy()[1:] / level.to_numpy()[:-1] - 1
    assert r[1] == pytest.approx(q_a * (12.1 - 11) / (q_a * 11 + q_c * 49), rel=1e-14)
    day3 = (q_a * (11.0 - 12.1) + q_c * (52 - 49)) / (q_a * 12.1 + q_c * 49)
    assert r[2] == pytest.approx(day3, rel=1e-14)
    day4 = (q_a * (11.5 - 11) + q_c * (50.5 - 52)) / (q_a * 11 + q_c * 52)
    assert r[3] == pytest.approx(day4, rel=1e-14)
    # buy and hold: across the gap the level is still the holdings' value
    value = [q_a * a + q_c * x for a, x in zip(A, [50.0, 49.0, 49.0, 52.0, 50.5, 50.0],
                                               strict=True)]
    np.testing.assert_allclose(level / level.iloc[0], np.array(value) / value[0], rtol=1e-14)


def test_cap_weights_proportional_to_prices_give_the_price_sum() -> None:
    # weights equal to the prices on the weights' date: one unit of each, the level is ΣP
    level = basket_level([series(A, SIX), series(C, SIX)], SIX, "log", [A[3], C[3]], SIX[3])
    total = np.add(A, C)
    np.testing.assert_allclose(level / level.iloc[0], total / total[0], rtol=1e-14)


def test_cap_weights_use_the_last_price_on_or_before_their_date() -> None:
    # weights dated on a day C has no price: C's quantity is set at its previous price
    c = series(C, SIX).drop(SIX[2])
    got = basket_level([series(A, SIX), c], SIX, "log", [1.0, 1.0], SIX[2])
    units_a, units_c = 1 / 12.1, 1 / 49  # the holdings' value, by hand, on SIX[5]
    assert (got.iloc[5] / got.iloc[0] == pytest.approx(
        (units_a * A[5] + units_c * C[5]) / (units_a * A[0] + units_c * C[0]), rel=1e-14))


def test_cap_weighted_basket_errors() -> None:
    from eventstudy.errors import PriceDataError

    members = [series(A, SIX).rename("A.T"), series(C, SIX).rename("C.T")]
    with pytest.raises(PriceDataError, match="one positive weight per member"):
        basket_level(members, SIX, "log", [1.0], SIX[0])
    with pytest.raises(PriceDataError, match="one positive weight per member"):
        basket_level(members, SIX, "log", [1.0, 0.0], SIX[0])
    with pytest.raises(PriceDataError, match="need the date they are as of"):
        basket_level(members, SIX, "log", [1.0, 1.0], None)
    with pytest.raises(PriceDataError, match=r"C\.T: no price on or before 2024-04-01"):
        basket_level([members[0], members[1].drop(SIX[0])], SIX, "log", [1.0, 1.0], SIX[0])


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
