"""Run the studies of an events file and assemble the files of their report set, in memory.

Layout of a set (paths relative to the report folder)::

    README.md                       index (only when every event is reported)
    <event-id>.md                   the report
    <event-id>.html                 the same, self-contained (images embedded)
    figures/<event-id>/overview.png CAR of every security
    figures/<event-id>/<SEC>.png    one security: CAR path with its band, daily ARs
    tag-<tag>.md, .html             pooled run of the events with a tag
    figures/tag-<tag>/caar.png      its CAAR path with the band
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from eventstudy.errors import EstimationError
from eventstudy.events import Calendar, Event, load_events
from eventstudy.present import figures as fig
from eventstudy.present.common import slug
from eventstudy.present.html import to_html
from eventstudy.present.index import IndexEntry, index_markdown
from eventstudy.present.markdown import event_markdown
from eventstudy.present.pooled_markdown import pooled_markdown, pooled_name, pooled_title
from eventstudy.prices import PriceSource, open_source
from eventstudy.study.results import EventStudyResult
from eventstudy.study.single import run

if TYPE_CHECKING:
    from eventstudy.study.pooled import PooledResult


@dataclass(frozen=True)
class ReportSet:
    """The files of a report set (relative POSIX path -> bytes) and the folders it owns."""

    files: dict[str, bytes]
    prune: tuple[str, ...] = ()
    entries: tuple[IndexEntry, ...] = field(default_factory=tuple)


def figure_paths(result: EventStudyResult) -> dict[str, str]:
    """Relative PNG path per figure key: ``overview`` (several pairs) and one per security."""
    base = f"figures/{result.event.id}"
    paths = {"overview": f"{base}/overview.png"} if len(result.pairs) > 1 else {}
    for p in result.pairs:
        paths[p.security] = f"{base}/{slug(p.security)}.png"
    return paths


def event_files(result: EventStudyResult, figures: bool = True) -> dict[str, bytes]:
    """The Markdown, and with ``figures`` the PNGs and the HTML page, of one event."""
    paths = figure_paths(result)
    text = event_markdown(result, paths)
    files = {f"{result.event.id}.md": text.encode()}
    if not figures:
        return files
    by_pair = {p.security: p for p in result.pairs}
    images = {path: fig.overview_figure(result) if key == "overview"
              else fig.pair_figure(result, by_pair[key]) for key, path in paths.items()}
    files.update(images)
    page = to_html(text, f"{result.event.id}: {result.event.title}", images)
    files[f"{result.event.id}.html"] = page.encode()
    return files


def pooled_files(pooled: PooledResult, figures: bool = True) -> dict[str, bytes]:
    """The Markdown, and with ``figures`` the CAAR figure and the HTML page, of a pooled run."""
    name = pooled_name(pooled)
    paths = {"caar": f"figures/{name}/caar.png"}
    text = pooled_markdown(pooled, paths)
    files = {f"{name}.md": text.encode()}
    if not figures:
        return files
    subtitle = f"{len(pooled.results)} events, {pooled.aggregate.n} pairs"
    images = {paths["caar"]: fig.caar_figure(pooled_title(pooled), subtitle,
                                             [p for _, p in pooled.pairs])}
    files.update(images)
    files[f"{name}.html"] = to_html(text, pooled_title(pooled), images).encode()
    return files


def _not_studied(event: Event, reason: str) -> bytes:
    return (f"# {event.title}\n\n`{event.id}` · announced {event.announced_text}\n\n"
            f"No pair of this event can be studied: {reason}\n\n[All events](README.md)\n"
            ).encode()


def generate(
    event_ids: Sequence[str] | None = None,
    *,
    events: str | os.PathLike[str] | Calendar | None = None,
    prices: str | os.PathLike[str] | PriceSource | None = None,
    figures: bool = True,
    on_event: Callable[[str], None] | None = None,
    tags: Sequence[str] | None = None,
) -> ReportSet:
    """Study events and build their reports.

    Parameters
    ----------
    event_ids : sequence of str, optional
        The events to report; None for every event of the file, with the index README.md.
    events, prices
        As for :func:`eventstudy.run`.
    figures : bool
        Draw the PNGs and the HTML pages; False writes the Markdown only (fast; the Markdown
        is the same either way).
    on_event : callable, optional
        Called with each event id (or ``tag-<tag>``) once its report is built (progress).
    tags : sequence of str, optional
        Also report the pooled run of the events carrying each tag (CAAR figure and pooled
        tests). None: with ``event_ids`` None, every tag that at least two events carry.

    Returns
    -------
    ReportSet

    Raises
    ------
    EventStudyError
        Bad input (unknown event, events or price file). With ``event_ids`` given, an event
        none of whose pairs can be studied also raises; for the whole file it gets a short
        report saying why, and a row in the index.
    """
    calendar = events if isinstance(events, Calendar) else load_events(events)
    source = prices if isinstance(prices, PriceSource) else open_source(prices)
    whole = event_ids is None
    chosen = calendar.events if whole else tuple(calendar.event(i) for i in event_ids)
    files: dict[str, bytes] = {}
    entries = []
    for event in chosen:
        try:
            result = run(event.id, events=calendar, prices=source)
        except EstimationError as exc:
            if not whole:
                raise
            files[f"{event.id}.md"] = _not_studied(event, str(exc))
            entries.append(IndexEntry(event, None, str(exc)))
        else:
            files.update(event_files(result, figures))
            entries.append(IndexEntry(event, result))
        if on_event is not None:
            on_event(event.id)
    if tags is None:
        tags = pooled_tags(calendar) if whole else ()
    pooled = []
    for tag in tags:
        from eventstudy.study.pooled import run_many

        result = run_many(tag=tag, events=calendar, prices=source)
        files.update(pooled_files(result, figures))
        pooled.append(result)
        if on_event is not None:
            on_event(pooled_name(result))
    if whole:
        files["README.md"] = index_markdown(entries, pooled).encode()
    prune = tuple(f"figures/{e.id}" for e in chosen) if figures else ()
    prune += tuple(f"figures/{pooled_name(p)}" for p in pooled) if figures else ()
    return ReportSet(files, prune, tuple(entries))


def pooled_tags(calendar: Calendar) -> list[str]:
    """The tags of the events file that at least two events carry, in order of appearance."""
    counts: dict[str, int] = {}
    for event in calendar.events:
        for tag in event.tags:
            counts[tag] = counts.get(tag, 0) + 1
    return [tag for tag, n in counts.items() if n >= 2]
