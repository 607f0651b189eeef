"""The optional dependencies of the Dask path (the ``distributed`` extra), imported on use.

``import eventstudy`` and ``import eventstudy.distributed`` never import dask or pyarrow: only a
call that needs them does, and a missing one is a :class:`~eventstudy.errors.MissingDependencyError`
(the CLI's one line and exit status 2), not a traceback.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from eventstudy.errors import MissingDependencyError

INSTALL = "pip install 'eventstudy-sessions[distributed]'"


def need(name: str) -> ModuleType:
    """Module ``name`` (``distributed``, ``pyarrow.dataset``...), or the typed error."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        missing = (exc.name or name).split(".")[0]
        raise MissingDependencyError(
            f"the Dask path needs {missing!r}, which is not installed; install the extra: "
            f"{INSTALL}") from None
