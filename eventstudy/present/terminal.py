"""Terminal presentation of an :class:`~eventstudy.study.results.EventStudyResult` with rich.

Reads results, computes no statistic: every number shown is a field of the result.
"""

from __future__ import annotations

import math
from io import StringIO
from typing import TYPE_CHECKING

from rich import box
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from eventstudy import _display
from eventstudy.sessions import exchange_label
from eventstudy.study.pooled import PooledResult
from eventstudy.study.results import EventStudyResult

if TYPE_CHECKING:
    from eventstudy.inference.aggregate import Aggregate
    from eventstudy.study.results import PairResult

STAR_LEVELS = ((0.01, "***"), (0.05, "**"), (0.10, "*"))
LEGEND = ("*** p < 0.01   ** p < 0.05   * p < 0.10   (two-sided)   "
          "(2d): a return spanning 2 sessions after a missing price")


def stars(p: float) -> str:
    """Significance stars of a two-sided p-value."""
    if p is None or not math.isfinite(p):
        return ""
    for level, mark in STAR_LEVELS:
        if p < level:
            return mark
    return ""


def pct(x: float, digits: int = 2, signed: bool = True) -> Text:
    """A decimal return as a percentage, green when positive and red when negative."""
    if x is None or not math.isfinite(x):
        return Text("–", style="dim")
    style = "green" if x > 0 else "red" if x < 0 else ""
    return Text(f"{x * 100:+.{digits}f}%" if signed else f"{x * 100:.{digits}f}%", style=style)


def fnum(x: float, fmt: str = ".2f") -> str:
    return "–" if x is None or not math.isfinite(x) else format(x, fmt)


def fp(p: float) -> str:
    if p is None or not math.isfinite(p):
        return "–"
    return "<0.0001" if p < 1e-4 else f"{p:.4f}"


def render_study(result: EventStudyResult) -> RenderableType:
    """The whole study: header, one panel per pair, aggregate, excluded pairs, legend."""
    parts: list[RenderableType] = [_header(result)]
    parts += [_pair_panel(p, result) for p in result.pairs]
    if result.aggregate is not None and len(result.pairs) > 1:
        parts.append(_aggregate_panel(result))
    if result.excluded:
        table = Table(title="Excluded pairs", box=box.SIMPLE, title_justify="left")
        table.add_column("security")
        table.add_column("ticker")
        table.add_column("reason", overflow="fold")
        for x in result.excluded:
            table.add_row(x.security, x.ticker, Text(x.reason, style="yellow"))
        parts.append(table)
    parts.append(Text(LEGEND, style="dim"))
    return Group(*parts)


def _header(result: EventStudyResult) -> RenderableType:
    event = result.event
    lines = Text()
    lines.append(f"{event.title}\n", style="bold")
    lines.append(f"announced {event.announced_text}")
    if not hasattr(event.announced, "hour"):
        lines.append(f" ({event.timing})")
    if event.tags:
        lines.append(f"   tags: {', '.join(event.tags)}")
    lines.append("\n")
    if event.notes:
        lines.append(f"{event.notes}\n", style="italic")
    for source in event.sources:
        lines.append(f"source: {source}\n", style="dim")
    day0 = Table(box=None, show_header=False, pad_edge=False)
    day0.add_column(style="bold")
    day0.add_column(overflow="fold")
    for p in result.pairs:
        day0.add_row(f"{p.security} ({exchange_label(p.exchange)})", p.day0_reason)
    body: list[RenderableType] = [lines, day0]
    if event.headline != (0, 0):
        body.append(Text(f"Headline window: CAR({event.headline[0]:+d},{event.headline[1]:+d})"
                         + (" — the announcement time is unknown" if event.timing == "unknown"
                            else ""), style="bold magenta"))
    return Panel(Group(*body), title=f"[bold]{event.id}[/]", title_align="left",
                 box=box.ROUNDED)


