"""Calendars sized to the study: any date exchange_calendars supports, nothing tied to today.

- The sized calendars (regular holidays computed over the range only) give exchange_calendars'
  own sessions, opens, closes and breaks, on several exchanges and decades.
- The order in which ranges are asked for changes nothing.
- Two clocks, two processes: the 1997-99 S&P 500 additions study, the embedded headline study
  and an error message are the same today and in 2041 (time-machine moves the clock).
- The S&P additions through `eventstudy run` on the NYSE calendar of the 1990s: all 16 firms,
  each fit equal to OLS on the NYSE sessions of its window (split days left out).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import exchange_calendars
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from typer.testing import CliRunner

from eventstudy.cli import app
from eventstudy.sessions import exchanges, schedule, sessions_at

sys.path.insert(0, str(Path(__file__).parent))
import sp500adds

RANGES = [
    ("XNYS", "1996-01-01", "1999-12-31"),
    ("XNYS", "2099-06-01", "2101-06-30"),
    ("XTKS", "1997-01-01", "1998-12-31"),
    ("XTKS", "2024-01-01", "2026-12-31"),
    ("XASX", "2008-01-01", "2009-12-31"),
    ("XLON", "1999-06-01", "2001-06-30"),
    ("XHKG", "2019-12-01", "2020-02-28"),
    ("XFRA", "2015-01-01", "2016-12-31"),
]


@pytest.mark.parametrize(("code", "start", "end"), RANGES,
                         ids=[f"{c}-{s[:4]}" for c, s, _ in RANGES])
def test_sized_calendar_is_exchange_calendars_own(code: str, start: str, end: str) -> None:
    ours = exchanges.get_calendar(code, start, end)
    # the library's own class (no sizing), built over a wider range, cut to ours
    floor = exchanges.supported_range(code)[0]
    wide = pd.Timestamp(start) - pd.DateOffset(years=2)
    theirs = exchange_calendars.get_calendar(
        code, start=wide if floor is None else max(wide, floor),
        end=pd.Timestamp(end) + pd.DateOffset(years=2))
    expected = theirs.schedule.loc[ours.first_session:ours.last_session]
    pd.testing.assert_frame_equal(ours.schedule, expected, check_freq=False)
    assert type(ours).__mro__[1] is type(theirs) or type(ours) is type(theirs)


def test_order_of_ranges_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    asks = [("1997-04-30", -250, 5), ("2025-06-02", -250, 5), ("1998-12-10", -130, 2)]
    results = []
    for order in (asks, asks[::-1]):
        monkeypatch.setattr(schedule, "_BUILT", {})
        results.append({a: sessions_at("XNYS", a, lo, hi) for a, lo, hi in order})
    for key in results[0]:
        assert results[0][key].equals(results[1][key])
    # the registry grew to cover both decades, once per range asked beyond it
    built = schedule._BUILT["XNYS"]
    assert built.span[0].year <= 1995 and built.span[1].year >= 2026


SCRIPT = """
import json, sys, time_machine
with time_machine.travel(sys.argv[1], tick=False):
    import eventstudy as es
    sp = es.run_many(tag="addition", events=sys.argv[2], prices=sys.argv[3])
    own = es.run("dual-use-ban")
    try:
        es.run("early", events=sys.argv[4])
    except es.EventStudyError as exc:
        error = str(exc)
    print(json.dumps({"sp": sp.to_dict(), "own": own.to_dict(), "error": error}))
"""

EARLY = """
[securities.TOYO]
ticker = "6330.T"
exchange = "XTKS"
benchmark = "^TOPX"

