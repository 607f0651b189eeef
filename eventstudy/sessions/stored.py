"""Schedules kept on disk between processes: a calendar built once is read back in a few
milliseconds by the next ``eventstudy run``.

:mod:`exchange_calendars` computes each holiday rule with pandas every time a calendar is built
(30 ms for Tokyo, 80 ms for New York, whatever the range): three exchanges cost a CLI start
0.15 s. The arrays of a built schedule (sessions, opens, closes, breaks) are saved under the
user cache folder, ``calendars/``, named by exchange, range and the versions of
exchange_calendars, pandas, numpy and this format: an upgrade builds afresh, never reads a
stale file. Files are written atomically; one that cannot be read is ignored and rebuilt; a
cache that cannot be written is skipped without a word (it only saves time). The folder is
``$EVENTSTUDY_CALENDAR_CACHE`` when set (``off`` disables the cache), else
``platformdirs.user_cache_dir("eventstudy")/calendars``.
"""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

import exchange_calendars
import numpy as np
import pandas as pd

from eventstudy._atomic import atomic_write

#: The layout of the files; bump it when the arrays saved change.
FORMAT = 1
FIELDS = ("sessions", "opens", "closes", "break_starts", "break_ends")


def folder() -> Path | None:
    """Where schedules are kept (None: the cache is off)."""
    setting = os.environ.get("EVENTSTUDY_CALENDAR_CACHE", "")
    if setting.strip().lower() in ("off", "0", "no", "false"):
        return None
    if setting:
        return Path(setting)
    import platformdirs

    return Path(platformdirs.user_cache_dir("eventstudy", appauthor=False)) / "calendars"


def _path(code: str, start: pd.Timestamp, end: pd.Timestamp) -> Path | None:
    base = folder()
    if base is None:
        return None
    versions = f"ec{exchange_calendars.__version__}-pd{pd.__version__}-np{np.__version__}"
    return base / f"{code}-{start:%Y%m%d}-{end:%Y%m%d}-{versions}-f{FORMAT}.npz"


def load(code: str, start: pd.Timestamp, end: pd.Timestamp) -> dict[str, np.ndarray] | None:
    """The arrays of a schedule saved earlier, and its weekmask; None when there is none (or
    it cannot be read)."""
    path = _path(code, start, end)
    if path is None or not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as saved:
            arrays = {name: saved[name] for name in (*FIELDS, "weekmask")}
    except (OSError, ValueError, KeyError, EOFError):
        return None
    if any(arrays[name].dtype != np.dtype("datetime64[ns]") for name in FIELDS):
        return None
    return arrays


def save(code: str, start: pd.Timestamp, end: pd.Timestamp, arrays: dict[str, np.ndarray]
         ) -> None:
    """Keep a schedule's arrays for the next process (silently skipped when not writable)."""
    path = _path(code, start, end)
    if path is None:
        return
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, buffer.getvalue())
