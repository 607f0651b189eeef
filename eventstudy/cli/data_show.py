"""``eventstudy data show NAME`` and ``eventstudy data list``: one series' coverage and checks,
and the tickers of a source with theirs; read from the source ``run`` would use (see
:func:`chosen_source`), never from the network. ``show`` takes the events file's aliases: a
security shows its ticker's prices, a basket its level (:mod:`eventstudy.study.series`).
Registered on the ``data`` group in :mod:`eventstudy.cli.data`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from eventstudy.cli.common import console, fail
from eventstudy.errors import EventStudyError, PriceDataError


def chosen_source(prices: Path | None, source: str | None, embedded: bool,
                  cache_dir: Path | None, events: Path | None) -> tuple[Any, str, Any]:
    """The source ``data show`` reads, why it was chosen (for the ``from`` row), and the
    events file (its aliases name series too).

    The choice is ``run``'s (:func:`~eventstudy.prices.open_source` makes it and checks it):
    ``--prices``, ``--source`` (``--embedded`` is its old spelling), ``$EVENTSTUDY_SOURCE``,
    the events file's ``[defaults] source``, else the embedded dataset. One exception keeps
    ``data show X --cache-dir DIR`` working: ``--cache-dir`` with no source named anywhere
    before the events file means ``--source cache``.
    """
    from eventstudy.prices import SOURCE_ENV, open_source

    if embedded:
        if source not in (None, "embedded"):
            raise PriceDataError(f"--embedded and --source {source} both name a price source; "
                                 "pass one of them (--embedded is the old spelling of "
                                 "--source embedded)")
        source = "embedded"
    from eventstudy.events import load_events

    calendar = load_events(events)  # an explicit --events that is wrong is an error, as in run
    default = None
    if prices is not None:
        why = "--prices"
    elif source is not None:
        why = "--embedded" if embedded else f"--source {source}"
    elif os.environ.get(SOURCE_ENV, "").strip():
        why = f"${SOURCE_ENV}"
    elif cache_dir is not None:
        source, why = "cache", "--cache-dir"
    else:
        default = calendar.source
        why = (f"[defaults] source in {calendar.path}" if default else
               f"default source; --source or ${SOURCE_ENV} changes it")
    chosen = open_source(prices, source=source, cache_dir=cache_dir, default=default)
    return chosen, why, calendar


class _Reader:
    """One ticker's prices from the chosen source, as ``data show`` reads them: the price
    cache as it is (never fetched), and messages that say where else to look; ``where``,
    ``origin`` and ``meta`` describe the last one read."""

    def __init__(self, chosen: Any, why: str, prices: Path | None) -> None:
        from eventstudy.prices import CsvDirectorySource, EmbeddedSource

        self.chosen, self.why, self.prices = chosen, why, prices
        self.kind = ("csv" if isinstance(chosen, CsvDirectorySource) else
                     "embedded" if isinstance(chosen, EmbeddedSource) else "cache")
        self.name = str(getattr(chosen, "name", "the source"))
        self.where, self.origin, self.meta = "", "", None

    def load(self, ticker: str) -> Any:
        from eventstudy.prices.source import check_ticker

        chosen, why = self.chosen, self.why
        self.meta = None
        if self.kind == "csv":
            series = chosen.load(ticker)
            self.where = f"{self.prices}/{ticker}.csv"
            self.origin = f"{self.where} ({why})"
            return series
        if self.kind == "embedded":
            if not chosen.has(ticker):
                check_ticker(ticker, chosen.name)
                raise PriceDataError(
                    f"no prices for {ticker} in the embedded dataset ({why}); to show other "
                    f"prices run 'eventstudy data fetch {ticker}' then 'eventstudy data show "
                    f"{ticker} --source yahoo', or pass --prices DIR with a {ticker}.csv file; "
                    f"the embedded dataset holds {', '.join(chosen.tickers())} (and the "
                    "events file's aliases)")
            self.where = "embedded dataset"
            self.origin = f"{self.where} ({why})"
            return chosen.load(ticker)
        cache = chosen.cache  # YahooSource, --source yahoo or cache: never fetched
        entry = cache.read(ticker)
        if entry is None:
            raise PriceDataError(
                f"{ticker} is not in the price cache {cache.directory} ({why}); run "
                f"'eventstudy data fetch {ticker}' first, or pass --source embedded (or "
                "--prices DIR)")
        self.meta, self.where = entry.meta, str(cache.csv_path(ticker))
        note = "" if chosen.offline else "; as cached: data show never fetches"
        self.origin = f"price cache {self.where} ({why}{note})"
        return entry.series


def show(
    ticker: Annotated[str, typer.Argument(help="The ticker, e.g. 7203.T.")],
    source: Annotated[str | None, typer.Option(
        "--source", metavar="[embedded|yahoo|cache]",
        help="Where to read the series, as for 'run' (default $EVENTSTUDY_SOURCE, else the "
             "events file's source, else embedded); yahoo and cache both read the price "
             "cache, never the network.")] = None,
    events: Annotated[Path | None, typer.Option(
        "--events", help="Events file whose \\[defaults] source is used (default "
                         "./events.toml, else the packaged one).")] = None,
    cache_dir: Annotated[Path | None, typer.Option(
        "--cache-dir", help="Price cache folder for yahoo/cache (default "
                            "$EVENTSTUDY_CACHE_DIR, else the user cache directory); given "
                            "without a source, it means --source cache.")] = None,
    prices: Annotated[Path | None, typer.Option("--prices", help="Read DIR/<TICKER>.csv "
                                                "(takes precedence over --source).")] = None,
    embedded: Annotated[bool, typer.Option("--embedded", help="Deprecated: same as --source "
                                           "embedded.")] = False,
    exchange: Annotated[str | None, typer.Option("--exchange", help="exchange_calendars code "
                                                 "(default: inferred from the ticker).")] = None,
    max_gap: Annotated[int, typer.Option("--max-gap", help="Report runs of more missing "
                                         "sessions than this.")] = 5,
    stale_run: Annotated[int, typer.Option("--stale-run", help="Report this many or more "
                                           "zero returns in a row.")] = 5,
) -> None:
    """Coverage and checks of one price series, from the source 'run' uses (no network)."""
    from eventstudy.prices import validate
    from eventstudy.prices.cache import describe_age
    from eventstudy.study.series import named_prices

    try:
        chosen, why, calendar = chosen_source(prices, source, embedded, cache_dir, events)
        reader = _Reader(chosen, why, prices)
        named = named_prices(calendar, ticker, reader.load, validate.exchange_of)
        series = named.prices
        if named.security is not None and named.security.basket:
            where = f"{len(named.security.basket)} members in {reader.name}"
            origin, meta = f"{where} ({why})", None
        else:
            where, origin, meta = reader.where, reader.origin, reader.meta
        series, issues = validate.clean(series, series.name or ticker, where)
        code = exchange or named.exchange
        issues += validate.check(series, code, max_gap=max_gap, stale_run=stale_run)
        coverage = _coverage(series, code)
    except EventStudyError as exc:
        raise fail(str(exc)) from None
    if embedded:
        print("warning: --embedded is deprecated; use --source embedded", file=sys.stderr)

    out = console()
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    head.add_row("ticker", escape(named.label))
    head.add_row("from", escape(origin))  # "[defaults] source in ...": text, not markup
    head.add_row("rows", str(len(series)))
    head.add_row("first .. last", f"{series.index[0]:%Y-%m-%d} .. {series.index[-1]:%Y-%m-%d}")
    head.add_row("exchange", code or "unknown (calendar checks skipped; pass --exchange)")
    if coverage["missing"] is not None:
        shown = ", ".join(f"{d:%Y-%m-%d}" for d in coverage["missing"][:10])
        more = " ..." if len(coverage["missing"]) > 10 else ""
        head.add_row("sessions missing", f"{len(coverage['missing'])} of "
                     f"{coverage['sessions']} ({shown}{more})" if shown else
                     f"0 of {coverage['sessions']}")
    head.add_row("longest zero-return run", f"{coverage['zero_run']} session(s)")
    if meta is not None:
        from eventstudy.prices.cache import CacheEntry

        age = describe_age(CacheEntry(series.to_frame(), meta).age())
        head.add_row("cache", f"source {meta['source']}, fetched {meta['fetched_at']} "
                     f"({age} ago), yfinance {meta.get('yfinance')}, adjusted "
                     f"{meta['adjusted']}, range asked {meta['start']}..{meta['end']}")
    out.print(head)

    moves = Table(title="Largest one-day moves (ranked by |log return|)", title_justify="left")
    for column in ("date", "previous", "close", "return"):
        moves.add_column(column, justify="right" if column != "date" else "left")
    for date, prev, close, ret in coverage["moves"]:
        moves.add_row(f"{date:%Y-%m-%d}", f"{prev:g}", f"{close:g}", f"{ret:+.2%}")
    out.print(moves)

    checks = Table(title="Checks", title_justify="left")
    for column in ("kind", "severity", "message"):
        checks.add_column(column, overflow="fold", no_wrap=column != "message")
    for issue in issues:
        style = "red" if issue.severity == "error" else "yellow"
        checks.add_row(issue.kind, f"[{style}]{issue.severity}", issue.message)
    if not issues:
        checks.add_row("", "", "no issues")
    out.print(checks)


def _coverage(series: Any, code: str | None) -> dict[str, Any]:
    """Missing sessions, longest zero-return run and the 5 largest moves of `series`."""
    import numpy as np

    from eventstudy.prices import validate
    from eventstudy.sessions import sessions_in_range

    missing, n_sessions = None, None
    if code is not None:
        inside = sessions_in_range(code, series.index[0], series.index[-1])
        missing = inside[~inside.isin(series.index)]
        n_sessions = len(inside)
    values = series.to_numpy()
    runs = validate._runs(values[1:] == values[:-1])
    zero_run = max((b - a for a, b in runs), default=0)
    ret = np.log(values[1:] / values[:-1])
    order = np.argsort(-np.abs(ret))[:5]
    moves = [(series.index[i + 1], values[i], values[i + 1], float(np.expm1(ret[i])))
             for i in order]
    return {"missing": missing, "sessions": n_sessions, "zero_run": zero_run, "moves": moves}


#: The options that choose the source, as ``run`` chooses it (``data list``, ``data panel``).
SourceOption = Annotated[str | None, typer.Option(
    "--source", metavar="[embedded|yahoo|cache]",
    help="Where the prices are, as for 'run' (yahoo and cache: the price cache, no network).")]
SourceEventsOption = Annotated[Path | None, typer.Option(
    "--events", help="Events file (its aliases, and its \\[defaults] source).")]
SourceCacheOption = Annotated[Path | None, typer.Option(
    "--cache-dir", help="Price cache folder; given without a source, it means --source cache.")]
SourcePricesOption = Annotated[Path | None, typer.Option(
    "--prices", help="A folder of <TICKER>.csv files.")]


def list_tickers(source: SourceOption = None, events: SourceEventsOption = None,
                 cache_dir: SourceCacheOption = None, prices: SourcePricesOption = None) -> None:
    """The tickers of the source 'run' uses, with their coverage (no network)."""
    from eventstudy.prices import validate

    try:
        chosen, why, calendar = chosen_source(prices, source, False, cache_dir, events)
        reader = _Reader(chosen, why, prices)
        rows = []
        for ticker in chosen.tickers():
            series = reader.load(ticker)
            rows.append((ticker, validate.exchange_of(ticker) or "", len(series),
                         f"{series.index[0]:%Y-%m-%d}", f"{series.index[-1]:%Y-%m-%d}"))
    except EventStudyError as exc:
        raise fail(str(exc)) from None
    table = Table(title=f"{len(rows)} tickers in {escape(reader.name)} ({escape(why)})",
                  title_justify="left",
                  caption="'eventstudy data show NAME' also takes the events file's aliases: "
                          + ", ".join(calendar.securities), caption_justify="left")
    for column in ("ticker", "exchange", "rows", "first", "last"):
        table.add_column(column, justify="right" if column == "rows" else "left", no_wrap=True)
    for ticker, code, n, first, last in rows:
        table.add_row(escape(ticker), code, str(n), first, last)
    console().print(table)
