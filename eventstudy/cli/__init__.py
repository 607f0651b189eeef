"""The ``eventstudy`` command: a thin typer layer over the library API.

Every command calls :mod:`eventstudy`'s public functions; an
:class:`~eventstudy.errors.EventStudyError` becomes one line on stderr and exit status 2. One
module per command group (:mod:`~eventstudy.cli.study`: list, run; :mod:`~eventstudy.cli.report`;
:mod:`~eventstudy.cli.data`; :mod:`~eventstudy.cli.batch`), their shared options in
:mod:`~eventstudy.cli.common`; this module assembles the app and holds the console entry point.
"""

from __future__ import annotations

import sys

import typer

from eventstudy.cli.batch import batch
from eventstudy.cli.data import data_app
from eventstudy.cli.report import report
from eventstudy.cli.study import list_events, run

app = typer.Typer(
    help="Event studies on exchange calendars: day 0, abnormal returns, CARs and tests.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

app.command("list")(list_events)
app.command()(run)
app.command("report")(report)
app.command("batch")(batch)
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
