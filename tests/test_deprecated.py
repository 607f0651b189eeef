"""The module paths of the old flat layout still work, warn, and reach the same objects."""

from __future__ import annotations

import importlib
import sys
import tomllib
import warnings
from pathlib import Path

import pytest

import eventstudy
from eventstudy.estimation import models
from eventstudy.inference import aggregate, significance
from eventstudy.study import arrays, pooled, results
from eventstudy.study.batch import engine, result, tuning

# old path -> (a name it held, the object the new layout holds under that name)
OLD_NAMES = {
    "eventstudy.batching": [("batch", engine.batch), ("BatchResult", result.BatchResult),
                            ("THREAD_MIN_PAIRS", tuning.THREAD_MIN_PAIRS)],
    "eventstudy.significance": [("csect_t", significance.csect_t),
                                ("TestResult", significance.TestResult)],
    "eventstudy.results": [("EventStudyResult", results.EventStudyResult)],
    "eventstudy.pooled": [("run_many", pooled.run_many)],
    "eventstudy.models": [("get_model", models.get_model), ("ModelFit", models.ModelFit)],
    "eventstudy.aggregate": [("aggregate", aggregate.aggregate),
                             ("pair_arrays", arrays.pair_arrays)],
}


def fresh_import(name: str) -> object:
    """Import ``name`` as a first import would, then put back what was there."""
    saved = sys.modules.pop(name, None)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            exec(compile(f"import {name}", "user_code.py", "exec"), {})
        return sys.modules[name], caught
    finally:
        if saved is not None:
            sys.modules[name] = saved


@pytest.mark.parametrize("name", sorted(OLD_NAMES))
def test_old_path_warns_and_reaches_the_new_objects(name: str) -> None:
    module, caught = fresh_import(name)
    deprecations = [w for w in caught if issubclass(w.category, DeprecationWarning)]
    assert len(deprecations) == 1
    assert name in str(deprecations[0].message)
    assert deprecations[0].filename == "user_code.py"  # the warning points at the import
    for attr, obj in OLD_NAMES[name]:
        assert getattr(module, attr) is obj or getattr(module, attr) == obj


def test_every_moved_module_is_an_alias() -> None:
    for name in eventstudy._MOVED:
        module, caught = fresh_import(f"eventstudy.{name}")
        assert any(issubclass(w.category, DeprecationWarning) for w in caught), name
        assert dir(module), name


def test_old_engine_setting_still_takes_effect(monkeypatch: pytest.MonkeyPatch) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        batching = importlib.import_module("eventstudy.batching")
    monkeypatch.setattr(tuning, "ENGINE", tuning.ENGINE)  # restored after the test
    batching.ENGINE = "numpy"
    assert tuning.ENGINE == "numpy"


def test_the_package_root_reaches_the_old_modules_and_its_version() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assert eventstudy.models.get_model is models.get_model
    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    assert eventstudy.__version__ == tomllib.loads(pyproject.read_text())["project"]["version"]


def test_unknown_names_are_attribute_errors() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        batching = importlib.import_module("eventstudy.batching")
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = batching.nope
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = eventstudy.nope
