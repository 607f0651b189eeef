"""How result objects find their rendering without importing presentation.

A result object's ``summary()``, ``__rich__`` and ``__str__`` (from :class:`Rendered`) ask
:func:`renderable` and :func:`text` for its terminal rendering, its ``_repr_html_`` asks
:func:`html` (a compact HTML view for Jupyter) and its ``plot()`` asks :func:`plot` (a matplotlib
figure). :mod:`eventstudy.present` registers the renderers of the result types when it is
imported (the package root imports it: :mod:`~eventstudy.present.terminal` the terminal ones,
:mod:`~eventstudy.present.notebook` the HTML ones, :mod:`~eventstudy.present.plots` the figures),
so the results layer never imports the presentation layer (docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

_RENDERERS: dict[type, tuple[Callable[[Any], Any], Callable[[Any], str]]] = {}

#: The other renderings, by view: ``html`` (the compact HTML of ``_repr_html_``), ``summary``
#: (the terminal rendering as a mime bundle, for ``summary()`` in IPython) and ``plot`` (a
#: function returning a matplotlib Figure).
_VIEWS: dict[str, dict[type, Callable[..., Any]]] = {"html": {}, "summary": {}, "plot": {}}


def register(kind: type, rich: Callable[[Any], Any], text: Callable[[Any], str]) -> None:
    """Render instances of ``kind`` (and of its subclasses) with ``rich`` and ``text``."""
    _RENDERERS[kind] = (rich, text)


def register_view(view: str, kind: type, render: Callable[..., Any]) -> None:
    """Render instances of ``kind`` (and of its subclasses) in ``view`` with ``render``.

    ``view`` is one of ``"html"`` (``render(obj) -> str``), ``"summary"``
    (``render(obj, include) -> dict``: the mime types of ``include``, all when None, among
    ``text/plain`` and ``text/html``) and ``"plot"`` (``render(obj, **options) -> Figure``).
    """
    if view not in _VIEWS:
        raise ValueError(f"unknown view {view!r}: one of {', '.join(_VIEWS)}")
    _VIEWS[view][kind] = render


def _lookup(obj: object) -> tuple[Callable[[Any], Any], Callable[[Any], str]]:
    for kind in type(obj).__mro__:
        if kind in _RENDERERS:
            return _RENDERERS[kind]
    raise LookupError(f"no terminal rendering is registered for {type(obj).__name__}; "
                      "import eventstudy.present.terminal")


def _view(view: str, obj: object) -> Callable[..., Any]:
    table = _VIEWS[view]
    for kind in type(obj).__mro__:
        if kind in table:
            return table[kind]
    raise LookupError(f"no {view} rendering is registered for {type(obj).__name__}; "
                      "import eventstudy.present")


def renderable(obj: object) -> Any:
    """The rich renderable of ``obj`` (a table, panel or group)."""
    return _lookup(obj)[0](obj)


def text(obj: object) -> str:
    """The rendering of ``obj`` as plain text, without colour."""
    return _lookup(obj)[1](obj)


def html(obj: object) -> str:
    """The compact HTML view of ``obj`` (what a notebook shows for it)."""
    return _view("html", obj)(obj)


def summary(obj: object, include: Collection[str] | None = None) -> dict[str, str]:
    """The terminal rendering of ``obj`` by mime type (``text/plain``, ``text/html``; those of
    ``include`` when given): what IPython shows for ``summary()``."""
    return _view("summary", obj)(obj, include)


def plot(obj: object, **options: Any) -> Any:
    """The matplotlib Figure of ``obj``."""
    return _view("plot", obj)(obj, **options)


def repr_html(obj: object) -> str | None:
    """``_repr_html_`` of a result: its HTML view, None (no HTML) when none is registered."""
    try:
        return html(obj)
    except LookupError:
        return None


class Summary:
    """What ``summary()`` returns: the terminal rendering of a result, drawn by rich in a terminal
    (``__rich__``, so ``Console().print(result.summary())`` is unchanged), and shown by IPython as
    HTML in Jupyter and as plain text in its terminal (``_repr_mimebundle_``, ``_repr_pretty_``);
    ``str()`` is the plain text.
    """

    __slots__ = ("result",)

    def __init__(self, result: object) -> None:
        self.result = result

    def __rich__(self) -> Any:
        return renderable(self.result)

    def _repr_mimebundle_(self, include: Collection[str] | None = None,
                          exclude: Collection[str] | None = None) -> dict[str, str] | None:
        try:
            bundle = summary(self.result, include)
        except LookupError:
            return None
        return {k: v for k, v in bundle.items() if not exclude or k not in exclude}

    def _repr_html_(self) -> str | None:
        return (self._repr_mimebundle_(("text/html",)) or {}).get("text/html")

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        bundle = self._repr_mimebundle_(("text/plain",)) or {}
        printer.text(bundle.get("text/plain", repr(self)).rstrip("\n"))

    def __str__(self) -> str:
        return text(self.result)

    def __repr__(self) -> str:
        return f"<summary of {self.result!r}>"


class Rendered:
    """Mixin of the result objects: ``summary()`` (a :class:`Summary`), ``__rich__`` returning
    the rich renderable, so that ``Console().print(result)`` draws it, ``__str__`` as plain text
    and ``_repr_html_`` (the compact HTML view of a notebook)."""

    def summary(self) -> Summary:
        """The full rendering of the result: rich in a terminal, HTML in a notebook, text in
        ``str()`` (drawn by :mod:`eventstudy.present.terminal`)."""
        return Summary(self)

    def __rich__(self) -> Any:
        return renderable(self)

    def __str__(self) -> str:
        return text(self)

    def _repr_html_(self) -> str | None:
        return repr_html(self)
