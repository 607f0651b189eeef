"""Fields computed when first read: a frozen result object may hold a :class:`Deferred` in a
field, and :class:`Resolving` replaces it by its value the first time the field is read.

The stacked engine defers each pair's day-by-day, CAR and residual frames (a backtest that reads
only the pooled tests never builds them), a pooled study its per-event aggregates, an aggregate
its bootstrap interval.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


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
