"""Presentation: terminal tables, notebook views, figures, and report sets (Markdown, HTML, PNG
figures, an index).

Presentation only: every number comes from an :class:`~eventstudy.study.results.EventStudyResult`
(or from :func:`eventstudy.study.paths.car_path`, for the band of the CAR path). The same inputs
give the same bytes: nothing depends on the clock, the machine or the user's matplotlib settings.

- :mod:`~eventstudy.present.terminal` draws the result objects in a terminal (rich), and
  :mod:`~eventstudy.present.terminal_models` the model-sensitivity table;
- :mod:`~eventstudy.present.notebook` gives them a compact HTML view in Jupyter
  (``_repr_html_``) and shows their ``summary()`` there;
  :mod:`~eventstudy.present.plots` draws their ``plot()`` with the reports' figure code;
- :func:`~eventstudy.present.build.generate` runs the studies and returns the files of a report
  set, in memory; :func:`~eventstudy.present.writer.write_reports` writes them under a folder,
  atomically per file;
- :mod:`~eventstudy.present.markdown`, :mod:`~eventstudy.present.html`,
  :mod:`~eventstudy.present.figures`, :mod:`~eventstudy.present.index` and
  :mod:`~eventstudy.present.reading` render the parts.

Importing this package registers the notebook and plot renderers in :mod:`eventstudy._display`
(the package root imports :mod:`~eventstudy.present.terminal`, which imports this package
first); matplotlib is loaded on the first ``plot()`` only.
"""

from eventstudy.present import notebook as notebook
from eventstudy.present import plots as plots
