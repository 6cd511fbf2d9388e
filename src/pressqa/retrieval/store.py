"""The SQLite store of documents and chunks: the index's source of truth.

Chunks keep their vectors (float32) and their sentences' vectors (float16), so the FAISS and BM25 files can
always be rebuilt from the store. Nothing is committed until `commit()`: a write cut short rolls back.
"""

import json
import sqlite3
from dataclasses import asdict
from pathlib import Path

import numpy as np

from pressqa.schema import Chunk, Document, Span

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
"""
_METADATA = "doc_id, '', title, date, url, source"  # a Document's fields with its text left empty


def placeholders(values: list) -> str:
    """'?,?,…': one SQL parameter per value, for `IN (…)`."""
    return ",".join("?" * len(values))


def connect(path: Path) -> sqlite3.Connection:
    # The engine guards the connection with its own lock, so threads may share it.
    db = sqlite3.connect(path, check_same_thread=False, timeout=60)
    # WAL: readers in other processes keep seeing the last commit while a write is under way.
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.executescript(_SCHEMA)
    return db


class DocumentStore:
    """Documents, their chunks with vectors, and the store's generation (bumped by every saved write)."""

    def __init__(self, db: sqlite3.Connection, dimension: int) -> None:
        self.db = db
        self.dimension = dimension

    # ---- transactions ----------------------------------------------------------------------
    def refresh(self) -> None:
        """End the read snapshot this connection holds, if any, and hold a new one: until the next refresh, reads
        see the store as it is now, whatever other connections commit (WAL)."""
        if self.db.in_transaction:
            self.db.rollback()  # a reader's connection holds no writes: this only ends its snapshot
        self.db.execute("BEGIN")
        self.generation()  # a deferred BEGIN takes its snapshot at the first read

    @property
    def in_transaction(self) -> bool:
        """Whether something was written and not committed yet."""
        return self.db.in_transaction

    def generation(self) -> int:
        row = self.db.execute("SELECT value FROM meta WHERE key='generation'").fetchone()
        return int(row[0]) if row else 0

    def commit(self, generation: int) -> None:
        """Commit everything written, as `generation`."""
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('generation', ?)", (str(generation),))
        self.db.commit()

    def rollback(self) -> None:
        self.db.rollback()

    def close(self) -> None:
        self.db.close()

    # ---- writing ---------------------------------------------------------------------------
    def add(
        self,
        doc: Document,
        doc_hash: str,
        chunks: list[Chunk],
        vectors: np.ndarray,
        sentence_vectors: list[np.ndarray],
        origin: str,
    ) -> list[int]:
        """Insert a document and its chunks; returns the chunk ids (also set on the chunks)."""
        self.db.execute(
            "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?)",
            (doc.doc_id, doc.title, doc.date, doc.url, doc.source, doc.text, doc_hash, origin),
        )
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
                    np.asarray(vector, dtype=np.float32).tobytes(),
                    sent_vecs.astype(np.float16).tobytes(),
                ),
            )
            chunk.chunk_id = cursor.lastrowid
            ids.append(cursor.lastrowid)
        return ids

    def remove(self, doc_id: str) -> tuple[bool, list[int]]:
        """Delete a document and its chunks: (whether it was there, the ids of its chunks)."""
        ids = [r[0] for r in self.db.execute("SELECT id FROM chunks WHERE doc_id=?", (doc_id,))]
        self.db.execute("DELETE FROM chunks WHERE doc_id=?", (doc_id,))
        return self.db.execute("DELETE FROM documents WHERE doc_id=?", (doc_id,)).rowcount > 0, ids

    def clear(self) -> None:
        self.db.execute("DELETE FROM chunks")
        self.db.execute("DELETE FROM documents")

    # ---- chunks ----------------------------------------------------------------------------
    def chunk_ids(
        self, doc_ids: list[str] | None = None, date_from: str | None = None, date_to: str | None = None
    ) -> np.ndarray:
        """Ids of the chunks of documents matching the filters."""
        sql, args = "SELECT c.id FROM chunks c JOIN documents d USING(doc_id) WHERE 1=1", []
        if doc_ids is not None:
            sql += f" AND d.doc_id IN ({placeholders(doc_ids)})"
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
        ids = [int(i) for i in ids]  # sqlite cannot bind numpy integers
        rows = self.db.execute(
            "SELECT id, doc_id, start, end, text, spans, sentence_vectors FROM chunks "
            f"WHERE id IN ({placeholders(ids)})",
            ids,
        ).fetchall()
        return {row[0]: _chunk_from_row(row, self.dimension) for row in rows}

    def sentence_vectors(self, ids: list[int]) -> dict[int, np.ndarray]:
        """The sentence vectors of the given chunks, by chunk id."""
        ids = [int(i) for i in ids]
        rows = self.db.execute(f"SELECT id, sentence_vectors FROM chunks WHERE id IN ({placeholders(ids)})", ids)
        return {i: np.frombuffer(blob, dtype=np.float16).reshape(-1, self.dimension) for i, blob in rows}

    def chunk_documents(self, ids: list[int]) -> dict[int, str]:
        """The document of each chunk, by chunk id."""
        ids = [int(i) for i in ids]
        return dict(self.db.execute(f"SELECT id, doc_id FROM chunks WHERE id IN ({placeholders(ids)})", ids))

    def vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """(ids, vectors) of every chunk, by id; ValueError when a vector does not have the store's dimension."""
        rows = self.db.execute("SELECT id, vector FROM chunks ORDER BY id").fetchall()
        if any(len(blob) != 4 * self.dimension for _, blob in rows):
            raise ValueError(f"a stored vector does not have dimension {self.dimension}")
        vectors = np.frombuffer(b"".join(blob for _, blob in rows), dtype=np.float32).reshape(-1, self.dimension)
        return np.array([i for i, _ in rows], dtype=np.int64), vectors

    def passage_texts(self) -> tuple[np.ndarray, list[str]]:
        """(ids, title and text) of every chunk, by id: what BM25 indexes."""
        rows = self.db.execute(
            "SELECT c.id, d.title, c.text FROM chunks c JOIN documents d USING(doc_id) ORDER BY c.id"
        ).fetchall()
        return np.array([r[0] for r in rows], dtype=np.int64), [f"{r[1]}\n{r[2]}" for r in rows]

    # ---- documents -------------------------------------------------------------------------
    def document(self, doc_id: str) -> Document | None:
        row = self.db.execute(
            "SELECT doc_id, text, title, date, url, source FROM documents WHERE doc_id=?", (doc_id,)
        ).fetchone()
        return Document(*row) if row else None

    def documents(self) -> list[Document]:
        """Every document's metadata (text left empty: fetch one document for its text)."""
        return [Document(*row) for row in self.db.execute(f"SELECT {_METADATA} FROM documents ORDER BY doc_id")]

    def metadata(self, doc_ids: set[str]) -> dict[str, Document]:
        """Metadata of the given documents (text left empty), by id."""
        ids = sorted(doc_ids)
        rows = self.db.execute(f"SELECT {_METADATA} FROM documents WHERE doc_id IN ({placeholders(ids)})", ids)
        return {row[0]: Document(*row) for row in rows}

    def containing(self, phrase: str, date_from: str | None = None, date_to: str | None = None) -> list[Document]:
        """The documents (with their text) whose title or text holds `phrase`, ignoring ASCII case.

        A scan, not an index: a timeline asks this once per name, and 12,000 releases take a fraction of a second.
        Callers check word boundaries themselves."""
        sql = (
            "SELECT doc_id, text, title, date, url, source FROM documents "
            "WHERE instr(lower(title || char(10) || text), ?) > 0"
        )
        args: list[str] = [phrase.lower()]
        if date_from:
            sql += " AND date >= ?"
            args.append(date_from)
        if date_to:
            sql += " AND date <= ?"
            args.append(date_to)
        return [Document(*row) for row in self.db.execute(sql, args)]

    def document_chunks(self, doc_id: str) -> list[Chunk]:
        """A document's chunks (with their sentence and entity spans), in text order."""
        rows = self.db.execute(
            "SELECT id, doc_id, start, end, text, spans, sentence_vectors FROM chunks WHERE doc_id=? ORDER BY start",
            (doc_id,),
        ).fetchall()
        return [_chunk_from_row(row, self.dimension)[0] for row in rows]

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
