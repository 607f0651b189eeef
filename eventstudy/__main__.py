"""``python -m eventstudy``: the command-line interface."""

from eventstudy.cli import main_exit

main_exit()
