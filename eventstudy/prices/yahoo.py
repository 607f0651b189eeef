"""Prices from Yahoo Finance through yfinance, kept in the on-disk cache.

:class:`YahooSource` answers ``load(ticker)`` from the cache (:mod:`eventstudy.prices.cache`)
after fetching what is missing: the dates before the cached range and after its end, with an
overlap of a few days that must agree with the cache (when Yahoo has re-adjusted the history
for a new dividend or split, the overlap differs and the whole range is fetched again). Prices
are ``Adj Close`` (split- and dividend-adjusted), with ``Close`` kept alongside, and ``Open``,
``High``, ``Low`` and ``Volume`` on the basis of ``Close`` (:meth:`YahooSource.load_column`).

Yahoo's daily bars are time stamps at midnight of the exchange's time zone; they are turned
into exchange-local dates (:func:`local_dates`) before the time zone is dropped, so that a
Tokyo bar stays on its Tokyo date whatever time zone the index arrives in.

When Yahoo cannot be reached (no network, DNS failure, timeout, rate limit) the cache is used
with a warning that says how old it is; without a cache, :class:`~eventstudy.errors.PriceDataError`
says so in one line. After the first failure no other ticker tries the network, so an offline
run costs at most one timeout. The calls into yfinance itself are in
:mod:`eventstudy.prices.yfinance_io`.
"""

from __future__ import annotations

import datetime as dt
import os
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.errors import CalendarError, EventStudyError, PriceDataError
from eventstudy.prices import validate
from eventstudy.prices.cache import CacheCorruptError, CacheEntry, PriceCache, describe_age
from eventstudy.prices.columns import MissingColumnError, check_column_name
from eventstudy.prices.source import check_ticker
from eventstudy.prices.yfinance_io import (
    TIMEOUT,
    Fetcher,
    YahooNoDataError,
    YahooUnreachableError,
    _yf_cache_location,
    local_dates,
    to_prices,
    yf_history,
)

__all__ = [
    "DEFAULT_YEARS",
    "TIMEOUT",
    "PriceDataWarning",
    "YahooNoDataError",
    "YahooSource",
    "YahooUnreachableError",
    "local_dates",
    "to_prices",
    "yf_history",
]

#: Years of history fetched when no range is asked for.
DEFAULT_YEARS = 3
#: Days fetched again before the cached end, to check that adjustments have not changed.
OVERLAP_DAYS = 10
#: Margin in calendar days around the range an event needs.
MARGIN_DAYS = 10


class PriceDataWarning(UserWarning):
    """Prices were used with a caveat (stale cache, refetched file); shown by the CLI."""


def _today() -> pd.Timestamp:
    return pd.Timestamp(dt.datetime.now(dt.UTC).date())


