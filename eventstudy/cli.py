"""The ``eventstudy`` command: a thin typer layer over the library API.

Every command calls :mod:`eventstudy`'s public functions; an
:class:`~eventstudy.errors.EventStudyError` becomes one line on stderr and exit status 2.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from eventstudy.errors import EventStudyError

app = typer.Typer(
    help="Event studies on exchange calendars: day 0, abnormal returns, CARs and tests.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

EventsOption = Annotated[
    Path | None,
    typer.Option("--events", help="Events file (default ./events.toml, else the packaged one)."),
]


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def _fail(exc: EventStudyError) -> typer.Exit:
    message = " ".join(str(exc).split())
    Console(stderr=True, highlight=False, soft_wrap=True).print(
        f"[bold red]error:[/] {message}", markup=True
    ) if sys.stderr.isatty() else print(f"error: {message}", file=sys.stderr)
    return typer.Exit(code=2)


@app.command("list")
def list_events(events: EventsOption = None) -> None:
    """List the events: id, announcement, title, securities."""
    from eventstudy.events import load_events

    try:
        calendar = load_events(events)
    except EventStudyError as exc:
        raise _fail(exc) from None
    table = Table(title=f"Events in {calendar.path}", title_justify="left")
    for name in ("id", "announced", "timing", "title", "securities", "tags"):
        table.add_column(name, overflow="fold")
    for e in calendar.events:
        timing = "" if hasattr(e.announced, "hour") else e.timing
        table.add_row(e.id, e.announced_text, timing, e.title, ", ".join(e.securities),
                      ", ".join(e.tags))
    Console().print(table)


@app.command()
def run(
    event_id: Annotated[str, typer.Argument(help="The id of an event (see 'eventstudy list').")],
    events: EventsOption = None,
    prices: Annotated[
        Path | None,
        typer.Option("--prices", help="Folder of <TICKER>.csv price files (default: embedded)."),
    ] = None,
    format: Annotated[
        Format, typer.Option("--format", "-f", help="table, json (one document) or csv.")
    ] = Format.table,
) -> None:
    """Run the event study of one event."""
    from eventstudy.study import run as run_study

    try:
        result = run_study(event_id, events=events, prices=prices)
    except EventStudyError as exc:
        raise _fail(exc) from None
    if format is Format.json:
        sys.stdout.write(result.to_json() + "\n")
    elif format is Format.csv:
        result.to_frame().to_csv(sys.stdout, index=False, date_format="%Y-%m-%d")
    else:
        console = Console()
        if not console.is_terminal:  # piped or redirected: don't squeeze the tables to 80
            console = Console(width=max(console.width, 120))
        console.print(result)


def main() -> None:  # pragma: no cover - console entry point
    app()
