"""Admission control for questions: a bounded number in flight, a short bounded wait, then a fast refusal.

Under overload an unbounded queue makes every client wait seconds and hides a busy server behind a slow one;
refusing at once with 503 and Retry-After (as Elasticsearch's bounded queues and Envoy's load shedding do) keeps
the admitted questions fast and tells the others when to come back. Deadlines stop work a client no longer waits
for at the next stage boundary.
"""

import asyncio
import math
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class Overloaded(Exception):
    """No slot came free within the wait: refuse with 503 and Retry-After."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"PressQA is busy answering other questions: retry in {retry_after_s} s.")
        self.retry_after_s = retry_after_s


class DeadlineExceeded(Exception):
    """A question ran past its deadline and stopped at a stage boundary: answer 504."""


def check_deadline(deadline: float | None, stage: str) -> None:
    """Raise DeadlineExceeded when `deadline` (time.monotonic()) has passed, naming the next stage."""
    if deadline is not None and time.monotonic() > deadline:
        raise DeadlineExceeded(f"The question ran past its deadline before {stage}: ask again, or allow more time.")


class Admission:
    """At most `limit` questions in flight; a question waits at most `wait_s` for a slot."""

    def __init__(self, limit: int | None, wait_s: float) -> None:
        self.limit = limit or os.cpu_count() or 1
        self.wait_s = wait_s
        self._slots: asyncio.Semaphore | None = None  # made in the server's event loop, on first use

    @asynccontextmanager
    async def admitted(self) -> AsyncIterator[None]:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.limit)
        if self._slots.locked():  # every slot taken: wait a little, or refuse now
            if self.wait_s <= 0:
                raise Overloaded(self.retry_after())
            try:
                await asyncio.wait_for(self._slots.acquire(), timeout=self.wait_s)
            except TimeoutError:
                raise Overloaded(self.retry_after()) from None
        else:
            await self._slots.acquire()  # a free slot: taken at once
        try:
            yield
        finally:
            self._slots.release()

    def retry_after(self) -> int:
        """Seconds to come back after: about one wait, at least one second (Retry-After counts whole seconds)."""
        return max(1, math.ceil(self.wait_s))
