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
from eventstudy.present.cells import CELLS, LEGEND, STAR_LEVELS, UNITS, fnum, fp, pct, stars
from eventstudy.present.fitting import Fitted
from eventstudy.present.synthetic_lines import placebo_lines, synthetic_fit
from eventstudy.present.terminal_aggregate import aggregate_panel
from eventstudy.sessions import exchange_label
from eventstudy.study.pooled import PooledResult
from eventstudy.study.results import EventStudyResult

if TYPE_CHECKING:
    from collections.abc import Mapping

    import pandas as pd

    from eventstudy.study.results import PairResult

__all__ = ["LEGEND", "STAR_LEVELS", "aggregate_panel", "fnum", "fp", "pct", "plain_text",
           "render_pooled", "render_study", "stars"]


def render_study(result: EventStudyResult) -> RenderableType:
    """The whole study: header, one panel per pair, aggregate, excluded pairs, legend."""
    parts: list[RenderableType] = [_header(result)]
    parts += [_pair_panel(p, result) for p in result.pairs]
    if result.aggregate is not None and len(result.pairs) > 1:
        parts.append(_aggregate_panel(result))
    if result.measure == "volatility":
        parts.append(_volatility_table(result))
    if result.adjust:
        parts.append(_adjust_note(result.conventions))
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


def _adjust_note(conventions: Mapping[str, str]) -> Text:
    """What 'p adj' is: the method and its families (``conventions["p_adjusted"]``)."""
    return Text(f"p adj: {conventions.get('p_adjusted', '')} Stars mark the unadjusted p.",
                style="dim")


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
    what = f"{p.returns} returns" if p.measure == "returns" else UNITS[p.measure]
    est.append(f", {what}; estimation {fit.start.date()}..{fit.end.date()}: "
               f"M = {fit.n_obs}, k = {fit.k}, df = {fit.df}\n")
    cell = CELLS[p.measure]
    if p.measure != "returns":  # a level's fit: α, β and σ in the measure's own units
        est.append(f"α = {cell(fit.alpha).plain}  β = {fnum(fit.beta, '.3f')}  "
                   f"σ = {cell(fit.sigma, signed=False).plain}")
    elif fit.model == "market":
        est.append(f"α = {fnum(fit.alpha, '.5f')}  β = {fnum(fit.beta, '.3f')}  "
                   f"σ = {fnum(fit.sigma * 100, '.3f')}%  R² = {fnum(fit.r2, '.3f')}")
    elif fit.model == "constant-mean":
        est.append(f"mean return μ = {fnum(fit.alpha * 100, '.3f')}%  "
                   f"σ = {fnum(fit.sigma * 100, '.3f')}%")
    elif fit.synthetic is not None:
        est.append(synthetic_fit(fit))
    elif fit.params:  # multi-factor, Dimson, Scholes–Williams: every estimated parameter
        shown = "  ".join(f"{name} = {fnum(value, _param_format(fit.model, name))}"
                          for name, value in fit.params)
        summed = "" if fit.model in ("multi-factor", "garch") else (
            f"  β used = {fnum(fit.beta, '.3f')}")
        r2 = "  unconditional" if fit.model == "garch" else f"  R² = {fnum(fit.r2, '.3f')}"
        est.append(f"{shown}{summed}  σ = {fnum(fit.sigma * 100, '.3f')}%{r2}")
    else:
        est.append(f"AR = R − R_m (α = 0, β = 1)  σ = {fnum(fit.sigma * 100, '.3f')}%")

    body: list[RenderableType] = [Fitted([lambda d=d: _days_table(p, d) for d in DAY_LAYOUTS]),
                                  Fitted([lambda c=c: _car_table(p, c) for c in CAR_LAYOUTS])]
    if len(p.name) > 30:  # a long name (a proxy's description) under the title, not in it
        body.insert(0, Text(p.name, style="italic"))
    body.insert(0, est)
    if fit.synthetic is not None:
        body.append(Text(placebo_lines(fit), style="cyan"))
    for c, t in p.confounders:
        body.append(Text(f"confounder in window: {c.date} (t = {t:+d}) {c.note}",
                         style="yellow"))
    for note in p.notes:
        body.append(Text(f"note: {note}", style="dim"))
    name = f"{p.name} " if len(p.name) <= 30 else ""
    title = f"[bold]{p.security}[/] {name}({p.ticker}, {exchange_label(p.exchange)})"
    if p.proxy:
        title += " [yellow]PROXY[/]"
    return Panel(Group(*body), title=title, title_align="left", box=box.ROUNDED)


