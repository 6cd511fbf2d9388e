"""Users' verdicts on answers, kept in the index's store beside the releases they cite.

One row per (question, cited span): saying it again replaces the verdict rather than adding another. Feedback is
not part of what answers questions, so recording it commits at once, without a new index generation (and without
rewriting the vector and BM25 files). Rebuilding the index keeps it; removing a release keeps its feedback, which
stands for what a user was told.
"""

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    question TEXT NOT NULL, answer TEXT NOT NULL, doc_id TEXT NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL,
    verdict TEXT NOT NULL CHECK (verdict IN ('right', 'wrong')),
    correct TEXT, correct_doc_id TEXT, correct_start INTEGER, correct_end INTEGER,
    created TEXT NOT NULL, updated TEXT NOT NULL,
    UNIQUE (question, doc_id, start, end)
);
"""
_COLUMNS = "id, question, answer, doc_id, start, end, verdict, correct, correct_doc_id, correct_start, correct_end"


@dataclass
class Feedback:
    question: str
    answer: str  # the answer given: doc text[start:end] of doc_id
    doc_id: str
    start: int
    end: int
    verdict: str  # 'right' or 'wrong'
    correct: str | None = None  # the right span a user selected, when the answer was wrong
    correct_doc_id: str | None = None
    correct_start: int | None = None
    correct_end: int | None = None
    id: int | None = None


class FeedbackTable:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        db.executescript(_SCHEMA)

    def record(self, feedback: Feedback) -> tuple[int, str]:
        """Save a verdict and commit: (its id, 'recorded' or 'updated' when this answer had one already).

        Call outside any read snapshot (under the index's write lock): the commit ends the open transaction."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        f = feedback
        key = (f.question, f.doc_id, f.start, f.end)
        known = self.db.execute(
            "SELECT id FROM feedback WHERE question=? AND doc_id=? AND start=? AND end=?", key
        ).fetchone()
        values = (f.verdict, f.correct, f.correct_doc_id, f.correct_start, f.correct_end)
        if known:
            self.db.execute(
                "UPDATE feedback SET verdict=?, correct=?, correct_doc_id=?, correct_start=?, correct_end=?, "
                "updated=? WHERE id=?",
                (*values, now, known[0]),
            )
            row_id, status = known[0], "updated"
        else:
            cursor = self.db.execute(
                f"INSERT INTO feedback ({_COLUMNS.removeprefix('id, ')}, created, updated) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (f.question, f.answer, *key[1:], *values, now, now),
            )
            row_id, status = cursor.lastrowid, "recorded"
        self.db.commit()
        return row_id, status

    def all(self) -> list[Feedback]:
        """Every verdict, oldest first."""
        rows = self.db.execute(f"SELECT {_COLUMNS} FROM feedback ORDER BY id")
        return [Feedback(*row[1:], id=row[0]) for row in rows]

    def count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM feedback").fetchone()[0]