def _pair_panel(p: PairResult, result: EventStudyResult) -> RenderableType:
    fit = p.estimation
    est = Text()
    est.append(f"{p.model} model", style="bold")
    if p.benchmark:
        est.append(f" on {p.benchmark}")
    est.append(f", {p.returns} returns; estimation {fit.start.date()}..{fit.end.date()}: "
               f"M = {fit.n_obs}, k = {fit.k}, df = {fit.df}\n")
    if fit.model == "market":
        est.append(f"α = {fnum(fit.alpha, '.5f')}  β = {fnum(fit.beta, '.3f')}  "
                   f"σ = {fnum(fit.sigma * 100, '.3f')}%  R² = {fnum(fit.r2, '.3f')}")
    elif fit.model == "constant-mean":
        est.append(f"mean return μ = {fnum(fit.alpha * 100, '.3f')}%  "
                   f"σ = {fnum(fit.sigma * 100, '.3f')}%")
    elif fit.params:  # multi-factor, Dimson, Scholes–Williams: every estimated parameter
        shown = "  ".join(f"{name} = {fnum(value, '.5f' if name == 'alpha' else '.3f')}"
                          for name, value in fit.params)
        summed = "" if fit.model == "multi-factor" else f"  β used = {fnum(fit.beta, '.3f')}"
        est.append(f"{shown}{summed}  σ = {fnum(fit.sigma * 100, '.3f')}%  "
                   f"R² = {fnum(fit.r2, '.3f')}")
    else:
        est.append(f"AR = R − R_m (α = 0, β = 1)  σ = {fnum(fit.sigma * 100, '.3f')}%")

    has_bench = p.benchmark is not None
    days = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    names = ("t", "date", "return", "bench", "expected", "AR", "se", "t-stat", "p", "", "CAR")
    for name in names if has_bench else tuple(n for n in names if n != "bench"):
        days.add_column(name, justify="left" if name in ("date", "") else "right")
    for row in p.days.itertuples(index=False):
        cells = [
            f"{row.t:+d}", str(row.date.date()) + (f" ({row.span}d)" if row.span > 1 else ""),
            pct(row[2]), pct(row.benchmark_return), pct(row.expected), pct(row.ar),
            pct(row.se, signed=False), fnum(row.t_stat), fp(row.p),
            Text(stars(row.p), style="bold yellow"), pct(row.car),
        ]
        if not has_bench:
            del cells[3]
        days.add_row(*cells, style="bold" if row.t == 0 else None)
    cars = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for name in ("window", "dates", "CAR", "se", "t-stat", "p", "", "BHAR"):
        cars.add_column(name, justify="left" if name in ("window", "dates", "") else "right")
    for row in p.car.itertuples(index=False):
        lo, hi = row.window
        headline = (lo, hi) == p.headline
        cars.add_row(
            f"({lo:+d},{hi:+d})" + (" ◀" if headline else ""),
            f"{row.start.date()}..{row.end.date()}", pct(row.car), pct(row.se, signed=False),
            fnum(row.t_stat), fp(row.p), Text(stars(row.p), style="bold yellow"), pct(row.bhar),
            style="bold" if headline else None,
        )
    body: list[RenderableType] = [est, days, cars]
    for c, t in p.confounders:
        body.append(Text(f"confounder in window: {c.date} (t = {t:+d}) {c.note}",
                         style="yellow"))
    for note in p.notes:
        body.append(Text(f"note: {note}", style="dim"))
    title = f"[bold]{p.security}[/] {p.name} ({p.ticker}, {exchange_label(p.exchange)})"
    if p.proxy:
        title += " [yellow]PROXY[/]"
    return Panel(Group(*body), title=title, title_align="left", box=box.ROUNDED)


def _aggregate_panel(result: EventStudyResult) -> RenderableType:
    assert result.aggregate is not None
    return aggregate_panel(result.aggregate)


def aggregate_panel(agg: Aggregate, title: str | None = None) -> RenderableType:
    """The aggregate: tests as rows, event days (stat and stars) and CAR windows (stat, p,
    stars) as columns; r̄, the bootstrap interval and which tests survive cross-correlation."""
    from eventstudy.inference.aggregate import ROBUST_TO_CROSS_CORRELATION, TEST_ORDER

    robust = set(ROBUST_TO_CROSS_CORRELATION)
    keys = [k for k in TEST_ORDER if any(k in v for v in agg.day_tests.values())]
    days = Table(box=box.SIMPLE_HEAD, pad_edge=False, title="Tests by event day: statistic "
                 "and stars", title_justify="left", title_style="bold", padding=(0, 0, 0, 1))
    days.add_column("t", no_wrap=True, min_width=14)
    offsets = [int(t) for t in agg.days.index]
    for t in offsets:
        days.add_column(f"{t:+d}", justify="right", style="bold" if t == 0 else None,
                        no_wrap=True)
    days.add_row("N", *(str(int(n)) for n in agg.days["n"]))
    days.add_row("AAR", *(pct(x) for x in agg.days["aar"]), end_section=True)
    for key in keys:
        cells = []
        for t in offsets:
            r = agg.day_tests[t].get(key)
            cells.append(Text("–", style="dim") if r is None or not math.isfinite(r.stat) else
                         Text(fnum(r.stat)) + Text(stars(r.p) or "", style="bold yellow"))
        days.add_row(key + (" †" if key in robust else ""), *cells)
    cars = Table(box=box.SIMPLE_HEAD, pad_edge=False, title="Tests by CAR window: statistic, "
                 "p-value, stars", title_justify="left", title_style="bold")
    cars.add_column("window", no_wrap=True, min_width=14)
    windows = [tuple(w) for w in agg.car.index]
    for lo, hi in windows:
        cars.add_column(f"({lo:+d},{hi:+d})", justify="right")
    cars.add_row("N", *(str(int(n)) for n in agg.car["n"]))
    cars.add_row("CAAR", *(pct(x) for x in agg.car["caar"]))
    level = agg.bootstrap.get("level", 0.95)
    if "ci_low" in agg.car and int(agg.bootstrap.get("n", 0)):
        cars.add_row(f"{level:.0%} CI", *(Text(f"[{fnum(lo * 100)}, {fnum(hi * 100)}]%")
                                         for lo, hi in zip(agg.car["ci_low"], agg.car["ci_high"],
                                                           strict=True)))
    cars.rows[-1].end_section = True
    for key in keys:
        cells = []
        for w in windows:
            r = agg.car_tests[w].get(key)
            cells.append(Text("–", style="dim") if r is None or not math.isfinite(r.stat) else
                         Text(f"{fnum(r.stat)} ({fp(r.p)})")
                         + Text(stars(r.p).ljust(3), style="bold yellow"))
        cars.add_row(key + (" †" if key in robust else ""), *cells)
    notes = Text(style="dim")
    notes.append(f"r̄ = {fnum(agg.r_bar, '.3f')}: {agg.r_bar_method}.\n")
    if agg.common_date:
        notes.append("All pairs share day 0: their abnormal returns are cross-correlated. "
                     "† = robust to cross-correlation (" + ", ".join(
                         ROBUST_TO_CROSS_CORRELATION) + "); the others over-reject when r̄ > 0.\n")
    else:
        notes.append("Pairs on different day-0 dates: cross-correlation only within a date; "
                     "† tests adjust for it (portfolio_t needs one common date).\n")
    if int(agg.bootstrap.get("n", 0)):
        notes.append(f"CI: bootstrap percentile, {agg.bootstrap['n']} resamples of pairs, "
                     f"seed {agg.bootstrap.get('seed')} (treats pairs as independent). "
                     "Day-level p-values: --format json or result.tests_frame().")
    head = title or (f"Aggregate over {agg.n} pairs"
                     + (f" of {agg.n_events} events" if agg.n_events > 1 else ""))
    return Panel(Group(days, cars, notes), title=f"[bold]{head}[/]", title_align="left",
                 box=box.ROUNDED)


