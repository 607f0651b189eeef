"""The events file: the shipped calendar, settings precedence and every schema error."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventstudy.errors import EventsFileError, UnknownEventError
from eventstudy.events import load_events
from eventstudy.sessions import MAX_OFFSET, as_window

ROOT = Path(__file__).resolve().parents[1]

# The calendar of issue 3: id -> (announced, timing or None for an instant)
CALENDAR = {
    "seven-rare-earths": (dt.date(2025, 4, 4), "after-close"),
    "controls-expansion": (dt.date(2025, 10, 9), "intraday"),
    "busan-truce": ("2025-10-30T15:55:00+08:00", None),
    "takaichi-remark": (dt.date(2025, 11, 7), "unknown"),
    "travel-advisory": (dt.date(2025, 11, 14), "after-close"),
    "seafood-suspension": ("2025-11-19T14:12:00+09:00", None),
    "dual-use-ban": ("2026-01-06T16:25:00+08:00", None),
    "dual-use-ban-te": ("2026-01-06T16:25:00+08:00", None),  # the TE variants (issue 13)
    "rare-earth-choke-off": (dt.date(2026, 1, 8), "after-close"),
    "chikyu-mud": (dt.date(2026, 2, 2), "before-open"),
    "entity-lists": ("2026-02-24T10:23:00+08:00", None),
}


def test_packaged_copy_equals_root_events_file() -> None:
    # The CLI falls back to the packaged copy outside the repository: it must not drift.
    assert (ROOT / "events.toml").read_bytes() == (ROOT / "eventstudy/events.toml").read_bytes()


def test_shipped_calendar_matches_the_issue() -> None:
    calendar = load_events(ROOT / "events.toml")
    assert [e.id for e in calendar.events] == list(CALENDAR)
    for event in calendar.events:
        announced, timing = CALENDAR[event.id]
        if timing is None:
            assert event.announced == dt.datetime.fromisoformat(announced)
        else:
            assert (event.announced, event.timing) == (announced, timing)
        assert event.sources and all(s.startswith("http") for s in event.sources)
        assert event.tags
    # Timing unknown makes CAR(0,+1) the headline window (contract.md).
    assert calendar.event("takaichi-remark").headline == (0, 1)
    assert calendar.event("dual-use-ban").headline == (0, 0)


def test_shipped_securities() -> None:
    calendar = load_events(ROOT / "events.toml")
    lyc, toyo, te, n225 = (calendar.securities[a] for a in ("LYC", "TOYO", "TE", "N225"))
    assert (lyc.ticker, lyc.exchange, lyc.benchmark) == ("LYC.AX", "XASX", "^AXJO")
    assert (toyo.ticker, toyo.exchange, toyo.benchmark) == ("6330.T", "XTKS", "^TOPX")
    assert te.proxy and len(te.basket) == 15 and te.benchmark == "^TOPX"
    assert "7203.T" in te.basket and "7011.T" not in te.basket  # MHI is Machinery
    # issue 13: TE is capitalisation-weighted by JPX's TOPIX weights of 2025-12-30
    assert te.weights_date == dt.date(2025, 12, 30) and len(te.weights) == 15
    assert dict(zip(te.basket, te.weights, strict=True))["7203.T"] == 3.6974
    assert sum(te.weights) == pytest.approx(6.3877, abs=1e-9)  # % of TOPIX
    assert "proxy" in te.name and "capitalisation-weighted" in te.name
    ew, etf = calendar.securities["TE-EW"], calendar.securities["TE-ETF"]
    assert ew.basket == te.basket and not ew.weights and ew.proxy
    assert (etf.ticker, etf.proxy, etf.basket) == ("1622.T", True, ())
    # world-market model: New York's previous session, read by instant on Tokyo sessions
    assert (n225.benchmark, n225.benchmark_exchange) == ("^GSPC", "XNYS")
    event = calendar.event("dual-use-ban")
    assert calendar.settings(event, n225).model == "market"
    assert calendar.settings(event, toyo).model == "market"


def test_default_path_falls_back_to_packaged(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_events().path == "packaged events.toml"
    (tmp_path / "events.toml").write_text(MINIMAL)
    assert load_events().path.endswith("events.toml") and len(load_events().events) == 1


MINIMAL = textwrap.dedent("""
    [securities.A]
    ticker = "6330.T"
    benchmark = "^TOPX"

    [[events]]
    id = "e1"
    announced = 2026-01-06
    securities = ["A"]