[[events]]
id = "early"
announced = 1995-05-01
securities = ["TOYO"]
"""


def test_no_result_depends_on_todays_date(tmp_path: Path) -> None:
    pytest.importorskip("time_machine")
    events = tmp_path / "sp500adds.toml"
    events.write_text(sp500adds.events_toml(), encoding="utf-8")
    early = tmp_path / "early.toml"
    early.write_text(EARLY, encoding="utf-8")
    docs = []
    for clock in ("2026-12-06", "2041-07-01"):
        out = subprocess.run(
            [sys.executable, "-c", SCRIPT, clock, str(events), str(sp500adds.PRICES),
             str(early)], capture_output=True, text=True, check=True, cwd=tmp_path)
        docs.append(json.loads(out.stdout))
    assert docs[0] == docs[1]
    assert len(docs[0]["sp"]["pairs"]) == 16
    # the one line names the first session Tokyo's calendar supports, not a moving bound
    assert docs[0]["error"].endswith(
        "announced 1995-05-01 is before 1997-01-06, the first XTKS session exchange_calendars "
        "supports")


def test_sp500_additions_run_with_all_16_firms(tmp_path: Path) -> None:
    events = tmp_path / "events.toml"
    events.write_text(sp500adds.events_toml(), encoding="utf-8")
    result = CliRunner().invoke(app, ["run", "--tag", "addition", "--events", str(events),
                                      "--prices", str(sp500adds.PRICES), "-f", "json",
                                      "--bootstrap", "0"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["excluded"] == []
    pairs = {p["security"]: p for p in doc["pairs"]}
    assert len(pairs) == 16
    market = _log_returns("SP500")
    nyse = exchange_calendars.get_calendar("XNYS", start="1996-01-01", end="2000-12-31")
    for req in sp500adds.requests():
        ticker = str(req["ticker"])
        pair = pairs[ticker]
        day0 = pd.Timestamp(str(req["date"]))
        assert pair["day0"] == str(req["date"])
        # the estimation window counted in NYSE sessions (exchange_calendars, independently)
        at = nyse.sessions.get_loc(day0)
        window = nyse.sessions[at - 130:at - 10]
        r = _log_returns(ticker).reindex(window)
        m = market.reindex(window)
        keep = r.notna() & m.notna()
        split = sp500adds.SPLITS.get(ticker)
        if split is not None:  # the split day's return is the split: left out of the fit
            day = next(n for n in pair["notes"] if "split" in n).split(" on ")[1][:10]
            n, k = (int(x) for x in split.split(":"))
            assert r[pd.Timestamp(day)] == pytest.approx(-np.log(n / k), abs=0.1)
            keep[pd.Timestamp(day)] = False
        ols = sm.OLS(r[keep], sm.add_constant(m[keep])).fit()
        est = pair["estimation"]
        assert est["n_obs"] == int(keep.sum()) == 120 - (split is not None)
        assert est["alpha"] == pytest.approx(ols.params.iloc[0], rel=1e-9, abs=1e-12)
        assert est["beta"] == pytest.approx(ols.params.iloc[1], rel=1e-9)
        assert est["sigma"] == pytest.approx(np.sqrt(ols.scale), rel=1e-9)
    # Danaher's sigma with the split day left out, not 0.067 as when it was estimated across it
    assert pairs["DHR"]["estimation"]["sigma"] == pytest.approx(0.0264, abs=5e-4)


def _log_returns(ticker: str) -> pd.Series:
    close = pd.read_csv(sp500adds.PRICES / f"{ticker}.csv", index_col="date",
                        parse_dates=True)["close"]
    return np.log(close).diff()


def test_schedules_kept_on_disk_read_back_the_same(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A schedule built once is read back by the next process, array for array; a file that
    cannot be read is rebuilt; with the cache off nothing is written."""
    from eventstudy.sessions import stored

    monkeypatch.setenv("EVENTSTUDY_CALENDAR_CACHE", str(tmp_path / "cal"))
    start, end = pd.Timestamp("2023-01-01"), pd.Timestamp("2027-12-31")
    built = schedule._build_schedule("XTKS", start, end)
    (saved,) = (tmp_path / "cal").glob("XTKS-20230101-20271231-*.npz")
    read = schedule._build_schedule("XTKS", start, end)  # from the file this time
    for name in ("sessions", "opens", "closes", "break_starts", "break_ends"):
        assert getattr(read, name).equals(getattr(built, name)), name
    assert (read.tz, read.weekmask) == (built.tz, built.weekmask)
    theirs = exchange_calendars.get_calendar("XTKS", start=start, end=end)
    assert read.sessions.equals(theirs.sessions)
    assert read.closes.equals(pd.DatetimeIndex(theirs.closes))
    saved.write_bytes(b"torn")  # unreadable: built again, and written again
    again = schedule._build_schedule("XTKS", start, end)
    assert again.sessions.equals(built.sessions) and saved.stat().st_size > 100
    monkeypatch.setenv("EVENTSTUDY_CALENDAR_CACHE", "off")
    assert stored.folder() is None
    schedule._build_schedule("XASX", start, end)
    assert not list((tmp_path / "cal").glob("XASX-*"))
