"""Report sets: Markdown and self-contained HTML per event, PNG figures, and an index.

Presentation only: every number comes from an :class:`~eventstudy.study.results.EventStudyResult`
(or from :func:`eventstudy.study.paths.car_path`, for the band of the CAR path). The same inputs
give the same bytes: nothing depends on the clock, the machine or the user's matplotlib settings.

- :func:`generate` runs the studies and returns the files of a report set, in memory;
- :func:`write_reports` writes them under a folder, atomically per file;
- :mod:`~eventstudy.present.markdown`, :mod:`~eventstudy.present.html`,
  :mod:`~eventstudy.present.figures`, :mod:`~eventstudy.present.index` and
  :mod:`~eventstudy.present.reading` render the parts.
"""

from eventstudy.present.build import ReportSet, generate
from eventstudy.present.writer import write_reports

__all__ = ["ReportSet", "generate", "write_reports"]
