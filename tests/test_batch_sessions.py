"""eventstudy.batch on each exchange's sessions, against eventstudy.run on the embedded data.

A panel built as a quant builds it: each ticker's returns on its own trading days (trade to
trade across its missing prices), outer-joined on dates, Sydney, Tokyo and New York together.
Each pair's windows count its own exchange's sessions; a benchmark on another exchange is read
by instant. Checked against the per-event path (eventstudy.run, same settings, hygiene off) to
1e-10 in M, α, β, σ, every AR and se, the CAR and its se, for log and simple returns and the
three models, on event days whose windows hold returns spanning missing prices (Lynas's halt of
2025-08-28, Thanksgiving in New York, the ASX data gap of March 2026).

Also: dates read strictly (InputError, one class for the library's frames), exchanges given or
inferred, pairs on the wrong exchange excluded with the reason, one warning per call.
"""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import eventstudy
from eventstudy.errors import EventsFileError, ExcludedPairsWarning, InputError
from eventstudy.prices import embedded

TICKERS = ["LYC.AX", "^AXJO", "6330.T", "^TOPX", "^N225", "^GSPC"]
PAIRS = {"LYC": ("LYC.AX", "^AXJO"), "TOYO": ("6330.T", "^TOPX"), "N225": ("^N225", "^GSPC")}
RTOL = 1e-10

EVENTS = """
[defaults]
estimation = [-250, -11]
window = [-5, 5]
car = [[-5, 5]]
model = "{model}"
returns = "{kind}"
exclude_event_windows = false
exclude_confounders = false

[securities.LYC]
ticker = "LYC.AX"
exchange = "XASX"
benchmark = "^AXJO"

[securities.TOYO]
ticker = "6330.T"
exchange = "XTKS"
benchmark = "^TOPX"

[securities.N225]
ticker = "^N225"
exchange = "XTKS"
benchmark = "^GSPC"
benchmark_exchange = "XNYS"
"""

#: Days 0 whose windows hold returns spanning a gap, and the headline day.
ANNOUNCED = {
    "halt": "2025-08-29",  # Lynas had no close on 2025-08-28
    "after-halt": "2025-09-01",
    "thanksgiving": "2025-11-28",  # New York closed 11-27: Tokyo reads one S&P level twice
    "new-year": "2025-12-29",
    "asx-gap": "2026-03-30",  # no ASX data 2026-03-11..27: estimation spans it
}


def quant_panel(kind: str = "log") -> pd.DataFrame:
    """Each ticker's returns on its own trading days, outer-joined on dates."""
    columns = {}
    for ticker in TICKERS:
        close = embedded.load(ticker)
        r = np.log(close).diff() if kind == "log" else close.pct_change()
        columns[ticker] = r.iloc[1:]
    return pd.concat(columns, axis=1, sort=True)


def quant_pairs() -> pd.DataFrame:
    """Lynas, Toyo and the Nikkei on their own benchmarks, on four days 0 of the panel."""
    days = pd.to_datetime(["2025-08-29", "2025-11-28", "2026-01-07", "2026-03-30"])
    return pd.DataFrame({
        "security": np.tile(["LYC.AX", "6330.T", "^N225"], days.size),
        "benchmark": np.tile(["^AXJO", "^TOPX", "^GSPC"], days.size),
        "day0": np.repeat(days, 3)})


def events_file(tmp_path: Path, kind: str, model: str) -> Path:
    text = EVENTS.format(kind=kind, model=model)
    text += ('\n[[events]]\nid = "dual-use-ban"\nannounced = 2026-01-06T16:25:00+08:00\n'
             'securities = ["LYC", "TOYO", "N225"]\n')
    for name, day in ANNOUNCED.items():
        text += (f'\n[[events]]\nid = "{name}"\nannounced = {day}\ntiming = "before-open"\n'
                 'securities = ["LYC", "TOYO", "N225"]\n')
    path = tmp_path / f"events-{kind}-{model}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def compare(study: eventstudy.EventStudyResult, res: eventstudy.BatchResult) -> int:
    """Every number of every pair of ``study`` against ``res``; the spanning days seen."""
    spanning = 0
    for p in study.pairs:
        got, fit = res.estimation.loc[p.security], p.estimation
        assert got["n_obs"] == fit.n_obs, p.security
        for name in ("alpha", "beta", "sigma"):
            want = getattr(fit, name)
            if np.isfinite(want):
                np.testing.assert_allclose(got[name], want, rtol=RTOL, atol=1e-15)
        ar, se = res.ar.loc[p.security].to_numpy(), res.se.loc[p.security].to_numpy()
        np.testing.assert_allclose(ar, p.days["ar"], rtol=RTOL, atol=1e-15)
        np.testing.assert_allclose(se, p.days["se"], rtol=RTOL)
        car = p.car.set_index("window").loc[[(-5, 5)]].iloc[0]
        np.testing.assert_allclose(res.car[p.security], car["car"], rtol=RTOL, atol=1e-15)
        np.testing.assert_allclose(res.car_se[p.security], car["se"], rtol=RTOL)
        np.testing.assert_allclose(res.car_p[p.security], car["p"], rtol=1e-8)
        assert res.n_days[p.security] == car["n_days"]
        spanning += int((p.days["span"] > 1).sum())
    return spanning


