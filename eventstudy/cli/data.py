"""``eventstudy data``: fetch prices from Yahoo into the cache, inspect a series, import CSVs.

- ``eventstudy data fetch TICKER... [--start --end]``: fetch (only what the cache lacks), with a
  progress bar over the tickers on stderr, then one row per ticker.
- ``eventstudy data show TICKER``: coverage of one series, read from the source ``run`` would
  use (``--prices``, ``--source``, ``$EVENTSTUDY_SOURCE``, the events file's ``[defaults]
  source``, else the embedded dataset; ``--cache-dir`` alone means the cache): first/last
  date, sessions missing against the exchange calendar, zero-return streaks, largest moves,
  validation issues and the cache metadata. Never uses the network (``yahoo`` reads the cache).
- ``eventstudy data import DIR``: validate every ``DIR/*.csv`` and put them into the cache.

Errors are one line on stderr and exit status 2, like the rest of the CLI.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from eventstudy.cli.common import console, fail, price_warnings
from eventstudy.errors import EventStudyError, PriceDataError

data_app = typer.Typer(
    help="Prices: fetch from Yahoo Finance into the cache, show a series, import CSV files.",
    no_args_is_help=True,
)

CacheDirOption = Annotated[
    Path | None,
    typer.Option("--cache-dir", help="Price cache folder (default $EVENTSTUDY_CACHE_DIR, else "
                 "the user cache directory)."),
]


def _date(value: str | None, option: str) -> Any:
    if value is None:
        return None
    import pandas as pd

    try:
        return pd.Timestamp(value).normalize()
    except ValueError:
        raise fail(f"{option} {value!r} is not a date; write it YYYY-MM-DD") from None


@data_app.command("fetch")
def fetch(
    tickers: Annotated[list[str], typer.Argument(help="Yahoo tickers, e.g. 7203.T LYC.AX ^N225.")],
    start: Annotated[str | None, typer.Option("--start", help="First date (default: 3 years "
                                              "ago).")] = None,
    end: Annotated[str | None, typer.Option("--end", help="Last date (default: today).")] = None,
    cache_dir: CacheDirOption = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds per request.")] = 10.0,
) -> None:
    """Fetch adjusted daily prices from Yahoo Finance into the cache (only missing dates)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from eventstudy.prices import validate
    from eventstudy.prices.yahoo import YahooSource, fetch_many

    lo, hi = _date(start, "--start"), _date(end, "--end")
    if lo is not None and hi is not None and lo > hi:
        raise fail(f"--start {start} is after --end {end}")
    source = YahooSource(cache_dir, start=lo, end=hi, timeout=timeout)
    names = list(dict.fromkeys(tickers))
    err = Console(stderr=True)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task("fetching", total=len(names))

        def advance(ticker: str) -> None:
            bar.update(task, advance=1, description=f"fetched {ticker}")

        with price_warnings():
            results = fetch_many(source, names, lo, hi, progress=advance)
    table = Table(title=f"Price cache {source.cache.directory}", title_justify="left")
    for column in ("ticker", "rows", "first", "last", "checks"):
        table.add_column(column, no_wrap=column != "checks", overflow="fold")
    failed = []
    for ticker, entry in results.items():
        if isinstance(entry, EventStudyError):
            failed.append(f"{ticker}: {entry}")
            table.add_row(ticker, "", "", "", f"[red]{entry}")
            continue
        series = entry.series
        issues = validate.check(series.rename(ticker), validate.exchange_of(ticker))
        table.add_row(ticker, str(len(series)), f"{series.index[0]:%Y-%m-%d}",
                      f"{series.index[-1]:%Y-%m-%d}", validate.summary(issues))
    if len(failed) == len(results):  # nothing fetched: one line, no empty table
        more = (f"; {len(failed) - 1} other ticker(s) failed too: "
                f"{', '.join(f.split(':')[0] for f in failed[1:])}" if len(failed) > 1 else "")
        raise fail(failed[0].split(": ", 1)[1] + more)
    console().print(table)
    if failed:
        raise fail(f"{len(failed)} of {len(results)} ticker(s) failed: " + "; ".join(failed))