class YahooSource:
    """Prices from Yahoo Finance, cached on disk (see the module docstring).

    Parameters
    ----------
    cache : PriceCache, path or None
        The cache (default :func:`~eventstudy.prices.cache.default_cache_dir`).
    fetch : callable, optional
        ``fetch(ticker, start, end, timeout) -> DataFrame`` in the shape of
        ``Ticker.history``; default :func:`yf_history`. Tests pass a replay of recorded
        answers.
    timeout : float, default TIMEOUT
        Seconds per request.
    offline : bool, default False
        Never use the network: the cache only (``--source cache``).
    start, end : date-like, optional
        Range to cover when no :meth:`want` was given for a ticker (default the last
        ``DEFAULT_YEARS`` years up to today).

    Attributes
    ----------
    name : str
        ``"Yahoo Finance (cache DIR)"``.
    """

    def __init__(
        self,
        cache: PriceCache | str | os.PathLike[str] | None = None,
        *,
        fetch: Fetcher | None = None,
        timeout: float = TIMEOUT,
        offline: bool = False,
        start: Any = None,
        end: Any = None,
    ) -> None:
        self.cache = cache if isinstance(cache, PriceCache) else PriceCache(cache)
        self.timeout = timeout
        self.offline = offline
        self._fetch = fetch
        self.name = (f"the price cache {self.cache.directory}" if offline
                     else f"Yahoo Finance (cache {self.cache.directory})")
        today = _today()
        self.start = pd.Timestamp(start) if start is not None else (
            today - pd.DateOffset(years=DEFAULT_YEARS))
        self.end = pd.Timestamp(end) if end is not None else today
        self._wanted: dict[str, tuple[pd.Timestamp, pd.Timestamp]] = {}
        self._entries: dict[str, CacheEntry] = {}
        self._notes: dict[str, list[str]] = {}
        self._unreachable: str | None = "offline mode (--source cache)" if offline else None

    def __repr__(self) -> str:
        return f"YahooSource({str(self.cache.directory)!r}, offline={self.offline})"

    # -- the PriceSource protocol ------------------------------------------------------------
    def has(self, ticker: str) -> bool:
        """Whether prices for `ticker` are cached or can be fetched.

        Raises
        ------
        PriceDataError
            When Yahoo cannot be reached and the cache has nothing (the message says both).
        """
        try:
            check_ticker(ticker, self.name)
        except PriceDataError:
            return False
        try:
            self._entry(ticker)
        except YahooNoDataError:
            return False
        return True

    def load(self, ticker: str) -> pd.Series:
        """Adjusted closes of `ticker` (fetched first when the cache lacks dates)."""
        series = self._entry(ticker).series
        clean, _ = validate.clean(series, ticker, f"cache file {self.cache.csv_path(ticker)}")
        return clean

    def load_column(self, ticker: str, column: str) -> pd.Series:
        """The cached `column` of `ticker`: ``volume``, ``high``, ``low`` or ``open``.

        On the dates of :meth:`load` (fetched first as for it), days without a value left out;
        a ``0`` volume is kept, but a volume that is ``0`` every day (Yahoo's for indices such
        as ``^TOPX``) is no volume. ``high``, ``low`` and ``open`` are on the basis of the
        cache's ``close`` (as Yahoo publishes it: split- but not dividend-adjusted), not of the
        adjusted closes :meth:`load` gives. An entry written before the cache kept these
        columns (closes only) is fetched again whole, unless offline or Yahoo is unreachable.

        Raises
        ------
        MissingColumnError
            The entry predates the column (the message says to run ``eventstudy data fetch``)
            or was imported with closes only, or the column has no value (a volume: no value
            but ``0``).
        PriceDataError
            When `column` is unknown, or the prices cannot be had (as :meth:`load`).
        """
        check_column_name(column)
        entry = self._entry(ticker)
        if not entry.holds(column) and entry.predates_columns and self._unreachable is None:
            lo, hi = self._wanted.get(ticker, (self.start, self.end))
            entry = self._entries[ticker] = self.update(ticker, lo, hi, upgrade=True)
        if not entry.holds(column):
            raise MissingColumnError(self._no_column_message(ticker, column, entry),
                                     ticker=ticker, column=column, source=self.name)
        values = entry.column(column).rename(ticker)
        why = ("(Yahoo Finance gave none)" if values.empty else
               "(Yahoo Finance gives it 0 on every day, as for indices such as ^TOPX)"
               if column == "volume" and not values.to_numpy().any() else "")
        if why:
            raise MissingColumnError(f"{ticker} has no {column} in {self.name} {why}; use "
                                     f"another series for its {column}", ticker=ticker,
                                     column=column, source=self.name)
        return values

    def tickers(self) -> list[str]:
        """Tickers in the cache."""
        return self.cache.tickers()

    # -- hooks -------------------------------------------------------------------------------
    def want(self, ticker: str, start: Any, end: Any) -> None:
        """Ask for `ticker` to cover ``start..end`` (widens an earlier request)."""
        lo, hi = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
        if ticker in self._wanted:
            lo, hi = min(lo, self._wanted[ticker][0]), max(hi, self._wanted[ticker][1])
        self._wanted[ticker] = (lo, hi)
        self._entries.pop(ticker, None)

    def prepare_event(self, calendar: Any, event: Any) -> None:
        """Ask for every ticker `event` needs, over its estimation and event windows.

        For each pair: from the session before the estimation window to the end of the event
        window, widened by ``MARGIN_DAYS`` calendar days on each side (benchmarks on other
        exchanges are read a day earlier). Pairs whose day 0 cannot be placed are skipped
        here; the study reports them.
        """
        from eventstudy import sessions

        for name in event.securities:
            try:
                security = calendar.security(name)
                settings = calendar.settings(event, security)
                day0 = sessions.day_zero(event.announced, event.timing, security.exchange)
                grid = sessions.sessions_at(security.exchange, day0.session,
                                            settings.estimation[0] - 1, settings.window[1])
            except (EventStudyError, CalendarError):
                continue
            lo = grid[0] - pd.Timedelta(days=MARGIN_DAYS)
            hi = grid[-1] + pd.Timedelta(days=MARGIN_DAYS)
            tickers = list(security.basket) or [security.ticker]
            tickers += [t for t in (security.benchmark,) if t]
            tickers += list(getattr(settings, "factors", None) or ())
            for ticker in tickers:
                self.want(ticker, lo, hi)

    def notes(self, ticker: str) -> tuple[str, ...]:
        """Caveats about where `ticker`'s prices came from (e.g. a stale cache)."""
        return tuple(self._notes.get(ticker, ()))

    # -- fetching ----------------------------------------------------------------------------
    def update(self, ticker: str, start: Any = None, end: Any = None, *,
               upgrade: bool = False) -> CacheEntry:
        """Make the cache cover ``start..end`` for `ticker`, fetching only what is missing.

        With `upgrade` (``eventstudy data fetch``), an entry that predates open, high, low and
        volume in the cache is fetched again whole even when it covers the range.

        Returns
        -------
        CacheEntry
            The cached prices (possibly older than asked when Yahoo cannot be reached).

        Raises
        ------
        PriceDataError
            Yahoo unreachable and nothing cached; invalid prices from Yahoo (nothing written).
        YahooNoDataError
            Yahoo has no prices for `ticker` and nothing is cached.
        """
        lo = pd.Timestamp(start).normalize() if start is not None else self.start
        hi = min(pd.Timestamp(end).normalize() if end is not None else self.end, _today())
        entry = self._read_cache(ticker)
        if entry is not None and entry.start <= lo and entry.end >= hi and not (
                upgrade and entry.predates_columns):
            return entry
        try:
            if self._unreachable is not None:
                raise YahooUnreachableError(self._unreachable)
            entry = self._fetch_missing(ticker, entry, lo, hi)
        except YahooUnreachableError as exc:
            self._unreachable = str(exc)
            if entry is None:
                raise PriceDataError(self._no_cache_message(ticker, str(exc))) from None
            self._warn(ticker, self._stale_message(ticker, entry, str(exc), lo, hi))
        except YahooNoDataError as exc:
            if entry is None:
                raise
            self._warn(ticker, f"{exc}; using the cached prices "
                               f"({_first_last(entry)})")
        return entry

    def _entry(self, ticker: str) -> CacheEntry:
        if ticker not in self._entries:
            lo, hi = self._wanted.get(ticker, (self.start, self.end))
            self._entries[ticker] = self.update(ticker, lo, hi)
        return self._entries[ticker]

    def _read_cache(self, ticker: str) -> CacheEntry | None:
        try:
            return self.cache.read(ticker)
        except CacheCorruptError as exc:
            moved = self.cache.quarantine(ticker)
            action = ("it cannot be refetched offline" if self._unreachable
                      else "fetching it again")
            self._warn(ticker, f"{exc}; moved to {moved}, {action}")
            return None

    def _fetch_missing(self, ticker: str, entry: CacheEntry | None, lo: pd.Timestamp,
                       hi: pd.Timestamp) -> CacheEntry:
        fetch = self._fetch or yf_history
        if self._fetch is None:
            _yf_cache_location(self.cache.directory)
        if entry is None:
            frames = [to_prices(fetch(ticker, lo, hi, self.timeout), ticker)]
            start, end = lo, hi
        elif entry.predates_columns:  # closes only: fetch the whole range, with open ... volume
            start, end = min(lo, entry.start), max(hi, entry.end)
            frames = [to_prices(fetch(ticker, start, end, self.timeout), ticker)]
        else:
            start, end = min(lo, entry.start), max(hi, entry.end)
            frames = [entry.prices]
            if lo < entry.start:
                frames.append(to_prices(
                    fetch(ticker, lo, entry.start - pd.Timedelta(days=1), self.timeout), ticker))
            if hi > entry.end:
                tail = to_prices(fetch(ticker, entry.end - pd.Timedelta(days=OVERLAP_DAYS), hi,
                                       self.timeout), ticker)
                # compare settled days only: a bar of the fetch day may have been intraday
                if not _agrees(entry.prices.loc[:entry.end], tail):
                    self._warn(ticker, f"{ticker}: Yahoo's adjusted prices changed since the "
                                       "cache was written (a new dividend or split); fetching "
                                       f"the whole range {start:%Y-%m-%d}..{end:%Y-%m-%d} again")
                    frames = [to_prices(fetch(ticker, start, end, self.timeout), ticker)]
                else:
                    frames.append(tail)
        prices = pd.concat([f for f in frames if not f.empty])
        prices = prices[~prices.index.duplicated(keep="last")].sort_index()
        if prices.empty:
            raise YahooNoDataError(f"Yahoo Finance has no prices for {ticker} "
                                   f"({lo:%Y-%m-%d}..{hi:%Y-%m-%d})")
        import yfinance as yf

        meta = {
            "source": "yahoo", "fetched_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "yfinance": getattr(yf, "__version__", None), "adjusted": True,
            # today's bar may still move: the range counts as covered up to yesterday only
            "start": f"{start:%Y-%m-%d}",
            "end": f"{min(end, _today() - pd.Timedelta(days=1)):%Y-%m-%d}",
        }
        return self.cache.write(ticker, prices, meta)

    def _warn(self, ticker: str, message: str) -> None:
        self._notes.setdefault(ticker, []).append(message)
        warnings.warn(message, PriceDataWarning, stacklevel=3)

    def _no_cache_message(self, ticker: str, reason: str) -> str:
        if self.offline:
            return (f"no prices for {ticker} in the price cache {self.cache.directory}; run "
                    f"'eventstudy data fetch {ticker}' with internet access first")
        return (f"no prices for {ticker}: Yahoo Finance cannot be reached ({reason}) and the "
                f"cache {self.cache.directory} has none; connect to the internet and retry, "
                "or use the embedded dataset (--source embedded)")

    def _no_column_message(self, ticker: str, column: str, entry: CacheEntry) -> str:
        source = str(entry.meta.get("source"))
        if source != "yahoo":
            return (f"no {column} for {ticker} in {self.name}: its cache entry holds closing "
                    f"prices only ({source}); pass --prices DIR with a {ticker}.csv that has "
                    f"a {column} column")
        return (f"no {column} for {ticker} in {self.name}: its cache entry predates volume, "
                f"high, low and open in the cache (closing prices only); run "
                f"'{self.cache.fetch_command(ticker)}' with internet access to fetch it again")

    def _stale_message(self, ticker: str, entry: CacheEntry, reason: str, lo: pd.Timestamp,
                       hi: pd.Timestamp) -> str:
        fetched = entry.fetched_at
        head = ("offline (--source cache)" if self.offline
                else f"Yahoo Finance unreachable ({reason})")
        return (f"{head}: using cached {ticker} fetched {fetched:%Y-%m-%d %H:%M} UTC, "
                f"{describe_age(entry.age())} old ({_first_last(entry)}; "
                f"asked for {lo:%Y-%m-%d}..{hi:%Y-%m-%d})")


