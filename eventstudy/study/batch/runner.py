"""The thread pool of the batch engine: tasks that write their own rows, the same numbers
whatever the number of threads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass


class _Runner:
    """Runs independent tasks on the calling thread (threads = 1) or on a pool of threads.

    Every task writes its own disjoint rows of preallocated arrays, and its arithmetic does
    not depend on the thread that runs it nor on the order of the tasks, so the results are
    bit-identical whatever the number of threads. numpy releases the GIL inside its array
    operations: the tasks overlap. The pool starts on the first map of two tasks or more.
    """

    def __init__(self, threads: int) -> None:
        self.threads = threads
        self._pool: ThreadPoolExecutor | None = None

    def __enter__(self) -> _Runner:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def map(self, task: Callable[[Any], None], items: Iterable[Any]) -> None:
        """``task(item)`` for every item; returns when all are done (re-raises an error)."""
        items = list(items)
        if self.threads == 1 or len(items) < 2:
            for item in items:
                task(item)
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="eventstudy")
        for _ in self._pool.map(task, items):
            pass
