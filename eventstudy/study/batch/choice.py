r"""The engine of a batch call under ``tuning.ENGINE = "auto"``: the numpy engine or the compiled
kernels of :mod:`eventstudy.estimation._jit`, by the expected cost of the call, the compiled
kernels' one-off load included.

The compiled engine is the faster one warm from
:data:`~eventstudy.study.batch.tuning.COMPILED_MIN_PAIRS` pairs on, but the first compiled call
of a process also pays the load of the kernels: the import of numba and the load of the kernels
from numba's on-disk cache (about 0.45 s), or their compilation when that cache holds none for
this source (seconds, as on a fresh install). A call made while they are not loaded costs

.. math::

   C_\text{numba}(n) = \text{load} + W_\text{numba}(n)
   \quad\text{against}\quad C_\text{numpy}(n)

(:math:`W_\text{numba}`: the compiled engine's time with its kernels loaded, :math:`C_\text{numpy}`:
the numpy engine's first call). Both grow with n and the compiled one more slowly, so the
comparison is a threshold in pairs, measured (benchmarks/bench_batch.py):
:data:`~eventstudy.study.batch.tuning.FIRST_CALL_MIN_PAIRS` with the cache filled,
:data:`~eventstudy.study.batch.tuning.FIRST_CALL_MIN_PAIRS_COMPILE` when the kernels would be
compiled. Below it, the call runs on numpy and the process is remembered as a repeated caller:
its next call of COMPILED_MIN_PAIRS pairs or more loads the kernels and runs compiled, as every
later one does. The load is thus paid once per process, as before, but never by a lone call the
numpy engine does faster.

The choice depends on the sequence of calls only (never on timings, and no thread runs in the
background): a script gets the same engines, hence the same bits, on every run.
:func:`chosen_engine` neither imports numba nor loads the kernels
(:func:`eventstudy.study.batch.engine._load_jit` does, and reports it here).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import io
import os
import pickletools
import sys
from dataclasses import dataclass
from pathlib import Path

from eventstudy.study.batch import tuning

#: The kernel every compiled call runs: its cache index stands for the module's.
_KERNEL = "combos"


@dataclass
class _Process:
    """What this process did that the choice reads: ``loaded``, the compiled kernels are
    imported (set by :func:`eventstudy.study.batch.engine._load_jit`); ``repeated``, a call of
    COMPILED_MIN_PAIRS pairs or more ran on numpy because they were not."""

    loaded: bool = False
    repeated: bool = False


#: This process's state (tests replace it).
state = _Process()


def chosen_engine(n_pairs: int, *, loaded: bool | None = None) -> str:
    """The engine a call of ``n_pairs`` pairs runs on: "numba" or "numpy".

    Parameters
    ----------
    n_pairs : int
        The pairs of the call.
    loaded : bool or None
        Whether the compiled kernels are loaded: None, this process's state; True, assume them
        loaded (a long-lived worker process, whose load is paid once for many calls); False,
        assume them not.

    Returns
    -------
    str
        :data:`~eventstudy.study.batch.tuning.ENGINE` when it is "numba" or "numpy"; under
        "auto": numpy when numba is not importable or the call has fewer than COMPILED_MIN_PAIRS
        pairs; numba when the kernels are loaded, or after a call of this process ran on numpy
        for want of them, or when the call has :func:`first_call_min_pairs` pairs or more;
        otherwise numpy, and this call's process is remembered as a repeated caller.
    """
    if tuning.ENGINE in ("numba", "numpy"):
        return tuning.ENGINE
    if n_pairs < tuning.COMPILED_MIN_PAIRS or not _numba_importable():
        return "numpy"
    if (state.loaded if loaded is None else loaded) or state.repeated:
        return "numba"
    if n_pairs >= first_call_min_pairs():
        return "numba"
    state.repeated = True
    return "numpy"


def _numba_importable() -> bool:
    return importlib.util.find_spec("numba") is not None


def _numba_version() -> str:
    """The installed numba's version, read from its metadata (numba is not imported)."""
    return importlib.metadata.version("numba")