def _first_last(entry: CacheEntry) -> str:
    idx = entry.prices.index
    return f"prices {idx[0]:%Y-%m-%d}..{idx[-1]:%Y-%m-%d}" if len(idx) else "no rows"


def _agrees(old: pd.DataFrame, new: pd.DataFrame, rtol: float = 1e-6) -> bool:
    """Whether the overlapping adjusted closes of two fetches agree."""
    common = old.index.intersection(new.index)
    if common.empty:
        return True
    a = old.loc[common, "adj_close"].to_numpy()
    b = new.loc[common, "adj_close"].to_numpy()
    both = np.isfinite(a) & np.isfinite(b)
    return bool(np.all(np.abs(a[both] - b[both]) <= rtol * np.abs(a[both]) + 1e-9))


def fetch_many(source: YahooSource, tickers: Iterable[str], start: Any = None, end: Any = None,
               progress: Callable[[str], None] | None = None
               ) -> dict[str, CacheEntry | EventStudyError]:
    """Update the cache for each ticker (``upgrade``); return the entry or the error per one."""
    out: dict[str, CacheEntry | EventStudyError] = {}
    for ticker in tickers:
        try:
            check_ticker(ticker, source.name)
            out[ticker] = source.update(ticker, start, end, upgrade=True)
        except EventStudyError as exc:
            out[ticker] = exc
        if progress is not None:
            progress(ticker)
    return out
