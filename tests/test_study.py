"""Tests of eventstudy.study.single.run: the embedded dual-use-ban study, every packaged event, and
a simulated study written to tmp_path whose true abnormal return is known.

Known answers: prices read from the raw CSV files with pandas (not the package's reader), the
estimation sample rebuilt here from them (a return enters when its session and the previous
one both have a security and a benchmark price), and the CLM closed forms of Var(AR) and
Var(CAR) written out in the test. The packaged events.toml is used, not ./events.toml.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

import eventstudy
from eventstudy.events import load_events
from eventstudy.prices import embedded
from eventstudy.sessions import day_zero, sessions_at, sessions_in_range
from eventstudy.study.single import run

PACKAGED_EVENTS = Path(eventstudy.__file__).resolve().parent / "events.toml"
DATA = Path(embedded.__file__).resolve().parent / "data"
ESTIMATION, WINDOW = (-250, -11), (-5, 5)
DAY0 = pd.Timestamp("2026-01-07")


def raw_close(ticker: str, folder: Path = DATA) -> pd.Series:
    """Closing prices straight from DIR/<TICKER>.csv, rows without a close dropped."""
    frame = pd.read_csv(folder / f"{ticker}.csv", usecols=["date", "close"])
    frame = frame.dropna(subset=["close"])
    return pd.Series(frame["close"].to_numpy(float), index=pd.DatetimeIndex(frame["date"]))


class Sample:
    """The estimation sample and event-window benchmark returns of a pair, rebuilt by hand."""

    def __init__(self, security: pd.Series | list[pd.Series], benchmark: pd.Series | None,
                 exchange: str, day0: pd.Timestamp) -> None:
        grid = sessions_at(exchange, day0, ESTIMATION[0] - 1, WINDOW[1])
        t = np.arange(ESTIMATION[0] - 1, WINDOW[1] + 1)
        if isinstance(security, list):  # a basket is priced where any member is
            priced = pd.concat([s.reindex(grid) for s in security], axis=1).notna().any(axis=1)
            p = pd.Series(np.where(priced, 1.0, np.nan), index=grid)
        else:
            p = security.reindex(grid)
        q = benchmark.reindex(grid) if benchmark is not None else pd.Series(1.0, index=grid)
        valid = (p.notna() & q.notna()).to_numpy()
        one_day = valid[1:] & valid[:-1]
        est = (t[1:] >= ESTIMATION[0]) & (t[1:] <= ESTIMATION[1])
        sel = np.flatnonzero(one_day & est) + 1
        self.r = np.log(p.to_numpy()[sel] / p.to_numpy()[sel - 1])
        self.m = np.log(q.to_numpy()[sel] / q.to_numpy()[sel - 1])
        self.n = sel.size
        self.mean_m = self.m.mean()
        self.sxx = float(np.sum((self.m - self.mean_m) ** 2))


@pytest.fixture(scope="module")
def calendar():
    # The hand-rebuilt samples below keep every usable estimation return: estimation-window
    # hygiene (other events' windows, confounder dates) is switched off here and tested on its
    # own known answers in test_hygiene.py.
    # N225 is switched to the constant mean (the shipped file uses the world-market model, whose
    # known answers are in test_alignment.py) so the k = 1 path keeps its known answers here.
    cal = load_events(PACKAGED_EVENTS)
    n225 = cal.securities["N225"]
    n225 = replace(n225, benchmark=None, benchmark_exchange=None,
                   overrides={**n225.overrides, "model": "constant-mean"})
    return replace(cal, defaults=replace(cal.defaults, exclude_event_windows=False,
                                         exclude_confounders=False),
                   securities={**cal.securities, "N225": n225})


@pytest.fixture(scope="module")
def dual_use(calendar):
    return run("dual-use-ban", events=calendar)


@pytest.fixture(scope="module")
def samples(calendar) -> dict[str, Sample]:
    out = {}
    for alias in ("LYC", "TOYO", "TE", "N225"):
        sec = calendar.security(alias)
        price = [raw_close(t) for t in sec.basket] if sec.basket else raw_close(sec.ticker)
        bench = raw_close(sec.benchmark) if sec.benchmark else None
        out[alias] = Sample(price, bench, sec.exchange, DAY0)
    return out


def pair(result, alias: str):
    (found,) = [p for p in result.pairs if p.security == alias]
    return found


# ----------------------------------------------------------------------------------------------
# The embedded dual-use-ban study
# ----------------------------------------------------------------------------------------------


def test_dual_use_pairs_and_day0(dual_use, calendar) -> None:
    assert [p.security for p in dual_use.pairs] == ["LYC", "TOYO", "TE", "N225"]
    assert dual_use.excluded == ()
    # announced 2026-01-06 16:25 +08:00: after the Tokyo (15:30 JST) and Sydney (16:00 AEDT)
    # closes, so day 0 is the next session of both, 2026-01-07
    assert all(p.day0 == DAY0 for p in dual_use.pairs)
    for p in dual_use.pairs:
        assert calendar.settings(dual_use.event, calendar.security(p.security)).estimation \
            == ESTIMATION
        days = p.days
        assert days["t"].tolist() == list(range(WINDOW[0], WINDOW[1] + 1))
        assert days.loc[days["t"] == 0, "date"].item() == DAY0
        assert list(p.car["window"]) == [(0, 0), (0, 1), (-1, 1), (0, 5)]


def test_lyc_day0_return_from_raw_csv(dual_use) -> None:
    closes = {}
    with (DATA / "LYC.AX.csv").open(newline="") as fh:
        for row in csv.DictReader(fh):
            if row["date"] in ("2026-01-06", "2026-01-07"):
                closes[row["date"]] = float(row["close"])
    assert closes == {"2026-01-06": 13.15, "2026-01-07": 15.06}
    days = pair(dual_use, "LYC").days
    got = days.loc[days["t"] == 0, "return"].item()
    assert got == pytest.approx(math.log(15.06 / 13.15), rel=1e-12)


def test_n225_is_constant_mean_without_benchmark(dual_use, samples) -> None:
    n225 = pair(dual_use, "N225")
    assert (n225.model, n225.benchmark) == ("constant-mean", None)
    fit, s = n225.estimation, samples["N225"]
    assert (fit.k, fit.n_obs, fit.df) == (1, s.n, s.n - 1)
    assert fit.alpha == pytest.approx(s.r.mean(), rel=1e-10)
    assert fit.sigma == pytest.approx(s.r.std(ddof=1), rel=1e-10)
    assert n225.days["benchmark_return"].isna().all()
    np.testing.assert_allclose(n225.days["expected"], fit.alpha * n225.days["span"], rtol=1e-12)
    assert dual_use.to_dict()["pairs"][3]["benchmark"] is None


@pytest.mark.parametrize("alias", ["LYC", "TOYO"])
def test_market_fit_equals_statsmodels_on_rebuilt_sample(dual_use, samples, alias) -> None:
    fit, s = pair(dual_use, alias).estimation, samples[alias]
    ols = sm.OLS(s.r, sm.add_constant(s.m)).fit()
    assert (fit.model, fit.n_obs, fit.df) == ("market", s.n, s.n - 2)
    np.testing.assert_allclose([fit.alpha, fit.beta], ols.params, rtol=1e-9, atol=1e-14)
    assert fit.sigma == pytest.approx(np.sqrt(ols.scale), rel=1e-10)
    assert fit.r2 == pytest.approx(ols.rsquared, rel=1e-10)


@pytest.mark.parametrize("alias", ["LYC", "TOYO"])
def test_residuals_are_the_statsmodels_residuals(dual_use, samples, alias) -> None:
    res, s = pair(dual_use, alias).residuals, samples[alias]
    ols = sm.OLS(s.r, sm.add_constant(s.m)).fit()
    assert len(res) == s.n and res["t"].between(-250, -11).all()
    np.testing.assert_allclose(res["ar"], ols.resid, rtol=1e-8, atol=1e-13)


def test_lyc_gap_is_left_out_of_the_estimation(dual_use, samples) -> None:
    # LYC.AX has no price on 2025-08-28: that session has no return and the next one spans two
    # sessions; both are out of the fit, so M = 240 − 2 = 238 and one gap is counted
    fit = pair(dual_use, "LYC").estimation
    assert (fit.n_obs, fit.n_gaps) == (238, 1) == (samples["LYC"].n, 1)


@pytest.mark.parametrize("alias", ["LYC", "TOYO", "TE", "N225"])
def test_se_equals_closed_form(dual_use, samples, alias: str) -> None:
    p, s = pair(dual_use, alias), samples[alias]
    fit = p.estimation
    assert fit.n_obs == s.n
    days = p.days
    n = days["span"].to_numpy(float)
    sigma2, M = fit.sigma**2, s.n
    if p.model == "market":
        m = days["benchmark_return"].to_numpy()
        assert fit.mean_m == pytest.approx(s.mean_m, rel=1e-10)
        assert fit.sxx == pytest.approx(s.sxx, rel=1e-10)
        var = sigma2 * (n + n**2 / M + (m - n * s.mean_m) ** 2 / s.sxx)
    else:
        var = sigma2 * (n + n**2 / M)
    np.testing.assert_allclose(days["se"] ** 2, var, rtol=1e-10)
    np.testing.assert_allclose(days["t_stat"], days["ar"] / days["se"], rtol=1e-12)
    np.testing.assert_allclose(days["p"], 2 * stats.t.sf(np.abs(days["t_stat"]), fit.df),
                               rtol=1e-10)
    # CAR windows: σ̂²[L + L²/M + (Σ(R_m − R̄_m))²/Sxx] (all spans are 1 here)
    assert (n == 1).all()
    for _, row in p.car.iterrows():
        lo, hi = row["window"]
        sel = (days["t"] >= lo) & (days["t"] <= hi)
        L = int(sel.sum())
        car_var = sigma2 * (L + L**2 / M)
        if p.model == "market":
            car_var += sigma2 * np.sum(days.loc[sel, "benchmark_return"] - s.mean_m) ** 2 / s.sxx
        assert row["se"] ** 2 == pytest.approx(car_var, rel=1e-10)
        assert row["p"] == pytest.approx(2 * stats.t.sf(abs(row["t_stat"]), fit.df), rel=1e-9)


@pytest.mark.parametrize("alias", ["LYC", "TOYO", "TE"])
def test_event_window_benchmark_returns_from_raw_csv(dual_use, calendar, alias) -> None:
    p = pair(dual_use, alias)
    bench = raw_close(calendar.security(alias).benchmark)
    grid = sessions_at(p.exchange, DAY0, WINDOW[0] - 1, WINDOW[1])
    q = bench.reindex(grid).to_numpy()
    np.testing.assert_allclose(p.days["benchmark_return"], np.log(q[1:] / q[:-1]), rtol=1e-12)


@pytest.mark.parametrize("alias", ["LYC", "TOYO", "TE", "N225"])
def test_ar_sums_to_car(dual_use, alias: str) -> None:
    p = pair(dual_use, alias)
    days = p.days
    np.testing.assert_allclose(days["ar"], days["return"] - days["expected"], atol=1e-15)
    np.testing.assert_allclose(days["car"], np.cumsum(days["ar"]), rtol=1e-12, atol=1e-15)
    for _, row in p.car.iterrows():
        lo, hi = row["window"]
        sel = (days["t"] >= lo) & (days["t"] <= hi)
        assert row["car"] == pytest.approx(days.loc[sel, "ar"].sum(), rel=1e-12, abs=1e-15)
        assert row["n_days"] == hi - lo + 1
        assert row["t_stat"] == pytest.approx(row["car"] / row["se"], rel=1e-12)


@pytest.mark.parametrize("alias", ["LYC", "TOYO", "TE", "N225"])
def test_bhar_compounds_simple_returns(dual_use, alias: str) -> None:
    # BHAR = Π(1 + R) − Π(1 + E[R]) in simple returns; the study's returns are log returns
    p = pair(dual_use, alias)
    days = p.days
    for _, row in p.car.iterrows():
        lo, hi = row["window"]
        sel = (days["t"] >= lo) & (days["t"] <= hi)
        bhar = (np.exp(days.loc[sel, "return"].sum())
                - np.exp(days.loc[sel, "expected"].sum()))
        assert row["bhar"] == pytest.approx(bhar, rel=1e-10)


def test_market_expected_return(dual_use) -> None:
    for alias in ("LYC", "TOYO", "TE"):
        p = pair(dual_use, alias)
        fit, days = p.estimation, p.days
        np.testing.assert_allclose(days["expected"],
                                   fit.alpha + fit.beta * days["benchmark_return"], rtol=1e-12)


def test_to_frame_one_row_per_pair_and_day(dual_use) -> None:
    frame = dual_use.to_frame()
    assert len(frame) == 4 * (WINDOW[1] - WINDOW[0] + 1)
    assert not frame.duplicated(["security", "t"]).any()
    assert set(frame["security"]) == {"LYC", "TOYO", "TE", "N225"}
    assert (frame["event"] == "dual-use-ban").all()
    lyc = frame[frame["security"] == "LYC"].reset_index(drop=True)
    np.testing.assert_allclose(lyc["ar"], pair(dual_use, "LYC").days["ar"], rtol=0)


def test_te_is_the_cap_weighted_basket_of_jpx_weights(calendar, dual_use) -> None:
    # Issue 13: the day-0 return of TE, recomputed here from the members' embedded closes and
    # the weights of events.toml (quantities w / close on 2025-12-30, value of the holdings).
    te = calendar.securities["TE"]
    closes = pd.DataFrame({t: embedded.EmbeddedSource().load(t) for t in te.basket})
    closes = closes.loc[:"2026-01-07"].ffill()
    units = pd.Series(te.weights, index=list(te.basket)) / closes.loc["2025-12-30"]
    value = (closes * units).sum(axis=1)
    day0 = value.loc["2026-01-07"] / value.loc["2026-01-06"] - 1
    p = pair(dual_use, "TE")
    row = p.days.set_index("t").loc[0]
    assert math.expm1(row["return"]) == pytest.approx(day0, rel=1e-10)
    assert -0.025 < day0 < -0.023  # the articles: the index fell about 2.5 %
    assert p.proxy and any(n.startswith("proxy: capitalisation-weighted (weights as of "
                                        "2025-12-30) basket of 15 members") for n in p.notes)


def test_the_te_variants_run(calendar) -> None:
    result = run("dual-use-ban-te", events=calendar)
    assert [p.security for p in result.pairs] == ["TE", "TE-EW", "TE-ETF"]
    etf = pair(result, "TE-ETF")
    # 1622.T is priced from 2024-12-30: its estimation window starts before (issue 13)
    assert etf.estimation.start < pd.Timestamp("2024-12-30") and etf.estimation.n_before_data
    assert etf.estimation.first_obs == pd.Timestamp("2025-01-06")  # Tokyo's next session
    assert all(p.proxy for p in result.pairs)


def test_to_json_validates(dual_use) -> None:
    pytest.importorskip("jsonschema")
    from eventstudy.schema import validate_result

    doc = json.loads(dual_use.to_json())
    validate_result(doc)
    assert [p["security"] for p in doc["pairs"]] == ["LYC", "TOYO", "TE", "N225"]
    assert doc["pairs"][0]["day0"] == "2026-01-07"
    assert doc["pairs"][0]["estimation"]["n_obs"] == 238
    assert doc == dual_use.to_dict()


def test_every_packaged_event_runs(calendar) -> None:
    for event in calendar.events:
        result = run(event.id, events=calendar)
        assert len(result.pairs) + len(result.excluded) == len(event.securities), event.id
        seen = [p.security for p in result.pairs] + [x.security for x in result.excluded]
        assert sorted(seen) == sorted(event.securities), event.id
        for p in result.pairs:
            assert p.days["t"].tolist() == list(range(WINDOW[0], WINDOW[1] + 1))
            assert p.estimation.n_obs >= 60


# ----------------------------------------------------------------------------------------------
# A simulated study: prices written to tmp_path, +10 % abnormal log return on day 0
# ----------------------------------------------------------------------------------------------

SIM_ALPHA, SIM_BETA, SIM_SIGMA, SIM_JUMP = 2e-4, 1.2, 0.02, 0.10
SIM_DAY0 = pd.Timestamp("2025-09-01")  # a Monday, a Tokyo session
EVENTS_TOML = """
[securities.SIM]
ticker    = "SIM.T"
name      = "Simulated"
exchange  = "XTKS"
benchmark = "^TOPX"

