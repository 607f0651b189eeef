"""The estimation sample on the data that exists (issue 13): new listings and outages.

The case the issue reported: seven New York firms around 2020-03-16, estimation [-240, -1],
``min_estimation = 60``, two of them listed inside the window (first prices 2019-04-18 and
2019-05-10, offsets -228 and -213 of day 0). Prices are synthetic, on the real XNYS sessions
(exchange_calendars), so every count below is checked against that calendar, not against the
package's own arithmetic. The per-event path (``run``) and the batch engine must agree on the
sample and every number, under the default rule and the strict one (``full_estimation`` /
``require_full_window``).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st

import eventstudy
from eventstudy.sessions import sessions_in_range
from eventstudy.study.batch import tuning
from eventstudy.study.single import run

DAY0 = pd.Timestamp("2020-03-16")
EST, WIN = (-240, -1), (0, 5)
SESSIONS = sessions_in_range("XNYS", "2018-06-01", "2020-06-30")
POS0 = SESSIONS.get_loc(DAY0)
WINDOW = SESSIONS[POS0 + EST[0]:POS0 + EST[1] + 1]  # the 240 estimation sessions
LISTED = {"PINX": "2019-04-18", "UBRX": "2019-05-10"}  # first prices inside the window
OUTAGE = slice(POS0 - 150, POS0 - 90)  # 60 sessions without a price (OUTX)
FIRMS = ("AAA", "BBB", "CCC", "DDD", "OUTX", "PINX", "UBRX")
RTOL = 1e-10


def events_toml(strict: bool) -> str:
    securities = "\n".join(
        f'[securities.{f}]\nticker = "{f}"\nexchange = "XNYS"\nbenchmark = "^GSPC"\n'
        for f in FIRMS)
    return f"""\
[defaults]
estimation = [{EST[0]}, {EST[1]}]
window = [{WIN[0]}, {WIN[1]}]
car = [[0, 0], [0, 5]]
min_estimation = 60
{"full_estimation = true" if strict else ""}

