"""``eventstudy data``: fetch prices from Yahoo into the cache, inspect a series, import CSVs.

- ``eventstudy data fetch TICKER... [--start --end]``: fetch (only what the cache lacks), with a
  progress bar over the tickers on stderr, then one row per ticker.
- ``eventstudy data show TICKER``: coverage of one series, read from the source ``run`` would
  use (``--prices``, ``--source``, ``$EVENTSTUDY_SOURCE``, the events file's ``[defaults]
  source``, else the embedded dataset; ``--cache-dir`` alone means the cache): first/last
  date, sessions missing against the exchange calendar, zero-return streaks, largest moves,
  validation issues and the cache metadata. Never uses the network (``yahoo`` reads the cache).
- ``eventstudy data import DIR``: validate every ``DIR/*.csv`` and put them into the cache.
- ``eventstudy data list``: the source's tickers with their coverage; ``data panel``: the wide
  log-return Parquet the batch command reads (:mod:`~eventstudy.cli.data_show`,
  :mod:`~eventstudy.cli.data_panel`).

Errors are one line on stderr and exit status 2, like the rest of the CLI.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from eventstudy.cli.common import console, fail, price_warnings
from eventstudy.cli.data_panel import panel
from eventstudy.cli.data_show import list_tickers, show
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


data_app.command("show")(show)
data_app.command("list")(list_tickers)
data_app.command("panel")(panel)