def batch_pairs(study: eventstudy.EventStudyResult) -> pd.DataFrame:
    return pd.DataFrame({"security": [PAIRS[p.security][0] for p in study.pairs],
                         "benchmark": [PAIRS[p.security][1] for p in study.pairs],
                         "day0": [p.day0 for p in study.pairs]},
                        index=[p.security for p in study.pairs])


@pytest.mark.parametrize("model", ["market", "constant-mean", "market-adjusted"])
@pytest.mark.parametrize("kind", ["log", "simple"])
def test_mixed_exchange_panel_agrees_with_run(tmp_path: Path, kind: str, model: str) -> None:
    events = events_file(tmp_path, kind, model)
    panel = quant_panel(kind)
    spanning = 0
    for event in ["dual-use-ban", *ANNOUNCED]:
        study = eventstudy.run(event, events=events)
        assert len(study.pairs) == 3
        res = eventstudy.batch(panel, batch_pairs(study), estimation=(-250, -11),
                               window=(-5, 5), model=model, returns_kind=kind)
        assert res.excluded.isna().all()
        spanning += compare(study, res)
    assert spanning >= 3  # windows with returns spanning a gap were compared too


def test_counting_rows_of_the_joined_panel_is_not_the_same(tmp_path: Path) -> None:
    """What the issue found: rows of the joined panel are not Sydney's sessions."""
    study = eventstudy.run("dual-use-ban", events=events_file(tmp_path, "log", "market"))
    rows = eventstudy.batch(quant_panel(), batch_pairs(study), estimation=(-250, -11),
                            window=(-5, 5), sessions="index")
    # Sydney's 240-session window covers fewer of its sessions in rows of the joined panel
    assert rows.estimation.loc["LYC", "n_obs"] < 238  # per-event path: 238
    with pytest.raises(AssertionError):
        compare(study, rows)


def test_one_exchange_panel_reads_the_same_either_way() -> None:
    """A Tokyo-only panel on Tokyo's sessions: exchange sessions are its rows, bit for bit."""
    panel = quant_panel()[["6330.T", "^TOPX", "^N225"]].dropna(how="all")
    pairs = pd.DataFrame({"security": ["6330.T", "^N225"], "benchmark": ["^TOPX", "^TOPX"],
                          "day0": pd.to_datetime(["2026-01-07", "2025-10-06"])})
    by_exchange = eventstudy.batch(panel, pairs, estimation=(-200, -11), window=(-3, 3))
    by_rows = eventstudy.batch(panel, pairs, estimation=(-200, -11), window=(-3, 3),
                               sessions="index")
    for name in ("ar", "se", "car", "car_se", "estimation"):
        pd.testing.assert_frame_equal(pd.DataFrame(getattr(by_exchange, name)),
                                      pd.DataFrame(getattr(by_rows, name)), rtol=0, atol=0)


def test_exchange_column_and_inference() -> None:
    """Exchanges from the 'exchange' column, else inferred as the events file infers them;
    a ticker whose exchange cannot be inferred is excluded, with what to do."""
    panel = quant_panel().rename(columns={"6330.T": "TOYO ENG"})
    day0 = pd.Timestamp("2026-01-07")
    pairs = pd.DataFrame({"security": ["TOYO ENG", "TOYO ENG"], "benchmark": ["^TOPX"] * 2,
                          "day0": [day0, day0]}, index=["inferred", "given"])
    with pytest.warns(ExcludedPairsWarning, match=r"1 of 2 pairs excluded \(1 exchange unknown"):
        res = eventstudy.batch(panel, pairs.assign(exchange=["", "XTKS"]),
                               estimation=(-250, -11), window=(-5, 5))
    assert "cannot infer the exchange of ticker 'TOYO ENG'" in res.excluded["inferred"]
    assert "'exchange' column" in res.excluded["inferred"]
    assert pd.isna(res.excluded["given"]) and res.estimation.loc["given", "n_obs"] == 240
    with pytest.raises(InputError, match=r"row 1 \('inferred'\): exchange 'XTKY' is no "
                                         "exchange code"):
        eventstudy.batch(panel, pairs.assign(exchange="XTKY"))


