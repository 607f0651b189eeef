"""``eventstudy.distributed.batch``: the batch engine on a Dask cluster (the ``distributed``
extra: ``pip install 'eventstudy-sessions[distributed]'``); see
:mod:`eventstudy.study.distributed`."""

from eventstudy.study.distributed import batch

__all__ = ["batch"]
