"""Terminal presentation of a model-sensitivity frame (:mod:`eventstudy.study.sensitivity`).

Reads the frame, computes no statistic: each cell is a headline CAR of the frame with its
stars and t statistic; a pair that a model could not estimate shows "–" and its reason below.
"""

from __future__ import annotations

import math

import pandas as pd
from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from eventstudy.present.terminal import pct, stars


def render_sensitivity(frame: pd.DataFrame) -> RenderableType:
    """Headline CARs, securities × models, with stars, t statistics and estimation sizes."""
    head = frame[frame["headline"]]
    if head.empty:
        return Text("no pairs")
    event = str(head["event"].iloc[0])
    window = head["window"].iloc[0]
    models = list(dict.fromkeys(head["model"]))
    table = Table(
        title=f"{event}: headline CAR{list(window)} by normal-return model",
        title_justify="left", box=box.SIMPLE_HEAD,
    )
    table.add_column("security", no_wrap=True)
    for model in models:
        table.add_column(model, justify="right", no_wrap=True, overflow="fold")
    notes: list[str] = []
    for security, rows in head.groupby("security", sort=False):
        cells: list[Text | str] = [str(security)]
        by_model = rows.set_index("model")
        for model in models:
            r = by_model.loc[model]
            if r["reason"]:
                cells.append(Text("–", style="dim"))
                notes.append(f"{security} / {model}: {r['reason']}")
                continue
            cell = pct(r["car"])
            cell.append(stars(r["p"]))
            t = r["t_stat"]
            cell.append(f" ({t:+.1f})" if t is not None and math.isfinite(t) else "", style="dim")
            cells.append(cell)
        table.add_row(*cells)
    fits = Table(box=box.SIMPLE_HEAD, title="estimation: M returns / k parameters, β",
                 title_justify="left")
    fits.add_column("security", no_wrap=True)
    for model in models:
        fits.add_column(model, justify="right", no_wrap=True)
    for security, rows in head.groupby("security", sort=False):
        by_model = rows.set_index("model")
        cells = [str(security)]
        for model in models:
            r = by_model.loc[model]
            if r["reason"]:
                cells.append("–")
                continue
            beta = "" if not math.isfinite(r["beta"]) else f" β {r['beta']:.2f}"
            cells.append(f"{r['n_obs']}/{r['k']}{beta}")
        fits.add_row(*cells)
    legend = Text("CAR (t), two-sided: *** p < 0.01  ** p < 0.05  * p < 0.10", style="dim")
    parts: list[RenderableType] = [table, fits, legend]
    parts += [Text(n, style="dim") for n in notes]
    return Group(*parts)
