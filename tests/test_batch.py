"""Tests of eventstudy.batch: the vectorised engine against per-pair references.

- Simulated returns with holes (scattered NaN, a long outage, holes in a benchmark) against a
  per-pair reference written here: statsmodels OLS on the usable estimation rows, and the
  matrix form σ̂²[I + X*(X'X)⁻¹X*'] (abnormal.ar_covariance) for Var(AR) and Var(CAR) over the
  valid event days; both the running-sum and the direct path, every model.
- (Agreement with eventstudy.run on the embedded data, one exchange or several:
  tests/test_batch_sessions.py.)
- Exclusions with their reasons; typed errors; chunking and blocking do not change numbers;
  size of the CAR t test under H0 and power against an injected abnormal return.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

import eventstudy
from eventstudy.errors import EstimationError, InputError
from eventstudy.inference.abnormal import ar_covariance
from eventstudy.study.batch import engine as batch_engine
from eventstudy.study.batch import fit as batch_fit
from eventstudy.study.batch import inputs as batch_inputs
from eventstudy.study.batch import sums as batch_sums
from eventstudy.study.batch import tuning

EST, WIN = (-120, -11), (-4, 6)
RTOL = 1e-10


def batch(*args, **kw) -> eventstudy.BatchResult:
    """eventstudy.batch on simulated panels: business days of no exchange, so offsets count
    rows of the index (sessions="index")."""
    return eventstudy.batch(*args, **{"sessions": "index", **kw})


def simulate(seed: int = 0, n_rows: int = 400, n_sec: int = 10) -> pd.DataFrame:
    """One-factor returns with drift, 4 % scattered holes, a 40-row outage, benchmark holes."""
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range("2015-01-01", periods=n_rows)
    m = rng.normal(0.0005, 0.01, (n_rows, 2))
    beta = rng.uniform(0.3, 1.7, n_sec)
    r = 0.0003 + beta * m[:, np.arange(n_sec) % 2] + rng.normal(0, 0.02, (n_rows, n_sec))
    r[rng.random(r.shape) < 0.04] = np.nan
    r[150:190, 3] = np.nan
    m[rng.random(n_rows) < 0.02, 1] = np.nan
    frame = pd.DataFrame(r, index=idx, columns=[f"S{i}" for i in range(n_sec)])
    frame["MA"], frame["MB"] = m[:, 0], m[:, 1]
    return frame


def sim_pairs(returns: pd.DataFrame, n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sec = rng.choice(returns.columns[:-2].to_numpy(), n)
    bench = np.where([int(x[1:]) % 2 == 0 for x in sec], "MA", "MB")
    day0 = returns.index[rng.integers(-EST[0], len(returns) - WIN[1], n)]
    return pd.DataFrame({"security": sec, "benchmark": bench, "day0": day0},
                        index=pd.Index([f"p{i}" for i in range(n)], name="pair"))


def priced(column: np.ndarray) -> np.ndarray:
    """Sessions with a price: those with a return, and the one before the first return."""
    present = np.isfinite(column)
    out = present.copy()
    if present.any() and np.argmax(present) > 0:
        out[np.argmax(present) - 1] = True
    return out


def reference(returns: pd.DataFrame, pair: pd.Series, model: str, est=EST, win=WIN) -> dict:
    """One pair the slow way, trade to trade: statsmodels OLS on the one-session returns of
    the estimation window, then each event day's return since the last session where both
    series are priced (over ``span`` sessions), and the matrix form of the AR covariance
    with D = diag(span).

    The regressor is centred on its estimation mean (the same model, reparametrised: V is
    invariant) so that the reference itself stays accurate far from zero.
    """
    d = returns.index.get_loc(pair["day0"])
    r = returns[pair["security"]].to_numpy()
    m = returns[pair["benchmark"]].to_numpy()
    common = priced(r) if model == "constant-mean" else priced(r) & priced(m)
    before = np.concatenate([[True], common[:-1]])  # the row before row 0: taken as priced
    lo, hi = max(d + est[0], 0), d + est[1] + 1
    ok = (common & before & np.isfinite(r) & (np.isfinite(m) | (model == "constant-mean")))
    ok = ok[lo:hi]
    re, me = r[lo:hi][ok], m[lo:hi][ok]
    n = ok.sum()
    centre = me.mean() if n and model != "constant-mean" else 0.0
    if model == "market":
        ols = sm.OLS(re, sm.add_constant(me - centre, has_constant="add")).fit()
        beta, s2 = ols.params[1], ols.ssr / (n - 2)
        alpha = ols.params[0] - beta * centre
        x = np.column_stack([np.ones(n), me - centre])
    elif model == "constant-mean":
        alpha, beta = re.mean(), np.nan
        s2 = np.sum((re - alpha) ** 2) / (n - 1)
        x = np.ones((n, 1))
    else:
        alpha, beta, s2 = 0.0, 1.0, np.sum((re - me) ** 2) / n
        x = np.zeros((n, 0))
    length = win[1] - win[0] + 1
    rw, mw, span = np.full(length, np.nan), np.full(length, np.nan), np.zeros(length)
    for j, t in enumerate(range(d + win[0], d + win[1] + 1)):
        earlier = [u for u in range(max(d + est[0] - 1, 0), t) if common[u]]
        if not common[t] or not earlier:
            continue
        u = earlier[-1]
        rw[j] = np.nansum(r[u + 1:t + 1])
        mw[j] = np.nansum(m[u + 1:t + 1])
        span[j] = t - u
    if model == "constant-mean":
        ar = rw - span * alpha
    elif model == "market-adjusted":
        ar = rw - mw
    else:
        ar = rw - span * alpha - beta * mw
    valid = np.isfinite(ar)
    xs = np.column_stack([span[valid], mw[valid] - span[valid] * centre])[:, : x.shape[1]]
    v = ar_covariance(np.sqrt(s2), x, xs, span[valid])
    se = np.full(ar.size, np.nan)
    se[valid] = np.sqrt(np.diag(v))
    return {"alpha": alpha, "beta": beta, "sigma": np.sqrt(s2), "n_obs": n, "ar": ar,
            "se": se, "car": ar[valid].sum(), "car_se": np.sqrt(v.sum()), "v": v,
            "valid": valid, "span": span}


def check_against_reference(res: eventstudy.BatchResult, returns: pd.DataFrame,
                            pairs: pd.DataFrame, model: str) -> int:
    checked = 0
    for label, pair in pairs.iterrows():
        if pd.notna(res.excluded.loc[label]):
            continue
        ref = reference(returns, pair, model)
        got = res.estimation.loc[label]
        assert got["n_obs"] == ref["n_obs"]
        np.testing.assert_allclose(got["alpha"], ref["alpha"], rtol=RTOL, atol=1e-14)
        np.testing.assert_allclose(got["beta"], ref["beta"], rtol=RTOL, atol=1e-12)
        np.testing.assert_allclose(got["sigma"], ref["sigma"], rtol=RTOL)
        np.testing.assert_allclose(res.ar.loc[label].to_numpy(), ref["ar"], rtol=RTOL,
                                   atol=1e-14)
        np.testing.assert_allclose(res.se.loc[label].to_numpy(), ref["se"], rtol=RTOL)
        np.testing.assert_allclose(res.car.loc[label], ref["car"], rtol=RTOL, atol=1e-14)
        np.testing.assert_allclose(res.car_se.loc[label], ref["car_se"], rtol=RTOL)
        checked += 1
    return checked


@pytest.fixture(scope="module")
def sim() -> tuple[pd.DataFrame, pd.DataFrame]:
    returns = simulate()
    pairs = sim_pairs(returns, 60)
    # pairs that exercise the holes: day 0 right after the outage of S3, and inside it
    extra = pd.DataFrame({"security": ["S3", "S3", "S1"], "benchmark": ["MB", "MB", "MB"],
                          "day0": returns.index[[195, 170, 300]]}, index=["out1", "out2", "b1"])
    return returns, pd.concat([pairs, extra])


PATHS = ["prefix-groups", "running-sums", "direct", "compiled-running", "compiled-direct"]


def use_path(monkeypatch: pytest.MonkeyPatch, path: str) -> None:
    """numpy engine: running sums in groups of rows, row by row, or direct sums; compiled
    (numba) engine: running sums or direct sums."""
    compiled = path.startswith("compiled")
    if compiled:
        pytest.importorskip("numba")
    monkeypatch.setattr(tuning, "ENGINE", "numba" if compiled else "numpy")
    monkeypatch.setattr(tuning, "DIRECT_RATIO", 1e9 if path.endswith("direct") else 0.0)
    monkeypatch.setattr(tuning, "PREFIX_GROUP", 16 if path == "prefix-groups" else 1)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("model", ["market", "constant-mean", "market-adjusted"])
def test_matches_per_pair_reference(sim, model: str, path: str,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Each path of each engine against the statsmodels / matrix-form reference."""
    returns, pairs = sim
    use_path(monkeypatch, path)
    res = batch(returns, pairs, estimation=EST, window=WIN, model=model,
                           min_estimation=30)
    assert checked_enough(check_against_reference(res, returns, pairs, model), len(pairs))
    # the pair whose window sits in the outage of S3 has no security returns there
    assert res.ar.loc["out2"].isna().sum() >= 1
    assert res.n_days.loc["out2"] == res.ar.loc["out2"].notna().sum()


