"""``eventstudy calendar-time``: the pairs of one or more events (ids, ``--tag``) held in a
calendar-time portfolio for ``--horizon`` sessions after day 0, its daily and monthly returns
regressed on the market or on factors with Newey-West standard errors
(:func:`eventstudy.study.calendar_time.calendar_time`). Registered on the app in
:mod:`eventstudy.cli`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from eventstudy.cli.common import (
    EventsOption,
    Format,
    PricesOption,
    console,
    fail,
    with_price_warnings,
)
from eventstudy.errors import EventStudyError

if TYPE_CHECKING:
    from eventstudy.inference.calendar_time import CalendarTimeResult


def calendar_time(
    event_ids: Annotated[
        list[str] | None,
        typer.Argument(help="Event id(s) whose pairs enter the portfolio (see 'eventstudy "
                       "list').", show_default=False),
    ] = None,
    tag: Annotated[str | None, typer.Option(
        "--tag", help="Every event with this tag of the events file, with any ids given.")] = None,
    horizon: Annotated[int, typer.Option(
        "--horizon", help="Sessions each pair is held, from --start after day 0.")] = 20,
    start: Annotated[int, typer.Option(
        "--start", help="Offset of the first session held (1: the session after day 0).")] = 1,
    weights: Annotated[str, typer.Option(
        "--weights", help="equal, or value (shares_outstanding x the close on day 0).")
    ] = "equal",
    market: Annotated[str | None, typer.Option(
        "--market", help="The market's ticker (default: the pairs' common benchmark).")] = None,
    factors: Annotated[str | None, typer.Option(
        "--factors", help="Factor tickers instead of --market, comma-separated "
        "(e.g. ^TOPX,JPY=X).")] = None,
    lags: Annotated[int | None, typer.Option(
        "--lags", help="Newey-West lags of the daily fit (default floor(4 (T/100)^(2/9))).")
    ] = None,
    monthly_lags: Annotated[int | None, typer.Option(
        "--monthly-lags", help="Newey-West lags of the monthly fit (default: the same rule).")
    ] = None,
    returns: Annotated[str, typer.Option(
        "--returns", help="simple (default: a portfolio's return is the weighted mean) or log.")
    ] = "simple",
    securities: Annotated[str | None, typer.Option(
        "--securities", help="Only these securities, comma-separated aliases (e.g. LYC,TOYO).")
    ] = None,
    events: EventsOption = None,
    prices: PricesOption = None,
    source: Annotated[str | None, typer.Option(
        "--source", help="Prices: embedded, yahoo or cache (as 'eventstudy run').")] = None,
    cache_dir: Annotated[Path | None, typer.Option(
        "--cache-dir", help="Price cache folder (default $EVENTSTUDY_CACHE_DIR).")] = None,
    format: Annotated[Format, typer.Option(
        "--format", "-f", help="table, json (one document) or csv (one row per coefficient).")
    ] = Format.table,
) -> None:
    """Calendar-time portfolio of the events' pairs: alpha and betas, daily and monthly, with
    Newey-West standard errors (Jaffe 1974; Mandelker 1974; Fama 1998)."""
    from eventstudy.errors import UnknownEventError
    from eventstudy.events import load_events
    from eventstudy.study.calendar_time import calendar_time as build
    from eventstudy.study.pooled import run_many

    ids = list(event_ids or [])
    if not ids and tag is None:
        raise fail(UnknownEventError("give an event id (see 'eventstudy list') or --tag TAG"))
    secs = [s.strip() for s in securities.split(",") if s.strip()] if securities else None
    options = {"prices": prices, "source": source, "cache_dir": cache_dir}

    def study() -> CalendarTimeResult:
        calendar = load_events(events)
        pooled = run_many(ids, tag=tag, securities=secs, events=calendar, bootstrap=0,
                          **options)
        return build(pooled, horizon=horizon, start=start,
                     weights=weights,  # type: ignore[arg-type]  # checked by calendar_time
                     market=market, factors=factors, lags=lags, monthly_lags=monthly_lags,
                     returns=returns,  # type: ignore[arg-type]
                     events=calendar, **options)

    try:
        result = with_price_warnings(study)()
    except EventStudyError as exc:
        raise fail(exc) from None
    if format is Format.json:
        sys.stdout.write(result.to_json() + "\n")
    elif format is Format.csv:
        result.to_frame().to_csv(sys.stdout, index=False)
    else:
        from eventstudy.present.terminal_calendar import render_calendar_time

        console().print(render_calendar_time(result))