{securities}
[[events]]
id = "covid"
title = "A market-wide shock"
announced = {DAY0.date()}
timing = "before-open"
securities = {list(FIRMS)!r}
""".replace("'", '"')


def simulated_prices(seed: int = 13) -> dict[str, pd.Series]:
    """Market-model closes on XNYS sessions, +5 % abnormal log return on day 0 for every firm;
    PINX and UBRX start on their listing days, OUTX has a 60-session outage."""
    rng = np.random.default_rng(seed)
    n = SESSIONS.size
    m = rng.normal(3e-4, 0.012, n)
    out = {"^GSPC": pd.Series(3000.0 * np.exp(np.cumsum(m)), index=SESSIONS)}
    for i, firm in enumerate(FIRMS):
        r = 1e-4 * i + (0.6 + 0.15 * i) * m + rng.normal(0.0, 0.015, n)
        r[POS0] += 0.05
        price = pd.Series(40.0 * np.exp(np.cumsum(r)), index=SESSIONS)
        if firm in LISTED:
            price = price[price.index >= LISTED[firm]]
        if firm == "OUTX":
            price = price.drop(SESSIONS[OUTAGE])
        out[firm] = price
    return out


def write_study(folder: Path, strict: bool = False) -> Path:
    prices = folder / "prices"
    prices.mkdir(exist_ok=True)
    for ticker, series in simulated_prices().items():
        lines = ["date,close"] + [f"{d.date()},{v!r}" for d, v in series.items()]
        (prices / f"{ticker}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    events = folder / ("strict.toml" if strict else "events.toml")
    events.write_text(events_toml(strict), encoding="utf-8")
    return events


def session_returns(index: pd.DatetimeIndex = SESSIONS) -> pd.DataFrame:
    """Each ticker's log returns on its own trading days (trade to trade across its outage),
    on ``index``: NaN where it has no close."""
    return pd.DataFrame({t: np.log(s).diff().reindex(index)
                         for t, s in simulated_prices().items()})


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sample")
    write_study(root)
    write_study(root, strict=True)
    return root


@pytest.fixture(scope="module")
def default(folder):
    return run("covid", events=folder / "events.toml", prices=folder / "prices")


@pytest.fixture(scope="module")
def strict(folder):
    return run("covid", events=folder / "strict.toml", prices=folder / "prices")


def pair(result, alias):
    (p,) = [p for p in result.pairs if p.security == alias]
    return p


# --- the calendar the counts rest on --------------------------------------------------------

def test_the_listings_fall_at_offsets_228_and_213() -> None:
    assert WINDOW.size == 240 and WINDOW[0] == pd.Timestamp("2019-04-02")
    assert SESSIONS.get_loc(pd.Timestamp("2019-04-18")) - POS0 == -228
    assert SESSIONS.get_loc(pd.Timestamp("2019-05-10")) - POS0 == -213


# --- the default rule: the returns that exist -------------------------------------------------

def test_new_listings_are_studied_on_the_returns_that_exist(default) -> None:
    assert not default.excluded and [p.security for p in default.pairs] == list(FIRMS)
    n_obs = {p.security: p.estimation.n_obs for p in default.pairs}
    assert n_obs == {"AAA": 240, "BBB": 240, "CCC": 240, "DDD": 240, "OUTX": 179,
                     "PINX": 227, "UBRX": 212}
    for alias, first in LISTED.items():
        fit = pair(default, alias).estimation
        assert fit.n_before_data == 240 - fit.n_obs  # the listing day itself has no return
        assert fit.first_obs == SESSIONS[SESSIONS.get_loc(pd.Timestamp(first)) + 1]
        assert fit.last_obs == WINDOW[-1] and fit.start == WINDOW[0]
        notes = pair(default, alias).notes
        assert any(f"M = {fit.n_obs} of the window's 240 sessions" in n
                   and f"before the first price ({alias} {first})" in n for n in notes), notes
        assert not any("without a price" in n for n in notes)  # a listing is not a gap


@pytest.mark.parametrize("alias", ["PINX", "UBRX"])
def test_listing_fit_is_the_ols_of_exactly_those_returns(default, alias) -> None:
    returns = session_returns()
    used = WINDOW[WINDOW > pd.Timestamp(LISTED[alias])]
    ols = sm.OLS(returns.loc[used, alias].to_numpy(),
                 sm.add_constant(returns.loc[used, "^GSPC"].to_numpy())).fit()
    fit = pair(default, alias).estimation
    assert fit.n_obs == ols.nobs == len(used)
    np.testing.assert_allclose([fit.alpha, fit.beta], ols.params, rtol=RTOL)
    assert fit.sigma == pytest.approx(math.sqrt(ols.scale), rel=RTOL)
    assert fit.r2 == pytest.approx(ols.rsquared, rel=RTOL)


def test_outage_is_a_note_with_m(default) -> None:
    p = pair(default, "OUTX")
    fit = p.estimation
    # 60 sessions without a price, and the return after them spans the gap: both left out
    assert (fit.n_obs, fit.n_missing, fit.n_gaps, fit.n_before_data) == (179, 60, 1, 0)
    a, z = SESSIONS[OUTAGE][0].date(), SESSIONS[OUTAGE][-1].date()
    assert any(f"60 session(s) without a price ({a}..{z} (60))" in n for n in p.notes), p.notes
    assert any("M = 179 of the window's 240 sessions; 60 without a price, 1 spanning a gap "
               "left out" in n for n in p.notes), p.notes


def test_json_carries_the_sample(default) -> None:
    doc = default.to_dict()
    est = {p["security"]: p["estimation"] for p in doc["pairs"]}
    assert est["PINX"]["n_obs"] == 227 and est["PINX"]["n_before_data"] == 13
    assert est["PINX"]["first_obs"] == "2019-04-22"  # 2019-04-19 was Good Friday
    assert est["OUTX"]["n_missing"] == 60 and est["OUTX"]["n_gaps"] == 1
    pytest.importorskip("jsonschema")
    from eventstudy.schema import validate_result

    validate_result(doc)


def test_r_bar_is_pairwise_complete_on_each_pairs_own_dates(default) -> None:
    # methods.md: Pearson on the dates two pairs share, means recomputed on that overlap.
    frame = pd.DataFrame({p.security: p.residuals.set_index("date")["ar"]
                          for p in default.pairs})
    assert frame["PINX"].notna().sum() == 227 and frame["OUTX"].notna().sum() == 179
    corr = frame.corr(min_periods=30).to_numpy()
    off = ~np.eye(len(frame.columns), dtype=bool)
    expected = corr[off].mean()
    assert default.aggregate.r_bar_all == pytest.approx(expected, rel=1e-12)
    assert default.aggregate.r_bar == pytest.approx(expected, rel=1e-12)  # one day 0
    assert default.aggregate.n == 7


# --- the strict rule ----------------------------------------------------------------------------

def test_full_estimation_restores_the_exclusion(default, strict) -> None:
    assert [p.security for p in strict.pairs] == ["AAA", "BBB", "CCC", "DDD", "OUTX"]
    reasons = {x.security: x.reason for x in strict.excluded}
    assert set(reasons) == set(LISTED)
    for alias, first in LISTED.items():
        assert reasons[alias] == (f"{alias}: estimation window starts 2019-04-02, before the "
                                  f"first price {first} (full_estimation = true)")
    for p in strict.pairs:  # the others: the same numbers under both rules
        q = pair(default, p.security)
        assert p.estimation == q.estimation
        np.testing.assert_array_equal(p.days["ar"], q.days["ar"])


# --- run and batch agree, on both rules ---------------------------------------------------------

def batch_pairs() -> pd.DataFrame:
    return pd.DataFrame({"security": list(FIRMS), "benchmark": "^GSPC", "day0": DAY0},
                        index=list(FIRMS))


@pytest.mark.parametrize("engine", ["auto", "numpy"])
@pytest.mark.parametrize("full", [False, True])
def test_run_and_batch_agree(default, strict, engine, full, monkeypatch) -> None:
    monkeypatch.setattr(tuning, "ENGINE", engine)
    result = strict if full else default
    res = eventstudy.batch(session_returns(), batch_pairs(), estimation=EST, window=WIN,
                           require_full_window=full)
    studied = [p.security for p in result.pairs]
    assert list(res.excluded.index[res.excluded.isna()]) == studied
    if full:
        for alias, first in LISTED.items():
            assert res.excluded[alias] == (
                f"estimation window starts 2019-04-02, before the first price of security "
                f"'{alias}' ({first}, the session before its first return) "
                "(require_full_window=True)")
    for p in result.pairs:
        fit, got = p.estimation, res.estimation.loc[p.security]
        assert got["n_obs"] == fit.n_obs
        for name in ("alpha", "beta", "sigma", "mean_m", "sxx", "r2"):
            np.testing.assert_allclose(got[name], getattr(fit, name), rtol=RTOL, err_msg=name)
        assert got["start"] == fit.start and got["end"] == fit.end
        np.testing.assert_allclose(res.ar.loc[p.security].to_numpy(), p.days["ar"], rtol=RTOL)
        np.testing.assert_allclose(res.se.loc[p.security].to_numpy(), p.days["se"], rtol=RTOL)
        car = p.car.set_index("window").loc[[WIN]].iloc[0]
        np.testing.assert_allclose(res.car[p.security], car["car"], rtol=RTOL)
        np.testing.assert_allclose(res.car_se[p.security], car["se"], rtol=RTOL)
        np.testing.assert_allclose(res.car_p[p.security], car["p"], rtol=1e-8)


@pytest.mark.parametrize("engine", ["auto", "numpy"])
def test_batch_window_before_the_first_row(engine, monkeypatch) -> None:
    # The returns frame itself starts at PINX's listing: the window reaches before row 0, and
    # the sample is the rows there are, the same numbers as on the longer frame.
    monkeypatch.setattr(tuning, "ENGINE", engine)
    long = session_returns()
    short = long[long.index > pd.Timestamp(LISTED["PINX"])]
    pairs = batch_pairs()
    full = eventstudy.batch(long, pairs, estimation=EST, window=WIN)
    cut = eventstudy.batch(short, pairs, estimation=EST, window=WIN)
    assert cut.excluded.isna().all()
    for name in ("alpha", "beta", "sigma", "n_obs"):
        np.testing.assert_allclose(cut.estimation.loc["PINX", name],
                                   full.estimation.loc["PINX", name], rtol=1e-12)
    np.testing.assert_allclose(cut.car["PINX"], full.car["PINX"], rtol=1e-12)
    assert cut.estimation.loc["AAA", "n_obs"] == 227  # AAA loses its first 13 rows too
    assert cut.estimation.loc["PINX", "start"] == short.index[0]
    # the aggregate places each pair's residuals on their dates (none before row 0)
    agg_cut = cut.aggregate()
    assert agg_cut.n == 7 and np.isfinite(agg_cut.r_bar)
    strict = eventstudy.batch(short, pairs, estimation=EST, window=WIN,
                              require_full_window=True)
    assert strict.excluded.notna().all()
    assert strict.excluded["AAA"] == (
        f"estimation window starts at offset -240, before the first session of returns "
        f"({short.index[0].date()}) (require_full_window=True)")
    too_short = eventstudy.batch(short[short.index > WINDOW[-60]], pairs, estimation=EST,
                                 window=WIN)
    assert too_short.excluded["AAA"].startswith("only 59 usable estimation returns")  # rows -59..-1
    assert "before the first session of returns" in too_short.excluded["AAA"]


@settings(max_examples=40, deadline=None)
@given(first=st.integers(-260, -2), holes=st.lists(st.integers(-240, -1), max_size=30),
       start=st.integers(0, 200), bench_first=st.integers(-260, -2))
def test_batch_sample_is_the_rows_with_both_returns(first, holes, start, bench_first) -> None:
    # Property: M is the number of window rows the frame holds with both returns present and
    # over one session (the row before priced for both: a return after a hole spans it, trade
    # to trade), whatever the listing offsets, holes and first row; both engines agree.
    index = SESSIONS[start:POS0 + WIN[1] + 1]
    d = POS0 - start
    rng = np.random.default_rng(abs(hash((first, start))) % 2**32)
    r = pd.Series(rng.normal(0, 0.01, index.size), index=index)
    m = pd.Series(rng.normal(0, 0.01, index.size), index=index)
    offsets = np.arange(index.size) - d
    r[offsets <= first] = np.nan
    m[offsets <= bench_first] = np.nan
    r[np.isin(offsets, holes)] = np.nan
    frame = pd.DataFrame({"S": r, "M": m})
    pairs = pd.DataFrame({"security": ["S"], "benchmark": ["M"], "day0": [DAY0]})
    in_window = (offsets >= EST[0]) & (offsets <= EST[1])
    def before_priced(x: pd.Series) -> np.ndarray:
        """Priced on the row before: a return there, or the row before the first return (the
        first price); the row before row 0 counts as priced."""
        present = x.notna().to_numpy()
        priced = present.copy()
        first = int(np.argmax(present))
        if present.any() and first > 0:
            priced[first - 1] = True
        return np.concatenate([[True], priced[:-1]])

    one_session = before_priced(r) & before_priced(m)
    expected = int((in_window & r.notna().to_numpy() & m.notna().to_numpy()
                    & one_session).sum())
    got = {}
    for engine in ("auto", "numpy"):
        tuning.ENGINE = engine
        try:
            res = eventstudy.batch(frame, pairs, estimation=EST, window=WIN, min_estimation=3)
        finally:
            tuning.ENGINE = "auto"
        assert res.estimation["n_obs"].iloc[0] == expected
        got[engine] = res.estimation[["alpha", "beta", "sigma"]].to_numpy()
    np.testing.assert_allclose(got["auto"], got["numpy"], rtol=1e-12)


def test_full_estimation_must_be_a_boolean(tmp_path) -> None:
    from eventstudy.errors import EventsFileError

    path = tmp_path / "events.toml"
    path.write_text(events_toml(False).replace("min_estimation = 60",
                                               'min_estimation = 60\nfull_estimation = "yes"'),
                    encoding="utf-8")
    with pytest.raises(EventsFileError, match=r"\[defaults\] full_estimation must be true or "
                                              r"false, got 'yes'"):
        eventstudy.load_events(path)
    assert eventstudy.load_events(write_study(tmp_path, strict=True)).defaults.full_estimation
    assert not eventstudy.load_events(write_study(tmp_path)).defaults.full_estimation
