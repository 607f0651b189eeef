"""The JSON result schema encodes the contract: its example passes, what it forbids fails."""

from __future__ import annotations

import copy
import math
import sys
from collections.abc import Callable
from typing import Any

import pytest

jsonschema = pytest.importorskip("jsonschema")

from eventstudy.schema import result_schema, validate_result  # noqa: E402

Doc = dict[str, Any]

# The example document of docs/contract.md, section "JSON result", copied verbatim.
# fmt: off
CONTRACT_EXAMPLE: Doc = {
    "event": {"id": "dual-use-ban", "title": "...", "announced": "2026-01-06T18:00:00+08:00"},
    "pairs": [
        {
            "security": "LYC", "ticker": "LYC.AX", "benchmark": "^AXJO", "exchange": "XASX",
            "model": "market", "day0": "2026-01-07",
            "estimation": {"start": "2025-01-02", "end": "2025-12-19", "n_obs": 240,
                           "alpha": 0.0012, "beta": 1.3, "sigma": 0.031, "r2": 0.21},
            "days": [
                {"t": 0, "date": "2026-01-07", "return": 0.148, "benchmark_return": -0.002,
                 "expected": 0.001, "ar": 0.147, "se": 0.031, "t_stat": 4.7, "p": 0.00001,
                 "car": 0.16}
            ],
            "car": [
                {"window": [0, 1], "car": 0.19, "se": 0.044, "t_stat": 4.3, "p": 0.00003}
            ],
        }
    ],
    "excluded": [{"security": "TE", "reason": "no prices after 2026-01-02"}],
    "aggregate": {
        "n": 4, "r_bar": 0.12,
        "days": [{"t": 0, "n": 4, "aar": 0.05,
                  "tests": {"csect_t": {"stat": 1.2, "p": 0.3}}}],
        "car": [{"window": [0, 1], "n": 4, "caar": 0.06,
                 "tests": {"csect_t": {"stat": 1.1, "p": 0.35}}}],
    },
}

TEST_KEYS = (
    "csect_t", "patell_z", "adj_patell_z", "bmp_t", "kp_bmp_t", "cda_t", "skew_t",
    "sign_z", "gsign_z", "rank_z", "grank_t", "wilcoxon_z",
)
# fmt: on


@pytest.fixture
def doc() -> Doc:
    return copy.deepcopy(CONTRACT_EXAMPLE)


@pytest.fixture
def validator() -> Any:
    return jsonschema.Draft202012Validator(result_schema())


def _pair(d: Doc) -> Doc:
    return d["pairs"][0]


def _day(d: Doc) -> Doc:
    return d["pairs"][0]["days"][0]


# --- the schema and the contract's example -------------------------------------------------


def test_schema_is_valid_draft_2020_12() -> None:
    schema = result_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_result_schema_returns_a_fresh_copy() -> None:
    result_schema()["required"].append("mutated")
    assert "mutated" not in result_schema()["required"]


def test_contract_example_validates(doc: Doc, validator: Any) -> None:
    validator.validate(doc)
    validate_result(doc)


# --- documents the contract allows ----------------------------------------------------------


def _nulls_everywhere(d: Doc) -> None:
    day = _day(d)
    for key in ("return", "benchmark_return", "expected", "ar", "se", "t_stat", "p", "car"):
        day[key] = None
    for key in ("alpha", "beta", "r2"):
        _pair(d)["estimation"][key] = None
    _pair(d)["car"][0].update(car=None, se=None, t_stat=None, p=None)
    d["aggregate"]["r_bar"] = None
    d["aggregate"]["days"][0]["aar"] = None
    d["aggregate"]["days"][0]["tests"]["csect_t"] = {"stat": None, "p": None}


def _all_test_keys(d: Doc) -> None:
    keys = (*TEST_KEYS, "j1", "j2", "portfolio_t")
    for row in (*d["aggregate"]["days"], *d["aggregate"]["car"]):
        row["tests"] = {key: {"stat": 0.5, "p": 0.6} for key in keys}


def _extra_fields(d: Doc) -> None:
    d["conventions"] = {"r_bar": "pairwise complete"}
    d["event"]["timing"] = "after-close"
    _pair(d)["name"] = "Lynas Rare Earths"
    _pair(d)["estimation"]["df"] = 238
    _day(d)["bhar"] = 0.15
    _pair(d)["car"][0]["bhar"] = 0.2
    d["excluded"][0]["ticker"] = "TE.T"
    d["aggregate"]["days"][0]["tests"]["csect_t"].update(dist="t(3)", reason=None)


