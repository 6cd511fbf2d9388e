"""Admission control for questions: a few in flight, a short bounded queue, then a fast refusal.

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

from pressqa.config import Settings


class Overloaded(Exception):
    """No slot came free within the wait, or the queue was full: refuse with 503 and Retry-After."""

    def __init__(self, retry_after_s: int, work: str = "answering other questions") -> None:
        super().__init__(f"PressQA is busy {work}: retry in {retry_after_s} s.")
        self.retry_after_s = retry_after_s


class DeadlineExceeded(Exception):
    """A question ran past its deadline and stopped at a stage boundary: answer 504."""


def check_deadline(deadline: float | None, stage: str) -> None:
    """Raise DeadlineExceeded when `deadline` (time.monotonic()) has passed, naming the next stage."""
    if deadline is not None and time.monotonic() > deadline:
        raise DeadlineExceeded(f"The question ran past its deadline before {stage}: ask again, or allow more time.")


class Admission:
    """At most `limit` questions in flight and `queue` waiting; a question waits at most `wait_s` for a slot.

    The queue bound keeps an admitted question's wait near one question's time whatever the load (a question
    that would wait behind more is refused at once); `wait_s` caps it when a slow question holds a slot.
    """

    def __init__(
        self, limit: int, wait_s: float, queue: int | None = None, work: str = "answering other questions"
    ) -> None:
        self.limit = limit
        self.wait_s = wait_s
        self.queue = limit if queue is None else queue
        self.work = work  # what the server is busy with, for the 503's detail
        self.waiting = 0
        self._slots: asyncio.Semaphore | None = None  # made in the server's event loop, on first use

    @classmethod
    def from_settings(cls, settings: Settings) -> "Admission":
        """Questions in flight: `max_questions_in_flight`, else as many as the CPUs hold at `threads` each
        (a question is CPU-bound: one more in flight only slows the others down)."""
        limit = settings.max_questions_in_flight or max(1, (os.cpu_count() or 1) // settings.threads)
        return cls(limit, settings.admission_wait_ms / 1000, settings.max_questions_waiting)

    @classmethod
    def for_writes(cls, settings: Settings) -> "Admission":
        """Writes: one at a time (they take the index's writer lock in turn), a few queued, then refused up
        front, before the body is read; a write admitted is saved before it is acknowledged, never shed."""
        wait_s = settings.write_wait_ms / 1000
        return cls(1, wait_s, settings.max_writes_waiting, "saving other releases")

    @asynccontextmanager
    async def admitted(self) -> AsyncIterator[None]:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.limit)
        if self._slots.locked():  # every slot taken: queue for a little while, or refuse now
            await self._wait_for_slot(self._slots)
        else:
            await self._slots.acquire()  # a free slot: taken at once
        try:
            yield
        finally:
            self._slots.release()

    async def _wait_for_slot(self, slots: asyncio.Semaphore) -> None:
        if self.wait_s <= 0 or self.waiting >= self.queue:
            raise Overloaded(self.retry_after(), self.work)
        self.waiting += 1
        try:
            await asyncio.wait_for(slots.acquire(), timeout=self.wait_s)
        except TimeoutError:
            raise Overloaded(self.retry_after(), self.work) from None
        finally:
            self.waiting -= 1

    def retry_after(self) -> int:
        """Seconds to come back after: about one wait, at least one second (Retry-After counts whole seconds)."""
        return max(1, math.ceil(self.wait_s))
