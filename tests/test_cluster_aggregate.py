"""The pooled battery reduced on the cluster (eventstudy.distributed.aggregate, issue 26): one
task gives the local aggregate's numbers, several tasks the same but for r̄ (estimated within
tasks); only sums travel back; bad inputs are typed errors; and ``eventstudy batch
--aggregate BY`` prints and writes it."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from distributed_data import EST, WIN, pairs_for, universe
from test_pooled_sums import assert_same
from typer.testing import CliRunner

import eventstudy
import eventstudy.distributed
from eventstudy.cli import app
from eventstudy.errors import EstimationError, InputError
from eventstudy.inference.pooled_sums import NOT_REDUCED

distributed = pytest.importorskip("distributed")
ROWS = {"estimation": EST, "window": WIN, "sessions": "index"}
WINDOWS = [(-1, 1), (0, 0), WIN]
R_BAR_TESTS = ("adj_patell_z", "kp_bmp_t")


@pytest.fixture(scope="module")
def cluster():
    c = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                 dashboard_address=":0", silence_logs=40)
    with c, distributed.Client(c) as client:
        yield c, client


def study(n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    returns = universe(150, 700, seed=seed)
    pairs = pairs_for(returns, n, seed=seed + 1)
    pairs = pairs[pairs["security"].isin(returns.columns)].drop_duplicates(
        ["security", "day0"])
    pairs["kind"] = np.array(["merger", "split", "buyback"])[np.arange(len(pairs)) % 3]
    return returns, pairs


def quiet(call, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return call(*args, **kw)


def test_one_task_gives_the_local_aggregate(cluster) -> None:
    """Fewer pairs a group than the r̄ sample, one task: every reduced test, r̄ included, is the
    local aggregate's; grank_t and wilcoxon_z say why they are missing."""
    _, client = cluster
    returns, pairs = study(330, 3)
    local = quiet(eventstudy.batch, returns, pairs, **ROWS).aggregate(
        by="kind", windows=WINDOWS, bootstrap=0)
    reduced = quiet(eventstudy.distributed.aggregate, returns, pairs, by="kind",
                    windows=WINDOWS, client=client, tasks=1, **ROWS)
    assert list(reduced) == list(local) == ["merger", "split", "buyback"]
    keys = [k for k in local["merger"].day_tests[0] if k not in NOT_REDUCED]
    assert len(keys) == 13
    for g in local:
        assert_same(reduced[g], local[g], keys=keys, rtol=1e-9, r_bar=False)
        assert reduced[g].r_bar == pytest.approx(local[g].r_bar, rel=1e-9)
        for w in WINDOWS:
            assert reduced[g].r_bar_car[w] == pytest.approx(local[g].r_bar_car[w], rel=1e-9)
        for key in NOT_REDUCED:
            test = reduced[g].car_tests[WIN][key]
            assert np.isnan(test.stat) and "not reduced on the cluster" in test.reason
        assert np.isnan(reduced[g].car["ci_low"]).all()


def test_many_tasks_change_only_r_bar(cluster) -> None:
    _, client = cluster
    returns, pairs = study(3_000, 8)
    local = quiet(eventstudy.batch, returns, pairs, **ROWS).aggregate(windows=WINDOWS,
                                                                     bootstrap=0)
    reduced = quiet(eventstudy.distributed.aggregate, returns, pairs, windows=WINDOWS,
                    client=client, tasks=5, **ROWS)
    keys = [k for k in local.day_tests[0] if k not in (*NOT_REDUCED, *R_BAR_TESTS)]
    assert_same(reduced, local, keys=keys, rtol=1e-9, r_bar=False)
    # r̄ from pairs within tasks (and a subsample of each): the same order, not the same value
    assert reduced.r_bar == pytest.approx(local.r_bar, rel=0.5, abs=2e-3)
    assert "subsample" in reduced.r_bar_method or "within" in reduced.r_bar_method


def test_bad_inputs_are_typed_errors(cluster) -> None:
    _, client = cluster
    returns, pairs = study(200, 4)
    with pytest.raises(InputError, match="no column 'sector'"):
        eventstudy.distributed.aggregate(returns, pairs, by="sector", client=client, **ROWS)
    with pytest.raises(EstimationError, match=r"CAR window \[0, 9\] is not inside"):
        eventstudy.distributed.aggregate(returns, pairs, windows=[(0, 9)], client=client,
                                         **ROWS)
    twice = pd.concat([pairs, pairs.iloc[:1].rename(index=lambda x: "again")])
    with pytest.raises(InputError, match="is in its group twice"):
        eventstudy.distributed.aggregate(returns, twice, client=client, **ROWS)


