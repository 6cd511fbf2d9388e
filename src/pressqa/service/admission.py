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

QUEUE_CAP = 1000  # questions queued at most, whatever the deadline allows (memory, not time, bounds it)


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
    """At most `limit` in flight; the others queue while they can still be served in time, the rest are refused
    at once.

    A question carries a deadline: it queues only while the expected wait (the questions ahead of it, over the
    slots, times the moving average of one question's time) leaves time to answer it, and waits no longer than
    that; so a burst the server can answer within the deadline is answered, and the rest is refused at once with
    a Retry-After from the queue (Elasticsearch keeps a search queue and sheds when it is full; here the
    deadline is the bound). Work without a deadline (writes, cheap reads) waits at most `wait_s`, `queue` deep.
    """

    def __init__(
        self,
        limit: int,
        wait_s: float,
        queue: int | None = None,
        work: str = "answering other questions",
        service_s: float = 0.1,
    ) -> None:
        self.limit = limit
        self.wait_s = wait_s
        self.queue = QUEUE_CAP if queue is None else queue
        self.work = work  # what the server is busy with, for the 503's detail
        self.service = MovingAverage(service_s)  # seconds one admitted piece of work holds a slot
        self.waiting = 0
        self._slots: asyncio.Semaphore | None = None  # made in the server's event loop, on first use

    @classmethod
    def from_settings(cls, settings: Settings) -> "Admission":
        """Questions in flight: `max_questions_in_flight`, else as many as the CPUs hold at `threads` each
        (a question is CPU-bound: one more in flight only slows the others down); queued: as many as the
        deadline allows, up to `max_questions_waiting`."""
        limit = settings.max_questions_in_flight or max(1, (os.cpu_count() or 1) // settings.threads)
        deadline_s = settings.question_deadline_ms / 1000
        return cls(limit, deadline_s, settings.max_questions_waiting, service_s=settings.question_service_ms / 1000)

    @classmethod
    def for_writes(cls, settings: Settings) -> "Admission":
        """Writes: one at a time (they take the index's writer lock in turn), a few queued, then refused up
        front, before the body is read; a write admitted is saved before it is acknowledged, never shed."""
        wait_s = settings.write_wait_ms / 1000
        return cls(1, wait_s, settings.max_writes_waiting, "saving other releases", service_s=0.5)

    @classmethod
    def for_reads(cls, settings: Settings) -> "Admission":
        """Cheap reads (timelines, the list of releases): a small budget of their own, so that a name in
        hundreds of releases neither holds a question's slot nor takes every core from the questions."""
        wait_s = settings.read_wait_ms / 1000
        return cls(settings.max_reads_in_flight, wait_s, settings.max_reads_waiting, "listing releases for others")

    @asynccontextmanager
    async def admitted(self, deadline: float | None = None) -> AsyncIterator[None]:
        """A slot for the block; Overloaded when none can come free in time. `deadline` (time.monotonic()):
        when the work must be done by, else it waits at most `wait_s`."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.limit)
        if self._slots.locked():  # every slot taken: queue while it can still be served in time, or refuse now
            await self._wait_for_slot(self._slots, deadline)
        else:
            await self._slots.acquire()  # a free slot: taken at once
        started = time.monotonic()
        try:
            yield
        finally:
            self.service.add(time.monotonic() - started)
            self._slots.release()

    async def _wait_for_slot(self, slots: asyncio.Semaphore, deadline: float | None) -> None:
        budget = self._budget(deadline)
        if self.waiting >= self.queue or self.expected_wait(self.waiting + 1) > budget:
            raise Overloaded(self.retry_after(), self.work)
        self.waiting += 1
        try:
            await asyncio.wait_for(slots.acquire(), timeout=budget)
        except TimeoutError:
            raise Overloaded(self.retry_after(), self.work) from None
        finally:
            self.waiting -= 1

    def _budget(self, deadline: float | None) -> float:
        """How long it may wait for a slot: with a deadline, what is left of it after one piece of work."""
        if deadline is None:
            return self.wait_s
        return deadline - time.monotonic() - self.service.value

    def expected_wait(self, position: int) -> float:
        """Seconds the `position`-th in the queue waits: the work ahead of it, shared among the slots."""
        return math.ceil(position / self.limit) * self.service.value

    def retry_after(self) -> int:
        """Seconds to come back after: the queue's expected wait, at least one second (Retry-After counts whole
        seconds)."""
        return max(1, math.ceil(self.expected_wait(self.waiting + 1)))


class MovingAverage:
    """An exponentially weighted mean: recent work counts most, and one slow question does not swing it."""

    def __init__(self, initial: float, weight: float = 0.2) -> None:
        self.value = initial
        self.weight = weight

    def add(self, sample: float) -> None:
        self.value += self.weight * (sample - self.value)
