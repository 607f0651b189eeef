"""``eventstudy data panel --out returns.parquet [--tickers ...]``: the wide panel of log
returns that ``eventstudy batch`` reads, from the prices ``run`` reads.

One row per date (the union of the series' dates, the column ``date``), one float column per
series; each series' return is taken between its consecutive prices (trade to trade), so a
date on which a series has no price is NaN, and its next return spans the gap, as the batch
engine reads a missing value. Names may be tickers or the events file's aliases (a basket
gives its level's returns). Registered on the ``data`` group in :mod:`eventstudy.cli.data`.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Annotated

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
from eventstudy.errors import EventStudyError


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
) -> None:
    """Write the wide log-return Parquet panel that 'eventstudy batch' reads."""
    import numpy as np
    import pandas as pd

    from eventstudy._atomic import atomic_write
    from eventstudy.prices import validate
    from eventstudy.study.series import named_prices

    if out.suffix.lower() != ".parquet":
        raise fail(f"--out {out}: give a .parquet file")
    if not out.parent.is_dir():
        raise fail(f"--out {out}: folder {out.parent} does not exist")
    try:
        chosen, why, calendar = chosen_source(prices, source, False, cache_dir, events)
        reader = _Reader(chosen, why, prices)
        names = ([t.strip() for t in tickers.split(",") if t.strip()] if tickers
                 else chosen.tickers())
        if not names:
            raise fail("--tickers names no ticker")
        columns = {}
        for name in dict.fromkeys(names):
            series = named_prices(calendar, name, reader.load, validate.exchange_of).prices
            columns[name] = np.log(series).diff().iloc[1:]
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
          f"({frame.index[0]:%Y-%m-%d} to {frame.index[-1]:%Y-%m-%d}), log returns from "
          f"{reader.name}", file=sys.stderr)