def _show_source(prices: Path | None, source: str | None, embedded: bool,
                 cache_dir: Path | None, events: Path | None) -> tuple[Any, str]:
    """The source ``data show`` reads, and why it was chosen (for the ``from`` row).

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
    calendar = None
    if events is not None:  # an explicit --events is read (a wrong path is an error), as in run
        from eventstudy.events import load_events

        calendar = load_events(events)
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
        if calendar is None:
            from eventstudy.events import load_events

            calendar = load_events(None)
        default = calendar.source
        why = (f"[defaults] source in {calendar.path}" if default else
               f"default source; --source or ${SOURCE_ENV} changes it")
    return open_source(prices, source=source, cache_dir=cache_dir, default=default), why


@data_app.command("show")
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
    from eventstudy.prices import CsvDirectorySource, EmbeddedSource, validate
    from eventstudy.prices.cache import describe_age
    from eventstudy.prices.source import check_ticker

    meta: dict[str, Any] | None = None
    try:
        chosen, why = _show_source(prices, source, embedded, cache_dir, events)
        if isinstance(chosen, CsvDirectorySource):
            series = chosen.load(ticker)
            where = f"{prices}/{ticker}.csv"
            origin = f"{where} ({why})"
        elif isinstance(chosen, EmbeddedSource):
            if not chosen.has(ticker):
                check_ticker(ticker, chosen.name)
                raise PriceDataError(
                    f"no prices for {ticker} in the embedded dataset ({why}); "
                    f"to show other prices run 'eventstudy data fetch {ticker}' then 'eventstudy "
                    f"data show {ticker} --source yahoo', or pass --prices DIR with a "
                    f"{ticker}.csv file; the embedded dataset holds "
                    f"{', '.join(chosen.tickers())}")
            series = chosen.load(ticker)
            where = "embedded dataset"
            origin = f"{where} ({why})"
        else:  # YahooSource, --source yahoo or cache: the cache as it is, never fetched
            cache = chosen.cache
            entry = cache.read(ticker)
            if entry is None:
                raise PriceDataError(
                    f"{ticker} is not in the price cache {cache.directory} ({why}); run "
                    f"'eventstudy data fetch {ticker}' first, or pass --source "
                    "embedded (or --prices DIR)")
            series, meta, where = entry.series, entry.meta, str(cache.csv_path(ticker))
            note = "" if chosen.offline else "; as cached: data show never fetches"
            origin = f"price cache {where} ({why}{note})"
        series, issues = validate.clean(series, ticker, where)
        code = exchange or validate.exchange_of(ticker)
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
    head.add_row("ticker", ticker)
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


@data_app.command("import")
def import_(
    directory: Annotated[Path, typer.Argument(help="Folder of <TICKER>.csv price files.")],
    cache_dir: CacheDirOption = None,
) -> None:
    """Validate every DIR/*.csv and put them into the cache (all or nothing)."""
    import datetime as dt

    from eventstudy.prices import CsvDirectorySource
    from eventstudy.prices.cache import PriceCache

    try:
        source = CsvDirectorySource(directory)
        tickers = source.tickers()
        if not tickers:
            raise PriceDataError(f"{directory} holds no .csv files; nothing to import")
        loaded = {t: source.load(t) for t in tickers}  # every file first: one bad, none written
        cache = PriceCache(cache_dir)
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        table = Table(title=f"Imported into {cache.directory}", title_justify="left")
        for column in ("ticker", "rows", "first", "last"):
            table.add_column(column)
        for ticker, series in loaded.items():
            frame = series.to_frame("close").assign(adj_close=series.to_numpy())
            cache.write(ticker, frame, {
                "source": f"import {source.path(ticker).resolve()}", "fetched_at": now,
                "yfinance": None, "adjusted": None,
                "start": f"{series.index[0]:%Y-%m-%d}", "end": f"{series.index[-1]:%Y-%m-%d}",
            })
            table.add_row(ticker, str(len(series)), f"{series.index[0]:%Y-%m-%d}",
                          f"{series.index[-1]:%Y-%m-%d}")
    except EventStudyError as exc:
        raise fail(str(exc)) from None
    except OSError as exc:
        raise fail(f"cannot write the cache: {exc}") from None
    console().print(table)
