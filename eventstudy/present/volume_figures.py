"""The volume figure of one security: log(1 + volume) and its normal level, the daily abnormal
log volume as bars with ±1.96·se whiskers.

Drawn from a pair of a volume study (``measure == "volume"``), whose ``days`` frame holds the
observable V_t = log(1 + volume_t) in ``return``, its normal level in ``expected`` and the
abnormal log volume in ``ar``. Same style, axes and deterministic PNG as
:mod:`eventstudy.present.figures`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure

from eventstudy.present.common import stars, window_text
from eventstudy.present.figures import (
    DAY0,
    DOWN,
    LINE,
    PAIR_SIZE,
    UP,
    Chart,
    _days_axis,
    _limits,
    _marks,
    _png,
    chart,
)
from eventstudy.study.results import EventStudyResult, PairResult

if TYPE_CHECKING:
    from eventstudy.events import Event

#: The whiskers of the daily bars: ± this many standard errors (a normal 95 % interval).
WHISKER = 1.96


def draw_volume(fig: Figure, pair: PairResult, event: Event | None = None) -> None:
    """One security's volume on ``fig``: log(1 + volume) and its normal level (top), the
    daily abnormal log volume as bars with ±1.96·se whiskers (bottom)."""
    days = pair.days
    t = days["t"].to_numpy()
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    level = days["return"].to_numpy(float)
    normal = days["expected"].to_numpy(float)
    top.plot(t, normal, color=DAY0, linestyle="--", linewidth=1.4)
    top.plot(t, level, color=LINE, marker="o", markersize=4, linewidth=1.8)
    _marks(top, pair, text=True)
    both = np.concatenate([level, normal])
    both = both[np.isfinite(both)]
    if both.size:
        pad = 0.15 * ((both.max() - both.min()) or 1.0)
        top.set_ylim(both.min() - pad, both.max() + pad)
    top.set_ylabel("log(1 + volume)")
    _days_axis(top, pair, labels=False)

    ar = days["ar"].to_numpy(float)
    whisker = WHISKER * days["se"].to_numpy(float)
    shown = np.isfinite(ar) & np.isfinite(whisker)
    colors = [DOWN if a < 0 else UP for a in np.nan_to_num(ar)]
    bars = bottom.bar(t, np.nan_to_num(ar), color=colors, width=0.7)
    for bar in (bars[i] for i in np.flatnonzero(t == 0)):
        bar.set(edgecolor="black", linewidth=1.2)
    bottom.errorbar(t[shown], ar[shown], yerr=whisker[shown], fmt="none", ecolor="#333333",
                    elinewidth=1, capsize=3)
    for k in t[~np.isfinite(ar)]:
        bottom.text(k + 0.15, 0.04, "no volume", transform=bottom.get_xaxis_transform(),
                    rotation=90, ha="center", va="bottom", fontsize=8, color="#555555")
    bottom.axhline(0, color="black", linewidth=0.8)
    _marks(bottom, pair, text=False)
    lo, hi = _limits(np.concatenate([ar, ar[shown] - whisker[shown], ar[shown] + whisker[shown]]),
                     pad=0.15)
    bottom.set_ylim(lo, hi)
    nudge = 0.03 * (hi - lo)
    for k, a, w, p in zip(t, ar, whisker, days["p"].to_numpy(float), strict=True):
        mark = stars(p)
        if mark and np.isfinite(a):
            reach = abs(w) if np.isfinite(w) else 0.0
            bottom.text(k, a + (reach + nudge if a >= 0 else -reach - nudge), mark,
                        ha="center", va="bottom" if a >= 0 else "top", fontsize=10,
                        fontweight="bold")
    bottom.set_ylabel("daily abnormal\nlog volume")
    _days_axis(bottom, pair)
    fig.align_ylabels((top, bottom))

    proxy = " (proxy)" if pair.proxy else ""
    model = pair.model + (f" model on {pair.benchmark}" if pair.benchmark else " model")
    name = pair.name if len(pair.name) <= 40 else pair.name.split(" (")[0][:40]
    fig.suptitle(f"{pair.security}{proxy} — {name}: trading volume", x=0.01, y=0.985,
                 ha="left", fontsize=11.5, fontweight="bold")
    which = f"{event.id}: " if event is not None else ""
    top.set_title(f"{which}{model}; solid: log(1 + volume); dashed: normal level",
                  loc="left", fontsize=8.5, color="#555555")
    head = (f"; yellow: headline {window_text(pair.headline)}" if pair.headline != (0, 0)
            else "")
    bottom.set_title(f"whiskers: ±{WHISKER}·se{head}", loc="left", fontsize=8,
                     color="#555555")
    bottom.set_title("* p<0.10  ** p<0.05  *** p<0.01", loc="right", fontsize=8,
                     color="#555555")
    fig.subplots_adjust(left=0.15, right=0.9, top=0.89, bottom=0.13, hspace=0.14)


def volume_chart(pair: PairResult, event: Event | None = None) -> Chart:
    """:func:`draw_volume` on a new :class:`~eventstudy.present.figures.Chart`."""
    return chart(lambda fig: draw_volume(fig, pair, event), PAIR_SIZE)


def volume_figure(result: EventStudyResult, pair: PairResult) -> bytes:
    """One security of a volume study as PNG bytes (:func:`draw_volume`)."""
    return _png(lambda fig: draw_volume(fig, pair, result.event), PAIR_SIZE)
