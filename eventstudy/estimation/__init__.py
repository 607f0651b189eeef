"""The estimation layer: returns on one session grid (:mod:`~eventstudy.estimation.returns`),
the closed forms shared by both paths (:mod:`~eventstudy.estimation.kernel`) and their compiled
versions (:mod:`~eventstudy.estimation._jit`, numba, loaded lazily), and the normal-return
models (:mod:`~eventstudy.estimation.fit`, :mod:`~eventstudy.estimation.design`, registered in
:mod:`~eventstudy.estimation.models`). See docs/architecture.md.
"""
