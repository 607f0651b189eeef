"""``eventstudy.distributed``: the batch engine on a Dask cluster (the ``distributed`` extra:
``pip install 'eventstudy-sessions[distributed]'``): :func:`batch` (the per-pair results, or a
Parquet dataset written by the workers) and :func:`aggregate` (the pooled battery by group,
reduced on the cluster); see :mod:`eventstudy.study.distributed`."""

from eventstudy.study.distributed import aggregate, batch

__all__ = ["aggregate", "batch"]