def checked_enough(checked: int, total: int) -> bool:
    return checked >= total - 5


def test_paths_and_chunking_give_the_same_numbers(sim, monkeypatch: pytest.MonkeyPatch) -> None:
    returns, pairs = sim
    if batch_engine._load_jit() is not None:  # the compiled engine, however small the call
        monkeypatch.setattr(tuning, "ENGINE", "numba")
    base = batch(returns, pairs, estimation=EST, window=WIN)
    monkeypatch.setattr(tuning, "ENGINE", "numpy")
    monkeypatch.setattr(tuning, "BLOCK_BYTES", 1)  # one combo per block
    monkeypatch.setattr(tuning, "DIRECT_RATIO", 0.0)
    for group in (1, 3, 16):
        monkeypatch.setattr(tuning, "PREFIX_GROUP", group)
        small = batch(returns, pairs, estimation=EST, window=WIN, chunk_size=7)
        pd.testing.assert_frame_equal(base.ar, small.ar, rtol=1e-12)
        pd.testing.assert_frame_equal(base.se, small.se, rtol=1e-12)
        pd.testing.assert_series_equal(base.car_se, small.car_se, rtol=1e-12)
        pd.testing.assert_series_equal(base.excluded, small.excluded)


# --- exclusions and errors ------------------------------------------------------------------


