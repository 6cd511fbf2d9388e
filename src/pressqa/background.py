"""A server's write work, done in a process of its own at a lower CPU priority so that questions go first.

A write through the API analyses the release with spaCy, embeds it and rebuilds BM25: on 2 cores that took the
CPU from the questions being answered beside it. Thread priorities cannot help (the interpreter lock, and torch's
own threads, are shared); the OS scheduler does, between processes: a worker `nice` steps lower gets the CPU
while the server has nothing to run. One worker serves the whole process, started on first use; it exits by
itself once its parent has gone (a server killed outright never shuts its pool down).
"""

import atexit
import contextlib
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import TypeVar

T = TypeVar("T")


def _start(nice: int, parent: int) -> None:
    """In the worker, first: a lower priority, and an exit of its own once its parent has gone."""
    with contextlib.suppress(OSError):  # not allowed here: it works at the server's priority
        os.nice(nice)
    threading.Thread(target=_exit_with, args=(parent,), daemon=True, name="pressqa-parent-watch").start()


def _exit_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


class Background:
    """Runs picklable functions in one worker process, `nice` steps below this one, one call at a time."""

    def __init__(self, nice: int) -> None:
        self.nice = nice
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def run(self, fn: Callable[..., T], *args: object) -> T:
        """`fn(*args)` in the worker; its exception, if any, is raised here."""
        with self._lock:
            if self._pool is None:
                # spawn, not fork: the server has torch's threads running, which a forked child would inherit broken
                context = get_context("spawn")
                self._pool = ProcessPoolExecutor(1, context, _start, (self.nice, os.getpid()))
            pool = self._pool
        return pool.submit(fn, *args).result()

    def worker_pid(self) -> int | None:
        """The worker's process id once it has started (for tests and diagnostics)."""
        pool = self._pool
        processes = getattr(pool, "_processes", None) or {}
        return next(iter(processes), None)

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None


_shared: Background | None = None
_shared_lock = threading.Lock()


def shared_background(nice: int) -> Background:
    """The process's one worker (its priority set by the first caller)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Background(nice)
            atexit.register(_shared.close)
        return _shared
