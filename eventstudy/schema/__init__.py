"""JSON Schema of the result document (``eventstudy run EVENT --format json``).

The schema, ``result.schema.json`` beside this module, encodes the "JSON result" section of the
interface contract (draft 2020-12): required keys and their types, ISO dates, p-values in
[0, 1], two-item CAR windows, and the closed set of test keys. Any other property may be added.

``jsonschema`` is a test-only dependency; :func:`validate_result` imports it when called.
"""

from __future__ import annotations

import json
import math
from functools import cache
from importlib.resources import files
from typing import Any

__all__ = ["json_number", "result_schema", "validate_result"]

_SCHEMA_FILE = "result.schema.json"


def json_number(x: Any) -> float | None:
    """A number for the result document: None for NaN, infinity or missing."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


@cache
def _schema_text() -> str:
    return files(__name__).joinpath(_SCHEMA_FILE).read_text(encoding="utf-8")


def result_schema() -> dict[str, Any]:
    """Return the JSON Schema of the result document.

    Returns
    -------
    dict
        A fresh copy of the draft 2020-12 schema; mutating it does not affect later calls.
    """
    return json.loads(_schema_text())


@cache
def _validator() -> Any:
    import jsonschema

    base = jsonschema.Draft202012Validator

    def is_finite_number(checker: Any, instance: object) -> bool:
        # JSON has no NaN or Infinity: a Python float that is not finite is not a JSON number.
        if not base.TYPE_CHECKER.is_type(instance, "number"):
            return False
        return not isinstance(instance, float) or math.isfinite(instance)

    type_checker = base.TYPE_CHECKER.redefine("number", is_finite_number)
    validator_cls = jsonschema.validators.extend(base, type_checker=type_checker)
    return validator_cls(result_schema())


def validate_result(doc: dict[str, Any]) -> None:
    """Check a result document against the contract's schema.

    Parameters
    ----------
    doc : dict
        The document, as given by ``json.loads`` of the CLI's output or by ``to_dict()``.
        Non-finite floats (NaN, infinity) are rejected: the contract writes ``null`` instead.

    Raises
    ------
    jsonschema.ValidationError
        The document breaks the contract; the error names the path and the broken rule.
    ImportError
        ``jsonschema`` is not installed (``pip install jsonschema``, or the ``test`` extra).
    """
    try:
        import jsonschema  # noqa: F401  (test-only dependency, imported on use)
    except ImportError as exc:
        raise ImportError(
            "validate_result needs jsonschema, a test-only dependency: "
            "pip install jsonschema (or pip install 'eventstudy-sessions[test]')"
        ) from exc
    _validator().validate(doc)
