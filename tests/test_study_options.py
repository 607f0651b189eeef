"""Per-event options end to end on the embedded data: simple returns, market-adjusted model."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

from eventstudy import run
from eventstudy.prices import EmbeddedSource

EVENTS = textwrap.dedent("""
    [securities.TOYO]
    ticker = "6330.T"
    benchmark = "^TOPX"

    [[events]]
    id = "ban-simple-adjusted"
    announced = 2026-01-06T16:25:00+08:00
    securities = ["TOYO"]
    returns = "simple"
    model = "market-adjusted"
    estimation = [-120, -11]
    window = [-2, 2]
    car = [[0, 1]]
""")


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    path = tmp_path_factory.mktemp("ev") / "events.toml"
    path.write_text(EVENTS)
    return run("ban-simple-adjusted", events=path)


def test_simple_market_adjusted_known_answers(result) -> None:
    (pair,) = result.pairs
    source = EmbeddedSource()
    toyo, topx = source.load("6330.T"), source.load("^TOPX")
    r = toyo.pct_change()
    m = topx.pct_change()
    day0 = pair.days.set_index("t").loc[0]
    assert day0["date"].date().isoformat() == "2026-01-07"
    # simple returns straight from the closes
    assert day0["return"] == pytest.approx(r["2026-01-07"], rel=1e-12)
    assert day0["ar"] == pytest.approx(r["2026-01-07"] - m["2026-01-07"], rel=1e-12)
    # market-adjusted: k = 0, σ² = Σ(R − R_m)² / M over the 110 estimation sessions
    sessions = toyo.index
    i0 = sessions.get_loc(np.datetime64("2026-01-07"))
    est = sessions[i0 - 120 : i0 - 10]
    ar_est = (r - m)[est]
    sigma2 = float((ar_est**2).sum() / len(est))
    fit = pair.estimation
    assert (fit.k, fit.n_obs, fit.df, fit.alpha, fit.beta) == (0, 110, 110, 0.0, 1.0)
    assert fit.sigma**2 == pytest.approx(sigma2, rel=1e-12)
    assert day0["se"] == pytest.approx(np.sqrt(sigma2), rel=1e-12)  # no estimation error
    car = next(pair.car.itertuples())
    assert car.window == (0, 1)
    assert car.se == pytest.approx(np.sqrt(2 * sigma2), rel=1e-12)
    # the headline window (0, 0) is added to the configured CAR windows
    assert list(result.windows) == [(0, 1), (0, 0)]


# --- run(model=...) and run --model (issue 23) -------------------------------------------------


def test_a_model_for_the_whole_study_is_the_sensitivity_row_of_that_model() -> None:
    import warnings

    from eventstudy.study.sensitivity import sensitivity

    frame = sensitivity("dual-use-ban", "dimson")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run("dual-use-ban", model="dimson")
    assert {p.model for p in result.pairs} == {"dimson"} and len(result.pairs) == 4
    for pair in result.pairs:
        rows = frame[frame["security"] == pair.security].set_index("window")
        for _, car in pair.car.iterrows():
            assert car["car"] == rows.loc[[tuple(car["window"])], "car"].iloc[0]


def test_a_model_that_does_not_fit_a_pair_excludes_it_with_the_reason(tmp_path) -> None:
    from eventstudy.errors import EstimationError, InputError

    path = tmp_path / "events.toml"
    path.write_text(textwrap.dedent("""
        [defaults]
        model = "constant-mean"
        [securities.T]
        ticker = "6330.T"
        [[events]]
        id = "e"
        announced = 2026-01-07
        securities = ["T"]
        """), encoding="utf-8")
    with pytest.raises(EstimationError, match="no benchmark configured for the market model"):
        run("e", events=path, model="market")
    with pytest.raises(InputError, match="model = 'capm' is not one of"):
        run("e", events=path, model="capm")


def test_run_model_on_the_command_line() -> None:
    import json

    from typer.testing import CliRunner

    from eventstudy.cli import app

    out = CliRunner().invoke(app, ["run", "dual-use-ban", "--model", "constant-mean", "-f",
                                   "json"])
    assert out.exit_code == 0, out.stderr
    assert {p["model"] for p in json.loads(out.stdout)["pairs"]} == {"constant-mean"}
    both = CliRunner().invoke(app, ["run", "dual-use-ban", "--model", "dimson", "--models",
                                    "market"])
    assert both.exit_code == 2 and "--model and --models" in both.stderr
