"""Saved questions that alert when a new release answers them.

Whenever releases are added (an upload, `pressqa ingest`, a feed), each saved question is asked of the new
releases only, one at a time (their passages, filtered before the reader), so the cost grows with the new
releases and the questions, not with the corpus. A release that never names any of a question's proper names is
not read for it (the cheap filter: "Who is the CFO of Moderna?" is not answered by a release without
"Moderna"). A hit is recorded when the answer clears the watch's confidence (default: the answer threshold), once
per release family.
"""

import logging
from datetime import datetime

from pressqa.reader.question import proper_names
from pressqa.retrieval.retrieve import Filters
from pressqa.retrieval.watch_table import Hit, Watch
from pressqa.service.qa import PressQA
from pressqa.service.watch_models import HitOut, hit_out

log = logging.getLogger(__name__)


def check_releases(engine: PressQA, doc_ids: list[str]) -> list[Hit]:
    """Ask every saved question of these releases; record and return the hits that are new."""
    if not doc_ids:
        return []
    with engine.reading() as index:
        watches = index.watches.all()
        if not watches:
            return []
        texts = {}
        for doc_id in dict.fromkeys(doc_ids):
            doc = index.store.document(doc_id)
            if doc is not None:
                texts[doc_id] = f"{doc.title}\n{doc.text}".lower()
    found = [hit for watch in watches for hit in _answers(engine, watch, texts)]
    return _record(engine, found)


def found_hits(engine: PressQA, watch_id: int, since: datetime | None = None) -> list[HitOut] | None:
    """A saved question's hits found after `since`, with their releases' titles and dates; None: no such watch."""
    with engine.reading() as index:
        if index.watches.get(watch_id) is None:
            return None
        hits = index.watches.hits(watch_id, since)
        docs = index.store.metadata({h.doc_id for h in hits})
    return [hit_out(h, docs.get(h.doc_id)) for h in hits]


def safely_check_releases(engine: PressQA, doc_ids: list[str]) -> list[Hit]:
    """`check_releases`, but a failure is logged, never raised: the releases are saved whatever the watches do."""
    try:
        return check_releases(engine, doc_ids)
    except Exception:  # noqa: BLE001 - an alert must never undo or fail an ingest
        log.exception("checking saved questions against %d new releases failed", len(doc_ids))
        return []


def _answers(engine: PressQA, watch: Watch, texts: dict[str, str]) -> list[Hit]:
    names = proper_names(watch.question)
    wanted = engine.settings.no_answer_threshold if watch.min_confidence is None else watch.min_confidence
    hits = []
    for doc_id, text in texts.items():
        if names and not any(name in text for name in names):
            continue  # the release never names whom the question is about
        best = engine.ask(watch.question, filters=Filters(doc_ids=[doc_id])).best_candidate
        if best is not None and best.score >= wanted:
            hits.append(Hit(watch.id, best.doc_id, best.text, best.start, best.end, best.score))
    return hits


def _record(engine: PressQA, hits: list[Hit]) -> list[Hit]:
    """Save the hits whose release family has none for their watch yet, one at a time (two releases of one
    family in the same batch give one hit)."""
    if not hits:
        return []
    saved = []
    with engine.live.writing() as index:
        for hit in sorted(hits, key=lambda h: -h.score):
            family = [hit.doc_id, *(member.doc_id for member in index.families.family_of(hit.doc_id))]
            if not index.watches.answered_by(hit.watch_id, family):
                saved += index.watches.record([hit])
    return saved
