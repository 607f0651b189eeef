"""One (event, security) pair: prices aligned on the security's exchange, day 0, returns, the
fitted model, abnormal returns and CARs, as a :class:`~eventstudy.study.results.PairResult`;
or the reason it is excluded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from eventstudy import sessions
from eventstudy._typing import Window
from eventstudy.errors import (
    CalendarError,
    EstimationError,
    EventStudyError,
    PriceDataError,
)
from eventstudy.estimation.garch_model import conditional_variance
from eventstudy.estimation.models import DesignModel, ModelFit, get_model
from eventstudy.estimation.returns import (
    basket_level,
    design_returns,
    pair_returns,
    shifted_returns,
)
from eventstudy.events import Calendar, Event, Security, Settings
from eventstudy.inference import abnormal, windows
from eventstudy.prices import PriceSource
from eventstudy.study.results import CAR_COLUMNS, DAY_COLUMNS, PairResult
from eventstudy.study.sample import (
    _check_calendar,
    _check_coverage,
    _Exclude,
    _fit_notes,
    _hygiene,
    _notes,
    _SampleCounts,
    _split_days,
    _window_confounders,
)
from eventstudy.study.synthetic import NoDonors, donor_pool, fit_with_placebos, usable_donors


def car_windows(settings: Settings, event: Event) -> tuple[Window, ...]:
    """The pair's CAR windows: the configured ones, plus the event's headline window."""
    windows = tuple(settings.car)
    return windows if event.headline in windows else (*windows, event.headline)


def _price_tickers(security: Security, settings: Settings) -> list[str]:
    """The price series a pair reads: its own (or its basket's), the factors of a multi-factor
    model, the benchmark of a model that has one (their checks' notes are the pair's)."""
    factors = settings.factors if settings.model in ("multi-factor", "synthetic") else ()
    tickers = [*(security.basket or (security.ticker,)), *(factors or ())]
    if security.benchmark and settings.model not in ("constant-mean", "multi-factor"):
        tickers.append(security.benchmark)
    return tickers


def _price_notes(source: PriceSource, security: Security, settings: Settings,
                 start: pd.Timestamp, end: pd.Timestamp) -> tuple[str, ...]:
    """Validation warnings of the pair's price series in ``start..end`` (errors raise)."""
    if not hasattr(source, "notes_between"):  # a source not wrapped by prices.checked
        return ()
    return source.notes_between(_price_tickers(security, settings), start, end)


def _load(source: PriceSource, ticker: str, security: Security, role: str) -> pd.Series:
    if not source.has(ticker):
        what = f"{role} {ticker} of {security.alias}" if role in ("benchmark", "factor") else (
            f"{ticker} (member of {security.alias})" if role == "member" else ticker)
        raise PriceDataError(
            f"no prices for {what} in {source.name}; add {ticker}.csv to a --prices folder "
            f"or fix the ticker in the events file"
        )
    return source.load(ticker)


def study_pair(
    calendar: Calendar, event: Event, security: Security, settings: Settings,
    source: PriceSource,
) -> PairResult:
    """Study one (event, security) pair; raises ``_Exclude`` with the reason when it can't.

    The model's regressors: the benchmark (market, market-adjusted; Dimson and Scholes–Williams
    add its lagged and leading returns on the security's sessions), the ``factors``
    (multi-factor), or none (constant mean). A regressor traded on another exchange is read by
    instant (:func:`~eventstudy.sessions.align_sessions`). Estimation-window hygiene drops the
    sessions inside other events' windows for the same security and its confounder dates.
    """
    synthetic = settings.model == "synthetic"  # its model waits for the donors' prices
    try:
        model = None if synthetic else get_model(
            settings.model, factors=settings.factors, lags=settings.lags, leads=settings.leads)
    except EstimationError as exc:
        raise _Exclude(str(exc), "model not available") from None
    design = synthetic or isinstance(model, DesignModel)
    shifts = model.shifts if isinstance(model, DesignModel) and settings.model != (
        "multi-factor") else (0,)
    pre = max(0, -min(shifts))  # extra sessions before the window for lagged benchmark returns
    est, win = settings.estimation, settings.window
    try:
        day0 = sessions.day_zero(event.announced, event.timing, security.exchange)
        grid = sessions.sessions_at(security.exchange, day0.session, est[0] - 1 - pre, win[1])
    except CalendarError as exc:  # name the file, event and security at fault
        raise CalendarError(f"{calendar.path}: event '{event.id}', security "
                            f"'{security.alias}': {exc}") from None
    kind = settings.returns
    # series whose first price falls inside the estimation window: (what, first price)
    late: list[tuple[str, pd.Timestamp]] = []
    strict = settings.full_estimation

    if security.basket:
        members = [_load(source, t, security, "member").rename(t) for t in security.basket]
        as_of = pd.Timestamp(security.weights_date) if security.weights_date else None
        try:
            price = basket_level(members, grid, kind, security.weights or None,  # type: ignore[arg-type]
                                 as_of)
        except PriceDataError as exc:
            raise PriceDataError(f"{calendar.path}: [securities.{security.alias}]: {exc}"
                                 ) from None
        first = min(m.index[0] for m in members)
        last = max(m.index[-1] for m in members)
    else:
        price = _load(source, security.ticker, security, "security")
        first, last = price.index[0], price.index[-1]
        _check_calendar(price, security, source, grid)
    _check_coverage(security.ticker, first, last, grid[1 + pre], grid[-1], strict, late)
    benchmark = None
    x_all: np.ndarray | None = None  # multi-factor: one column per factor (synthetic: donor)
    if synthetic:
        try:
            donors, donor_prices, left_out = usable_donors(
                source, donor_pool(calendar, event, security, settings, source), price, grid)
        except NoDonors as exc:
            raise _Exclude(str(exc), "too few donors") from None
        settings = replace(settings, factors=tuple(donors))
        model = get_model("synthetic", factors=donors)
        frame, x_all, grid_notes = design_returns(price, donor_prices, grid, kind)
    elif settings.model == "multi-factor":
        factors = [_aligned(source, f, security, _exchange_of(f, security), grid, pre, strict,
                            late) for f in settings.factors]
        frame, x_all, grid_notes = design_returns(price, factors, grid, kind)  # type: ignore[arg-type]
    else:
        if model.needs_benchmark:  # type: ignore[union-attr]
            assert security.benchmark is not None  # checked when the events file was loaded
            bench_exchange = security.benchmark_exchange or security.exchange
            benchmark = _aligned(source, security.benchmark, security, bench_exchange, grid, pre,
                                 strict, late)
        frame, grid_notes = pair_returns(price, benchmark, grid, kind)  # type: ignore[arg-type]
    offsets = np.arange(est[0] - 1 - pre, win[1] + 1)
    frame.insert(0, "t", offsets)
    keep = slice(1 + pre, None)  # the extra first sessions only anchor returns and lags
    lagged = (shifted_returns(benchmark, grid, shifts, kind)[keep]  # type: ignore[arg-type]
              if design and benchmark is not None else None)
    frame = frame.iloc[keep]
    r = frame["return"].to_numpy()
    m = frame["benchmark_return"].to_numpy() if benchmark is not None else np.zeros(len(frame))
    x = x_all[keep] if x_all is not None else m  # the prediction regressors
    span = frame["span"].to_numpy()
    t = frame["t"].to_numpy()
    valid = np.isfinite(r) & np.isfinite(x.reshape(len(r), -1)).all(axis=1)

    in_est = (t >= est[0]) & (t <= est[1])
    usable = in_est & valid & (span == 1)
    if lagged is not None:
        usable &= np.isfinite(lagged).all(axis=1)
    # a probable unadjusted split: its return leaves the fit (and is named in the notes)
    on_split, split_notes = _split_days(
        source, _price_tickers(security, settings), frame.index, valid, t, est, win[0],
        shifts if lagged is not None else (0,))
    data_usable, usable = usable, usable & ~on_split
    dropped_events, dropped_conf, other_ids = _hygiene(
        calendar, event, security, settings, frame.index, usable,
        shifts if lagged is not None else (0,))
    sample = usable & ~dropped_events & ~dropped_conf
    n_gaps = int(np.sum(in_est & valid & (span > 1)))
    n_obs = int(sample.sum())
    start, end = frame.index[in_est][0], frame.index[in_est][-1]
    before_data = in_est & (np.cumsum(valid) == 0)  # no return yet: a listing in the window
    counts = _SampleCounts(
        window=int(in_est.sum()), n_obs=n_obs, before_data=int(before_data.sum()),
        missing=int(np.sum(in_est & ~before_data & ~(valid & (span > 1)) & ~data_usable)),
        gaps=n_gaps, events=int(dropped_events.sum()), confounders=int(dropped_conf.sum()),
        late=tuple(late), splits=int(np.sum(data_usable & on_split)))
    if n_obs < settings.min_estimation:
        raise _Exclude(
            f"only {n_obs} usable estimation returns in {start.date()}..{end.date()}"
            f"{counts.detail(': ')} (min_estimation = {settings.min_estimation})",
            "too few estimation returns")
    in_win = t >= win[0]
    try:
        if synthetic:  # with its placebos in space, from the same programmes
            fit = fit_with_placebos(model, r, x, sample, in_win, t, span, valid,  # type: ignore[arg-type]
                                    car_windows(settings, event), start, end, n_gaps, left_out)
            frame["benchmark_return"] = x @ np.asarray(fit.coef[1:])  # the synthetic's return
        elif design:
            regressors = lagged if lagged is not None else x
            fit = model.fit(r[sample], regressors[sample], start, end, n_gaps=n_gaps)
        else:
            fit = model.fit(r[sample], m[sample], start, end, n_gaps=n_gaps)  # type: ignore[union-attr]
    except EstimationError as exc:
        raise _Exclude(str(exc), "the model cannot be fitted (zero variance)") from None
    used = frame.index[sample]
    fit = replace(fit, n_excluded_events=counts.events, n_excluded_confounders=counts.confounders,
                  n_before_data=counts.before_data, n_missing=counts.missing,
                  first_obs=used[0], last_obs=used[-1])

    residuals = pd.DataFrame({
        "t": t[sample], "date": frame.index[sample],
        "ar": abnormal.abnormal_returns(fit, r[sample], x[sample], span[sample].astype(float)),
    })
    if not valid[in_win].any():
        raise _Exclude(f"no returns in the event window {frame.index[in_win][0].date()}.."
                       f"{frame.index[-1].date()} (no prices on those sessions)",
                       "no returns in the event window")
    has_regressor = benchmark is not None or x_all is not None
    cond = (conditional_variance(fit, t[in_win], int(t[sample][-1]), span[in_win])
            if fit.garch is not None else None)
    days = _days(frame[in_win], fit, valid[in_win], has_regressor, x[in_win], cond)
    car = _cars(days, fit, car_windows(settings, event), kind, x[in_win], cond)
    confounders = _window_confounders(calendar.confounders_for(security),
                                      days["date"].to_numpy(), days["t"].to_numpy())
    notes = (*split_notes, *_notes(grid_notes, frame.index, security, counts))
    notes = (*notes, *_price_notes(source, security, settings, frame.index[0], frame.index[-1]))
    notes = _fit_notes(notes, fit, other_ids,
                       None if valid[t == 0].any() else day0.session)
    if synthetic:
        shown_benchmark: str | None = f"{len(settings.factors)} donors"
    elif x_all is not None:
        shown_benchmark = " + ".join(settings.factors)
    else:
        shown_benchmark = security.benchmark if benchmark is not None else None
    return PairResult(
        security=security.alias, ticker=security.ticker, name=security.name,
        benchmark=shown_benchmark,
        exchange=security.exchange, model=fit.model, returns=kind, day0=day0.session,
        day0_rule=day0.rule, day0_reason=day0.reason, estimation=fit, days=days, car=car,
        headline=event.headline, proxy=security.proxy, members=security.basket,
        confounders=confounders, notes=notes, residuals=residuals, design=x[in_win],
    )


def _exchange_of(ticker: str, security: Security) -> str:
    """The exchange whose sessions a regressor follows: inferred from its ticker, else the
    security's own (e.g. a currency such as JPY=X is read on the security's sessions by date)."""
    if ticker == security.benchmark and security.benchmark_exchange:
        return security.benchmark_exchange
    try:
        return sessions.infer_exchange(ticker)
    except EventStudyError:
        return security.exchange


def _aligned(source: PriceSource, ticker: str, security: Security, exchange: str,
             grid: pd.DatetimeIndex, pre: int, strict: bool,
             late: list[tuple[str, pd.Timestamp]]) -> pd.Series:
    """Prices of a regressor on the security's sessions, read by instant on another exchange."""
    role = "benchmark" if ticker == security.benchmark else "factor"
    prices = _load(source, ticker, security, role)
    read_at = sessions.align_sessions(security.exchange, grid, exchange)
    _check_coverage(f"{role} {ticker}", prices.index[0], prices.index[-1], read_at[1 + pre],
                    read_at[-1], strict, late)
    if exchange != security.exchange:  # aligned by instant, not by date
        return pd.Series(prices.reindex(read_at).to_numpy(), index=grid)
    return prices


def _days(frame: pd.DataFrame, fit: ModelFit, valid: np.ndarray, has_benchmark: bool,
          x: np.ndarray | None = None, cond: np.ndarray | None = None) -> pd.DataFrame:
    """The day rows; ``cond``: each AR's conditional variance (a GARCH fit), else the
    prediction-error variance of the model."""
    r = frame["return"].to_numpy()
    m = frame["benchmark_return"].to_numpy() if has_benchmark else np.zeros(len(frame))
    x = m if x is None else x  # the prediction regressors (n × p for a multi-factor fit)
    span = frame["span"].to_numpy().astype(float)
    if fit.general or cond is not None:  # its own E[R] and Var(AR), the same statistics
        var = abnormal.pair_ar_variance(fit, x, span) if cond is None else cond
        one = windows.days(r[None], fit.expected(x, span)[None], var[None], fit.df, valid[None])
    else:  # the closed forms: the stacked computation, on one row
        one = windows.closed_form_days(windows.Fits.of([fit]), r[None], x[None], span[None],
                                       valid[None])
    rows = one.row(0)
    return day_frame(frame["t"].to_numpy(), frame.index, np.where(valid, r, np.nan),
                     np.where(valid, m, np.nan) if has_benchmark else None, rows,
                     frame["span"].to_numpy())


def day_frame(t: np.ndarray, dates: pd.DatetimeIndex | np.ndarray, r: np.ndarray,
              m: np.ndarray | None, rows: windows.Days, span: np.ndarray) -> pd.DataFrame:
    """The ``days`` frame of a pair (columns :data:`DAY_COLUMNS`); ``m`` None: no benchmark."""
    return pd.DataFrame({
        "t": t, "date": dates, "return": r,
        "benchmark_return": np.nan if m is None else m, "expected": rows.expected,
        "ar": rows.ar, "se": rows.se, "t_stat": rows.t_stat, "p": rows.p, "car": rows.car,
        "span": span,
    }, columns=list(DAY_COLUMNS))


def _cars(days: pd.DataFrame, fit: ModelFit, spans: Sequence[Window], kind: str,
          x: np.ndarray | None = None, cond: np.ndarray | None = None) -> pd.DataFrame:
    t = days["t"].to_numpy()
    ar = days["ar"].to_numpy()
    m = np.nan_to_num(days["benchmark_return"].to_numpy(float) if x is None else x)
    span = days["span"].to_numpy(float)
    r, e = days["return"].to_numpy(), days["expected"].to_numpy()
    if cond is not None:  # conditionally uncorrelated ARs: the days' variances add up
        def variance(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
            return np.array([cond[cols].sum()])
    elif fit.general:  # a design fit: γ'Vγ with its (X'X)⁻¹, the same statistics
        def variance(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
            return np.array([abnormal.pair_car_variance(fit, m[cols], span[cols])])
    else:  # the closed forms: the stacked computation, on one row
        variance = windows.closed_form_variance(windows.Fits.of([fit]), m[None], span[None])
    w = windows.windows(variance, np.array([[fit.df]], float), t, ar[None], span[None],
                        r[None], e[None], spans, kind)
    return car_frame(spans, t, days["date"], w, 0)


def car_frame(spans: Sequence[Window], t: np.ndarray, dates: pd.Series | pd.DatetimeIndex,
              w: windows.Windows, i: int) -> pd.DataFrame:
    """The ``car`` frame of row ``i`` of ``w`` (columns :data:`CAR_COLUMNS`)."""
    dates = pd.Series(dates) if not isinstance(dates, pd.Series) else dates
    return pd.DataFrame({
        "window": list(spans),
        "start": [dates.iloc[int(np.argmax(t >= lo))] for lo, _ in spans],
        "end": [dates.iloc[int(np.flatnonzero(t <= hi)[-1])] for _, hi in spans],
        "car": w.car[i].tolist(), "se": w.se[i].tolist(), "t_stat": w.t_stat[i].tolist(),
        "p": w.p[i].tolist(), "bhar": w.bhar[i].tolist(), "n_days": w.n_days[i].tolist(),
    }, columns=list(CAR_COLUMNS))
