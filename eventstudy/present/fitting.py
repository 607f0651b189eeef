"""Tables that fit the terminal: a layout is chosen when the table is drawn, from the width the
console gives it, so that no number is ever cut.

- :class:`Fitted` tries layouts from the fullest to the most compact (columns dropped or merged
  in an order each table documents, dates shortened) and draws the first whose natural width
  fits; the last one is drawn if none does.
- :class:`Stacked` splits a table with one column per item (an event day, a CAR window) into
  as many tables, stacked, as the width needs, each repeating the row labels.

Cells are never shrunk below their natural width: rich's ellipsis never meets a number.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.table import Table


def natural_width(table: Any, console: Console, options: ConsoleOptions) -> int:
    """The width ``table`` takes without wrapping any cell."""
    return Measurement.get(console, options.update(width=10_000), table).maximum


class Fitted:
    """A renderable that draws the first of ``layouts`` (built on demand) that fits."""

    def __init__(self, layouts: Sequence[Callable[[], Any]]) -> None:
        self.layouts = layouts

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        chosen = None
        for build in self.layouts:
            chosen = build()
            if natural_width(chosen, console, options) <= options.max_width:
                break
        yield chosen

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        widths = [natural_width(build(), console, options) for build in self.layouts]
        return Measurement(min(widths), min(max(widths), options.max_width))


class Stacked:
    """``build(items)`` tables over consecutive chunks of ``items``, as many as fit the width
    (the largest chunk that fits; one item per table at worst)."""

    def __init__(self, build: Callable[[Sequence[Any], bool], Table], items: Sequence[Any]
                 ) -> None:
        self.build = build  # build(chunk, first): the table of those items
        self.items = list(items)

    def _chunks(self, size: int) -> Iterable[Sequence[Any]]:
        return (self.items[i:i + size] for i in range(0, len(self.items), size))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for size in range(len(self.items), 0, -1):
            tables = [self.build(chunk, i == 0) for i, chunk in enumerate(self._chunks(size))]
            if all(natural_width(t, console, options) <= options.max_width for t in tables):
                break
        yield from tables

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        whole = natural_width(self.build(self.items, True), console, options)
        one = max(natural_width(self.build(c, i == 0), console, options)
                  for i, c in enumerate(self._chunks(1)))
        return Measurement(one, min(whole, options.max_width))
