"""A pair's synthetic control (``model = "synthetic"``): its donor pool, the donors it can use,
and the fit with its placebos in space.

The donor pool is ``donors = [...]`` from the events file, else every name of the pair's
exchange in the price source that the event does not study: not an index (``^``), not a
security the events file names for the event (also when ``--securities`` keeps only some) nor
a member of one's basket (the pair's own basket included), and not a
security the events file marks ``proxy`` (a proxy stands for an index or a sector, e.g. an ETF,
which the event moves as it moves the pair). A donor is used when it has a price on every
session of the pair's windows on which the pair has one, so the donors never shorten the
pair's sample; fewer than :data:`~eventstudy.estimation.synthetic.MIN_DONORS` usable donors
exclude the pair. The estimation (:mod:`eventstudy.estimation.synthetic`) and the placebo ranks
(:mod:`eventstudy.inference.placebo`) state the statistics.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from eventstudy._typing import Window
from eventstudy.errors import EventStudyError
from eventstudy.estimation.models import ModelFit
from eventstudy.estimation.synthetic import MIN_DONORS, SyntheticControl, unit_weights
from eventstudy.events import Calendar, Event, Security, Settings
from eventstudy.inference.placebo import placebo_test
from eventstudy.prices import PriceSource
from eventstudy.sessions import listed_on


class NoDonors(EventStudyError):
    """Too few donors for a synthetic control (the pair is excluded with this reason)."""


def donor_pool(calendar: Calendar, event: Event, security: Security, settings: Settings,
               source: PriceSource) -> tuple[str, ...]:
    """The pair's donors before the price check (see the module docstring)."""
    studied = {security.ticker, *security.basket}
    for alias in event.named or event.securities:
        other = calendar.security(alias)
        studied.update((other.ticker, *other.basket))
    if settings.donors:
        return tuple(t for t in settings.donors if t not in studied)
    proxies = {s.ticker for s in calendar.securities.values() if s.proxy}
    return tuple(t for t in listed_on(source.tickers(), security.exchange)
                 if t not in studied and t not in proxies)


def usable_donors(source: PriceSource, donors: Sequence[str], price: pd.Series,
                  grid: pd.DatetimeIndex) -> tuple[list[str], list[pd.Series], tuple[str, ...]]:
    """The donors with a price on every session of ``grid`` where the pair has one, their
    prices, and the donors left out; :class:`NoDonors` when fewer than the minimum remain."""
    need = price.reindex(grid).notna().to_numpy()
    kept, series, left = [], [], []
    for ticker in donors:
        if not source.has(ticker):
            left.append(ticker)
            continue
        p = source.load(ticker)
        if p.reindex(grid).notna().to_numpy()[need].all():
            kept.append(ticker)
            series.append(p.rename(ticker))
        else:
            left.append(ticker)
    if len(kept) < MIN_DONORS:
        short = f" ({len(left)} more lack prices on the pair's sessions)" if left else ""
        raise NoDonors(f"only {len(kept)} donor{'' if len(kept) == 1 else 's'} for the "
                       f"synthetic control{short}; it needs "
                       f"{MIN_DONORS} (set donors = [\"TICKER\", ...] in the events file)")
    return kept, series, tuple(left)


def fit_with_placebos(model: SyntheticControl, r: np.ndarray, x: np.ndarray,
                      sample: np.ndarray, in_win: np.ndarray, t: np.ndarray, span: np.ndarray,
                      valid: np.ndarray, windows: Sequence[Window], start: pd.Timestamp,
                      end: pd.Timestamp, n_gaps: int, left_out: Sequence[str] = ()) -> ModelFit:
    """The pair's fit, with its placebos in space in ``fit.synthetic``.

    Unit 0 is the pair, units 1..J the donors; each placebo draws on the other donors (never
    on the pair). All J + 1 programmes share one Gram matrix; the residuals and the
    event-window ARs of every unit come from one product with the weight matrix.
    """
    y = np.column_stack([r, x])
    units = y.shape[1]
    donors = np.arange(1, units)
    pools = [donors, *(donors[donors != u] for u in donors)]
    w = unit_weights(y[sample], pools)
    fit = model.fit(r[sample], x[sample], start, end, n_gaps=n_gaps, weights=w[0, 1:])
    est = y[sample]
    intercept = est.mean(axis=0) - (w @ est.mean(axis=0))  # a_u = ȳ_u − w_u'ȳ
    residuals = est - intercept - est @ w.T
    on = y[in_win]
    ar = on - np.outer(span[in_win], intercept) - np.nan_to_num(on) @ w.T
    ar[~valid[in_win]] = np.nan
    test = placebo_test(residuals, ar, t[in_win], windows, model.factors, w[0, 1:], left_out)
    return replace(fit, synthetic=test)
