"""Figures of a study, drawn on a :class:`matplotlib.figure.Figure` (no pyplot, no global state).

The ``draw_*`` functions draw on a Figure they are given; the ``*_chart`` functions return a new
:class:`Chart` drawn by them (what the results' ``plot()`` returns, through
:mod:`eventstudy.present.plots`), and the ``*_figure`` functions the PNG bytes of the reports
(:mod:`eventstudy.present.build`): one drawing code for both. Output is deterministic: the style
is reset to matplotlib's defaults plus :data:`STYLE` (the user's matplotlib settings do not leak
in), the dpi is fixed, and the PNG carries no software or date metadata (it is re-encoded with a
palette by Pillow, which matplotlib depends on).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from io import BytesIO
from typing import TYPE_CHECKING

import matplotlib
import matplotlib.style
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter
from PIL import Image

from eventstudy.present.common import exchange_label, pct_text, stars, window_text
from eventstudy.study.paths import caar_path, car_path
from eventstudy.study.results import EventStudyResult, PairResult

if TYPE_CHECKING:
    from eventstudy.events import Event

DPI = 100
SIZE = (7.2, 4.0)  # inches
PAIR_SIZE = (7.2, 5.6)
STYLE = {
    "font.size": 10, "axes.titlesize": 11, "axes.labelsize": 10, "axes.spines.top": False,
    "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.3, "legend.fontsize": 9,
    "legend.frameon": False, "svg.hashsalt": "eventstudy",
}
UP, DOWN, LINE, BAND, DAY0, NEWS = ("#1f77b4", "#d62728", "#1f4e79", "#9ecae1", "#444444",
                                   "#a0700b")
HEADLINE = "#fff1b8"
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
           "#17becf", "#7f7f7f", "#bcbd22")


@contextmanager
def _style() -> Iterator[None]:
    """matplotlib's default style plus :data:`STYLE`, whatever the user's settings."""
    with matplotlib.style.context("default"), matplotlib.rc_context(STYLE):
        yield


class Chart(Figure):
    """A Figure that shows itself in a notebook as a PNG (``_repr_png_``), without pyplot."""

    def _repr_png_(self) -> bytes:
        buffer = BytesIO()
        with _style():
            self.savefig(buffer, format="png", dpi=DPI)
        return buffer.getvalue()


def chart(draw: Callable[[Figure], None], size: tuple[float, float] = SIZE) -> Chart:
    """A new :class:`Chart` of ``size`` inches drawn by ``draw``, in the reports' style."""
    with _style():
        fig = Chart(figsize=size, dpi=DPI)
        draw(fig)
    return fig


def _png(draw: Callable[[Figure], None], size: tuple[float, float] = SIZE) -> bytes:
    with _style():
        fig = Figure(figsize=size, dpi=DPI)
        FigureCanvasAgg(fig)
        draw(fig)
        buffer = BytesIO()
        fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return _palette(buffer.getvalue())


def _palette(png: bytes) -> bytes:
    """The PNG re-encoded with a 256-colour palette: a third of the size, the same look."""
    with Image.open(BytesIO(png)) as image:
        out = BytesIO()
        image.convert("RGB").quantize(256, method=Image.Quantize.FASTOCTREE).save(
            out, format="PNG")
    return out.getvalue()


def _days_axis(ax, pair: PairResult, labels: bool = True) -> None:
    """x axis: one tick per event day, "day 0" spelt out, the session's month-day below."""
    t = pair.days["t"].to_numpy()
    ax.xaxis.set_major_locator(FixedLocator(t))
    ax.set_xlim(t[0] - 0.6, t[-1] + 0.6)
    ax.grid(axis="x", visible=False)
    if not labels:
        ax.tick_params(axis="x", labelbottom=False)
        return
    ax.set_xticklabels([("day 0" if k == 0 else f"{k:+d}") + f"\n{d:%m-%d}"
                        for k, d in zip(t, pair.days["date"], strict=True)])
    for k, label in zip(t, ax.get_xticklabels(), strict=True):
        if k == 0:
            label.set_fontweight("bold")
    ax.set_xlabel(f"{exchange_label(pair.exchange)} trading sessions relative to day 0 "
                  f"({pair.day0.date().isoformat()}); month-day below")


def _marks(ax, pair: PairResult, text: bool) -> None:
    """Day 0 (dashed) and other news in the window (dotted, labelled when ``text``)."""
    ax.axvline(0, color=DAY0, linestyle="--", linewidth=1)
    if pair.headline != (0, 0):
        ax.axvspan(pair.headline[0] - 0.45, pair.headline[1] + 0.45, color=HEADLINE, zorder=0,
                   linewidth=0)
    for _, t in pair.confounders:
        ax.axvline(t, color=NEWS, linestyle=":", linewidth=1.4)
        if text:
            ax.text(t + 0.06, 0.03, "other news", transform=ax.get_xaxis_transform(),
                    rotation=90, ha="left", va="bottom", fontsize=8, color=NEWS)


