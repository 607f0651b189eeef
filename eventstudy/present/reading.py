"""A short plain-language reading of a study, generated from its numbers only.

Every sentence is a template filled with fields of the result: the sign and size of an AR or
CAR, its t statistic and p-value, the level at which it is significant, proxies, confounders,
excluded pairs and an unknown announcement time. Nothing here is written by hand per event.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from eventstudy._typing import Window
from eventstudy.inference.aggregate import Aggregate
from eventstudy.present.common import (
    fnum,
    ordered,
    p_text,
    pct_text,
    significance,
    summary_windows,
    window_text,
)
from eventstudy.study.results import EventStudyResult, PairResult

#: The level at which the reading counts a test as rejecting.
READING_LEVEL = 0.05


def reading(result: EventStudyResult) -> list[str]:
    """The sentences of the reading, in order: event, day-0 overview, pairs, aggregate, exclusions.

    Parameters
    ----------
    result : EventStudyResult

    Returns
    -------
    list of str
        Plain text; the Markdown renderer escapes it.
    """
    event = result.event
    out: list[str] = []
    unknown = event.timing == "unknown" and not hasattr(event.announced, "hour")
    if unknown and event.headline != (0, 0) and result.pairs:
        out.append(
            f"The time of day of the announcement ({event.announced_text}) is unknown: the "
            f"market may have heard the news only on the session after day 0, so the headline "
            f"window is {window_text(event.headline)} rather than day 0 alone.")
    if len(result.pairs) > 1:
        out.append(_overview(result))
    out += [_pair(p) for p in result.pairs]
    agg = result.aggregate
    if agg is not None and len(result.pairs) > 1:
        out += _aggregate(result)
    for x in result.excluded:
        out.append(f"{x.security} ({x.ticker}) is excluded and enters no number above: "
                   f"{x.reason}.")
    return out


def label(pair: PairResult) -> str:
    """``LYC (Lynas Rare Earths)``; a proxy says so."""
    text = f"{pair.security} ({pair.name})"
    return text if not pair.proxy or "proxy" in pair.name.lower() else f"{text}, a proxy,"


def _day0(pair: PairResult) -> tuple[float, float, float]:
    row = pair.days.loc[pair.days["t"] == 0]
    if row.empty:
        return math.nan, math.nan, math.nan
    return float(row["ar"].iloc[0]), float(row["t_stat"].iloc[0]), float(row["p"].iloc[0])


def _overview(result: EventStudyResult) -> str:
    moved = []
    for p in result.pairs:
        ar, _, pv = _day0(p)
        if math.isfinite(pv) and pv < READING_LEVEL:
            moved.append((ar, p.security))
    n = len(result.pairs)
    level = f"{READING_LEVEL:.0%}"
    if not moved:
        return (f"On day 0 none of the {n} securities has an abnormal return significant at "
                f"the {level} level.")
    moved.sort(key=lambda x: -abs(x[0]))
    names = ", ".join(f"{sec} ({pct_text(ar, 1)})" for ar, sec in moved)
    return (f"On day 0, {len(moved)} of {n} securities have an abnormal return significant at "
            f"the {level} level: {names}.")


def _pair(pair: PairResult) -> str:
    ar, t_stat, pv = _day0(pair)
    day0 = pair.day0.date().isoformat()
    model = "the market itself" if pair.model == "market-adjusted" else f"the {pair.model} model"
    if math.isfinite(ar):
        more = "more" if ar >= 0 else "less"
        text = (f"{label(pair)} returned {pct_text(abs(ar), 2, signed=False)} {more} than "
                f"{model} predicted on day 0, {day0} (t = {fnum(t_stat)}, {p_text(pv)}; "
                f"{significance(pv)}).")
    else:
        text = f"{label(pair)} has no return on day 0, {day0} (no price that session)."
    shown = {(0, 0)}
    for window in _windows(pair):
        if window in shown:
            continue
        shown.add(window)
        row = pair.car.loc[pair.car["window"] == window].iloc[0]
        what = "the headline window " if window == pair.headline else ""
        text += (f" Over {what}{window_text(window)} the CAR is {pct_text(row.car, 2)} "
                 f"(t = {fnum(row.t_stat)}, {p_text(row.p)}; {significance(row.p)}).")
    if pair.confounders:
        news = "; ".join(f"{c.date.isoformat()} (t = {t:+d}): {c.note}"
                         for c, t in pair.confounders)
        text += f" Other news falls inside its event window, so these numbers mix it in: {news}."
    return text


def _windows(pair: PairResult) -> list[tuple[int, int]]:
    """The headline window, then the longest CAR window."""
    windows = [tuple(w) for w in pair.car["window"]]
    longest = max(windows, key=lambda w: w[1] - w[0], default=None)
    return [w for w in (pair.headline, longest) if w is not None and w in windows]


def _aggregate(result: EventStudyResult) -> list[str]:
    agg = result.aggregate
    assert agg is not None
    return aggregate_reading(agg, summary_windows(result), result.event.headline,
                             f"the {agg.n} pairs", common_date=True)


def aggregate_reading(agg: Aggregate, windows: Sequence[Window], headline: Window | None,
                      who: str, common_date: bool) -> list[str]:
    """Sentences on an aggregate: day-0 AAR and the CAAR of ``windows`` with how many of their
    tests reject, and what r̄ implies. ``who`` names the pairs ("the 4 pairs")."""
    out = []
    if 0 in agg.days.index:
        aar = float(agg.days.loc[0, "aar"])
        out.append(f"Across {who} the average abnormal return on day 0 (AAR) is "
                   f"{pct_text(aar, 2)}. {_tests_text(agg.day_tests.get(0, {}))}")
    for window in windows:
        if window not in agg.car_tests:
            continue
        caar = float(agg.car.loc[[window], "caar"].iloc[0])
        what = "the headline window " if window == headline else ""
        out.append(f"The CAAR over {what}{window_text(window)} is {pct_text(caar, 2)}. "
                   f"{_tests_text(agg.car_tests[window])}")
    if math.isfinite(agg.r_bar) and agg.r_bar > 0:
        out.append(f"The pairs' estimation-window residuals have an average correlation "
                   f"r̄ = {fnum(agg.r_bar, '.3f')} > 0: tests that ignore it (csect_t, "
                   f"patell_z, bmp_t) overstate significance; adj_patell_z and kp_bmp_t allow "
                   f"for it.")
    elif math.isfinite(agg.r_bar):
        out.append(f"The pairs' estimation-window residuals have an average correlation "
                   f"r̄ = {fnum(agg.r_bar, '.3f')} ≤ 0, so residual cross-correlation does "
                   f"not inflate the tests here"
                   + ("; a common reaction on day 0 itself still can." if common_date else "."))
    elif common_date:
        out.append("The pairs share one announcement date, so their abnormal returns are "
                   "correlated; the cross-sectional test does not allow for it and overstates "
                   "significance.")
    return out


def _tests_text(tests: dict) -> str:
    defined = [(k, t) for k, t in ordered(tests) if math.isfinite(t.p)]
    if not defined:
        return "No test of it is defined."
    level = f"{READING_LEVEL:.0%}"
    if len(defined) == 1:
        key, t = defined[0]
        return f"{key} = {fnum(t.stat)} ({p_text(t.p)}; {significance(t.p)})."
    rejecting = [k for k, t in defined if t.p < READING_LEVEL]
    if not rejecting:
        return f"None of its {len(defined)} tests rejects a zero mean at the {level} level."
    return (f"{len(rejecting)} of its {len(defined)} tests reject a zero mean at the {level} "
            f"level: {', '.join(rejecting)}.")
