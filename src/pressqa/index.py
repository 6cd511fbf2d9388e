"""The on-disk index: FAISS vectors, a BM25 index, a SQLite store of documents and chunks, a manifest."""

import json
import os
import shutil
import sqlite3
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import bm25s
import faiss
import numpy as np
import Stemmer

from pressqa import __version__
from pressqa.schema import Chunk, Document, Span

MANIFEST = "manifest.json"
DENSE = "dense.faiss"
BM25_DIR = "bm25"
STORE = "store.sqlite"
REBUILD_HINT = "Rebuild it with: pressqa ingest --rebuild corpus/"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, title TEXT NOT NULL, date TEXT, url TEXT, source TEXT,
    text TEXT NOT NULL, hash TEXT NOT NULL, origin TEXT
);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT, doc_id TEXT NOT NULL REFERENCES documents(doc_id),
    start INTEGER NOT NULL, end INTEGER NOT NULL, text TEXT NOT NULL,
    spans TEXT NOT NULL, sentence_vectors BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
"""


class IndexNotReady(RuntimeError):
    """The index on disk is missing, damaged or incompatible; the message says how to rebuild."""


def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def bm25_tokenize(texts: list[str], stemmer: Stemmer.Stemmer) -> list[list[str]]:
    return bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, return_ids=False, show_progress=False)


class Index:
    """Read and write access to one index folder."""

    def __init__(self, path: Path, manifest: dict, dense: faiss.Index, db: sqlite3.Connection) -> None:
        self.path = path
        self.manifest = manifest
        self.dense = dense
        self.db = db
        self._stemmer = _stemmer()
        self._bm25: bm25s.BM25 | None = None
        self._bm25_ids: np.ndarray | None = None

    # ---- opening -------------------------------------------------------------------------
    @classmethod
    def create(cls, path: Path, model: str, dimension: int, chunking: dict) -> "Index":
        """A new, empty index in `path` (anything already there is replaced)."""
        path.mkdir(parents=True, exist_ok=True)
        for name in (DENSE, STORE, MANIFEST):
            (path / name).unlink(missing_ok=True)
        shutil.rmtree(path / BM25_DIR, ignore_errors=True)
        manifest = {"model": model, "dimension": dimension, "chunking": chunking}
        index = cls(path, manifest, faiss.IndexIDMap2(faiss.IndexFlatIP(dimension)), _connect(path / STORE))
        index.save()
        return index

    @classmethod
    def load(cls, path: Path, model: str | None = None, dimension: int | None = None) -> "Index":
        """Open the index in `path`, refusing one that is missing or built with another model."""
        manifest_path = path / MANIFEST
        if not manifest_path.exists():
            raise IndexNotReady(f"No index at {path}/. Build it with: pressqa ingest corpus/")
        try:
            manifest = json.loads(manifest_path.read_text())
            dense = faiss.read_index(str(path / DENSE))
        except (OSError, ValueError, RuntimeError) as exc:
            raise IndexNotReady(f"The index at {path}/ is damaged ({exc}). {REBUILD_HINT}") from exc
        if model and manifest.get("model") != model:
            raise IndexNotReady(
                f"The index at {path}/ was built with model {manifest.get('model')!r}, not {model!r}. {REBUILD_HINT}"
            )
        if dimension and (manifest.get("dimension") != dimension or dense.d != dimension):
            raise IndexNotReady(f"The index at {path}/ has dimension {dense.d}, the model {dimension}. {REBUILD_HINT}")
        index = cls(path, manifest, dense, _connect(path / STORE))
        if index.chunk_count() != dense.ntotal:
            raise IndexNotReady(f"The index at {path}/ is inconsistent (vectors ≠ chunks). {REBUILD_HINT}")
        return index

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
        """Add (or replace) one document with its chunks and their vectors."""
        self.remove([doc.doc_id])
        self.db.execute(
            "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?)",
            (doc.doc_id, doc.title, doc.date, doc.url, doc.source, doc.text, doc_hash, origin),
        )
        ids = []
        for chunk, sent_vecs in zip(chunks, sentence_vectors, strict=True):
            spans = {k: [asdict(s) for s in getattr(chunk, k)] for k in ("sentences", "entities", "noun_chunks")}
            cursor = self.db.execute(
                "INSERT INTO chunks (doc_id, start, end, text, spans, sentence_vectors) VALUES (?,?,?,?,?,?)",
                (
                    doc.doc_id,
                    chunk.start,
                    chunk.end,
                    chunk.text,
                    json.dumps(spans),
                    sent_vecs.astype(np.float16).tobytes(),
                ),
            )
            chunk.chunk_id = cursor.lastrowid
            ids.append(cursor.lastrowid)
        if ids:
            self.dense.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), np.array(ids, dtype=np.int64))
        self._bm25 = None

    def remove(self, doc_ids: list[str]) -> int:
        """Drop documents and their chunks; returns how many documents were there."""
        removed = 0
        for doc_id in doc_ids:
            rows = self.db.execute("SELECT id FROM chunks WHERE doc_id=?", (doc_id,)).fetchall()
            if rows:
                self.dense.remove_ids(np.array([r[0] for r in rows], dtype=np.int64))
            self.db.execute("DELETE FROM chunks WHERE doc_id=?", (doc_id,))
            removed += self.db.execute("DELETE FROM documents WHERE doc_id=?", (doc_id,)).rowcount
        self._bm25 = None
        return removed

    def save(self) -> None:
        """Persist everything: the SQLite commit, then the vectors, BM25 and manifest beside-and-rename."""
        self.db.commit()
        _atomic_write(self.path / DENSE, lambda tmp: faiss.write_index(self.dense, str(tmp)))
        self._save_bm25()
        now = datetime.now(UTC).isoformat(timespec="seconds")
        self.manifest.update(
            version=__version__, documents=self.document_count(), chunks=self.chunk_count(), updated=now
        )
        self.manifest.setdefault("created", now)
        _atomic_write(self.path / MANIFEST, lambda tmp: tmp.write_text(json.dumps(self.manifest, indent=2)))

    def _save_bm25(self) -> None:
        self._build_bm25()
        tmp = self.path / (BM25_DIR + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        if self._bm25 is not None:
            self._bm25.save(str(tmp), show_progress=False)
        np.save(tmp / "ids.npy", self._bm25_ids)
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
        if self._bm25_ids is not None:
            return
        folder = self.path / BM25_DIR
        try:
            self._bm25_ids = np.load(folder / "ids.npy")
            self._bm25 = bm25s.BM25.load(str(folder), show_progress=False) if len(self._bm25_ids) else None
        except (OSError, ValueError) as exc:
            raise IndexNotReady(f"The BM25 index at {folder}/ is damaged ({exc}). {REBUILD_HINT}") from exc

    # ---- searching -----------------------------------------------------------------------
    def search_dense(self, vector: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        if self.dense.ntotal == 0 or (allowed is not None and len(allowed) == 0):
            return []
        params = None
        if allowed is not None:
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(allowed.astype(np.int64)))
        scores, ids = self.dense.search(
            vector.reshape(1, -1).astype(np.float32), min(k, self.dense.ntotal), params=params
        )
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

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

    def hashes(self, origin: str) -> dict[str, tuple[str, str | None]]:
        """(content hash, source file) of each document ingested from `origin`, by id."""
        rows = self.db.execute("SELECT doc_id, hash, source FROM documents WHERE origin=?", (origin,))
        return {doc_id: (doc_hash, source) for doc_id, doc_hash, source in rows}

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
    db = sqlite3.connect(path, check_same_thread=False)
    db.executescript(_SCHEMA)
    return db


def _atomic_write(target: Path, write) -> None:
    tmp = target.with_name(target.name + ".tmp")
    write(tmp)
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, target)
