"""eventstudy: event studies for quants, on real exchange calendars.

Public API (contract.md, "Library API"):

- :func:`load_events` reads an events file into a :class:`~eventstudy.events.Calendar`;
- :func:`run` runs the study of one event and returns an :class:`EventStudyResult` with
  ``.to_frame()`` (tidy per-day rows) and ``.to_json()`` (the contract's document);
- :func:`batch` studies many (security, benchmark, day 0) pairs of a returns frame at once and
  returns a :class:`BatchResult`;
- :func:`run_many` pools several events (ids, a tag, a securities filter) into a
  :class:`PooledResult` whose aggregate keys pairs on (event, security).
"""

from typing import TYPE_CHECKING

from eventstudy._version import __version__ as __version__
from eventstudy.errors import (
    CalendarError,
    DistributedError,
    EstimationError,
    EventsFileError,
    EventStudyError,
    ExcludedPairsWarning,
    InputError,
    MissingDependencyError,
    PriceDataError,
    UnknownEventError,
)
from eventstudy.events import Calendar, load_events
from eventstudy.study.pooled import PooledResult, run_many
from eventstudy.study.results import EventStudyResult, PairResult
from eventstudy.study.single import run

# Registers the terminal rendering of the result objects (summary(), __rich__, __str__).
from eventstudy.present import terminal as _terminal  # noqa: F401  isort: skip

#: Modules of the old flat layout, now deprecated aliases (eventstudy._deprecated): reached as
#: attributes of the package, as they were when the package imported them itself.
_MOVED = ("abnormal", "aggregate", "batching", "kernel", "models", "pooled", "results", "returns",
          "sensitivity", "significance")


#: Names loaded on first use: the batch engine is not needed to run one event from the CLI.
_LAZY = {"batch": "eventstudy.study.batch", "BatchResult": "eventstudy.study.batch"}

if TYPE_CHECKING:
    from eventstudy.study.batch import BatchResult, batch


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in _MOVED:
        import importlib

        return importlib.import_module(f"eventstudy.{name}")
    raise AttributeError(f"module 'eventstudy' has no attribute {name!r}")


__all__ = [
    "BatchResult",
    "Calendar",
    "CalendarError",
    "DistributedError",
    "EstimationError",
    "EventStudyError",
    "EventStudyResult",
    "EventsFileError",
    "ExcludedPairsWarning",
    "InputError",
    "MissingDependencyError",
    "PairResult",
    "PooledResult",
    "PriceDataError",
    "UnknownEventError",
    "batch",
    "load_events",
    "run",
    "run_many",
]
