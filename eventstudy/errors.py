"""The package's exceptions and warnings.

Every error a user can cause derives from :class:`EventStudyError`; the CLI catches that class
only, prints its message as one line on stderr and exits with status 2. Messages name the file,
line or field at fault and say what to do.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Sequence


class EventStudyError(Exception):
    """Base class of every error caused by input: events file, prices, options."""


class EventsFileError(EventStudyError):
    """The events file cannot be read, parsed or validated."""


class UnknownEventError(EventStudyError):
    """An event id (or security alias) that the events file does not define."""


class PriceDataError(EventStudyError):
    """A price file is missing, unreadable, or holds invalid values."""


class CalendarError(EventStudyError):
    """An exchange code is unknown, or a date lies outside the exchange calendar."""


class EstimationError(EventStudyError):
    """A model cannot be estimated (too few observations, zero variance)."""


class ReportError(EventStudyError):
    """Reports cannot be written (unwritable or invalid output folder)."""


class InputError(EventStudyError, ValueError):
    """A frame or value given to the library (``returns``, ``pairs``, ``day0``) is malformed:
    wrong type, missing column, a date that is not a date, time-zone-aware stamps."""


class EventStudyWarning(UserWarning):
    """Something the analyst should see, that does not stop the study."""


class ExcludedPairsWarning(EventStudyWarning):
    """A batch or pooled study left pairs out: one warning per call, with the count by reason
    and how to list them (never one warning per pair)."""


class DistributedError(EventStudyError):
    """The Dask path cannot run: the scheduler is unreachable, or the cluster failed."""


class MissingDependencyError(EventStudyError, ImportError):
    """An optional dependency (an extra of the package) is not installed."""


def first_line(exc: BaseException) -> str:
    """The first line of ``exc``'s message, its whitespace collapsed (its type's name when
    empty): what a one-line error message quotes of a library's exception."""
    lines = [line for line in str(exc).splitlines() if line.strip()]
    return " ".join(lines[0].split()) if lines else type(exc).__name__


def warn_excluded(caller: str, total: int, kinds: Sequence[str], listing: str,
                  stacklevel: int = 3, also: str = "") -> None:
    """One :class:`ExcludedPairsWarning` for the pairs a call left out: how many of ``total``,
    the count by kind of reason, and ``listing``, how to list them; ``also`` what else it
    left out (a clause). Nothing when nothing is left out. ``stacklevel`` points at the
    caller's line (as :func:`warnings.warn`)."""
    if not kinds and not also:
        return
    parts = []
    if kinds:
        counts = Counter(kinds).most_common()
        by_reason = "; ".join(f"{n:,} {kind}" for kind, n in counts)
        parts.append(f"{len(kinds):,} of {total:,} pairs excluded ({by_reason}); list them "
                     f"with {listing}")
    if also:
        parts.append(also)
    warnings.warn(f"{caller}: " + "; ".join(parts), ExcludedPairsWarning,
                  stacklevel=stacklevel + 1)