[securities.OLD]
# priced from 2023 and content with 60 returns: keeps each event below with one studied pair
ticker    = "OLD.T"
exchange  = "XTKS"
benchmark = "^TOPX"
min_estimation = 60

[[events]]
id        = "sim-event"
announced = 2025-09-01
timing    = "before-open"
securities = ["SIM"]

[[events]]
id        = "too-early"
announced = 2024-06-03
timing    = "before-open"
securities = ["SIM", "OLD"]

[[events]]
id        = "too-early-strict"
announced = 2024-06-03
timing    = "before-open"
securities = ["SIM", "OLD"]
full_estimation = true

[[events]]
id        = "short-history"
announced = 2025-09-01
timing    = "before-open"
securities = ["SIM", "OLD"]
min_estimation = 241
"""


def write_prices(path: Path, prices: pd.Series) -> None:
    lines = ["date,close"] + [f"{d.date().isoformat()},{v!r}" for d, v in prices.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    """Market-model prices of SIM.T over 2024-2025 Tokyo sessions, one missing price in the
    estimation window (2025-06-02) and one in the event window (day +2); ^TOPX and OLD.T
    (a second security, the benchmark plus noise) start in 2023."""
    folder = tmp_path_factory.mktemp("sim")
    grid = sessions_in_range("XTKS", "2024-01-01", "2025-12-31")
    early = sessions_in_range("XTKS", "2023-01-01", "2023-12-31")
    assert day_zero(SIM_DAY0.date(), "before-open", "XTKS").session == SIM_DAY0
    rng = np.random.default_rng(7)
    m_early = rng.normal(3e-4, 0.01, early.size)
    m = rng.normal(3e-4, 0.01, grid.size)
    r = SIM_ALPHA + SIM_BETA * m + rng.normal(0.0, SIM_SIGMA, grid.size)
    pos0 = grid.get_loc(SIM_DAY0)
    r[pos0] += SIM_JUMP
    r[0] = 0.0
    both = early.append(grid)
    bench_all = pd.Series(1500.0 * np.exp(np.cumsum(np.r_[m_early, m])), index=both)
    bench = bench_all[grid]
    price = pd.Series(800.0 * np.exp(np.cumsum(r)), index=grid)
    old = bench_all * np.exp(np.cumsum(rng.normal(0.0, 0.015, both.size)))
    gaps = [pd.Timestamp("2025-06-02"), grid[pos0 + 2]]
    write_prices(folder / "SIM.T.csv", price.drop(gaps))
    write_prices(folder / "^TOPX.csv", bench_all)
    write_prices(folder / "OLD.T.csv", old)
    (folder / "events.toml").write_text(EVENTS_TOML, encoding="utf-8")
    return {"folder": folder, "events": folder / "events.toml", "price": price, "bench": bench,
            "gaps": gaps, "grid": grid, "pos0": pos0}


@pytest.fixture(scope="module")
def sim_result(sim):
    return run("sim-event", events=sim["events"], prices=sim["folder"])


def test_simulated_study_recovers_the_jump(sim, sim_result) -> None:
    assert sim_result.excluded == ()
    (p,) = sim_result.pairs
    fit = p.estimation
    assert (p.security, p.ticker, p.benchmark, p.day0) == ("SIM", "SIM.T", "^TOPX", SIM_DAY0)
    # 240 returns in the window; the missing 2025-06-02 removes two (its own, the spanning one)
    assert (fit.n_obs, fit.n_gaps, fit.df) == (238, 1, 236)
    assert fit.beta == pytest.approx(SIM_BETA, abs=4 * SIM_SIGMA / np.sqrt(fit.sxx))
    days = p.days.set_index("t")
    ar0, se0 = days.loc[0, "ar"], days.loc[0, "se"]
    half = stats.t.ppf(0.995, fit.df) * se0
    assert ar0 - half <= SIM_JUMP <= ar0 + half
    car00 = p.car.set_index(p.car["window"].map(tuple)).loc[[(0, 0)]].iloc[0]
    assert car00["car"] == pytest.approx(ar0)
    assert car00["p"] < 0.01
    # the whole fit against statsmodels on the sample rebuilt from the simulated prices
    s = Sample(sim["price"].drop(sim["gaps"]), sim["bench"], "XTKS", SIM_DAY0)
    ols = sm.OLS(s.r, sm.add_constant(s.m)).fit()
    np.testing.assert_allclose([fit.alpha, fit.beta], ols.params, rtol=1e-9, atol=1e-14)
    assert fit.sigma == pytest.approx(np.sqrt(ols.scale), rel=1e-10)


def test_simulated_study_gap_in_event_window(sim, sim_result) -> None:
    # day +2 has no price: no return on +2, and +3 spans two sessions for both series, with
    # variance σ̂²[2 + 4/M + (R_m − 2 R̄_m)²/Sxx]
    (p,) = sim_result.pairs
    fit = p.estimation
    days = p.days.set_index("t")
    assert np.isnan(days.loc[2, "ar"]) and days.loc[2, "span"] == 0
    assert days.loc[3, "span"] == 2
    price, bench, pos0 = sim["price"], sim["bench"], sim["pos0"]
    assert days.loc[3, "return"] == pytest.approx(
        math.log(price.iloc[pos0 + 3] / price.iloc[pos0 + 1]), rel=1e-9)
    m3 = math.log(bench.iloc[pos0 + 3] / bench.iloc[pos0 + 1])
    assert days.loc[3, "benchmark_return"] == pytest.approx(m3, rel=1e-9)
    assert days.loc[3, "expected"] == pytest.approx(2 * fit.alpha + fit.beta * m3, rel=1e-9)
    var = fit.sigma**2 * (2 + 4 / fit.n_obs + (m3 - 2 * fit.mean_m) ** 2 / fit.sxx)
    assert days.loc[3, "se"] ** 2 == pytest.approx(var, rel=1e-10)
    # the running CAR carries over the missing day; CAR(0, 5) has five returns over six days
    assert days.loc[2, "car"] == pytest.approx(days.loc[1, "car"])
    car05 = p.car.set_index(p.car["window"].map(tuple)).loc[[(0, 5)]].iloc[0]
    assert car05["n_days"] == 5
    assert car05["car"] == pytest.approx(days.loc[0:5, "ar"].sum())
    m = days.loc[0:5, "benchmark_return"].dropna()
    spans = days.loc[0:5, "span"].to_numpy()
    s_n = spans.sum()
    assert s_n == 6
    car_var = fit.sigma**2 * (s_n + s_n**2 / fit.n_obs + (m.sum() - s_n * fit.mean_m) ** 2
                              / fit.sxx)
    assert car05["se"] ** 2 == pytest.approx(car_var, rel=1e-10)
    assert any("without a price" in note for note in p.notes)
    frame = sim_result.to_frame()
    assert len(frame) == 11 and not frame.duplicated(["security", "t"]).any()


def test_estimation_before_first_price_is_a_note(sim) -> None:
    # SIM.T's first price (2024-01-04) falls inside the estimation window of 2024-06-03: the
    # sample is the returns that exist, M counted, a note, no exclusion (issue 13).
    result = run("too-early", events=sim["events"], prices=sim["folder"])
    assert [p.security for p in result.pairs] == ["SIM", "OLD"] and not result.excluded
    p = pair(result, "SIM")
    fit = p.estimation
    grid = sim["grid"]
    day0 = grid.get_loc(pd.Timestamp("2024-06-03"))
    window = sessions_in_range("XTKS", "2023-01-01", "2025-12-31")
    pos0 = window.get_loc(pd.Timestamp("2024-06-03"))
    est = window[pos0 - 250: pos0 - 10]  # the default [-250, -11]
    first = sim["price"].index[0]
    assert est[0] < first  # the window does start before the first price
    usable = est[est > first]  # a return needs the previous session's price
    assert fit.n_obs == len(usable) == day0 - 10 - 1
    assert fit.n_before_data == len(est) - len(usable)
    assert (fit.first_obs, fit.last_obs) == (usable[0], usable[-1])
    assert fit.start == est[0]  # the configured window is kept, the sample is what exists
    assert any(f"M = {fit.n_obs} of the window's {len(est)} sessions" in n for n in p.notes)
    assert any("before the first price (SIM.T 2024-01-04)" in n for n in p.notes)
    # the fit is the OLS of exactly those returns
    r = np.log(sim["price"]).diff()[usable]
    m = np.log(sim["bench"]).diff()[usable]
    ols = sm.OLS(r.to_numpy(), sm.add_constant(m.to_numpy())).fit()
    assert (fit.alpha, fit.beta) == pytest.approx(tuple(ols.params), rel=1e-10)
    assert fit.sigma == pytest.approx(math.sqrt(ols.scale), rel=1e-10)


def test_full_estimation_restores_the_exclusion(sim) -> None:
    result = run("too-early-strict", events=sim["events"], prices=sim["folder"])
    assert [p.security for p in result.pairs] == ["OLD"]
    (x,) = result.excluded
    assert (x.security, x.ticker) == ("SIM", "SIM.T")
    assert "before the first price 2024-01-04 (full_estimation = true)" in x.reason
    assert set(result.to_frame()["security"]) == {"OLD"}
    doc = json.loads(result.to_json())
    assert doc["excluded"] == [{"security": "SIM", "ticker": "SIM.T", "reason": x.reason}]


def test_min_estimation_excludes(sim) -> None:
    result = run("short-history", events=sim["events"], prices=sim["folder"])
    assert [p.security for p in result.pairs] == ["OLD"]
    (x,) = result.excluded
    assert x.security == "SIM"
    assert "usable estimation returns" in x.reason
    assert "238" in x.reason and "241" in x.reason


# ----------------------------------------------------------------------------------------------
# A benchmark on another exchange (contract: aligned by instant)
# ----------------------------------------------------------------------------------------------

CROSS_TOML = """
[securities.SIM]
ticker    = "SIM.T"
exchange  = "XTKS"
benchmark = "^GSPC"

