"""The calls into yfinance: one history request with a deadline and yfinance's logging and cache
kept quiet, and Yahoo's bars turned into exchange-local dates and a price frame (closes, open,
high, low and volume). Used by
:class:`~eventstudy.prices.yahoo.YahooSource`.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.errors import PriceDataError
from eventstudy.prices import validate

#: Seconds allowed for one request to Yahoo.
TIMEOUT = 10.0
#: A whole fetch (yfinance makes several requests: cookie, crumb, time zone, prices, and
#: retries transient errors) is abandoned after this many times ``timeout``.
DEADLINE_FACTOR = 3.0

Fetcher = Callable[[str, pd.Timestamp, pd.Timestamp, float], pd.DataFrame]


class YahooNoDataError(PriceDataError):
    """Yahoo answered but has no prices for the ticker in the range."""


class YahooUnreachableError(Exception):
    """Yahoo could not be reached (network, DNS, timeout, rate limit)."""


def local_dates(index: pd.DatetimeIndex, tz: str | None = None) -> pd.DatetimeIndex:
    """Exchange-local dates of Yahoo's bar time stamps.

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Time stamps, tz-aware (Yahoo) or naive (already local dates).
    tz : str, optional
        The exchange's time zone (e.g. ``"Asia/Tokyo"``); default the index's own.

    Returns
    -------
    pandas.DatetimeIndex
        Tz-naive midnights named ``"date"``.

    Examples
    --------
    >>> utc = pd.DatetimeIndex(["2026-01-06 15:00"], tz="UTC")  # Tokyo midnight, 7 January
    >>> local_dates(utc, "Asia/Tokyo")[0].date()
    datetime.date(2026, 1, 7)
    """
    index = pd.DatetimeIndex(index)
    if index.tz is not None:
        if tz is not None:
            index = index.tz_convert(tz)
        index = index.tz_localize(None)
    return index.normalize().as_unit("ns").rename("date")


def exchange_tz(ticker: str) -> str | None:
    """The time zone of the ticker's exchange, or None when it cannot be inferred."""
    code = validate.exchange_of(ticker)
    if code is None:
        return None
    from eventstudy.sessions import exchange_tz as tz_of

    return str(tz_of(code))


#: Yahoo's columns besides the closes, kept in the cache (lower case, as in the cache file).
OHLCV = ("open", "high", "low", "volume")


def to_prices(frame: pd.DataFrame, ticker: str) -> pd.DataFrame:
    """Turn a yfinance history frame into a price frame on exchange-local dates.

    Accepts ``Ticker.history`` frames (columns ``Close``, ``Adj Close``, ``Open``, ``High``,
    ``Low``, ``Volume``) and single-ticker ``yf.download`` frames (two-level columns). Rows
    without a close are dropped.

    The result has the columns ``close``, ``adj_close``, ``open``, ``high``, ``low`` and
    ``volume`` (all ``float64``; NaN where the answer has no value, or no such column). With
    ``auto_adjust=False`` (:func:`yf_history`) ``open``, ``high``, ``low`` and ``close`` are on
    one basis: as Yahoo publishes them, adjusted for splits but not for dividends (``Volume``
    too is split-adjusted by Yahoo); only ``adj_close`` is dividend-adjusted. So a high/low
    range is read against ``close``, never against ``adj_close``. A price cell that is not a
    positive finite number (Yahoo's occasional ``0`` open or high) and a negative or
    non-finite volume are taken as no value that day (NaN); a volume of ``0`` is kept (an
    index's all-zero volume is refused when it is read, by
    :meth:`~eventstudy.prices.yahoo.YahooSource.load_column`).

    Raises
    ------
    PriceDataError
        When the frame has no ``Close`` column, or the dates are duplicated after conversion
        (see :func:`eventstudy.prices.validate.clean`).
    """
    if isinstance(frame.columns, pd.MultiIndex):
        level = next((i for i in range(frame.columns.nlevels)
                      if ticker in frame.columns.get_level_values(i)), None)
        frame = frame.xs(ticker, axis=1, level=level) if level is not None else frame
        frame.columns = [str(c[0]) if isinstance(c, tuple) else str(c) for c in frame.columns]
    names = {str(c).strip().lower().replace(" ", "_"): c for c in frame.columns}
    if "close" not in names:
        raise PriceDataError(f"Yahoo answer for {ticker} has no Close column "
                             f"({', '.join(map(str, frame.columns))})")

    def numbers(name: str) -> np.ndarray:
        if name not in names:
            return np.full(len(frame), np.nan)
        return pd.to_numeric(frame[names[name]], errors="coerce").to_numpy(np.float64)

    close = numbers("close")
    adj = numbers("adj_close") if "adj_close" in names else close
    columns = {"close": close, "adj_close": adj}
    with np.errstate(invalid="ignore"):
        for name in OHLCV:
            values = numbers(name)
            bad = ~np.isfinite(values) | (values < 0 if name == "volume" else values <= 0)
            columns[name] = np.where(bad, np.nan, values)
    index = local_dates(pd.DatetimeIndex(frame.index), exchange_tz(ticker))
    out = pd.DataFrame(columns, index=index)
    out = out[np.isfinite(out["close"].to_numpy())]
    if out.empty:
        return out
    validate.clean(out["adj_close"].fillna(out["close"]), ticker, "Yahoo Finance")
    return out.sort_index()


