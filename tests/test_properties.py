"""Property tests (issue #9): the readers and the estimator never fail in any other way.

- Readers (price CSV, events TOML): any text gives a valid result or a package error
  (:class:`~eventstudy.errors.EventStudyError`), never another exception; a price series that
  loads obeys the :class:`~eventstudy.prices.source.PriceSource` shape.
- Estimator: any estimation sample gives a fit with finite parameters and a positive σ̂, or an
  :class:`~eventstudy.errors.EstimationError`.
- Invariants of a study: the ARs of a window sum to its CAR; scaling every price of a series
  by a constant leaves log returns, ARs and CARs unchanged; a security equal to its benchmark
  has β = 1 and zero abnormal returns (and, its residual variance being zero, is refused).

Examples are kept few (the file runs in seconds); every property is exact algebra, so a
failure is a bug, not noise.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import eventstudy
from eventstudy import sessions
from eventstudy.errors import EstimationError, EventsFileError, EventStudyError
from eventstudy.estimation.models import (
    ConstantMean,
    Dimson,
    MarketAdjusted,
    MarketModel,
    MultiFactor,
    ScholesWilliams,
)
from eventstudy.estimation.returns import pair_returns
from eventstudy.events import load_events, parse_calendar
from eventstudy.prices import PriceSource, read_price_csv

FEW = settings(max_examples=40, deadline=None,
               suppress_health_check=[HealthCheck.function_scoped_fixture,
                                      HealthCheck.too_slow])
VERY_FEW = settings(max_examples=12, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])
START, END = pd.Timestamp("2025-01-02"), pd.Timestamp("2025-12-30")

# --------------------------------------------------------------------------------------------
# Price CSV reader
# --------------------------------------------------------------------------------------------

DATE_CELLS = st.one_of(
    st.dates(dt.date(2000, 1, 1), dt.date(2030, 12, 31)).map(dt.date.isoformat),
    st.sampled_from(["", " ", "2025-02-30", "2025-13-01", "01/02/2025", "2025-1-2", "20250102",
                     "0000-01-01", "9999-12-31", "1600-01-01", "2025-01-02T00:00", "nan"]),
    st.text(max_size=12),
)
PRICE_CELLS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(1e-6, 1e6).map(lambda x: f"{x:.4f}"),
    st.integers(-5, 10**30).map(str),
    st.sampled_from(["", " ", "NaN", "nan", "-inf", "Infinity", "1e999", "1e-400", "0", "-0",
                     "1,5", "1.2.3", "$10", "10 ", '"12.5"', "0x10", "١٢", "½", "None"]),
    st.text(max_size=10),
)
HEADERS = st.sampled_from([
    "date,close", "Date,Close", "date,close,adj_close", "Date,Open,High,Low,Close,Adj Close",
    "date", "close", "date,close,close", "", "date;close", '"date","close"',
])


@st.composite
def csv_texts(draw: st.DrawFn) -> str:
    header = draw(HEADERS)
    width = max(1, header.count(",") + 1)
    rows = draw(st.lists(
        st.lists(st.one_of(DATE_CELLS, PRICE_CELLS), min_size=0, max_size=width + 1),
        max_size=8,
    ))
    good = draw(st.lists(st.tuples(
        st.dates(dt.date(2020, 1, 1), dt.date(2026, 1, 1)), st.floats(0.01, 1e5)), max_size=6))
    lines = [header, *(f"{d.isoformat()},{p}" + ",1" * (width - 2) for d, p in good)]
    lines += [",".join(cells) for cells in rows]
    order = draw(st.permutations(range(1, len(lines))))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    return newline.join([lines[0], *(lines[i] for i in order)]) + draw(st.sampled_from(["", "\n"]))


def check_price_series(series: pd.Series) -> None:
    assert series.dtype == np.float64
    assert isinstance(series.index, pd.DatetimeIndex) and series.index.name == "date"
    assert series.index.tz is None
    assert series.index.is_unique and series.index.is_monotonic_increasing
    assert len(series) > 0
    assert np.isfinite(series.to_numpy()).all() and (series.to_numpy() > 0).all()


def read_or_error(tmp_path: Path, data: bytes) -> pd.Series | None:
    path = tmp_path / "X.csv"
    path.write_bytes(data)
    try:
        series = read_price_csv(path)
    except EventStudyError as exc:  # any other exception fails the property
        message = str(exc)
        assert str(path) in message and message.strip(), message
        return None
    check_price_series(series)
    return series


@FEW
@given(text=csv_texts())
def test_price_csv_structured_text(tmp_path: Path, text: str) -> None:
    read_or_error(tmp_path, text.encode("utf-8"))


@FEW
@given(data=st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode)))
def test_price_csv_arbitrary_bytes(tmp_path: Path, data: bytes) -> None:
    read_or_error(tmp_path, data)


@FEW
@given(
    rows=st.dictionaries(st.dates(dt.date(2001, 1, 1), dt.date(2029, 1, 1)),
                         st.floats(1e-3, 1e6), min_size=1, max_size=30),
)
def test_price_csv_reads_back_what_was_written(tmp_path: Path, rows: dict) -> None:
    # Any set of distinct dates with positive prices, in any order, reads back exactly.
    text = "date,close\n" + "".join(f"{d.isoformat()},{p!r}\n" for d, p in rows.items())
    series = read_or_error(tmp_path, text.encode())
    assert series is not None
    expected = pd.Series(rows).sort_index()
    assert [d.date() for d in series.index] == list(expected.index)
    np.testing.assert_array_equal(series.to_numpy(), expected.to_numpy(float))


# --------------------------------------------------------------------------------------------
# Events file reader
# --------------------------------------------------------------------------------------------

BASE_EVENTS = """\
[defaults]
estimation = [-80, -6]
window = [-3, 3]
car = [[0, 0], [0, 1]]
model = "market"
returns = "log"
min_estimation = 40

