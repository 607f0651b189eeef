"""The synthetic control (``model = "synthetic"``) and its placebos in space: the simplex
programme against brute force over supports, the parametric variances against statsmodels on
the support's design, the placebo ranks (closed forms, an injected reaction, uniformity under
exchangeability), the vectorised placebo fits against one-by-one fits, and the whole study on
the embedded data against the price files read with the csv module."""

from __future__ import annotations

import csv
import itertools
import json
import math
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from rich.cells import cell_len
from typer.testing import CliRunner

import eventstudy as es
from eventstudy.cli import app
from eventstudy.errors import EstimationError, EventsFileError
from eventstudy.estimation.synthetic import (
    MIN_DONORS,
    SyntheticControl,
    simplex_weights,
    unit_weights,
)
from eventstudy.inference import abnormal
from eventstudy.inference.placebo import rank_p
from eventstudy.study.pooled import run_event
from eventstudy.study.synthetic import fit_with_placebos

PRICES = Path(__file__).resolve().parents[2] / "shared" / "data" / "prices"
TE_MEMBERS = {"7203.T", "7267.T", "7201.T", "7269.T", "7270.T", "7211.T", "7261.T", "7272.T",
              "7202.T", "6902.T", "7259.T", "7282.T", "7309.T", "7313.T", "7012.T"}


