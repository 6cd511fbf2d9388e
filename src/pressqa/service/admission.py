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
IDLE_S = 0.5  # how long a slot must have been free for the next busy spell to count as a burst


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
    """At most `limit` in flight; the others queue while they can be served in time, the rest are refused at once.

    Work with a deadline (a question) queues only while the expected wait (the work ahead of it, over the slots,
    times the moving average of one piece of work's time) leaves time to do it, and waits no longer than that.
    That long queue is for bursts: it is offered only within `burst_s` of the moment every slot became busy. A
    server whose slots have stayed busy longer has a standing queue, which only adds delay (Facebook's
    "controlled delay", after CoDel): there a question queues only behind about one question per slot. So a
    burst the server can answer within the deadline is answered, a sustained overload keeps the admitted
    questions fast, and the rest are refused at once with a Retry-After from the queue. Work without a deadline
    (writes, cheap reads) waits at most `wait_s`, `queue` deep.
    """

    def __init__(
        self,
        limit: int,
        wait_s: float,
        queue: int | None = None,
        work: str = "answering other questions",
        service_s: float = 0.1,
        burst_s: float = 0.25,
    ) -> None:
        self.limit = limit
        self.wait_s = wait_s
        self.queue = QUEUE_CAP if queue is None else queue
        self.work = work  # what the server is busy with, for the 503's detail
        self.service = MovingAverage(service_s)  # seconds one admitted piece of work holds a slot
        self.burst_s = burst_s
        self.waiting = 0
        self.in_flight = 0
        self._busy_since: float | None = None  # when every slot became taken; None while one is free
        self._free_since = -math.inf  # when a slot last came free with nothing waiting (never: idle)
        self._slots: asyncio.Semaphore | None = None  # made in the server's event loop, on first use

    @classmethod
    def from_settings(cls, settings: Settings) -> "Admission":
        """Questions in flight: `max_questions_in_flight`, else as many as the CPUs hold at `threads` each
        (a question is CPU-bound: one more in flight only slows the others down); queued: as many as the
        deadline allows, up to `max_questions_waiting`."""
        limit = settings.max_questions_in_flight or max(1, (os.cpu_count() or 1) // settings.threads)
        return cls(
            limit,
            settings.question_deadline_ms / 1000,
            settings.max_questions_waiting,
            service_s=settings.question_service_ms / 1000,
            burst_s=settings.admission_burst_ms / 1000,
        )

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
        self._took()
        started = time.monotonic()
        try:
            yield
        finally:
            self.service.add(time.monotonic() - started)
            self._gave_back()
            self._slots.release()

    def _took(self) -> None:
        self.in_flight += 1
        if self.in_flight >= self.limit and self._busy_since is None:
            now = time.monotonic()
            # A burst is what arrives at a server that was idle: a slot free for a moment between the questions
            # of a sustained load (the next one arrives within milliseconds) does not open a burst's long queue.
            idle = now - self._free_since >= IDLE_S
            self._busy_since = now if idle else now - self.burst_s - 1.0

    def _gave_back(self) -> None:
        self.in_flight -= 1
        if self.waiting == 0:  # the slot stays free: no queue stands
            self._busy_since = None
            self._free_since = time.monotonic()

    async def _wait_for_slot(self, slots: asyncio.Semaphore, deadline: float | None) -> None:
        budget, timeout = self._budget(deadline)
        if self.waiting >= self.queue or self.expected_wait(self.waiting + 1) > budget:
            raise Overloaded(self.retry_after(), self.work)
        self.waiting += 1
        try:
            await asyncio.wait_for(slots.acquire(), timeout=timeout)
        except TimeoutError:
            raise Overloaded(self.retry_after(), self.work) from None
        finally:
            self.waiting -= 1

    def _budget(self, deadline: float | None) -> tuple[float, float]:
        """(the longest expected wait it may queue for, the longest it waits): without a deadline, `wait_s`; with
        one, what is left of it after one piece of work, or about one piece of work's time behind a standing
        queue (waiting up to twice that: one question running long does not shed the one next in line)."""
        if deadline is None:
            return self.wait_s, self.wait_s
        left = deadline - time.monotonic() - self.service.value
        if self.standing():
            short = min(left, self.service.value)
            return short, min(left, 2 * short)
        return left, left

    def standing(self) -> bool:
        """Every slot has been busy for longer than a burst lasts."""
        return self._busy_since is not None and time.monotonic() - self._busy_since > self.burst_s

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