def render_pooled(pooled: PooledResult) -> RenderableType:
    """A pooled run: the events, each event's pairs compactly, the pooled aggregate panel."""
    events = Table(box=box.SIMPLE_HEAD, pad_edge=False, title="Events pooled",
                   title_justify="left", title_style="bold")
    for name in ("id", "announced", "tags", "pairs", "title"):
        events.add_column(name, overflow="fold" if name == "title" else None)
    n_pairs = {r.event.id: len(r.pairs) for r in pooled.results}
    for e in pooled.events:
        events.add_row(e.id, e.announced_text, ", ".join(e.tags), str(n_pairs.get(e.id, 0)),
                       e.title)
    pairs = Table(box=box.SIMPLE_HEAD, pad_edge=False, title="Pairs (event, security)",
                  title_justify="left", title_style="bold")
    for name in ("event", "security", "day 0", "M", "AR(0)", "t", "", "CAR", "window", "t",
                 ""):
        pairs.add_column(name, no_wrap=True, justify="left" if name in (
            "event", "security", "day 0", "window", "") else "right")
    for r in pooled.results:
        for i, p in enumerate(r.pairs):
            day0 = p.days[p.days["t"] == 0]
            ar = day0["ar"].iloc[0] if len(day0) else math.nan
            ts = day0["t_stat"].iloc[0] if len(day0) else math.nan
            pv = day0["p"].iloc[0] if len(day0) else math.nan
            head = p.car[[tuple(w) == tuple(p.headline) for w in p.car["window"]]]
            car = head.iloc[0] if len(head) else None
            c_car, c_t, c_p = (car.car, car.t_stat, car.p) if car is not None else (
                math.nan, math.nan, math.nan)
            pairs.add_row(
                r.event.id if i == 0 else "", p.security, str(p.day0.date()),
                str(p.estimation.n_obs), pct(ar), fnum(ts), Text(stars(pv), style="bold yellow"),
                pct(c_car), f"({p.headline[0]:+d},{p.headline[1]:+d})", fnum(c_t),
                Text(stars(c_p), style="bold yellow"), end_section=i == len(r.pairs) - 1)
    what = []
    if pooled.tag:
        what.append(f"tag '{pooled.tag}'")
    if pooled.securities:
        what.append(f"securities {', '.join(pooled.securities)}")
    parts: list[RenderableType] = [
        Text(f"Pooled study of {len(pooled.results)} events"
             + (f" ({'; '.join(what)})" if what else ""), style="bold"),
        events, pairs, aggregate_panel(pooled.aggregate)]
    if pooled.excluded:
        table = Table(title="Excluded pairs", box=box.SIMPLE, title_justify="left")
        for name in ("event", "security", "reason"):
            table.add_column(name, overflow="fold" if name == "reason" else None)
        for eid, x in pooled.excluded:
            table.add_row(eid, x.security, Text(x.reason, style="yellow"))
        parts.append(table)
    parts.append(Text(LEGEND.split("   (2d)")[0], style="dim"))
    return Group(*parts)


def plain_text(result: EventStudyResult, width: int = 120) -> str:
    """The rich rendering as plain text, without colour."""
    buffer = StringIO()
    Console(file=buffer, width=width, color_system=None).print(result.summary())
    return buffer.getvalue()


# The result objects draw themselves through these (see eventstudy._display): the results layer
# never imports this module.
_display.register(EventStudyResult, render_study, plain_text)
_display.register(PooledResult, render_pooled, plain_text)
