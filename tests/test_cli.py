"""The command line: output formats per contract.md, and bad input -> one line, exit 2."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from eventstudy.cli import app
from eventstudy.prices.embedded import _data_dir
from eventstudy.sessions import sessions_in_range

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args))


def test_list() -> None:
    result = invoke("list", "--events", str(ROOT / "events.toml"))
    assert result.exit_code == 0
    for event_id in ("dual-use-ban", "entity-lists", "takaichi-remark"):
        assert event_id in result.stdout


def test_run_table() -> None:
    result = invoke("run", "dual-use-ban")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    for text in ("Lynas Rare Earths", "Toyo Engineering", "PROXY", "Nikkei 225",
                 "after the Tokyo close (15:30): day 0 = 2026-01-07",
                 "after the Sydney close", "market model on ^GSPC", "*** p < 0.01",
                 "Aggregate over 4 pairs", "dichlorosilane"):
        assert text in out, text
    assert result.stderr == ""


def test_run_json_is_one_document_per_contract() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    from eventstudy.schema import result_schema

    result = invoke("run", "dual-use-ban", "--format", "json")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)  # nothing else on stdout
    jsonschema.validate(doc, result_schema())
    assert [p["security"] for p in doc["pairs"]] == ["LYC", "TOYO", "TE", "N225"]
    assert all(p["day0"] == "2026-01-07" for p in doc["pairs"])
    n225 = doc["pairs"][3]
    assert n225["model"] == "market" and n225["benchmark"] == "^GSPC"
    # Tokyo's 2026-01-07 reads New York's 2026-01-06 close (the last before Tokyo opened)
    gspc = pd.read_csv(_data_dir() / "^GSPC.csv", index_col="date")["close"]
    day0 = next(d for d in n225["days"] if d["t"] == 0)
    assert day0["benchmark_return"] == pytest.approx(
        np.log(gspc["2026-01-06"] / gspc["2026-01-05"]), rel=1e-12)
    assert [c["window"] for c in doc["pairs"][0]["car"]] == [[0, 0], [0, 1], [-1, 1], [0, 5]]
    assert "NaN" not in result.stdout


def test_run_csv_per_day_rows() -> None:
    result = invoke("run", "dual-use-ban", "--format", "csv")
    assert result.exit_code == 0
    frame = pd.read_csv(io.StringIO(result.stdout))
    assert len(frame) == 4 * 11  # four pairs, window [-5, 5]
    assert {"t", "date", "ar", "se", "t_stat", "p", "car"} <= set(frame.columns)


def test_unknown_timing_makes_car01_prominent() -> None:
    result = invoke("run", "takaichi-remark")
    assert result.exit_code == 0
    assert "Headline window: CAR(+0,+1)" in result.stdout


def assert_clean_failure(result, *needles: str) -> None:
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr  # one line
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.stderr
    assert result.stdout == ""  # nothing that parses as a result
    for needle in needles:
        assert needle in lines[0]


def copy_prices(tmp_path: Path, drop: tuple[str, ...] = ()) -> Path:
    folder = tmp_path / "prices"
    folder.mkdir()
    for entry in _data_dir().iterdir():
        if entry.name.endswith(".csv") and entry.name[:-4] not in drop:
            (folder / entry.name).write_bytes(entry.read_bytes())
    return folder


def test_unknown_event() -> None:
    assert_clean_failure(invoke("run", "dual-use"), "unknown event 'dual-use'",
                         "did you mean 'dual-use-ban'")


def test_malformed_toml(tmp_path) -> None:
    bad = tmp_path / "events.toml"
    bad.write_text('[[events]]\nid = "x\n')
    assert_clean_failure(invoke("run", "x", "--events", str(bad)), str(bad), "invalid TOML")
    assert_clean_failure(invoke("list", "--events", str(bad)), "invalid TOML")


def test_missing_price_file(tmp_path) -> None:
    folder = copy_prices(tmp_path, drop=("6330.T",))
    assert_clean_failure(invoke("run", "dual-use-ban", "--prices", str(folder)),
                         "no prices for 6330.T", str(folder))


def test_missing_benchmark_file(tmp_path) -> None:
    folder = copy_prices(tmp_path, drop=("^AXJO",))
    assert_clean_failure(invoke("run", "dual-use-ban", "--prices", str(folder)),
                         "benchmark ^AXJO of LYC")


def test_corrupt_price_file(tmp_path) -> None:
    folder = copy_prices(tmp_path)
    path = folder / "LYC.AX.csv"
    lines = path.read_text().splitlines()
    lines[5] = lines[5].replace(lines[5].split(",")[4], "abc")
    path.write_text("\n".join(lines) + "\n")
    assert_clean_failure(invoke("run", "dual-use-ban", "--prices", str(folder)),
                         "LYC.AX.csv", "line 6")


def test_too_short_history(tmp_path) -> None:
    # Prices from 2025-12-01 only: no pair has 60 estimation returns before 2026-01-07.
    folder = copy_prices(tmp_path)
    for path in folder.glob("*.csv"):
        frame = pd.read_csv(path, dtype=str)
        frame[frame["date"] >= "2025-12-01"].to_csv(path, index=False)
    result = invoke("run", "dual-use-ban", "--prices", str(folder))
    assert_clean_failure(result, "no pair of event 'dual-use-ban' can be studied",
                         "before the first price")


def test_some_pairs_excluded_with_reason(tmp_path) -> None:
    # Lynas history cut short: LYC is excluded with its reason, the others run.
    folder = copy_prices(tmp_path)
    path = folder / "LYC.AX.csv"
    frame = pd.read_csv(path, dtype=str)
    frame[frame["date"] >= "2025-11-01"].to_csv(path, index=False)
    result = invoke("run", "dual-use-ban", "--prices", str(folder), "--format", "json")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert [p["security"] for p in doc["pairs"]] == ["TOYO", "TE", "N225"]
    (excluded,) = doc["excluded"]
    assert excluded["security"] == "LYC"
    # too few of the window's returns exist (issue 13: a late first price alone is a note)
    reason = excluded["reason"]
    assert "(LYC.AX 2025-11-03)" in reason and "(min_estimation = 60)" in reason
    m = re.search(r"only (\d+) usable estimation returns in (\S+)\.\.(\S+): (\d+) before the "
                  r"first price .*, (\d+) in other events' windows left out", reason)
    assert m is not None, reason
    n_obs, start, end, before, hygiene = m.groups()
    window = sessions_in_range("XASX", start, end)
    assert len(window) == 240  # [-250, -11]
    assert int(before) == int((window <= pd.Timestamp("2025-11-03")).sum())  # no return yet
    assert int(n_obs) + int(before) + int(hygiene) == len(window)


def test_runs_from_any_directory(tmp_path, monkeypatch) -> None:
    # Outside the repository the packaged events.toml and the embedded prices are used.
    monkeypatch.chdir(tmp_path)
    result = invoke("run", "entity-lists", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["event"]["id"] == "entity-lists"


@pytest.mark.parametrize("event_id", [
    "seven-rare-earths", "controls-expansion", "busan-truce", "takaichi-remark",
    "travel-advisory", "seafood-suspension", "rare-earth-choke-off", "chikyu-mud",
    "entity-lists",
])
def test_every_event_runs(event_id) -> None:
    result = invoke("run", event_id, "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert len(doc["pairs"]) + len(doc["excluded"]) == 4


def test_python_dash_m(tmp_path) -> None:
    import subprocess
    import sys

    events = tmp_path / "events.toml"
    shutil.copy(ROOT / "events.toml", events)
    proc = subprocess.run([sys.executable, "-m", "eventstudy", "run", "nope", "--events",
                           str(events)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "unknown event 'nope'" in proc.stderr


def run_added_event(tmp_path: Path, event_toml: str, event_id: str) -> dict:
    """Run an event appended to the shipped events file; the JSON document."""
    events = tmp_path / "events.toml"
    events.write_text((ROOT / "events.toml").read_text() + "\n[[events]]\n" + event_toml)
    result = invoke("run", event_id, "--events", str(events), "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_event_inside_a_price_gap_is_excluded(tmp_path) -> None:
    # The embedded ASX files have no data 2026-03-11..2026-03-27: a Lynas event on 2026-03-18
    # with a [-2, 2] window has no return at all and is excluded; Toyo (Tokyo) is studied.
    doc = run_added_event(
        tmp_path, 'id = "asx-gap"\nannounced = 2026-03-18\ntiming = "intraday"\n'
        'securities = ["LYC", "TOYO"]\nwindow = [-2, 2]\ncar = [[0, 1]]\n', "asx-gap")
    assert [p["security"] for p in doc["pairs"]] == ["TOYO"]
    assert "no returns in the event window 2026-03-16..2026-03-20" in doc["excluded"][0]["reason"]


def test_day0_without_a_price_is_noted(tmp_path) -> None:
    # Lynas was halted on 2025-08-28: no return on day 0, the day +1 return spans two sessions.
    doc = run_added_event(
        tmp_path, 'id = "halt"\nannounced = 2025-08-28\ntiming = "before-open"\n'
        'securities = ["LYC"]\n', "halt")
    (pair,) = doc["pairs"]
    days = {d["t"]: d for d in pair["days"]}
    assert days[0]["ar"] is None and days[0]["span"] == 0
    assert days[1]["span"] == 2 and days[1]["ar"] is not None
    assert pair["notes"][0].startswith("no return on day 0 (2025-08-28)")


@pytest.mark.parametrize(("argv", "fragment"), [
    (["run", "dual-use-ban", "--format", "xml"], "unknown format 'xml'; use table, json or csv"),
    (["run", "dual-use-ban", "--bogus"], "No such option: --bogus"),
    (["list", "--events"], "requires an argument"),
])
def test_usage_errors_are_one_line(capsys, argv, fragment) -> None:
    from eventstudy.cli import main

    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith("error: ")
    assert fragment in err and "--help" in err


def test_entry_point_runs_and_returns_zero(capsys) -> None:
    from eventstudy.cli import main

    assert main(["run", "dual-use-ban", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["event"]["id"] == "dual-use-ban"


# --- the guard: an unexpected exception is one line and exit 3 (issue 27) ---------------------


def _broken(*args, **kwargs):
    raise KeyError("boom")


@pytest.mark.parametrize("how", ["plain", "flag", "flag-first", "variable"])
def test_an_internal_error_is_one_line_and_exit_3(how, monkeypatch) -> None:
    import eventstudy.study.pooled as pooled

    monkeypatch.setattr(pooled, "run_event", _broken)
    monkeypatch.delenv("EVENTSTUDY_DEBUG", raising=False)
    args = ["run", "dual-use-ban", "-f", "json"]
    if how == "flag":
        args.append("--debug")
    elif how == "flag-first":
        args.insert(0, "--debug")
    elif how == "variable":
        monkeypatch.setenv("EVENTSTUDY_DEBUG", "1")
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 3 and result.stdout == ""
    last = result.stderr.splitlines()[-1]
    assert last.startswith("internal error: KeyError: 'boom'; ")
    if how == "plain":
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
        assert last.endswith("rerun with --debug for the traceback")
    else:  # the traceback first, naming where the exception came from
        assert result.stderr.startswith("Traceback (most recent call last):")
        assert "in _broken" in result.stderr and "please report it" in last


def test_the_entry_point_returns_3_on_an_internal_error(capsys, monkeypatch) -> None:
    import eventstudy.study.pooled as pooled
    from eventstudy.cli import main

    monkeypatch.setattr(pooled, "run_event", _broken)
    monkeypatch.setenv("EVENTSTUDY_DEBUG", "0")  # "0" does not ask for the traceback
    assert main(["run", "dual-use-ban"]) == 3
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith("internal error: ")


def test_debug_after_a_double_dash_is_an_argument(monkeypatch) -> None:
    from eventstudy.cli.guard import without_debug

    monkeypatch.delenv("EVENTSTUDY_DEBUG", raising=False)
    assert without_debug(["run", "--debug", "x", "--", "--debug"]) == (
        ["run", "x", "--", "--debug"], True)
    assert without_debug(["run", "x"]) == (["run", "x"], False)


# --- the command line's manners (issue 23) -----------------------------------------------------


def test_version_and_short_help() -> None:
    import eventstudy

    out = CliRunner().invoke(app, ["--version"])
    assert (out.exit_code, out.stdout) == (0, f"eventstudy {eventstudy.__version__}\n")
    for args in (["-h"], ["run", "-h"], ["data", "show", "-h"]):
        shown = CliRunner().invoke(app, args)
        assert shown.exit_code == 0 and "Usage: " in shown.stdout, args


@pytest.mark.parametrize("args", [["data", "show", "^N225"], ["run", "--tag", "escalation",
                                                               "-f", "csv"]])
def test_a_closed_pipe_ends_quietly_with_status_0(args) -> None:
    # `eventstudy ... | head -1`: the reader takes a few bytes and closes the pipe.
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-m", "eventstudy", *args],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdout is not None and child.stderr is not None
    child.stdout.read(20)
    child.stdout.close()
    err = child.stderr.read().decode()
    assert child.wait(timeout=120) == 0 and err == "", err
