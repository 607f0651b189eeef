"""Report sets: Markdown and self-contained HTML per event, PNG figures, and an index.

Presentation only: every number comes from an :class:`~eventstudy.results.EventStudyResult`
(or from :func:`eventstudy.paths.car_path`, for the band of the CAR path). The same inputs give
the same bytes: nothing depends on the clock, the machine or the user's matplotlib settings.

- :func:`generate` runs the studies and returns the files of a report set, in memory;
- :func:`write_reports` writes them under a folder, atomically per file;
- :mod:`~eventstudy.reporting.markdown`, :mod:`~eventstudy.reporting.html`,
  :mod:`~eventstudy.reporting.figures`, :mod:`~eventstudy.reporting.index` and
  :mod:`~eventstudy.reporting.reading` render the parts.
"""

from eventstudy.reporting.build import ReportSet, generate
from eventstudy.reporting.writer import write_reports

__all__ = ["ReportSet", "generate", "write_reports"]