[[events]]
id        = "cross"
announced = 2025-09-10
timing    = "before-open"
securities = ["SIM"]
"""


def test_benchmark_on_another_exchange_is_aligned_by_instant(tmp_path) -> None:
    tokyo = sessions_in_range("XTKS", "2024-01-01", "2025-12-31")
    new_york = sessions_in_range("XNYS", "2024-01-01", "2025-12-31")
    rng = np.random.default_rng(11)
    gspc = pd.Series(5000 * np.exp(np.cumsum(rng.normal(0, 0.01, new_york.size))),
                     index=new_york)
    sim = pd.Series(900 * np.exp(np.cumsum(rng.normal(0, 0.02, tokyo.size))), index=tokyo)
    write_prices(tmp_path / "^GSPC.csv", gspc)
    write_prices(tmp_path / "SIM.T.csv", sim)
    (tmp_path / "events.toml").write_text(CROSS_TOML, encoding="utf-8")
    result = run("cross", events=tmp_path / "events.toml", prices=tmp_path)
    days = result.pairs[0].days.set_index("t")
    assert days.loc[0, "date"] == pd.Timestamp("2025-09-10")
    # Tokyo opens 2025-09-10 00:00 UTC; the last New York close before that is 2025-09-09
    # 20:00 UTC, so Tokyo's day-0 benchmark return is New York's return of 2025-09-09
    expected = math.log(gspc["2025-09-09"] / gspc["2025-09-08"])
    assert days.loc[0, "benchmark_return"] == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("factor", [2.0**1022, 4e307, 1e-300])
def test_basket_weights_in_any_unit_give_the_same_returns(factor) -> None:
    # Only the ratios of a basket's weights matter: weights so large that their sum overflows
    # (issue 27) or so small that they underflow give the study of the weights as shipped; a
    # power of two gives it bit for bit.
    from eventstudy.study.pooled import run_event

    calendar = load_events(PACKAGED_EVENTS)
    te = calendar.securities["TE"]
    scaled = replace(te, weights=tuple(w * factor for w in te.weights))
    other = replace(calendar, securities={**calendar.securities, "TE": scaled})
    (base,) = run_event("dual-use-ban-te", events=calendar, securities=["TE"]).pairs
    (moved,) = run_event("dual-use-ban-te", events=other, securities=["TE"]).pairs
    if factor > 1:
        assert all(math.isfinite(w) for w in scaled.weights)
        assert math.isinf(sum(scaled.weights))  # the sum of the weights overflows
    if factor == 2.0**1022:
        assert moved.days.equals(base.days) and moved.car.equals(base.car)
    else:
        np.testing.assert_allclose(moved.days["ar"], base.days["ar"], rtol=1e-12)
        np.testing.assert_allclose(moved.car["car"], base.car["car"], rtol=1e-12)
    assert np.isfinite(moved.days["ar"]).all() and np.isfinite(moved.car["car"]).all()