def _percent_axis(ax) -> None:
    """y tick labels in percent, with the fewest decimals that tell the ticks apart."""

    def label(x: float, _pos: int | None) -> str:
        ticks = ax.yaxis.get_majorticklocs()
        step = float(np.min(np.diff(ticks))) * 100 if len(ticks) > 1 else 1.0
        decimals = next((d for d in range(4) if abs(step * 10**d - round(step * 10**d))
                         < 1e-6 * max(1.0, step * 10**d)), 4)
        value = x * 100 if abs(x * 100) >= 0.5 * 10.0**-decimals else 0.0
        return f"{value:.{decimals}f}%".replace("-", "−")

    ax.yaxis.set_major_formatter(FuncFormatter(label))


def _limits(values: np.ndarray, pad: float = 0.18) -> tuple[float, float]:
    """y limits around ``values`` and 0, padded by ``pad`` of the range."""
    finite = values[np.isfinite(values)]
    lo = min(0.0, float(finite.min())) if finite.size else 0.0
    hi = max(0.0, float(finite.max())) if finite.size else 0.01
    span = (hi - lo) or 0.01
    return lo - pad * span, hi + pad * span


def draw_pair(fig: Figure, pair: PairResult, event: Event | None = None) -> None:
    """One security on ``fig``: the CAR path with its 95 % band (top), the daily ARs as bars
    (bottom); ``event`` names the event in the subtitle.

    The band comes from :func:`eventstudy.study.paths.car_path`; the stars from the ARs' p-values.
    """
    path = car_path(pair, 0.95)
    days = pair.days
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    t = path["t"].to_numpy()
    car = path["car"].to_numpy(float)
    top.fill_between(t, path["lo"], path["hi"], color=BAND, alpha=0.7, linewidth=0)
    top.axhline(0, color="black", linewidth=0.8)
    top.plot(t, car, color=LINE, marker="o", markersize=4, linewidth=1.8)
    _marks(top, pair, text=True)
    top.annotate(pct_text(car[-1], 1), (t[-1], car[-1]), xytext=(6, 0),
                 textcoords="offset points", va="center", fontsize=9, color=LINE,
                 fontweight="bold")
    top.set_ylim(*_limits(np.concatenate([path["lo"], path["hi"], car])))
    _percent_axis(top)
    top.set_ylabel("cumulative\nabnormal return")
    _days_axis(top, pair, labels=False)

    ar = days["ar"].to_numpy(float)
    colors = [DOWN if a < 0 else UP for a in np.nan_to_num(ar)]
    bars = bottom.bar(t, np.nan_to_num(ar), color=colors, width=0.7)
    for bar in (bars[i] for i in np.flatnonzero(t == 0)):
        bar.set(edgecolor="black", linewidth=1.2)
    span = days["span"].to_numpy()
    for k, a, n in zip(t, ar, span, strict=True):
        note = "no price" if not np.isfinite(a) else f"{n} sessions" if n > 1 else ""
        if note:
            bottom.text(k + 0.15, 0.04, note, transform=bottom.get_xaxis_transform(),
                        rotation=90, ha="center", va="bottom", fontsize=8, color="#555555")
    bottom.axhline(0, color="black", linewidth=0.8)
    _marks(bottom, pair, text=False)
    lo, hi = _limits(ar, pad=0.3)
    bottom.set_ylim(lo, hi)
    nudge = 0.03 * (hi - lo)
    for k, a, p in zip(t, ar, days["p"].to_numpy(float), strict=True):
        mark = stars(p)
        if mark and np.isfinite(a):
            bottom.text(k, a + (nudge if a >= 0 else -nudge), mark, ha="center",
                        va="bottom" if a >= 0 else "top", fontsize=10, fontweight="bold")
    _percent_axis(bottom)
    bottom.set_ylabel("daily\nabnormal return")
    _days_axis(bottom, pair)
    fig.align_ylabels((top, bottom))

    proxy = " (proxy)" if pair.proxy else ""
    model = pair.model + (f" model on {pair.benchmark}" if pair.benchmark else " model")
    name = pair.name if len(pair.name) <= 50 else pair.name.split(" (")[0][:50]
    fig.suptitle(f"{pair.security}{proxy} — {name}", x=0.01, y=0.985, ha="left",
                 fontsize=11.5, fontweight="bold")
    if pair.headline != (0, 0):
        why = (", time of day unknown" if event is not None and event.timing == "unknown"
               and not hasattr(event.announced, "hour") else "")
        bottom.set_title(f"yellow: headline {window_text(pair.headline)}{why}",
                         loc="left", fontsize=8, color="#8a6d00")
    which = f"{event.id}: " if event is not None else ""
    top.set_title(f"{which}{model}, {pair.returns} returns; shaded: 95 % band",
                  loc="left", fontsize=8.5, color="#555555")
    bottom.set_title("* p<0.10  ** p<0.05  *** p<0.01", loc="right", fontsize=8,
                     color="#555555")
    fig.subplots_adjust(left=0.15, right=0.9, top=0.89, bottom=0.13, hspace=0.14)


