"""Progress for long work: a bar on a terminal, a line every few seconds in a log (CI, a service, a pipe)."""

import sys
import time
from collections.abc import Iterable, Iterator
from typing import TextIO, TypeVar

from tqdm import tqdm

T = TypeVar("T")


def on_terminal(stream: TextIO | None = None) -> bool:
    stream = stream or sys.stderr
    return hasattr(stream, "isatty") and stream.isatty()


class LineProgress:
    """Counts work done and prints "what: done/total (rate/s)" at most every `every` seconds, and at the end."""

    def __init__(self, what: str, total: int, every: float = 10.0, stream: TextIO | None = None) -> None:
        self.what, self.total, self.every = what, total, every
        self.stream = stream or sys.stderr
        self.done = 0
        self.started = self.last = time.monotonic()

    def update(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if now - self.last >= self.every or self.done >= self.total:
            self.last = now
            rate = self.done / max(now - self.started, 1e-9)
            print(f"{self.what}: {self.done}/{self.total} ({rate:.1f}/s)", file=self.stream, flush=True)


def track(items: Iterable[T], what: str, total: int | None = None, show: bool = True) -> Iterator[T]:
    """`items`, with a bar on a terminal or periodic lines elsewhere (nothing when not `show`)."""
    if not show:
        yield from items
        return
    count = total if total is not None else len(items)  # type: ignore[arg-type]
    if on_terminal():
        yield from tqdm(items, desc=what, total=count)
        return
    lines = LineProgress(what, count)
    for item in items:
        yield item
        lines.update()
