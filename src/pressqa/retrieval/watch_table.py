"""Saved questions ("watches") and the releases found to answer them ("hits"), kept in the index's store.

Like feedback, watches are not part of what answers questions: saving one commits at once, without a new index
generation, and rebuilding or re-ingesting the index keeps them. A hit is one release that answered a watch, with
the span and score it was answered with; a watch has at most one hit per release (the caller keeps one per
release family).
"""

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

_SCHEMA = """
CREATE TABLE IF NOT EXISTS watches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    question TEXT NOT NULL, min_confidence REAL, created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS watch_hits (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    watch_id INTEGER NOT NULL REFERENCES watches(id) ON DELETE CASCADE,
    doc_id TEXT NOT NULL, answer TEXT NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL,
    score REAL NOT NULL, found TEXT NOT NULL,
    UNIQUE (watch_id, doc_id)
);
CREATE INDEX IF NOT EXISTS watch_hits_found ON watch_hits(watch_id, found);
"""
# Columns added since the tables were first made: added to an older store when it is opened.
_ADDED = {
    "watches": {"webhook_url": "TEXT", "secret": "TEXT", "filters": "TEXT"},
    "watch_hits": {"delivery": "TEXT"},  # NULL: no webhook; then 'pending', 'delivered' or 'failed' (dead letter)
}
_WATCH = "id, question, min_confidence, created, webhook_url, secret, filters"


@dataclass
class Watch:
    id: int
    question: str
    min_confidence: float | None  # None: the answer threshold of the settings
    created: str
    webhook_url: str | None = None  # hits are POSTed here, signed with `secret`
    secret: str | None = None
    filters: str | None = None  # JSON: the filters a new release must pass to be read for it (the service's)


@dataclass
class Hit:
    watch_id: int
    doc_id: str
    answer: str  # the release's text[start:end]
    start: int
    end: int
    score: float
    found: str = ""  # ISO 8601 UTC, set when recorded
    id: int | None = None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


class WatchTable:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        db.executescript(_SCHEMA)
        for table, columns in _ADDED.items():
            have = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
            for name, kind in columns.items():
                if name not in have:
                    db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")
        db.commit()

    # ---- watches (each call commits: call under the index's write lock) -------------------------
    def add(
        self,
        question: str,
        min_confidence: float | None = None,
        webhook_url: str | None = None,
        secret: str | None = None,
        filters: str | None = None,
    ) -> Watch:
        created = _now()
        values = (question, min_confidence, created, webhook_url, secret, filters)
        cursor = self.db.execute(
            "INSERT INTO watches (question, min_confidence, created, webhook_url, secret, filters) "
            "VALUES (?,?,?,?,?,?)",
            values,
        )
        self.db.commit()
        return Watch(cursor.lastrowid, question, min_confidence, created, webhook_url, secret, filters)

    def remove(self, watch_id: int) -> bool:
        """Drop a watch and its hits; False when there was none."""
        self.db.execute("DELETE FROM watch_hits WHERE watch_id=?", (watch_id,))
        removed = self.db.execute("DELETE FROM watches WHERE id=?", (watch_id,)).rowcount
        self.db.commit()
        return removed > 0

    def record(self, hits: list[Hit]) -> list[Hit]:
        """Save the hits not recorded yet (a watch answered by a release it already had is not new) and commit;
        the ones saved, with their ids and time. A hit of a watch with a webhook is 'pending' delivery."""
        saved = []
        for hit in hits:
            hit.found = _now()
            cursor = self.db.execute(
                "INSERT OR IGNORE INTO watch_hits (watch_id, doc_id, answer, start, end, score, found, delivery) "
                "SELECT ?,?,?,?,?,?,?, CASE WHEN webhook_url IS NULL THEN NULL ELSE 'pending' END "
                "FROM watches WHERE id=?",
                (hit.watch_id, hit.doc_id, hit.answer, hit.start, hit.end, hit.score, hit.found, hit.watch_id),
            )
            if cursor.rowcount:
                hit.id = cursor.lastrowid
                saved.append(hit)
        self.db.commit()
        return saved

    def delivered(self, hit_ids: list[int], ok: bool) -> None:
        """Mark hits delivered to their webhook, or failed for good (dead letters)."""
        marks = ",".join("?" * len(hit_ids))
        status = "delivered" if ok else "failed"
        self.db.execute(f"UPDATE watch_hits SET delivery=? WHERE id IN ({marks})", (status, *hit_ids))
        self.db.commit()

    # ---- reading ----------------------------------------------------------------------------------
    def all(self) -> list[Watch]:
        return [Watch(*row) for row in self.db.execute(f"SELECT {_WATCH} FROM watches ORDER BY id")]

    def get(self, watch_id: int) -> Watch | None:
        row = self.db.execute(f"SELECT {_WATCH} FROM watches WHERE id=?", (watch_id,)).fetchone()
        return Watch(*row) if row else None

    def pending(self) -> list[Hit]:
        """The hits whose webhook delivery has not ended (a process stopped while they were queued), oldest
        first."""
        rows = self.db.execute(
            "SELECT watch_id, doc_id, answer, start, end, score, found, id FROM watch_hits "
            "WHERE delivery='pending' ORDER BY found, id"
        )
        return [Hit(*row) for row in rows]

    def dead_letters(self) -> dict[int, int]:
        """Each watch's hits whose webhook delivery failed for good (watches without any left out)."""
        query = "SELECT watch_id, COUNT(*) FROM watch_hits WHERE delivery='failed' GROUP BY watch_id"
        return dict(self.db.execute(query))

    def hit_counts(self) -> dict[int, int]:
        """Each watch's number of hits (watches without any left out)."""
        return dict(self.db.execute("SELECT watch_id, COUNT(*) FROM watch_hits GROUP BY watch_id"))

    def hits(self, watch_id: int, since: datetime | None = None) -> list[Hit]:
        """A watch's hits found after `since` (a time without a zone is UTC), oldest first."""
        after = ""
        if since is not None:  # `found` is stored as UTC ISO 8601 with microseconds: compared as text
            moment = since if since.tzinfo else since.replace(tzinfo=UTC)
            after = moment.astimezone(UTC).isoformat(timespec="microseconds")
        rows = self.db.execute(
            "SELECT watch_id, doc_id, answer, start, end, score, found, id FROM watch_hits "
            "WHERE watch_id=? AND found > ? ORDER BY found, id",
            (watch_id, after),
        )
        return [Hit(*row) for row in rows]

    def answered_by(self, watch_id: int, doc_ids: list[str]) -> bool:
        """Whether any of these releases (a family) has a hit for the watch already."""
        marks = ",".join("?" * len(doc_ids))
        query = f"SELECT 1 FROM watch_hits WHERE watch_id=? AND doc_id IN ({marks}) LIMIT 1"
        return bool(doc_ids) and self.db.execute(query, (watch_id, *doc_ids)).fetchone() is not None
