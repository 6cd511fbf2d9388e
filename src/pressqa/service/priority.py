"""Writes run on a thread of their own at a lower CPU priority.

On a machine whose cores answer questions, indexing a release (spaCy, embedding, the BM25 rebuild, the vector
file) takes the CPU the questions leave: measured on 2 cores at 50 clients with 20% writes, writes at the same
priority made the admitted questions' median several times their idle time with no lock between them. Linux
lets one thread's nice value be set alone (a thread is a task); elsewhere, or where it is not allowed, writes
run at the same priority as before.
"""

import asyncio
import contextlib
import functools
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


class WriteThread:
    """One thread for the writes (they take the index's writer lock in turn anyway), `nice` steps down."""

    def __init__(self, nice: int) -> None:
        self.nice = nice
        self._pool: ThreadPoolExecutor | None = None

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="pressqa-writes", initializer=self._lower)
        return await asyncio.get_running_loop().run_in_executor(self._pool, functools.partial(fn, *args))

    def _lower(self) -> None:
        if self.nice <= 0 or not hasattr(os, "setpriority"):
            return
        with contextlib.suppress(OSError):  # not allowed here: the writes keep the server's priority
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), self.nice)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
