"""What the commands share: the events option, the output format, the stdout console, the
one-line error exit (status 2) and the price warnings printed as one line each."""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import warnings
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console

from eventstudy.errors import ExcludedPairsWarning

P = ParamSpec("P")
R = TypeVar("R")

EventsOption = Annotated[
    Path | None,
    typer.Option("--events", help="Events file (default ./events.toml, else the packaged one)."),
]

PricesOption = Annotated[
    Path | None,
    typer.Option("--prices", help="Folder of <TICKER>.csv price files (default: embedded)."),
]


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def fail(problem: str | BaseException) -> typer.Exit:
    """Print ``problem`` as one ``error:`` line on stderr; the exit (status 2) to raise."""
    print("error: " + " ".join(str(problem).split()), file=sys.stderr)
    return typer.Exit(code=2)


class _Console(Console):
    """rich's console, but a reader that closed the pipe (``| head``) is left to the command's
    guard (:meth:`eventstudy.cli.guard.GuardedGroup.invoke`: quiet, status 0), as a closed pipe
    under any other write is; rich's own handler would exit with status 1."""

    def on_broken_pipe(self) -> None:
        self.quiet = True  # nothing more to draw
        raise BrokenPipeError


def console() -> Console:
    """stdout console: a terminal's width; piped or redirected output the width of $COLUMNS
    when set (as a terminal would give it), else 120 columns."""
    out = _Console()
    if out.is_terminal:
        return out
    columns = os.environ.get("COLUMNS", "").strip()
    return _Console(width=int(columns) if columns.isdigit() and int(columns) > 0 else 120)


@contextlib.contextmanager
def price_warnings() -> Iterator[None]:
    """Print the library's price warnings as one ``warning:`` line each on stderr.

    The count of excluded pairs (:class:`~eventstudy.errors.ExcludedPairsWarning`) is dropped:
    the output lists them. Other warnings are passed on unchanged.
    """
    from eventstudy.prices.yahoo import PriceDataWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PriceDataWarning)
        # the output lists every excluded pair with its reason: no warning line for them
        warnings.simplefilter("ignore", ExcludedPairsWarning)
        try:
            yield
        finally:
            for w in caught:
                if issubclass(w.category, PriceDataWarning):
                    print("warning: " + " ".join(str(w.message).split()), file=sys.stderr)
    for w in caught:
        if not issubclass(w.category, PriceDataWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def with_price_warnings(function: Callable[P, R]) -> Callable[P, R]:
    """`function`, its price warnings printed as by :func:`price_warnings`."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with price_warnings():
            return function(*args, **kwargs)

    return wrapper