def test_exclusions_have_reasons_and_nan_rows() -> None:
    returns = simulate(n_rows=300)
    idx = returns.index
    returns["FLAT"] = 0.001
    returns["COPY"] = returns["MA"]
    returns["GONE"] = np.nan
    returns.loc[idx[:150], "GONE"] = 0.01 * np.sin(np.arange(150))
    rows = {
        "ok": ("S0", "MA", idx[200]),
        "no_sec": ("XX", "MA", idx[200]),
        "no_bench": ("S0", "YY", idx[200]),
        "no_day0": ("S0", "MA", pd.Timestamp("2015-01-03")),  # a Saturday
        "before": ("S0", "MA", idx[3]),  # the event window starts at row −1
        "after": ("S0", "MA", idx[-3]),
        "flat_m": ("S0", "FLAT", idx[200]),
        "copy": ("MA", "COPY", idx[200]),
        "few": ("GONE", "MA", idx[250]),
        "empty": ("GONE", "MA", idx[155]),
    }
    pairs = pd.DataFrame(rows.values(), index=list(rows), columns=["security", "benchmark",
                                                                   "day0"])
    res = batch(returns, pairs, estimation=EST, window=WIN)
    assert res.excluded.index.equals(pairs.index)  # indexed like pairs (contract)
    why = res.excluded.dropna()
    assert list(why.index) == list(rows)[1:] and pd.isna(res.excluded["ok"])
    assert "'XX' is not a column" in why["no_sec"]
    assert "benchmark 'YY'" in why["no_bench"]
    assert "day0 2015-01-03 is not a session" in why["no_day0"]
    assert why["before"].startswith("event window starts at offset -4, before the first "
                                    f"session of returns ({idx[0].date()})")
    assert "after the last session" in why["after"]
    assert "benchmark returns have zero variance" in why["flat_m"]
    assert "residuals have zero variance" in why["copy"]
    # GONE has returns on rows 0-149 only: rows 130-149 of the estimation window 130-239
    assert why["few"].startswith("only 20 usable estimation returns")
    assert "min_estimation = 60" in why["few"]
    assert "no returns in the event window" in why["empty"]
    bad = list(rows)[1:]
    assert res.ar.loc[bad].isna().all().all() and res.se.loc[bad].isna().all().all()
    assert res.car.loc[bad].isna().all() and res.estimation.loc[bad, "beta"].isna().all()
    assert res.n_days.loc["ok"] == res.ar.loc["ok"].notna().sum() > 0
    assert res.estimation.loc["few", "n_obs"] == 20
    tidy = res.to_frame()
    assert len(tidy) == WIN[1] - WIN[0] + 1 and set(tidy["pair"]) == {"ok"}
    np.testing.assert_array_equal(tidy["ar"], res.ar.loc["ok"])
    frame = res.car_frame()
    assert frame.loc["no_sec", "reason"] == why["no_sec"] and pd.isna(frame.loc["ok", "reason"])


