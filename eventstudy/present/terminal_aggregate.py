"""The aggregate panel of the terminal: the tests by event day and by CAR window.

Both tables have one column per item (an event day, a CAR window); at a narrow width they are
split into stacked tables over consecutive items, each repeating the rows' names
(:class:`~eventstudy.present.fitting.Stacked`), so that no cell is cut. Reads the aggregate,
computes no statistic.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich import box
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from eventstudy.present.cells import CELLS, fnum, fp, stars
from eventstudy.present.fitting import Stacked

if TYPE_CHECKING:
    from eventstudy.inference.aggregate import Aggregate


def aggregate_panel(agg: Aggregate, title: str | None = None,
                    measure: str = "returns") -> RenderableType:
    """The aggregate: tests as rows, event days (stat and stars) and CAR windows (stat, p,
    stars) as columns; r̄, the bootstrap interval and which tests survive cross-correlation.
    The values are in ``measure``'s unit (:data:`~eventstudy.present.cells.CELLS`)."""
    from eventstudy.inference.aggregate import ALL_TESTS as TEST_ORDER
    from eventstudy.inference.aggregate import ROBUST_TO_CROSS_CORRELATION

    robust = set(ROBUST_TO_CROSS_CORRELATION)
    keys = [k for k in TEST_ORDER if any(k in v for v in agg.day_tests.values())]
    cell = CELLS[measure]  # the measure's unit: % for returns, log points for volume, ...

    def label(key: str) -> str:
        return key + (" †" if key in robust else "")

    offsets = [int(t) for t in agg.days.index]
    n_day = dict(zip(offsets, agg.days["n"], strict=True))
    aar = dict(zip(offsets, agg.days["aar"], strict=True))

    def days(chunk: Sequence[int], first: bool) -> Table:
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 0, 0, 1),
                      title="Tests by event day: statistic and stars" if first else None,
                      title_justify="left", title_style="bold")
        table.add_column("t", no_wrap=True, min_width=14)
        for t in chunk:
            table.add_column(f"{t:+d}", justify="right", style="bold" if t == 0 else None,
                             no_wrap=True)
        table.add_row("N", *(str(int(n_day[t])) for t in chunk))
        table.add_row("AAR", *(cell(aar[t]) for t in chunk), end_section=True)
        for key in keys:
            cells = []
            for t in chunk:
                r = agg.day_tests[t].get(key)
                cells.append(Text("–", style="dim") if r is None or not math.isfinite(r.stat)
                             else Text(fnum(r.stat)) + Text(stars(r.p) or "", style="bold yellow"))
            table.add_row(label(key), *cells)
        return table

    windows = [tuple(w) for w in agg.car.index]
    car = agg.car.copy()
    car.index = windows
    level = agg.bootstrap.get("level", 0.95)
    with_ci = "ci_low" in car and int(agg.bootstrap.get("n", 0))
    # the study adjusts its p-values (eventstudy.study.adjusted): "stat (p; p adj)"
    adjusted = any(hasattr(r, "p_adjusted") for v in agg.car_tests.values() for r in v.values())

    def cars(chunk: Sequence[tuple[int, int]], first: bool) -> Table:
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False,
                      title=(f"Tests by CAR window: statistic, {CAR_P[adjusted]}, stars" if first
                             else None),
                      title_justify="left", title_style="bold")
        table.add_column("window", no_wrap=True, min_width=14)
        for lo, hi in chunk:
            table.add_column(f"({lo:+d},{hi:+d})", justify="right", no_wrap=True)
        table.add_row("N", *(str(int(car.at[w, "n"])) for w in chunk))
        table.add_row("CAAR", *(cell(car.at[w, "caar"]) for w in chunk))
        if with_ci:
            table.add_row(f"{level:.0%} CI", *(
                Text(_interval(car.at[w, "ci_low"], car.at[w, "ci_high"], measure))
                for w in chunk))
        table.rows[-1].end_section = True
        for key in keys:
            cells = []
            for w in chunk:
                r = agg.car_tests[w].get(key)
                cells.append(Text("–", style="dim") if r is None or not math.isfinite(r.stat)
                             else Text(f"{fnum(r.stat)} ({fp(r.p)}{_adj(r)})")
                             + Text(stars(r.p).ljust(3), style="bold yellow"))
            table.add_row(label(key), *cells)
        return table

    notes = Text(style="dim")
    notes.append(f"r̄ = {fnum(agg.r_bar, '.3f')}: {agg.r_bar_method}.\n")
    if agg.common_date:
        notes.append("All pairs share day 0: their abnormal returns are cross-correlated. "
                     "† = robust to cross-correlation (" + ", ".join(
                         ROBUST_TO_CROSS_CORRELATION) + "); the others over-reject when r̄ > 0.\n")
    else:
        notes.append("Pairs on different day-0 dates: cross-correlation only within a date; "
                     "† tests adjust for it (portfolio_t needs one common date).\n")
    if measure == "volume":
        notes.append(VOLUME_NOTE + "\n")
    if int(agg.bootstrap.get("n", 0)):
        notes.append(f"CI: bootstrap percentile, {agg.bootstrap['n']} resamples of pairs, "
                     f"seed {agg.bootstrap.get('seed')} (treats pairs as independent). "
                     "Day-level p-values: --format json or result.tests_frame().")
    head = title or (f"Aggregate over {agg.n} pairs"
                     + (f" of {agg.n_events} events" if agg.n_events > 1 else ""))
    return Panel(Group(Stacked(days, offsets), Stacked(cars, windows), notes),
                 title=f"[bold]{head}[/]", title_align="left", box=box.ROUNDED)


#: What the CAR-window cells show in brackets, without and with adjusted p-values.
CAR_P = {False: "p-value", True: "(p-value; adjusted p across the windows)"}


def _adj(r: object) -> str:
    """``; 0.0123``: a test's adjusted p-value after its p, when it carries one."""
    return f"; {fp(r.p_adjusted)}" if hasattr(r, "p_adjusted") else ""


#: What the size study says of the battery on abnormal volume (benchmarks/size_power.md).
VOLUME_NOTE = ("Volume: abnormal log volume is right-skewed; sign_z, wilcoxon_z and grank_t "
               "over-reject then (benchmarks/size_power.md); rank_z and gsign_z hold their size "
               "(Campbell & Wasley 1996).")


def _interval(low: float, high: float, measure: str) -> str:
    """A CI: in % for returns ("[-1.20, 3.40]%"), else in the measure's units."""
    cell = CELLS[measure]
    if measure == "returns":
        return f"[{fnum(low * 100)}, {fnum(high * 100)}]%"
    return f"[{cell(low).plain}, {cell(high).plain}]"
