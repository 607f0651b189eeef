"""The inference layer: abnormal returns and their prediction-error variances
(:mod:`~eventstudy.inference.abnormal`), the aggregation over pairs with r̄
(:mod:`~eventstudy.inference.aggregate`) and the methods.md tests
(:mod:`~eventstudy.inference.significance`), all on numpy arrays. See docs/architecture.md.
"""