ALLOWED: dict[str, Callable[[Doc], object]] = {
    "constant-mean-benchmark-null": lambda d: _pair(d).update(
        model="constant-mean", benchmark=None
    ),
    "aggregate-null": lambda d: d.update(aggregate=None),
    "no-pairs": lambda d: d.update(pairs=[], aggregate=None),
    "announced-plain-date": lambda d: d["event"].update(announced="2026-01-06"),
    "announced-utc-z": lambda d: d["event"].update(announced="2026-01-06T10:00:00Z"),
    "nulls-everywhere": _nulls_everywhere,
    "all-test-keys-and-j1-j2-portfolio": _all_test_keys,
    "empty-tests": lambda d: d["aggregate"]["days"][0].update(tests={}),
    "extra-fields": _extra_fields,
    "integer-valued-numbers": lambda d: _day(d).update(**{"return": 0, "p": 1}),
    "negative-window": lambda d: _pair(d)["car"][0].update(window=[-1, 1]),
}


@pytest.mark.parametrize("mutate", list(ALLOWED.values()), ids=list(ALLOWED))
def test_allowed_variants_validate(
    doc: Doc, validator: Any, mutate: Callable[[Doc], object]
) -> None:
    mutate(doc)
    validator.validate(doc)
    validate_result(doc)


# --- documents the contract forbids ---------------------------------------------------------


def _drop(d: Doc, key: str) -> None:
    del d[key]


FORBIDDEN: dict[str, Callable[[Doc], object]] = {
    "number-as-string": lambda d: _day(d).update(**{"return": "0.148"}),
    "nan-as-string": lambda d: _day(d).update(ar="NaN"),
    "missing-pairs": lambda d: _drop(d, "pairs"),
    "car-window-3-items": lambda d: _pair(d)["car"][0].update(window=[0, 1, 2]),
    "p-above-1": lambda d: _day(d).update(p=1.5),
    "unknown-test-key": lambda d: d["aggregate"]["days"][0]["tests"].update(
        foo_z={"stat": 1.0, "p": 0.3}
    ),
    "day0-slashes": lambda d: _pair(d).update(day0="2026/01/07"),
    "n-obs-zero": lambda d: _pair(d)["estimation"].update(n_obs=0),
    # beyond the brief, still the contract's words
    "missing-aggregate": lambda d: _drop(d, "aggregate"),
    "missing-excluded": lambda d: _drop(d, "excluded"),
    "event-id-uppercase": lambda d: d["event"].update(id="Dual_Use_Ban"),
    "announced-without-offset": lambda d: d["event"].update(announced="2026-01-06T18:00:00"),
    "benchmark-missing": lambda d: _pair(d).pop("benchmark"),
    "car-window-1-item": lambda d: _pair(d)["car"][0].update(window=[0]),
    "car-window-floats": lambda d: _pair(d)["car"][0].update(window=[0.5, 1]),
    "p-negative": lambda d: _pair(d)["car"][0].update(p=-0.1),
    "test-p-above-1": lambda d: d["aggregate"]["car"][0]["tests"]["csect_t"].update(p=2),
    "test-stat-as-string": lambda d: d["aggregate"]["days"][0]["tests"]["csect_t"].update(
        stat="1.2"
    ),
    "test-missing-p": lambda d: d["aggregate"]["days"][0]["tests"]["csect_t"].pop("p"),
    "t-not-integer": lambda d: _day(d).update(t=0.5),
    "day-date-not-iso": lambda d: _day(d).update(date="07.01.2026"),
    "estimation-start-not-date": lambda d: _pair(d)["estimation"].update(start="2025-01-02T00"),
    "sigma-negative": lambda d: _pair(d)["estimation"].update(sigma=-0.01),
    "sigma-null": lambda d: _pair(d)["estimation"].update(sigma=None),
    "boolean-as-number": lambda d: _day(d).update(t_stat=True),
    "excluded-without-reason": lambda d: d["excluded"][0].pop("reason"),
    "aggregate-n-float": lambda d: d["aggregate"].update(n=4.5),
    "aggregate-not-object": lambda d: d.update(aggregate=[]),
}


@pytest.mark.parametrize("mutate", list(FORBIDDEN.values()), ids=list(FORBIDDEN))
def test_forbidden_variants_are_rejected(
    doc: Doc, validator: Any, mutate: Callable[[Doc], object]
) -> None:
    mutate(doc)
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(doc)
    with pytest.raises(jsonschema.ValidationError):
        validate_result(doc)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf], ids=["nan", "inf", "-inf"])
def test_validate_result_rejects_non_finite_floats(doc: Doc, value: float) -> None:
    # A Python dict can hold NaN where the JSON text would need "null"; JSON has no NaN.
    _day(doc)["ar"] = value
    with pytest.raises(jsonschema.ValidationError, match="number"):
        validate_result(doc)


def test_validate_result_without_jsonschema(doc: Doc, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "jsonschema", None)
    with pytest.raises(ImportError, match="pip install jsonschema"):
        validate_result(doc)
