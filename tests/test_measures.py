"""Volume, volatility and GARCH studies through the one engine: known answers against
statsmodels, arch and the CSV files read independently; the CLI's bad inputs."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from typer.testing import CliRunner

import eventstudy as es
from eventstudy.cli import app
from eventstudy.estimation.garch import fit_market_garch
from eventstudy.inference import significance as sig
from eventstudy.prices.embedded import _data_dir
from eventstudy.study.measures import MARKET_VOLUME

EVENT = "dual-use-ban"


def _column(ticker: str, column: str) -> pd.Series:
    """A column of an embedded file read with the csv module (empty cells left out)."""
    with open(Path(str(_data_dir())) / f"{ticker}.csv", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r[column]]
    return pd.Series([float(r[column]) for r in rows],
                     index=pd.DatetimeIndex([r["date"] for r in rows]), name=ticker)


@pytest.fixture(scope="module")
def volume() -> es.EventStudyResult:
    return es.run(EVENT, measure="volume")


def _pair(result: es.EventStudyResult, security: str) -> es.PairResult:
    return next(p for p in result.pairs if p.security == security)


def test_volume_market_model_is_ols_on_log_volume(volume: es.EventStudyResult) -> None:
    p = _pair(volume, "LYC")  # market volume: STW.AX's (volume_benchmark)
    assert p.measure == "volume" and p.benchmark == "STW.AX" and volume.measure == "volume"
    v, vm = np.log1p(_column("LYC.AX", "volume")), np.log1p(_column("STW.AX", "volume"))
    dates = pd.DatetimeIndex(p.residuals["date"])
    ols = sm.OLS(v.reindex(dates).to_numpy(), sm.add_constant(vm.reindex(dates).to_numpy())
                 ).fit()
    fit = p.estimation
    assert fit.alpha == pytest.approx(ols.params[0], rel=1e-9)
    assert fit.beta == pytest.approx(ols.params[1], rel=1e-9)
    assert fit.sigma == pytest.approx(math.sqrt(ols.scale), rel=1e-9)
    day0 = p.days.set_index("t").loc[0]
    assert day0["return"] == pytest.approx(math.log1p(14_408_923), rel=1e-12)
    x0 = np.array([1.0, vm.loc[day0.date]])
    assert day0.ar == pytest.approx(day0["return"] - x0 @ ols.params, rel=1e-9)
    pred = ols.get_prediction(x0[None]).se_mean[0] ** 2 + ols.scale  # CLM prediction error
    assert day0.se == pytest.approx(math.sqrt(pred), rel=1e-9)
    assert math.isnan(p.car["bhar"].iloc[0])  # no buy-and-hold for a level


def test_market_volume_is_the_mean_log_volume_of_the_exchange(volume: es.EventStudyResult
                                                               ) -> None:
    p = _pair(volume, "TOYO")
    assert p.benchmark == f"{MARKET_VOLUME}XTKS"
    assert any("^TOPX has no volume" in n for n in p.notes)
    names = [f.stem for f in Path(str(_data_dir())).glob("*.T.csv")]
    mean = pd.concat([np.log1p(_column(t, "volume")) for t in names], axis=1).mean(axis=1)
    days = p.days.set_index("date")
    assert np.allclose(days["benchmark_return"], mean.reindex(days.index), rtol=1e-12)


def test_a_basket_volume_is_its_members_total(volume: es.EventStudyResult) -> None:
    p = _pair(volume, "TE")
    total = pd.concat([_column(t, "volume") for t in p.members], axis=1).sum(axis=1)
    days = p.days.set_index("date")
    assert np.allclose(days["return"], np.log1p(total.reindex(days.index)), rtol=1e-12)


def test_an_injected_volume_spike_is_found(tmp_path: Path) -> None:
    """The embedded prices with LYC's day-0 volume ×20: AR(0) rises by log(20) (to 1e-9 of
    the log's change) and the day-0 test rejects; the other days are unchanged."""
    import shutil

    for f in Path(str(_data_dir())).glob("*.csv"):
        shutil.copy(f, tmp_path / f.name)
    frame = pd.read_csv(tmp_path / "LYC.AX.csv")
    row = frame["date"] == "2026-01-07"
    frame.loc[row, "volume"] = frame.loc[row, "volume"] * 20
    frame.to_csv(tmp_path / "LYC.AX.csv", index=False)
    base = _pair(es.run(EVENT, measure="volume"), "LYC").days.set_index("t")
    spiked = _pair(es.run(EVENT, measure="volume", prices=tmp_path), "LYC").days.set_index("t")
    lift = math.log1p(14_408_923 * 20) - math.log1p(14_408_923)
    assert spiked.ar[0] - base.ar[0] == pytest.approx(lift, rel=1e-9)
    assert spiked.p[0] < 1e-4 < base.p[0]
    assert np.allclose(spiked.drop(index=0).ar, base.drop(index=0).ar, rtol=0, atol=1e-12)


