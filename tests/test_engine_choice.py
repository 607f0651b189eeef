"""The batch engine's choice under tuning.ENGINE = "auto" (eventstudy.study.batch.choice).

The rule, with the process's load state and numba's cache monkeypatched: small calls on numpy,
the first mid-size call on numpy and the next compiled, a large first call compiled, every call
from COMPILED_MIN_PAIRS compiled once the kernels are loaded; the explicit settings obeyed;
numpy without numba. The detection of numba's cache on a folder of fake index files. One fresh
process checks that a mid-size first call leaves numba unimported and the second imports it.
No timings here: the costs behind the thresholds are measured in benchmarks/bench_batch.py.
"""

from __future__ import annotations

import hashlib
import importlib.util
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from eventstudy.study.batch import choice, tuning
from eventstudy.study.batch import engine as batch_engine

SMALL, MID, LARGE, HUGE = 9_999, 50_000, 200_000, 1_500_000


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> choice._Process:
    """A process that has run no batch, numba importable, its cache filled, default tuning."""
    state = choice._Process()
    monkeypatch.setattr(choice, "state", state)
    monkeypatch.setattr(choice, "_numba_importable", lambda: True)
    monkeypatch.setattr(choice, "kernels_cached", lambda: True)
    monkeypatch.setattr(tuning, "ENGINE", "auto")
    monkeypatch.setattr(tuning, "COMPILED_MIN_PAIRS", 10_000)
    monkeypatch.setattr(tuning, "FIRST_CALL_MIN_PAIRS", 200_000)
    monkeypatch.setattr(tuning, "FIRST_CALL_MIN_PAIRS_COMPILE", 1_500_000)
    return state


def engines(*sizes: int) -> list[str]:
    return [batch_engine.chosen_engine(n) for n in sizes]


def test_small_calls_run_on_numpy(fresh: choice._Process) -> None:
    assert engines(1, 1_000, SMALL, SMALL, 1) == ["numpy"] * 5
    assert not fresh.repeated and not fresh.loaded


def test_first_mid_size_call_numpy_then_compiled(fresh: choice._Process) -> None:
    """The first call the numpy engine does faster runs there; the process then counts as a
    repeated caller: its next call of COMPILED_MIN_PAIRS or more pays the load."""
    assert engines(MID) == ["numpy"]
    assert fresh.repeated
    assert engines(SMALL, 10_000, MID, SMALL) == ["numpy", "numba", "numba", "numpy"]


def test_a_sequence_of_calls_gets_the_same_engines(fresh: choice._Process) -> None:
    sizes = (SMALL, MID, 1_000, MID, LARGE)
    first = engines(*sizes)
    fresh.repeated = False
    assert engines(*sizes) == first == ["numpy", "numpy", "numpy", "numba", "numba"]


@pytest.mark.parametrize(("cached", "below", "from_"), [
    (True, LARGE - 1, LARGE), (None, LARGE - 1, LARGE), (False, HUGE - 1, HUGE)],
    ids=["cache-filled", "cache-unsure", "cache-empty"])
def test_large_first_call_compiled(fresh: choice._Process, monkeypatch: pytest.MonkeyPatch,
                                   cached: bool | None, below: int, from_: int) -> None:
    """FIRST_CALL_MIN_PAIRS with the kernels in numba's cache (or unsure), the larger
    FIRST_CALL_MIN_PAIRS_COMPILE when numba would compile them."""
    monkeypatch.setattr(choice, "kernels_cached", lambda: cached)
    assert engines(from_) == ["numba"]
    assert not fresh.repeated
    assert engines(below) == ["numpy"]
    assert fresh.repeated


def test_loaded_kernels_run_from_compiled_min_pairs(fresh: choice._Process) -> None:
    fresh.loaded = True
    assert engines(SMALL, 10_000, MID, HUGE) == ["numpy", "numba", "numba", "numba"]
    assert not fresh.repeated


