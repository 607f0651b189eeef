"""Terminal presentation of an :class:`~eventstudy.results.EventStudyResult` with rich.

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

from eventstudy.sessions import exchange_label

if TYPE_CHECKING:
    from eventstudy.results import EventStudyResult, PairResult

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
    agg = result.aggregate
    assert agg is not None
    days = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for name in ("t", "N", "AAR", "csect_t", "p", ""):
        days.add_column(name, justify="left" if name == "" else "right")
    for t, row in agg.days.iterrows():
        test = agg.day_tests[int(t)]["csect_t"]
        days.add_row(f"{int(t):+d}", str(int(row.n)), pct(row.aar), fnum(test.stat),
                     fp(test.p), Text(stars(test.p), style="bold yellow"),
                     style="bold" if t == 0 else None)
    cars = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for name in ("window", "N", "CAAR", "csect_t", "p", ""):
        cars.add_column(name, justify="left" if name in ("window", "") else "right")
    for w, row in agg.car.iterrows():
        test = agg.car_tests[tuple(w)]["csect_t"]
        cars.add_row(f"({w[0]:+d},{w[1]:+d})", str(int(row.n)), pct(row.caar),
                     fnum(test.stat), fp(test.p), Text(stars(test.p), style="bold yellow"))
    note = Text("csect_t is not robust to cross-correlation: these pairs share one "
                "announcement, so read it with care.", style="dim")
    return Panel(Group(days, cars, note), title=f"[bold]Aggregate over {agg.n} pairs[/]",
                 title_align="left", box=box.ROUNDED)


def plain_text(result: EventStudyResult, width: int = 120) -> str:
    """The rich rendering as plain text, without colour."""
    buffer = StringIO()
    Console(file=buffer, width=width, color_system=None).print(render_study(result))
    return buffer.getvalue()
