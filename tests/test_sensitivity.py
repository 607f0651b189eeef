"""The model-sensitivity view: one event under several models, headline CARs side by side.

Checks: each model's CAR equals the ordinary study run with that model set in the events file
(two independent paths); the constant-mean headline CAR equals day 0's return minus the mean
estimation return read from the raw CSV; NAME@BENCHMARK gives the world-market model; a pair a
model cannot estimate has a reason and NaN; the CLI prints a table, one JSON document or CSV,
and an unknown model is one line on stderr with exit status 2.
"""

from __future__ import annotations

import json
from dataclasses import replace
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rich.console import Console
from typer.testing import CliRunner

from eventstudy.cli import app
from eventstudy.errors import EstimationError
from eventstudy.events import load_events
from eventstudy.present.terminal_models import render_sensitivity
from eventstudy.prices import embedded
from eventstudy.study.sensitivity import COLUMNS, headline_table, parse_models, sensitivity
from eventstudy.study.single import run

PACKAGED = Path(__file__).resolve().parents[1] / "eventstudy" / "events.toml"
DATA = Path(embedded.__file__).resolve().parent / "data"
MODELS = "market,constant-mean,multi-factor,dimson,scholes-williams,market@^GSPC"


@pytest.fixture(scope="module")
def calendar():
    # N225 without a benchmark (constant mean), as a country index with no world-market model
    # configured: the models that need a benchmark must say so, and market@^GSPC adds one.
    cal = load_events(PACKAGED)
    n225 = cal.securities["N225"]
    n225 = replace(n225, benchmark=None, benchmark_exchange=None,
                   overrides={**n225.overrides, "model": "constant-mean"})
    return replace(cal, securities={**cal.securities, "N225": n225})


def test_shipped_n225_market_model_is_the_world_market_view(frame) -> None:
    # The shipped file gives N225 the benchmark ^GSPC (world-market model): its study equals
    # the sensitivity view's market@^GSPC on a calendar where N225 has no benchmark.
    shipped = next(p for p in run("dual-use-ban", events=PACKAGED).pairs if p.security == "N225")
    assert (shipped.model, shipped.benchmark) == ("market", "^GSPC")
    view = frame[(frame["security"] == "N225") & (frame["model"] == "market@^GSPC")
                 & frame["headline"]].iloc[0]
    head = shipped.car[shipped.car["window"] == shipped.headline].iloc[0]
    assert view["car"] == pytest.approx(head["car"], rel=1e-12)
    assert view["beta"] == pytest.approx(shipped.estimation.beta, rel=1e-12)


@pytest.fixture(scope="module")
def frame(calendar) -> pd.DataFrame:
    return sensitivity("dual-use-ban", MODELS, events=calendar)


def test_frame_is_tidy(frame) -> None:
    assert tuple(frame.columns) == COLUMNS
    head = frame[frame["headline"]]
    assert list(dict.fromkeys(head["security"])) == ["LYC", "TOYO", "TE", "N225"]
    assert list(dict.fromkeys(head["model"])) == MODELS.split(",")
    assert (head["window"] == (0, 0)).all() and len(head) == 4 * 6
    table = headline_table(frame)
    assert table.shape == (4, 6)


@pytest.mark.parametrize("model", ["market", "dimson", "scholes-williams", "multi-factor"])
def test_each_model_matches_the_study_run_with_that_model(calendar, frame, model) -> None:
    forced = replace(calendar, securities={
        a: replace(s, overrides={**s.overrides, "model": model})
        for a, s in calendar.securities.items() if a != "N225"})
    event = replace(calendar.event("dual-use-ban"), securities=("LYC", "TOYO", "TE"))
    # every other event stays: its window is left out of the estimation sample (hygiene)
    forced = replace(forced, events=tuple(event if e.id == event.id else e
                                          for e in calendar.events))
    result = run("dual-use-ban", events=forced)
    for p in result.pairs:
        row = frame[(frame["security"] == p.security) & (frame["model"] == model)
                    & frame["headline"]].iloc[0]
        car = p.car.set_index("window").loc[[(0, 0)]].iloc[0]
        assert p.model == model
        assert row["car"] == pytest.approx(car["car"], rel=1e-12)
        assert row["se"] == pytest.approx(car["se"], rel=1e-12)
        assert row["k"] == p.estimation.k


