"""The on-disk index: one folder, opened as one `Index`, made of parts with one job each.

- `store` (`DocumentStore`, SQLite): documents and chunks with their vectors; the source of truth;
- `families` (`FamilyTable`, the same SQLite file): release families; `feedback` and `watches` (saved
  questions and their hits) beside them;
- `derived` (`Derived`: `LexicalIndex`, bm25s, and `VectorIndex`, FAISS): derived from the store;
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
from pressqa.retrieval.dense import AnnConfig
from pressqa.retrieval.derived import Derived
from pressqa.retrieval.family_table import FamilyTable
from pressqa.retrieval.feedback_table import FeedbackTable
from pressqa.retrieval.manifest import (
    FORMAT,
    MANIFEST,
    REBUILD_HINT,
    STORE,
    IndexNotReady,
    Stale,
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
        self.derived = Derived(manifest["dimension"], self.ann)
        self._store_id = file_id(path / STORE)

    def fork(self) -> "Index":
        """The next generation, to write while this one is read: its own connection to the store (this one's
        snapshot stays as it was while the fork commits) and this one's vector and BM25 indexes, copied only when
        it changes them. Save it, then read from it instead; or close it to drop what it wrote."""
        nxt = Index(self.path, dict(self.manifest), DocumentStore(connect(self.path / STORE), self.store.dimension))
        nxt.derived = self.derived.fork()
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
        self.derived.read(self.path, self.ann, self.store, self.manifest["dimension"])

    def _rebuild_derived(self, generation: int) -> None:
        """Rebuild the FAISS and BM25 files from the store (after an interrupted write)."""
        logging.getLogger("pressqa").warning("Rebuilding the vector and BM25 files of %s/ from its store.", self.path)
        try:
            self.derived.rebuild(self.store, self.ann)
        except ValueError as exc:
            raise IndexNotReady(
                f"The store at {self.path}/ does not match its manifest's dimension. {REBUILD_HINT}"
            ) from exc
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
        self.derived.add(vectors, self.store.add(doc, doc_hash, chunks, vectors, sentence_vectors, origin))

    def remove(self, doc_ids: list[str]) -> int:
        """Drop documents, their chunks and their family rows (not saved yet); returns how many were there."""
        removed = 0
        for doc_id in doc_ids:
            self.families.remove(doc_id)
            there, chunk_ids = self.store.remove(doc_id)
            self.derived.remove(chunk_ids)
            removed += there
        return removed

    def save(self) -> None:
        """Commit the store with a new generation, then write the derived files beside and rename them."""
        generation = self.generation + 1
        self.store.commit(generation)
        self.derived.write(self.path, self.store, self.ann)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        self.manifest.update(
            version=__version__,
            generation=generation,
            documents=self.store.document_count(),
            chunks=self.store.chunk_count(),
            updated=now,
            dense=self.derived.dense.describe(),
        )
        self.manifest.setdefault("created", now)
        write_manifest(self.path, self.manifest)

    def rollback(self) -> None:
        """Forget unsaved changes: the store rolls back and the in-memory indexes are reread."""
        self.store.rollback()
        self._load_derived(self.store.generation())

    # ---- searching -----------------------------------------------------------------------
    def search_dense(self, vector: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        return self.derived.dense.hits(vector, k, allowed)

    def search_bm25(self, query: str, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        return self.derived.lexical_of(self.store).search(query, k, allowed)

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
        return int(self.derived.dense.d)

    def close(self) -> None:
        self.store.close()