def test_volatility_is_the_parkinson_variance_with_the_tests() -> None:
    result = es.run(EVENT, measure="volatility")
    p = _pair(result, "TOYO")
    assert p.model == "constant-mean" and p.benchmark is None
    high, low = _column("6330.T", "high"), _column("6330.T", "low")
    days = p.days.set_index("date")
    parkinson = np.log(high / low) ** 2 / (4 * math.log(2))
    assert np.allclose(days["return"], parkinson.reindex(days.index), rtol=1e-12)
    dates = pd.DatetimeIndex(p.residuals["date"])
    assert p.estimation.alpha == pytest.approx(parkinson.reindex(dates).mean(), rel=1e-9)
    frame = result.volatility_frame()
    assert list(frame["security"]) == [*(q.security for q in result.pairs), "pooled"]
    returns = _pair(es.run(EVENT), "TOYO")  # the ratio reads the returns study's ARs
    sar2 = (returns.days.ar / returns.days.se) ** 2
    row = frame.set_index("security").loc["TOYO"]
    assert row.f == pytest.approx(sar2.mean(), rel=1e-12)
    doc = result.to_dict()
    assert doc["measure"] == "volatility" and doc["pairs"][1]["volatility"]["f"] == row.f


def _log_returns(ticker: str, dates: pd.DatetimeIndex, other: str) -> np.ndarray:
    """Single-session log returns of ``ticker`` at ``dates`` over the dates both tickers have
    (the estimation sample holds single-session returns only)."""
    both = _column(ticker, "close").index.intersection(_column(other, "close").index)
    close = _column(ticker, "close").reindex(both)
    return np.log(close / close.shift(1)).reindex(dates).to_numpy()


def test_garch_model_is_arch_with_projected_variances() -> None:
    result = es.run(EVENT, model="garch")
    p = _pair(result, "TOYO")
    assert p.model == "garch" and p.estimation.k == 5
    market = _pair(es.run(EVENT), "TOYO")
    dates = pd.DatetimeIndex(p.residuals["date"])
    assert list(dates) == list(market.residuals["date"])  # the market model's sample
    r, m = (_log_returns(a, dates, b) for a, b in (("6330.T", "^TOPX"), ("^TOPX", "6330.T")))
    g = fit_market_garch(r, m)
    assert (p.estimation.alpha, p.estimation.beta) == pytest.approx((g.alpha, g.beta),
                                                                    rel=1e-9)
    t_last = int(p.residuals["t"].max())
    days = p.days.set_index("t")
    assert np.allclose(days.se, np.sqrt(g.projected(days.index.to_numpy() - t_last)),
                       rtol=1e-9)
    assert np.allclose(days.ar, days["return"] - g.alpha - g.beta * days.benchmark_return,
                       rtol=0, atol=1e-12)
    head = p.car.set_index("window").loc[[(0, 1)]].iloc[0]
    assert head.se == pytest.approx(math.sqrt((days.se.loc[[0, 1]] ** 2).sum()), rel=1e-12)
    tests = result.tests_frame()
    sav = tests[(tests.key == "savickas_t") & (tests.level == "day")]
    sav = sav[sav["t"] == 0]
    z = np.array([q.days.set_index("t").ar[0] / q.days.set_index("t").se[0]
                  for q in result.pairs])
    assert float(sav.stat.iloc[0]) == pytest.approx(float(sig.bmp_t(z).stat), rel=1e-12)
    assert "savickas_t" not in set(es.run(EVENT).tests_frame().key)


