"""The study layer: one event (:mod:`~eventstudy.study.single`; the pairs of a call studied
together by :mod:`~eventstudy.study.stacked`, placed by :mod:`~eventstudy.study.resolve`, their
samples and results in :mod:`~eventstudy.study.stacked_pairs`; one pair alone in
:mod:`~eventstudy.study.pair`, its estimation sample in :mod:`~eventstudy.study.sample`), pooled
events (:mod:`~eventstudy.study.pooled`), model sensitivity (:mod:`~eventstudy.study.sensitivity`),
the batch engine (:mod:`~eventstudy.study.batch`), and the result objects they return
(:mod:`~eventstudy.study.results`, with :mod:`~eventstudy.study.arrays` and
:mod:`~eventstudy.study.paths` reading them for the aggregation and the figures).

The names of the old ``eventstudy.study`` module (:func:`run`, :func:`study_pair`,
:func:`car_windows`, :data:`CONVENTIONS`) are re-exported here.
"""

from eventstudy.study.pair import car_windows, study_pair
from eventstudy.study.single import CONVENTIONS, run

__all__ = ["CONVENTIONS", "car_windows", "run", "study_pair"]