def brute_force(g: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The simplex-constrained minimiser of ½w'Gw − b'w by enumerating every support."""
    best, best_w = math.inf, None
    j = b.size
    for size in range(1, j + 1):
        for s in itertools.combinations(range(j), size):
            s = list(s)
            kkt = np.zeros((size + 1, size + 1))
            kkt[:-1, :-1] = g[np.ix_(s, s)]
            kkt[:-1, -1] = kkt[-1, :-1] = 1.0
            sol = np.linalg.lstsq(kkt, np.append(b[s], 1.0), rcond=None)[0]
            if (sol[:-1] < -1e-12).any():
                continue
            w = np.zeros(j)
            w[s] = sol[:-1]
            value = 0.5 * w @ g @ w - b @ w
            if value < best - 1e-15:
                best, best_w = value, w
    assert best_w is not None
    return best_w


def panel(seed: int, m: int = 150, units: int = 6, noise: float = 0.01):
    """Returns of ``units`` names on one common factor with different loadings."""
    rng = np.random.default_rng(seed)
    f = rng.normal(0, 0.01, m)
    load = rng.uniform(0.3, 1.7, units)
    return f[:, None] * load + rng.normal(0, noise, (m, units))


@pytest.mark.parametrize("seed", range(12))
def test_simplex_weights_equal_brute_force(seed):
    y = panel(seed)
    yc = y - y.mean(axis=0)
    g, b = yc[:, 1:].T @ yc[:, 1:], yc[:, 1:].T @ yc[:, 0]
    w = simplex_weights(g, b)
    assert w.min() >= 0 and w.sum() == pytest.approx(1.0, abs=1e-14)
    np.testing.assert_allclose(w, brute_force(g, b), atol=1e-10)


@pytest.mark.parametrize("seed", range(4))
def test_the_slsqp_path_gives_the_same_weights(seed, monkeypatch):
    """The support found by SLSQP instead of the penalised NNLS: the same exact weights."""
    import eventstudy.estimation.synthetic as synthetic

    y = panel(100 + seed)
    yc = y - y.mean(axis=0)
    g, b = yc[:, 1:].T @ yc[:, 1:], yc[:, 1:].T @ yc[:, 0]
    monkeypatch.setattr(synthetic, "_penalised_nnls", lambda g, b: None)
    np.testing.assert_allclose(simplex_weights(g, b), brute_force(g, b), atol=1e-10)


def test_more_donors_than_returns():
    """A singular Gram matrix (8 donors, 6 returns): feasible weights at the optimum value."""
    y = panel(8, m=6, units=9)
    yc = y - y.mean(axis=0)
    g, b = yc[:, 1:].T @ yc[:, 1:], yc[:, 1:].T @ yc[:, 0]
    w = simplex_weights(g, b)
    assert w.min() >= 0 and w.sum() == pytest.approx(1.0, abs=1e-12)
    best = brute_force(g, b)
    assert 0.5 * w @ g @ w - b @ w <= 0.5 * best @ g @ best - b @ best + 1e-12


def test_simplex_weights_at_a_vertex_and_outside_the_hull():
    """The pair is a donor plus noise (one weight 1), or above every donor (weight on the
    highest loading only, which the convex hull cannot exceed)."""
    rng = np.random.default_rng(3)
    x = rng.normal(0, 0.01, (200, 4))
    r = x[:, 2] + rng.normal(0, 1e-4, 200)
    xc, rc = x - x.mean(axis=0), r - r.mean()
    np.testing.assert_allclose(simplex_weights(xc.T @ xc, xc.T @ rc), [0, 0, 1, 0], atol=1e-3)
    f = rng.normal(0, 0.01, 200)
    x = f[:, None] * np.array([0.5, 1.0, 1.5]) + rng.normal(0, 0.002, (200, 3))
    r = 3.0 * f
    xc, rc = x - x.mean(axis=0), r - r.mean()
    w = simplex_weights(xc.T @ xc, xc.T @ rc)
    np.testing.assert_allclose(w, brute_force(xc.T @ xc, xc.T @ rc), atol=1e-10)
    assert w[2] == pytest.approx(1.0, abs=1e-9)


def test_fit_equals_ols_on_the_support():
    """α, σ̂ and the prediction-error variances of AR and CAR equal statsmodels' OLS of
    R − R_s on [1, R_j − R_s] over the support (s its last donor)."""
    y = panel(7, m=220, units=7)
    r, x = y[:200, 0], y[:200, 1:]
    names = tuple(f"D{j}" for j in range(x.shape[1]))
    fit = SyntheticControl(names).fit(r, x, pd.Timestamp("2024-01-01"),
                                      pd.Timestamp("2024-12-31"))
    w = np.asarray(fit.coef[1:])
    s = np.flatnonzero(w > 0)
    assert fit.k == s.size and fit.df == 200 - s.size and s.size >= 2
    last = s[-1]
    design = sm.add_constant(x[:, s[:-1]] - x[:, [last]])
    ols = sm.OLS(r - x[:, last], design).fit()
    np.testing.assert_allclose(ols.params, [fit.alpha, *w[s[:-1]]], atol=1e-10)
    assert math.sqrt(ols.scale) == pytest.approx(fit.sigma, rel=1e-10)
    xe = y[200:, 1:]
    ze = sm.add_constant(xe[:, s[:-1]] - xe[:, [last]], has_constant="add")
    pred = ols.get_prediction(ze)
    span = np.ones(len(xe))
    np.testing.assert_allclose(abnormal.general_ar_variance(fit, xe, span),
                               pred.se_obs**2, rtol=1e-9)
    zsum = ze.sum(axis=0)
    car_var = len(xe) * ols.scale + zsum @ ols.cov_params() @ zsum
    assert abnormal.general_car_variance(fit, xe, span) == pytest.approx(car_var, rel=1e-9)
    ar = abnormal.abnormal_returns(fit, y[200:, 0], xe, span)
    np.testing.assert_allclose(ar, y[200:, 0] - fit.alpha - xe @ w, atol=1e-15)


def test_fit_errors():
    y = panel(1, m=20, units=3)
    with pytest.raises(EstimationError, match="donors"):
        SyntheticControl(())
    x = y[:, 1:]
    with pytest.raises(EstimationError, match="combination of its donors"):
        SyntheticControl(("A", "B")).fit(0.001 + 0.25 * x[:, 0] + 0.75 * x[:, 1], x,
                                         pd.Timestamp(0), pd.Timestamp(0))


def test_rank_p_closed_form():
    assert rank_p(np.array([3.0, 1.0, 5.0, 3.0, 2.0])) == pytest.approx(3 / 5)
    assert rank_p(np.array([9.0, 1.0, 5.0, np.nan])) == pytest.approx(1 / 3)
    assert math.isnan(rank_p(np.array([np.nan, 1.0])))
    np.testing.assert_allclose(rank_p(np.array([[1.0, 4.0], [2.0, 1.0], [0.5, 4.0]])),
                               [2 / 3, 2 / 3])


def _placebos(y: np.ndarray, m: int, windows=((0, 0), (0, 2))):
    n = y.shape[0]
    t = np.arange(n) - m - 5
    sample = np.arange(n) < m
    in_win = t >= -5
    names = tuple(f"D{j}" for j in range(1, y.shape[1]))
    return fit_with_placebos(SyntheticControl(names), y[:, 0], y[:, 1:], sample, in_win, t,
                             np.ones(n), np.isfinite(y).all(axis=1), windows,
                             pd.Timestamp(0), pd.Timestamp(0), 0)


def test_placebo_fits_equal_one_by_one_fits():
    """The vectorised placebo fits (one Gram matrix) equal each donor fitted alone on the
    other donors; the pair's own ARs and CARs equal its fit's."""
    y = panel(11, m=160, units=10)
    fit = _placebos(y, 149)
    s = fit.synthetic
    est = y[:149]
    for u in range(1, 10):
        others = [j for j in range(1, 10) if j != u]
        alone = SyntheticControl(tuple(map(str, others))).fit(
            est[:, u], est[:, others], pd.Timestamp(0), pd.Timestamp(0))
        resid = est[:, u] - alone.alpha - est[:, others] @ np.asarray(alone.coef[1:])
        assert s.rmspe_pre[u] == pytest.approx(math.sqrt(np.mean(resid**2)), rel=1e-9)
        ev = y[149:, u] - alone.alpha - y[149:, others] @ np.asarray(alone.coef[1:])
        post = ev[5:]
        assert s.rmspe_post[u] == pytest.approx(math.sqrt(np.mean(post**2)), rel=1e-9)
        assert s.car[u, 1] == pytest.approx(post[:3].sum(), abs=1e-13)
    ar0 = y[149:, 0] - fit.alpha - y[149:, 1:] @ np.asarray(fit.coef[1:])
    assert s.car[0, 0] == pytest.approx(ar0[5], abs=1e-14)
    w = unit_weights(est, [np.arange(1, 10)])
    np.testing.assert_allclose(s.weights, w[0, 1:], atol=1e-15)


def test_injected_reaction_ranks_first():
    y = panel(5, m=130, units=12)
    y[125, 0] += 0.15  # day 0 of the pair (t = 0 at row m + 5 = 125 with m = 120)
    s = _placebos(y, 120).synthetic
    assert s.p_ratio == pytest.approx(1 / 12)
    assert s.p_car[0] == pytest.approx(1 / 12) and s.p_car[1] == pytest.approx(1 / 12)


def test_placebo_p_is_uniform_under_exchangeability():
    """Units exchangeable by construction (same loading, same noise): the pair's rank is
    uniform, so P(p ≤ k/(J + 1)) = k/(J + 1); 300 seeded studies of 10 units."""
    ps = []
    for seed in range(300):
        rng = np.random.default_rng(1000 + seed)
        f = rng.normal(0, 0.01, 90)
        y = f[:, None] + rng.normal(0, 0.01, (90, 10))
        ps.append(_placebos(y, 79).synthetic.p_car[0])
    ps = np.array(ps)
    for k in (1, 2, 5):
        share = float(np.mean(ps <= k / 10 + 1e-12))
        assert abs(share - k / 10) < 3.5 * math.sqrt(k / 10 * (1 - k / 10) / 300), (k, share)


def _closes(ticker: str) -> pd.Series:
    with open(PRICES / f"{ticker}.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return pd.Series([float(r["close"]) for r in rows],
                     index=pd.to_datetime([r["date"] for r in rows]))


@pytest.fixture(scope="module")
def dual_use():
    return es.run("dual-use-ban", model="synthetic")


def test_dual_use_ban_donors_weights_and_ar(dual_use):
    """TOYO against the Tokyo names the event does not study: donors exclude indices, the
    event's securities and TE's members, and the TOPIX-17 ETF proxy; the fit's weights and the
    day-0 AR match an independent fit on the log returns read from the price files."""
    toyo = next(p for p in dual_use.pairs if p.security == "TOYO")
    s = toyo.estimation.synthetic
    assert len(s.donors) >= MIN_DONORS
    assert not set(s.donors) & (TE_MEMBERS | {"6330.T", "1622.T"})
    assert all(d.endswith(".T") for d in s.donors)
    assert s.weights.min() >= 0 and s.weights.sum() == pytest.approx(1.0, abs=1e-12)
    closes = pd.concat({t: _closes(t) for t in ("6330.T", *s.donors)}, axis=1)
    logret = np.log(closes).diff()
    dates = pd.DatetimeIndex(toyo.residuals["date"])
    r, x = logret.loc[dates, "6330.T"].to_numpy(), logret.loc[dates, list(s.donors)].to_numpy()
    rc, xc = r - r.mean(), x - x.mean(axis=0)
    # the optimality certificate (KKT) of the weights on the data read from the files:
    # the gradient is −λ on the support and at least −λ off it
    grad = xc.T @ (xc @ s.weights - rc)
    on = s.weights > 0
    assert on.sum() == toyo.estimation.k
    lam = -grad[on].mean()
    scale = np.abs(grad).max()
    np.testing.assert_allclose(grad[on], -lam, atol=1e-10 * scale)
    assert (grad[~on] >= -lam - 1e-10 * scale).all()
    day0 = toyo.days.set_index("t").loc[0]
    d = pd.Timestamp(day0["date"])
    expected = toyo.estimation.alpha + logret.loc[d, list(s.donors)].to_numpy() @ s.weights
    assert day0["ar"] == pytest.approx(logret.loc[d, "6330.T"] - expected, abs=1e-12)
    assert day0["benchmark_return"] == pytest.approx(
        logret.loc[d, list(s.donors)].to_numpy() @ s.weights, abs=1e-13)
    car0 = toyo.car.set_index("window").loc[[(0, 0)], "car"].iloc[0]
    assert s.car[0, list(s.windows).index((0, 0))] == pytest.approx(car0, abs=1e-14)


def test_dual_use_ban_excludes_lyc_for_too_few_donors(dual_use):
    why = {e.security: e.reason for e in dual_use.excluded}
    assert "donors" in why["LYC"] and str(MIN_DONORS) in why["LYC"]


def test_donors_from_the_events_file(tmp_path):
    text = (Path(es.__file__).parent / "events.toml").read_text()
    pool = ["4063.T", "5706.T", "5711.T", "5713.T", "5714.T", "6501.T", "6701.T", "6753.T",
            "6762.T", "7203.T"]  # 7203.T is a TE member: in the event, so dropped
    text = text.replace("\n[defaults]\n", f"\n[defaults]\ndonors = {json.dumps(pool)}\n", 1)
    path = tmp_path / "events.toml"
    path.write_text(text)
    res = run_event("dual-use-ban", events=path, model="synthetic", securities=["TOYO"])
    (pair,) = res.pairs
    assert not res.excluded
    assert pair.estimation.synthetic.donors == tuple(pool[:-1])
    path.write_text(text.replace(f"donors = {json.dumps(pool)}", "donors = []", 1))
    with pytest.raises(EventsFileError, match="donors"):
        es.run("dual-use-ban", events=path, model="synthetic")
    path.write_text(text.replace(f"donors = {json.dumps(pool)}", 'donors = ["6501.T"]', 1))
    with pytest.raises(EstimationError, match="TOYO: only 1 donor for the synthetic control"):
        es.run("dual-use-ban", events=path, model="synthetic")


def test_cli_prints_weights_and_placebo_p():
    out = CliRunner().invoke(app, ["run", "dual-use-ban", "--model", "synthetic"],
                             env={"COLUMNS": "80"})
    assert out.exit_code == 0, out.stderr
    assert "weights: " in out.stdout and "placebos in space: 14 donors" in out.stdout
    assert "|CAR| rank p:" in out.stdout
    assert max(cell_len(line) for line in out.stdout.splitlines()) <= 80
    doc = json.loads(CliRunner().invoke(app, ["run", "dual-use-ban", "--model", "synthetic",
                                              "--format", "json"]).stdout)
    schema = json.loads((Path(es.__file__).parent / "schema" / "result.schema.json")
                        .read_text())
    jsonschema.validate(doc, schema)
    toyo = next(p for p in doc["pairs"] if p["security"] == "TOYO")["estimation"]
    assert sum(toyo["weights"].values()) == pytest.approx(1.0, abs=1e-12)
    assert toyo["placebo"]["n"] == len(toyo["placebo"]["units"]) == 14


def test_notebook_shows_weights_and_placebos(dual_use):
    toyo = next(p for p in dual_use.pairs if p.security == "TOYO")
    html = toyo._repr_html_()
    top = toyo.estimation.synthetic.top(1)[0][0]
    assert "weights: " + top in html and "placebos in space: 14 donors" in html
    assert "placebos in space" not in es.run("dual-use-ban").pairs[1]._repr_html_()


def test_report_shows_weights_and_placebos(dual_use):
    from eventstudy.present.markdown import event_markdown

    text = event_markdown(dual_use, {})
    toyo = next(p for p in dual_use.pairs if p.security == "TOYO")
    assert f"- weights: {toyo.estimation.synthetic.top(1)[0][0]}" in text
    assert text.count("- placebos in space: 14 donors") == 3
