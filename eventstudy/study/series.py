"""The price series a study reads for a name: an alias of the events file (its ticker, or the
level of its basket), a basket's label, or a raw ticker. What ``eventstudy data show`` and
``eventstudy data panel`` read, so that they show what ``run`` studies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from eventstudy.errors import CalendarError, PriceDataError
from eventstudy.estimation.returns import basket_level
from eventstudy.events import Calendar, Security
from eventstudy.events.fields import nearest
from eventstudy.sessions import sessions_in_range


@dataclass(frozen=True)
class Named:
    """A name resolved: the series' label, its exchange (None when unknown), its prices, and
    the security of the events file it came from (None for a raw ticker)."""

    label: str
    exchange: str | None
    prices: pd.Series
    security: Security | None = None


def security_of(calendar: Calendar, name: str) -> Security | None:
    """The events file's security ``name`` names: an alias, or the label (``ticker``) of a
    basket; None for anything else (a raw ticker)."""
    if name in calendar.securities:
        return calendar.securities[name]
    return next((s for s in calendar.securities.values() if s.basket and s.ticker == name),
                None)


def named_prices(calendar: Calendar, name: str, load: Callable[[str], pd.Series],
                 exchange: Callable[[str], str | None]) -> Named:
    """The prices ``run`` reads for ``name``: a security's ticker, a basket's level (on its
    exchange's sessions from the first to the last member price, returns as the events file's
    ``[defaults] returns``, weights as the file gives them), or the raw ticker ``name``.

    ``load`` reads one ticker's prices from the source; ``exchange`` infers a raw ticker's
    exchange.
    """
    security = security_of(calendar, name)
    if security is None:
        try:
            return Named(name, exchange(name), load(name))
        except PriceDataError as exc:
            near = nearest(name, calendar.securities)
            if near is None:
                raise
            raise PriceDataError(f"{exc}; did you mean the alias '{near}'?") from None
    if not security.basket:
        return Named(f"{security.alias} ({security.ticker})", security.exchange,
                     load(security.ticker), security)
    members = [load(t).rename(t) for t in security.basket]
    first = min(m.index[0] for m in members)
    last = max(m.index[-1] for m in members)
    try:
        grid = sessions_in_range(security.exchange, first, last)
    except CalendarError:  # members dated outside the calendar: their own dates
        grid = pd.DatetimeIndex(sorted(set().union(*(m.index for m in members))))
    as_of = pd.Timestamp(security.weights_date) if security.weights_date else None
    level = basket_level(members, grid, calendar.defaults.returns,  # type: ignore[arg-type]
                         security.weights or None, as_of).dropna()
    label = (f"{security.alias} ({security.ticker}: level of the {security.weighting} basket of "
             f"{len(security.basket)} members)")
    return Named(label, security.exchange, level.rename(security.ticker), security)