def pair_chart(pair: PairResult, event: Event | None = None) -> Chart:
    """:func:`draw_pair` on a new :class:`Chart`."""
    return chart(lambda fig: draw_pair(fig, pair, event), PAIR_SIZE)


def pair_figure(result: EventStudyResult, pair: PairResult) -> bytes:
    """One security of ``result`` as PNG bytes (:func:`draw_pair`)."""
    return _png(lambda fig: draw_pair(fig, pair, result.event), PAIR_SIZE)


def draw_overview(fig: Figure, result: EventStudyResult) -> None:
    """The CAR path of every pair of the event on ``fig`` (no bands), labelled at the end."""
    ax = fig.add_subplot()
    ax.axhline(0, color="black", linewidth=0.8)
    ax.axvline(0, color=DAY0, linestyle="--", linewidth=1)
    head = result.event.headline
    if head != (0, 0):
        ax.axvspan(head[0] - 0.45, head[1] + 0.45, color=HEADLINE, zorder=0, linewidth=0)
    for i, p in enumerate(result.pairs):
        color = PALETTE[i % len(PALETTE)]
        t = p.days["t"].to_numpy()
        car = p.days["car"].to_numpy(float)
        label = f"{p.security}{' (proxy)' if p.proxy else ''} {pct_text(car[-1], 1)}"
        ax.plot(t, car, marker="o", markersize=3, linewidth=1.6, color=color, label=label)
    _percent_axis(ax)
    ax.set_ylabel("cumulative\nabnormal return")
    ax.set_xlabel("trading day relative to day 0 (each security's own sessions)")
    offsets = sorted({int(k) for p in result.pairs for k in p.days["t"]})
    ax.xaxis.set_major_locator(FixedLocator(offsets))
    ax.set_xticklabels(["day 0" if k == 0 else f"{k:+d}" for k in offsets])
    for k, tick in zip(offsets, ax.get_xticklabels(), strict=True):
        if k == 0:
            tick.set_fontweight("bold")
    ax.grid(axis="x", visible=False)
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), title="CAR on the last day")
    day0 = sorted({p.day0.date().isoformat() for p in result.pairs})
    fig.suptitle(f"{result.event.id}: cumulative abnormal return by security", x=0.01,
                 ha="left", fontsize=11.5, fontweight="bold")
    extra = "" if head == (0, 0) else f"; yellow: headline {window_text(head)}"
    ax.set_title(f"day 0 = {', '.join(day0)}; CAR summed from the first day shown{extra}",
                 loc="left", fontsize=8.5, color="#555555")
    fig.subplots_adjust(left=0.14, right=0.76, top=0.86, bottom=0.14)


def overview_chart(result: EventStudyResult) -> Chart:
    """:func:`draw_overview` on a new :class:`Chart`."""
    return chart(lambda fig: draw_overview(fig, result))


def overview_figure(result: EventStudyResult) -> bytes:
    """The CAR path of every pair of the event as PNG bytes (:func:`draw_overview`)."""
    return _png(lambda fig: draw_overview(fig, result))


