"""How every command ends: what goes wrong becomes one line on stderr and an exit status.

- A usage error (an unknown option, ``--format xml``): click would print a usage block and a
  boxed message; contract.md asks for one ``error:`` line naming what is wrong and where to
  look (``... --help``), status 2. Help (``--help``, no arguments) is printed as usual.
- A package error (:class:`~eventstudy.errors.EventStudyError`) that a command did not turn
  into its ``error:`` line itself: that line, status 2.
- Anything else is a bug of the package, not of the input: one ``internal error:`` line naming
  the exception, status 3. Its traceback is printed only under ``--debug`` (anywhere on the
  command line) or ``EVENTSTUDY_DEBUG=1``.

:class:`GuardedGroup` does this for the console script and for ``typer.testing.CliRunner``
alike: both call the group's ``main``.
"""

from __future__ import annotations

import os
import re
import sys
import traceback
from collections.abc import Sequence
from typing import Any

from typer.core import TyperGroup

from eventstudy.errors import EventStudyError, first_line

#: The flag that shows an internal error's traceback, and the variable that does the same.
DEBUG_FLAG, DEBUG_VARIABLE = "--debug", "EVENTSTUDY_DEBUG"
USAGE, INTERNAL = 2, 3


class GuardedGroup(TyperGroup):
    """The ``eventstudy`` group: its ``main`` ends every command as the module says."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             **extra: Any) -> Any:
        argv, debug = without_debug(sys.argv[1:] if args is None else args)
        try:
            status = super().main(argv, prog_name, complete_var, standalone_mode=False,
                                  **extra)
            code = status if isinstance(status, int) else 0
        except Exception as exc:  # the one place every exception ends
            code = ended(exc, debug)
        if standalone_mode:
            sys.exit(code)
        return code

    def invoke(self, ctx: Any) -> Any:
        """The command; a reader that closed the pipe (``eventstudy list | head -3``) ends it
        quietly, with status 0: what was read was all the reader wanted."""
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            _quiet_stdout()
            return 0


def without_debug(args: Sequence[str]) -> tuple[list[str], bool]:
    """``args`` without the debug flag (which may come anywhere before a ``--``), and whether
    the traceback of an internal error is to be shown (the flag, or the variable set)."""
    argv = list(args)
    end = argv.index("--") if "--" in argv else len(argv)
    kept = [a for a in argv[:end] if a != DEBUG_FLAG] + argv[end:]
    variable = os.environ.get(DEBUG_VARIABLE, "").strip().lower()
    return kept, len(kept) != len(argv) or variable not in ("", "0", "false", "no")


def ended(exc: Exception, debug: bool) -> int:
    """Print how ``exc`` ended the command (one line on stderr); its exit status."""
    name = type(exc).__name__
    if name == "Abort":  # click's (typer vendors click: matched by name)
        print("aborted", file=sys.stderr)
        return 1
    if hasattr(exc, "format_message"):  # a click usage error
        if name == "NoArgsIsHelpError":
            exc.show()  # type: ignore[attr-defined]
            return int(getattr(exc, "exit_code", USAGE))
        ctx = getattr(exc, "ctx", None)
        command = ctx.command_path if ctx is not None else "eventstudy"
        _line(f"error: {_usage(exc)} (see '{command} --help')")
        return USAGE
    if isinstance(exc, EventStudyError):
        _line(f"error: {exc}")
        return USAGE
    if debug:
        traceback.print_exception(exc, file=sys.stderr)
    _line(f"internal error: {name}: {first_line(exc)}; "
          + ("this is a bug of eventstudy: please report it with the traceback above" if debug
             else f"rerun with {DEBUG_FLAG} for the traceback"))
    return INTERNAL


#: typer's words for a value outside a choice ("Value error, 'xml' is not one of 'table', ...").
_NOT_ONE_OF = re.compile(r"'(?P<value>[^']*)' is not one of (?P<choices>'.*')\.?$")


def _usage(exc: Exception) -> str:
    """A usage error's message; a value outside a choice as "unknown format 'xml'; use table,
    json or csv"."""
    message = exc.format_message()  # type: ignore[attr-defined]
    found = _NOT_ONE_OF.search(getattr(exc, "message", "") or "")
    param = getattr(exc, "param", None)
    if found is None or param is None:
        return message
    choices = re.findall(r"'([^']*)'", found["choices"])
    listed = ", ".join(choices[:-1]) + f" or {choices[-1]}" if len(choices) > 1 else choices[0]
    return f"unknown {param.name} {found['value']!r}; use {listed}"


def _quiet_stdout() -> None:
    """Point stdout at the null device, so that the interpreter's last flush at exit does not
    hit the closed pipe again (the Python documentation's recipe for SIGPIPE)."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file (a test's capture)
        pass


def _line(text: str) -> None:
    print(" ".join(text.split()), file=sys.stderr)
