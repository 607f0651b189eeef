"""Terminal presentation of a model-sensitivity frame (:mod:`eventstudy.study.sensitivity`).

Reads the frame, computes no statistic: each cell is a headline CAR of the frame with its
stars and t statistic; a pair that a model could not estimate shows "–" and its reason below.
At a narrow width the models are split into stacked tables (:class:`Stacked`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from eventstudy.present.cells import CELLS, stars
from eventstudy.present.fitting import Stacked


def render_sensitivity(frame: pd.DataFrame) -> RenderableType:
    """Headline CARs, securities × models, with stars, t statistics and estimation sizes."""
    head = frame[frame["headline"]]
    if head.empty:
        return Text("no pairs")
    event = str(head["event"].iloc[0])
    window = head["window"].iloc[0]
    models = list(dict.fromkeys(head["model"]))
    securities = list(dict.fromkeys(head["security"]))
    cell = {(str(r.security), str(r.model)): r for r in head.itertuples(index=False)}
    notes = [f"{s} / {m}: {cell[(s, m)].reason}" for s in securities for m in models
             if (s, m) in cell and cell[(s, m)].reason]

    def cars(chunk: Sequence[str], first: bool) -> Table:
        table = Table(title=f"{event}: headline CAR{list(window)} by normal-return model"
                      if first else None, title_justify="left", box=box.SIMPLE_HEAD)
        table.add_column("security", no_wrap=True)
        for model in chunk:
            table.add_column(model, justify="right", no_wrap=True)
        for security in securities:
            cells: list[Text | str] = [str(security)]
            for model in chunk:
                r = cell.get((security, model))
                if r is None or r.reason:
                    cells.append(Text("–", style="dim"))
                    continue
                text = CELLS[str(r.measure)](r.car)
                text.append(stars(r.p))
                t = r.t_stat
                text.append(f" ({t:+.1f})" if t is not None and math.isfinite(t) else "",
                            style="dim")
                cells.append(text)
            table.add_row(*cells)
        return table

    def fits(chunk: Sequence[str], first: bool) -> Table:
        table = Table(box=box.SIMPLE_HEAD, title="estimation: M returns / k parameters, β"
                      if first else None, title_justify="left")
        table.add_column("security", no_wrap=True)
        for model in chunk:
            table.add_column(model, justify="right", no_wrap=True)
        for security in securities:
            cells = [str(security)]
            for model in chunk:
                r = cell.get((security, model))
                if r is None or r.reason:
                    cells.append("–")
                    continue
                beta = "" if not math.isfinite(r.beta) else f" β {r.beta:.2f}"
                cells.append(f"{r.n_obs}/{r.k}{beta}")
            table.add_row(*cells)
        return table

    legend = Text("CAR (t), two-sided: *** p < 0.01  ** p < 0.05  * p < 0.10", style="dim")
    parts: list[RenderableType] = [Stacked(cars, models), Stacked(fits, models), legend]
    parts += [Text(n, style="dim") for n in notes]
    return Group(*parts)
