"""Writing a report set: every file is first written to a temporary folder inside the target,
then moved into place with :func:`os.replace`.

A failure while writing (disk full, permission) leaves the previous reports untouched; each
file is replaced atomically, so a reader never sees a half-written file.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath

from eventstudy.errors import ReportError


def _check(rel: str) -> PurePosixPath:
    path = PurePosixPath(rel)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise ReportError(f"report file name '{rel}' must be a relative path inside the folder")
    return path


def write_reports(
    out: str | os.PathLike[str], files: Mapping[str, bytes], prune: Iterable[str] = ()
) -> list[Path]:
    """Write ``files`` (relative POSIX path -> bytes) under ``out``.

    Parameters
    ----------
    out : path-like
        The report folder; created with its parents when missing.
    files : mapping of str to bytes
        The files of the set.
    prune : iterable of str
        Folders (relative to ``out``) owned by the set, e.g. ``figures/<event-id>``: files in
        them that the set no longer has are removed after the new files are in place.

    Returns
    -------
    list of Path
        The written files, in the order of ``files``.

    Raises
    ------
    ReportError
        ``out`` cannot be created or written; nothing of the old set has been replaced.
    """
    root = Path(out)
    rels = [_check(rel) for rel in files]
    try:
        root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".report-", dir=root))
    except OSError as exc:
        raise ReportError(f"cannot write reports to {root}: {exc.strerror or exc}; choose "
                          "a writable folder with --out") from None
    try:
        for rel, data in zip(rels, files.values(), strict=True):
            target = staging.joinpath(*rel.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            target.chmod(0o644)
        written = []
        for rel in rels:
            dest = root.joinpath(*rel.parts)
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging.joinpath(*rel.parts), dest)
            written.append(dest)
    except OSError as exc:
        raise ReportError(f"cannot write reports to {root}: {exc.strerror or exc} "
                          f"({exc.filename}); choose a writable folder with --out") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    keep = {root.joinpath(*rel.parts) for rel in rels}
    for folder in prune:
        for old in sorted(root.joinpath(*_check(folder).parts).glob("*")):
            if old.is_file() and old not in keep:
                old.unlink()
    return written
