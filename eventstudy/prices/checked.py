"""A price source wrapper that validates every series it loads.

:func:`checked` wraps any :class:`~eventstudy.prices.source.PriceSource`; each ticker is loaded
and checked once (:func:`~eventstudy.prices.validate.clean` and
:func:`~eventstudy.prices.validate.check` with the exchange inferred from the ticker), and
its issues, plus any caveat the inner source reports through an optional ``notes(ticker)``
method (a stale cache), are kept for :meth:`CheckedSource.notes_between`, which the study
turns into the pair's notes. :meth:`CheckedSource.load_column` reads the other columns
(volume, high, low, open) of the inner source through :func:`eventstudy.prices.columns.load_column`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from eventstudy.prices import columns, validate
from eventstudy.prices.source import PriceSource
from eventstudy.prices.validate import Issue

__all__ = ["CheckedSource", "checked"]


class CheckedSource:
    """Validate on load (see the module docstring).

    Parameters
    ----------
    inner : PriceSource
        The source to read from.
    max_gap, stale_run : int
        Passed to :func:`eventstudy.prices.validate.check`.
    """

    def __init__(self, inner: PriceSource, *, max_gap: int = validate.MAX_GAP,
                 stale_run: int = validate.STALE_RUN) -> None:
        self.inner = inner
        self.name = inner.name
        self.max_gap = max_gap
        self.stale_run = stale_run
        self._series: dict[str, pd.Series] = {}
        self._issues: dict[str, list[Issue]] = {}

    def __repr__(self) -> str:
        return f"checked({self.inner!r})"

    def __getattr__(self, name: str) -> Any:  # hooks of the inner source (prepare_event, ...)
        return getattr(self.inner, name)

    def has(self, ticker: str) -> bool:
        return ticker in self._series or self.inner.has(ticker)

    def tickers(self) -> list[str]:
        return self.inner.tickers()

    def load(self, ticker: str) -> pd.Series:
        """The inner source's series, checked; errors raise, warnings are kept."""
        if ticker not in self._series:
            raw = self.inner.load(ticker)
            series, issues = validate.clean(raw, ticker, self.inner.name)
            issues += validate.check(series, validate.exchange_of(ticker),
                                     max_gap=self.max_gap, stale_run=self.stale_run)
            notes = getattr(self.inner, "notes", None)
            for text in (notes(ticker) if callable(notes) else ()):
                issues.append(Issue("source", "warning", ticker, None, None, text))
            self._series[ticker] = series
            self._issues[ticker] = issues
        return self._series[ticker].copy()

    def load_column(self, ticker: str, column: str) -> pd.Series:
        """The inner source's `column` of `ticker` (volume, high, low, open); see
        :func:`eventstudy.prices.columns.load_column`.

        Raises
        ------
        MissingColumnError
            When the inner source holds the ticker but no value in that column.
        PriceDataError
            When the inner source cannot give columns, or the column is unknown or invalid.
        """
        return columns.load_column(self.inner, ticker, column)

    def issues(self, ticker: str) -> list[Issue]:
        """Issues of a loaded ticker (empty when not loaded)."""
        return list(self._issues.get(ticker, ()))

    def splits(self, tickers: Iterable[str]) -> list[Issue]:
        """The probable unadjusted splits (``split`` issues) of the loaded ``tickers``."""
        return [i for t in dict.fromkeys(tickers) for i in self._issues.get(t, ())
                if i.kind == "split"]

    def notes_between(self, tickers: Iterable[str], start: pd.Timestamp, end: pd.Timestamp
                      ) -> tuple[str, ...]:
        """Warnings of the loaded `tickers` touching ``start..end``; raise for an error there.

        Raises
        ------
        PriceDataError
            An error-level issue (e.g. a probable unadjusted split) inside ``start..end``.
        """
        issues = [i for t in dict.fromkeys(tickers) for i in self._issues.get(t, ())]
        return validate.in_range(issues, start, end)


def checked(source: PriceSource) -> CheckedSource:
    """Wrap `source` so that every load is validated (idempotent)."""
    return source if isinstance(source, CheckedSource) else CheckedSource(source)
