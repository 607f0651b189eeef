"""What ``eventstudy batch`` and its ``--aggregate`` share: window offsets read from the
command line, the pairs file and the returns read and checked against each other, and the
progress bar of the cluster's tasks."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from eventstudy.errors import EstimationError

if TYPE_CHECKING:
    import pandas as pd

    from eventstudy.study.distributed.panel import Panel


def offsets(text: str, name: str) -> tuple[int, int]:
    """``START,END`` as two integer offsets, or an error naming the option ``--name``."""
    try:
        lo, hi = (int(x) for x in text.split(","))
    except ValueError:
        raise EstimationError(f"--{name} {text!r}: give two integer offsets as START,END "
                              "(e.g. -250,-11)") from None
    return lo, hi


def read_inputs(pairs_file: Path, returns: Path, model: str, sessions: str, measure: str,
                returns_kind: str) -> tuple[pd.DataFrame, Panel]:
    """The pairs file and the returns, each read and checked, then against each other (every
    ticker a column, every day 0 a session): the command's errors before any cluster starts."""
    from eventstudy.study.batch.inputs import _check_choices, panel_kind
    from eventstudy.study.distributed.deps import need
    from eventstudy.study.distributed.pairs_file import check_pairs, read_pairs
    from eventstudy.study.distributed.panel import open_panel

    kind = panel_kind(measure, model, returns_kind)
    need("distributed")
    pairs = read_pairs(pairs_file, model)
    panel = open_panel(returns)
    _check_choices(sessions, kind)
    check_pairs(pairs, panel, pairs_file, model, sessions)
    return pairs, panel


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
