"""How result objects find their terminal rendering without importing presentation.

A result object's ``summary()``, ``__rich__`` and ``__str__`` (from :class:`Rendered`) ask
:func:`renderable` and :func:`text` for its rendering; :mod:`eventstudy.present.terminal` registers
the renderers of the result types when it is imported (the package root imports it), so the results
layer never imports the presentation layer (docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_RENDERERS: dict[type, tuple[Callable[[Any], Any], Callable[[Any], str]]] = {}


def register(kind: type, rich: Callable[[Any], Any], text: Callable[[Any], str]) -> None:
    """Render instances of ``kind`` (and of its subclasses) with ``rich`` and ``text``."""
    _RENDERERS[kind] = (rich, text)


def _lookup(obj: object) -> tuple[Callable[[Any], Any], Callable[[Any], str]]:
    for kind in type(obj).__mro__:
        if kind in _RENDERERS:
            return _RENDERERS[kind]
    raise LookupError(f"no terminal rendering is registered for {type(obj).__name__}; "
                      "import eventstudy.present.terminal")


def renderable(obj: object) -> Any:
    """The rich renderable of ``obj`` (a table, panel or group)."""
    return _lookup(obj)[0](obj)


def text(obj: object) -> str:
    """The rendering of ``obj`` as plain text, without colour."""
    return _lookup(obj)[1](obj)


class Rendered:
    """Mixin of the result objects: ``summary()`` (a rich renderable), ``__rich__`` returning it,
    so that ``Console().print(result)`` draws it, and ``__str__`` as plain text."""

    def summary(self) -> Any:
        """A rich renderable of the result (drawn by :mod:`eventstudy.present.terminal`)."""
        return renderable(self)

    def __rich__(self) -> Any:
        return self.summary()

    def __str__(self) -> str:
        return text(self)
