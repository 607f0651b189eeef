"""The stacked engine (eventstudy.study.stacked) against the one-pair path, bit for bit.

Every pair studied both ways must give the same PairResult: the same floats to the last bit, the
same frames (values and dtypes), notes, confounders and exclusions. The cases put the stacked
path through what its estimation samples handle (gaps trade to trade, a missing day 0, other
events' windows, confounders, probable splits, the three closed-form models, simple returns)
and through what it hands back (a listing inside the estimation window, prices dated off the
sessions, baskets, design models, exclusions); each test also checks that the stacked path
computed some pairs, so that it cannot pass by handing everything back.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sp500adds import PRICES as SP500_PRICES
from sp500adds import events_toml as sp500_events

from eventstudy.events import load_events
from eventstudy.prices import embedded
from eventstudy.study.results import PairResult
from eventstudy.study.single import event_requests, open_prices
from eventstudy.study.stacked import study_pairs

FRAMES = ("days", "car", "residuals")


def _same_pair(a: PairResult, b: PairResult) -> None:
    for f in dataclasses.fields(PairResult):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if f.name in FRAMES:
            pd.testing.assert_frame_equal(x, y, check_exact=True, obj=f"{a.security} {f.name}")
        elif f.name == "design":
            assert np.array_equal(x, y, equal_nan=True), a.security
        elif f.name == "arrays":
            continue
        elif f.name == "estimation":
            for g in dataclasses.fields(x):
                u, v = getattr(x, g.name), getattr(y, g.name)
                if g.name == "xtx_inv":
                    assert (u is None and v is None) or np.array_equal(u, v)
                elif isinstance(u, float) and np.isnan(u):
                    assert np.isnan(v), (a.security, g.name)
                else:
                    assert u == v and type(u) is type(v), (a.security, g.name, u, v)
        else:
            assert x == y, (a.security, f.name, x, y)
    ra, rb = a.row(), b.row()
    for x, y in zip(ra.rows.residuals(ra.j), rb.rows.residuals(rb.j), strict=True):
        assert np.array_equal(x, y)
    assert np.array_equal(ra.rows.car[ra.j], rb.rows.car[rb.j], equal_nan=True)


def _both_ways(calendar, source_kw=None, notes=None, kinds=None):
    """Every event's pairs, stacked and one by one; the number computed stacked (and, in
    ``notes``, the first two words of each note of a stacked pair)."""
    source_kw = source_kw or {}
    requests = [r for e in calendar.events for r in event_requests(calendar, e)]
    stacked = study_pairs(calendar, requests, open_prices(calendar, **source_kw))
    single = study_pairs(calendar, requests, open_prices(calendar, **source_kw), stacked=False)
    n_stacked = 0
    for req, a, b in zip(requests, stacked, single, strict=True):
        assert type(a) is type(b), (req.event.id, req.security.alias, a, b)
        if kinds is not None and not isinstance(a, PairResult):
            kinds.add(a.kind)
        if isinstance(a, PairResult):
            _same_pair(a, b)
            n_stacked += a.arrays is not None
            if notes is not None and a.arrays is not None:
                notes.update(" ".join(n.split()[:2]) for n in a.notes)
        else:
            assert (str(a), a.kind) == (str(b), b.kind)
    return n_stacked, len(requests)


def _requests(calendar):
    return [r for e in calendar.events for r in event_requests(calendar, e)]


def _stacked(calendar, tmp_path: Path):
    return study_pairs(calendar, _requests(calendar),
                       open_prices(calendar, prices=tmp_path / "prices"))


def test_shipped_events_file() -> None:
    n, total = _both_ways(load_events(None))
    assert n >= total // 2  # all but the baskets (TE)


def test_sp500_additions_with_unadjusted_splits(tmp_path: Path) -> None:
    path = tmp_path / "sp.toml"
    path.write_text(sp500_events(), encoding="utf-8")
    n, total = _both_ways(load_events(path), {"prices": SP500_PRICES})
    assert n == total == 16  # the six split firms included (the split day leaves the fit)


TOKYO = ["6330.T", "7203.T", "7267.T", "6501.T", "7011.T", "4063.T"]


def _prices(folder: Path) -> None:
    """Embedded Tokyo prices with holes: a week missing, a day 0 missing, a late listing, a
    Saturday price."""
    folder.mkdir()
    for ticker in [*TOKYO, "^TOPX", "^GSPC"]:
        frame = pd.read_csv(embedded._data_dir() / f"{ticker}.csv")
        if ticker == "6330.T":  # a gap in an estimation window, another on a day 0
            frame = frame[~frame["date"].between("2025-03-10", "2025-03-14")]
            frame = frame[frame["date"] != str(EVENT_DAYS[4].date())]
        if ticker == "7203.T":  # listed inside the estimation windows of the first events
            frame = frame[frame["date"] >= "2025-01-06"]
        if ticker == "6501.T":  # flat for 18 months: some fits have zero residual variance
            flat = frame["date"].between("2024-01-01", "2025-07-31")
            frame.loc[flat, ["open", "high", "low", "close"]] = 1000.0
        if ticker == "4063.T":  # one price dated on a Saturday
            extra = frame.iloc[[-1]].assign(date="2025-06-07")
            frame = pd.concat([frame, extra]).sort_values("date")
        frame.to_csv(folder / f"{ticker}.csv", index=False)


EVENT_DAYS = pd.bdate_range("2025-04-01", "2026-03-20", freq="9B")


def _events(path: Path) -> None:
    days = EVENT_DAYS
    rng = np.random.default_rng(7)
    lines = ['[defaults]', 'window = [-3, 3]', 'car = [[0, 0], [-1, 1], [0, 3]]', "",
             '[securities.TOYO]', 'ticker = "6330.T"', 'exchange = "XTKS"',
             'benchmark = "^TOPX"', 'proxy = true', "",
             '[securities.HONDA-NY]', 'ticker = "7267.T"', 'exchange = "XTKS"',
             'benchmark = "^GSPC"', "",  # New York's index read by instant
             '[[confounders]]', 'date = 2025-05-02', 'note = "results"', 'securities = ["TOYO"]',
             "", '[[confounders]]', 'date = 2025-08-09', 'note = "a Saturday"', ""]
    options = ['', 'model = "constant-mean"', 'model = "market-adjusted"', 'returns = "simple"',
               'exclude_event_windows = false', 'exclude_confounders = false',
               'min_estimation = 230', 'model = "dimson"', 'full_estimation = true']
    for i, day in enumerate(days):
        names = ["TOYO", *rng.choice([*TOKYO[1:], "HONDA-NY"], 2, replace=False)]
        if "HONDA-NY" in names and "7267.T" in names:  # one ticker counts once in an event
            names[names.index("7267.T")] = next(t for t in TOKYO[1:] if t not in names)
        timing = ("before-open", "after-close", "intraday", "unknown")[i % 4]
        lines += ["[[events]]", f'id = "e{i:02d}"', f'title = "event {i}"',
                  f"announced = {day.date()}", f'timing = "{timing}"',
                  "securities = [" + ", ".join(f'"{s}"' for s in names) + "]",
                  'sources = ["https://example.org"]', options[i % len(options)], ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def test_gaps_hygiene_models_and_exclusions(tmp_path: Path) -> None:
    _prices(tmp_path / "prices")
    _events(tmp_path / "events.toml")
    calendar = load_events(tmp_path / "events.toml")
    notes: set[str] = set()
    kinds: set[str] = set()
    n, total = _both_ways(calendar, {"prices": tmp_path / "prices"}, notes, kinds)
    assert "the model cannot be fitted (zero variance)" in kinds
    assert total == 3 * len(calendar.events)
    assert n >= total // 2
    assert any(r.security.alias == "HONDA-NY" and p.arrays is not None
               for r, p in zip(_requests(calendar), _stacked(calendar, tmp_path), strict=True))
    # the stacked path wrote each kind of note itself
    assert {"no return", "estimation-window hygiene:", "estimation sample:", "proxy: 6330.T",
            "5 session(s)"} <= notes


def test_run_many_document_unchanged_by_the_engine(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The pooled JSON document is the same whether pairs are stacked or not (the per-event
    aggregates, deferred in a pooled study, never enter it)."""
    import eventstudy
    from eventstudy.study import stacked

    _prices(tmp_path / "prices")
    _events(tmp_path / "events.toml")
    kw = {"events": tmp_path / "events.toml", "prices": tmp_path / "prices", "bootstrap": 200}
    ids = [e.id for e in load_events(tmp_path / "events.toml").events]
    with pytest.warns(eventstudy.ExcludedPairsWarning):
        fast = eventstudy.run_many(ids, **kw)
    assert any(p.arrays is not None for _, p in fast.pairs)
    original = stacked.study_pairs
    monkeypatch.setattr(stacked, "study_pairs",
                        lambda *a, **k: original(*a, **k, stacked=False))
    with pytest.warns(eventstudy.ExcludedPairsWarning):
        slow = eventstudy.run_many(ids, **kw)
    assert all(p.arrays is None for _, p in slow.pairs)
    assert fast.to_json() == slow.to_json()
