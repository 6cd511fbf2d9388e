"""The on-disk index: one folder, opened as one `Index`, made of parts with one job each.

- `store` (`DocumentStore`, SQLite): documents and chunks with their vectors; the source of truth;
- `families` (`FamilyTable`, the same SQLite file): release families; `feedback` and `watches` (saved
  questions and their hits) beside them;
- `lexical` (`LexicalIndex`, bm25s) and `dense` (`VectorIndex`, FAISS): derived from the store;
- the manifest, the lock and atomic writes (`pressqa.retrieval.manifest`).

Callers read through `store` and `families`, search through `search_dense` and `search_bm25`, and change the
index only through `add`, `remove` and `save`, so the derived parts never drift from the store.
"""

import logging
import sqlite3
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from pressqa import __version__
from pressqa.background import Background
from pressqa.retrieval.dense import AnnConfig, VectorIndex
from pressqa.retrieval.family_table import FamilyTable
from pressqa.retrieval.feedback_table import FeedbackTable
from pressqa.retrieval.lexical import LexicalIndex, TokenCache
from pressqa.retrieval.lexical_worker import build_lexical_files
from pressqa.retrieval.manifest import (
    BM25_DIR,
    DENSE,
    FORMAT,
    MANIFEST,
    REBUILD_HINT,
    STORE,
    IndexNotReady,
    Stale,
    atomic_write,
    atomic_write_dir,
    check_manifest,
    clear_folder,
    file_id,
    index_lock,
    new_manifest,
    read_manifest,
    write_manifest,
)
from pressqa.retrieval.store import DocumentStore, connect
from pressqa.retrieval.watch_table import WatchTable
from pressqa.schema import Chunk, Document

__all__ = ["FORMAT", "Index", "IndexNotReady", "index_lock", "read_manifest"]


