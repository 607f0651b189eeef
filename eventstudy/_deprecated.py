"""The module paths of the old flat layout, kept as aliases that warn.

``eventstudy.batching``, ``eventstudy.significance`` and the other modules that moved into the
layered sub-packages (docs/architecture.md) are thin modules that call :func:`alias`: importing
one warns once (:class:`DeprecationWarning`, pointing at the importing line), and every name is
looked up in the new modules. Assigning a name that a new module holds (``ENGINE`` of the batch
engine) assigns it there, so old settings keep their effect.
"""

from __future__ import annotations

import sys
import warnings
from types import ModuleType
from typing import Any


def alias(name: str, *targets: ModuleType) -> None:
    """Make the module ``name`` an alias of ``targets`` (searched in order), with a warning."""
    new = " or ".join(t.__name__ for t in targets)
    warnings.warn(f"{name} is deprecated: the package is laid out in layers "
                  f"(docs/architecture.md); import from {new}", DeprecationWarning, stacklevel=3)

    def owner(attr: str) -> ModuleType | None:
        if attr.startswith("__"):
            return None
        return next((t for t in targets if hasattr(t, attr)), None)

    class Alias(ModuleType):
        def __getattr__(self, attr: str) -> Any:
            found = owner(attr)
            if found is None:
                raise AttributeError(f"module {name!r} has no attribute {attr!r}")
            return getattr(found, attr)

        def __setattr__(self, attr: str, value: Any) -> None:
            found = owner(attr)
            if found is None:
                super().__setattr__(attr, value)
            else:
                setattr(found, attr, value)

        def __dir__(self) -> list[str]:
            return sorted({a for t in targets for a in dir(t) if not a.startswith("__")})

    sys.modules[name].__class__ = Alias
