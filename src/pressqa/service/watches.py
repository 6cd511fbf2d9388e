"""Saved questions that alert when a new release answers them.

Whenever releases are added (an upload, `pressqa ingest`, a feed), each saved question is asked of the new
releases only, one at a time (their passages, filtered before the reader), so the cost grows with the new
releases and the questions, not with the corpus. Two cheap filters decide which questions the reader reads a
release for: a release that names fewer than half of a question's proper names is not read for it ("Who is the
CFO of Moderna?" is not answered by a release without "Moderna"), nor one none of whose sentences is near the question
(cosine of their embeddings, from the vectors ingest stored: no model runs). A hit is recorded when the answer
clears the watch's confidence (default: `watch_threshold`, stricter than the answer threshold: an alert is acted on),
once per release family.
"""

import json
import logging
from datetime import datetime
from weakref import WeakKeyDictionary

import numpy as np

from pressqa.reader.question import proper_names
from pressqa.retrieval.index import IndexNotReady
from pressqa.retrieval.retrieve import Retrieved
from pressqa.retrieval.watch_table import Hit, Watch
from pressqa.schema import Document, Passage
from pressqa.service.filters import Narrowing, passes
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
        docs = {i: doc for i in dict.fromkeys(doc_ids) if (doc := index.store.document(i)) is not None}
    texts = {doc_id: f"{doc.title}\n{doc.text}".lower() for doc_id, doc in docs.items()}
    pairs = [(w, doc_id) for w, doc_id in to_read(engine, watches, texts) if within_filters(w, docs[doc_id])]
    vectors = dict(zip((w.id for w in watches), question_vectors(engine, [w.question for w in watches]), strict=True))
    found = [hit for watch, doc_id in pairs if (hit := read_release(engine, watch, docs[doc_id], vectors[watch.id]))]
    saved = _record(engine, found)
    _notify(engine, {w.id: w for w in watches}, saved)
    return saved


def within_filters(watch: Watch, doc: Document) -> bool:
    """Whether a new release passes the filters the question was saved with (date range, source, names)."""
    if not watch.filters:
        return True
    f = json.loads(watch.filters)
    narrowing = Narrowing(f.get("source"), tuple(f.get("names") or ()))
    return passes(doc, narrowing, f.get("date_from"), f.get("date_to"))


def to_read(engine: PressQA, watches: list[Watch], texts: dict[str, str]) -> list[tuple[Watch, str]]:
    """The (watch, release) pairs worth reading: the release names one of the question's names, when it has any,
    and one of its sentences is within `watch_similarity` of the question."""
    vectors = question_vectors(engine, [w.question for w in watches])
    floor = engine.settings.watch_similarity
    pairs = []
    for doc_id, text in texts.items():
        similarities = nearest(engine, doc_id, vectors)
        for watch, similarity in zip(watches, similarities, strict=True):
            if similarity >= floor and _names_enough(proper_names(watch.question), text):
                pairs.append((watch, doc_id))
    return pairs


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


def _names_enough(names: tuple[str, ...], text: str) -> bool:
    """At least half of the question's names are in the release (its one name, when it has one).
    On training questions of the three kinds, as many questions' own releases pass as with one name in
    common (99.8% DOJ, 100% wire, 95.6% HHS), and three times fewer other releases do: "Who directs the
    Justice Department's Office of Tribal Justice?" is not read for every release that names the Justice
    Department."""
    return not names or 2 * sum(name in text for name in names) >= len(names)


def read_release(engine: PressQA, watch: Watch, doc: Document, vector: np.ndarray) -> Hit | None:
    """The release read for the question: its passages nearest the question go straight to the reader (no search
    of the corpus, so the cost does not grow with it)."""
    with engine.reading() as index:
        found = list(index.store.chunks(index.store.chunk_ids([doc.doc_id]).tolist()).values())
    ranked = [(float((vecs @ vector).max()) if len(vecs) else -1.0, chunk, vecs) for chunk, vecs in found]
    ranked.sort(key=lambda item: -item[0])
    chosen = ranked[: engine.settings.top_k]
    passages = [Passage(chunk, doc.title, doc.date, doc.source, score) for score, chunk, _ in chosen]
    retrieved = Retrieved(passages, {chunk.chunk_id: vecs for _, chunk, vecs in chosen})
    best = engine.answer(watch.question, vector, retrieved, {"embed": 0.0, "retrieve": 0.0}).best_candidate
    wanted = engine.settings.watch_threshold if watch.min_confidence is None else watch.min_confidence
    if best is None or best.score < wanted:
        return None
    return Hit(watch.id, best.doc_id, best.text, best.start, best.end, best.score)


# Question vectors per embedder: saved questions are asked again at every ingest, so each is embedded once per
# process. A cache is emptied when it grows past _KEPT (questions since removed).
_VECTORS: WeakKeyDictionary[object, dict[str, np.ndarray]] = WeakKeyDictionary()
_KEPT = 10_000


def question_vectors(engine: PressQA, questions: list[str]) -> np.ndarray:
    embedder = engine.embedder
    known = _VECTORS.setdefault(embedder, {})
    missing = [q for q in dict.fromkeys(questions) if q not in known]
    if len(known) + len(missing) > _KEPT:
        known.clear()
        missing = list(dict.fromkeys(questions))
    if missing:
        known.update(zip(missing, embedder.encode(missing), strict=True))
    return np.stack([known[q] for q in questions])


def nearest(engine: PressQA, doc_id: str, questions: np.ndarray) -> np.ndarray:
    """Each question's highest cosine with one of the release's sentences (the vectors ingest stored)."""
    with engine.reading() as index:
        store = index.store
        sentences = list(store.sentence_vectors(store.chunk_ids([doc_id]).tolist()).values())
    if not sentences:
        return np.zeros(len(questions), dtype=np.float32)
    return (np.concatenate(sentences).astype(np.float32) @ questions.T).max(axis=0)


def resend_pending(engine: PressQA) -> int:
    """Queue again the deliveries a stopped process left pending (at least once: a receiver that got one before
    the stop gets it again, with the same hit ids); the number of hits queued (none without an index yet)."""
    try:
        with engine.reading() as index:
            hits = index.watches.pending()
            watches = {w.id: w for w in index.watches.all()}
    except IndexNotReady:
        return 0
    _notify(engine, watches, hits)
    return len(hits)


def _notify(engine: PressQA, watches: dict[int, Watch], hits: list[Hit]) -> None:
    """Queue one webhook delivery per watch that has one, with its new hits (as GET /watches/{id}/hits shows
    them, with each release's URL)."""
    hooked = [h for h in hits if h.watch_id in watches and watches[h.watch_id].webhook_url]
    if not hooked:
        return
    with engine.reading() as index:
        docs = index.store.metadata({h.doc_id for h in hooked})
    for watch_id in dict.fromkeys(h.watch_id for h in hooked):
        rows = [hit_out(h, docs.get(h.doc_id)).model_dump() for h in hooked if h.watch_id == watch_id]
        engine.webhooks.send(watches[watch_id], rows)


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
