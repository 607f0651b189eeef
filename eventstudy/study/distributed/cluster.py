"""The Dask client of a batch: the caller's, one connected to a scheduler's address, or a
:class:`dask.distributed.LocalCluster` started and closed for the call."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

from eventstudy.errors import DistributedError, EstimationError, first_line
from eventstudy.study.distributed.deps import need


@contextlib.contextmanager
def session(client: Any, workers: int, timeout: float) -> Iterator[Any]:
    """A :class:`distributed.Client` for the duration of the block.

    ``client``: a Client (used as is, left open), a scheduler address such as
    ``"tcp://10.0.0.5:8786"`` (connected within ``timeout`` seconds, closed after: an
    unreachable address is a :class:`~eventstudy.errors.DistributedError`) or None (a
    LocalCluster of ``workers`` single-threaded worker processes, closed after).
    """
    distributed = need("distributed")
    if client is not None and not isinstance(client, str):
        if not isinstance(client, distributed.Client):
            raise DistributedError("client: give a dask.distributed.Client, a scheduler address "
                                   f"or None, not {type(client).__name__}")
        yield client
        return
    if isinstance(client, str):
        try:
            own = distributed.Client(client, timeout=timeout)
        except (OSError, TimeoutError, ValueError) as exc:
            raise DistributedError(f"scheduler {client} is unreachable ({first_line(exc)}); check "
                                   "the address, or leave it out to run on this machine"
                                   ) from None
        with contextlib.closing(own):
            yield own
        return
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise EstimationError(f"workers = {workers!r}: give a positive integer")
    cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                       dashboard_address=":0", silence_logs=logging.ERROR)
    with contextlib.closing(cluster), contextlib.closing(distributed.Client(cluster)) as own:
        yield own


def worker_threads(client: Any) -> int:
    """Threads of the cluster's workers, summed (1 when it has none yet)."""
    return max(1, sum(client.nthreads().values()))
