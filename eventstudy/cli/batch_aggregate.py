"""``eventstudy batch ... --aggregate BY``: the pooled battery of a Dask batch per group of a
column of the pairs file, reduced on the cluster (:func:`eventstudy.distributed.aggregate`):
one aggregate panel per group (the panel of ``run --tag``), written with ``--out`` as JSON (one
document: the settings and each group's ``aggregate`` member, as in the result document) or
CSV (the tests as tidy rows, a ``group`` column first)."""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eventstudy.cli.common import console, fail
from eventstudy.errors import EstimationError, EventStudyError, ExcludedPairsWarning, InputError

if TYPE_CHECKING:
    from eventstudy.inference.aggregate import Aggregate

#: What ``--aggregate`` takes for one aggregate over all pairs (unless the file has that column).
ALL = "all"


def pooled(pairs_file: Path, returns: Path, by_name: str, car_windows: list[str], *,
           scheduler: str | None, out: Path | None, model: str, estimation: str, window: str,
           min_estimation: int, workers: int, tasks: int | None, timeout: float,
           sessions: str, returns_kind: str, measure: str) -> None:
    """Print the pooled battery per group; write it to ``out`` (.json or .csv)."""
    from eventstudy.cli.batch_options import offsets, progress, read_inputs
    from eventstudy.study.distributed.reduce import aggregate

    try:
        if out is not None and out.suffix.lower() not in (".json", ".csv"):
            raise EstimationError(f"--out {out}: with --aggregate, give a .json or .csv file")
        if out is not None and not out.parent.is_dir():
            raise EstimationError(f"--out {out}: folder {out.parent} does not exist")
        est, win = offsets(estimation, "estimation"), offsets(window, "window")
        windows = [offsets(w, "car-window") for w in car_windows] or [win]
        pairs, panel = read_inputs(pairs_file, returns, model, sessions, measure, returns_kind)
        by = None if by_name == ALL and ALL not in pairs.columns else by_name
        if by is not None and by not in pairs.columns:
            raise InputError(f"--aggregate {by_name}: {pairs_file} has no column {by_name!r} "
                             f"(its columns: {', '.join(map(str, pairs.columns))}; '{ALL}': "
                             "over all pairs)")
        with progress() as report, warnings.catch_warnings():
            warnings.simplefilter("ignore", ExcludedPairsWarning)  # counted on the last line
            result = aggregate(panel, pairs, by=by, windows=windows, client=scheduler,
                               estimation=est, window=win, model=model,
                               min_estimation=min_estimation, workers=workers, tasks=tasks,
                               timeout=timeout, progress=report, sessions=sessions,
                               returns_kind=returns_kind, measure=measure)
        groups: dict[Any, Aggregate] = {ALL: result} if by is None else dict(result)
        data = _encode(groups, out, by, model, est, win, windows, measure)
    except EventStudyError as exc:
        raise fail(exc) from None
    from eventstudy.present.terminal_aggregate import aggregate_panel

    screen = console()
    for group, agg in groups.items():
        title = (f"{by} = {group}: " if by is not None else "") + f"{agg.n:,} pairs pooled"
        screen.print(aggregate_panel(agg, title=title, measure=measure))
    studied = sum(agg.n for agg in groups.values())
    if out is not None:
        from eventstudy._atomic import atomic_write

        try:
            atomic_write(out, data)
        except OSError as exc:
            raise fail(f"--out {out}: cannot write ({exc.strerror or exc})") from None
    print(f"{'wrote ' + str(out) + ': ' if out else ''}{len(groups)} group(s), {len(pairs)} "
          f"pairs, {studied} studied, {len(pairs) - studied} excluded", file=sys.stderr)


def _encode(groups: dict[Any, Aggregate], out: Path | None, by: str | None, model: str,
            est: tuple[int, int], win: tuple[int, int], windows: list[tuple[int, int]],
            measure: str) -> bytes:
    """The groups' aggregates as the bytes of ``out`` (JSON or CSV; nothing without it)."""
    if out is None:
        return b""
    if out.suffix.lower() == ".csv":
        import pandas as pd

        from eventstudy.study.results import tests_frame

        frames = []
        for g, agg in groups.items():
            frame = tests_frame(agg)
            frame.insert(0, "group", str(g))
            frames.append(frame)
        return pd.concat(frames, ignore_index=True).to_csv(index=False).encode()
    from eventstudy.study.results import aggregate_dict

    document = {"by": by, "model": model, "measure": measure, "estimation": list(est),
                "window": list(win), "windows": [list(w) for w in windows],
                "groups": [{"group": None if by is None else str(g),
                            "aggregate": aggregate_dict(agg)} for g, agg in groups.items()]}
    return (json.dumps(document, indent=2, allow_nan=False) + "\n").encode()
