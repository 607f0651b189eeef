"""The package as a user gets it: an sdist and a wheel built by ``python -m build``, the wheel
installed in a fresh virtual environment, and the main job run from another folder (no source
tree, no events file beside it: the packaged calendar and the embedded prices)."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DISTRIBUTION = "eventstudy-sessions"  # the name on the package index; the import name: eventstudy


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-2000:])
    return done


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)], cwd=out)
    return out


def test_the_sdist_and_the_wheel_hold_the_data(dist: Path) -> None:
    (sdist,) = dist.glob("eventstudy_sessions-*.tar.gz")
    (wheel,) = dist.glob("eventstudy_sessions-*-py3-none-any.whl")
    with tarfile.open(sdist) as tar:
        names = tar.getnames()
    assert any(n.endswith("eventstudy/events.toml") for n in names)
    with zipfile.ZipFile(wheel) as whl:
        files = whl.namelist()
        metadata = next(f for f in files if f.endswith(".dist-info/METADATA"))
        text = whl.read(metadata).decode()
    assert f"Name: {DISTRIBUTION}\n" in text
    for needed in ("eventstudy/events.toml", "eventstudy/py.typed", "eventstudy/schema/",
                   "eventstudy/prices/data/LYC.AX.csv", "eventstudy/prices/data/^TOPX.csv"):
        assert any(f.startswith(needed) for f in files), needed
    assert not any(f.startswith(("tests/", "benchmarks/")) for f in files)


def test_the_wheel_runs_the_main_job_from_another_folder(dist: Path, tmp_path: Path) -> None:
    # The dependencies are this environment's (--system-site-packages, --no-deps): the test
    # checks the package itself, not the index.
    (wheel,) = dist.glob("*.whl")
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], cwd=tmp_path)
    python = venv / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "-q", "--no-deps", str(wheel)], cwd=tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = _run([str(python), "-c", "import eventstudy; print(eventstudy.__file__)"],
                 cwd=elsewhere).stdout.strip()
    assert where.startswith(str(venv)), where  # the wheel's copy, not the source tree
    done = _run([str(venv / "bin" / "eventstudy"), "run", "dual-use-ban", "-f", "json"],
                cwd=elsewhere)
    doc = json.loads(done.stdout)
    assert doc["event"]["id"] == "dual-use-ban" and len(doc["pairs"]) == 4
    assert not list(elsewhere.iterdir())  # nothing written where it ran
