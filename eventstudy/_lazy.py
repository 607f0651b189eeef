"""Fields computed when first read: a frozen result object may hold a :class:`Deferred` in a
field, and :class:`Resolving` replaces it by its value the first time the field is read.

The stacked engine defers each pair's day-by-day, CAR and residual frames (a backtest that reads
only the pooled tests never builds them), a pooled study its per-event aggregates, an aggregate
its bootstrap interval.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class Deferred:
    """A field's value, computed by ``make()`` when the field is first read."""

    __slots__ = ("make",)

    def __init__(self, make: Callable[[], Any]) -> None:
        self.make = make


class Resolving:
    """Base of objects whose fields may be :class:`Deferred`."""

    def __getattribute__(self, name: str) -> Any:
        value = object.__getattribute__(self, name)
        if type(value) is Deferred:
            value = value.make()
            object.__setattr__(self, name, value)
        return value


def stored(obj: Any, name: str) -> Any:
    """A field as stored: a :class:`Deferred` is returned, not computed."""
    return object.__getattribute__(obj, name)


def replace(obj: T, **changes: Any) -> T:
    """:func:`dataclasses.replace` that leaves deferred fields deferred (``replace`` reads every
    field it keeps, which would compute them)."""
    values = {f.name: stored(obj, f.name) for f in dataclasses.fields(obj)  # type: ignore[arg-type]
              if f.init}
    return type(obj)(**{**values, **changes})