def test_constant_mean_headline_from_raw_csv(frame) -> None:
    pair = run("dual-use-ban", events=PACKAGED).pairs[1]
    assert pair.security == "TOYO"
    close = pd.read_csv(DATA / "6330.T.csv", index_col="date", parse_dates=True)["close"]
    r = np.log(close / close.shift(1))
    est = r.loc[pair.residuals["date"]]  # the hygiene-cleaned estimation sessions
    day0 = r.loc[pd.Timestamp("2026-01-07")]
    row = frame[(frame["security"] == "TOYO") & (frame["model"] == "constant-mean")
                & frame["headline"]].iloc[0]
    assert row["car"] == pytest.approx(day0 - est.mean(), rel=1e-10)
    assert row["k"] == 1 and np.isnan(row["beta"])


def test_world_market_and_unavailable_models(frame) -> None:
    n225 = frame[(frame["security"] == "N225") & frame["headline"]].set_index("model")
    assert n225.loc["market@^GSPC", "benchmark"] == "^GSPC"
    assert n225.loc["market@^GSPC", "k"] == 2 and np.isfinite(n225.loc["market@^GSPC", "car"])
    assert "no benchmark" in n225.loc["dimson", "reason"] and np.isnan(n225.loc["dimson", "car"])
    assert n225.loc["multi-factor", "benchmark"] == "^GSPC + JPY=X"
    assert n225.loc["multi-factor", "k"] == 3
    toyo = frame[(frame["security"] == "TOYO") & frame["headline"]].set_index("model")
    assert toyo.loc["dimson", "k"] == 4 and toyo.loc["multi-factor", "k"] == 3


def test_parse_models() -> None:
    assert parse_models("market, dimson,market") == ("market", "dimson")
    with pytest.raises(EstimationError, match="unknown model 'capm'"):
        parse_models("market,capm")
    with pytest.raises(EstimationError, match="benchmark override"):
        parse_models("constant-mean@^GSPC")


def test_render(frame) -> None:
    out = StringIO()
    Console(file=out, width=160, color_system=None).print(render_sensitivity(frame))
    text = out.getvalue()
    assert "dual-use-ban: headline CAR[0, 0]" in text
    for name in ("LYC", "TOYO", "N225", "scholes-williams", "market@^GSPC"):
        assert name in text
    toyo = frame[(frame["security"] == "TOYO") & (frame["model"] == "market")
                 & frame["headline"]].iloc[0]
    assert f"{toyo['car'] * 100:+.2f}%***" in text
    assert "N225 / dimson: no benchmark" in text


def test_cli_models() -> None:
    runner = CliRunner()
    args = ["run", "dual-use-ban", "--events", str(PACKAGED), "--models", "market,dimson"]
    table = runner.invoke(app, args)
    assert table.exit_code == 0 and "dimson" in table.stdout
    doc = runner.invoke(app, [*args, "-f", "json"])
    rows = json.loads(doc.stdout)
    assert {r["model"] for r in rows} == {"market", "dimson"}
    assert all(r["car"] is None or isinstance(r["car"], float) for r in rows)
    csv = runner.invoke(app, [*args, "-f", "csv"])
    assert csv.stdout.splitlines()[0].startswith("event,security,model,window")
    bad = runner.invoke(app, ["run", "dual-use-ban", "--models", "market,capm"])
    assert bad.exit_code == 2 and bad.stdout == ""
    assert bad.stderr.count("\n") == 1 and "capm" in bad.stderr


def test_cli_models_keeps_only_the_securities_asked_for() -> None:
    runner = CliRunner()
    args = ["run", "dual-use-ban", "--events", str(PACKAGED), "--models", "market,dimson",
            "-f", "json"]
    every = json.loads(runner.invoke(app, args).stdout)
    assert {r["security"] for r in every} == {"LYC", "TOYO", "TE", "N225"}
    cut = runner.invoke(app, [*args, "--securities", "TE,LYC"])
    assert cut.exit_code == 0, cut.stderr
    rows = json.loads(cut.stdout)
    assert {r["security"] for r in rows} == {"TE", "LYC"}
    assert rows == [r for r in every if r["security"] in {"TE", "LYC"}]  # same numbers
    bad = runner.invoke(app, [*args, "--securities", "XYZ"])
    assert bad.exit_code == 2 and bad.stdout == "" and "unknown security 'XYZ'" in bad.stderr
