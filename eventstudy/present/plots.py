"""The results' ``plot()``: matplotlib figures drawn by the reports' code (:mod:`.figures`).

Registered in :mod:`eventstudy._display` when imported (by :mod:`eventstudy.present`).
matplotlib is imported inside the functions, on the first ``plot()``: importing eventstudy (and
starting the CLI) does not load it. Each function returns a
:class:`~eventstudy.present.figures.Chart`, a :class:`matplotlib.figure.Figure` that shows itself
in a notebook, with no pyplot state. The numbers come from the results: the CAR paths of the
pairs, :func:`eventstudy.study.paths.car_path` and :func:`~eventstudy.study.paths.caar_path` for
the bands, and :meth:`BatchResult.aggregate` for a batch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from eventstudy import _display
from eventstudy.study.batch.result import BatchResult
from eventstudy.study.pooled import PooledResult
from eventstudy.study.results import EventStudyResult, PairResult

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def pair_plot(pair: PairResult) -> Figure:
    """A pair's CAR path with its 95 % band, and its ARs as bars (the report's pair figure);
    of a volume study, its log volume against the normal level and the daily abnormal volume
    (the report's volume figure)."""
    if pair.measure == "volume":
        from eventstudy.present.volume_figures import volume_chart

        return volume_chart(pair)
    from eventstudy.present import figures

    return figures.pair_chart(pair)


def study_plot(result: EventStudyResult) -> Figure:
    """The CAR path of every pair of the event (the report's overview figure)."""
    from eventstudy.present import figures

    return figures.overview_chart(result)


def pooled_plot(pooled: PooledResult) -> Figure:
    """The pooled CAAR path with its 95 % cross-sectional band (the report's CAAR figure)."""
    from eventstudy.present import figures
    from eventstudy.present.pooled_markdown import pooled_title
    from eventstudy.study.paths import caar_path

    path = caar_path([p for _, p in pooled.pairs], 0.95)
    subtitle = f"{len(pooled.results)} events, {pooled.aggregate.n} pairs"
    return figures.caar_chart(pooled_title(pooled), subtitle, {"": path})


def batch_paths(result: BatchResult, by: str | None = None, bootstrap: int = 0,
                seed: int | None = 0) -> dict[str, pd.DataFrame]:
    """The CAAR path of each group of ``by`` (one path when None), read from
    :meth:`BatchResult.aggregate` over the windows (window[0], t) of the event window: columns
    t, n, caar, lo and hi (the bootstrap percentile interval; NaN when ``bootstrap`` is 0)."""
    lo = result.window[0]
    windows = [(lo, t) for t in range(lo, result.window[1] + 1)]
    aggs = result.aggregate(by, windows=windows, bootstrap=bootstrap, seed=seed)
    groups = {"": aggs} if by is None else dict(sorted(aggs.items(), key=lambda g: str(g[0])))
    paths = {}
    for group, agg in groups.items():  # type: ignore[union-attr]
        car = agg.car
        paths["" if by is None else str(group)] = pd.DataFrame({
            "t": [w[1] for w in car.index], "n": car["n"].to_numpy(),
            "caar": car["caar"].to_numpy(float), "lo": car["ci_low"].to_numpy(float),
            "hi": car["ci_high"].to_numpy(float)})
    return paths


def batch_plot(result: BatchResult, by: str | None = None, bootstrap: int = 0,
               seed: int | None = 0) -> Figure:
    """The CAAR path of a batch, one line per group of ``by`` (see :func:`batch_paths`)."""
    from eventstudy.present import figures

    paths = batch_paths(result, by, bootstrap, seed)
    n = sum(int(p["n"].max()) for p in paths.values() if len(p))
    what = f"by {by}, " if by is not None else ""
    subtitle = f"batch, {result.model} model: {what}{n:,} pairs"
    band = f"bootstrap 95 % interval ({bootstrap:,} resamples)" if bootstrap else None
    return figures.caar_chart("Batch", subtitle, paths, band)


_display.register_view("plot", PairResult, pair_plot)
_display.register_view("plot", EventStudyResult, study_plot)
_display.register_view("plot", PooledResult, pooled_plot)
_display.register_view("plot", BatchResult, batch_plot)
