"""Estimation-window hygiene: other events' windows and confounder dates leave the fit.

Known answers: simulated Tokyo prices with huge returns planted inside an earlier event's
window; the constant-mean σ̂ of the later event must equal the sample standard deviation of
the estimation returns left after removing exactly those sessions (computed here from the
simulated returns, not from the package), and the drop counts are the planted sessions.
Then the packaged calendar: the January 2026 Toyo Engineering windows leave the February fits.
"""

from __future__ import annotations

import textwrap
import tomllib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eventstudy.errors import EventsFileError
from eventstudy.events import load_events, parse_calendar
from eventstudy.sessions import sessions_in_range
from eventstudy.study.single import run

GRID = sessions_in_range("XTKS", "2024-06-03", "2025-12-30")
FIRST, SECOND = GRID[300], GRID[340]  # the first event's window lies in the second's estimation
SATURDAY = pd.Timestamp("2025-09-06")  # a confounder on a non-session: counts on Monday 09-08

EVENTS = textwrap.dedent(f"""
    [defaults]
    estimation = [-120, -11]
    window     = [-5, 5]
    car        = [[0, 0]]
    model      = "constant-mean"
    min_estimation = 60

    [securities.SIM]
    ticker = "SIM.T"
    benchmark = "^TOPX"

    [[events]]
    id = "first"
    announced = {FIRST.date().isoformat()}
    timing = "before-open"
    securities = ["SIM"]

    [[events]]
    id = "second"
    announced = {SECOND.date().isoformat()}
    timing = "before-open"
    securities = ["SIM"]

    [[confounders]]
    date = {SATURDAY.date().isoformat()}
    note = "news on a Saturday"
    securities = ["SIM"]
""")


