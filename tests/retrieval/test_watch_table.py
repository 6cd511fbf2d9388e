import sqlite3
from datetime import datetime

from pressqa.retrieval.watch_table import Hit, WatchTable


def test_watches_and_their_hits_are_kept_once_per_release():
    table = WatchTable(sqlite3.connect(":memory:"))
    first = table.add("Who is the CFO of Moderna?")
    second = table.add("Has CARsgen received an FDA designation?", min_confidence=0.7)
    assert [w.question for w in table.all()] == [first.question, second.question]
    assert table.get(second.id).min_confidence == 0.7 and table.get(999) is None

    saved = table.record([Hit(first.id, "a", "Jamey Mock", 0, 10, 0.9), Hit(first.id, "a", "Jamey Mock", 0, 10, 0.9)])
    assert len(saved) == 1 and saved[0].id and saved[0].found  # the same release again is no new hit
    later = table.record([Hit(first.id, "b", "Jamey Mock", 5, 15, 0.8)])
    assert [h.doc_id for h in table.hits(first.id)] == ["a", "b"]
    assert [h.doc_id for h in table.hits(first.id, since=datetime.fromisoformat(saved[0].found))] == ["b"]
    assert table.hits(first.id, since=datetime.fromisoformat(later[0].found)) == []
    assert table.hit_counts() == {first.id: 2}
    assert table.answered_by(first.id, ["x", "b"]) and not table.answered_by(second.id, ["a", "b"])

    assert table.remove(first.id) and not table.remove(first.id)
    assert table.hits(first.id) == [] and [w.id for w in table.all()] == [second.id]
