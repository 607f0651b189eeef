"""Model sensitivity: one event under several normal-return models, headline CARs side by side.

A finding that holds under the market model but vanishes under a multi-factor or a
thin-trading (Dimson) model depends on the model. :func:`sensitivity` runs every pair of an
event once per model, with the pair's own settings (estimation window, factors, lags, hygiene)
and only the model replaced, and returns a tidy frame.

A model item is a name of ``MODEL_NAMES``, optionally with a benchmark override after ``@``:
``market@^GSPC`` is the market model against the S&P 500 read by instant on the security's
sessions (for a Tokyo security, New York's previous session: a world-market model).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from eventstudy._typing import MODEL_NAMES
from eventstudy.errors import EstimationError
from eventstudy.events import BENCHMARK_MODELS, Calendar, load_events
from eventstudy.prices import PriceSource, open_source
from eventstudy.prices.checked import checked
from eventstudy.study.pair import _exchange_of, car_windows
from eventstudy.study.results import PairResult
from eventstudy.study.stacked import Request, study_pairs

COLUMNS = (
    "event", "security", "model", "window", "headline", "car", "se", "t_stat", "p", "n_obs",
    "k", "beta", "sigma", "benchmark", "reason", "measure",
)


def parse_models(items: str | Sequence[str]) -> tuple[str, ...]:
    """Split and check a ``--models`` value (``"market,dimson,market@^GSPC"``).

    Raises
    ------
    EstimationError
        An unknown model name, naming it and the valid ones.
    """
    if isinstance(items, str):
        items = items.split(",")
    out = tuple(dict.fromkeys(i.strip() for i in items if i.strip()))
    if not out:
        raise EstimationError(f"--models is empty; give a comma list of {', '.join(MODEL_NAMES)}")
    for item in out:
        name, _, bench = item.partition("@")
        if name not in MODEL_NAMES:
            raise EstimationError(
                f"--models: unknown model '{name}'; choose among {', '.join(MODEL_NAMES)} "
                "(optionally NAME@BENCHMARK, e.g. market@^GSPC)"
            )
        if "@" in item and (not bench or name not in BENCHMARK_MODELS):
            raise EstimationError(
                f"--models: '{item}': a benchmark override needs a model with a benchmark "
                f"({', '.join(BENCHMARK_MODELS)}) and a ticker after '@'"
            )
    return out


def sensitivity(
    event_id: str,
    models: str | Sequence[str],
    *,
    events: str | os.PathLike[str] | Calendar | None = None,
    prices: str | os.PathLike[str] | PriceSource | None = None,
    source: str | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    measure: str | None = None,
) -> pd.DataFrame:
    """Every pair of one event under each model: a tidy frame of CARs.

    Parameters
    ----------
    event_id : str
        The event's id.
    models : str or sequence of str
        Model items (see :func:`parse_models`), in the order to show them.
    events, prices, source, cache_dir, measure
        As for :func:`eventstudy.study.single.run` (a volume study compares the volume models).

    Returns
    -------
    pd.DataFrame
        One row per (security, model, CAR window), columns ``COLUMNS``: ``headline`` marks the
        event's headline window; ``reason`` says why a pair could not be estimated under that
        model (its numbers are then NaN). ``beta`` is the market, aggregated (Dimson) or
        Scholes–Williams beta, NaN for models without one.

    Raises
    ------
    EventStudyError
        Unknown event or model, invalid events file, missing price file.
    """
    items = parse_models(models)
    calendar = events if isinstance(events, Calendar) else load_events(events)
    event = calendar.event(event_id)
    prices = checked(prices if isinstance(prices, PriceSource) else open_source(
        prices, source=source, cache_dir=cache_dir, default=getattr(calendar, "source", None)))
    if hasattr(prices, "prepare_event"):  # e.g. Yahoo: fetch the dates the event needs
        prices.prepare_event(calendar, event)
    rows: list[dict[str, object]] = []
    cells: list[tuple[dict[str, object], tuple[tuple[int, int], ...], Request]] = []
    for alias in event.securities:
        security = calendar.security(alias)
        base = calendar.settings(event, security)
        if measure is not None:
            base = replace(base, measure=measure)
        for item in items:
            name, _, bench = item.partition("@")
            sec = security
            if bench:
                sec = replace(security, benchmark=bench, benchmark_exchange=None)
                sec = replace(sec, benchmark_exchange=_exchange_of(bench, sec))
            windows = car_windows(base, event)
            common = {"event": event.id, "security": alias, "model": item,
                      "measure": base.measure}
            cells.append((common, windows, Request(event, sec, replace(base, model=name))))
    found = study_pairs(calendar, [c for _, _, c in cells], prices)
    for (common, windows, _), outcome in zip(cells, found, strict=True):
        if not isinstance(outcome, PairResult):
            rows += [{**common, "window": w, "headline": w == event.headline,
                      "reason": str(outcome)} for w in windows]
            continue
        fit = outcome.estimation
        for _, c in outcome.car.iterrows():
            rows.append({
                **common, "window": tuple(c.window), "headline": c.window == event.headline,
                "car": c.car, "se": c.se, "t_stat": c.t_stat, "p": c.p, "n_obs": fit.n_obs,
                "k": fit.k, "beta": fit.beta, "sigma": fit.sigma,
                "benchmark": outcome.benchmark, "reason": "",
            })
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    frame["n_obs"] = frame["n_obs"].astype("Int64")
    frame["k"] = frame["k"].astype("Int64")
    for col in ("car", "se", "t_stat", "p", "beta", "sigma"):
        frame[col] = frame[col].astype(float)
    frame["reason"] = frame["reason"].fillna("")
    return frame


def headline_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The headline CARs as a security × model table (NaN where not estimable)."""
    head = frame[frame["headline"]]
    table = head.pivot(index="security", columns="model", values="car")
    order = list(dict.fromkeys(head["security"]))
    return table.reindex(index=order, columns=list(dict.fromkeys(head["model"]))).astype(float)


def spread(frame: pd.DataFrame) -> pd.Series:
    """Per security, max − min of the headline CAR across the models that could be estimated."""
    table = headline_table(frame)
    return (table.max(axis=1) - table.min(axis=1)).where(table.notna().sum(axis=1) > 0, np.nan)