#: The layouts of a pair's day table, fullest first: what each drops, in this order (the
#: expected return is R − AR; the benchmark's return is in the JSON; dates lose their year;
#: se is AR / t; the p-value keeps its stars). The first that fits the width is drawn.
DAY_LAYOUTS: tuple[frozenset[str], ...] = tuple(frozenset(d) for d in (
    (), ("expected",), ("expected", "bench"), ("expected", "bench", "year"),
    ("expected", "bench", "year", "se"), ("expected", "bench", "year", "se", "p")))
#: The layouts of a pair's CAR-window table, likewise: dates lose their year, then go; BHAR;
#: se. The adjusted p-value ("p adj", shown when the study adjusts) is never dropped.
CAR_LAYOUTS: tuple[frozenset[str], ...] = tuple(frozenset(d) for d in (
    (), ("year",), ("year", "dates"), ("year", "dates", "bhar"),
    ("year", "dates", "bhar", "se")))


def _param_format(model: str, name: str) -> str:
    """A parameter's format: GARCH variance parameters span orders of magnitude."""
    return ".3g" if model == "garch" else ".5f" if name == "alpha" else ".3f"


def _volatility_table(result: EventStudyResult | PooledResult) -> RenderableType:
    """The volatility tests of each pair and pooled (``result.volatility_frame()``); a pooled
    run's events in a column, or, where that does not fit, one table per event."""
    frame = result.volatility_frame()
    if "event" not in frame:
        return _volatility_rows(frame, _VOLATILITY_TITLE.format(_model(frame)))
    per_event = [_volatility_rows(part.drop(columns="event"), event or "pooled", "")
                 for event, part in frame.groupby("event", sort=False)]
    return Group(Text(_VOLATILITY_TITLE.format(_model(frame)), style="bold"), Fitted([
        lambda: _volatility_rows(frame, "", "event"), lambda: Group(*per_event)]))


_VOLATILITY_TITLE = ("Volatility tests on the {} model's ARs: variance ratio of the event "
                     "window's standardized ARs (F, upper tail) and GARCH(1,1) event dummy δ "
                     "(δ rise = (ω + δ)/ω)")


def _model(frame: pd.DataFrame) -> str:
    return str(frame["model"].iloc[0]) if len(frame) else ""


