"""Readers of one value of an events file each: a table, its keys, a window, a pair's settings,
a choice among names, a string, a list of strings. Each returns the value or raises one
:class:`~eventstudy.errors.EventsFileError` naming the file (``label``), the table and the key
(``where``). :func:`nearest` finds the name a mistyped one was meant to be.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from eventstudy._typing import MEASURES, MODEL_NAMES, RETURN_KINDS, Window
from eventstudy.errors import EventsFileError
from eventstudy.events.spec import SETTING_KEYS
from eventstudy.sessions import as_window


def table(value: Any, label: str, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise EventsFileError(f"{label}: {where} must be a table, not {type(value).__name__}")
    return value


def check_keys(table: Mapping[str, Any], allowed: Sequence[str], label: str, where: str) -> None:
    for key in table:
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"allowed: {', '.join(allowed)}"
            raise EventsFileError(f"{label}: unknown key '{key}' in {where}; {hint}")


_EXAMPLES = {"factors": '["^TOPX", "JPY=X"]', "donors": '["6501.T", "7011.T"]'}


def window(value: Any, label: str, where: str) -> Window:
    try:
        return as_window(value)
    except ValueError as exc:
        raise EventsFileError(f"{label}: {where} {exc}") from None


def settings(table: Mapping[str, Any], label: str, where: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in SETTING_KEYS:
        if key not in table:
            continue
        value = table[key]
        at = f"{where} {key}"
        if key in ("estimation", "window"):
            out[key] = window(value, label, at)
        elif key == "car":
            if not isinstance(value, list) or not value:
                raise EventsFileError(f"{label}: {at} must be a list of [start, end] windows")
            out[key] = tuple(window(v, label, at) for v in value)
        elif key == "model":
            out[key] = choice(value, MODEL_NAMES, label, at)
        elif key == "returns":
            out[key] = choice(value, RETURN_KINDS, label, at)
        elif key == "measure":
            out[key] = choice(value, MEASURES, label, at)
        elif key == "min_estimation":
            if not isinstance(value, int) or isinstance(value, bool) or value < 3:
                raise EventsFileError(f"{label}: {at} must be an integer >= 3, got {value!r}")
            out[key] = value
        elif key in ("factors", "donors"):
            if not isinstance(value, list) or not value or not all(
                isinstance(v, str) and v for v in value
            ) or len(set(value)) != len(value):
                raise EventsFileError(
                    f"{label}: {at} must be a non-empty list of distinct ticker strings, e.g. "
                    f"{key} = {_EXAMPLES[key]}; got {value!r}"
                )
            out[key] = tuple(value)
        elif key in ("lags", "leads"):
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 10:
                raise EventsFileError(
                    f"{label}: {at} must be an integer from 0 to 10, got {value!r}")
            out[key] = value
        elif key in ("exclude_event_windows", "exclude_confounders", "full_estimation"):
            if not isinstance(value, bool):
                raise EventsFileError(f"{label}: {at} must be true or false, got {value!r}")
            out[key] = value
    return out


def choice(value: Any, allowed: Sequence[str], label: str, where: str) -> str:
    if value not in allowed:
        raise EventsFileError(
            f"{label}: {where} = {value!r} is not one of: {', '.join(map(repr, allowed))}"
        )
    return str(value)


def string(table: Mapping[str, Any], key: str, label: str, where: str, default: str | None = None
            ) -> str:
    value = table.get(key, default)
    if value is None:
        raise EventsFileError(f"{label}: {where} needs '{key}'")
    if not isinstance(value, str):
        raise EventsFileError(f"{label}: {where} {key} must be a string, got {value!r}")
    return value


def strings(table: Mapping[str, Any], key: str, label: str, where: str, *,
            distinct: bool = False) -> tuple[str, ...]:
    """A list of strings; with ``distinct``, each at most once (a security or basket member
    listed twice would count twice)."""
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise EventsFileError(f"{label}: {where} {key} must be a list of strings, got {value!r}")
    if distinct and len(set(value)) != len(value):
        twice = next(v for i, v in enumerate(value) if v in value[:i])
        raise EventsFileError(f"{label}: {where} {key} lists '{twice}' twice; list each once")
    return tuple(value)


def nearest(name: str, names: Iterable[str]) -> str | None:
    """The name ``name`` was probably meant to be: one of ``names`` the same but for case, else
    a close one (difflib, cutoff 0.75); None when there is none."""
    names = list(names)
    folded = {n.casefold(): n for n in names}
    if name.casefold() in folded:
        return folded[name.casefold()]
    near = difflib.get_close_matches(name, names, n=1, cutoff=0.75)
    return near[0] if near else None

