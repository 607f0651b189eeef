"""What ``eventstudy batch`` and its ``--aggregate`` share: window offsets read from the
command line, and the progress bar of the cluster's tasks."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from eventstudy.errors import EstimationError


def offsets(text: str, name: str) -> tuple[int, int]:
    """``START,END`` as two integer offsets, or an error naming the option ``--name``."""
    try:
        lo, hi = (int(x) for x in text.split(","))
    except ValueError:
        raise EstimationError(f"--{name} {text!r}: give two integer offsets as START,END "
                              "(e.g. -250,-11)") from None
    return lo, hi


@contextlib.contextmanager
def progress() -> Iterator[Callable[[int, int], None] | None]:
    """A rich progress bar on stderr when it is a terminal; none (no callback) when piped."""
    from rich.console import Console

    err = Console(stderr=True)
    if not err.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=err,
                  transient=True) as bar:
        job = bar.add_task("tasks", total=None)

        def update(done: int, total: int) -> None:
            bar.update(job, completed=done, total=total)

        yield update
