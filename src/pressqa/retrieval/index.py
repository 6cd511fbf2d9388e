"""The on-disk index: FAISS vectors, a BM25 index, a SQLite store of documents and chunks, a manifest."""

import fcntl
import json
import logging
import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

from pressqa import __version__
from pressqa.retrieval.dense import AnnConfig, VectorIndex
from pressqa.schema import Chunk, Document, Span

MANIFEST = "manifest.json"
DENSE = "dense.faiss"
BM25_DIR = "bm25"
STORE = "store.sqlite"
LOCK = ".lock"
FORMAT = 2  # bump when the store's tables change: older indexes are rebuilt by `pressqa ingest`
REBUILD_HINT = "Rebuild it with: pressqa ingest --rebuild corpus/"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, title TEXT NOT NULL, date TEXT, url TEXT, source TEXT,
    text TEXT NOT NULL, hash TEXT NOT NULL, origin TEXT
);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT, doc_id TEXT NOT NULL REFERENCES documents(doc_id),
    start INTEGER NOT NULL, end INTEGER NOT NULL, text TEXT NOT NULL,
    spans TEXT NOT NULL, vector BLOB NOT NULL, sentence_vectors BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS families (
    doc_id TEXT PRIMARY KEY REFERENCES documents(doc_id), family INTEGER NOT NULL, signature BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS families_family ON families(family);
CREATE TABLE IF NOT EXISTS family_bands (key INTEGER NOT NULL, doc_id TEXT NOT NULL REFERENCES documents(doc_id));
CREATE INDEX IF NOT EXISTS family_bands_key ON family_bands(key);
CREATE INDEX IF NOT EXISTS family_bands_doc ON family_bands(doc_id);
"""
# The family tables came after format 2 without changing it: an older store gets them empty when opened, and
# the next write groups its releases (see `pressqa.ingest.pipeline.group_families`).


class IndexNotReady(RuntimeError):
    """The index on disk is missing, damaged or incompatible; the message says how to rebuild."""


class _Stale(Exception):
    """The FAISS or BM25 files lag behind the store (a write was interrupted): rebuild them from it."""


@contextmanager
def index_lock(path: Path, exclusive: bool) -> Iterator[None]:
    """A lock on the index folder shared by every process: one writer, or any number of readers."""
    path.mkdir(parents=True, exist_ok=True)
    with open(path / LOCK, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def bm25_tokenize(texts: list[str], stemmer: Stemmer.Stemmer) -> list[list[str]]:
    return bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, return_ids=False, show_progress=False)


def manifest_json(path: Path) -> object:
    """The manifest as written, whatever it holds; IndexNotReady when it can't be read as JSON."""
    try:
        return json.loads((path / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise IndexNotReady(f"The manifest of the index at {path}/ is unreadable ({exc}). {REBUILD_HINT}") from exc


def read_manifest(path: Path) -> dict:
    """The manifest of a usable index of this format; IndexNotReady (with the fix) otherwise."""
    if not (path / MANIFEST).exists() or not (path / STORE).exists():
        raise IndexNotReady(f"No index at {path}/. Build it with: pressqa ingest corpus/")
    manifest = manifest_json(path)
    if not isinstance(manifest, dict) or not isinstance(manifest.get("dimension"), int):
        raise IndexNotReady(f"The manifest of the index at {path}/ is not a PressQA manifest. {REBUILD_HINT}")
    if manifest.get("format") != FORMAT:
        raise IndexNotReady(f"The index at {path}/ was written by another PressQA version. {REBUILD_HINT}")
    return manifest


class Index:
    """Read and write access to one index folder.

    The SQLite store is the source of truth and is committed first; the FAISS and BM25 files are
    derived from it and carry its generation in the manifest, written last. A write cut short
    leaves either the old store (rolled back) or a store newer than its derived files, which the
    next load rebuilds from the store: never a mix of two versions.
    """

    def __init__(self, path: Path, manifest: dict, dense: VectorIndex, db: sqlite3.Connection) -> None:
        self.path = path
        self.manifest = manifest
        self._store_id = _file_id(path / STORE)
        self.dense = dense
        self.db = db
        self._stemmer = _stemmer()
        self._bm25: bm25s.BM25 | None = None
        self._bm25_ids: np.ndarray | None = None

    # ---- opening -------------------------------------------------------------------------
    @classmethod
    def create(cls, path: Path, model: str, dimension: int, chunking: dict, ann: AnnConfig | None = None) -> "Index":
        """An empty index for `path`; what is there stays on disk until `save()` replaces it."""
        manifest = {"format": FORMAT, "model": model, "dimension": dimension, "chunking": chunking, "generation": 0}
        manifest["ann"] = asdict(ann or AnnConfig())
        try:
            read_manifest(path)
            db = _connect(path / STORE)
        except (IndexNotReady, sqlite3.DatabaseError):
            db = None
        if db is None:  # nothing usable there: start from clean files
            path.mkdir(parents=True, exist_ok=True)
            for name in (DENSE, MANIFEST, STORE, STORE + "-wal", STORE + "-shm"):
                (path / name).unlink(missing_ok=True)
            shutil.rmtree(path / BM25_DIR, ignore_errors=True)
            db = _connect(path / STORE)
        manifest["generation"] = _generation(db)
        index = cls(path, manifest, VectorIndex.empty(dimension, AnnConfig.from_manifest(manifest)), db)
        for table in ("chunks", "family_bands", "families", "documents"):
            db.execute(f"DELETE FROM {table}")  # in the write transaction: undone if we never save
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
            except _Stale:
                pass
        with index_lock(path, exclusive=True):
            return cls._open(path, model, dimension, repair=True)

    @classmethod
    def _open(cls, path: Path, model: str | None, dimension: int | None, repair: bool) -> "Index":
        manifest = read_manifest(path)
        if model and manifest.get("model") != model:
            raise IndexNotReady(
                f"The index at {path}/ was built with model {manifest.get('model')!r}, not {model!r}. {REBUILD_HINT}"
            )
        if dimension and manifest["dimension"] != dimension:
            raise IndexNotReady(
                f"The index at {path}/ has dimension {manifest['dimension']}, the model {dimension}. {REBUILD_HINT}"
            )
        try:
            db = _connect(path / STORE)
            generation = _generation(db)
        except sqlite3.DatabaseError as exc:
            raise IndexNotReady(f"The store of the index at {path}/ is damaged ({exc}). {REBUILD_HINT}") from exc
        index = cls(path, manifest, VectorIndex.empty(manifest["dimension"], AnnConfig.from_manifest(manifest)), db)
        try:
            index._load_derived(generation)
        except _Stale:
            if not repair:
                db.close()
                raise
            index._rebuild_derived(generation)
        return index

    def _load_derived(self, generation: int) -> None:
        """Read the FAISS and BM25 files, checking they match the store."""
        if self.manifest.get("generation") != generation:
            raise _Stale
        try:
            live = np.array([r[0] for r in self.db.execute("SELECT id FROM chunks")], dtype=np.int64)
            self.dense = VectorIndex.read(self.path / DENSE, self.ann, live)
            self._bm25_ids = np.load(self.path / BM25_DIR / "ids.npy")
            if len(self._bm25_ids):
                # Memory-mapped: a query reads only its terms' columns, so the matrix stays out of RSS.
                self._bm25 = bm25s.BM25.load(str(self.path / BM25_DIR), mmap=True, show_progress=False)
        except (OSError, ValueError, RuntimeError) as exc:
            raise _Stale from exc
        count = self.chunk_count()
        if self.dense.d != self.manifest["dimension"] or self.dense.ntotal != count or len(self._bm25_ids) != count:
            raise _Stale

    def _rebuild_derived(self, generation: int) -> None:
        """Rebuild the FAISS and BM25 files from the store (after an interrupted write)."""
        logging.getLogger("pressqa").warning("Rebuilding the vector and BM25 files of %s/ from its store.", self.path)
        rows = self.db.execute("SELECT id, vector FROM chunks ORDER BY id").fetchall()
        if any(len(blob) != 4 * self.manifest["dimension"] for _, blob in rows):
            raise IndexNotReady(f"The store at {self.path}/ does not match its manifest's dimension. {REBUILD_HINT}")
        self.dense = self._dense_from_store(rows)
        self._bm25 = self._bm25_ids = None
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
        self.db.execute(
            "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?)",
            (doc.doc_id, doc.title, doc.date, doc.url, doc.source, doc.text, doc_hash, origin),
        )
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        ids = []
        for chunk, vector, sent_vecs in zip(chunks, vectors, sentence_vectors, strict=True):
            spans = {k: [asdict(s) for s in getattr(chunk, k)] for k in ("sentences", "entities", "noun_chunks")}
            cursor = self.db.execute(
                "INSERT INTO chunks (doc_id, start, end, text, spans, vector, sentence_vectors) VALUES (?,?,?,?,?,?,?)",
                (
                    doc.doc_id,
                    chunk.start,
                    chunk.end,
                    chunk.text,
                    json.dumps(spans),
                    vector.tobytes(),
                    sent_vecs.astype(np.float16).tobytes(),
                ),
            )
            chunk.chunk_id = cursor.lastrowid
            ids.append(cursor.lastrowid)
        if ids:
            self.dense.add(vectors, np.array(ids, dtype=np.int64))
        self._bm25 = self._bm25_ids = None

    def remove(self, doc_ids: list[str]) -> int:
        """Drop documents and their chunks (not saved yet); returns how many documents were there."""
        removed = 0
        for doc_id in doc_ids:
            rows = self.db.execute("SELECT id FROM chunks WHERE doc_id=?", (doc_id,)).fetchall()
            if rows:
                self.dense.remove(np.array([r[0] for r in rows], dtype=np.int64))
            for table in ("chunks", "family_bands", "families"):
                self.db.execute(f"DELETE FROM {table} WHERE doc_id=?", (doc_id,))
            removed += self.db.execute("DELETE FROM documents WHERE doc_id=?", (doc_id,)).rowcount
        self._bm25 = self._bm25_ids = None
        return removed

    # ---- release families ----------------------------------------------------------------
    def set_family(self, doc_id: str, family: int, signature: bytes, bands: list[int]) -> None:
        """Record a release's family, its MinHash signature and its LSH band keys (not saved yet)."""
        self.db.execute("INSERT OR REPLACE INTO families VALUES (?,?,?)", (doc_id, family, signature))
        self.db.execute("DELETE FROM family_bands WHERE doc_id=?", (doc_id,))
        self.db.executemany("INSERT INTO family_bands VALUES (?,?)", [(key, doc_id) for key in bands])

    def family_candidates(self, bands: list[int]) -> list[tuple[str, bytes, str | None, int]]:
        """(doc id, signature, date, family) of the releases sharing any of the LSH band keys."""
        if not bands:
            return []
        return self.db.execute(
            "SELECT f.doc_id, f.signature, d.date, f.family FROM families f JOIN documents d USING(doc_id) "
            f"WHERE f.doc_id IN (SELECT doc_id FROM family_bands WHERE key IN ({','.join('?' * len(bands))}))",
            bands,
        ).fetchall()

    def family_text(self, doc_id: str) -> str | None:
        row = self.db.execute("SELECT text FROM documents WHERE doc_id=?", (doc_id,)).fetchone()
        return row[0] if row else None

    def new_family(self) -> int:
        return self.db.execute("SELECT COALESCE(MAX(family), -1) + 1 FROM families").fetchone()[0]

    def clear_families(self) -> None:
        self.db.execute("DELETE FROM family_bands")
        self.db.execute("DELETE FROM families")

    def ungrouped(self) -> list[tuple[str, str, str | None]]:
        """(doc id, text, date) of the releases in no family yet, oldest first."""
        return self.db.execute(
            "SELECT d.doc_id, d.text, d.date FROM documents d LEFT JOIN families f USING(doc_id) "
            "WHERE f.doc_id IS NULL ORDER BY d.date, d.doc_id"
        ).fetchall()

    def families(self, doc_ids: set[str]) -> dict[str, int]:
        """The family of each of the given releases that has one."""
        ids = sorted(doc_ids)
        rows = self.db.execute(f"SELECT doc_id, family FROM families WHERE doc_id IN ({','.join('?' * len(ids))})", ids)
        return dict(rows.fetchall())

    def family_members(self, families: set[int]) -> dict[int, list[Document]]:
        """The releases of each family (metadata, text left empty), oldest first."""
        ids = sorted(families)
        rows = self.db.execute(
            "SELECT f.family, d.doc_id, '', d.title, d.date, d.url, d.source FROM families f "
            f"JOIN documents d USING(doc_id) WHERE f.family IN ({','.join('?' * len(ids))}) ORDER BY d.date, d.doc_id",
            ids,
        )
        members: dict[int, list[Document]] = {}
        for family, *row in rows:
            members.setdefault(family, []).append(Document(*row))
        return members

    def shared_families(self) -> dict[str, int]:
        """How many families hold more than one release, and how many releases those hold."""
        row = self.db.execute(
            "SELECT COUNT(*), COALESCE(SUM(n), 0) FROM "
            "(SELECT COUNT(*) AS n FROM families GROUP BY family HAVING COUNT(*) > 1)"
        ).fetchone()
        return {"families": row[0], "releases": row[1]}

    def family_of(self, doc_id: str) -> list[Document]:
        """The other releases of a release's family (metadata), oldest first."""
        family = self.families({doc_id}).get(doc_id)
        members = self.family_members({family}).get(family, []) if family is not None else []
        return [m for m in members if m.doc_id != doc_id]

    def chunk_documents(self, ids: list[int]) -> dict[int, str]:
        """The document of each chunk, by chunk id."""
        ids = [int(i) for i in ids]
        rows = self.db.execute(f"SELECT id, doc_id FROM chunks WHERE id IN ({','.join('?' * len(ids))})", ids)
        return dict(rows.fetchall())

    def _dense_from_store(self, rows: list | None = None) -> VectorIndex:
        """A vector index built from the store's vectors, exact or approximate by its size."""
        if rows is None:
            rows = self.db.execute("SELECT id, vector FROM chunks ORDER BY id").fetchall()
        dimension = self.manifest["dimension"]
        vectors = np.frombuffer(b"".join(blob for _, blob in rows), dtype=np.float32).reshape(-1, dimension)
        return VectorIndex.build(vectors, np.array([i for i, _ in rows], dtype=np.int64), dimension, self.ann)

    @property
    def ann(self) -> AnnConfig:
        return AnnConfig.from_manifest(self.manifest)

    def save(self) -> None:
        """Commit the store with a new generation, then write the derived files beside and rename them."""
        self.dense.ann = self.ann
        if self.dense.needs_rebuild():  # crossed the size threshold, or too many HNSW tombstones
            self.dense = self._dense_from_store()
        generation = self.manifest.get("generation", 0) + 1
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('generation', ?)", (str(generation),))
        self.db.commit()
        _atomic_write(self.path / DENSE, self.dense.write)
        self._save_bm25()
        now = datetime.now(UTC).isoformat(timespec="seconds")
        self.manifest.update(
            version=__version__,
            generation=generation,
            documents=self.document_count(),
            chunks=self.chunk_count(),
            updated=now,
            dense=self.dense.describe(),
        )
        self.manifest.setdefault("created", now)
        _atomic_write(self.path / MANIFEST, lambda tmp: tmp.write_text(json.dumps(self.manifest, indent=2)))
        _fsync_dir(self.path)

    def rollback(self) -> None:
        """Forget unsaved changes: the store rolls back and the in-memory indexes are reread."""
        self.db.rollback()
        self._rebuild_memory()

    def _rebuild_memory(self) -> None:
        self.dense = VectorIndex.empty(self.manifest["dimension"], self.ann)
        self._load_derived(_generation(self.db))

    def disk_generation(self) -> int:
        """The store's generation now: differs from ours when another process has written."""
        return _generation(self.db)

    def same_files(self) -> bool:
        """False when the store was replaced under us (a rebuild from an older format)."""
        return _file_id(self.path / STORE) == self._store_id

    @property
    def generation(self) -> int:
        return int(self.manifest.get("generation", 0))

    def _save_bm25(self) -> None:
        self._build_bm25()
        tmp = self.path / (BM25_DIR + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        if self._bm25 is not None:
            self._bm25.save(str(tmp), show_progress=False)
        np.save(tmp / "ids.npy", self._bm25_ids)
        for file in tmp.iterdir():
            _fsync(file)
        old = self.path / (BM25_DIR + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if (self.path / BM25_DIR).exists():
            os.replace(self.path / BM25_DIR, old)
        os.replace(tmp, self.path / BM25_DIR)
        shutil.rmtree(old, ignore_errors=True)

    # ---- BM25 ----------------------------------------------------------------------------
    def _build_bm25(self) -> None:
        rows = self.db.execute(
            "SELECT c.id, d.title, c.text FROM chunks c JOIN documents d USING(doc_id) ORDER BY c.id"
        ).fetchall()
        self._bm25_ids = np.array([r[0] for r in rows], dtype=np.int64)
        self._bm25 = None
        if rows:
            self._bm25 = bm25s.BM25()
            self._bm25.index(bm25_tokenize([f"{r[1]}\n{r[2]}" for r in rows], self._stemmer), show_progress=False)

    def _ensure_bm25(self) -> None:
        if self._bm25_ids is None:  # changed since the last save: rebuild in memory from the store
            self._build_bm25()

    # ---- searching -----------------------------------------------------------------------
    def search_dense(self, vector: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        if self.dense.ntotal == 0 or (allowed is not None and len(allowed) == 0):
            return []
        scores, ids = self.dense.search(vector, k, allowed)
        return [(int(i), float(s)) for i, s in zip(ids, scores, strict=True) if i >= 0]

    def search_bm25(self, query: str, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        self._ensure_bm25()
        if self._bm25 is None:
            return []
        tokens = bm25_tokenize([query], self._stemmer)
        tokens = [[t for t in tokens[0] if t in self._bm25.vocab_dict]]
        if not tokens[0]:
            return []
        mask = None
        if allowed is not None:
            mask = np.isin(self._bm25_ids, allowed).astype(np.float32)
        k = min(k, len(self._bm25_ids))
        docs, scores = self._bm25.retrieve(tokens, k=k, show_progress=False, weight_mask=mask, n_threads=1)
        return [(int(self._bm25_ids[d]), float(s)) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]

    # ---- reading the store ---------------------------------------------------------------
    def chunk_ids(
        self, doc_ids: list[str] | None = None, date_from: str | None = None, date_to: str | None = None
    ) -> np.ndarray:
        """Ids of the chunks of documents matching the filters."""
        sql, args = "SELECT c.id FROM chunks c JOIN documents d USING(doc_id) WHERE 1=1", []
        if doc_ids is not None:
            sql += f" AND d.doc_id IN ({','.join('?' * len(doc_ids))})"
            args += doc_ids
        if date_from:
            sql += " AND d.date >= ?"
            args.append(date_from)
        if date_to:
            sql += " AND d.date <= ?"
            args.append(date_to)
        return np.array([r[0] for r in self.db.execute(sql, args)], dtype=np.int64)

    def chunks(self, ids: list[int]) -> dict[int, tuple[Chunk, np.ndarray]]:
        """Chunks (with their sentence vectors) by id."""
        if not ids:
            return {}
        ids = [int(i) for i in ids]  # sqlite cannot bind numpy integers
        rows = self.db.execute(
            f"SELECT id, doc_id, start, end, text, spans, sentence_vectors FROM chunks "
            f"WHERE id IN ({','.join('?' * len(ids))})",
            ids,
        ).fetchall()
        return {row[0]: _chunk_from_row(row, self.dimension) for row in rows}

    def sentence_vectors(self, ids: list[int]) -> dict[int, np.ndarray]:
        """The sentence vectors of the given chunks, by chunk id."""
        if not ids:
            return {}
        ids = [int(i) for i in ids]  # sqlite cannot bind numpy integers
        rows = self.db.execute(
            f"SELECT id, sentence_vectors FROM chunks WHERE id IN ({','.join('?' * len(ids))})", ids
        ).fetchall()
        return {i: np.frombuffer(blob, dtype=np.float16).reshape(-1, self.dimension) for i, blob in rows}

    def document(self, doc_id: str) -> Document | None:
        row = self.db.execute(
            "SELECT doc_id, text, title, date, url, source FROM documents WHERE doc_id=?", (doc_id,)
        ).fetchone()
        return Document(*row) if row else None

    def documents(self) -> list[Document]:
        """Every document's metadata (text left empty: fetch one document for its text)."""
        rows = self.db.execute("SELECT doc_id, '', title, date, url, source FROM documents ORDER BY doc_id")
        return [Document(*row) for row in rows]

    def metadata(self, doc_ids: set[str]) -> dict[str, Document]:
        """Metadata of the given documents (text left empty), by id."""
        ids = sorted(doc_ids)
        rows = self.db.execute(
            f"SELECT doc_id, '', title, date, url, source FROM documents WHERE doc_id IN ({','.join('?' * len(ids))})",
            ids,
        )
        return {row[0]: Document(*row) for row in rows}

    def document_hash(self, doc_id: str) -> str | None:
        row = self.db.execute("SELECT hash FROM documents WHERE doc_id=?", (doc_id,)).fetchone()
        return row[0] if row else None

    def hashes(self, origin: str) -> dict[str, tuple[str, str | None]]:
        """(content hash, source file) of each document ingested from `origin`, by id."""
        rows = self.db.execute("SELECT doc_id, hash, source FROM documents WHERE origin=?", (origin,))
        return {doc_id: (doc_hash, source) for doc_id, doc_hash, source in rows}

    def document_chunk_count(self, doc_id: str) -> int:
        return self.db.execute("SELECT COUNT(*) FROM chunks WHERE doc_id=?", (doc_id,)).fetchone()[0]

    def document_count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]

    def chunk_count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]

    @property
    def dimension(self) -> int:
        return int(self.dense.d)

    def close(self) -> None:
        self.db.close()


def _chunk_from_row(row: tuple, dimension: int) -> tuple[Chunk, np.ndarray]:
    chunk_id, doc_id, start, end, text, spans, blob = row
    spans = json.loads(spans)
    chunk = Chunk(
        doc_id=doc_id,
        start=start,
        end=end,
        text=text,
        chunk_id=chunk_id,
        **{k: [Span(**s) for s in v] for k, v in spans.items()},
    )
    vectors = np.frombuffer(blob, dtype=np.float16).reshape(-1, dimension).astype(np.float32)
    return chunk, vectors


def _connect(path: Path) -> sqlite3.Connection:
    # The engine guards the connection with its own lock, so threads may share it.
    db = sqlite3.connect(path, check_same_thread=False, timeout=60)
    # WAL: readers in other processes keep seeing the last commit while a write is under way.
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.executescript(_SCHEMA)
    return db


def _file_id(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


def _generation(db: sqlite3.Connection) -> int:
    row = db.execute("SELECT value FROM meta WHERE key='generation'").fetchone()
    return int(row[0]) if row else 0


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _atomic_write(target: Path, write) -> None:
    tmp = target.with_name(target.name + ".tmp")
    write(tmp)
    _fsync(tmp)
    os.replace(tmp, target)
