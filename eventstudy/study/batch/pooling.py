"""The inputs of the pooled tests for a batch's pairs: residuals by offset and by calendar date,
sub-window CARs, the calendar dates of each pair's event window (for r̄ weighted by the overlap
of event windows, Kolari, Pape and Pynnönen 2018), each pair on its own exchange's sessions as
the batch read it. The statistics themselves are :mod:`eventstudy.inference.aggregate`'s.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from eventstudy._typing import FloatArray, Window
from eventstudy.errors import EstimationError, InputError
from eventstudy.estimation import kernel
from eventstudy.study.batch import grid, spans, tuning
from eventstudy.study.batch.fit import _window
from eventstudy.study.batch.inputs import _positions
from eventstudy.study.batch.request import read_request

if TYPE_CHECKING:
    from eventstudy.inference.aggregate import PairArrays


def pair_arrays(result: Any, rows: np.ndarray, windows: tuple[Window, ...],
                label: str, dense: bool = True) -> PairArrays:
    """The :class:`~eventstudy.inference.aggregate.PairArrays` of the studied pairs at
    ``rows`` of ``result`` (a :class:`~eventstudy.study.batch.result.BatchResult`), from its
    returns frame, laid out as the batch laid it out
    (:func:`eventstudy.study.batch.grid.layout`). ``dense=False``: without the residuals by
    calendar date (pairs × the union of their dates; None), for
    :func:`eventstudy.inference.pooled_sums.pooled_sums`, which reads each residual's date in
    ``estimation_dates``."""
    from eventstudy.inference.aggregate import PairArrays

    if result.returns is None:
        raise EstimationError("this BatchResult has no returns frame to aggregate from")
    est_w, win = result.estimation_window, result.window
    est_len = est_w[1] - est_w[0] + 1
    length = win[1] - win[0] + 1
    returns, model = result.returns, result.model
    values = np.ascontiguousarray(returns.to_numpy(np.float64, na_value=np.nan).T)
    needs_benchmark = model != "constant-mean"
    pairs = result.pairs.iloc[rows]
    request = read_request(pairs, needs_benchmark)
    _once(pairs, request.security, request.day0, label)
    s, b = _positions(returns.columns, request, needs_benchmark)
    plan = grid.layout(values, returns.index, returns.columns, s, b, request.day0,
                       request.exchange, request.benchmark_exchange, result.sessions,
                       result.returns_kind)
    est = result.estimation.iloc[rows]
    alpha, beta = est["alpha"].to_numpy(float), est["beta"].to_numpy(float)
    sigma, n_obs = est["sigma"].to_numpy(float), est["n_obs"].to_numpy(float)
    resid = np.full((rows.size, est_len), np.nan)
    dates = np.full((rows.size, est_len), np.datetime64("NaT"), "datetime64[D]")
    day0 = np.full(rows.size, np.datetime64("NaT"), "datetime64[D]")
    offsets = result.ar.columns.to_numpy()
    event_dates = np.full((rows.size, offsets.size), np.datetime64("NaT"), "datetime64[D]")
    m_win = np.zeros((rows.size, length))
    span = np.ones((rows.size, length))
    valid = ~np.isnan(result.ar.to_numpy()[rows])
    for part in plan.parts:
        at = part.rows  # positions among ``rows``
        sessions = part.index.to_numpy().astype("datetime64[D]")
        start = part.d + est_w[0]
        r_est = _window(part.prices.est, part.s, start, est_len)
        if model == "constant-mean":
            resid[at] = r_est - alpha[at, None]
        else:
            m_est = _window(part.prices.est, part.b, start, est_len)
            resid[at] = r_est - m_est if model == "market-adjusted" else (
                r_est - alpha[at, None] - beta[at, None] * m_est)
        dates[at] = _dates_at(sessions, start[:, None] + np.arange(est_len))
        day0[at] = sessions[part.d]
        # the sessions the event window counts
        event_dates[at] = _dates_at(sessions, part.d[:, None] + offsets.astype(np.int64))
        if model == "market":
            m_win[at] = _window(part.prices.raw, part.b, part.d + win[0], length)
        late = spans.candidates(part.prices, part.s, part.b, part.d, win,
                                np.ones(at.size, dtype=bool), valid[at].sum(axis=1))
        if late.size:  # windows with returns spanning a gap: their R_m and span per day
            _, m, n = spans.event_returns(part.prices, part.s[late], part.b[late],
                                          part.d[late], est_w[0], win, needs_benchmark,
                                          result.returns_kind)
            m_win[at[late]] = m if model == "market" else 0.0
            span[at[late]] = n
    by_date, residual_dates = _by_date(resid, dates) if dense else (None, None)
    ar = result.ar.to_numpy()[rows]
    m_win = np.where(valid, m_win, 0.0) if model == "market" else np.zeros_like(ar)
    span = np.where(valid, span, 0.0)
    car = np.full((rows.size, len(windows)), np.nan)
    car_se = np.full((rows.size, len(windows)), np.nan)
    for j, (w0, w1) in enumerate(windows):
        sel = (offsets >= w0) & (offsets <= w1)
        n_days = valid[:, sel].sum(axis=1)
        car[:, j] = np.where(n_days > 0, np.where(valid[:, sel], ar[:, sel], 0.0).sum(axis=1),
                             np.nan)
        var = kernel.car_variance(sigma**2, result.k, n_obs, est["mean_m"].to_numpy(float),
                                  est["sxx"].to_numpy(float), span[:, sel].sum(axis=1),
                                  m_win[:, sel].sum(axis=1))
        car_se[:, j] = np.sqrt(var)
    return PairArrays(
        offsets=offsets, ar=ar, se=result.se.to_numpy()[rows], windows=windows,
        car=car, car_se=car_se, df=est["df"].to_numpy(float), sigma=sigma,
        k=np.full(rows.size, float(result.k)),
        estimation_offsets=np.arange(est_w[0], est_w[1] + 1),
        estimation_ar=resid, residuals=by_date, day0=day0,
        residual_dates=residual_dates, event_dates=event_dates, estimation_dates=dates,
        keys=tuple((label, str(x)) for x in pairs.index),
    )


def _dates_at(sessions: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """The sessions at positions ``pos``; NaT at a position outside them."""
    inside = (pos >= 0) & (pos < sessions.size)
    return np.where(inside, sessions.take(np.clip(pos, 0, sessions.size - 1)),
                    np.datetime64("NaT"))


def _once(pairs: pd.DataFrame, security: pd.Series, day0: np.ndarray, label: str) -> None:
    """Refuse a security with the same day 0 twice among the pairs pooled: it would count twice
    in every test (as an events file may not list a ticker twice in one event)."""
    key = pd.DataFrame({"security": security.to_numpy(), "day0": day0})
    again = np.flatnonzero(key.duplicated().to_numpy())
    if again.size:
        b = again[0]
        a = np.flatnonzero((key["security"] == key["security"].iloc[b]).to_numpy()
                           & (day0 == day0[b]))[0]
        group = f" of group {label!r}" if label else ""
        raise InputError(
            f"pairs {pairs.index[a]!r} and {pairs.index[b]!r}{group} are the same security "
            f"{key['security'].iloc[a]!r} with the same day0 {str(day0[a])[:10]}: pooled, it "
            "would count twice; drop one (pairs.drop_duplicates(['security', 'day0']))")


def _by_date(resid: FloatArray, dates: np.ndarray) -> tuple[FloatArray, np.ndarray]:
    """The residuals placed on one axis of calendar dates (the union of the pairs' sessions):
    pairs of different exchanges meet on the dates they share."""
    held = ~np.isnat(dates)
    axis = np.unique(dates[held])
    if resid.shape[0] * (axis.size + resid.shape[1]) > tuning.AGGREGATE_ELEMENTS:
        raise EstimationError(
            f"aggregating {resid.shape[0]} pairs whose estimation windows span {axis.size} "
            f"sessions needs {resid.shape[0] * (axis.size + resid.shape[1]) * 8 / 2**30:.1f} "
            "GB of residuals; aggregate by a finer column of pairs (by=...) or a subsample")
    out = np.full((resid.shape[0], axis.size), np.nan)
    where = np.nonzero(held)
    out[where[0], np.searchsorted(axis, dates[held])] = resid[held]
    return out, axis

