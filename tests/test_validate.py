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
    # one false alarm: Koito (7276.T) +22.9 % on 2024-04-01, after a day with no volume and an
    # unchanged close; within 1 σ of a 4-for-5 reverse split, which never happened
    splits = [(t, i.first) for t, issues in found.items() for i in issues if i.kind == "split"]
    assert splits == [("7276.T", T("2024-04-01"))]


SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def _shared_closes(folder: str) -> dict[str, pd.Series]:
    out = {}
    for path in sorted((SHARED / folder / "prices").glob("*.csv")):
        close = pd.read_csv(path, index_col="date", parse_dates=True)["close"].dropna()
        out[path.stem] = close.rename(path.stem)
    return out


def test_splits_of_the_sp500_additions() -> None:
    """The six unadjusted splits of the 1997-99 S&P additions (their README), with their ratio,
    and nothing else: Danaher's 2-for-1 on an up day (-49.1 %), Qualcomm's (-48.3 %), Office
    Depot's 3-for-2 (-36.0 %), Best Buy's on a -8 % day (-54.0 %)."""
    found = {(t, i.first.date().isoformat(), i.message.split(" matches a ")[1].split(" ")[0])
             for t, s in _shared_closes("sp500adds").items()
             for i in v.check(s, "XNYS") if i.kind == "split"}
    assert found == {("DHR", "1998-06-01", "2-for-1"), ("CCL", "1998-06-15", "2-for-1"),
                     ("ODP", "1999-04-05", "3-for-2"), ("BBY", "1999-03-19", "2-for-1"),
                     ("QCOM", "1999-05-11", "2-for-1"), ("LXK", "1999-06-11", "2-for-1")}


def test_no_split_in_the_2020_crash() -> None:
    """estudy2's firms around March 2020: -15 to -22 % days (UBER, SHOP, UPWK, ZM) near 5-for-4,
    none a split."""
    closes = _shared_closes("estudy2")
    assert len(closes) == 8
    assert [i for s in closes.values() for i in v.check(s, None) if i.kind == "split"] == []


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
@pytest.mark.parametrize(("factor", "name"), [
    (1 / 5, "5-for-1 split (price ÷ 5)"), (1 / 2, "2-for-1 split (price ÷ 2)"),
    (2 / 3, "3-for-2 split (price ÷ 1.5)"), (4 / 5, "5-for-4 split (price ÷ 1.25)"),
    (10.0, "1-for-10 reverse split (price × 10)"), (2.0, "1-for-2 reverse split (price × 2)"),
])
def test_unadjusted_split_is_flagged_with_its_ratio(factor: float, name: str) -> None:
    s = real("7203.T").loc["2025-01-01":"2025-12-31"].copy()
    s.loc["2025-09-26":] *= factor  # a split the history was not adjusted for (real move +0.3 %)
    issues = [i for i in v.check(s, "XTKS") if i.kind == "split"]
    assert len(issues) == 1
    (split,) = issues
    assert split.severity == "warning" and split.first == T("2025-09-26")
    assert name in split.message and "on 2025-09-26" in split.message
    assert v.split_of(split) == T("2025-09-26")


def test_split_on_a_day_the_market_moved() -> None:
    """A 2-for-1 on a day the stock also rose 4 % (Danaher, 1998): -49 %, still a split."""
    s = real("7203.T").loc["2025-01-01":"2025-12-31"].copy()
    s.loc["2025-09-26":] *= 1.04 / 2
    (split,) = [i for i in v.check(s, "XTKS") if i.kind == "split"]
    assert "(-47.9%) on 2025-09-26 matches a 2-for-1 split" in split.message


@pytest.mark.parametrize("factor, why", [
    (0.4, "a -60 % crash whose ratio 2.5 is no split ratio"),
    (0.62, "a -38 % drop of a stock whose daily σ is 5.8 % then: under 10 σ"),
    (1.19, "Toyo Engineering's +19.5 % of 2026-01-07: 4-for-5 needs a match within 1 σ"),
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
    shifted = v.Issue("shifted-dates", "error", "X", T("2025-09-29"), T("2025-09-30"),
                      "X shifted")
    gap = v.Issue("gap", "warning", "X", T("2026-03-11"), T("2026-03-27"), "X gap")
    source = v.Issue("source", "warning", "X", None, None, "X stale cache")
    split = v.Issue("split", "warning", "X", T("2026-01-05"), T("2026-01-05"), "X split")
    issues = [shifted, gap, source, split]
    # splits are the study's to report (with what it did about them), never a generic note
    assert v.in_range(issues, T("2025-10-01"), T("2026-03-11")) == ("X gap", "X stale cache")
    assert v.in_range(issues, T("2024-01-01"), T("2025-09-28")) == ("X stale cache",)
    with pytest.raises(PriceDataError, match=r"X shifted \(inside the study's dates"):
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


def test_split_inside_the_estimation_window_leaves_the_fit(tmp_path: Path) -> None:
    """An unadjusted 10-for-1 in the estimation window: that day's return leaves the sample
    (a split is not a return); every other return, and so the fit, is as if adjusted."""
    from eventstudy.study.single import run

    events = tmp_path / "events.toml"
    events.write_text(EVENTS)
    clean = run("late", events=events, prices=_folder(tmp_path, real("LYC.AX"))).pairs[0]
    lyc = real("LYC.AX").copy()
    lyc.loc["2026-01-05":] /= 10
    (tmp_path / "split").mkdir()
    pair = run("late", events=events, prices=_folder(tmp_path / "split", lyc)).pairs[0]
    (note,) = [n for n in pair.notes if "split" in n and "matches" in n]
    assert "on 2026-01-05 matches a 10-for-1 split (price ÷ 10)" in note
    assert note.endswith("the return of 2026-01-05 is left out of the estimation sample")
    assert pair.estimation.n_obs == clean.estimation.n_obs - 1
    assert any("1 on a probable split day left out" in n for n in pair.notes)
    # the sample is the clean one less that day: refit the clean returns without it
    days = clean.residuals.set_index("date")
    assert T("2026-01-05") in days.index
    assert pair.estimation.sigma == pytest.approx(clean.estimation.sigma, rel=0.05)
    np.testing.assert_allclose(pair.days["ar"], clean.days["ar"], atol=0.01)


def test_split_outside_the_study_dates_is_not_an_obstacle(tmp_path: Path) -> None:
    from eventstudy.study.single import run

    events = tmp_path / "events.toml"
    events.write_text(EVENTS)
    lyc = real("LYC.AX").copy()
    lyc.loc["2024-06-03":] /= 2  # long before the estimation window
    result = run("late", events=events, prices=_folder(tmp_path, lyc))
    assert len(result.pairs) == 1
