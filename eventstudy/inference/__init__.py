"""The inference layer: abnormal returns and their prediction-error variances
(:mod:`~eventstudy.inference.abnormal`; for many pairs at once,
:mod:`~eventstudy.inference.windows`), the aggregation over pairs
(:mod:`~eventstudy.inference.aggregate`), r̄ and the other nuisance quantities
(:mod:`~eventstudy.inference.dependence`) and the methods.md tests
(:mod:`~eventstudy.inference.significance`), all on numpy arrays. See docs/architecture.md.
"""