""")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "events.toml"
    path.write_text(textwrap.dedent(text))
    return path


def test_minimal_file_takes_defaults(tmp_path) -> None:
    calendar = load_events(write(tmp_path, MINIMAL))
    event = calendar.event("e1")
    settings = calendar.settings(event, calendar.security("A"))
    assert settings.estimation == (-250, -11) and settings.window == (-5, 5)
    assert calendar.security("A").exchange == "XTKS"  # inferred from ".T"
    assert event.timing == "unknown" and event.headline == (0, 1)


def test_precedence_defaults_event_security(tmp_path) -> None:
    path = write(tmp_path, """
        [defaults]
        window = [-3, 3]
        car = [[0, 1]]
        [securities.A]
        ticker = "6330.T"
        benchmark = "^TOPX"
        model = "market-adjusted"
        [[events]]
        id = "e1"
        announced = 2026-01-06
        model = "constant-mean"
        window = [-2, 2]
        securities = ["A", "7203.T"]
    """)
    calendar = load_events(path)
    event = calendar.event("e1")
    a = calendar.settings(event, calendar.security("A"))
    raw = calendar.settings(event, calendar.security("7203.T"))
    assert (a.model, a.window) == ("market-adjusted", (-2, 2))  # security beats event
    assert (raw.model, raw.window, raw.car) == ("constant-mean", (-2, 2), ((0, 1),))
    assert calendar.security("7203.T").benchmark == "^TOPX"  # raw ticker: exchange default


def test_unknown_event_suggests(tmp_path) -> None:
    calendar = load_events(write(tmp_path, MINIMAL))
    with pytest.raises(UnknownEventError, match="did you mean 'e1'"):
        calendar.event("e")


BASKET = textwrap.dedent("""
    [securities.B]
    ticker = "B-PROXY"
    exchange = "XTKS"
    benchmark = "^TOPX"
    basket = ["7203.T", "7267.T"]
    weights_date = 2025-12-30
    weights = {"7203.T" = 3.5, "7267.T" = 0.5}

    [[events]]
    id = "e1"
    announced = 2026-01-06
    securities = ["B"]
