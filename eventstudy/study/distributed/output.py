"""The Parquet dataset a Dask batch writes from its workers (``out=``): a hidden folder beside
the target that the tasks fill with their parts, renamed to the target when every part is in,
removed when the call fails, so that a reader finds the whole dataset or none of it."""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

from eventstudy.errors import InputError

#: The names of the parts a task writes (``part-00000.parquet``, ...).
PART = "part-*.parquet"


@contextlib.contextmanager
def staged_dataset(out: Path) -> Iterator[Path]:
    """A new empty folder beside ``out`` for the block to fill; renamed to ``out`` when the
    block succeeds (an earlier dataset of parts at ``out`` is replaced), removed when it
    fails.

    Raises
    ------
    InputError
        ``out``'s parent folder does not exist, or ``out`` is a file or a folder holding other
        files than parts (never deleted).
    """
    _check(out)
    token = uuid.uuid4().hex[:12]
    folder = out.parent / f".{out.name}.{token}.partial"
    folder.mkdir()
    try:
        yield folder
        _check(out)  # nothing appeared there while the tasks ran
        if out.exists():
            old = out.parent / f".{out.name}.{token}.old"
            os.replace(out, old)
            os.replace(folder, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(folder, out)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _check(out: Path) -> None:
    if not out.parent.is_dir():
        raise InputError(f"out {out}: folder {out.parent} does not exist")
    if out.exists() and not out.is_dir():
        raise InputError(f"out {out}: a file is there; give a folder for the Parquet dataset "
                         "(its parts are written by the workers)")
    if out.is_dir():
        other = [p.name for p in out.iterdir() if not p.match(PART)]
        if other:
            raise InputError(f"out {out}: the folder holds other files than Parquet parts "
                             f"({', '.join(sorted(other)[:3])}); give a new folder")
