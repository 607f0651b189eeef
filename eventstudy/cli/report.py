"""``eventstudy report EVENT_ID | --all``: Markdown, HTML and PNG reports under a folder.

A thin layer over :mod:`eventstudy.present`; registered on the app in :mod:`eventstudy.cli`.
``--all`` writes the index (README.md, and index.html with the figures); one event or one tag
leaves the index alone, and its pages link only files the folder holds (relative links).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from eventstudy.cli.common import EventsOption, PricesOption, fail
from eventstudy.errors import EventStudyError, ReportError


def report(
    event_id: Annotated[
        str | None, typer.Argument(help="The id of an event (see 'eventstudy list').")
    ] = None,
    all_events: Annotated[
        bool, typer.Option("--all", help="Report every event of the file, with the index "
                           "(README.md, index.html) and the pooled run of every tag that two "
                           "events or more carry.")
    ] = False,
    tag: Annotated[
        str | None, typer.Option("--tag", help="Report the pooled run of the events with "
                                 "this tag (CAAR path, pooled tests).")
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", help="Folder of the reports (created when missing).")
    ] = Path("reports"),
    events: EventsOption = None,
    prices: PricesOption = None,
    figures: Annotated[
        bool, typer.Option("--figures/--no-figures",
                           help="Draw the PNGs and the HTML pages (--no-figures: Markdown only).")
    ] = True,
) -> None:
    """Write the report of one event, of a tag's pooled run, or of all (with the index)."""
    from eventstudy.events import load_events
    from eventstudy.present.build import generate
    from eventstudy.present.writer import write_reports

    err = Console(stderr=True)
    start = time.perf_counter()
    try:
        if (event_id is not None) + all_events + (tag is not None) != 1:
            raise ReportError("give one of EVENT_ID, --all or --tag TAG (see 'eventstudy list')")
        calendar = load_events(events)
        if all_events:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            with Progress(TextColumn("[bold]report[/]"), BarColumn(), MofNCompleteColumn(),
                          TimeElapsedColumn(), TextColumn("{task.description}"),
                          console=err, transient=True) as progress:
                from eventstudy.present.build import pooled_tags

                total = len(calendar.events) + len(pooled_tags(calendar))
                task = progress.add_task("", total=total)
                report_set = generate(
                    None, events=calendar, prices=prices, figures=figures, out=out,
                    on_event=lambda i: progress.update(task, advance=1, description=i))
        elif tag is not None:
            report_set = generate([], events=calendar, prices=prices, figures=figures,
                                  tags=[tag], out=out)
        else:
            assert event_id is not None
            report_set = generate([event_id], events=calendar, prices=prices, figures=figures,
                                  out=out)
        written = write_reports(out, report_set.files, report_set.prune)
    except EventStudyError as exc:
        raise fail(exc) from None
    n_reports = sum(1 for f in report_set.files if f.endswith(".md") and f != "README.md")
    index = ", ".join(str(out / name) for name in ("README.md", "index.html")
                      if name in report_set.files)
    index = f"; index {index}" if index else ""
    err.print(f"wrote {len(written)} files for {n_reports} report(s) to {out}{index} "
              f"in {time.perf_counter() - start:.1f} s", highlight=False)
