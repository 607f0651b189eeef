"""The ``eventstudy`` command: a thin typer layer over the library API.

Every command calls :mod:`eventstudy`'s public functions; an
:class:`~eventstudy.errors.EventStudyError` becomes one line on stderr and exit status 2, any
other exception one ``internal error:`` line and status 3 (:mod:`~eventstudy.cli.guard`). One
module per command group (:mod:`~eventstudy.cli.study`: list, run; :mod:`~eventstudy.cli.report`;
:mod:`~eventstudy.cli.data`; :mod:`~eventstudy.cli.batch`), their shared options in
:mod:`~eventstudy.cli.common`; this module assembles the app and holds the console entry point.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from eventstudy._version import __version__
from eventstudy.cli.batch import batch
from eventstudy.cli.calendar_time import calendar_time
from eventstudy.cli.data import data_app
from eventstudy.cli.guard import GuardedGroup
from eventstudy.cli.report import report
from eventstudy.cli.study import list_events, run, show_event

app = typer.Typer(
    cls=GuardedGroup,
    help="Event studies on exchange calendars: day 0, abnormal returns, CARs and tests. "
         "An internal error shows its traceback with --debug (anywhere on the command line) "
         "or EVENTSTUDY_DEBUG=1.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        print(f"eventstudy {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True,
        help="Print the version and exit.")] = False,
) -> None:
    """Event studies on exchange calendars: day 0, abnormal returns, CARs and tests."""

app.command("list")(list_events)
app.command("show")(show_event)
app.command()(run)
app.command("report")(report)
app.command("batch")(batch)
app.command("calendar-time")(calendar_time)
app.add_typer(data_app, name="data")


def main(argv: list[str] | None = None) -> int:
    """The console entry point: ``app`` on ``argv`` (default: the command line), its exit
    status returned; usage, package and internal errors end as :mod:`~eventstudy.cli.guard`
    says (one line on stderr; status 2, 2 and 3)."""
    return int(app(args=argv, prog_name="eventstudy", standalone_mode=False))


def main_exit() -> None:  # pragma: no cover - console script wrapper
    sys.exit(main())