def first_call_min_pairs() -> int:
    """Pairs from which a call pays the kernels' load rather than run on numpy:
    :data:`~eventstudy.study.batch.tuning.FIRST_CALL_MIN_PAIRS`, or
    :data:`~eventstudy.study.batch.tuning.FIRST_CALL_MIN_PAIRS_COMPILE` when
    :func:`kernels_cached` says that numba would compile them (unsure: cached)."""
    if kernels_cached() is False:
        return tuning.FIRST_CALL_MIN_PAIRS_COMPILE
    return tuning.FIRST_CALL_MIN_PAIRS


def kernels_cached() -> bool | None:
    """Whether numba's on-disk cache holds the compiled kernels of this source, without
    importing numba: True, False, or None when unsure.

    Notes
    -----
    numba (``numba/core/caching.py``) keeps a function's cache in the first of these
    directories it can write: ``NUMBA_CACHE_DIR/<folder>_<sha1 of the folder's path>``, the
    ``__pycache__`` beside the source, then the same subfolder of the user's cache directory
    (``$XDG_CACHE_HOME/numba``, ``~/.cache/numba`` or ``~/Library/Caches/numba``). There the
    index ``_jit.<function>-<line>.py<XY><abiflags>.nbi`` opens with numba's version, then
    the source's stamp (its sha256, or its mtime and size before numba 0.68): an index counts
    when both match. Unsure: cache locators or a config file of one's own, a frozen or
    Windows executable, an index in another form.
    """
    source = _kernel_source()
    folder = None if source is None else _cache_folder(source)
    if folder is None:
        return None
    major, minor = sys.version_info[:2]
    pattern = f"{source.stem}.{_KERNEL}-*.py{major}{minor}{getattr(sys, 'abiflags', '')}.nbi"
    verdicts = {_fresh(index, source) for index in folder.glob(pattern)}
    if True in verdicts:
        return True
    return None if None in verdicts else False


def _kernel_source() -> Path | None:
    spec = importlib.util.find_spec("eventstudy.estimation._jit")
    return None if spec is None or not spec.origin else Path(os.path.abspath(spec.origin))


def _cache_folder(source: Path) -> Path | None:
    """The directory numba keeps the cache of ``source``'s functions in (None: unsure)."""
    if (os.environ.get("NUMBA_CACHE_LOCATOR_CLASSES") or Path(".numba_config.yaml").exists()
            or getattr(sys, "frozen", False)):
        return None
    folder = source.parent
    sub = f"{folder.name}_{hashlib.sha1(str(folder).encode()).hexdigest()}"
    if os.environ.get("NUMBA_CACHE_DIR"):
        return Path(os.environ["NUMBA_CACHE_DIR"]) / sub
    in_tree = folder / "__pycache__"
    if os.access(in_tree if in_tree.is_dir() else folder, os.W_OK):
        return in_tree
    if sys.platform == "darwin":
        return Path("~/Library/Caches/numba").expanduser() / sub
    if sys.platform.startswith("win"):
        return None
    user = os.environ.get("XDG_CACHE_HOME", str(Path("~/.cache").expanduser()))
    return Path(user) / "numba" / sub


def _fresh(index: Path, source: Path) -> bool | None:
    """Whether numba would read the cache index ``index`` for ``source`` (None: unsure). The
    pickles are read as opcodes, never loaded."""
    try:
        data = index.read_bytes()
        version, end = _values(data, 1)
        stamp, _ = _values(data[end:], 2)
        numba_version = _numba_version()
    except Exception:  # unreadable, not numba's form, no numba's metadata: unsure, no error
        return None
    if version != [numba_version]:
        return False
    if stamp and isinstance(stamp[0], bytes):
        return stamp[0] == hashlib.sha256(source.read_bytes()).digest()
    if len(stamp) == 2 and isinstance(stamp[0], float):
        status = source.stat()
        return stamp == [status.st_mtime, status.st_size]
    return None


def _values(data: bytes, count: int) -> tuple[list[object], int]:
    """The first ``count`` values (strings, bytes, numbers) of the pickle at the start of
    ``data``, and where that pickle ends."""
    values: list[object] = []
    for op, arg, pos in pickletools.genops(io.BytesIO(data)):
        if op.name == "STOP":
            return values, pos + 1
        if len(values) < count and isinstance(arg, (str, bytes, float, int)) and op.name not in (
                "PROTO", "FRAME", "MEMOIZE", "BINPUT", "LONG_BINPUT", "BINGET", "LONG_BINGET"):
            values.append(arg)
    raise ValueError("no pickle")
