"""What a study measures besides returns: the observable of a volume or volatility study,
served to the one engine as a price source whose series are read as levels (``returns =
"level"``: the value itself at each session, a session without it missing, never bridged).

- ``volume``: V_t = log(1 + volume_t) (Ajinkya and Jain 1989; Campbell and Wasley 1996); with
  the security's ``shares_outstanding``, log turnover as Campbell and Wasley (1996) define it,
  log(0.000255 + 100 · volume_t / shares). A basket's volume is its members' total (an index's
  volume, as exchanges report it). The market volume of the market model is the benchmark's
  volume, else the ``volume_benchmark``'s, else the mean log volume of the names of the
  security's exchange in the source (ticker ``VOLUME:<MIC>``), said in the pair's notes.
  Normal volume: the constant-mean (mean-adjusted), market or market-adjusted model.
- ``volatility``: the Parkinson (1980) high-low variance (ln H/L)² / (4 ln 2) of each session,
  abnormal against its estimation-window mean (the constant-mean model); a basket's is the
  weighted mean of its members' (equal weights unless given).

References
----------
.. [1] Ajinkya, B. and Jain, P. (1989) "The behavior of daily stock market trading volume",
   Journal of Accounting and Economics 11(4), 331-359.
.. [2] Campbell, C. and Wasley, C. (1996) "Measuring abnormal daily trading volume for samples
   of NYSE/ASE and NASDAQ securities using parametric and nonparametric test statistics",
   Review of Quantitative Finance and Accounting 6(3), 309-326.
.. [3] Parkinson, M. (1980) "The extreme value method for estimating the variance of the rate
   of return", Journal of Business 53(1), 61-65.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from eventstudy import _lazy
from eventstudy._typing import VOLUME_MODELS
from eventstudy.errors import EventStudyError, PriceDataError
from eventstudy.events import Security, Settings
from eventstudy.inference.volatility import parkinson_variance
from eventstudy.prices import PriceSource
from eventstudy.prices.columns import MissingColumnError, load_column
from eventstudy.sessions import exchange_of, listed_on
from eventstudy.study.results import PairResult
from eventstudy.study.sample import _Exclude

MARKET_VOLUME = "VOLUME:"  # + MIC: the mean log volume of the exchange's names in the source
TURNOVER_C = 0.000255  # Campbell and Wasley (1996): log(turnover % + 0.000255)


@dataclass(frozen=True)
class Measured:
    """A pair rewritten for a measure: its security and settings as the engine studies them,
    a note for its results, or why it cannot be studied."""

    security: Security
    settings: Settings
    note: str = ""
    unusable: str = ""


class MeasureSource:
    """A price source view whose ``load`` gives the measure's observable (see the module
    docstring); the checks of the closes (notes, splits, errors) are the inner source's."""

    def __init__(self, inner: PriceSource, measure: str) -> None:
        self.inner = inner
        self.measure = measure
        self.name = inner.name
        self._baskets: dict[str, Security] = {}
        self._shares: dict[str, float] = {}
        self._cache: dict[str, pd.Series | MissingColumnError] = {}

    def __repr__(self) -> str:
        return f"MeasureSource({self.inner!r}, {self.measure!r})"

    def has(self, ticker: str) -> bool:
        return ticker in self._baskets or ticker.startswith(MARKET_VOLUME) or self.inner.has(
            ticker)

    def tickers(self) -> list[str]:
        return self.inner.tickers()

    def load(self, ticker: str) -> pd.Series:
        """The observable of ``ticker``, read once (a ticker without the column, once too)."""
        if ticker not in self._cache:
            try:
                self._cache[ticker] = self._observable(ticker)
            except MissingColumnError as exc:
                self._cache[ticker] = exc
        found = self._cache[ticker]
        if isinstance(found, MissingColumnError):
            raise found.with_traceback(None)
        return found.copy()

    def _real(self, tickers: Iterable[str]) -> list[str]:
        return [t for t in tickers if t not in self._baskets and not t.startswith(MARKET_VOLUME)]

    def splits(self, tickers: Iterable[str]) -> list[Any]:
        splits = getattr(self.inner, "splits", None)
        return splits(self._real(tickers)) if callable(splits) else []

    def issues(self, ticker: str) -> list[Any]:
        issues = getattr(self.inner, "issues", None)
        return issues(ticker) if callable(issues) and self._real([ticker]) else []

    def notes_between(self, tickers: Iterable[str], start: pd.Timestamp, end: pd.Timestamp
                      ) -> tuple[str, ...]:
        notes = getattr(self.inner, "notes_between", None)
        return notes(self._real(tickers), start, end) if callable(notes) else ()

    def _observable(self, ticker: str) -> pd.Series:
        if ticker.startswith(MARKET_VOLUME):
            return self._market_volume(ticker[len(MARKET_VOLUME):]).rename(ticker)
        if ticker in self._baskets:
            return self._basket(self._baskets[ticker]).rename(ticker)
        self.inner.load(ticker)  # the closes' checks: a corrupt file raises here, as in returns
        if self.measure == "volume":
            volume = load_column(self.inner, ticker, "volume")
            if ticker in self._shares:
                return np.log(TURNOVER_C + 100.0 * volume / self._shares[ticker])
            return np.log1p(volume)
        return self._parkinson(ticker)

    def _parkinson(self, ticker: str) -> pd.Series:
        high = load_column(self.inner, ticker, "high")
        low = load_column(self.inner, ticker, "low")
        both = high.index.intersection(low.index)
        value = pd.Series(parkinson_variance(high.reindex(both).to_numpy(float),
                                             low.reindex(both).to_numpy(float)),
                          index=both, name=ticker)
        return value.dropna()

    def _basket(self, security: Security) -> pd.Series:
        if self.measure == "volume":
            members = [load_column(self.inner, t, "volume") for t in security.basket]
            frame = pd.concat(members, axis=1, sort=True)
            return np.log1p(frame.sum(axis=1, min_count=1)).dropna()
        frame = pd.concat([self._parkinson(t) for t in security.basket], axis=1, sort=True)
        w = np.asarray(security.weights or [1.0] * len(security.basket), float)
        present = frame.notna().to_numpy()
        weight = np.where(present, w, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            value = (frame.fillna(0.0).to_numpy() * weight).sum(axis=1) / weight.sum(axis=1)
        return pd.Series(value, index=frame.index).dropna()

    def _market_volume(self, exchange: str) -> pd.Series:
        logs = []
        for t in listed_on(self.inner.tickers(), exchange):
            try:
                logs.append(np.log1p(load_column(self.inner, t, "volume")))
            except EventStudyError:  # a name without volume does not enter the mean
                continue
        if not logs:
            raise PriceDataError(f"no name of {exchange} in {self.inner.name} has a volume: "
                                 "set volume_benchmark = \"TICKER\" for the security")
        return pd.concat(logs, axis=1, sort=True).mean(axis=1).dropna()

    def rewrite(self, security: Security, settings: Settings) -> Measured:
        """The pair as the engine studies the measure (see :class:`Measured`)."""
        settings = replace(settings, returns="level", measure="returns")
        ticker = security.ticker
        if security.basket:
            self._baskets[ticker] = security
        if security.shares_outstanding:
            self._shares[ticker] = security.shares_outstanding
        if self.measure == "volatility" or settings.model == "constant-mean":
            model = "constant-mean" if self.measure == "volatility" else settings.model
            return Measured(replace(security, basket=(), benchmark=None,
                                    benchmark_exchange=None), replace(settings, model=model))
        if settings.model not in VOLUME_MODELS:
            return Measured(security, settings, unusable=(
                f"the {settings.model} model is not a volume model; use "
                f"{', '.join(VOLUME_MODELS)}"))
        market, exchange, note = self._market_of(security)
        return Measured(replace(security, basket=(), benchmark=market,
                                benchmark_exchange=exchange), settings, note)

    def _market_of(self, security: Security) -> tuple[str, str, str]:
        """The market volume series of a pair, the exchange whose sessions it follows, and the
        note that says which it is."""
        chosen = security.volume_benchmark
        if chosen:
            exchange = (security.benchmark_exchange if chosen == security.benchmark else
                        exchange_of(chosen)) or security.exchange
            return chosen, exchange, f"market volume: {chosen}'s (volume_benchmark)"
        if security.benchmark:
            try:
                self.load(security.benchmark)  # read once: the study reads it from here
                return (security.benchmark, security.benchmark_exchange or security.exchange,
                        f"market volume: the benchmark {security.benchmark}'s")
            except MissingColumnError:
                pass
        exchange = security.exchange
        what = f"{security.benchmark} has no volume in {self.inner.name}; " if (
            security.benchmark) else ""
        return MARKET_VOLUME + exchange, exchange, (
            f"market volume: {what}the mean log(1 + volume) of the {exchange} names in "
            f"{self.inner.name} ({MARKET_VOLUME}{exchange}); set volume_benchmark to choose one")


def finish(found: PairResult | _Exclude, security: Security, measured: Measured, measure: str,
           tests: Any = None) -> PairResult | _Exclude:
    """A pair's result as the measure's: the measure named, the basket's members and the
    market-volume note restored, the volatility tests attached."""
    if not isinstance(found, PairResult):
        return found
    notes = (measured.note, *found.notes) if measured.note else found.notes
    return _lazy.replace(found, measure=measure, members=security.basket, notes=notes,
                         volatility=tests)
