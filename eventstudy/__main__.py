"""``python -m eventstudy``: the command-line interface."""

from eventstudy.cli import app

app(prog_name="eventstudy")