def draw_caar(fig: Figure, paths: Mapping[str, pd.DataFrame], title: str, subtitle: str,
              band: str | None = "95 % cross-sectional band") -> None:
    """CAAR paths on ``fig``: one (with its band, and N per day when it varies) or one per group
    (coloured, labelled in a legend with N and the last day's CAAR).

    Each path has the columns t, n, caar, lo, hi (those of
    :func:`eventstudy.study.paths.caar_path`); ``lo``/``hi`` may be NaN (no band). ``band`` says
    in the subtitle what the shaded band is (None: nothing is shaded).
    """
    ax = fig.add_subplot()
    if len(paths) != 1:
        _draw_groups(fig, ax, paths, title, subtitle, band)
        return
    (path,) = paths.values()
    t = path["t"].to_numpy()
    caar = path["caar"].to_numpy(float)
    ax.fill_between(t, path["lo"], path["hi"], color=BAND, alpha=0.7, linewidth=0)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.axvline(0, color=DAY0, linestyle="--", linewidth=1)
    ax.plot(t, caar, color=LINE, marker="o", markersize=4, linewidth=1.8)
    ax.annotate(pct_text(caar[-1], 1), (t[-1], caar[-1]), xytext=(6, 0),
                textcoords="offset points", va="center", fontsize=9, color=LINE,
                fontweight="bold")
    ax.set_ylim(*_limits(np.concatenate([path["lo"], path["hi"], caar])))
    _percent_axis(ax)
    ax.set_ylabel("cumulative average\nabnormal return (CAAR)")
    ax.xaxis.set_major_locator(FixedLocator(t))
    n = path["n"].to_numpy()
    same = bool((n == n[0]).all())
    ax.set_xticklabels([("day 0" if k == 0 else f"{k:+d}") + ("" if same else f"\nN={m}")
                        for k, m in zip(t, n, strict=True)])
    for k, label in zip(t, ax.get_xticklabels(), strict=True):
        if k == 0:
            label.set_fontweight("bold")
    ax.set_xlim(t[0] - 0.6, t[-1] + 0.6)
    ax.grid(axis="x", visible=False)
    ax.set_xlabel("trading day relative to each pair's day 0"
                  + (f" (N = {n[0]} pairs)" if same else " (N pairs with a CAR)"))
    fig.suptitle(f"{title}: cumulative average abnormal return", x=0.01, ha="left",
                 fontsize=11.5, fontweight="bold")
    ax.set_title(_shaded(subtitle, band), loc="left", fontsize=8.5, color="#555555")
    fig.subplots_adjust(left=0.15, right=0.9, top=0.86, bottom=0.14 if same else 0.2)


def _shaded(subtitle: str, band: str | None) -> str:
    return subtitle if band is None else f"{subtitle}; shaded: {band}"


def _draw_groups(fig: Figure, ax, paths: Mapping[str, pd.DataFrame], title: str,
                 subtitle: str, band: str | None) -> None:
    ax.axhline(0, color="black", linewidth=0.8)
    ax.axvline(0, color=DAY0, linestyle="--", linewidth=1)
    values = [np.zeros(1)]
    for i, (name, path) in enumerate(paths.items()):
        color = PALETTE[i % len(PALETTE)]
        t = path["t"].to_numpy()
        caar = path["caar"].to_numpy(float)
        ax.fill_between(t, path["lo"], path["hi"], color=color, alpha=0.15, linewidth=0)
        label = f"{name} (N={int(path['n'].max())}) {pct_text(caar[-1], 1)}"
        ax.plot(t, caar, marker="o", markersize=3, linewidth=1.6, color=color, label=label)
        values += [path["lo"].to_numpy(float), path["hi"].to_numpy(float), caar]
    ax.set_ylim(*_limits(np.concatenate(values)))
    _percent_axis(ax)
    ax.set_ylabel("cumulative average\nabnormal return (CAAR)")
    offsets = sorted({int(k) for path in paths.values() for k in path["t"]})
    ax.xaxis.set_major_locator(FixedLocator(offsets))
    ax.set_xticklabels(["day 0" if k == 0 else f"{k:+d}" for k in offsets])
    for k, label in zip(offsets, ax.get_xticklabels(), strict=True):
        if k == 0:
            label.set_fontweight("bold")
    if offsets:
        ax.set_xlim(offsets[0] - 0.6, offsets[-1] + 0.6)
    ax.grid(axis="x", visible=False)
    ax.set_xlabel("trading day relative to each pair's day 0")
    if paths:
        ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), title="CAAR on the last day")
    fig.suptitle(f"{title}: cumulative average abnormal return", x=0.01, ha="left",
                 fontsize=11.5, fontweight="bold")
    ax.set_title(_shaded(subtitle, band), loc="left", fontsize=8.5, color="#555555")
    fig.subplots_adjust(left=0.14, right=0.7, top=0.86, bottom=0.14)


def caar_chart(title: str, subtitle: str, paths: Mapping[str, pd.DataFrame],
               band: str | None = "95 % cross-sectional band") -> Chart:
    """:func:`draw_caar` on a new :class:`Chart`."""
    return chart(lambda fig: draw_caar(fig, paths, title, subtitle, band))


def caar_figure(title: str, subtitle: str, pairs: Sequence[PairResult]) -> bytes:
    """The CAAR path over ``pairs`` with its 95 % cross-sectional band, and N per day, as PNG
    bytes (:func:`draw_caar` of :func:`eventstudy.study.paths.caar_path`)."""
    path = caar_path(pairs, 0.95)
    return _png(lambda fig: draw_caar(fig, {"": path}, title, subtitle))
