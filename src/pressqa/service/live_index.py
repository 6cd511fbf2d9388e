"""The index an engine answers from, kept in step with the folder on disk.

Threads share one loaded index: a lock serialises access to it (searches take milliseconds), and another
process's saved writes are picked up before the next search. A write made here is saved before the lock is
released, or rolled back when it fails.
"""

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from pressqa.config import Settings
from pressqa.retrieval.index import Index, index_lock
from pressqa.retrieval.retrieve import Retriever


class LiveIndex:
    def __init__(self, settings: Settings, dimension: Callable[[], int]) -> None:
        self.settings = settings
        self._dimension = dimension  # the embedder's: asked only when the index is first loaded
        self._lock = threading.RLock()
        self._index: Index | None = None
        self._retriever: Retriever | None = None

    @property
    def loaded(self) -> bool:
        return self._index is not None

    @property
    def index(self) -> Index:
        """The loaded index (loading it on first use)."""
        if self._index is None:
            self._index = Index.load(self.settings.index_dir, self.settings.model_name, self._dimension())
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
        """The current index, held still: one snapshot of the store, no write in between."""
        with self._lock:
            index = self._fresh()
            with index.store.snapshot():
                if index.disk_generation() == index.generation:
                    yield index
                    return
            self._reload()  # a write landed between the check and the snapshot
            index = self.index
            with index.store.snapshot():
                yield index

    @contextmanager
    def writing(self) -> Iterator[Index]:
        """The current index for a change that is saved when the block ends (or rolled back on error)."""
        with index_lock(self.settings.index_dir, exclusive=True), self._lock:
            index = self._fresh(locked=True)
            try:
                yield index
            except BaseException:
                index.rollback()
                raise
            if index.store.in_transaction:  # something changed
                index.save()

    def _fresh(self, locked: bool = False) -> Index:
        if self._index is None and locked:  # a first use that writes: loading takes the lock this thread holds
            self._reload(locked)
        index = self.index
        if index.disk_generation() != index.generation or not index.same_files():
            self._reload(locked)
        return self.index

    def _reload(self, locked: bool = False) -> None:
        """Drop the loaded index; `locked`: this thread holds the writer lock, so load under it."""
        self.close()
        if locked:
            s = self.settings
            self._index = Index.load(s.index_dir, s.model_name, self._dimension(), locked=True)

    def close(self) -> None:
        if self._index is not None:
            self._index.close()
        self._index = self._retriever = None