def test_min_estimation_and_model_minimum() -> None:
    returns = simulate(n_rows=300)
    pairs = pd.DataFrame({"security": ["S0"], "benchmark": ["MA"], "day0": [returns.index[200]]})
    res = batch(returns, pairs, estimation=(-13, -11), window=WIN, min_estimation=1)
    assert "model needs M − k − 2 > 0" in res.excluded.iloc[0]
    assert not res.studied.any() and res.to_frame().empty
    n = batch(returns, pairs, estimation=EST, window=WIN).estimation["n_obs"].iloc[0]
    res = batch(returns, pairs, estimation=EST, window=WIN, min_estimation=n + 1)
    assert f"only {n} usable" in res.excluded.iloc[0]
    assert batch(returns, pairs, estimation=EST, window=WIN,
                            min_estimation=n).excluded.isna().all()


def test_typed_errors() -> None:
    returns = simulate(n_rows=200)
    pairs = sim_pairs(returns, 3)
    with pytest.raises(EstimationError, match="dimson"):
        batch(returns, pairs, model="dimson")
    with pytest.raises(EstimationError, match="overlaps"):
        batch(returns, pairs, estimation=(-100, -5), window=(-5, 5))
    with pytest.raises(InputError, match="benchmark"):
        batch(returns, pairs.drop(columns="benchmark"))
    with pytest.raises(InputError, match="sorted"):
        batch(returns.iloc[::-1], pairs)
    # the constant mean needs no benchmark column
    res = batch(returns, pairs.drop(columns="benchmark"), estimation=(-60, -11),
                           window=(-2, 2), model="constant-mean", min_estimation=20)
    assert res.k == 1 and res.estimation["beta"].isna().all()


# --- statistics -------------------------------------------------------------------------


