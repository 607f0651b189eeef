"""Run the studies of an events file and assemble the files of their report set, in memory.

Layout of a set (paths relative to the report folder)::

    README.md, index.html           index (only when every event is reported)
    <event-id>.md                   the report
    <event-id>.html                 the same, self-contained (images embedded)
    figures/<event-id>/overview.png CAR of every security
    figures/<event-id>/<SEC>.png    one security: CAR path with its band, daily ARs
    figures/<event-id>/volume-<SEC>.png  its log volume and normal level, abnormal log volume
    tag-<tag>.md, .html             pooled run of the events with a tag
    figures/tag-<tag>/caar.png      its CAAR path with the band

Every link is relative, so a set works in any folder. Markdown pages link Markdown pages
(``README.md``); their HTML twins link HTML pages (``index.html``). Without figures only the
Markdown is built. Given the folder it goes to, :func:`generate` keeps only links to files the
set writes or the folder already holds: one event reported into an empty folder has no index to
link to (the index is written by ``--all`` only, so a partial run never replaces a whole one).

Each event's page also shows the volume study of the event (``measure="volume"``) when the
price source has volumes; otherwise one line says why the volume section is left out.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from eventstudy.errors import EstimationError, EventStudyError
from eventstudy.events import Calendar, Event, load_events
from eventstudy.present import figures as fig
from eventstudy.present.common import slug
from eventstudy.present.html import html_path, to_html
from eventstudy.present.index import IndexEntry, index_markdown
from eventstudy.present.markdown import INDEX_LINK, code, drop_missing, esc, event_markdown
from eventstudy.present.pooled_markdown import pooled_markdown, pooled_name, pooled_title
from eventstudy.present.volume_figures import volume_figure
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


@dataclass(frozen=True)
class Page:
    """One page of a set before it is written: Markdown path, HTML title, the figures it shows
    (relative path -> PNG bytes; written beside it and embedded in its HTML twin)."""

    path: str
    title: str
    markdown: str
    images: dict[str, bytes] = field(default_factory=dict)


def figure_paths(result: EventStudyResult,
                 volume: EventStudyResult | None = None) -> dict[str, str]:
    """Relative PNG path per figure key: ``overview`` (several pairs), one per security and,
    given the event's volume study, ``volume/<security>`` per security it studied."""
    base = f"figures/{result.event.id}"
    paths = {"overview": f"{base}/overview.png"} if len(result.pairs) > 1 else {}
    for p in result.pairs:
        paths[p.security] = f"{base}/{slug(p.security)}.png"
    for p in volume.pairs if volume is not None else ():
        paths[f"volume/{p.security}"] = f"{base}/volume-{slug(p.security)}.png"
    return paths


def event_page(result: EventStudyResult, figures: bool = True,
               volume: EventStudyResult | str | None = None) -> Page:
    """The page of one event; with ``figures`` its PNGs drawn. ``volume``: the event's volume
    study (a "Volume" section with a figure per security), or why it cannot run (one line)."""
    studied = volume if isinstance(volume, EventStudyResult) else None
    paths = figure_paths(result, studied)
    by_pair = {p.security: p for p in result.pairs}
    by_volume = {f"volume/{p.security}": p for p in studied.pairs} if studied else {}
    images = {path: fig.overview_figure(result) if key == "overview"
              else volume_figure(studied, by_volume[key]) if studied and key in by_volume
              else fig.pair_figure(result, by_pair[key]) for key, path in paths.items()
              } if figures else {}
    return Page(f"{result.event.id}.md", f"{result.event.id}: {result.event.title}",
                event_markdown(result, paths, volume), images)


def volume_study(event: Event, calendar: Calendar, source: PriceSource) -> EventStudyResult | str:
    """The volume study of ``event`` (``measure="volume"``), or why it cannot run (a source
    without volumes, no pair with enough of them)."""
    try:
        return run(event.id, events=calendar, prices=source, measure="volume")
    except EventStudyError as exc:
        return str(exc)


def pooled_page(pooled: PooledResult, figures: bool = True) -> Page:
    """The page of a pooled run; with ``figures`` its CAAR figure drawn."""
    name = pooled_name(pooled)
    paths = {"caar": f"figures/{name}/caar.png"}
    subtitle = f"{len(pooled.results)} events, {pooled.aggregate.n} pairs"
    images = {paths["caar"]: fig.caar_figure(pooled_title(pooled), subtitle,
                                             [p for _, p in pooled.pairs])} if figures else {}
    return Page(f"{name}.md", pooled_title(pooled), pooled_markdown(pooled, paths), images)