@pytest.fixture(scope="module")
def sim(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("hygiene")
    rng = np.random.default_rng(12)
    r = rng.normal(0.0, 0.01, GRID.size)
    first_window = np.arange(300 - 5, 300 + 6)
    r[first_window] += 0.15 * np.where(first_window % 2 == 0, 1.0, -1.0)  # limit-up/-down days
    monday = GRID.get_loc(pd.Timestamp("2025-09-08"))
    r[monday] = 0.2
    r[0] = 0.0
    for name, values in (("SIM.T", 500 * np.exp(np.cumsum(r))),
                         ("^TOPX", 2500 * np.exp(np.cumsum(rng.normal(0, 0.01, GRID.size))))):
        rows = (f"{d.date()},{float(v)!r}" for d, v in zip(GRID, values, strict=True))
        lines = ["date,close", *rows]
        (folder / f"{name}.csv").write_text("\n".join(lines) + "\n")
    (folder / "events.toml").write_text(EVENTS)
    return {"folder": folder, "r": r, "first_window": first_window, "monday": monday}


def test_sessions_of_other_event_and_confounder_leave_the_fit(sim) -> None:
    # the second event's estimation window is offsets -120..-11 of position 340: 220..329
    est = np.arange(340 - 120, 340 - 10)
    assert GRID[sim["monday"]] >= GRID[est[0]] and sim["monday"] in est
    kept = np.setdiff1d(est, np.r_[sim["first_window"], sim["monday"]])
    result = run("second", events=sim["folder"] / "events.toml", prices=sim["folder"])
    fit = result.pairs[0].estimation
    assert (fit.n_excluded_events, fit.n_excluded_confounders) == (11, 1)
    assert fit.n_obs == kept.size == 110 - 12
    assert fit.sigma == pytest.approx(sim["r"][kept].std(ddof=1), rel=1e-10)
    assert fit.alpha == pytest.approx(sim["r"][kept].mean(), rel=1e-10)
    dropped = set(GRID[sim["first_window"]]) | {GRID[sim["monday"]]}
    assert not dropped & set(result.pairs[0].residuals["date"])
    doc = result.to_dict()["pairs"][0]["estimation"]
    assert (doc["n_excluded_events"], doc["n_excluded_confounders"]) == (11, 1)
    assert any("hygiene" in n and "first" in n for n in result.pairs[0].notes)


def test_hygiene_switched_off_keeps_every_return(sim) -> None:
    path = sim["folder"] / "off.toml"
    path.write_text(EVENTS.replace('min_estimation = 60', 'min_estimation = 60\n'
                                   'exclude_event_windows = false\nexclude_confounders = false'))
    fit = run("second", events=path, prices=sim["folder"]).pairs[0].estimation
    est = np.arange(340 - 120, 340 - 10)
    assert (fit.n_obs, fit.n_excluded_events, fit.n_excluded_confounders) == (110, 0, 0)
    assert fit.sigma == pytest.approx(sim["r"][est].std(ddof=1), rel=1e-10)


def test_confounders_only(sim) -> None:
    path = sim["folder"] / "conf.toml"
    path.write_text(EVENTS.replace('min_estimation = 60', 'min_estimation = 60\n'
                                   'exclude_event_windows = false'))
    fit = run("second", events=path, prices=sim["folder"]).pairs[0].estimation
    assert (fit.n_obs, fit.n_excluded_events, fit.n_excluded_confounders) == (109, 0, 1)


def test_first_event_is_untouched_by_the_later_one(sim) -> None:
    # the second event's window lies after the first event's estimation window
    fit = run("first", events=sim["folder"] / "events.toml", prices=sim["folder"]).pairs[0]
    assert fit.estimation.n_excluded_events == 0


@pytest.mark.parametrize("key, value, match", [
    ("exclude_event_windows", '"yes"', "exclude_event_windows must be true or false"),
    ("exclude_confounders", "1", "exclude_confounders must be true or false"),
    ("factors", "[]", "factors must be a non-empty list"),
    ("factors", '["^TOPX", "^TOPX"]', "distinct"),
    ("lags", "-1", "lags must be an integer from 0 to 10"),
    ("leads", "true", "leads must be an integer"),
], ids=["windows-string", "confounders-int", "factors-empty", "factors-dup", "lags-neg",
        "leads-bool"])
def test_settings_are_validated_naming_the_field(key: str, value: str, match: str) -> None:
    text = EVENTS.replace('min_estimation = 60', f'min_estimation = 60\n{key} = {value}')

    with pytest.raises(EventsFileError, match=match):
        parse_calendar(tomllib.loads(text), "x.toml")


def test_multi_factor_without_factors_is_an_events_file_error() -> None:
    text = EVENTS.replace('model      = "constant-mean"', 'model      = "multi-factor"')
    with pytest.raises(EventsFileError, match=r"multi-factor.*factors"):
        parse_calendar(tomllib.loads(text), "x.toml")


# ----------------------------------------------------------------------------------------------
# The packaged calendar: Toyo Engineering's January 2026 moves leave the February fits
# ----------------------------------------------------------------------------------------------


def test_january_windows_leave_the_february_toyo_fit() -> None:
    packaged = Path(__file__).resolve().parents[1] / "eventstudy" / "events.toml"
    on = load_events(packaged)
    off = replace(on, defaults=replace(on.defaults, exclude_event_windows=False,
                                       exclude_confounders=False))
    with_h = run("chikyu-mud", events=on)
    without = run("chikyu-mud", events=off)
    toyo_on = next(p for p in with_h.pairs if p.security == "TOYO")
    toyo_off = next(p for p in without.pairs if p.security == "TOYO")
    dates = set(toyo_on.residuals["date"])
    # dual-use-ban day 0 (2026-01-07) and the choke-off reaction (2026-01-09) are out
    assert pd.Timestamp("2026-01-07") not in dates and pd.Timestamp("2026-01-09") not in dates
    assert pd.Timestamp("2026-01-07") in set(toyo_off.residuals["date"])
    fit_on, fit_off = toyo_on.estimation, toyo_off.estimation
    assert fit_on.n_obs + fit_on.n_excluded_events + fit_on.n_excluded_confounders \
        == fit_off.n_obs
    assert fit_on.n_excluded_events > 0 and fit_off.n_excluded_events == 0
    # the +20 % day and the limit-ups inflated σ̂: dropping them lowers it
    assert fit_on.sigma < fit_off.sigma


def test_lagged_models_also_drop_the_neighbours_of_excluded_sessions(sim) -> None:
    # Dimson with one lag and one lead: the row before the other event's window reads its first
    # session as a lead, the row after reads its last as a lag; likewise around the confounder
    path = sim["folder"] / "dimson.toml"
    path.write_text(EVENTS.replace('model      = "constant-mean"', 'model      = "dimson"'))
    fit = run("second", events=path, prices=sim["folder"]).pairs[0].estimation
    assert (fit.n_excluded_events, fit.n_excluded_confounders) == (11 + 2, 1 + 2)
    assert (fit.n_obs, fit.k) == (110 - 13 - 3, 4)
