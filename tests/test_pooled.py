"""Pooled runs: selection by ids, tag and securities; pairs keyed on (event, security); JSON
documents valid against the schema; the CLI's ``run ID1 ID2``, ``--tag``, ``--securities``."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest
from typer.testing import CliRunner

from eventstudy import EventStudyError, UnknownEventError, load_events
from eventstudy.cli import app
from eventstudy.study.pooled import PooledResult, run_event, run_many, select_events

jsonschema = pytest.importorskip("jsonschema")
from eventstudy.schema import validate_result  # noqa: E402

TWO = ["dual-use-ban", "busan-truce"]


@pytest.fixture(scope="module")
def pooled() -> PooledResult:
    return run_many(TWO, bootstrap=300, seed=5)


@pytest.fixture(scope="module")
def single():
    return run_event("dual-use-ban")


def test_pairs_keyed_on_event_and_security(pooled: PooledResult, single) -> None:
    keys = pooled.aggregate.keys
    assert len(keys) == len(set(keys)) == pooled.aggregate.n
    # the same four securities in two events: eight pairs, never four
    assert {s for _, s in keys} == {"LYC", "TOYO", "TE", "N225"}
    assert pooled.aggregate.n == 8 and pooled.aggregate.n_events == 2
    lyc = [(e, p) for e, p in pooled.pairs if p.security == "LYC"]
    assert [e for e, _ in lyc] == TWO
    # day 0 of the pooled aggregate is the mean over all eight pairs' day-0 ARs
    ar0 = [p.days.set_index("t").loc[0, "ar"] for _, p in pooled.pairs]
    assert math.isclose(pooled.aggregate.days.loc[0, "aar"], float(np.mean(ar0)))
    assert not pooled.aggregate.common_date and single.aggregate.common_date


def test_pooled_r_bar_and_portfolio_follow_the_dates(pooled: PooledResult, single) -> None:
    # pairs of different events are uncorrelated in r̄ (their event days differ); the
    # portfolio test needs one common date.
    assert math.isnan(pooled.aggregate.day_tests[0]["portfolio_t"].stat)
    assert "common event date" in pooled.aggregate.day_tests[0]["portfolio_t"].reason
    assert math.isfinite(single.aggregate.day_tests[0]["portfolio_t"].stat)
    assert abs(pooled.aggregate.r_bar) <= abs(pooled.aggregate.r_bar_all) + 1e-12


def test_single_event_document_is_the_contract(single) -> None:
    doc = json.loads(single.to_json())
    validate_result(doc)
    assert "event" in doc and "events" not in doc
    agg = doc["aggregate"]
    day0 = next(d for d in agg["days"] if d["t"] == 0)
    for key in ("csect_t", "patell_z", "adj_patell_z", "bmp_t", "kp_bmp_t", "cda_t", "skew_t",
                "sign_z", "gsign_z", "rank_z", "grank_t", "wilcoxon_z", "j1", "j2",
                "portfolio_t"):
        assert set(day0["tests"][key]) >= {"stat", "p"}
    assert "calendar date" in agg["r_bar_method"]
    assert all(len(c["ci"]) == 2 for c in agg["car"])


def test_pooled_document(pooled: PooledResult) -> None:
    doc = json.loads(pooled.to_json())
    validate_result(doc)
    assert [e["id"] for e in doc["events"]] == TWO
    assert all(p["event"] in TWO for p in doc["pairs"]) and len(doc["pairs"]) == 8
    assert doc["aggregate"]["n"] == 8
    broken = {**doc, "pairs": [{k: v for k, v in p.items() if k != "event"}
                               for p in doc["pairs"]]}
    with pytest.raises(jsonschema.ValidationError):
        validate_result(broken)


def test_frames(pooled: PooledResult) -> None:
    frame = pooled.to_frame()
    assert set(frame["event"]) == set(TWO)
    tests = pooled.tests_frame()
    assert {"level", "t", "window", "key", "stat", "p", "robust"} <= set(tests.columns)
    # the CAR-window rows are labelled "window" (as the README says), the day rows "day"
    assert set(tests.level) == {"day", "window"}
    assert len(tests[(tests.level == "window")]) == len(pooled.windows) * 15
    assert tests.loc[tests.level == "day", "t"].notna().all()


def test_tests_frame_labels_car_window_rows_window(single) -> None:
    # README: "one row per (day or window, test)"; the level was once "car"
    tests = single.tests_frame()
    assert set(tests.level) == {"day", "window"}
    windows = tests[tests.level == "window"]
    assert set(windows.window) == {tuple(w) for w in single.aggregate.car.index}
    assert windows.t.isna().all()
    row = windows[(windows.window == (0, 1)) & (windows.key == "patell_z")].iloc[0]
    assert row.stat == single.aggregate.car_tests[(0, 1)]["patell_z"].stat
    assert {"level", "window"} <= set(replace(single, aggregate=None).tests_frame().columns)


def test_bootstrap_seed_reproducible() -> None:
    a = run_event("dual-use-ban", bootstrap=400, seed=3).aggregate.car
    b = run_event("dual-use-ban", bootstrap=400, seed=3).aggregate.car
    c = run_event("dual-use-ban", bootstrap=400, seed=4).aggregate.car
    assert a[["ci_low", "ci_high"]].equals(b[["ci_low", "ci_high"]])
    assert not a[["ci_low", "ci_high"]].equals(c[["ci_low", "ci_high"]])


def test_tag_and_securities_selection() -> None:
    calendar = load_events()
    tagged = select_events(calendar, tag="escalation")
    assert tagged and all("escalation" in e.tags for e in tagged)
    result = run_many(tag="de-escalation", securities=["LYC", "TOYO"], bootstrap=0)
    assert {s for _, s in result.aggregate.keys} == {"LYC", "TOYO"}
    assert {e for e, _ in result.aggregate.keys} == {e.id for e in calendar.events
                                                     if "de-escalation" in e.tags}
    one = run_event("dual-use-ban", securities=["LYC", "TOYO"])
    assert [p.security for p in one.pairs] == ["LYC", "TOYO"]


@pytest.mark.parametrize("kwargs, match", [
    ({"tag": "no-such-tag"}, "no event tagged 'no-such-tag'"),
    ({"event_ids": ["dual-use-ban"], "securities": ["NOPE"]}, "unknown security 'NOPE'"),
    ({"event_ids": ["no-such-event", "dual-use-ban"]}, "unknown event 'no-such-event'"),
    ({}, "no event selected"),
], ids=["tag", "security", "event", "nothing"])
def test_selection_errors(kwargs: dict, match: str) -> None:
    with pytest.raises(UnknownEventError, match=match):
        run_many(**kwargs)
    assert issubclass(UnknownEventError, EventStudyError)


runner = CliRunner()


def test_cli_pooled_json_and_table() -> None:
    out = runner.invoke(app, ["run", *TWO, "--securities", "LYC,TOYO", "-f", "json",
                              "--bootstrap", "200"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    validate_result(doc)
    assert doc["aggregate"]["n"] == 4 and doc["aggregate"]["bootstrap"]["n"] == 200
    out = runner.invoke(app, ["run", *TWO, "--bootstrap", "0"])
    assert out.exit_code == 0
    for text in ("Pooled study of 2 events", "Aggregate over 8 pairs of 2 events", "kp_bmp_t",
                 "r̄ =", "Pairs (event, security)"):
        assert text in out.stdout


def test_cli_single_event_panel_names_robust_tests() -> None:
    out = runner.invoke(app, ["run", "dual-use-ban", "--bootstrap", "100"])
    assert out.exit_code == 0
    assert "All pairs share day 0" in out.stdout and "95% CI" in out.stdout
    assert "kp_bmp_t †" in out.stdout and "adj_patell_z †" in out.stdout
    assert "grank_t †" not in out.stdout and "bmp_t †" not in out.stdout.replace("kp_bmp_t", "")


@pytest.mark.parametrize("args", [["run", "--tag", "nope"], ["run"],
                                  ["run", "dual-use-ban", "--securities", "XX"]],
                         ids=["tag", "nothing", "security"])
def test_cli_errors_one_line_exit_2(args: list[str]) -> None:
    out = runner.invoke(app, args)
    assert out.exit_code == 2
    assert out.stdout == ""
    assert len(out.stderr.strip().splitlines()) == 1 and out.stderr.startswith("error: ")


def test_one_pair_tests_are_null_in_json() -> None:
    result = run_event("dual-use-ban", securities=["LYC"], bootstrap=50)
    doc = json.loads(result.to_json())
    validate_result(doc)
    day0 = next(d for d in doc["aggregate"]["days"] if d["t"] == 0)
    assert day0["tests"]["csect_t"]["stat"] is None and day0["tests"]["csect_t"]["p"] is None
    assert day0["tests"]["csect_t"]["reason"].startswith("needs N >= 2")
    assert doc["aggregate"]["r_bar"] is None
