"""One event study: events + prices -> day 0 -> returns -> model -> abnormal returns -> tests.

Glue only: each step is a function of the module named for it. A pair that cannot be studied
(no prices around the event, too short a history, zero variance) is excluded with its reason;
bad input (unknown event, missing price file, invalid TOML) raises an
:class:`~eventstudy.errors.EventStudyError`.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace

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
from eventstudy.estimation.models import DesignModel, ModelFit, get_model
from eventstudy.estimation.returns import (
    GridNotes,
    basket_level,
    design_returns,
    pair_returns,
    shifted_returns,
)
from eventstudy.events import Calendar, Event, Security, Settings, load_events
from eventstudy.inference import abnormal
from eventstudy.prices import PriceSource, open_source
from eventstudy.prices.checked import checked
from eventstudy.study.pairs import aggregate_pairs
from eventstudy.study.results import DAY_COLUMNS, EventStudyResult, Excluded, PairResult

CONVENTIONS = {
    "sigma": "σ̂² = SSR / (M − k); k = 2 market, 1 constant-mean, 0 market-adjusted",
    "se": "prediction-error corrected: σ̂²[1 + 1/M + (R_m − R̄_m)²/Sxx] (CLM 1997 §4.4)",
    "car_se": "closed form σ̂²[L + L²/M + (Σ(R_m − R̄_m))²/Sxx] = γ'Vγ",
    "p": "two-sided, Student t with M − k df (single pair); csect_t t(N − 1)",
    "gaps": "trade to trade: a return after a missing price spans the gap for security and "
            "benchmark; such returns are left out of the estimation sample",
    "bhar": "Π(1 + R) − Π(1 + E[R]) over the window, in simple returns",
    "offsets": "sessions of each security's own exchange (exchange_calendars)",
}


class _Exclude(Exception):
    """Internal: this pair cannot be studied, for ``reason``."""


def run(
    event_id: str,
    *,
    events: str | os.PathLike[str] | Calendar | None = None,
    prices: str | os.PathLike[str] | PriceSource | None = None,
    source: str | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
) -> EventStudyResult:
    """Run the event study of one event of an events file.

    Parameters
    ----------
    event_id : str
        The ``id`` of an ``[[events]]`` table.
    events : path, Calendar or None
        The events file (default ``./events.toml``, else the packaged calendar), or a loaded
        :class:`~eventstudy.events.Calendar`.
    prices : path, PriceSource or None
        A folder of ``<TICKER>.csv`` files, a price source, or None for the embedded dataset.
    source : {"embedded", "yahoo", "cache"}, optional
        The price source when `prices` is None (default ``$EVENTSTUDY_SOURCE``, else the
        events file's ``[defaults] source``, else embedded); see
        :func:`eventstudy.prices.open_source`.
    cache_dir : path, optional
        The price cache of the ``yahoo`` and ``cache`` sources.

    Returns
    -------
    EventStudyResult

    Raises
    ------
    EventStudyError
        Unknown event, invalid events file, missing or invalid price file.
    """
    calendar = events if isinstance(events, Calendar) else load_events(events)
    price_source = checked(prices if isinstance(prices, PriceSource) else open_source(
        prices, source=source, cache_dir=cache_dir, default=calendar.source))
    event = calendar.event(event_id)
    if hasattr(price_source, "prepare_event"):  # e.g. Yahoo: fetch the dates the event needs
        price_source.prepare_event(calendar, event)
    pairs: list[PairResult] = []
    excluded: list[Excluded] = []
    for name in event.securities:
        security = calendar.security(name)
        settings = calendar.settings(event, security)
        try:
            pairs.append(study_pair(calendar, event, security, settings, price_source))
        except _Exclude as why:
            excluded.append(Excluded(security.alias, security.ticker, str(why)))
    if not pairs:
        reasons = "; ".join(f"{x.security}: {x.reason}" for x in excluded)
        raise EstimationError(f"no pair of event '{event.id}' can be studied ({reasons})")
    windows = tuple(dict.fromkeys(w for p in pairs for w in p.car["window"]))
    agg = aggregate_pairs(pairs, windows, [(event.id, p.security) for p in pairs])
    return EventStudyResult(event, tuple(pairs), tuple(excluded), agg, CONVENTIONS, windows)


def car_windows(settings: Settings, event: Event) -> tuple[Window, ...]:
    """The pair's CAR windows: the configured ones, plus the event's headline window."""
    windows = tuple(settings.car)
    return windows if event.headline in windows else (*windows, event.headline)


def _price_notes(source: PriceSource, security: Security, settings: Settings,
                 start: pd.Timestamp, end: pd.Timestamp) -> tuple[str, ...]:
    """Validation warnings of the pair's price series in ``start..end`` (errors raise)."""
    if not hasattr(source, "notes_between"):  # a source not wrapped by prices.checked
        return ()
    tickers = [*(security.basket or (security.ticker,)), *(settings.factors or ())]
    if security.benchmark and settings.model not in ("constant-mean", "multi-factor"):
        tickers.append(security.benchmark)
    return source.notes_between(tickers, start, end)


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
    try:
        model = get_model(settings.model, factors=settings.factors, lags=settings.lags,
                          leads=settings.leads)
    except EstimationError as exc:
        raise _Exclude(str(exc)) from None
    design = isinstance(model, DesignModel)
    shifts = model.shifts if design and not settings.model == "multi-factor" else (0,)
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
    x_all: np.ndarray | None = None  # multi-factor: one column per factor
    if settings.model == "multi-factor":
        factors = [_aligned(source, f, security, _exchange_of(f, security), grid, pre, strict,
                            late) for f in settings.factors]
        frame, x_all, grid_notes = design_returns(price, factors, grid, kind)  # type: ignore[arg-type]
    else:
        if model.needs_benchmark:
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
        missing=int(np.sum(in_est & ~before_data & ~(valid & (span > 1)) & ~usable)),
        gaps=n_gaps, events=int(dropped_events.sum()), confounders=int(dropped_conf.sum()),
        late=tuple(late))
    if n_obs < settings.min_estimation:
        raise _Exclude(
            f"only {n_obs} usable estimation returns in {start.date()}..{end.date()}"
            f"{counts.detail(': ')} (min_estimation = {settings.min_estimation})"
        )
    try:
        if design:
            regressors = lagged if lagged is not None else x
            fit = model.fit(r[sample], regressors[sample], start, end, n_gaps=n_gaps)
        else:
            fit = model.fit(r[sample], m[sample], start, end, n_gaps=n_gaps)
    except EstimationError as exc:
        raise _Exclude(str(exc)) from None
    used = frame.index[sample]
    fit = replace(fit, n_excluded_events=counts.events, n_excluded_confounders=counts.confounders,
                  n_before_data=counts.before_data, n_missing=counts.missing,
                  first_obs=used[0], last_obs=used[-1])

    residuals = pd.DataFrame({
        "t": t[sample], "date": frame.index[sample],
        "ar": abnormal.abnormal_returns(fit, r[sample], x[sample], span[sample].astype(float)),
    })
    in_win = t >= win[0]
    if not valid[in_win].any():
        raise _Exclude(f"no returns in the event window {frame.index[in_win][0].date()}.."
                       f"{frame.index[-1].date()} (no prices on those sessions)")
    has_regressor = benchmark is not None or x_all is not None
    days = _days(frame[in_win], fit, valid[in_win], has_regressor, x[in_win])
    car = _cars(days, fit, car_windows(settings, event), kind, x[in_win])
    window_dates = (days["date"].iloc[0], days["date"].iloc[-1])
    confounders = tuple(
        (c, _offset_of(days, pd.Timestamp(c.date)))
        for c in calendar.confounders_for(security)
        if window_dates[0] <= pd.Timestamp(c.date) <= window_dates[1]
    )
    notes = _notes(grid_notes, frame.index, security, counts)
    notes = (*notes, *_price_notes(source, security, settings, frame.index[0], frame.index[-1]))
    if fit.n_excluded_events or fit.n_excluded_confounders:
        notes = (*notes, f"estimation-window hygiene: {fit.n_excluded_events} session(s) in "
                 f"other events' windows ({', '.join(other_ids) or 'none'}) and "
                 f"{fit.n_excluded_confounders} confounder date(s) left out of the fit")
    if not valid[t == 0].any():
        notes = (f"no return on day 0 ({day0.session.date()}): the reaction is carried by the "
                 "next return, which spans the gap", *notes)
    if x_all is not None:
        shown_benchmark: str | None = " + ".join(settings.factors)
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