def test_car_test_size_and_power() -> None:
    """Normal errors: t = CAR/se is Student t(M − 2) under H0; +4σ on day 0 is found."""
    rng = np.random.default_rng(11)
    n_rows, n_sec = 700, 500
    m = rng.normal(0.0004, 0.01, n_rows)
    r = 0.0002 + 1.1 * m[:, None] + rng.normal(0, 0.02, (n_rows, n_sec))
    returns = pd.DataFrame(r, index=pd.bdate_range("2010-01-01", periods=n_rows),
                           columns=[f"S{i}" for i in range(n_sec)])
    returns["M"] = m
    day0 = np.tile([300, 660], n_sec)  # neither event day in the other's estimation window
    pairs = pd.DataFrame({"security": np.repeat(returns.columns[:n_sec], 2), "benchmark": "M",
                          "day0": returns.index[day0]})
    res = batch(returns, pairs, estimation=(-250, -11), window=(-1, 1))
    rate = float((res.car_p < 0.05).mean())
    assert abs(rate - 0.05) < 0.02, rate
    bumped = returns.copy()
    for t in (300, 660):
        bumped.iloc[t, :n_sec] += 0.08
    hit = batch(bumped, pairs, estimation=(-250, -11), window=(-1, 1))
    np.testing.assert_allclose(hit.car.mean() - res.car.mean(), 0.08, rtol=1e-9)
    assert (hit.ar[0] / hit.se[0]).mean() > 3.5
    assert (hit.estimation["df"] == 238).all()  # M = 240 returns in [-250, -11], k = 2
    np.testing.assert_allclose(hit.p.to_numpy(), 2 * stats.t.sf(np.abs(hit.t_stat), 238),
                               rtol=1e-8)
    np.testing.assert_allclose(hit.car_p, 2 * stats.t.sf(np.abs(hit.car_t), 238), rtol=1e-8)


# --- aggregation over the batch (inference.aggregate / significance, not re-implemented) -----


def test_aggregate_by_group_uses_the_shared_tests(sim) -> None:
    from eventstudy.inference import significance as sig

    returns, pairs = sim
    pairs = pairs.assign(kind=np.where(np.arange(len(pairs)) % 3 == 0, "A", "B"))
    res = batch(returns, pairs, estimation=EST, window=WIN, min_estimation=30)
    windows = [(0, 0), (-1, 1), WIN]
    groups = res.aggregate(by="kind", windows=windows)
    assert set(groups) == {"A", "B"}
    studied = res.excluded.isna().to_numpy()
    for kind, agg in groups.items():
        rows = (pairs["kind"] == kind).to_numpy() & studied
        ar, se = res.ar[rows], res.se[rows]
        assert agg.n == rows.sum()
        np.testing.assert_allclose(agg.days["aar"], ar.mean(axis=0), rtol=1e-12)
        sar0 = (ar[0] / se[0]).to_numpy()
        df = res.estimation.loc[rows, "df"].to_numpy(float)
        assert agg.day_tests[0]["patell_z"].stat == pytest.approx(
            sig.patell_z(sar0, df).stat, rel=1e-12)
        # the whole-window CAR is the batch's; its test is csect_t of methods.md
        np.testing.assert_allclose(agg.car.loc[[WIN], "caar"], res.car[rows].mean(), rtol=1e-12)
        assert agg.car_tests[WIN]["csect_t"].stat == pytest.approx(
            sig.csect_t(res.car[rows].to_numpy()).stat, rel=1e-12)
        # sub-windows: CAR and its se against the per-pair reference (matrix form)
        label = pairs.index[rows][0]
        ref = reference(returns, pairs.loc[label], "market")
        offs = np.arange(WIN[0], WIN[1] + 1)
        sel = (offs >= -1) & (offs <= 1) & np.isfinite(ref["ar"])
        p_hat = []
        for lab in pairs.index[rows]:  # Cowan's p̂ from residuals rebuilt here
            pr = pairs.loc[lab]
            d = returns.index.get_loc(pr["day0"])
            e = slice(d + EST[0], d + EST[1] + 1)
            fit = res.estimation.loc[lab]
            r, m = returns[pr["security"]].to_numpy(), returns[pr["benchmark"]].to_numpy()
            # the estimation sample: one-session returns (a return spanning a gap is not in it)
            one = (np.concatenate([[True], priced(r)[:-1]])
                   & np.concatenate([[True], priced(m)[:-1]]))
            resid = np.where(one, r - fit["alpha"] - fit["beta"] * m, np.nan)[e]
            p_hat.append(np.mean(resid[np.isfinite(resid)] > 0))
        one = batch(returns, pairs.loc[[label]], estimation=EST, window=WIN)
        car_1 = one.aggregate(windows=[(-1, 1)]).car.loc[[(-1, 1)], "caar"].iloc[0]
        np.testing.assert_allclose(car_1, ref["ar"][sel].sum(), rtol=1e-10)
        arrays = res._pair_arrays(np.flatnonzero(rows), tuple(windows), kind)
        j = list(pairs.index[rows]).index(label)
        np.testing.assert_allclose(arrays.car[j, 1], ref["ar"][sel].sum(), rtol=1e-10)
        pick = np.flatnonzero(sel)  # days of (-1, 1) with an AR
        among = np.searchsorted(np.flatnonzero(ref["valid"]), pick)  # their rows in V
        np.testing.assert_allclose(arrays.car_se[j, 1],
                                   np.sqrt(ref["v"][np.ix_(among, among)].sum()), rtol=1e-10)
        cars = agg.car_tests[(-1, 1)]
        assert cars["gsign_z"].stat == pytest.approx(
            sig.gsign_z(arrays.car[:, 1], np.array(p_hat)).stat, rel=1e-12)
    whole = res.aggregate()
    assert whole.n == studied.sum()
    with pytest.raises(InputError, match="no column 'nope'"):
        res.aggregate(by="nope")
    with pytest.raises(EstimationError, match="not inside the event window"):
        res.aggregate(windows=[(-9, 0)])