def _volatility_rows(frame: pd.DataFrame, title: str, first: str = "security") -> Table:
    """One volatility table; ``first``: "event" adds the event column (a pooled run)."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, title_justify="left",
                  title=title or None, title_style="bold")
    names = ("security", "ratio", "F", "df", "p", "", "δ rise", "δ t", "δ p", "")
    for name in (("event",) if first == "event" else ()) + names:
        table.add_column(name, justify="left" if name in ("event", "security", "") else
                         "right", no_wrap=True)
    for row in frame.itertuples(index=False):
        df = f"{row.df1:.0f}" if row.security == "pooled" else f"{row.df1:.0f},{row.df2:.0f}"
        table.add_row(*((row.event,) if first == "event" else ()), row.security,
                      fnum(row.ratio), fnum(row.f), df, fp(row.p),
                      Text(stars(row.p), style="bold yellow"), fnum(row.variance_rise),
                      fnum(row.delta_t), fp(row.delta_p),
                      Text(stars(row.delta_p), style="bold yellow"))
    return table


def _date(day: object, short: bool) -> str:
    return f"{day:%m-%d}" if short else f"{day:%Y-%m-%d}"


def _days_table(p: PairResult, drop: frozenset[str]) -> Table:
    """The pair's event-window days; the columns in ``drop`` left out (see DAY_LAYOUTS)."""
    if p.benchmark is None:
        drop = drop | {"bench"}
    short = "year" in drop
    cell = CELLS[p.measure]
    days = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    names = ("t", "date", "return", "bench", "expected", "AR", "se", "t-stat", "p", "", "CAR")
    keep = [n for n in names if n not in drop]
    for name in keep:
        days.add_column(name, justify="left" if name in ("date", "") else "right",
                        no_wrap=True)
    for row in p.days.itertuples(index=False):
        cells = {
            "t": f"{row.t:+d}",
            "date": _date(row.date, short) + (f" ({row.span}d)" if row.span > 1 else ""),
            "return": cell(row[2]), "bench": cell(row.benchmark_return),
            "expected": cell(row.expected), "AR": cell(row.ar),
            "se": cell(row.se, signed=False), "t-stat": fnum(row.t_stat), "p": fp(row.p),
            "": Text(stars(row.p), style="bold yellow"), "CAR": cell(row.car),
        }
        days.add_row(*(cells[n] for n in keep), style="bold" if row.t == 0 else None)
    return days


def _car_table(p: PairResult, drop: frozenset[str]) -> Table:
    """The pair's CAR windows; the columns in ``drop`` left out (see CAR_LAYOUTS)."""
    short = "year" in drop
    cell = CELLS[p.measure]
    cars = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    names = ("window", "dates", "CAR", "se", "t-stat", "p", "", "p adj", "BHAR")
    adjusted = "p_adjusted" in p.car  # the study adjusts its p-values (result.adjust)
    keep = [n for n in names if n.lower() not in drop and (adjusted or n != "p adj")]
    for name in keep:
        cars.add_column(name, justify="left" if name in ("window", "dates", "") else "right",
                        no_wrap=True)
    for row in p.car.itertuples(index=False):
        lo, hi = row.window
        headline = (lo, hi) == p.headline
        cells = {
            "window": f"({lo:+d},{hi:+d})" + (" ◀" if headline else ""),
            "dates": f"{_date(row.start, short)}..{_date(row.end, short)}",
            "CAR": cell(row.car), "se": cell(row.se, signed=False),
            "t-stat": fnum(row.t_stat), "p": fp(row.p),
            "": Text(stars(row.p), style="bold yellow"), "BHAR": cell(row.bhar),
            "p adj": fp(row.p_adjusted) if adjusted else "",
        }
        cars.add_row(*(cells[n] for n in keep), style="bold" if headline else None)
    return cars


def _aggregate_panel(result: EventStudyResult) -> RenderableType:
    assert result.aggregate is not None
    return aggregate_panel(result.aggregate, measure=result.measure)


#: The layouts of a pooled run's events table, fullest first: the title narrows, the
#: announcement keeps its date only, the title goes.
EVENT_LAYOUTS: tuple[frozenset[str], ...] = tuple(frozenset(d) for d in (
    (), ("narrow",), ("narrow", "time"), ("narrow", "time", "title")))
#: The layouts of a pooled run's pairs table: M goes, day 0 loses its century, the t
#: statistics go (the stars stay), the headline window goes (it is the event's; see its
#: study), last the headline CAR's adjusted p (shown when the study adjusts; in car_frame()).
PAIR_LAYOUTS: tuple[frozenset[str], ...] = tuple(frozenset(d) for d in (
    (), ("M",), ("M", "century"), ("M", "century", "t"), ("M", "century", "t", "window"),
    ("M", "century", "t", "window", "p adj")))


#: The pooled pairs table's columns: key, header, left-justified, the layout option that drops
#: it (see PAIR_LAYOUTS; None: never dropped).
_PAIR_COLUMNS: tuple[tuple[str, str, bool, str | None], ...] = (
    ("event", "event", True, None), ("security", "security", True, None),
    ("day0", "day 0", True, None), ("M", "M", False, "M"), ("ar", "AR(0)", False, None),
    ("ar_t", "t", False, "t"), ("ar_stars", "", True, None), ("car", "CAR", False, None),
    ("window", "window", True, "window"), ("car_t", "t", False, "t"),
    ("car_stars", "", True, None), ("car_padj", "p adj", False, "p adj"))


