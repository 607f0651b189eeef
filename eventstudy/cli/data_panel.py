"""``eventstudy data panel --out returns.parquet [--tickers ...]``: the wide panel of log
returns that ``eventstudy batch`` reads, from the prices ``run`` reads.

One row per date (the union of the series' dates, the column ``date``), one float column per
series; each series' return is taken between its consecutive prices (trade to trade), so a
date on which a series has no price is NaN, and its next return spans the gap, as the batch
engine reads a missing value. Names may be tickers or the events file's aliases (a basket
gives its level's returns). Registered on the ``data`` group in :mod:`eventstudy.cli.data`.

``--measure volume``: the same rows and columns (each series on the dates of its returns),
holding V = log(1 + volume) from the source's volume column
(:func:`eventstudy.prices.columns.load_column`), NaN where a date has a close but no volume;
what ``eventstudy batch --measure volume`` reads. A name without volume (an index such as
``^TOPX``), or a basket, is refused with one line naming it.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from eventstudy.cli.common import fail
from eventstudy.cli.data_show import (
    SourceCacheOption,
    SourceEventsOption,
    SourceOption,
    SourcePricesOption,
    _Reader,
    chosen_source,
)
from eventstudy.errors import EventStudyError, PriceDataError

if TYPE_CHECKING:
    import pandas as pd

    from eventstudy.study.series import Named



def panel(
    out: Annotated[Path, typer.Option("--out", help="The Parquet file to write (whole or "
                                      "not at all).", show_default=False)],
    tickers: Annotated[str | None, typer.Option(
        "--tickers", help="Comma-separated tickers or aliases (default: every ticker of the "
                          "source).")] = None,
    source: SourceOption = None,
    events: SourceEventsOption = None,
    cache_dir: SourceCacheOption = None,
    prices: SourcePricesOption = None,
    measure: Annotated[str, typer.Option(
        "--measure", help="returns (log returns), or volume: log(1 + volume) on the same "
                          "dates, from the source's volume column.")] = "returns",
) -> None:
    """Write the wide log-return (or log volume) Parquet panel that 'eventstudy batch' reads."""
    import numpy as np
    import pandas as pd

    from eventstudy._atomic import atomic_write
    from eventstudy.prices import validate
    from eventstudy.study.batch.inputs import MEASURES  # what a batch panel can hold
    from eventstudy.study.series import named_prices

    if out.suffix.lower() != ".parquet":
        raise fail(f"--out {out}: give a .parquet file")
    if not out.parent.is_dir():
        raise fail(f"--out {out}: folder {out.parent} does not exist")
    if measure not in MEASURES:
        raise fail(f"--measure {measure!r}: give returns or volume")
    try:
        chosen, why, calendar = chosen_source(prices, source, False, cache_dir, events)
        reader = _Reader(chosen, why, prices)
        names = ([t.strip() for t in tickers.split(",") if t.strip()] if tickers
                 else chosen.tickers())
        if not names:
            raise fail("--tickers names no ticker")
        columns = {}
        for name in dict.fromkeys(names):
            named = named_prices(calendar, name, reader.load, validate.exchange_of)
            returns = np.log(named.prices).diff().iloc[1:]
            columns[name] = (returns if measure == "returns" else
                             _log_volume(chosen, name, named, returns.index))
    except EventStudyError as exc:
        raise fail(str(exc)) from None
    frame = pd.DataFrame(columns).sort_index().astype("float64")
    frame.index = pd.DatetimeIndex(frame.index, name="date").as_unit("ns")
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    try:
        atomic_write(out, buffer.getvalue())
    except OSError as exc:
        raise fail(f"--out {out}: cannot write ({exc.strerror or exc})") from None
    print(f"wrote {out}: {len(frame.columns)} series, {len(frame)} dates "
          f"({frame.index[0]:%Y-%m-%d} to {frame.index[-1]:%Y-%m-%d}), "
          f"{'log returns' if measure == 'returns' else 'log(1 + volume)'} from {reader.name}",
          file=sys.stderr)


def _log_volume(source: Any, name: str, named: Named, dates: pd.DatetimeIndex) -> pd.Series:
    """V = log(1 + volume) of the series ``name`` on ``dates`` (its returns' dates), NaN where
    a date has no volume; a PriceDataError naming it when it has none, or is a basket."""
    import numpy as np

    from eventstudy.prices.columns import MissingColumnError, load_column

    security = named.security
    if security is not None and security.basket:
        raise PriceDataError(f"--measure volume: {name} is a basket; its volume panel is not "
                             "written (give its members' tickers)")
    ticker = name if security is None else security.ticker
    try:
        volume = load_column(source, ticker, "volume")
    except MissingColumnError:
        raise PriceDataError(f"--measure volume: {ticker} has no volume in "
                             f"{getattr(source, 'name', 'the source')}; leave it out of "
                             "--tickers") from None
    return np.log1p(volume.reindex(dates))