def _run(*args: str) -> tuple[int, str]:
    out = CliRunner().invoke(app, list(args))
    return out.exit_code, out.output


def test_cli_measures_and_bad_inputs(tmp_path: Path) -> None:
    code, text = _run("run", EVENT, "--measure", "volume")
    assert code == 0 and "log(1 + volume)" in text
    code, text = _run("run", EVENT, "--measure", "loudness")
    assert code == 2 and "measure = 'loudness' is not one of" in text
    for t in ("LYC.AX", "STW.AX"):  # closes only: no volume to study
        frame = pd.read_csv(Path(str(_data_dir())) / f"{t}.csv")[["date", "close"]]
        frame.to_csv(tmp_path / f"{t}.csv", index=False)
    code, text = _run("run", EVENT, "--measure", "volume", "--prices", str(tmp_path),
                      "--securities", "LYC")
    assert code == 2 and "volume" in text and len(text.strip().splitlines()) == 1


def test_events_file_measure_and_volume_keys(tmp_path: Path) -> None:
    base = (Path(__file__).parents[1] / "events.toml").read_text()
    bad = base.replace('returns    = "log"', 'returns    = "log"\nmeasure = "loud"', 1)
    (tmp_path / "e.toml").write_text(bad)
    with pytest.raises(es.EventsFileError, match="measure = 'loud' is not one of"):
        es.load_events(tmp_path / "e.toml")
    bad = base.replace('volume_benchmark = "STW.AX"', "volume_benchmark = 3", 1)
    (tmp_path / "e.toml").write_text(bad)
    with pytest.raises(es.EventsFileError, match="volume_benchmark"):
        es.load_events(tmp_path / "e.toml")
    good = base.replace('returns    = "log"', 'returns    = "log"\nmeasure = "volume"', 1)
    (tmp_path / "e.toml").write_text(good)
    assert es.run(EVENT, events=tmp_path / "e.toml").measure == "volume"


def test_shares_outstanding_gives_campbell_wasley_log_turnover(tmp_path: Path) -> None:
    base = (Path(__file__).parents[1] / "events.toml").read_text()
    old = 'ticker    = "6330.T"\n'
    assert old in base
    (tmp_path / "e.toml").write_text(base.replace(old, old + "shares_outstanding = 3.8e7\n", 1))
    p = _pair(es.run(EVENT, events=tmp_path / "e.toml", measure="volume"), "TOYO")
    volume = _column("6330.T", "volume")
    days = p.days.set_index("date")
    turnover = np.log(0.000255 + 100 * volume / 3.8e7)
    assert np.allclose(days["return"], turnover.reindex(days.index), rtol=1e-12)
    assert days["return"].iloc[0] != pytest.approx(math.log1p(volume.reindex(days.index).iloc[0]))


def test_pooled_volatility_frame_pools_every_pair() -> None:
    from eventstudy.inference.volatility import pooled_variance_ratio

    pooled = es.run_many([EVENT, "entity-lists"], measure="volatility", bootstrap=0)
    frame = pooled.volatility_frame()
    pairs = frame.iloc[:-1]
    assert list(pairs["event"]) == [e for e, p in pooled.pairs]
    want = pooled_variance_ratio(pairs.f, pairs.df1, pairs.df2)
    last = frame.iloc[-1]
    assert last.security == "pooled" and last.f == pytest.approx(want.statistic, rel=1e-12)
    assert last.p == pytest.approx(want.p, rel=1e-12)
    assert pooled.to_dict()["measure"] == "volatility"