[securities.ABC]
ticker = "ABC"
exchange = "XNYS"
benchmark = "^GSPC"

[[events]]
id = "ev"
title = "t"
announced = 2025-06-02
timing = "before-open"
securities = ["ABC"]
"""
TOML_VALUES = st.sampled_from([
    "1", "-3", "0", "3.5", "nan", "inf", "true", '"x"', '""', '"market"', '"constant-mean"',
    "[]", "[1]", "[1, 2]", "[-5, 5]", "[5, -5]", "[[0, 1]]", "[[0, 9]]", '["ABC"]', '["NOPE"]',
    '["JPY=X"]', "2025-06-02", "2025-06-02T10:00:00", "2025-06-02T10:00:00+09:00",
    "1990-01-01", "2099-01-01", "{}", "{a = 1}", '"XNYS"', '"XXXX"', '"^GSPC"', '"ABC"',
    '"after-close"', '"unknown"', '[1, "a"]', "9999999999999999999",
])


@st.composite
def events_texts(draw: st.DrawFn) -> str:
    lines = BASE_EVENTS.splitlines()
    keyed = [i for i, line in enumerate(lines) if " = " in line]
    for i in draw(st.lists(st.sampled_from(keyed), max_size=3)):
        key = lines[i].split(" = ")[0]
        if draw(st.booleans()):
            key = draw(st.sampled_from([key, key + "s", "lags", "factors", "headline", "proxy"]))
        lines[i] = f"{key} = {draw(TOML_VALUES)}"
    if draw(st.booleans()):
        lines.insert(draw(st.integers(0, len(lines))), draw(st.text(max_size=15)))
    return "\n".join(lines) + "\n"


def load_or_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "events.toml"
    path.write_text(text, encoding="utf-8")
    try:
        calendar = load_events(path)
    except EventsFileError as exc:
        assert str(path) in str(exc)
        return
    for event in calendar.events:
        for name in event.securities:
            settings_ = calendar.settings(event, calendar.security(name))
            assert settings_.estimation[1] < settings_.window[0]


@FEW
@given(text=events_texts())
def test_events_file_any_edit(tmp_path: Path, text: str) -> None:
    load_or_error(tmp_path, text)


@FEW
@given(text=st.text(max_size=150))
def test_events_file_arbitrary_text(tmp_path: Path, text: str) -> None:
    load_or_error(tmp_path, text)


@FEW
@given(value=st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(),
              st.text(max_size=5), st.dates(), st.datetimes()),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(max_size=4), inner, max_size=3)),
    max_leaves=8,
), where=st.sampled_from(["defaults", "securities", "events", "top"]))
def test_parse_calendar_any_value(value: object, where: str) -> None:
    # Values TOML cannot even hold (None, naive datetimes, nested junk) in any table.
    data = tomllib.loads(BASE_EVENTS)
    if where == "top":
        data["extra"] = value
    elif where == "defaults":
        data["defaults"]["window"] = value
    elif where == "securities":
        data["securities"]["ABC"]["benchmark"] = value
    else:
        data["events"][0]["announced"] = value
    try:
        parse_calendar(data, "mem.toml")
    except EventsFileError as exc:
        assert "mem.toml" in str(exc)


# --------------------------------------------------------------------------------------------
# Estimator
# --------------------------------------------------------------------------------------------

SAMPLE_VALUES = st.one_of(
    st.floats(-0.5, 0.5),
    st.sampled_from([0.0, 1e-300, -1e-300, 1e300, np.nan, np.inf, -np.inf]),
)


@FEW
@given(
    model=st.sampled_from([MarketModel(), ConstantMean(), MarketAdjusted()]),
    rm=st.integers(0, 40).flatmap(lambda n: st.tuples(
        st.lists(SAMPLE_VALUES, min_size=n, max_size=n),
        st.lists(SAMPLE_VALUES, min_size=n, max_size=n))),
)
def test_fit_gives_a_sound_fit_or_an_estimation_error(model, rm) -> None:
    r, m = (np.array(x, dtype=float) for x in rm)
    try:
        fit = model.fit(r, m, START, END)
    except EstimationError:
        return
    assert np.isfinite(fit.sigma) and fit.sigma > 0
    assert np.isfinite(fit.alpha)
    assert fit.df == fit.n_obs - fit.k > 0
    if model.name == "market":
        assert np.isfinite(fit.beta) and np.isfinite(fit.sxx) and fit.sxx > 0


@FEW
@given(
    model=st.sampled_from([MultiFactor(("A", "B")), Dimson(1, 1), ScholesWilliams()]),
    n=st.integers(0, 40),
    data=st.data(),
)
def test_design_models_fit_soundly_or_raise(model, n: int, data) -> None:
    width = 2 if model.name == "multi-factor" else 3
    r = np.array(data.draw(st.lists(SAMPLE_VALUES, min_size=n, max_size=n)), dtype=float)
    x = np.array(data.draw(st.lists(SAMPLE_VALUES, min_size=n * width, max_size=n * width)),
                 dtype=float).reshape(n, width)
    try:
        fit = model.fit(r, x, START, END)
    except EstimationError:
        return
    assert np.isfinite(fit.sigma) and fit.sigma > 0
    assert np.isfinite(fit.coef).all() and fit.df == fit.n_obs - fit.k > 0


@FEW
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(5, 60), scale=st.floats(1e-4, 0.2))
def test_security_equal_to_its_benchmark(seed: int, n: int, scale: float) -> None:
    m = np.random.default_rng(seed).normal(0.0, scale, n)
    assume(np.ptp(m) > 0)
    # The OLS step: β = 1, α = 0 and every residual (abnormal return) zero ...
    alpha, beta, resid, *_ = MarketModel()._ols(m[None].copy(), m[None])
    assert beta[0] == pytest.approx(1.0, rel=1e-12)
    assert alpha[0] == pytest.approx(0.0, abs=1e-12 * scale)
    np.testing.assert_allclose(resid[0], 0.0, atol=1e-12 * scale)
    # ... so σ̂ = 0 and no t statistic exists: the fit is refused, never infinite t.
    with pytest.raises(EstimationError, match="identical to its benchmark"):
        MarketModel().fit(m.copy(), m, START, END)
    with pytest.raises(EstimationError, match="identical to its benchmark"):
        MarketAdjusted().fit(m.copy(), m, START, END)


# --------------------------------------------------------------------------------------------
# Study invariants (in-memory prices on real XNYS sessions)
# --------------------------------------------------------------------------------------------

DATES = sessions.sessions_in_range("XNYS", "2025-01-02", "2025-08-29")
EVENTS = parse_calendar(tomllib.loads(BASE_EVENTS.replace("[0, 1]]", "[0, 1], [-3, 3], [-1, 2]]")),
                        "mem.toml")


class MemorySource(PriceSource):
    """Price series held in a dict (a PriceSource for tests)."""

    name = "memory"

    def __init__(self, series: dict[str, pd.Series]) -> None:
        self.series = series

    def has(self, ticker: str) -> bool:
        return ticker in self.series

    def load(self, ticker: str) -> pd.Series:
        return self.series[ticker].rename(ticker).rename_axis("date")

    def tickers(self) -> list[str]:
        return sorted(self.series)


def prices(seed: int, beta: float, sigma: float, jump: float) -> dict[str, pd.Series]:
    rng = np.random.default_rng(seed)
    m = rng.normal(0.0, 0.01, len(DATES))
    r = beta * m + rng.normal(0.0, sigma, len(DATES))
    r[DATES.get_loc(pd.Timestamp("2025-06-02"))] += jump
    return {"ABC": pd.Series(20 * np.exp(np.cumsum(r)), index=DATES),
            "^GSPC": pd.Series(4000 * np.exp(np.cumsum(m)), index=DATES)}


STUDIES = st.tuples(st.integers(0, 2**32 - 1), st.floats(-1.0, 3.0), st.floats(0.001, 0.05),
                    st.floats(-0.3, 0.3))


def study(series: dict[str, pd.Series], returns: str = "log"):
    events = EVENTS if returns == "log" else parse_calendar(
        tomllib.loads(BASE_EVENTS.replace('"log"', '"simple"')), "mem.toml")
    return eventstudy.run("ev", events=events, prices=MemorySource(series))


@VERY_FEW
@given(params=STUDIES, returns=st.sampled_from(["log", "simple"]))
def test_ar_sums_to_car(params, returns: str) -> None:
    (pair,) = study(prices(*params), returns).pairs
    days = pair.days.set_index("t")
    np.testing.assert_allclose(days["car"], days["ar"].cumsum(), rtol=1e-12, atol=1e-15)
    for _, row in pair.car.iterrows():
        lo, hi = row["window"]
        assert row["car"] == pytest.approx(days.loc[lo:hi, "ar"].sum(), rel=1e-12, abs=1e-15)
        assert row["n_days"] == hi - lo + 1


@VERY_FEW
@given(params=STUDIES, c_sec=st.floats(1e-3, 1e4), c_bench=st.floats(1e-3, 1e4))
def test_scaling_prices_leaves_the_study_unchanged(params, c_sec: float, c_bench: float) -> None:
    base = prices(*params)
    scaled = {"ABC": base["ABC"] * c_sec, "^GSPC": base["^GSPC"] * c_bench}
    grid = DATES[DATES <= pd.Timestamp("2025-06-05")]
    a = pair_returns(base["ABC"], base["^GSPC"], grid, "log")[0]
    b = pair_returns(scaled["ABC"], scaled["^GSPC"], grid, "log")[0]
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-9, atol=1e-12)
    (p,), (q,) = study(base).pairs, study(scaled).pairs
    assert q.estimation.beta == pytest.approx(p.estimation.beta, rel=1e-8, abs=1e-10)
    assert q.estimation.sigma == pytest.approx(p.estimation.sigma, rel=1e-8)
    for column in ("ar", "se", "car"):
        np.testing.assert_allclose(q.days[column], p.days[column], rtol=1e-7, atol=1e-11)
    np.testing.assert_allclose(q.car["car"], p.car["car"], rtol=1e-7, atol=1e-11)


@VERY_FEW
@given(params=STUDIES)
def test_study_of_a_security_equal_to_its_benchmark_is_refused(params) -> None:
    series = prices(*params)
    series["ABC"] = series["^GSPC"] * 0.01  # same returns, another ticker and price level
    with pytest.raises(EstimationError, match="identical to its benchmark"):
        study(series)
