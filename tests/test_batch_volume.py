"""``eventstudy.batch(..., measure="volume")``: abnormal log volume V − E[V], V = log(1 + volume),
by the batch kernels on a panel of levels, and the panel ``eventstudy data panel --measure
volume`` writes.

Known answers: per pair, a statsmodels OLS of V on a constant (and V_m) over the estimation
window, with the CLM (1997, §4.4) prediction-error variance computed here.
"""

from __future__ import annotations

import csv
import importlib.util
import warnings
from importlib import resources

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from typer.testing import CliRunner

import eventstudy
from eventstudy.cli import app
from eventstudy.errors import ExcludedPairsWarning, InputError
from eventstudy.sessions import align_sessions, sessions_in_range
from eventstudy.study.batch import tuning

EST, WIN = (-150, -11), (-5, 5)
ENGINES = ["numpy", pytest.param("numba", marks=pytest.mark.skipif(
    importlib.util.find_spec("numba") is None, reason="numba not installed"))]
runner = CliRunner()


def volume_panel(n_sec: int, n_rows: int, seed: int, missing: float = 0.0,
                 noise: float = 0.3) -> pd.DataFrame:
    """log(1 + volume) of ``n_sec`` securities S00.. and the market MKT on business days:
    lognormal volumes with a market factor (volume_i = exp(a_i + b_i·z_m + noise·e_i)); a
    share ``missing`` of the securities' values (and a few of the market's) NaN."""
    rng = np.random.default_rng(seed)
    z = 0.35 * rng.standard_normal(n_rows)
    volumes = {"MKT": np.round(np.exp(16.0 + z))}
    a, b = rng.uniform(8.0, 13.0, n_sec), rng.uniform(0.4, 1.4, n_sec)
    for i in range(n_sec):
        volumes[f"S{i:02d}"] = np.round(np.exp(a[i] + b[i] * z
                                               + noise * rng.standard_normal(n_rows)))
    frame = np.log1p(pd.DataFrame(volumes, index=pd.bdate_range("2015-01-05", periods=n_rows)))
    if missing:
        gaps = rng.random(frame.shape) < missing
        gaps[:, 0] = rng.random(n_rows) < missing / 4
        frame = frame.mask(gaps)
    return frame