@functools.lru_cache(maxsize=4096)
def _window_sessions(announced: object, timing: str, exchange: str, window: Window
                     ) -> pd.DatetimeIndex | None:
    """Sessions of an event's window on ``exchange`` (cached: every pair asks for every event)."""
    try:
        d0 = sessions.day_zero(announced, timing, exchange)  # type: ignore[arg-type]
        return sessions.sessions_at(exchange, d0.session, window[0], window[1])
    except EventStudyError:
        return None


def _spread(mask: np.ndarray, shifts: Sequence[int]) -> np.ndarray:
    """Rows t such that ``mask[t + j]`` for some j in ``shifts``."""
    out = np.zeros_like(mask)
    n = len(mask)
    for j in shifts:  # a handful of shifts, each vectorised
        src = np.arange(n) + j
        ok = (src >= 0) & (src < n)
        out[ok] |= mask[src[ok]]
    return out


def _hygiene(calendar: Calendar, event: Event, security: Security, settings: Settings,
             dates: pd.DatetimeIndex, usable: np.ndarray, shifts: Sequence[int] = (0,)
             ) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Estimation returns to drop: in another event's window for this security; on a confounder.

    Returns two masks over ``dates`` (restricted to ``usable`` returns) and the ids of the
    events whose windows were hit. A return is dated by the session that ends it; a confounder
    dated on a non-session counts on the next session. With lagged or leading regressors
    (``shifts``, Dimson and Scholes–Williams) a row is dropped too when one of its regressor
    sessions t + j is contaminated, so an excluded day's benchmark return never re-enters the
    fit as a neighbour's lag or lead.
    """
    in_other = np.zeros(len(dates), dtype=bool)
    on_conf = np.zeros(len(dates), dtype=bool)
    hit: list[str] = []
    if settings.exclude_event_windows:
        for other in calendar.events:
            if other.id == event.id or not (
                security.alias in other.securities or security.ticker in other.securities
            ):
                continue
            w = calendar.settings(other, security).window
            span = _window_sessions(other.announced, other.timing, security.exchange, w)
            if span is None:  # an event outside the calendar's bounds cannot overlap
                continue
            mask = _spread(dates.isin(span), shifts) & usable & ~in_other
            if mask.any():
                hit.append(other.id)
                in_other |= mask
    if settings.exclude_confounders:
        days = pd.DatetimeIndex([pd.Timestamp(c.date) for c in calendar.confounders_for(security)])
        pos = dates.searchsorted(days)
        pos = pos[(pos < len(dates)) & (days >= dates[0])]
        on_conf[pos] = True
        on_conf = _spread(on_conf, shifts) & usable & ~in_other
    return in_other, on_conf, tuple(hit)


def _check_calendar(price: pd.Series, security: Security, source: PriceSource,
                    grid: pd.DatetimeIndex) -> None:
    """Refuse prices dated on days that are not sessions of the security's exchange.

    A few such dates are tolerated (they are left out and noted); at least 3, and at least 1 %
    of the dates in the pair's range, mean the file follows another exchange's calendar (or
    ``exchange`` is wrong in the events file): the study would silently span the other
    exchange's holidays.
    """
    inside = price.index[(price.index >= grid[0]) & (price.index <= grid[-1])]
    off = inside.difference(grid)
    if len(off) >= max(3, 0.01 * len(inside)):
        shown = ", ".join(str(d.date()) for d in off[:4])
        raise PriceDataError(
            f"prices of {security.ticker} in {source.name}: {len(off)} of {len(inside)} dates "
            f"in {grid[0].date()}..{grid[-1].date()} are not {security.exchange} sessions "
            f"({shown}, ...), so they follow another exchange's calendar; fix "
            f'exchange = "..." of [securities.{security.alias}] in the events file, or the file'
        )


def _check_coverage(what: str, first: pd.Timestamp, last: pd.Timestamp, start: pd.Timestamp,
                    end: pd.Timestamp, strict: bool, late: list[tuple[str, pd.Timestamp]]
                    ) -> None:
    """Exclude the pair when the prices end before the event window does, or (``strict``,
    ``full_estimation = true``) start after the estimation window does; a series that starts
    inside the estimation window is otherwise appended to ``late`` (a note, not an exclusion:
    the estimation sample is the returns that exist)."""
    if first > start:
        if strict:
            raise _Exclude(f"{what}: estimation window starts {start.date()}, before the first "
                           f"price {first.date()} (full_estimation = true)")
        late.append((what, first))
    if last < end:
        raise _Exclude(f"{what}: no prices after {last.date()}; the event window ends "
                       f"{end.date()}")


def _days(frame: pd.DataFrame, fit: ModelFit, valid: np.ndarray, has_benchmark: bool,
          x: np.ndarray | None = None) -> pd.DataFrame:
    r = frame["return"].to_numpy()
    m = frame["benchmark_return"].to_numpy() if has_benchmark else np.zeros(len(frame))
    x = m if x is None else x  # the prediction regressors (n × p for a multi-factor fit)
    span = frame["span"].to_numpy().astype(float)
    ar = np.where(valid, abnormal.abnormal_returns(fit, r, x, span), np.nan)
    se = np.where(valid, np.sqrt(abnormal.pair_ar_variance(fit, x, span)), np.nan)
    t_stat = ar / se
    out = pd.DataFrame({
        "t": frame["t"].to_numpy(), "date": frame.index,
        "return": np.where(valid, r, np.nan),
        "benchmark_return": np.where(valid, m, np.nan) if has_benchmark else np.nan,
        "expected": np.where(valid, r - ar, np.nan),
        "ar": ar, "se": se, "t_stat": t_stat, "p": abnormal.two_sided_p(t_stat, fit.df),
        "car": np.nancumsum(ar), "span": frame["span"].to_numpy(),
    })
    return out[list(DAY_COLUMNS)].reset_index(drop=True)


def _cars(days: pd.DataFrame, fit: ModelFit, windows: Sequence[Window], kind: str,
          x: np.ndarray | None = None) -> pd.DataFrame:
    rows = []
    t = days["t"].to_numpy()
    ar = days["ar"].to_numpy()
    valid = np.isfinite(ar)
    m = np.nan_to_num(days["benchmark_return"].to_numpy(float) if x is None else x)
    span = days["span"].to_numpy(float)
    r, e = days["return"].to_numpy(), days["expected"].to_numpy()
    for lo, hi in windows:
        sel = (t >= lo) & (t <= hi) & valid
        car = float(ar[sel].sum()) if sel.any() else np.nan
        var = abnormal.pair_car_variance(fit, m[sel], span[sel])
        se = float(np.sqrt(var))
        t_stat = car / se if se > 0 else np.nan
        simple_r = np.expm1(r[sel]) if kind == "log" else r[sel]
        simple_e = np.expm1(e[sel]) if kind == "log" else e[sel]
        bhar = float(np.prod(1 + simple_r) - np.prod(1 + simple_e)) if sel.any() else np.nan
        rows.append({
            "window": (lo, hi), "start": days["date"].iloc[int(np.argmax(t >= lo))],
            "end": days["date"].iloc[int(np.flatnonzero(t <= hi)[-1])], "car": car, "se": se,
            "t_stat": t_stat, "p": float(abnormal.two_sided_p(t_stat, fit.df)), "bhar": bhar,
            "n_days": int(sel.sum()),
        })
    return pd.DataFrame(rows)


def _offset_of(days: pd.DataFrame, date: pd.Timestamp) -> int:
    """Offset of the first window session on or after ``date``."""
    pos = int(np.searchsorted(days["date"].to_numpy(), np.datetime64(date)))
    return int(days["t"].iloc[min(pos, len(days) - 1)])


@dataclass(frozen=True)
class _SampleCounts:
    """Where the sessions of a pair's estimation window went: M, and every reason a session
    has no usable return (they add up to ``window``)."""

    window: int
    n_obs: int
    before_data: int  # before the pair's first return (a listing inside the window)
    missing: int  # a price missing later (halt, outage; or a lag or lead of the benchmark)
    gaps: int  # returns spanning missing prices (trade to trade)
    events: int  # hygiene: other events' windows
    confounders: int  # hygiene: confounder dates
    late: tuple[tuple[str, pd.Timestamp], ...] = ()  # series first priced inside the window

    @property
    def from_data(self) -> bool:
        """Whether the data (not hygiene) left sessions of the window out."""
        return bool(self.before_data or self.missing or self.gaps)

    def detail(self, lead: str) -> str:
        """``lead`` + the sessions left out and why ("" when none)."""
        parts = []
        if self.before_data:
            firsts = ", ".join(f"{what} {first.date()}" for what, first in self.late)
            parts.append(f"{self.before_data} before the first price"
                         + (f" ({firsts})" if firsts else ""))
        if self.missing:
            parts.append(f"{self.missing} without a price")
        if self.gaps:
            parts.append(f"{self.gaps} spanning a gap")
        if self.events:
            parts.append(f"{self.events} in other events' windows")
        if self.confounders:
            parts.append(f"{self.confounders} on confounder dates")
        return f"{lead}{', '.join(parts)} left out" if parts else ""


def _runs(dates: Sequence[pd.Timestamp], grid: pd.DatetimeIndex, most: int = 5) -> str:
    """Dates of ``grid`` as runs of consecutive sessions: "a", "a..b (n)", at most ``most``."""
    pos = grid.get_indexer(pd.DatetimeIndex(dates))
    breaks = np.flatnonzero(np.diff(pos) != 1) + 1
    runs = [(grid[r[0]], grid[r[-1]], r.size) for r in np.split(pos, breaks)]
    shown = ", ".join(str(a.date()) if n == 1 else f"{a.date()}..{b.date()} ({n})"
                      for a, b, n in runs[:most])
    return shown + (f" and {len(runs) - most} more gap(s)" if len(runs) > most else "")


def _notes(grid_notes: GridNotes, grid: pd.DatetimeIndex, security: Security,
           counts: _SampleCounts) -> tuple[str, ...]:
    """The pair's data notes over ``grid``, the sessions of its estimation and event windows."""
    notes = []
    start, end = grid[0], grid[-1]
    # sessions before the first price are a listing inside the window, not missing prices
    gaps = pd.DatetimeIndex([d for d in grid_notes.missing if start <= d <= end])
    priced = grid.difference(gaps)
    missing = gaps[gaps > priced[0]] if len(priced) else gaps[:0]
    if len(missing):
        notes.append(f"{len(missing)} session(s) without a price ({_runs(missing, grid)}): "
                     "returns span the gap (trade to trade)")
    off = [d for d in grid_notes.off_session if start <= d <= end]
    if off:
        shown = ", ".join(str(d.date()) for d in off[:5])
        notes.append(f"{len(off)} price(s) dated on non-sessions of {security.exchange} left "
                     f"out ({shown})")
    if counts.from_data:
        notes.append(f"estimation sample: M = {counts.n_obs} of the window's {counts.window} "
                     f"sessions{counts.detail('; ')}")
    if security.proxy and security.basket:
        notes.append(f"proxy: {security.weighting} basket of {len(security.basket)} members "
                     f"({', '.join(security.basket)})")
    elif security.proxy:
        notes.append(f"proxy: {security.ticker} stands in for the series named "
                     f"({security.name})")
    return tuple(notes)
