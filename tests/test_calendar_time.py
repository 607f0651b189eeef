"""Calendar-time portfolio regressions (eventstudy.calendar_time): a known answer rebuilt with
plain pandas and statsmodels, a closed form, the holding mask by hand, and the command."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import exchange_calendars as xcals
import numpy as np
import pandas as pd
import pytest
from rich.cells import cell_len
from statsmodels.regression.linear_model import OLS
from typer.testing import CliRunner

import eventstudy as es
from eventstudy.cli import app
from eventstudy.errors import EstimationError, InputError
from eventstudy.inference.calendar_time import hac_ols, newey_west_lags
from eventstudy.prices.embedded import _data_dir
from eventstudy.sessions import sessions_at, sessions_in_range
from eventstudy.study.calendar_time import holdings

DATA = _data_dir()  # the embedded price files, read here with plain pandas
with warnings.catch_warnings():  # exchange_calendars' own pandas deprecation warnings
    warnings.simplefilter("ignore")
    XTKS = xcals.get_calendar("XTKS", start="2024-06-01", end="2026-12-31").sessions


def closes(ticker: str) -> pd.Series:
    return pd.read_csv(DATA / f"{ticker}.csv", parse_dates=["date"]).set_index("date")["close"]


def reference(y: pd.Series, x: pd.DataFrame):
    lags = int(np.floor(4 * (len(y) / 100) ** (2 / 9)))
    design = pd.concat([pd.Series(1.0, index=y.index, name="const"), x], axis=1)
    return OLS(y, design).fit(cov_type="HAC", cov_kwds={"maxlags": lags}), lags


def assert_matches(frame: pd.DataFrame, ref, lags: int) -> None:
    for column, expected in (("coef", ref.params), ("se", ref.bse), ("t_stat", ref.tvalues),
                             ("p", ref.pvalues)):
        np.testing.assert_allclose(frame[column].to_numpy(), np.asarray(expected), rtol=1e-10,
                                   atol=1e-14, err_msg=column)
    assert (frame["n_obs"] == ref.nobs).all() and (frame["lags"] == lags).all()
    np.testing.assert_allclose(frame["r2"], ref.rsquared, rtol=1e-10)


# --- (1) known answer: the portfolio rebuilt with pandas, the fit with statsmodels -------------

PAIRS = pd.DataFrame({"security": ["6330.T", "7203.T", "6501.T"],
                      "day0": ["2025-03-03", "2025-04-01", "2025-08-01"]})
FACTORS = ["^TOPX", "JPY=X"]  # JPY=X has no exchange: read by date, as ^TOPX (same exchange)


def test_known_answer_daily_and_monthly() -> None:
    horizon = 60
    res = es.calendar_time(PAIRS, horizon=horizon, factors=FACTORS)
    held = {}
    for i, (ticker, day0) in enumerate(zip(PAIRS["security"], PAIRS["day0"], strict=True)):
        at = XTKS.get_loc(pd.Timestamp(day0))
        held[i] = closes(ticker).pct_change().reindex(XTKS[at + 1:at + 1 + horizon])
    panel = pd.concat(held, axis=1)
    port = panel.mean(axis=1).dropna()  # equal weights over the pairs held with a return
    f = pd.concat({t: closes(t).pct_change() for t in FACTORS}, axis=1, sort=True).reindex(
        port.index)
    sample = f.notna().all(axis=1)
    y, x = port[sample], f[sample]
    ref, lags = reference(y, x)
    assert list(res.daily["term"]) == ["alpha", *FACTORS]
    assert_matches(res.daily, ref, lags)
    assert res.portfolio["n_holdings"].max() == 2  # the first two pairs overlap
    np.testing.assert_allclose(res.portfolio.loc[res.portfolio["in_sample"], "return"], y,
                               rtol=1e-13)

    monthly = (1 + pd.concat([y.rename("r"), x], axis=1)).groupby(
        y.index.to_period("M")).prod() - 1
    ref_m, lags_m = reference(monthly["r"], monthly[FACTORS])
    assert ref_m.nobs >= 6
    assert_matches(res.monthly, ref_m, lags_m)
    doc = json.loads(res.to_json())
    assert doc["monthly"]["coefficients"][0]["coef"] == pytest.approx(ref_m.params.iloc[0])


def test_hac_ols_is_statsmodels_and_says_why_it_is_undefined() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(50, 2))
    y = 0.1 + x @ [1.0, -0.5] + rng.normal(size=50)
    fit = hac_ols(y, x, ("alpha", "a", "b"), lags=3)
    ref = OLS(y, np.column_stack([np.ones(50), x])).fit(cov_type="HAC", cov_kwds={"maxlags": 3})
    np.testing.assert_allclose(fit.se, ref.bse, rtol=1e-12)
    short = hac_ols(y[:4], x[:4], ("alpha", "a", "b"), frequency="monthly")
    assert math.isnan(short.alpha) and "at least 5 needed" in short.reason
    assert [newey_west_lags(n) for n in (8, 100, 1000, 5000)] == [2, 4, 6, 9]


# --- (2) closed form: every pair is the market plus a constant ---------------------------------


def _write(folder: Path, returns: pd.DataFrame, missing: dict[str, object] | None = None
           ) -> None:
    """Price files (100 on the first date) whose simple returns are ``returns``, without the
    prices of the ``missing`` dates of each ticker."""
    for ticker, r in returns.items():
        level = pd.Series(100.0 * np.cumprod(1.0 + r.to_numpy()), index=r.index)
        level = level.drop((missing or {}).get(str(ticker), []))
        pd.DataFrame({"date": level.index.strftime("%Y-%m-%d"), "close": level.to_numpy()}
                     ).to_csv(folder / f"{ticker}.csv", index=False)


@pytest.mark.parametrize("kind", ["simple", "log"])
def test_portfolio_of_market_plus_constant_has_that_alpha(tmp_path: Path, kind: str) -> None:
    days = sessions_in_range("XTKS", "2025-01-06", "2025-12-26")
    m = pd.Series(np.random.default_rng(7).normal(0, 0.01, len(days)), index=days)
    c = 0.0007
    stock = m + c
    if kind == "log":  # log returns m + c: simple returns exp(m + c) - 1
        m, stock = np.expm1(m), np.expm1(stock)
    m.iloc[0] = stock.iloc[0] = 0.0
    _write(tmp_path, pd.DataFrame({"MKT.T": m, "AAA.T": stock, "BBB.T": stock}))
    pairs = pd.DataFrame({"security": ["AAA.T", "BBB.T"], "day0": [days[10], days[40]]})
    res = es.calendar_time(pairs, horizon=80, market="MKT.T", prices=tmp_path, returns=kind)
    fit = res.fits[0]
    assert fit.alpha == pytest.approx(c, abs=1e-12)
    assert fit.coef[1] == pytest.approx(1.0, abs=1e-10)
    assert fit.n_obs == 110 and fit.r2 == pytest.approx(1.0)


# --- (3) the holding mask, equal and value weights by hand ------------------------------------


def test_holding_mask_counts_sessions_of_the_exchange() -> None:
    s = sessions_in_range("XTKS", "2025-12-20", "2026-01-31")  # across the new-year closure
    mask = holdings(["XTKS"] * 3, [s[1], s[2], s[8]], horizon=4)
    expected = [s[2:6], s[3:7], s[9:13]]
    for i, days in enumerate(expected):
        assert list(mask.dates[mask.held[:, i]]) == list(days)
        assert list(days) == list(sessions_at("XTKS", [s[1], s[2], s[8]][i], 1, 4))
    assert mask.held.sum(axis=1).tolist() == [1, 2, 2, 2, 1, 1, 1, 1, 1]
    later = holdings(["XTKS"], [s[1]], horizon=2, start=3)  # start: offsets 3..4
    assert list(later.dates) == list(s[4:6])
    with pytest.raises(InputError, match="not a XTKS session"):
        holdings(["XTKS"], ["2026-01-03"], horizon=2, labels=["x"])


def test_equal_and_value_weights_by_hand(tmp_path: Path) -> None:
    s = sessions_in_range("XTKS", "2025-06-02", "2025-07-31")
    r = pd.DataFrame(0.0, index=s, columns=["AAA.T", "BBB.T", "CCC.T", "MKT.T"])
    r.loc[s[6:10], "AAA.T"] = [0.01, 0.02, 0.03, 0.04]
    r.loc[s[7:11], "BBB.T"] = [-0.01, 0.05, 0.02, 0.01]
    r.loc[s[13:17], "CCC.T"] = [0.02, -0.02, 0.01, 0.00]
    r["MKT.T"] = np.random.default_rng(3).normal(0, 0.01, len(s))
    r.iloc[0] = 0.0
    _write(tmp_path, r, {"BBB.T": [s[8]]})  # no price on s[8]: its s[9] return spans two
    pairs = pd.DataFrame({"security": ["AAA.T", "BBB.T", "CCC.T"],
                          "day0": [s[5], s[6], s[12]],
                          "value": [2.0, np.nan, np.nan], "shares_outstanding": [0, 3.0, 1.0]})
    common = {"horizon": 4, "market": "MKT.T", "prices": tmp_path}
    eq = es.calendar_time(pairs, **common)
    vw = es.calendar_time(pairs, weights="value", **common)
    b_span = (1 + 0.05) * (1 + 0.02) - 1  # BBB: s[7] -> s[9]
    # BBB's value: 3 shares x its close on day 0 (100: no move before s[7])
    v = {"A": 2.0, "B": 300.0, "C": 100.0}
    want_eq = [0.01, (0.02 - 0.01) / 2, 0.03, (0.04 + b_span) / 2, 0.01, 0.02, -0.02, 0.01, 0.0]
    want_vw = [0.01, (v["A"] * 0.02 + v["B"] * -0.01) / (v["A"] + v["B"]), 0.03,
               (v["A"] * 0.04 + v["B"] * b_span) / (v["A"] + v["B"]), 0.01, 0.02, -0.02,
               0.01, 0.0]
    dates = [*s[6:11], *s[13:17]]
    assert list(eq.portfolio.index) == dates
    assert eq.portfolio["n_holdings"].tolist() == [1, 2, 1, 2, 1, 1, 1, 1, 1]
    np.testing.assert_allclose(eq.portfolio["return"], want_eq, atol=1e-12)
    np.testing.assert_allclose(vw.portfolio["return"], want_vw, atol=1e-12)
    assert vw.pairs["value"].tolist() == pytest.approx([2.0, 300.0, 100.0])
    with pytest.raises(InputError, match="no positive value for pair"):
        es.calendar_time(pairs.drop(columns="value"), weights="value", **common)


def test_baskets_are_held_as_the_study_read_them(tmp_path: Path) -> None:
    study = es.run("dual-use-ban-te")
    res = es.calendar_time(study, horizon=10)
    assert set(res.pairs["security"]) == {"TE", "TE-EW", "TE-ETF"} and not res.excluded
    bare = tmp_path / "events.toml"
    bare.write_text('[[events]]\nid = "x"\nannounced = 2026-01-06\nsecurities = ["6330.T"]\n')
    with pytest.warns(es.ExcludedPairsWarning):
        res = es.calendar_time(study, horizon=10, events=bare)
    assert [p for p, _ in res.excluded] == ["dual-use-ban-te:TE", "dual-use-ban-te:TE-EW"]
    with pytest.raises(EstimationError, match="empty portfolio"):
        es.calendar_time(study, horizon=5, start=200)


# --- (4) the command ---------------------------------------------------------------------------

ARGS = ["calendar-time", "dual-use-ban", "seafood-suspension", "--securities", "TOYO,LYC",
        "--factors", "^TOPX,^AXJO", "--horizon", "30"]


def invoke(*args: str, width: int = 80):
    return CliRunner().invoke(app, list(args), env={"COLUMNS": str(width)})


def test_cli_table_fits_80_columns_and_json_parses() -> None:
    out = invoke(*ARGS)
    assert out.exit_code == 0, out.stderr
    assert max(cell_len(line) for line in out.stdout.splitlines()) <= 80
    assert "β ^AXJO" in out.stdout and "monthly" in out.stdout
    doc = json.loads(invoke(*ARGS, "--format", "json").stdout)
    assert doc["settings"]["factors"] == ["^TOPX", "^AXJO"] and len(doc["pairs"]) == 4
    assert doc["daily"]["coefficients"][0]["term"] == "alpha"
    rows = invoke(*ARGS, "-f", "csv").stdout.splitlines()
    assert rows[0].startswith("frequency,term,coef,se,t_stat,p") and len(rows) == 7


@pytest.mark.parametrize("args", [
    ["nope"], ["dual-use-ban", "--horizon", "0"], ["dual-use-ban", "--weights", "cap"],
    ["dual-use-ban"],  # LYC on ^AXJO, TOYO on ^TOPX: no common benchmark
    ["dual-use-ban", "--securities", "TOYO", "--horizon", "1"],  # too few dates
    ["dual-use-ban", "--securities", "TOYO", "--start", "100"],  # empty: after the data
    ["dual-use-ban", "--securities", "TOYO", "--weights", "value"],  # no shares
], ids=["unknown-id", "horizon-0", "weights", "no-common-benchmark", "too-few-dates",
        "empty", "no-value"])
def test_cli_bad_input_is_one_line_and_status_2(args: list[str]) -> None:
    out = invoke("calendar-time", *args)
    assert out.exit_code == 2 and out.stdout == ""
    assert len(out.stderr.strip().splitlines()) == 1 and out.stderr.startswith("error: ")
