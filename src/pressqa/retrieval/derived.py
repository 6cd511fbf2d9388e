"""The parts of an index derived from its store: FAISS vectors and BM25, searched in memory, written as files.

The store (`DocumentStore`) is the source of truth; these are rebuilt from it whenever their files do not match
its generation. `Index` keeps one `Derived` per generation and is the only caller.
"""

import copy
from pathlib import Path

import numpy as np

from pressqa.background import Background
from pressqa.retrieval.dense import AnnConfig, VectorIndex
from pressqa.retrieval.lexical import LexicalIndex, TokenCache
from pressqa.retrieval.lexical_worker import build_lexical_files
from pressqa.retrieval.manifest import BM25_DIR, DENSE, STORE, Stale, atomic_write, atomic_write_dir
from pressqa.retrieval.store import DocumentStore


class Derived:
    """The vector and BM25 indexes of one generation of an index."""

    def __init__(self, dimension: int, ann: AnnConfig) -> None:
        self.dense = VectorIndex.empty(dimension, ann)
        self.lexical: LexicalIndex | None = None  # None: changed since the last save, rebuilt when searched
        self.tokens = TokenCache()  # so that a rebuild tokenizes only the chunks a write added
        self.shares_dense = False  # a fork searches its origin's vectors until it changes them
        self.background: Background | None = None  # set: BM25 is rebuilt in that process when saved

    def fork(self) -> "Derived":
        """The same indexes for the next generation; the vectors are copied only when it changes them."""
        nxt = copy.copy(self)
        nxt.shares_dense = True
        return nxt

    # ---- files ---------------------------------------------------------------------------
    def read(self, path: Path, ann: AnnConfig, store: DocumentStore, dimension: int) -> None:
        """Read the FAISS and BM25 files of `path`; `Stale` when they do not match the store."""
        try:
            self.dense, self.shares_dense = VectorIndex.read(path / DENSE, ann, store.chunk_ids()), False
            self.lexical = LexicalIndex.load(path / BM25_DIR)
        except (OSError, ValueError, RuntimeError) as exc:
            raise Stale from exc
        count = store.chunk_count()
        if self.dense.d != dimension or self.dense.ntotal != count or len(self.lexical) != count:
            raise Stale

    def rebuild(self, store: DocumentStore, ann: AnnConfig) -> None:
        """Both indexes from the store (after an interrupted write); ValueError when its vectors do not fit."""
        self.dense, self.shares_dense = _dense_from(store, ann), False
        self.lexical = None

    def write(self, path: Path, store: DocumentStore, ann: AnnConfig) -> None:
        """Write the files for the store as committed, each beside the old one and then renamed over it."""
        self.dense.ann = ann
        if self.dense.needs_rebuild():  # crossed the size threshold, or too many HNSW tombstones
            self.dense, self.shares_dense = _dense_from(store, ann), False
        atomic_write(path / DENSE, self.dense.write)
        if self.lexical is None and self.background is not None:  # changed: rebuilt in the worker process
            build, committed = self.background.run, str(path / STORE)
            atomic_write_dir(path / BM25_DIR, lambda folder: build(build_lexical_files, committed, str(folder)))
            self.lexical = LexicalIndex.load(path / BM25_DIR)
        else:
            atomic_write_dir(path / BM25_DIR, self.lexical_of(store).save)

    # ---- changes -------------------------------------------------------------------------
    def add(self, vectors: np.ndarray, ids: list[int]) -> None:
        if ids:
            self._own_dense().add(vectors, np.array(ids, dtype=np.int64))
        self.lexical = None

    def remove(self, ids: list[int]) -> None:
        if ids:
            self._own_dense().remove(np.array(ids, dtype=np.int64))
        self.lexical = None

    def _own_dense(self) -> VectorIndex:
        if self.shares_dense:  # its origin is being searched: change a copy
            self.dense, self.shares_dense = self.dense.copy(), False
        return self.dense

    # ---- searching -----------------------------------------------------------------------
    def lexical_of(self, store: DocumentStore) -> LexicalIndex:
        if self.lexical is None:  # changed since the last save: rebuild in memory from the store
            self.lexical = LexicalIndex.build(*store.passage_texts(), self.tokens)
        return self.lexical


def _dense_from(store: DocumentStore, ann: AnnConfig) -> VectorIndex:
    """A vector index built from the store's vectors, exact or approximate by its size."""
    ids, vectors = store.vectors()
    return VectorIndex.build(vectors, ids, store.dimension, ann)
