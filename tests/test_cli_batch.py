"""``eventstudy batch``: the CAR table of a pairs file on Parquet returns, and bad input -> one
line, exit status 2, nothing written."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from distributed_data import EST, WIN, pairs_for, universe
from typer.testing import CliRunner

import eventstudy
from eventstudy.cli import app
from eventstudy.study.distributed.pairs_file import CAR_COLUMNS

distributed = pytest.importorskip("distributed")
runner = CliRunner()
# simulated returns on business days of no exchange: offsets count rows of the panel
WINDOWS = ["--estimation", f"{EST[0]},{EST[1]}", "--window", f"{WIN[0]},{WIN[1]}",
           "--sessions", "index"]


@pytest.fixture(scope="module")
def scheduler():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=":0", silence_logs=40)
    with cluster:
        yield cluster.scheduler_address


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Returns as Parquet, a pairs CSV (security, benchmark, day0, pair) of valid tickers and
    sessions (some pairs still excluded: too few returns, windows off the data, flat)."""
    folder = tmp_path_factory.mktemp("batch")
    returns = universe(50, 400, seed=21)
    returns.to_parquet(folder / "returns.parquet")
    pairs = pairs_for(returns, 3_000, seed=22)
    pairs = pairs[pairs["security"].isin(returns.columns)
                  & pairs["benchmark"].isin(returns.columns)
                  & pairs["day0"].isin(returns.index)]
    pairs.reset_index().assign(day0=pairs["day0"].dt.strftime("%Y-%m-%d").to_numpy()).to_csv(
        folder / "pairs.csv", index=False)
    return folder, returns, pairs


def invoke(*args: str):
    return runner.invoke(app, ["batch", *args])


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_batch_writes_the_car_table(scheduler, files, suffix) -> None:
    folder, returns, pairs = files
    out = folder / f"cars{suffix}"
    result = invoke(str(folder / "pairs.csv"), "--returns", str(folder / "returns.parquet"),
                    "--scheduler", scheduler, "--out", str(out), *WINDOWS)
    assert result.exit_code == 0, result.stderr
    table = pd.read_csv(out, keep_default_na=False, na_values=[""]) if suffix == ".csv" else (
        pd.read_parquet(out))
    assert list(table.columns) == list(CAR_COLUMNS)
    local = eventstudy.batch(returns, pairs, estimation=EST, window=WIN, sessions="index")
    assert table["pair"].astype(str).tolist() == pairs.index.tolist()  # the file's order
    for column, expected in (("car", local.car), ("se", local.car_se), ("t", local.car_t),
                             ("p", local.car_p)):
        got = table[column].to_numpy(float)
        np.testing.assert_allclose(got, expected.to_numpy(), rtol=1e-12)
        assert np.array_equal(np.isnan(got), expected.isna().to_numpy())
    excluded = table["excluded"].fillna("").astype(str)
    assert excluded.tolist() == local.excluded.fillna("").tolist()
    assert (excluded != "").sum() >= 5
    assert (table["n_obs"].to_numpy() == local.estimation["n_obs"].to_numpy()).all()
    assert result.stderr.strip().startswith(f"wrote {out}: {len(pairs)} pairs")
    assert "━" not in result.stderr  # no progress bar: stderr is not a terminal here


def test_without_out_the_table_goes_to_stdout(scheduler, files) -> None:
    folder, _, pairs = files
    result = invoke(str(folder / "pairs.csv"), "--returns", str(folder / "returns.parquet"),
                    "--scheduler", scheduler, *WINDOWS)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == ",".join(CAR_COLUMNS) and len(lines) == len(pairs) + 1
    assert result.stderr == ""


def bad_cases(folder: Path, scheduler: str) -> list[tuple[list[str], str]]:
    pairs_csv, returns = folder / "pairs.csv", str(folder / "returns.parquet")
    text = pairs_csv.read_text().splitlines()
    header, first = text[0], text[1].split(",")
    cases = []

    def pairs_file(name: str, body: str) -> str:
        path = folder / name
        path.write_text(body)
        return str(path)

    unknown = [*first]
    unknown[header.split(",").index("security")] = "ZZZZ"
    cases.append(([pairs_file("unknown.csv", "\n".join([header, ",".join(unknown)])),
                   "--returns", returns], "line 2: security 'ZZZZ' is not a column"))
    saturday = [*first]
    saturday[header.split(",").index("day0")] = "2015-06-06"
    cases.append(([pairs_file("saturday.csv", "\n".join([header, ",".join(saturday)])),
                   "--returns", returns], "day0 2015-06-06 (Saturday) is not a session"))
    cases.append(([pairs_file("nodate.csv", "security,benchmark\nS0001,MKT\n"),
                   "--returns", returns], "missing column(s) day0"))
    cases.append(([pairs_file("baddate.csv", "security,benchmark,day0\nS0001,MKT,06/06/15\n"),
                   "--returns", returns], "line 2: day0 '06/06/15' is not an ISO 8601 date"))
    cases.append(([str(folder / "absent.csv"), "--returns", returns], "no such pairs file"))
    corrupt = folder / "corrupt.parquet"
    corrupt.write_bytes(b"not parquet at all")
    cases.append(([str(pairs_csv), "--returns", str(corrupt)], "corrupt.parquet"))
    cases.append(([str(pairs_csv), "--returns", returns, "--scheduler", "tcp://127.0.0.1:9",
                   "--timeout", "0.5"], "scheduler tcp://127.0.0.1:9 is unreachable"))
    cases.append(([str(pairs_csv), "--returns", returns, "--estimation", "-250"],
                  "START,END"))
    cases.append(([str(pairs_csv), "--returns", returns, "--model", "capm"],
                  "model 'capm' is not available"))
    cases = [([*args, "--sessions", "index"], message) for args, message in cases]
    # on exchange sessions (the default), a ticker no exchange can be inferred from
    cases.append(([str(pairs_csv), "--returns", returns],
                  "cannot infer the exchange of ticker"))
    cases.append(([str(pairs_csv), "--returns", returns, "--sessions", "rows"],
                  "sessions = 'rows'"))
    return [([*args, *([] if "--scheduler" in args else ["--scheduler", scheduler])], message)
            for args, message in cases]


