"""Cross-exchange alignment by instant (world-market model): real holiday weeks.

``align_sessions(exchange, sessions, other)`` gives, for each session of ``exchange``, the last
session of ``other`` that closed before it opened. Known answers are read off the published
holiday calendars (comments say why); the general rule is checked against exchange_calendars'
open/close instants for every ordered pair of four exchanges over two years; the end-to-end
check reads the S&P 500 from the raw CSV.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eventstudy.events import load_events
from eventstudy.prices import embedded, open_source
from eventstudy.sessions import align_sessions, get_calendar, sessions_in_range
from eventstudy.study.pair import study_pair

DATA = Path(embedded.__file__).resolve().parent / "data"
D = pd.Timestamp

CASES = [
    # Tokyo closed 2025-12-31 .. 2026-01-02 (New Year) while New York trades 12-31 and 01-02:
    # Tokyo's 2026-01-05 open (00:00 UTC) follows New York's 2026-01-02 close.
    ("XTKS", "XNYS", "2025-12-29", "2026-01-06",
     {"2025-12-29": "2025-12-26", "2025-12-30": "2025-12-29", "2026-01-05": "2026-01-02",
      "2026-01-06": "2026-01-05"}),
    # US Thanksgiving 2025-11-27: New York closed; Tokyo trades 11-27 and 11-28, both after
    # New York's 11-26 close (the 11-28 half day closes 18:00 UTC, after Tokyo's 11-28 session).
    # Tokyo is closed 2025-11-24 (Labour Thanksgiving, substitute holiday).
    ("XTKS", "XNYS", "2025-11-21", "2025-12-01",
     {"2025-11-21": "2025-11-20", "2025-11-25": "2025-11-24", "2025-11-26": "2025-11-25",
      "2025-11-27": "2025-11-26", "2025-11-28": "2025-11-26", "2025-12-01": "2025-11-28"}),
    # Golden Week 2025: Tokyo closed 04-29 and 05-05/05-06; New York open on all three.
    ("XTKS", "XNYS", "2025-04-28", "2025-05-07",
     {"2025-04-28": "2025-04-25", "2025-04-30": "2025-04-29", "2025-05-01": "2025-04-30",
      "2025-05-02": "2025-05-01", "2025-05-07": "2025-05-06"}),
    # The other way round: New York reads Tokyo's same-day session (Tokyo closes 06:30 UTC,
    # before New York opens); over the New Year, New York's 12-31 and 01-02 read Tokyo 12-30.
    ("XNYS", "XTKS", "2025-12-29", "2026-01-05",
     {"2025-12-29": "2025-12-29", "2025-12-30": "2025-12-30", "2025-12-31": "2025-12-30",
      "2026-01-02": "2025-12-30", "2026-01-05": "2026-01-05"}),
    # Sydney opens 23:00 UTC the day before (AEDT): its 2026-01-02 session reads New York's
    # 12-31; Sydney closed 12-25, 12-26 and 01-01, New York closed 12-25 and 01-01.
    ("XASX", "XNYS", "2025-12-22", "2026-01-05",
     {"2025-12-22": "2025-12-19", "2025-12-23": "2025-12-22", "2025-12-24": "2025-12-23",
      "2025-12-29": "2025-12-26", "2025-12-30": "2025-12-29", "2025-12-31": "2025-12-30",
      "2026-01-02": "2025-12-31", "2026-01-05": "2026-01-02"}),
]


@pytest.mark.parametrize("here, there, start, end, expected", CASES,
                         ids=["tokyo-new-year", "us-thanksgiving", "golden-week",
                              "new-york-reads-tokyo", "sydney-new-year"])
def test_holiday_weeks(here: str, there: str, start: str, end: str, expected: dict) -> None:
    sessions = sessions_in_range(here, start, end)
    assert [str(s.date()) for s in sessions] == list(expected)
    got = align_sessions(here, sessions, there)
    assert [str(s.date()) for s in got] == list(expected.values())


def test_same_exchange_is_identity() -> None:
    sessions = sessions_in_range("XTKS", "2025-04-28", "2025-05-09")
    assert align_sessions("XTKS", sessions, "XTKS").equals(sessions)


@pytest.mark.parametrize("here, there", list(itertools.permutations(
    ["XTKS", "XASX", "XNYS", "XLON"], 2)))
def test_rule_holds_for_any_pair_of_exchanges(here: str, there: str) -> None:
    """The aligned session closed before the open; the next session of ``there`` did not."""
    a, b = (get_calendar(x, "2024-01-01", "2026-12-31") for x in (here, there))
    sessions = a.sessions_in_range("2024-06-03", "2026-03-31")
    got = align_sessions(here, sessions, there)
    opens = a.schedule.loc[sessions, "open"].to_numpy()
    closes = b.schedule["close"]
    assert (closes.loc[got].to_numpy() < opens).all()
    nxt = b.sessions.get_indexer(got) + 1
    assert (closes.iloc[nxt].to_numpy() >= opens).all()
    assert got.is_monotonic_increasing


def test_world_market_n225_reads_new_yorks_previous_sessions() -> None:
    calendar = load_events(Path(__file__).resolve().parents[1] / "eventstudy" / "events.toml")
    event = calendar.event("dual-use-ban")
    n225 = calendar.security("N225")
    world = replace(n225, benchmark="^GSPC", benchmark_exchange="XNYS")
    settings = replace(calendar.settings(event, n225), model="market")
    pair = study_pair(calendar, event, world, settings, open_source(None))
    gspc = pd.read_csv(DATA / "^GSPC.csv", index_col="date", parse_dates=True)["close"]
    days = pair.days.set_index("date")
    # Tokyo 2026-01-05 follows Tokyo 2025-12-30: New York sessions 12-30, 12-31 and 01-02 were
    # observable in between, i.e. New York's close 2025-12-29 -> 2026-01-02
    assert days.loc[D("2026-01-05"), "benchmark_return"] == pytest.approx(
        np.log(gspc[D("2026-01-02")] / gspc[D("2025-12-29")]), rel=1e-12)
    assert days.loc[D("2026-01-07"), "benchmark_return"] == pytest.approx(
        np.log(gspc[D("2026-01-06")] / gspc[D("2026-01-05")]), rel=1e-12)
    assert pair.benchmark == "^GSPC" and pair.estimation.k == 2
    # Thanksgiving in the estimation window: Tokyo 2025-11-28 reads New York 11-26 again
    res = pair.residuals.set_index("date")
    assert D("2025-11-28") in res.index
    ar = res.loc[D("2025-11-28"), "ar"]
    n225_close = pd.read_csv(DATA / "^N225.csv", index_col="date", parse_dates=True)["close"]
    r = np.log(n225_close[D("2025-11-28")] / n225_close[D("2025-11-27")])
    assert ar == pytest.approx(r - pair.estimation.alpha, rel=1e-10)  # zero benchmark return
