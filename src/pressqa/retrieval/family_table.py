"""Release families in the store: each release's family, MinHash signature and LSH band keys.

This is the `FamilyStore` that `pressqa.ingest.families.assign_family` writes to, and what retrieval reads to
show one release per family. It shares the document store's connection (and so its transactions).
"""

import sqlite3

from pressqa.retrieval.store import placeholders
from pressqa.schema import Document

# These tables came after format 2 without changing it: an older store gets them empty when opened, and the
# next write groups its releases (see `pressqa.ingest.pipeline.group_families`).
_SCHEMA = """
CREATE TABLE IF NOT EXISTS families (
    doc_id TEXT PRIMARY KEY REFERENCES documents(doc_id), family INTEGER NOT NULL, signature BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS families_family ON families(family);
CREATE TABLE IF NOT EXISTS family_bands (key INTEGER NOT NULL, doc_id TEXT NOT NULL REFERENCES documents(doc_id));
CREATE INDEX IF NOT EXISTS family_bands_key ON family_bands(key);
CREATE INDEX IF NOT EXISTS family_bands_doc ON family_bands(doc_id);
"""


class FamilyTable:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        db.executescript(_SCHEMA)

    # ---- writing (the FamilyStore protocol) ----------------------------------------------------
    def set_family(self, doc_id: str, family: int, signature: bytes, bands: list[int]) -> None:
        """Record a release's family, its MinHash signature and its LSH band keys (not committed yet)."""
        self.db.execute("INSERT OR REPLACE INTO families VALUES (?,?,?)", (doc_id, family, signature))
        self.db.execute("DELETE FROM family_bands WHERE doc_id=?", (doc_id,))
        self.db.executemany("INSERT INTO family_bands VALUES (?,?)", [(key, doc_id) for key in bands])

    def family_candidates(self, bands: list[int]) -> list[tuple[str, bytes, str | None, int]]:
        """(doc id, signature, date, family) of the releases sharing any of the LSH band keys."""
        return self.db.execute(
            "SELECT f.doc_id, f.signature, d.date, f.family FROM families f JOIN documents d USING(doc_id) "
            f"WHERE f.doc_id IN (SELECT doc_id FROM family_bands WHERE key IN ({placeholders(bands)}))",
            bands,
        ).fetchall()

    def release_text(self, doc_id: str) -> str | None:
        """A known release's text, for the facts test and for telling whether one copy holds another's passage."""
        row = self.db.execute("SELECT text FROM documents WHERE doc_id=?", (doc_id,)).fetchone()
        return row[0] if row else None

    def new_family(self) -> int:
        return self.db.execute("SELECT COALESCE(MAX(family), -1) + 1 FROM families").fetchone()[0]

    def remove(self, doc_id: str) -> None:
        self.db.execute("DELETE FROM family_bands WHERE doc_id=?", (doc_id,))
        self.db.execute("DELETE FROM families WHERE doc_id=?", (doc_id,))

    def clear(self) -> None:
        self.db.execute("DELETE FROM family_bands")
        self.db.execute("DELETE FROM families")

    # ---- reading ---------------------------------------------------------------------------
    def ungrouped(self) -> list[tuple[str, str, str | None]]:
        """(doc id, text, date) of the releases in no family yet, oldest first."""
        return self.db.execute(
            "SELECT d.doc_id, d.text, d.date FROM documents d LEFT JOIN families f USING(doc_id) "
            "WHERE f.doc_id IS NULL ORDER BY d.date, d.doc_id"
        ).fetchall()

    def families(self, doc_ids: set[str]) -> dict[str, int]:
        """The family of each of the given releases that has one."""
        ids = sorted(doc_ids)
        return dict(self.db.execute(f"SELECT doc_id, family FROM families WHERE doc_id IN ({placeholders(ids)})", ids))

    def members(self, families: set[int]) -> dict[int, list[Document]]:
        """The releases of each family (metadata, text left empty), oldest first."""
        ids = sorted(families)
        rows = self.db.execute(
            "SELECT f.family, d.doc_id, '', d.title, d.date, d.url, d.source FROM families f "
            f"JOIN documents d USING(doc_id) WHERE f.family IN ({placeholders(ids)}) ORDER BY d.date, d.doc_id",
            ids,
        )
        members: dict[int, list[Document]] = {}
        for family, *row in rows:
            members.setdefault(family, []).append(Document(*row))
        return members

    def family_of(self, doc_id: str) -> list[Document]:
        """The other releases of a release's family (metadata), oldest first."""
        family = self.families({doc_id}).get(doc_id)
        members = self.members({family}).get(family, []) if family is not None else []
        return [m for m in members if m.doc_id != doc_id]

    def shared(self) -> dict[str, int]:
        """How many families hold more than one release, and how many releases those hold."""
        row = self.db.execute(
            "SELECT COUNT(*), COALESCE(SUM(n), 0) FROM "
            "(SELECT COUNT(*) AS n FROM families GROUP BY family HAVING COUNT(*) > 1)"
        ).fetchone()
        return {"families": row[0], "releases": row[1]}