""")

BAD = {
    "toml-syntax": ("[defaults\n", "invalid TOML.*line 1"),
    "unknown-top-key": (MINIMAL + "\n[extra]\nx = 1\n", "unknown key 'extra'"),
    "unknown-event-key": (MINIMAL.replace('id = "e1"', 'id = "e1"\ntimming = "intraday"'),
                          "unknown key 'timming'.*did you mean 'timing'"),
    "wrong-type-window": ("[defaults]\nwindow = \"-5,5\"\n" + MINIMAL, "window must be two"),
    "reversed-window": ("[defaults]\nwindow = [5, -5]\n" + MINIMAL, "reversed"),
    "overlap": ("[defaults]\nestimation = [-100, 0]\n" + MINIMAL, "overlaps"),
    "car-outside": ("[defaults]\ncar = [[0, 20]]\n" + MINIMAL, "outside the event window"),
    "bad-model": ("[defaults]\nmodel = \"capm\"\n" + MINIMAL, "model = 'capm' is not one of"),
    "bad-returns": ("[defaults]\nreturns = \"pct\"\n" + MINIMAL, "returns = 'pct'"),
    "bad-min": ("[defaults]\nmin_estimation = 1\n" + MINIMAL, "min_estimation must be"),
    "duplicate-id": (MINIMAL + "[[events]]\nid = \"e1\"\nannounced = 2026-01-07\n"
                     "securities = [\"A\"]\n", "duplicate event id 'e1'"),
    "bad-id": (MINIMAL.replace('"e1"', '"E 1"'), r"must match \[a-z0-9-\]\+"),
    "naive-datetime": (MINIMAL.replace("2026-01-06", "2026-01-06T10:00:00"), "no UTC offset"),
    "no-announced": (MINIMAL.replace("announced = 2026-01-06\n", ""), "needs announced"),
    "bad-timing": (MINIMAL.replace('id = "e1"', 'id = "e1"\ntiming = "lunch"'), "timing"),
    "no-securities": (MINIMAL.replace('securities = ["A"]', "securities = []"),
                      "needs securities"),
    "near-alias": (MINIMAL.replace('securities = ["A"]', 'securities = ["LYCC"]').replace(
        "[securities.A]", "[securities.LYC]"), "unknown security 'LYCC'; did you mean 'LYC'"),
    "unresolvable-ticker": (MINIMAL.replace('securities = ["A"]', 'securities = ["JPY=X"]'),
                            "neither a \\[securities\\] alias"),
    "no-benchmark": (MINIMAL.replace('benchmark = "^TOPX"\n', ""), "has no benchmark"),
    "benchmark-is-self": (MINIMAL.replace('benchmark = "^TOPX"', 'benchmark = "6330.T"'),
                          "benchmark is the security itself"),
    "no-events": ("[defaults]\n", r"no \[\[events\]\]"),
    "weights-no-basket": (MINIMAL.replace('benchmark = "^TOPX"', 'benchmark = "^TOPX"\n'
                                          'weights_date = 2025-12-30\nweights = {"6330.T" = 1}'),
                          "weights and weights_date need a basket"),
    "weights-no-date": (BASKET.replace("weights_date = 2025-12-30\n", ""),
                        "weights and weights_date go together"),
    "weights-date-text": (BASKET.replace("2025-12-30", '"2025-12-30"'),
                          "weights_date must be a date like 2025-12-30"),
    "weights-missing-member": (BASKET.replace(', "7267.T" = 0.5', ""),
                               "weights lack 7267.T; give every member a weight"),
    "weights-extra": (BASKET.replace('"7267.T" = 0.5', '"7267.T" = 0.5, "7011.T" = 1'),
                      "weights name 7011.T, not in the basket"),
    "weights-zero": (BASKET.replace('"7267.T" = 0.5', '"7267.T" = 0'),
                     "weights must be positive numbers: 7267.T = 0"),
    "weights-not-table": (BASKET.replace('{"7203.T" = 3.5, "7267.T" = 0.5}', "[3.5, 0.5]"),
                          "weights must be a table"),
    "security-not-table": ("securities = 3\n" + MINIMAL.split('benchmark = "^TOPX"')[1],
                           "must be a table"),
}


@pytest.mark.parametrize("key", list(BAD))
def test_bad_events_file(tmp_path, key) -> None:
    text, pattern = BAD[key]
    path = tmp_path / "events.toml"
    path.write_text(text)
    with pytest.raises(EventsFileError, match=pattern) as info:
        load_events(path)
    assert str(path) in str(info.value)  # the message names the file


def test_missing_file(tmp_path) -> None:
    with pytest.raises(EventsFileError, match="not found"):
        load_events(tmp_path / "nope.toml")


def test_basket_weights_are_read_in_basket_order(tmp_path) -> None:
    text = BASKET.replace('{"7203.T" = 3.5, "7267.T" = 0.5}', '{"7267.T" = 0.5, "7203.T" = 3.5}')
    b = load_events(write(tmp_path, text)).security("B")
    assert b.basket == ("7203.T", "7267.T") and b.weights == (3.5, 0.5)
    assert b.weighting == "capitalisation-weighted (weights as of 2025-12-30)"
    assert load_events(write(tmp_path, MINIMAL)).security("A").weighting == ""


# --- issue 27: read as meant, or refused at the root ------------------------------------------


def test_a_byte_order_mark_is_not_part_of_the_file(tmp_path) -> None:
    plain = load_events(write(tmp_path, MINIMAL))
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + textwrap.dedent(MINIMAL).encode())
    marked = load_events(path)
    assert marked.events == plain.events and marked.securities == plain.securities


@given(st.tuples(st.integers(-12_000, 12_000), st.integers(-12_000, 12_000)),
       st.sampled_from([list, tuple, np.array, lambda w: [float(x) for x in w],
                        lambda w: [np.int32(x) for x in w]]))
@settings(max_examples=200, deadline=None)
def test_a_window_is_two_ordered_integers_within_the_limit(pair, kind) -> None:
    start, end = pair
    ok = start <= end and max(abs(start), abs(end)) <= MAX_OFFSET
    if ok:
        window = as_window(kind(pair))
        assert window == (start, end) and all(type(x) is int for x in window)
    else:
        with pytest.raises(ValueError, match=r"reversed|out of range"):
            as_window(kind(pair))


@pytest.mark.parametrize("value", [(-1.5, 2), (float("nan"), 1), (-np.inf, 0), (True, 3),
                                   ("-3", "3"), (1, 2, 3), (1,), 5, "-3..3", None])
def test_anything_else_is_not_a_window(value) -> None:
    with pytest.raises(ValueError, match="must be two integers"):
        as_window(value)