def test_aggregate_refuses_residual_matrices_beyond_the_budget(
        sim, monkeypatch: pytest.MonkeyPatch) -> None:
    returns, pairs = sim
    res = batch(returns, pairs, estimation=EST, window=WIN, min_estimation=30)
    monkeypatch.setattr(tuning, "AGGREGATE_ELEMENTS", 1000)
    with pytest.raises(EstimationError, match="GB of residuals; aggregate by a finer column"):
        res.aggregate()


@pytest.mark.parametrize("path", PATHS)
def test_centring_keeps_digits_far_from_zero(monkeypatch: pytest.MonkeyPatch, path: str) -> None:
    """Returns of 0.3 ± 1e-4: raw Σm² − (Σm)²/n would cancel ~7 digits; centred sums do not."""
    use_path(monkeypatch, path)
    returns = simulate(seed=5, n_rows=300, n_sec=4)
    returns = 0.3 + returns * 0.01
    pairs = sim_pairs(returns, 12, seed=3)
    res = batch(returns, pairs, estimation=EST, window=WIN, min_estimation=30)
    assert check_against_reference(res, returns, pairs, "market") >= 10


def odd_universe() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulated returns with holes, a flat benchmark and a delisted security, and pairs that
    hit every exclusion (unknown ticker, window off the data, flat benchmark, no returns)."""
    returns = simulate(seed=5, n_rows=300)
    pairs = sim_pairs(returns, 300, seed=6)
    returns["FLAT"] = 0.001
    returns["GONE"] = np.nan
    returns.loc[returns.index[:150], "GONE"] = 0.01 * np.sin(np.arange(150))
    idx = returns.index
    odd = pd.DataFrame([("XX", "MA", idx[200]), ("S0", "MA", idx[100]), ("S0", "FLAT", idx[200]),
                        ("GONE", "MA", idx[250]), ("GONE", "MA", idx[155])],
                       columns=pairs.columns, index=[f"x{i}" for i in range(5)])
    return returns, pd.concat([pairs.iloc[:100], odd, pairs.iloc[100:]])


@pytest.mark.parametrize("engine", ["numpy", "numba"])
@pytest.mark.parametrize("model", ["market", "constant-mean", "market-adjusted"])
@pytest.mark.parametrize("direct", [0.0, 10.0])  # running sums / direct path
def test_threads_give_bit_identical_results(monkeypatch: pytest.MonkeyPatch, model: str,
                                            direct: float, engine: str) -> None:
    """threads=2 spreads blocks and chunks over a pool: every array, NaN and exclusion must
    be the same bytes as with threads=1 (tiny blocks and chunks: many tasks per phase)."""
    import threading
    import time

    if engine == "numba":
        pytest.importorskip("numba")
    monkeypatch.setattr(tuning, "ENGINE", engine)
    returns, pairs = odd_universe()
    monkeypatch.setattr(tuning, "BLOCK_BYTES", 2 * 300 * 8 * 4)  # two combos per block
    monkeypatch.setattr(tuning, "DIRECT_RATIO", direct)
    monkeypatch.setattr(tuning, "P_CHUNK", 16)
    names: set[str] = set()
    block_sums, fit_one = batch_sums._block_sums, batch_fit._fit

    def spy(func, pause: float = 0.0):
        def wrapped(*args, **kwargs):
            names.add(threading.current_thread().name)
            time.sleep(pause)  # compiled tasks are so short one thread could take them all
            return func(*args, **kwargs)
        return wrapped

    monkeypatch.setattr(batch_sums, "_block_sums", spy(block_sums))
    monkeypatch.setattr(batch_fit, "_fit", spy(fit_one))
    if engine == "numba":
        from eventstudy.estimation import _jit

        monkeypatch.setattr(_jit, "combos", spy(_jit.combos, 0.01))
    kw = {"estimation": EST, "window": WIN, "model": model, "chunk_size": 13}
    one = batch(returns, pairs, threads=1, **kw)
    assert names == {threading.current_thread().name}
    names.clear()
    two = batch(returns, pairs, threads=2, **kw)
    assert len(names) == 2 and threading.current_thread().name not in names  # the pool's
    assert one.threads == 1 and two.threads == 2
    assert one.excluded.notna().sum() >= 4
    pd.testing.assert_series_equal(one.excluded, two.excluded)
    for name in ("ar", "se", "car", "car_se", "car_t", "n_days", "estimation", "car_p", "p"):
        a, b = getattr(one, name), getattr(two, name)
        assert a.shape == b.shape and a.index.equals(b.index)
        for col in (a.columns if a.ndim == 2 else [None]):
            x = (a[col] if col is not None else a).to_numpy()
            y = (b[col] if col is not None else b).to_numpy()
            assert x.dtype == y.dtype and x.tobytes() == y.tobytes(), (name, col)


def test_threads_must_be_positive(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    returns = simulate(n_rows=300)
    pairs = sim_pairs(returns, 5)
    kw = {"estimation": EST, "window": WIN}
    assert batch(returns, pairs, **kw).threads == 1  # few pairs: one thread
    monkeypatch.setattr(tuning, "THREAD_MIN_PAIRS", 5)
    assert batch(returns, pairs, **kw).threads == min(2, os.cpu_count() or 1)
    for bad in (0, -1, 1.5, True):
        with pytest.raises(EstimationError, match="threads"):
            batch(returns, pairs, estimation=EST, window=WIN, threads=bad)


@pytest.mark.parametrize("model", ["market", "constant-mean", "market-adjusted"])
@pytest.mark.parametrize("direct", [0.0, 1.0, 10.0])  # running sums / by combo / direct
def test_compiled_engine_matches_numpy_engine(monkeypatch: pytest.MonkeyPatch, model: str,
                                              direct: float) -> None:
    """The numba kernels (eventstudy.estimation._jit) against the numpy path on data with holes: the
    same exclusions, NaN cells, n_obs and n_days; numbers to 1e-12 relative (se, CAR se, σ,
    β) and 1e-14 absolute (AR, CAR). The sums are taken in another order (and the direct
    combos with other centres), so bits may differ, not more."""
    pytest.importorskip("numba")
    returns, pairs = odd_universe()
    monkeypatch.setattr(tuning, "DIRECT_RATIO", direct)
    kw = {"estimation": EST, "window": WIN, "model": model, "min_estimation": 30}
    got = {}
    for engine in ("numpy", "numba"):
        monkeypatch.setattr(tuning, "ENGINE", engine)
        got[engine] = batch(returns, pairs, **kw)
    a, b = got["numpy"], got["numba"]
    pd.testing.assert_series_equal(a.excluded, b.excluded)
    assert a.excluded.notna().sum() >= 4 and a.studied.sum() >= 250
    for name in ("n_days",):
        pd.testing.assert_series_equal(getattr(a, name), getattr(b, name))
    pd.testing.assert_series_equal(a.estimation["n_obs"], b.estimation["n_obs"])
    pd.testing.assert_series_equal(a.estimation["df"], b.estimation["df"])
    pairs_of = [(a.ar, b.ar, 0.0, 1e-14), (a.car, b.car, 0.0, 1e-14),
                (a.se, b.se, 1e-12, 0.0), (a.car_se, b.car_se, 1e-12, 0.0)]
    pairs_of += [(a.estimation[c], b.estimation[c], 1e-12, 0.0)
                 for c in ("sigma", "beta", "mean_m", "sxx")]
    for x, y, rtol, atol in pairs_of:
        x, y = np.asarray(x, float), np.asarray(y, float)
        assert (np.isnan(x) == np.isnan(y)).all()
        np.testing.assert_allclose(y, x, rtol=rtol, atol=atol)


def test_import_does_not_load_numba() -> None:
    """The compiled kernels are imported on the first batch, not with the package or CLI."""
    import subprocess
    import sys

    code = "import sys, eventstudy, eventstudy.cli; print('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_numpy_engine_when_numba_is_missing(sim, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without numba the default engine falls back to numpy; ENGINE = "numba" says why not."""
    returns, pairs = sim
    monkeypatch.setattr(batch_engine, "_load_jit", lambda: None)
    calls = []
    event_window = batch_engine._event_window
    monkeypatch.setattr(batch_engine, "_event_window",
                        lambda *a, **k: calls.append(1) or event_window(*a, **k))
    res = batch(returns, pairs, estimation=EST, window=WIN, min_estimation=30)
    assert calls and checked_enough(check_against_reference(res, returns, pairs, "market"),
                                    len(pairs))
    monkeypatch.setattr(tuning, "ENGINE", "numba")
    with pytest.raises(EstimationError, match="numba is not importable"):
        batch(returns, pairs, estimation=EST, window=WIN)


