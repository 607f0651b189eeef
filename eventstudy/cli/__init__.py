"""The ``eventstudy`` command: a thin typer layer over the library API.

Every command calls :mod:`eventstudy`'s public functions; an
:class:`~eventstudy.errors.EventStudyError` becomes one line on stderr and exit status 2.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

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


def _models_view(event_id: str, models: str, events: Path | None, prices: Path | None,
                 format: Format, source: str | None, cache_dir: Path | None,
                 securities: list[str] | None) -> None:
    """``run --models``: one event under several models (eventstudy.study.sensitivity), optionally
    cut to ``--securities``."""
    from eventstudy.events import load_events
    from eventstudy.study.pooled import restrict
    from eventstudy.study.sensitivity import sensitivity

    try:
        calendar = load_events(events)
        if securities:
            calendar, _ = restrict(calendar, (calendar.event(event_id),), securities)
        frame = sensitivity(event_id, models, events=calendar, prices=prices, source=source,
                            cache_dir=cache_dir)
    except EventStudyError as exc:
        raise _fail(exc) from None
    if format is Format.json:
        doc = frame.assign(window=frame["window"].map(list)).astype(object)
        sys.stdout.write(json.dumps(doc.where(doc.notna(), None).to_dict("records")) + "\n")
    elif format is Format.csv:
        frame.assign(window=frame["window"].map(lambda w: f"[{w[0]},{w[1]}]")).to_csv(
            sys.stdout, index=False)
    else:
        from eventstudy.present.terminal_models import render_sensitivity

        _console().print(render_sensitivity(frame))


@app.command()
def run(
    event_ids: Annotated[
        list[str] | None,
        typer.Argument(help="Event id(s) (see 'eventstudy list'); several ids are pooled.",
                       show_default=False),
    ] = None,
    events: EventsOption = None,
    prices: Annotated[
        Path | None,
        typer.Option("--prices", help="Folder of <TICKER>.csv price files (default: embedded)."),
    ] = None,
    format: Annotated[
        Format, typer.Option("--format", "-f", help="table, json (one document) or csv.")
    ] = Format.table,
    source: Annotated[
        str | None,
        typer.Option("--source", help="Prices: embedded, yahoo (fetch + cache) or cache "
                     "(default $EVENTSTUDY_SOURCE, else the events file's source, else embedded)."),
    ] = None,
    cache_dir: Annotated[
        Path | None,
        typer.Option("--cache-dir", help="Price cache folder (default $EVENTSTUDY_CACHE_DIR)."),
    ] = None,
    models: Annotated[
        str | None,
        typer.Option("--models", help="Compare normal-return models: headline CARs side by side, "
                     "e.g. market,constant-mean,multi-factor,dimson,market@^GSPC."),
    ] = None,
    tag: Annotated[
        str | None,
        typer.Option("--tag", help="Pool every event with this tag of the events file "
                     "(e.g. escalation), with any ids given."),
    ] = None,
    securities: Annotated[
        str | None,
        typer.Option("--securities", help="Only these securities, comma-separated aliases "
                     "(e.g. LYC,TOYO)."),
    ] = None,
    bootstrap: Annotated[
        int, typer.Option("--bootstrap", min=0, help="Resamples of the CAAR bootstrap "
                          "interval (pairs resampled; 0 = none).")
    ] = 2000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the bootstrap.")] = 0,
) -> None:
    """Run the event study of one event, or pool several (ids, --tag) into one aggregate."""
    from eventstudy.errors import UnknownEventError
    from eventstudy.study.pooled import run_event, run_many

    ids = list(event_ids or [])
    secs = [s.strip() for s in securities.split(",") if s.strip()] if securities else None
    if not ids and tag is None:
        raise _fail(UnknownEventError("give an event id (see 'eventstudy list') or --tag TAG"))
    if models is not None:
        if len(ids) != 1 or tag is not None:
            raise _fail(UnknownEventError("--models compares models on exactly one event id"))
        _models_view(ids[0], models, events, prices, format, source, cache_dir, secs)
        return

    options = {"prices": prices, "source": source, "cache_dir": cache_dir}
    try:
        if len(ids) > 1 or tag is not None:
            result: Any = with_price_warnings(run_many)(
                ids, tag=tag, securities=secs, events=events, bootstrap=bootstrap, seed=seed,
                **options)
        else:
            result = with_price_warnings(run_event)(
                ids[0], events=events, securities=secs, bootstrap=bootstrap, seed=seed,
                **options)
    except EventStudyError as exc:
        raise _fail(exc) from None
    if format is Format.json:
        sys.stdout.write(result.to_json() + "\n")
    elif format is Format.csv:
        result.to_frame().to_csv(sys.stdout, index=False, date_format="%Y-%m-%d")
    else:
        _console().print(result)


from eventstudy.cli.report import report  # noqa: E402  (needs _fail and EventsOption above)

app.command("report")(report)


from eventstudy.cli.data import data_app, with_price_warnings  # noqa: E402

app.add_typer(data_app, name="data")


def main(argv: list[str] | None = None) -> int:
    """The console entry point: ``app`` with usage errors as one ``error:`` line, status 2.

    A mistyped option or value (``--format xml``, ``--bogus``) is a usage error: click would
    print a usage block and a boxed message; contract.md asks for one line on stderr naming
    what is wrong and what to do. Help (``--help``, no arguments) is printed as usual.
    """
    try:
        status = app(args=argv, prog_name="eventstudy", standalone_mode=False)
    except Exception as exc:  # click's exceptions (typer vendors click from 0.20 on): duck-typed
        name = type(exc).__name__
        if name == "Abort":
            print("aborted", file=sys.stderr)
            return 1
        if not hasattr(exc, "format_message"):
            raise
        if name == "NoArgsIsHelpError":
            exc.show()  # type: ignore[attr-defined]
            return int(getattr(exc, "exit_code", 2))
        ctx = getattr(exc, "ctx", None)
        command = ctx.command_path if ctx is not None else "eventstudy"
        print(f"error: {' '.join(exc.format_message().split())} (see '{command} --help')",
              file=sys.stderr)
        return 2
    return status if isinstance(status, int) else 0


def main_exit() -> None:  # pragma: no cover - console script wrapper
    sys.exit(main())