def test_security_on_another_exchange_is_excluded() -> None:
    """Tokyo returns under a New York ticker: many fall on days New York was closed."""
    panel = quant_panel()
    panel["FAKE"] = panel["6330.T"]
    pairs = pd.DataFrame({"security": ["FAKE"], "benchmark": ["^GSPC"],
                          "day0": [pd.Timestamp("2026-01-07")]})
    with pytest.warns(ExcludedPairsWarning):
        res = eventstudy.batch(panel, pairs, estimation=(-250, -11), window=(-5, 5))
    assert "security 'FAKE' has" in res.excluded.iloc[0]
    assert "returns dated on days XNYS (New York) was closed" in res.excluded.iloc[0]


# --- dates read strictly ---------------------------------------------------------------------

def one_pair(day0: object) -> pd.DataFrame:
    return pd.DataFrame({"security": ["6330.T"], "benchmark": ["^TOPX"], "day0": [day0]},
                        index=["toyo"])


@pytest.mark.parametrize("day0", [
    "2026-02-03", " 2026-02-03", pd.Timestamp("2026-02-03"), dt.date(2026, 2, 3),
    dt.datetime(2026, 2, 3), np.datetime64("2026-02-03")],
    ids=["iso", "iso-padded", "timestamp", "date", "datetime", "datetime64"])
def test_accepted_day0_forms(day0: object) -> None:
    res = eventstudy.batch(quant_panel(), one_pair(day0), estimation=(-120, -11))
    assert res.excluded.isna().all()
    assert res.estimation["end"].iloc[0] < pd.Timestamp("2026-02-03")