@contextlib.contextmanager
def _quiet_yfinance() -> Iterator[None]:
    """yfinance logs network failures itself; we report them in one line instead."""
    logger = logging.getLogger("yfinance")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def _yf_cache_location(directory: Path) -> None:
    """Point yfinance's time-zone/cookie caches inside our cache folder."""
    import yfinance as yf

    target = directory / "yfinance"
    with contextlib.suppress(OSError):
        target.mkdir(parents=True, exist_ok=True)
        yf.set_tz_cache_location(str(target))


def yf_history(ticker: str, start: pd.Timestamp, end: pd.Timestamp,
               timeout: float = TIMEOUT) -> pd.DataFrame:
    """Fetch daily bars ``start..end`` (both inclusive) with ``yfinance.Ticker.history``.

    ``Close`` as Yahoo publishes it (not dividend-adjusted; Yahoo adjusts it for splits) and
    the adjusted ``Adj Close`` (``auto_adjust=False``), with ``Open``, ``High``, ``Low`` and
    ``Volume`` on the basis of ``Close`` (see :func:`to_prices`); no actions.

    Raises
    ------
    YahooUnreachableError
        Network failure, DNS error, timeout or rate limit (the reason in one line).
    YahooNoDataError
        Yahoo answered without prices (unknown ticker, nothing in the range).
    """
    import yfinance as yf
    from yfinance import exceptions as yfe

    def call() -> pd.DataFrame:
        kwargs: dict[str, Any] = {
            "start": f"{start:%Y-%m-%d}", "end": f"{end + pd.Timedelta(days=1):%Y-%m-%d}",
            "interval": "1d", "auto_adjust": False, "actions": False, "timeout": timeout,
        }
        debug = getattr(getattr(yf, "config", None), "debug", None)
        if debug is None or not hasattr(debug, "hide_exceptions"):  # yfinance < 1.0
            return yf.Ticker(ticker).history(**kwargs, raise_errors=True)
        hide = debug.hide_exceptions  # yfinance >= 1.0: raise instead of logging
        debug.hide_exceptions = False
        try:
            return yf.Ticker(ticker).history(**kwargs)
        finally:
            debug.hide_exceptions = hide

    with _quiet_yfinance():
        try:
            frame = _within(call, timeout * DEADLINE_FACTOR)
        except yfe.YFRateLimitError:
            raise YahooUnreachableError("rate limited by Yahoo; try again later") from None
        except (yfe.YFPricesMissingError, yfe.YFTickerMissingError, yfe.YFTzMissingError) as exc:
            raise YahooNoDataError(f"Yahoo Finance has no prices for {ticker} "
                                   f"({start:%Y-%m-%d}..{end:%Y-%m-%d}): {exc}") from None
        except OSError as exc:  # curl_cffi's DNS, connection and timeout errors
            raise YahooUnreachableError(_short(exc)) from None
        except ValueError as exc:  # e.g. JSONDecodeError: the answer was cut off
            raise YahooUnreachableError(f"unreadable answer from Yahoo Finance, "
                                        f"{_short(exc)}") from None
        except yfe.YFException as exc:
            raise YahooUnreachableError(_short(exc)) from None
    if frame is None or frame.empty:
        raise YahooNoDataError(f"Yahoo Finance returned no prices for {ticker} "
                               f"({start:%Y-%m-%d}..{end:%Y-%m-%d})")
    return frame


def _within(call: Callable[[], pd.DataFrame], seconds: float) -> pd.DataFrame:
    """Run `call` in a daemon thread; give up after `seconds` (the thread is left behind)."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target, name="eventstudy-yahoo", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise YahooUnreachableError(f"no answer from Yahoo Finance within {seconds:g} s")
    if "error" in box:
        raise box["error"]
    return box["value"]


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    text = text.split(" See https://")[0]
    return f"{type(exc).__name__}: {text}"[:200]
