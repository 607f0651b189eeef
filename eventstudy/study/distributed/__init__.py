"""The batch engine on Dask: :func:`batch` splits the pairs by security over the workers of a
Dask cluster (a ``LocalCluster`` when none is given), each task running the local engine on its
securities' columns of the returns (a frame, or a wide Parquet dataset read column by column),
and gathers one :class:`~eventstudy.study.batch.result.BatchResult` in the caller's order
(the fields asked for only), or has the workers write a Parquet dataset (``out=``);
:func:`aggregate` reduces the pooled battery by group on the cluster from per-task sums.

Modules: :mod:`~eventstudy.study.distributed.deps` (the optional extra),
:mod:`~eventstudy.study.distributed.panel` (the returns: frame or Parquet, the layout checked),
:mod:`~eventstudy.study.distributed.plan` (tasks by security),
:mod:`~eventstudy.study.distributed.task` (what runs on a worker),
:mod:`~eventstudy.study.distributed.gather` (parts back in order),
:mod:`~eventstudy.study.distributed.output` (the dataset the workers write),
:mod:`~eventstudy.study.distributed.reduce` (:func:`aggregate`),
:mod:`~eventstudy.study.distributed.cluster` (the client) and
:mod:`~eventstudy.study.distributed.run` (:func:`batch`). dask and pyarrow are imported on the
first call, never with the package.
"""

from eventstudy.study.distributed.reduce import aggregate
from eventstudy.study.distributed.run import batch

__all__ = ["aggregate", "batch"]
