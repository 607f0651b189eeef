"""Atomic file writes: a temporary file in the target's folder, flushed, then :func:`os.replace`.

A reader sees the old file or the new one, never a torn one; a failure (disk full, interrupt)
removes the temporary file and leaves the old content in place.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def stage(folder: Path, name: str, data: bytes) -> Path:
    """Write `data` to a new temporary file in `folder` (same file system as the target).

    The caller moves it into place with :func:`os.replace`, or deletes it.
    """
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return Path(tmp)


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` via :func:`stage` and :func:`os.replace`."""
    tmp = stage(path.parent, path.name, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