def site_files(pages: Sequence[Page], figures: bool = True,
               keep: Callable[[str], bool] | None = None) -> dict[str, bytes]:
    """The files of ``pages``: per page its Markdown, its PNGs and, with ``figures``, its HTML.

    ``keep`` says whether a relative path outside the pages' own files exists where the set
    goes; links and images to paths it rejects are left out (see
    :func:`~eventstudy.present.markdown.drop_missing`). None keeps every link.
    """
    own = {p.path for p in pages} | {rel for p in pages for rel in p.images}
    own |= {html_path(p.path) for p in pages} if figures else set()
    exists = None if keep is None else (lambda rel: rel in own or keep(rel))
    files: dict[str, bytes] = {}
    for page in pages:
        text = page.markdown if exists is None else drop_missing(page.markdown, exists)
        files[page.path] = text.encode()
        if figures:
            files.update(page.images)
            files[html_path(page.path)] = to_html(text, page.title, page.images,
                                                  exists).encode()
    return files


def event_files(result: EventStudyResult, figures: bool = True) -> dict[str, bytes]:
    """The Markdown, and with ``figures`` the PNGs and the HTML page, of one event."""
    return site_files([event_page(result, figures)], figures)


def pooled_files(pooled: PooledResult, figures: bool = True) -> dict[str, bytes]:
    """The Markdown, and with ``figures`` the CAAR figure and the HTML page, of a pooled run."""
    return site_files([pooled_page(pooled, figures)], figures)


def _not_studied(event: Event, reason: str) -> Page:
    text = (f"# {esc(event.title)}\n\n{code(event.id)} · announced {esc(event.announced_text)}"
            f"\n\n{INDEX_LINK}\n\nNo pair of this event can be studied: {esc(reason)}\n")
    return Page(f"{event.id}.md", f"{event.id}: {event.title}", text)


def in_folder(out: str | os.PathLike[str]) -> Callable[[str], bool]:
    """Whether a relative path names a file under ``out`` (False when it cannot be read)."""
    root = Path(out)

    def exists(rel: str) -> bool:
        try:
            return root.joinpath(*PurePosixPath(rel).parts).is_file()
        except OSError:
            return False

    return exists


def generate(
    event_ids: Sequence[str] | None = None,
    *,
    events: str | os.PathLike[str] | Calendar | None = None,
    prices: str | os.PathLike[str] | PriceSource | None = None,
    figures: bool = True,
    on_event: Callable[[str], None] | None = None,
    tags: Sequence[str] | None = None,
    out: str | os.PathLike[str] | None = None,
) -> ReportSet:
    """Study events and build their reports.

    Each event is studied twice: its returns, and its volume (the page's "Volume" section; a
    source without volumes gets one line saying so instead, see :func:`volume_study`).

    Parameters
    ----------
    event_ids : sequence of str, optional
        The events to report; None for every event of the file, with the index (README.md,
        and index.html with ``figures``).
    events, prices
        As for :func:`eventstudy.run`.
    figures : bool
        Draw the PNGs and the HTML pages; False builds the Markdown only (fast; the Markdown
        is the same either way, unless ``out`` lacks the figures it shows).
    on_event : callable, optional
        Called with each event id (or ``tag-<tag>``) once its report is built (progress).
    tags : sequence of str, optional
        Also report the pooled run of the events carrying each tag (CAAR figure and pooled
        tests). None: with ``event_ids`` None, every tag that at least two events carry.
    out : path-like, optional
        The folder the set will be written to: a link or image to a file neither in the set
        nor already in ``out`` is left out (a link keeps its text), so no page links a missing
        file. None keeps every link (the caller writes the set where the rest of it lives).

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
    pages: list[Page] = []
    entries = []
    for event in chosen:
        try:
            result = run(event.id, events=calendar, prices=source)
        except EstimationError as exc:
            if not whole:
                raise
            pages.append(_not_studied(event, str(exc)))
            entries.append(IndexEntry(event, None, str(exc)))
        else:
            pages.append(event_page(result, figures, volume_study(event, calendar, source)))
            entries.append(IndexEntry(event, result))
        if on_event is not None:
            on_event(event.id)
    if tags is None:
        tags = pooled_tags(calendar) if whole else ()
    pooled = []
    for tag in tags:
        from eventstudy.study.pooled import run_many

        result = run_many(tag=tag, events=calendar, prices=source)
        pages.append(pooled_page(result, figures))
        pooled.append(result)
        if on_event is not None:
            on_event(pooled_name(result))
    if whole:
        pages.append(Page("README.md", "Event reports", index_markdown(entries, pooled)))
    files = site_files(pages, figures, None if out is None else in_folder(out))
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