def pairs_on(panel: pd.DataFrame, per_security: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    securities = [c for c in panel.columns if c != "MKT"]
    rows = []
    for s in securities:
        for r in rng.choice(np.arange(-EST[0] + 5, len(panel) - WIN[1] - 1), per_security,
                            replace=False):
            rows.append((s, "MKT", panel.index[r]))
    return pd.DataFrame(rows, columns=["security", "benchmark", "day0"])


def reference(y: np.ndarray, x: np.ndarray | None, d: int) -> dict[str, np.ndarray | float]:
    """The pair by statsmodels: OLS over the estimation window's rows where V (and V_m)
    exist; Var(AR*) = σ̂²(I + X*(X'X)⁻¹X*') over the event window's valid days (CLM 4.4.7),
    Var(CAR) = 1'Var(AR*)1."""
    est = np.arange(d + EST[0], d + EST[1] + 1)
    win = np.arange(d + WIN[0], d + WIN[1] + 1)

    def design(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ok = np.isfinite(y[rows]) if x is None else np.isfinite(y[rows]) & np.isfinite(x[rows])
        ones = np.ones((ok.sum(), 1))
        return ok, ones if x is None else np.column_stack([ones, x[rows][ok]])

    ok, X = design(est)
    fit = sm.OLS(y[est][ok], X).fit()
    okw, Xw = design(win)
    ar = y[win][okw] - Xw @ fit.params
    cov = fit.scale * (np.eye(okw.sum()) + Xw @ fit.normalized_cov_params @ Xw.T)
    ar_full, se_full = np.full(win.size, np.nan), np.full(win.size, np.nan)
    ar_full[okw], se_full[okw] = ar, np.sqrt(np.diag(cov))
    car, car_se = ar.sum(), np.sqrt(cov.sum())
    return {"ar": ar_full, "se": se_full, "car": car, "car_se": car_se, "t": car / car_se,
            "n_obs": ok.sum(), "sigma": np.sqrt(fit.scale)}


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return volume_panel(30, 500, seed=7, missing=0.02)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("model", ["market", "constant-mean"])
def test_known_answer_statsmodels_and_clm_variance(panel, model, engine, monkeypatch) -> None:
    monkeypatch.setattr(tuning, "ENGINE", engine)
    pairs = pairs_on(panel, 2, seed=8)
    res = eventstudy.batch(panel, pairs, estimation=EST, window=WIN, model=model,
                           sessions="index", measure="volume")
    assert res.measure == "volume" and res.returns_kind == "level"
    assert res.studied.all()
    x = None if model == "constant-mean" else panel["MKT"].to_numpy()
    gaps = 0
    for i, (s, _, day0) in enumerate(pairs.itertuples(index=False)):
        want = reference(panel[s].to_numpy(), x, panel.index.get_loc(day0))
        gaps += want["n_obs"] < EST[1] - EST[0] + 1
        for got, key in ((res.car.iloc[i], "car"), (res.car_se.iloc[i], "car_se"),
                         (res.car_t.iloc[i], "t"),
                         (res.estimation["sigma"].iloc[i], "sigma")):
            np.testing.assert_allclose(got, want[key], rtol=1e-10, atol=1e-10, err_msg=key)
        assert res.estimation["n_obs"].iloc[i] == want["n_obs"]
        np.testing.assert_allclose(res.ar.iloc[i].to_numpy(), want["ar"], rtol=1e-10,
                                   atol=1e-10)
        np.testing.assert_allclose(res.se.iloc[i].to_numpy(), want["se"], rtol=1e-10,
                                   atol=1e-10)
    assert gaps >= 20  # missing volumes were in the estimation windows: dropped, never bridged


def test_benchmark_of_another_exchange_is_its_level_at_the_instant() -> None:
    """Tokyo volume against a New York market volume: V_m on Tokyo session t is New York's
    log volume on its last session closed before Tokyo opened (no spanning, no difference)."""
    tokyo = sessions_in_range("XTKS", pd.Timestamp("2023-01-04"), pd.Timestamp("2024-06-28"))
    york = sessions_in_range("XNYS", pd.Timestamp("2023-01-03"), pd.Timestamp("2024-06-28"))
    rng = np.random.default_rng(3)
    ny = pd.Series(16.0 + 0.3 * rng.standard_normal(len(york)), index=york)
    read = ny.reindex(align_sessions("XTKS", tokyo, "XNYS")).to_numpy()
    tk = pd.Series(3.0 + 0.6 * read + 0.25 * rng.standard_normal(len(tokyo)), index=tokyo)
    panel = pd.concat({"7203.T": tk, "SPY": ny}, axis=1)  # outer join on dates
    day0 = tokyo[300]
    pairs = pd.DataFrame({"security": ["7203.T"], "benchmark": ["SPY"], "day0": [day0]})
    res = eventstudy.batch(panel, pairs, estimation=EST, window=WIN, measure="volume")
    want = reference(tk.to_numpy(), read, 300)
    np.testing.assert_allclose([res.car.iloc[0], res.car_se.iloc[0]],
                               [want["car"], want["car_se"]], rtol=1e-10)
    assert res.estimation["n_obs"].iloc[0] == EST[1] - EST[0] + 1


def test_a_volume_spike_is_detected_and_none_gives_mean_t_near_zero() -> None:
    panel = volume_panel(60, 400, seed=11)
    rng = np.random.default_rng(12)
    rows = rng.integers(-EST[0] + 5, len(panel) - WIN[1] - 1, 60)
    pairs = pd.DataFrame({"security": [f"S{i:02d}" for i in range(60)], "benchmark": "MKT",
                          "day0": panel.index[rows]})
    calm = eventstudy.batch(panel, pairs, estimation=EST, window=WIN, sessions="index",
                            measure="volume")
    spiked = panel.copy()
    for i, r in enumerate(rows):
        spiked.iloc[r, spiked.columns.get_loc(f"S{i:02d}")] += 1.5
    hot = eventstudy.batch(spiked, pairs, estimation=EST, window=WIN, sessions="index",
                           measure="volume")
    t_hot, t_calm = hot.t_stat[0].to_numpy(), calm.t_stat[0].to_numpy()
    assert (t_hot > 3).mean() > 0.8, np.sort(t_hot)
    assert abs(t_calm.mean()) < 0.45, t_calm.mean()  # se of the mean of 60 t: about 0.13
    assert (t_calm > 3).mean() < 0.05
    # the spike adds 1.5 to day 0's AR and to the CAR, nothing else
    np.testing.assert_allclose(hot.ar[0] - calm.ar[0], 1.5, rtol=1e-9)
    np.testing.assert_allclose(hot.car - calm.car, 1.5, rtol=1e-9)


def test_no_buy_and_hold_for_a_level(panel) -> None:
    """BHAR does not exist for log volume: a batch result reports none, or NaN."""
    res = eventstudy.batch(panel, pairs_on(panel, 1, seed=9), estimation=EST, window=WIN,
                           sessions="index", measure="volume")
    frames = (res.car_frame(), res.to_frame())
    for frame in frames:
        assert frame.attrs["measure"] == "volume"
        for column in (c for c in frame.columns if "bhar" in str(c).lower()):
            assert frame[column].isna().all(), column
    bhar = getattr(res, "bhar", None)
    assert bhar is None or pd.isna(np.asarray(bhar, float)).all()
    assert np.isfinite(res.car.to_numpy()).all()  # the CAV itself is there
    assert "CAAV" in repr(res) and "log points" in repr(res)
    returns = eventstudy.batch(panel, pairs_on(panel, 1, seed=9), estimation=EST,
                               window=WIN, sessions="index")
    assert returns.measure == "returns" and returns.car_frame().attrs["measure"] == "returns"


@pytest.mark.parametrize("model", ["dimson", "scholes-williams", "multi-factor"])
def test_models_other_than_the_volume_models_are_refused(panel, model) -> None:
    pairs = pairs_on(panel, 1, seed=9)
    with pytest.raises(InputError, match=f"model '{model}' is not a volume model") as info:
        eventstudy.batch(panel, pairs, model=model, measure="volume", sessions="index")
    assert "\n" not in str(info.value)
    with pytest.raises(InputError, match="measure = 'turnover'"):
        eventstudy.batch(panel, pairs, measure="turnover", sessions="index")
    with pytest.raises(InputError, match="does not apply"):
        eventstudy.batch(panel, pairs, measure="volume", returns_kind="simple",
                         sessions="index")


def test_market_adjusted_volume_is_the_difference_with_no_estimated_parameter(panel) -> None:
    """AV = V − V_m; σ̂² = Σ AV² / M over the estimation window (k = 0); se = σ̂ each day,
    Var(CAV) = L σ̂² (nothing estimated, so no prediction-error term)."""
    pairs = pairs_on(panel, 1, seed=10)
    res = eventstudy.batch(panel, pairs, estimation=EST, window=WIN, model="market-adjusted",
                           sessions="index", measure="volume")
    for i, (s, _, day0) in enumerate(pairs.itertuples(index=False)):
        d = panel.index.get_loc(day0)
        diff = panel[s].to_numpy() - panel["MKT"].to_numpy()
        est = diff[d + EST[0]: d + EST[1] + 1]
        sigma = np.sqrt(np.nanmean(est**2))
        win = diff[d + WIN[0]: d + WIN[1] + 1]
        np.testing.assert_allclose(res.ar.iloc[i].to_numpy(), win, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(res.estimation["sigma"].iloc[i], sigma, rtol=1e-10)
        n = np.isfinite(win).sum()
        np.testing.assert_allclose(res.car_se.iloc[i], sigma * np.sqrt(n), rtol=1e-10)


def test_require_full_window_reads_a_level_from_its_first_value() -> None:
    """A returns column's first price is the session before its first return; a level's is
    its first value: an estimation window starting there is complete."""
    panel = volume_panel(2, 300, seed=5)
    start = 100
    panel.iloc[:start, panel.columns.get_loc("S00")] = np.nan
    day0 = panel.index[start - EST[0]]  # estimation window starts on the first value
    pairs = pd.DataFrame({"security": ["S00", "S00"], "benchmark": "MKT",
                          "day0": [day0, panel.index[start - EST[0] - 1]]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExcludedPairsWarning)
        res = eventstudy.batch(panel, pairs, estimation=EST, window=WIN, sessions="index",
                               measure="volume", require_full_window=True)
    assert res.excluded.iloc[0] is None
    assert "before the first value of security 'S00'" in res.excluded.iloc[1]


# --- eventstudy data panel --measure volume ----------------------------------------------------

def _csv_log_volume(ticker: str) -> pd.Series:
    """log(1 + volume) of an embedded CSV, read with the csv module (rows with a volume)."""
    text = (resources.files("eventstudy.prices") / "data" / f"{ticker}.csv").read_text()
    rows = [r for r in csv.DictReader(text.splitlines()) if r["volume"].strip()]
    return pd.Series([np.log1p(float(r["volume"])) for r in rows],
                     index=pd.DatetimeIndex([r["date"] for r in rows]))


def test_data_panel_writes_log1p_volume_on_the_returns_panel_dates(tmp_path) -> None:
    names = "6330.T,^N225"
    out_v, out_r = tmp_path / "volume.parquet", tmp_path / "returns.parquet"
    done = runner.invoke(app, ["data", "panel", "--measure", "volume", "--tickers", names,
                               "--source", "embedded", "--out", str(out_v)])
    assert done.exit_code == 0, done.stderr
    assert "log(1 + volume)" in done.stderr
    assert runner.invoke(app, ["data", "panel", "--tickers", names, "--source", "embedded",
                               "--out", str(out_r)]).exit_code == 0
    volume, returns = pd.read_parquet(out_v), pd.read_parquet(out_r)
    assert volume.index.equals(returns.index) and list(volume.columns) == names.split(",")
    for ticker in names.split(","):
        want = _csv_log_volume(ticker)
        got = volume[ticker]
        assert got.notna().equals(returns[ticker].notna())  # same cells as the returns
        held = got.dropna()
        assert held.index.equals(want.index[1:])  # the first date has no return: no row
        np.testing.assert_allclose(held.to_numpy(), want.iloc[1:].to_numpy(), rtol=1e-15)
    assert volume["6330.T"].isna().sum() >= 1  # a date of ^N225 only: NaN, as its return


def test_data_panel_refuses_a_ticker_without_volume(tmp_path) -> None:
    out = tmp_path / "volume.parquet"
    done = runner.invoke(app, ["data", "panel", "--measure", "volume", "--tickers",
                               "6330.T,^TOPX", "--source", "embedded", "--out", str(out)])
    assert done.exit_code == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "^TOPX" in lines[0] and "no volume" in lines[0], lines
    assert not out.exists()


# --- eventstudy batch --measure volume ---------------------------------------------------------

def test_cli_batch_passes_the_measure_through(tmp_path) -> None:
    distributed = pytest.importorskip("distributed")
    pytest.importorskip("pyarrow")
    panel = volume_panel(6, 400, seed=21, missing=0.01)
    panel.to_parquet(tmp_path / "volume.parquet")
    pairs = pairs_on(panel, 3, seed=22)
    pairs.assign(day0=pairs["day0"].dt.strftime("%Y-%m-%d")).to_csv(tmp_path / "pairs.csv",
                                                                     index=False)
    args = ["batch", str(tmp_path / "pairs.csv"), "--returns", str(tmp_path / "volume.parquet"),
            "--estimation", f"{EST[0]},{EST[1]}", "--window", f"{WIN[0]},{WIN[1]}",
            "--sessions", "index", "--measure", "volume"]
    refused = runner.invoke(app, [*args, "--model", "dimson"])
    assert refused.exit_code == 2 and "not a volume model" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    out = tmp_path / "cav.parquet"
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=":0", silence_logs=40) as cluster:
        done = runner.invoke(app, [*args, "--scheduler", cluster.scheduler_address,
                                   "--out", str(out)])
    assert done.exit_code == 0, done.stderr
    table = pd.read_parquet(out)
    assert table.attrs.get("measure") == "volume"
    local = eventstudy.batch(panel, pairs, estimation=EST, window=WIN, sessions="index",
                             measure="volume")
    np.testing.assert_allclose(table["car"].to_numpy(float), local.car.to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(table["t"].to_numpy(float), local.car_t.to_numpy(), rtol=1e-12)
    returns = eventstudy.batch(panel, pairs, estimation=EST, window=WIN, sessions="index")
    assert not np.allclose(table["car"].to_numpy(float), returns.car.to_numpy())
