"""BM25 rebuilt in a process of its own, at a lower CPU priority.

bm25s builds an index whole, and on a 1,300-release index a rebuild is ~0.45 s of pure Python (token counts
per chunk) that holds the interpreter lock: in the server's process it stalled every question for as long,
whatever the thread's priority. A worker process reads the committed store itself, builds with its own token
cache (kept between builds, so only new chunks are tokenized), and writes the files where it is told; the
server then maps them. One worker serves the whole process (a cache entry is checked against its chunk's text,
so indexes sharing it stay right).
"""

import atexit
import contextlib
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from pressqa.retrieval.lexical import LexicalIndex, TokenCache
from pressqa.retrieval.store import DocumentStore, connect

_tokens: TokenCache | None = None  # in the worker: kept between builds


def _start(nice: int, parent: int) -> None:
    """In the worker, first: a lower priority, and an exit of its own once its parent has gone (a server killed
    outright never shuts its pool down, and a worker would otherwise wait on its pipe for ever)."""
    with contextlib.suppress(OSError):  # not allowed here: it builds at the server's priority
        os.nice(nice)
    threading.Thread(target=_exit_with, args=(parent,), daemon=True, name="pressqa-parent-watch").start()


def _exit_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def _build(store: str, folder: str) -> None:
    """In the worker: BM25 over every chunk the store holds now, saved into `folder`."""
    global _tokens
    _tokens = _tokens or TokenCache()
    db = connect(Path(store))
    try:
        ids, texts = DocumentStore(db, 0).passage_texts()
    finally:
        db.close()
    LexicalIndex.build(ids, texts, _tokens).save(Path(folder))


class LexicalWorker:
    """Builds BM25 files from a store in the worker process, started on first use."""

    def __init__(self, nice: int) -> None:
        self.nice = nice
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def build(self, store: Path, folder: Path) -> None:
        with self._lock:
            if self._pool is None:
                # spawn, not fork: the server has torch's threads running, which a forked child would inherit broken
                context = get_context("spawn")
                self._pool = ProcessPoolExecutor(1, context, _start, (self.nice, os.getpid()))
            pool = self._pool
        pool.submit(_build, str(store), str(folder)).result()

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None


_shared: LexicalWorker | None = None
_shared_lock = threading.Lock()


def shared_worker(nice: int) -> LexicalWorker:
    """The process's one worker (its priority set by the first caller)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = LexicalWorker(nice)
            atexit.register(_shared.close)
        return _shared