@pytest.mark.parametrize(("day0", "message"), [
    ("03/02/2026", r"row 1 \('toyo'\): day0 '03/02/2026' is not an ISO 8601 date"),
    ("7 Jan 2026", r"day0 '7 Jan 2026' is not an ISO 8601 date \(YYYY-MM-DD"),
    ("2026-1-7", r"day0 '2026-1-7' is not an ISO 8601 date"),
    ("2026-02-30", r"day0 '2026-02-30' is not"),
    (20260203, r"day0 20260203 is not"),
    (None, r"day0 is missing"),
    (pd.Timestamp("2026-02-03 15:00"), r"day0 2026-02-03 15:00:00 has a time of day"),
    (pd.Timestamp("2026-02-03", tz="Asia/Tokyo"), r"time-zone-aware stamps \(Asia/Tokyo\)"),
], ids=["dd/mm/yyyy", "words", "unpadded", "no-such-day", "int", "missing", "timed", "tz"])
def test_other_day0_forms_are_refused(day0: object, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        eventstudy.batch(quant_panel(), one_pair(day0))
    assert not isinstance(info.value, EventsFileError)  # no events file is involved
    assert isinstance(info.value, ValueError)


def test_tz_aware_frames_get_the_fix() -> None:
    panel = quant_panel()
    with pytest.raises(InputError, match=r"time-zone-aware stamps \(UTC\).*tz_convert"):
        eventstudy.batch(panel.tz_localize("UTC"), one_pair("2026-02-03"))
    pairs = one_pair("2026-02-03")
    pairs["day0"] = pd.to_datetime(pairs["day0"]).dt.tz_localize("Asia/Tokyo")
    with pytest.raises(InputError, match=r"day0 holds time-zone-aware stamps \(Asia/Tokyo\).*"
                                         r"tz_localize\(None\)"):
        eventstudy.batch(panel, pairs)


# --- one warning per call ---------------------------------------------------------------------

def test_one_warning_with_counts_by_reason() -> None:
    panel = quant_panel()
    pairs = pd.DataFrame({
        "security": ["6330.T", "NOPE", "NOPE", "6330.T", "6330.T"],
        "benchmark": ["^TOPX"] * 5,
        "day0": pd.to_datetime(["2026-01-07", "2026-01-07", "2026-01-08", "2026-01-10",
                                "2024-02-01"])})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = eventstudy.batch(panel, pairs, estimation=(-250, -11), window=(-5, 5))
    found = [w for w in caught if issubclass(w.category, ExcludedPairsWarning)]
    assert len(found) == 1 and found[0].filename == __file__  # at the caller's line
    text = str(found[0].message)
    assert text.startswith("eventstudy.batch: 4 of 5 pairs excluded (")
    for part in ("2 security not a column of returns", "1 day0 not a session",
                 "1 too few estimation returns", "result.excluded.dropna()"):
        assert part in text
    assert res.excluded.notna().sum() == 4
    with warnings.catch_warnings():
        warnings.simplefilter("error", ExcludedPairsWarning)  # none when none is excluded
        eventstudy.batch(panel, pairs.iloc[:1], estimation=(-250, -11), window=(-5, 5))


def test_aggregate_pools_pairs_of_several_exchanges(tmp_path: Path) -> None:
    study = eventstudy.run("dual-use-ban", events=events_file(tmp_path, "log", "market"))
    res = eventstudy.batch(quant_panel(), batch_pairs(study), estimation=(-250, -11),
                           window=(-5, 5))
    agg = res.aggregate(windows=[(0, 0), (-5, 5)])
    assert agg.n == 3
    np.testing.assert_allclose(agg.car.loc[[(-5, 5)], "caar"], res.car.mean(), rtol=1e-12)
    # the residuals meet on the calendar dates the three pairs share: r̄ of the per-event path
    assert agg.r_bar == pytest.approx(study.aggregate.r_bar, rel=1e-9)


def test_compiled_engine_reads_sessions_the_same(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The compiled kernels (numba), spans and benchmarks read by instant included."""
    pytest.importorskip("numba")
    from eventstudy.study.batch import tuning

    monkeypatch.setattr(tuning, "ENGINE", "numba")
    events = events_file(tmp_path, "simple", "market")
    panel = quant_panel("simple")
    for event in ("halt", "thanksgiving"):
        study = eventstudy.run(event, events=events)
        res = eventstudy.batch(panel, batch_pairs(study), estimation=(-250, -11),
                               window=(-5, 5), returns_kind="simple")
        compare(study, res)


def test_run_many_warns_once_with_counts_by_reason(tmp_path: Path) -> None:
    """A pooled study that leaves pairs out says so once: how many, why, how to list them."""
    text = EVENTS.format(kind="log", model="market")
    for name, day in (("early", "2026-01-07"), ("late", "2026-04-28")):  # data end 04-30
        text += (f'\n[[events]]\nid = "{name}"\nannounced = {day}\ntiming = "before-open"\n'
                 'tags = ["t"]\nsecurities = ["LYC", "TOYO", "N225"]\n')
    path = tmp_path / "events.toml"
    path.write_text(text, encoding="utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pooled = eventstudy.run_many(tag="t", events=path, bootstrap=0)
    found = [str(w.message) for w in caught if issubclass(w.category, ExcludedPairsWarning)]
    assert found == ["eventstudy.run_many: 3 of 6 pairs excluded (3 no prices to the end of "
                     "the event window); list them with result.excluded"]
    assert len(pooled.pairs) == 3 and len(pooled.excluded) == 3
    assert [w for w in caught if w.filename != __file__] == []  # pointed at the caller's line


def test_a_few_returns_on_closed_days_are_left_out_and_said() -> None:
    """Two Toyo returns dated on Tokyo holidays (a few: the security stays) leave its windows,
    and the call's one warning counts them."""
    panel = quant_panel()
    holidays = pd.to_datetime(["2025-11-03", "2025-11-24"])  # Culture Day, Labour Thanksgiving
    panel.loc[holidays, "6330.T"] = 0.05
    pairs = one_pair("2026-01-07")
    with pytest.warns(ExcludedPairsWarning,
                      match=r"2 returns dated on days their security's exchange was closed "
                            r"were left out"):
        res = eventstudy.batch(panel, pairs, estimation=(-250, -11), window=(-5, 5))
    assert res.left_out == 2 and res.excluded.isna().all()
    clean = eventstudy.batch(quant_panel(), pairs, estimation=(-250, -11), window=(-5, 5))
    pd.testing.assert_frame_equal(res.estimation, clean.estimation)