def test_loaded_keyword(fresh: choice._Process) -> None:
    """True: a long-lived worker, compiled from COMPILED_MIN_PAIRS whatever this process ran;
    False: the rule of a process that has not loaded the kernels."""
    assert batch_engine.chosen_engine(10_000, loaded=True) == "numba"
    assert batch_engine.chosen_engine(SMALL, loaded=True) == "numpy"
    assert not fresh.repeated
    fresh.loaded = True
    assert batch_engine.chosen_engine(MID, loaded=False) == "numpy"
    assert batch_engine.chosen_engine(MID, loaded=False) == "numba"


@pytest.mark.parametrize("setting", ["numba", "numpy"])
def test_engine_settings_are_obeyed(fresh: choice._Process, monkeypatch: pytest.MonkeyPatch,
                                    setting: str) -> None:
    monkeypatch.setattr(tuning, "ENGINE", setting)
    assert engines(1, SMALL, MID, LARGE, HUGE) == [setting] * 5
    fresh.loaded = True
    assert engines(1, MID) == [setting] * 2
    assert not fresh.repeated


def test_numpy_without_numba(fresh: choice._Process, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(choice, "_numba_importable", lambda: False)
    assert engines(MID, MID, LARGE, HUGE) == ["numpy"] * 4
    fresh.loaded = True
    assert engines(MID) == ["numpy"]
    assert batch_engine.chosen_engine(MID, loaded=True) == "numpy"


def test_load_is_recorded(fresh: choice._Process) -> None:
    """engine._load_jit reports a successful import of the kernels (its body, run again: the
    cached function may have run before this test's state)."""
    if importlib.util.find_spec("numba") is None:
        pytest.skip("numba not installed")
    assert batch_engine._load_jit.__wrapped__() is not None
    assert fresh.loaded
    assert engines(10_000) == ["numba"]


# numba's cache, without numba: a fake source and index files in a temporary folder

SOURCE = "def combos():\n    pass\n"
VERSION = "0.68.1"
INDEX = f"_jit.combos-1.py{sys.version_info[0]}{sys.version_info[1]}{sys.abiflags}.nbi"


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``estimation/_jit.py`` under tmp_path, standing for the kernels' source."""
    source = tmp_path / "estimation" / "_jit.py"
    source.parent.mkdir()
    source.write_text(SOURCE)
    monkeypatch.setattr(choice, "_kernel_source", lambda: source)
    monkeypatch.setattr(choice, "_numba_version", lambda: VERSION)
    for name in ("NUMBA_CACHE_DIR", "NUMBA_CACHE_LOCATOR_CLASSES", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return source


def write_index(folder: Path, stamp: object, version: str = VERSION,
                name: str = INDEX) -> None:
    """An index as numba writes it: its version, then the source's stamp and the overloads."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / name, "wb") as f:
        pickle.dump(version, f, protocol=-1)
        f.write(pickle.dumps((stamp, {("sig", "magic"): name[:-4] + ".1.nbc"}), protocol=-1))


def digest(source: Path) -> bytes:
    return hashlib.sha256(source.read_bytes()).digest()


def test_kernels_cached_beside_the_source(tree: Path) -> None:
    """The ``__pycache__`` beside the source, when writable: numba's in-tree cache."""
    assert choice.kernels_cached() is False
    cache = tree.parent / "__pycache__"
    cache.mkdir()
    (cache / "_jit.cpython-311.pyc").write_bytes(b"")
    write_index(cache, digest(tree), name=INDEX.replace("combos", "group"))
    assert choice.kernels_cached() is False  # another kernel's index only
    write_index(cache, digest(tree))
    assert choice.kernels_cached() is True


def test_kernels_cached_in_numba_cache_dir(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """NUMBA_CACHE_DIR comes first: a subfolder named after the source's folder and its hash."""
    write_index(tree.parent / "__pycache__", digest(tree))
    cache_dir = tree.parent.parent / "numba-cache"
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(cache_dir))
    assert choice.kernels_cached() is False
    sub = f"estimation_{hashlib.sha1(str(tree.parent).encode()).hexdigest()}"
    write_index(cache_dir / sub, digest(tree))
    assert choice.kernels_cached() is True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the XDG cache folder")
def test_kernels_cached_user_wide(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A source folder numba cannot write to: the user's cache folder."""
    monkeypatch.setattr(choice.os, "access", lambda *a, **k: False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tree.parent.parent / "xdg"))
    sub = f"estimation_{hashlib.sha1(str(tree.parent).encode()).hexdigest()}"
    assert choice._cache_folder(tree) == tree.parent.parent / "xdg" / "numba" / sub
    assert choice.kernels_cached() is False
    write_index(tree.parent.parent / "xdg" / "numba" / sub, digest(tree))
    assert choice.kernels_cached() is True


def test_stale_index_is_not_a_cache(tree: Path) -> None:
    """numba ignores an index of another numba version or of another source."""
    cache = tree.parent / "__pycache__"
    write_index(cache, digest(tree), version="0.1.0")
    assert choice.kernels_cached() is False
    write_index(cache, hashlib.sha256(b"older source").digest())
    assert choice.kernels_cached() is False
    status = tree.stat()  # numba before 0.68 stamped with mtime and size
    write_index(cache, (status.st_mtime, status.st_size))
    assert choice.kernels_cached() is True
    write_index(cache, (status.st_mtime - 10.0, status.st_size))
    assert choice.kernels_cached() is False


def test_unsure_cache_counts_as_filled(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tree.parent / "__pycache__"
    cache.mkdir()
    (cache / INDEX).write_bytes(b"not a pickle")
    assert choice.kernels_cached() is None
    (cache / INDEX).unlink()
    monkeypatch.setenv("NUMBA_CACHE_LOCATOR_CLASSES", "UserWideCacheLocator")
    assert choice.kernels_cached() is None
    monkeypatch.setattr(choice, "kernels_cached", lambda: None)
    assert choice.first_call_min_pairs() == tuning.FIRST_CALL_MIN_PAIRS


def test_the_real_source_is_located() -> None:
    source = choice._kernel_source()
    assert source is not None and source.name == "_jit.py" and source.is_absolute()
    assert choice.kernels_cached() in (True, False, None)
    assert "numba" not in sys.modules or batch_engine._load_jit() is not None


FRESH_PROCESS = textwrap.dedent("""
    import sys
    import numpy as np
    import pandas as pd
    import eventstudy
    from eventstudy.study.batch import tuning

    tuning.COMPILED_MIN_PAIRS = 10  # 30 pairs: a mid-size call
    rng = np.random.default_rng(0)
    index = pd.bdate_range("2015-01-01", periods=300)
    returns = pd.DataFrame(rng.normal(0.0, 0.01, (300, 4)), index=index,
                           columns=["A", "B", "C", "M"])
    pairs = pd.DataFrame({"security": ["A", "B", "C"] * 10, "benchmark": "M",
                          "day0": index[rng.integers(150, 290, 30)]})
    first = eventstudy.batch(returns, pairs, estimation=(-120, -11), window=(-4, 6),
                             sessions="index")
    print("numba" in sys.modules)
    second = eventstudy.batch(returns, pairs, estimation=(-120, -11), window=(-4, 6),
                              sessions="index")
    print("numba" in sys.modules)
    assert first.excluded.isna().all()
    print(float(np.max(np.abs(first.car - second.car))) < 1e-12)
""")


def test_mid_size_first_call_does_not_import_numba() -> None:
    """In a fresh process: the first mid-size call runs without numba, the second loads it
    (and both give the same numbers to rounding)."""
    if importlib.util.find_spec("numba") is None:
        pytest.skip("numba not installed")
    done = subprocess.run([sys.executable, "-c", FRESH_PROCESS], capture_output=True,
                          text=True, check=True)
    assert done.stdout.split() == ["False", "True", "True"]
