"""eventstudy: event studies for quants, on real exchange calendars.

Public API (contract.md, "Library API"):

- :func:`load_events` reads an events file into a :class:`~eventstudy.events.Calendar`;
- :func:`run` runs the study of one event and returns an :class:`EventStudyResult` with
  ``.to_frame()`` (tidy per-day rows) and ``.to_json()`` (the contract's document);
- :func:`batch` studies many (security, benchmark, day 0) pairs of a returns frame at once and
  returns a :class:`BatchResult`;
- :func:`run_many` pools several events (ids, a tag, a securities filter) into a
  :class:`PooledResult` whose aggregate keys pairs on (event, security).
- :func:`calendar_time` holds the pairs of a study (or a pairs frame) in a calendar-time
  portfolio and regresses its returns on the market or factors (Newey-West se), daily and
  monthly: a :class:`CalendarTimeResult`.
"""

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
from eventstudy.inference.calendar_time import CalendarTimeResult
from eventstudy.study.batch import BatchResult, batch
from eventstudy.study.calendar_time import calendar_time
from eventstudy.study.pooled import PooledResult, run_many
from eventstudy.study.results import EventStudyResult, PairResult
from eventstudy.study.single import run

# Registers the terminal rendering of the result objects (summary(), __rich__, __str__).
from eventstudy.present import terminal as _terminal  # noqa: F401  isort: skip

__all__ = [
    "BatchResult",
    "Calendar",
    "CalendarError",
    "CalendarTimeResult",
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
    "calendar_time",
    "load_events",
    "run",
    "run_many",
]