def _events_table(pooled: PooledResult, drop: frozenset[str]) -> Table:
    events = Table(box=box.SIMPLE_HEAD, pad_edge=False, title="Events pooled",
                   title_justify="left", title_style="bold")
    names = [n for n in ("id", "announced", "tags", "pairs", "title") if n not in drop]
    for name in names:
        events.add_column(name, no_wrap=name != "title", overflow="fold",
                          max_width=(30 if "narrow" in drop else 48) if name == "title" else None)
    n_pairs = {r.event.id: len(r.pairs) for r in pooled.results}
    for e in pooled.events:
        day = e.announced_text[:10] if "time" in drop else e.announced_text
        cells = {"id": e.id, "announced": day, "tags": ", ".join(e.tags),
                 "pairs": str(n_pairs.get(e.id, 0)), "title": e.title}
        events.add_row(*(cells[n] for n in names))
    return events


def _pairs_table(pooled: PooledResult, drop: frozenset[str]) -> Table:
    pairs = Table(box=box.SIMPLE_HEAD, pad_edge=False, title="Pairs (event, security): AR on "
                  "day 0, CAR over the headline window", title_justify="left", title_style="bold")
    drop = drop if pooled.adjust else drop | {"p adj"}
    columns = [c for c in _PAIR_COLUMNS if c[3] not in drop]
    for _, header, left, _ in columns:
        pairs.add_column(header, no_wrap=True, justify="left" if left else "right")
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
            c_adj = car.get("p_adjusted", math.nan) if car is not None else math.nan
            cells = {
                "event": r.event.id if i == 0 else "", "security": p.security,
                "day0": f"{p.day0:%y-%m-%d}" if "century" in drop else str(p.day0.date()),
                "M": str(p.estimation.n_obs), "ar": CELLS[p.measure](ar), "ar_t": fnum(ts),
                "ar_stars": Text(stars(pv), style="bold yellow"),
                "car": CELLS[p.measure](c_car),
                "window": f"({p.headline[0]:+d},{p.headline[1]:+d})", "car_t": fnum(c_t),
                "car_stars": Text(stars(c_p), style="bold yellow"), "car_padj": fp(c_adj)}
            pairs.add_row(*(cells[key] for key, *_ in columns),
                          end_section=i == len(r.pairs) - 1)
    return pairs


def render_pooled(pooled: PooledResult) -> RenderableType:
    """A pooled run: the events, each event's pairs compactly, the pooled aggregate panel."""
    events = Fitted([lambda d=d: _events_table(pooled, d) for d in EVENT_LAYOUTS])
    pairs = Fitted([lambda d=d: _pairs_table(pooled, d) for d in PAIR_LAYOUTS])
    what = []
    if pooled.tag:
        what.append(f"tag '{pooled.tag}'")
    if pooled.securities:
        what.append(f"securities {', '.join(pooled.securities)}")
    parts: list[RenderableType] = [
        Text(f"Pooled study of {len(pooled.results)} events"
             + (f" ({'; '.join(what)})" if what else ""), style="bold"),
        events, pairs, aggregate_panel(pooled.aggregate, measure=pooled.results[0].measure)]
    if pooled.results[0].measure == "volatility":
        parts.append(_volatility_table(pooled))
    if pooled.adjust:
        parts.append(_adjust_note(pooled.conventions))
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
    buffer = StringIO()  # never shown in a notebook by rich itself: str() is the text
    Console(file=buffer, width=width, color_system=None, force_jupyter=False).print(
        result.summary())
    return buffer.getvalue()


# The result objects draw themselves through these (see eventstudy._display): the results layer
# never imports this module.
_display.register(EventStudyResult, render_study, plain_text)
_display.register(PooledResult, render_pooled, plain_text)