runner = CliRunner()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("aggregate")
    returns, pairs = study(900, 12)
    pairs = pairs[pairs["benchmark"].isin(returns.columns) & pairs["day0"].isin(returns.index)]
    returns.to_parquet(folder / "returns.parquet")
    pairs.reset_index().assign(day0=pairs["day0"].dt.strftime("%Y-%m-%d").to_numpy()).to_csv(
        folder / "pairs.csv", index=False)
    return folder, returns, pairs


def cli(folder, scheduler, *args):
    return runner.invoke(app, ["batch", str(folder / "pairs.csv"), "--returns",
                               str(folder / "returns.parquet"), "--scheduler", scheduler,
                               "--estimation", f"{EST[0]},{EST[1]}", "--window",
                               f"{WIN[0]},{WIN[1]}", "--sessions", "index", *args])


def test_cli_prints_and_writes_the_pooled_battery(cluster, files) -> None:
    c, _ = cluster
    folder, returns, pairs = files
    out = folder / "pooled.json"
    result = cli(folder, c.scheduler_address, "--aggregate", "kind", "--car-window", "-1,1",
                 "--car-window", "0,5", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    for kind in ("merger", "split", "buyback"):
        assert f"kind = {kind}:" in result.stdout
    document = json.loads(out.read_text())
    assert [g["group"] for g in document["groups"]] == ["merger", "split", "buyback"]
    assert document["windows"] == [[-1, 1], [0, 5]]
    local = quiet(eventstudy.batch, returns, pairs, **ROWS).aggregate(
        by="kind", windows=[(-1, 1), (0, 5)], bootstrap=0)
    for group in document["groups"]:
        agg, want = group["aggregate"], local[group["group"]]
        assert agg["n"] == want.n
        car = {tuple(x["window"]): x for x in agg["car"]}
        assert car[(0, 5)]["caar"] == pytest.approx(want.car["caar"].iloc[1], rel=1e-9)
        assert car[(0, 5)]["tests"]["csect_t"]["stat"] == pytest.approx(
            want.car_tests[(0, 5)]["csect_t"].stat, rel=1e-9)
        assert car[(0, 5)]["tests"]["wilcoxon_z"]["stat"] is None
    studied = sum(local[g].n for g in local)
    assert result.stderr.strip().endswith(f"3 group(s), {len(pairs)} pairs, {studied} studied, "
                                          f"{len(pairs) - studied} excluded")
    table = folder / "pooled.csv"
    result = cli(folder, c.scheduler_address, "--aggregate", "all", "--out", str(table))
    assert result.exit_code == 0, result.stderr
    rows = pd.read_csv(table)
    assert list(rows.columns[:4]) == ["group", "level", "t", "window"]
    assert set(rows["group"]) == {"all"} and set(rows["level"]) == {"day", "window"}


@pytest.mark.parametrize("args, message", [
    (["--aggregate", "sector"], "has no column 'sector'"),
    (["--aggregate", "kind", "--out", "pooled.parquet"], "give a .json or .csv file"),
    (["--aggregate", "kind", "--car-window", "0,99"], "is not inside the event window"),
])
def test_cli_bad_aggregate_is_one_line_exit_2(cluster, files, args, message) -> None:
    c, _ = cluster
    folder, _, _ = files
    result = cli(folder, c.scheduler_address, *args)
    assert result.exit_code == 2, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr


def test_the_warning_counts_exclusions_as_the_local_engine_does(cluster) -> None:
    """Pairs of every kind of exclusion, unknown securities (left out of the tasks) included:
    one warning, the same counts by kind as the local engine's."""
    _, client = cluster
    returns = universe(150, 700, seed=5)
    pairs = pairs_for(returns, 1_500, seed=6).drop_duplicates(["security", "day0"])
    assert (~pairs["security"].isin(returns.columns)).sum() >= 5

    def counts(call) -> str:
        with pytest.warns(eventstudy.errors.ExcludedPairsWarning) as caught:
            call()
        assert len(caught) == 1
        return str(caught[0].message).split(": ", 1)[1].split("); list")[0]

    local = counts(lambda: eventstudy.batch(returns, pairs, **ROWS))
    reduced = counts(lambda: eventstudy.distributed.aggregate(returns, pairs, client=client,
                                                              tasks=3, **ROWS))
    assert "security not a column of returns" in local
    assert sorted(reduced.split("; ")) == sorted(local.split("; "))
