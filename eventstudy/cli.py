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
    """Print ``exc`` as one line on stderr; the exit (status 2) to raise."""
    print("error: " + " ".join(str(exc).split()), file=sys.stderr)
    return typer.Exit(code=2)


def _console() -> Console:
    """stdout console; piped or redirected output gets 120 columns instead of 80."""
    console = Console()
    return console if console.is_terminal else Console(width=max(console.width, 120))


@app.command("list")
def list_events(events: EventsOption = None) -> None:
    """List the events: id, announcement, title, securities."""
    from eventstudy.events import load_events

    try:
        calendar = load_events(events)
    except EventStudyError as exc:
        raise _fail(exc) from None
    table = Table(title=f"Events in {calendar.path}", title_justify="left")
    for name in ("id", "announced", "timing"):
        table.add_column(name, no_wrap=True)
    for name in ("title", "securities", "tags"):
        table.add_column(name, overflow="fold")
    for e in calendar.events:
        timing = "" if hasattr(e.announced, "hour") else e.timing
        table.add_row(e.id, e.announced_text, timing, e.title, ", ".join(e.securities),
                      ", ".join(e.tags))
    _console().print(table)


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
        _console().print(result)


def main() -> None:  # pragma: no cover - console entry point
    app()