def test_auto_engine_by_size_of_the_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """"auto" runs the numpy engine for calls under COMPILED_MIN_PAIRS pairs, the compiled
    one from there once its kernels are loaded (when numba is installed; before they are,
    tests/test_engine_choice.py); "numba"/"numpy" are obeyed at any size."""
    numba_there = batch_engine._load_jit() is not None
    calls: list[int] = []
    if numba_there:
        from eventstudy.estimation import _jit

        combos = _jit.combos

        def spy(*args):
            calls.append(1)
            return combos(*args)

        monkeypatch.setattr(_jit, "combos", spy)
    returns, pairs = odd_universe()
    n = len(pairs)
    for setting, threshold, expected in (("auto", n + 1, "numpy"),
                                         ("auto", 1, "numba" if numba_there else "numpy"),
                                         ("numpy", 1, "numpy"),
                                         ("numba", 10**9, "numba")):
        if expected == "numba" and not numba_there:
            continue
        monkeypatch.setattr(tuning, "ENGINE", setting)
        monkeypatch.setattr(tuning, "COMPILED_MIN_PAIRS", threshold)
        assert batch_engine.chosen_engine(n) == expected
        calls.clear()
        batch(returns, pairs, estimation=EST, window=WIN)
        assert bool(calls) == (expected == "numba"), (setting, threshold)
    monkeypatch.setattr(tuning, "ENGINE", "auto")
    monkeypatch.setattr(tuning, "COMPILED_MIN_PAIRS", 10_000)
    assert batch_engine.chosen_engine(9_999) == "numpy"


def test_compiled_kernels_have_one_specialisation(monkeypatch: pytest.MonkeyPatch) -> None:
    """The returns reach the kernels read-only whether or not _returns_matrix copied them (a
    float32 frame forces a copy): numba compiles and loads one version of each kernel."""
    jit = batch_engine._load_jit()
    if jit is None:
        pytest.skip("numba not installed")
    monkeypatch.setattr(tuning, "ENGINE", "numba")
    returns, pairs = odd_universe()
    for frame in (returns, returns.astype(np.float32), returns.copy()):
        assert not batch_inputs._returns_matrix(frame)[0].flags.writeable
        batch(frame, pairs, estimation=EST, window=WIN)
    assert len(jit.combos.signatures) == 1
