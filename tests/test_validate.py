"""Validation rules on real-looking data (the embedded real prices, with injected faults)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eventstudy.errors import PriceDataError
from eventstudy.prices import EmbeddedSource
from eventstudy.prices import validate as v

T = pd.Timestamp


def real(ticker: str) -> pd.Series:
    return EmbeddedSource().load(ticker)


def kinds(issues: list[v.Issue]) -> list[str]:
    return [i.kind for i in issues]


# -- structure (clean) -----------------------------------------------------------------------
def test_clean_duplicate_date_is_an_error() -> None:
    s = real("7203.T").iloc[:50]
    dup = pd.concat([s, s.iloc[[10]]])
    with pytest.raises(PriceDataError, match=r"7203\.T has date 2024-01-19 twice"):
        v.clean(dup, "7203.T", "Yahoo Finance")


@pytest.mark.parametrize("bad", [0.0, -3.0, np.nan, np.inf, "n/a"])
def test_clean_bad_price_is_an_error(bad: object) -> None:
    s = real("7203.T").iloc[:50].astype(object)
    s.iloc[7] = bad
    with pytest.raises(PriceDataError, match=r"7203\.T on 2024-01-16: price .* is not a positive"):
        v.clean(s, "7203.T", "Yahoo Finance")


def test_clean_sorts_unsorted_rows_with_a_warning() -> None:
    s = real("LYC.AX").iloc[:30]
    shuffled = s.iloc[np.random.default_rng(0).permutation(30)]
    out, issues = v.clean(shuffled, "LYC.AX", "x.csv")
    pd.testing.assert_series_equal(out, s.rename("LYC.AX"), check_freq=False)
    assert kinds(issues) == ["unsorted"] and issues[0].severity == "warning"


def test_clean_refuses_time_stamps() -> None:
    s = real("6330.T").iloc[:5]
    s.index = s.index.tz_localize("Asia/Tokyo")
    with pytest.raises(PriceDataError, match="time stamps"):
        v.clean(s, "6330.T", "Yahoo Finance")


# -- the embedded dataset's real quirks stay warnings ----------------------------------------
def test_embedded_dataset_findings() -> None:
    """README facts: ASX has no data 2026-03-11..27 (13 sessions); ARU.AX is often unchanged."""
    source = EmbeddedSource()
    found = {t: v.check(source.load(t), v.exchange_of(t)) for t in source.tickers()}
    asx = {t for t in found if t.endswith(".AX") or t in ("^AXJO", "^AORD")}
    for ticker, issues in found.items():
        assert all(i.severity == "warning" for i in issues), ticker
        gaps = [i for i in issues if i.kind == "gap"]
        if ticker in asx:
            assert [(g.first, g.last) for g in gaps] == [(T("2026-03-11"), T("2026-03-27"))]
            assert "13 sessions" in gaps[0].message
        else:
            assert gaps == [], ticker
    stale = [(i.first, i.last) for i in found["ARU.AX"] if i.kind == "stale"]
    assert stale == [(T("2024-08-07"), T("2024-08-13")), (T("2024-12-03"), T("2024-12-09"))]
    assert not any(i.kind == "split" for issues in found.values() for i in issues)


def test_gap_threshold_is_configurable() -> None:
    """LYC.AX's halt on 2025-08-28 is a 1-session gap: reported only with max_gap = 0."""
    s = real("LYC.AX").loc[:"2025-12-31"]
    assert v.check(s, "XASX") == []
    issues = v.check(s, "XASX", max_gap=0)
    assert [(i.kind, i.first, i.last) for i in issues] == [
        ("gap", T("2025-08-28"), T("2025-08-28"))]


# -- stale prices ----------------------------------------------------------------------------
def test_stale_run_injected() -> None:
    s = real("7203.T").loc["2025-01-01":"2025-06-30"].copy()
    s.loc["2025-03-03":"2025-03-10"] = s.loc["2025-02-28"]  # 6 sessions frozen at Feb 28's close
    issues = [i for i in v.check(s, "XTKS") if i.kind == "stale"]
    assert [(i.first, i.last) for i in issues] == [(T("2025-03-03"), T("2025-03-10"))]
    assert "for 6 sessions" in issues[0].message
    assert [i.kind for i in v.check(s, "XTKS", stale_run=7)] == []


# -- probable unadjusted splits --------------------------------------------------------------
def test_unadjusted_split_is_an_error() -> None:
    s = real("7203.T").loc["2025-01-01":"2025-12-31"].copy()
    s.loc["2025-09-29":] /= 5  # a 1:5 split the history was not adjusted for
    issues = [i for i in v.check(s, "XTKS") if i.kind == "split"]
    assert len(issues) == 1
    (split,) = issues
    assert split.severity == "error" and split.first == T("2025-09-29")
    assert "1:5" in split.message and "2025-09-29" in split.message


