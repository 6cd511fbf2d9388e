"""The index an engine answers from, kept in step with the folder on disk.

Questions never wait for a write of this process. A write builds the next generation beside the one being read
(`Index.fork`: its own connection to the store, the vector index copied when first changed, BM25 rebuilt when
saved), saves it, and then readers move to it: a pointer swap under the readers' lock. Until the swap, readers
keep the store snapshot they held before the write began, so what they read from the store always matches the
vector and BM25 indexes beside it.

Readers share one loaded generation and take turns on it (a search takes milliseconds); outside a write, each
read starts from a fresh snapshot, and another process's saved write is loaded before the next search (outside
the readers' lock, so a writer of this process never waits behind it).
"""

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from pressqa.background import shared_background
from pressqa.config import Settings
from pressqa.retrieval.index import Index, index_lock
from pressqa.retrieval.retrieve import Retriever


class LiveIndex:
    def __init__(self, settings: Settings, dimension: Callable[[], int]) -> None:
        self.settings = settings
        self._dimension = dimension  # the embedder's: asked only when the index is first loaded
        self._lock = threading.RLock()  # readers, and the swap to a new generation
        self._write_lock = threading.Lock()  # one write of this process at a time
        self._load_lock = threading.Lock()  # one load from disk at a time
        self._writes = 0  # writes of this process under way: readers keep their snapshot meanwhile
        self._index: Index | None = None
        self._retired: Index | None = None  # the generation before the last swap, closed at the next
        self._retriever: Retriever | None = None

    @property
    def loaded(self) -> bool:
        return self._index is not None

    @property
    def index(self) -> Index:
        """The generation readers use (loading it on first use)."""
        if self._index is None:
            self._load()
        assert self._index is not None
        return self._index

    @property
    def retriever(self) -> Retriever:
        if self._retriever is None:
            s = self.settings
            rankings = tuple(s.hybrid_rankings)
            self._retriever = Retriever(self.index, s.candidates, s.rrf_k, rankings, s.bm25_weight, s.families)
        return self._retriever

    def use(self, folder: Path) -> None:
        """Answer from the index in `folder` from now on."""
        self.close()
        self.settings = self.settings.model_copy(update={"index_dir": folder})

    @contextmanager
    def reading(self) -> Iterator[Index]:
        """The current generation, held still for the block: one snapshot of the store, no write in between."""
        while True:
            with self._lock:
                index = self._index
                if index is not None and (self._writes or _current(index)):
                    yield index
                    return
            self._load(stale=index)  # outside the lock: a load may wait for another process's write

    @contextmanager
    def writing(self) -> Iterator[Index]:
        """The next generation, for a change that is saved when the block ends (or dropped on error); readers
        move to it once it is saved."""
        with self._write_lock:
            counted = False
            try:
                with index_lock(self.settings.index_dir, exclusive=True):
                    with self._lock:
                        base = self._current_for_write()
                        self._writes += 1
                        counted = True
                    yield from self._write(base)
            finally:
                if counted:  # after the file lock is let go: a reader may load as soon as this drops
                    with self._lock:
                        self._writes -= 1

    def _write(self, base: Index) -> Iterator[Index]:
        nxt = base.fork()
        # BM25's rebuild holds the interpreter lock for its whole time: in a process of its own, questions go on.
        nxt.derived.background = shared_background(self.settings.write_nice)
        try:
            yield nxt
            if not nxt.store.in_transaction:  # nothing to save (or a table that commits its own rows)
                nxt.close()
                return
            nxt.save()  # readers go on reading `base` while the store commits and the files are written
        except BaseException:
            nxt.close()  # closing rolls back whatever it had not committed
            raise
        self._swap(nxt)

    def _current_for_write(self) -> Index:
        """The loaded generation, up to date with the disk (this thread holds the index's file lock)."""
        index = self._index
        if index is None or not _current(index):
            self._replace(self._open(locked=True))
        assert self._index is not None
        return self._index

    def _swap(self, nxt: Index) -> None:
        nxt.store.refresh()
        with self._lock:
            self._replace(nxt)

    def _replace(self, index: Index) -> None:
        """Readers use `index` from now on; the generation before is closed at the next replacement (a reader
        of this thread may still be inside a block that holds it)."""
        if self._retired is not None:
            self._retired.close()
        self._retired, self._index, self._retriever = self._index, index, None

    def _load(self, stale: Index | None = None) -> None:
        with self._load_lock:
            if self._index is not stale:  # another thread loaded it meanwhile
                return
            fresh = self._open(locked=False)
            with self._lock:
                self._replace(fresh)

    def _open(self, locked: bool) -> Index:
        """The generation on disk, on a fresh snapshot; `locked`: this thread holds the file lock already."""
        index = Index.load(self.settings.index_dir, self.settings.model_name, self._dimension(), locked=locked)
        index.store.refresh()
        return index

    def close(self) -> None:
        with self._lock:
            for index in (self._retired, self._index):
                if index is not None:
                    index.close()
            self._index = self._retired = self._retriever = None


def _current(index: Index) -> bool:
    """Start a fresh snapshot of `index`'s store; False when the disk holds a generation it has not loaded
    (another process saved) or another store file (rebuilt from an older format)."""
    index.store.refresh()
    return index.disk_generation() == index.generation and index.same_files()
