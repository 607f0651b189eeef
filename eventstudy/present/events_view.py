"""An event of the events file as the terminal shows it whole (``eventstudy show EVENT``):
the announcement, its sources and notes, and each security with the settings it is studied
with (:meth:`~eventstudy.events.Calendar.settings`: defaults < event < security)."""

from __future__ import annotations

from rich import box
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from eventstudy.events import Calendar, Event
from eventstudy.sessions import exchange_label


def event_record(calendar: Calendar, event: Event) -> RenderableType:
    """The panel of one event, every field of its table and of its securities'."""
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold", no_wrap=True)
    head.add_column(overflow="fold")
    head.add_row("title", event.title)
    timing = "" if hasattr(event.announced, "hour") else f" ({event.timing})"
    head.add_row("announced", event.announced_text + timing)
    head.add_row("headline", f"CAR({event.headline[0]:+d},{event.headline[1]:+d})")
    if event.tags:
        head.add_row("tags", ", ".join(event.tags))
    for i, source in enumerate(event.sources):
        head.add_row("sources" if i == 0 else "", source)
    if event.notes:
        head.add_row("notes", event.notes)
    pairs = Table.grid(padding=(0, 2))
    pairs.add_column(style="bold", no_wrap=True)
    pairs.add_column(overflow="fold")
    for alias in event.securities:
        security = calendar.security(alias)
        settings = calendar.settings(event, security)
        what = (f"{security.ticker}, a {security.weighting} basket of "
                f"{len(security.basket)} members" if security.basket else security.ticker)
        model = settings.model
        if model == "multi-factor":
            model += f" on {', '.join(settings.factors)}"
        elif model != "constant-mean" and security.benchmark:
            model += f" on {security.benchmark}"
        pairs.add_row(alias, Text(f"{security.name}\n{what} ({exchange_label(security.exchange)})"
                                  f"\n{model}, {settings.returns} returns; estimation "
                                  f"[{settings.estimation[0]}, {settings.estimation[1]}], window "
                                  f"[{settings.window[0]}, {settings.window[1]}], CARs "
                                  + " ".join(f"[{a}, {b}]" for a, b in settings.car)))
    return Panel(Group(head, Text("\nSecurities", style="bold"), pairs),
                 title=f"[bold]{event.id}[/]", title_align="left", box=box.ROUNDED)