@pytest.mark.parametrize("factor, why", [
    (0.4, "a -60 % crash whose ratio 2.5 is no split ratio"),
    (0.55, "a -45 % drop is not -50 % or worse"),
])
def test_large_moves_that_are_not_splits(factor: float, why: str) -> None:
    s = real("6330.T").loc["2025-04-01":"2025-12-31"].copy()
    s.loc["2025-10-02":] *= factor  # the real move that day: +0.5 %
    assert [i for i in v.check(s, "XTKS") if i.kind == "split"] == [], why


def test_bad_tick_that_reverses_is_not_a_split() -> None:
    s = real("6330.T").loc["2025-04-01":"2025-12-31"].copy()
    s.loc["2025-10-01"] /= 10  # one bad print, back the next day
    assert [i for i in v.check(s, "XTKS") if i.kind == "split"] == []


# -- dates: off-session and UTC-shifted ------------------------------------------------------
def test_off_session_price_is_a_warning() -> None:
    s = real("^N225").loc["2025-01-01":"2025-03-31"].copy()
    s.loc[T("2025-02-01")] = s.loc["2025-01-31"]  # a Saturday
    s = s.sort_index()
    issues = v.check(s, "XTKS")
    assert [(i.kind, i.first) for i in issues if i.kind == "off-session"] == [
        ("off-session", T("2025-02-01"))]


def test_utc_shifted_dates_are_an_error() -> None:
    """Tokyo midnights converted to UTC land on the previous day (15:00 UTC)."""
    s = real("6330.T").loc["2025-01-01":"2025-06-30"]
    stamps = s.index.tz_localize("Asia/Tokyo").tz_convert("UTC")
    shifted = pd.Series(s.to_numpy(), index=stamps.tz_localize(None).normalize(), name="6330.T")
    issues = v.check(shifted, "XTKS")
    assert kinds(issues) == ["shifted-dates"] and issues[0].severity == "error"
    assert "UTC" in issues[0].message


# -- errors count only inside the study's dates -----------------------------------------------
def test_in_range() -> None:
    split = v.Issue("split", "error", "X", T("2025-09-29"), T("2025-09-29"), "X split")
    gap = v.Issue("gap", "warning", "X", T("2026-03-11"), T("2026-03-27"), "X gap")
    source = v.Issue("source", "warning", "X", None, None, "X stale cache")
    issues = [split, gap, source]
    assert v.in_range(issues, T("2025-10-01"), T("2026-03-11")) == ("X gap", "X stale cache")
    assert v.in_range(issues, T("2024-01-01"), T("2025-09-28")) == ("X stale cache",)
    with pytest.raises(PriceDataError, match=r"X split \(inside the study's dates"):
        v.in_range(issues, T("2025-01-01"), T("2025-12-31"))


# -- through the study ----------------------------------------------------------------------
EVENTS = """
[securities.LYC]
ticker = "LYC.AX"
exchange = "XASX"
benchmark = "^AXJO"

[[events]]
id = "late"
title = "an event whose estimation window spans the ASX data gap"
announced = 2026-04-15
timing = "before-open"
securities = ["LYC"]
estimation = [-120, -11]
"""


def _folder(tmp_path: Path, lyc: pd.Series) -> Path:
    folder = tmp_path / "prices"
    folder.mkdir()
    lyc.rename("close").to_csv(folder / "LYC.AX.csv", index_label="date")
    real("^AXJO").rename("close").to_csv(folder / "^AXJO.csv", index_label="date")
    return folder


def test_warnings_reach_the_pair_notes(tmp_path: Path) -> None:
    from eventstudy.study.single import run

    events = tmp_path / "events.toml"
    events.write_text(EVENTS)
    result = run("late", events=events, prices=_folder(tmp_path, real("LYC.AX")))
    notes = result.pairs[0].notes
    assert any("LYC.AX: no prices for 13 sessions 2026-03-11..2026-03-27" in n for n in notes)
    assert any("^AXJO: no prices for 13 sessions" in n for n in notes)


def test_split_inside_the_estimation_window_stops_the_run(tmp_path: Path) -> None:
    from eventstudy.study.single import run

    events = tmp_path / "events.toml"
    events.write_text(EVENTS)
    lyc = real("LYC.AX").copy()
    lyc.loc["2026-01-05":] /= 10
    with pytest.raises(PriceDataError, match=r"LYC\.AX: price fell .* on 2026-01-05, a ratio of "
                                             r"1:10: probably a split"):
        run("late", events=events, prices=_folder(tmp_path, lyc))


def test_split_outside_the_study_dates_is_not_an_obstacle(tmp_path: Path) -> None:
    from eventstudy.study.single import run

    events = tmp_path / "events.toml"
    events.write_text(EVENTS)
    lyc = real("LYC.AX").copy()
    lyc.loc["2024-06-03":] /= 2  # long before the estimation window
    result = run("late", events=events, prices=_folder(tmp_path, lyc))
    assert len(result.pairs) == 1