class Index:
    """Read and write access to one index folder.

    The SQLite store is committed first; the FAISS and BM25 files are derived from it and carry its generation
    in the manifest, written last. A write cut short leaves either the old store (rolled back) or a store newer
    than its derived files, which the next load rebuilds from the store: never a mix of two versions.
    """

    def __init__(self, path: Path, manifest: dict, store: DocumentStore) -> None:
        self.path = path
        self.manifest = manifest
        self.store = store
        self.families = FamilyTable(store.db)
        self.feedback = FeedbackTable(store.db)
        self.watches = WatchTable(store.db)
        self.dense = VectorIndex.empty(manifest["dimension"], self.ann)
        self.lexical: LexicalIndex | None = None  # None: changed since the last save, rebuilt when searched
        self._tokens = TokenCache()  # so that a rebuild tokenizes only the chunks a write added
        self._store_id = file_id(path / STORE)
        self._shares_dense = False  # a fork searches its origin's vectors until it changes them
        self.background: Background | None = None  # set: BM25 is rebuilt in that process when saved

    def fork(self) -> "Index":
        """The next generation, to write while this one is read: its own connection to the store (this one's
        snapshot stays as it was while the fork commits) and this one's vector and BM25 indexes, copied only when
        it changes them. Save it, then read from it instead; or close it to drop what it wrote."""
        nxt = Index(self.path, dict(self.manifest), DocumentStore(connect(self.path / STORE), self.store.dimension))
        nxt.dense, nxt.lexical, nxt._tokens, nxt._shares_dense = self.dense, self.lexical, self._tokens, True
        nxt.background = self.background
        return nxt

    # ---- opening -------------------------------------------------------------------------
    @classmethod
    def create(cls, path: Path, model: str, dimension: int, chunking: dict, ann: AnnConfig | None = None) -> "Index":
        """An empty index for `path`; what is there stays on disk until `save()` replaces it."""
        manifest = new_manifest(model, dimension, chunking, asdict(ann or AnnConfig()))
        try:
            read_manifest(path)
            db = connect(path / STORE)
        except (IndexNotReady, sqlite3.DatabaseError):  # nothing usable there: start from clean files
            clear_folder(path)
            db = connect(path / STORE)
        store = DocumentStore(db, dimension)
        manifest["generation"] = store.generation()
        index = cls(path, manifest, store)
        index.families.clear()  # in the write transaction: undone if we never save
        store.clear()
        if not (path / MANIFEST).exists():
            index.save()
        return index

    @classmethod
    def load(cls, path: Path, model: str | None = None, dimension: int | None = None, locked: bool = False) -> "Index":
        """Open the index in `path`, refusing one that is missing, damaged or built with another model.

        `locked`: the caller holds the index lock for writing already.
        """
        if locked:
            return cls._open(path, model, dimension, repair=True)
        if not (path / MANIFEST).exists():
            read_manifest(path)  # raises the "no index" message without creating the folder
        with index_lock(path, exclusive=False):
            try:
                return cls._open(path, model, dimension, repair=False)
            except Stale:
                pass
        with index_lock(path, exclusive=True):
            return cls._open(path, model, dimension, repair=True)

    @classmethod
    def _open(cls, path: Path, model: str | None, dimension: int | None, repair: bool) -> "Index":
        manifest = read_manifest(path)
        check_manifest(path, manifest, model, dimension)
        try:
            store = DocumentStore(connect(path / STORE), manifest["dimension"])
            generation = store.generation()
        except sqlite3.DatabaseError as exc:
            raise IndexNotReady(f"The store of the index at {path}/ is damaged ({exc}). {REBUILD_HINT}") from exc
        index = cls(path, manifest, store)
        try:
            index._load_derived(generation)
        except Stale:
            if not repair:
                store.close()
                raise
            index._rebuild_derived(generation)
        return index

    def _load_derived(self, generation: int) -> None:
        """Read the FAISS and BM25 files, checking they match the store."""
        if self.manifest.get("generation") != generation:
            raise Stale
        try:
            live = self.store.chunk_ids()
            self.dense = VectorIndex.read(self.path / DENSE, self.ann, live)
            self.lexical = LexicalIndex.load(self.path / BM25_DIR)
        except (OSError, ValueError, RuntimeError) as exc:
            raise Stale from exc
        count = self.store.chunk_count()
        if self.dense.d != self.manifest["dimension"] or self.dense.ntotal != count or len(self.lexical) != count:
            raise Stale

    def _rebuild_derived(self, generation: int) -> None:
        """Rebuild the FAISS and BM25 files from the store (after an interrupted write)."""
        logging.getLogger("pressqa").warning("Rebuilding the vector and BM25 files of %s/ from its store.", self.path)
        try:
            self.dense = self._dense_from_store()
        except ValueError as exc:
            raise IndexNotReady(
                f"The store at {self.path}/ does not match its manifest's dimension. {REBUILD_HINT}"
            ) from exc
        self.lexical = None
        self.manifest["generation"] = generation - 1
        self.save()

    # ---- writing -------------------------------------------------------------------------
    def add(
        self,
        doc: Document,
        doc_hash: str,
        chunks: list[Chunk],
        vectors: np.ndarray,
        sentence_vectors: list[np.ndarray],
        origin: str = "file",
    ) -> None:
        """Add (or replace) one document with its chunks and their vectors (not saved yet)."""
        self.remove([doc.doc_id])
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        ids = self.store.add(doc, doc_hash, chunks, vectors, sentence_vectors, origin)
        if ids:
            self._own_dense().add(vectors, np.array(ids, dtype=np.int64))
        self.lexical = None

    def remove(self, doc_ids: list[str]) -> int:
        """Drop documents, their chunks and their family rows (not saved yet); returns how many were there."""
        removed = 0
        for doc_id in doc_ids:
            self.families.remove(doc_id)
            there, chunk_ids = self.store.remove(doc_id)
            if chunk_ids:
                self._own_dense().remove(np.array(chunk_ids, dtype=np.int64))
            removed += there
        self.lexical = None
        return removed

    def _own_dense(self) -> VectorIndex:
        if self._shares_dense:  # its origin is being searched: change a copy
            self.dense, self._shares_dense = self.dense.copy(), False
        return self.dense

    def save(self) -> None:
        """Commit the store with a new generation, then write the derived files beside and rename them."""
        self.dense.ann = self.ann
        if self.dense.needs_rebuild():  # crossed the size threshold, or too many HNSW tombstones
            self.dense, self._shares_dense = self._dense_from_store(), False
        generation = self.generation + 1
        self.store.commit(generation)
        atomic_write(self.path / DENSE, self.dense.write)
        if self.lexical is None and self.background is not None:  # changed: rebuilt in the worker process
            build = self.background.run
            atomic_write_dir(self.path / BM25_DIR, lambda f: build(build_lexical_files, str(self.path / STORE), str(f)))
            self.lexical = LexicalIndex.load(self.path / BM25_DIR)
        else:
            atomic_write_dir(self.path / BM25_DIR, self._lexical().save)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        self.manifest.update(
            version=__version__,
            generation=generation,
            documents=self.store.document_count(),
            chunks=self.store.chunk_count(),
            updated=now,
            dense=self.dense.describe(),
        )
        self.manifest.setdefault("created", now)
        write_manifest(self.path, self.manifest)

    def rollback(self) -> None:
        """Forget unsaved changes: the store rolls back and the in-memory indexes are reread."""
        self.store.rollback()
        self.dense, self._shares_dense = VectorIndex.empty(self.manifest["dimension"], self.ann), False
        self._load_derived(self.store.generation())

    # ---- searching -----------------------------------------------------------------------
    def search_dense(self, vector: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        return self.dense.hits(vector, k, allowed)

    def search_bm25(self, query: str, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        return self._lexical().search(query, k, allowed)

    def _lexical(self) -> LexicalIndex:
        if self.lexical is None:  # changed since the last save: rebuild in memory from the store
            self.lexical = LexicalIndex.build(*self.store.passage_texts(), self._tokens)
        return self.lexical

    def _dense_from_store(self) -> VectorIndex:
        """A vector index built from the store's vectors, exact or approximate by its size."""
        ids, vectors = self.store.vectors()
        return VectorIndex.build(vectors, ids, self.manifest["dimension"], self.ann)

    # ---- state ---------------------------------------------------------------------------
    @property
    def ann(self) -> AnnConfig:
        return AnnConfig.from_manifest(self.manifest)

    @property
    def generation(self) -> int:
        return int(self.manifest.get("generation", 0))

    def disk_generation(self) -> int:
        """The store's generation now: differs from ours when another process has written."""
        return self.store.generation()

    def same_files(self) -> bool:
        """False when the store was replaced under us (a rebuild from an older format)."""
        return file_id(self.path / STORE) == self._store_id

    @property
    def dimension(self) -> int:
        return int(self.dense.d)

    def close(self) -> None:
        self.store.close()
