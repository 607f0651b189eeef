"""``eventstudy list`` and ``eventstudy run``: the events of a file, and the study of one event,
of several pooled, or of one under several models. Registered on the app in :mod:`eventstudy.cli`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from eventstudy.cli.common import (
    EventsOption,
    Format,
    PricesOption,
    console,
    fail,
    with_price_warnings,
)
from eventstudy.errors import EventStudyError


def list_events(events: EventsOption = None) -> None:
    """List the events, one line each: id, day, securities, tags (and titles when they fit)."""
    from eventstudy.events import load_events
    from eventstudy.present.fitting import Fitted

    try:
        calendar = load_events(events)
    except EventStudyError as exc:
        raise fail(exc) from None

    def table(columns: tuple[str, ...], title_width: int = 44) -> Table:
        out = Table(title=f"{len(calendar.events)} events in {calendar.path}",
                    title_justify="left", caption="'eventstudy show EVENT' prints one whole",
                    caption_justify="left")
        for name in columns:
            out.add_column(name, no_wrap=name != "title", overflow="fold",
                           max_width=title_width if name == "title" else None)
        for e in calendar.events:
            cells = {"id": e.id, "day": e.announced_text[:10],
                     "timing": "" if hasattr(e.announced, "hour") else e.timing,
                     "securities": ", ".join(e.securities), "tags": ", ".join(e.tags),
                     "title": e.title}
            out.add_row(*(cells[c] for c in columns))
        return out

    # the fullest layout that fits: the timing goes, the titles narrow, then go (at 80
    # columns: one line per event; 'eventstudy show EVENT' prints the whole record)
    layouts = ((("id", "day", "timing", "securities", "tags", "title"), 44),
               (("id", "day", "securities", "tags", "title"), 44),
               (("id", "day", "securities", "tags", "title"), 28),
               (("id", "day", "securities", "tags"), 0))
    console().print(Fitted([lambda c=c, w=w: table(c, w) for c, w in layouts]))


def show_event(
    event_id: Annotated[str, typer.Argument(help="The event's id (see 'eventstudy list').",
                                            show_default=False)],
    events: EventsOption = None,
) -> None:
    """The whole record of one event: announcement, sources, notes, and each security with
    the settings it is studied with."""
    from eventstudy.events import load_events
    from eventstudy.present.events_view import event_record

    try:
        calendar = load_events(events)
        event = calendar.event(event_id)
    except EventStudyError as exc:
        raise fail(exc) from None
    console().print(event_record(calendar, event))


def _models_view(event_id: str, models: str, events: Path | None, prices: Path | None,
                 format: Format, source: str | None, cache_dir: Path | None,
                 securities: list[str] | None, measure: str | None = None) -> None:
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
                            cache_dir=cache_dir, measure=measure)
    except EventStudyError as exc:
        raise fail(exc) from None
    if format is Format.json:
        doc = frame.assign(window=frame["window"].map(list)).astype(object)
        sys.stdout.write(json.dumps(doc.where(doc.notna(), None).to_dict("records")) + "\n")
    elif format is Format.csv:
        frame.assign(window=frame["window"].map(lambda w: f"[{w[0]},{w[1]}]")).to_csv(
            sys.stdout, index=False)
    else:
        from eventstudy.present.terminal_models import render_sensitivity

        console().print(render_sensitivity(frame))


def run(
    event_ids: Annotated[
        list[str] | None,
        typer.Argument(help="Event id(s) (see 'eventstudy list'); several ids are pooled.",
                       show_default=False),
    ] = None,
    events: EventsOption = None,
    prices: PricesOption = None,
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
    model: Annotated[
        str | None,
        typer.Option("--model", help="Study every pair under this model instead of the events "
                     "file's: market, constant-mean, market-adjusted, multi-factor, dimson or "
                     "scholes-williams, garch or synthetic (a synthetic control of the "
                     "exchange's other names, with placebo p-values); a pair it does not fit is "
                     "excluded with the reason."),
    ] = None,
    measure: Annotated[
        str | None,
        typer.Option("--measure", help="What to study: returns, volume (abnormal log volume) or "
                     "volatility (Parkinson variance, variance-ratio and GARCH event-dummy "
                     "tests); default the events file's, else returns."),
    ] = None,
    adjust: Annotated[
        str | None,
        typer.Option("--adjust", help="Adjust p-values for multiple testing: holm (Holm 1979), "
                     "bh (Benjamini-Hochberg 1995), by (Benjamini-Yekutieli 2001) or none; the "
                     "pairs' CAR tests form one family, each pooled test across the CAR windows "
                     "another (column 'p adj', JSON/CSV 'p_adjusted')."),
    ] = None,
) -> None:
    """Run the event study of one event, or pool several (ids, --tag) into one aggregate."""
    from eventstudy.errors import UnknownEventError
    from eventstudy.study.pooled import run_event, run_many

    ids = list(event_ids or [])
    secs = [s.strip() for s in securities.split(",") if s.strip()] if securities else None
    if not ids and tag is None:
        raise fail(UnknownEventError("give an event id (see 'eventstudy list') or --tag TAG"))
    if models is not None:
        if len(ids) != 1 or tag is not None:
            raise fail(UnknownEventError("--models compares models on exactly one event id"))
        if model is not None:
            raise fail(UnknownEventError("--model and --models: pass one of them (--models "
                                         "compares several, --model studies under one)"))
        if adjust not in (None, "none"):
            raise fail(UnknownEventError("--adjust and --models: the models' headline CARs "
                                         "are one test under several models, not a family "
                                         "of hypotheses; run one model with --adjust"))
        if measure == "volatility":
            raise fail(UnknownEventError("--models compares the models of returns or volume; "
                                         "the volatility study's Parkinson variance is "
                                         "abnormal against its own mean (--model sets the "
                                         "returns model its tests read)"))
        _models_view(ids[0], models, events, prices, format, source, cache_dir, secs, measure)
        return

    options = {"prices": prices, "source": source, "cache_dir": cache_dir, "model": model,
               "measure": measure, "adjust": adjust}
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
        raise fail(exc) from None
    if format is Format.json:
        sys.stdout.write(result.to_json() + "\n")
    elif format is Format.csv:
        result.to_frame().to_csv(sys.stdout, index=False, date_format="%Y-%m-%d")
    else:
        console().print(result)