def test_bad_input_is_one_line_exit_2_and_nothing_written(scheduler, files) -> None:
    folder, _, _ = files
    out = folder / "kept.csv"
    out.write_text("old content\n")
    fresh = folder / "fresh.parquet"
    for args, message in bad_cases(folder, scheduler):
        for target in (out, fresh):
            result = invoke(*args, "--out", str(target))
            assert result.exit_code == 2, (args, result.stdout, result.stderr)
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
            assert message in lines[0], (message, lines[0])
        assert out.read_text() == "old content\n" and not fresh.exists()
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith(".")) == []


def test_out_suffix_and_folder_are_checked_first(files) -> None:
    folder, _, _ = files
    for target, message in ((folder / "cars.xlsx", "give a .parquet or .csv file"),
                            (folder / "no" / "cars.csv", "does not exist")):
        result = invoke(str(folder / "pairs.csv"), "--returns", str(folder / "returns.parquet"),
                        "--out", str(target))
        assert result.exit_code == 2 and message in result.stderr


def test_missing_extra_exit_2(monkeypatch, files) -> None:
    folder, _, _ = files
    monkeypatch.setitem(sys.modules, "distributed", None)
    result = invoke(str(folder / "pairs.csv"), "--returns", str(folder / "returns.parquet"))
    assert result.exit_code == 2
    assert "pip install 'eventstudy-sessions[distributed]'" in result.stderr


def test_progress_bar_on_a_terminal_only(scheduler, files, monkeypatch) -> None:
    """stderr a terminal (rich's TTY_COMPATIBLE=1): a bar of tasks is drawn there, and the
    table on stdout is the same bytes as without it."""
    folder, _, _ = files
    args = (str(folder / "pairs.csv"), "--returns", str(folder / "returns.parquet"),
            "--scheduler", scheduler, "--tasks", "3", *WINDOWS)
    monkeypatch.setenv("TTY_COMPATIBLE", "0")
    plain = invoke(*args)
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    drawn = invoke(*args)
    assert plain.exit_code == drawn.exit_code == 0
    assert plain.stderr == "" and "tasks" in drawn.stderr and "3/3" in drawn.stderr
    assert drawn.stdout == plain.stdout


def test_help_names_the_extra() -> None:
    result = runner.invoke(app, ["batch", "--help"])
    assert result.exit_code == 0
    assert "pip install 'eventstudy-sessions[distributed]'" in " ".join(result.stdout.split())


def test_day0_is_a_date_in_parquet(scheduler, files) -> None:
    import datetime as dt

    folder, _, pairs = files
    out = folder / "dates.parquet"
    result = invoke(str(folder / "pairs.csv"), "--returns", str(folder / "returns.parquet"),
                    "--scheduler", scheduler, "--out", str(out), *WINDOWS)
    assert result.exit_code == 0, result.stderr
    import pyarrow.parquet as pq

    column = pq.read_table(out).column("day0")
    assert str(column.type) == "date32[day]"
    assert column.to_pylist()[0] == pd.Timestamp(pairs["day0"].iloc[0]).date()
    assert isinstance(column.to_pylist()[0], dt.date)


def test_fields_paths_adds_each_day_and_a_folder_is_the_workers_dataset(scheduler,
                                                                          files) -> None:
    folder, returns, pairs = files
    local = eventstudy.batch(returns, pairs, estimation=EST, window=WIN, sessions="index")
    out = folder / "dataset"
    result = invoke(str(folder / "pairs.csv"), "--returns", str(folder / "returns.parquet"),
                    "--scheduler", scheduler, "--out", str(out), "--fields", "paths",
                    "--tasks", "3", *WINDOWS)
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == [f"part-{i:05d}.parquet" for i in range(3)]
    table = pd.read_parquet(out)
    days = range(WIN[0], WIN[1] + 1)
    assert list(table.columns) == [*CAR_COLUMNS, *(f"ar_{t}" for t in days),
                                   *(f"se_{t}" for t in days)]
    table = table.set_index(table["pair"].astype(str)).loc[pairs.index.astype(str)]
    np.testing.assert_allclose(table["ar_0"].to_numpy(float), local.ar[0].to_numpy(),
                               rtol=1e-12)
    np.testing.assert_allclose(table[f"se_{WIN[1]}"].to_numpy(float),
                               local.se[WIN[1]].to_numpy(), rtol=1e-12)
    studied = int(local.studied.sum())
    assert result.stderr.strip() == (f"wrote {out}/ (3 parts): {len(pairs)} pairs, {studied} "
                                     f"studied, {len(pairs) - studied} excluded")
    bad = invoke(str(folder / "pairs.csv"), "--returns", str(folder / "returns.parquet"),
                 "--fields", "all")
    assert bad.exit_code == 2 and "fields = 'all': give 'car'" in bad.stderr
