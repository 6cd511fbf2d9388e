"""The question-answering engine: embed the question, retrieve passages, read an answer, abstain if unsure."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import numpy as np

from pressqa.config import Settings
from pressqa.ingest.analyze import Analyzer
from pressqa.ingest.load import content_hash
from pressqa.ingest.pipeline import add_prepared, family_rule, prepare
from pressqa.reader.calibration import Calibration, confidence_band, load_calibration
from pressqa.reader.question import proper_names
from pressqa.reader.read import HeuristicReader, Reader
from pressqa.retrieval.embed import Embedder
from pressqa.retrieval.index import Index, index_lock
from pressqa.retrieval.retrieve import Filters, Mode, Retrieved, Retriever, ms
from pressqa.schema import Answer, Document, Passage


@dataclass
class AskResult:
    answer: Answer | None  # None: the releases don't say (best candidate below the threshold)
    passages: list[Passage]
    best_candidate: Answer | None = None  # kept for evaluation and calibration
    timings_ms: dict[str, float] = field(default_factory=dict)
    confidence: str | None = None  # the answer's band: 'high', 'medium' or 'low'


def reader_first(passages: list[Passage], candidates: list[Answer]) -> list[Passage]:
    """The passages the reader's candidates come from lead, in the reader's order; the rest keep theirs.

    Retrieval ranks whole passages by topic; the reader has read their sentences against the question,
    so the passage holding its best candidate (the one the answer cites) is the one to show first.
    """
    order = {chunk_id: rank for rank, chunk_id in enumerate(dict.fromkeys(c.chunk_id for c in candidates))}
    return sorted(passages, key=lambda p: order.get(p.chunk.chunk_id, len(order)))


def make_reader(settings: Settings, embedder: Embedder) -> Reader:
    """The reader named by the `reader` setting: 'learned', 'heuristic' or a local transformers QA model folder."""
    if settings.reader == "heuristic":
        return HeuristicReader(settings.reader_sentences)
    if settings.reader == "learned":
        from pressqa.reader.span_reader import LearnedReader

        return LearnedReader(
            embedder, settings.reader_weights, settings.learned_reader_sentences, settings.learned_reader_by_score
        )
    from pressqa.reader.hf_reader import TransformersReader

    return TransformersReader(settings.reader)


class PressQA:
    """Loads the model and index on first use and answers questions against them.

    Threads share one engine: a lock serialises index access (searches are milliseconds), while
    embedding and reading run outside it. Another process's writes are picked up before the next
    search, and a write made here is saved before the lock is released.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.RLock()

    @cached_property
    def embedder(self) -> Embedder:
        s = self.settings
        return Embedder(s.resolved_model_path(), s.threads, s.batch_size, s.precision, s.query_backend, s.cache_dir)

    @cached_property
    def analyzer(self) -> Analyzer:
        return Analyzer(processes=self.settings.nlp_processes)

    @cached_property
    def index(self) -> Index:
        return Index.load(self.settings.index_dir, self.settings.model_name, self.embedder.dimension)

    @cached_property
    def retriever(self) -> Retriever:
        settings = self.settings
        rankings = tuple(settings.hybrid_rankings)
        return Retriever(
            self.index, settings.candidates, settings.rrf_k, rankings, settings.bm25_weight, settings.families
        )

    @cached_property
    def reader(self) -> Reader:
        return make_reader(self.settings, self.embedder)

    @cached_property
    def calibration(self) -> Calibration | None:
        """Maps the learned reader's scores to probabilities of being right; None: scores stay raw."""
        if self.settings.reader != "learned" or not self.settings.calibrate_scores:
            return None
        from pressqa.reader.span_reader import default_weights

        return load_calibration(self.settings.calibration, self.settings.reader_weights or default_weights())

    def use_index(self, folder: Path) -> None:
        """Answer from the index in `folder` from now on (the model, analyzer and reader stay loaded)."""
        self.close()
        self.settings = self.settings.model_copy(update={"index_dir": folder})
        for cached in ("index", "retriever"):
            self.__dict__.pop(cached, None)

    def ask(
        self, question: str, top_k: int | None = None, mode: Mode = Mode.hybrid, filters: Filters | None = None
    ) -> AskResult:
        """Retrieve `top_k` passages and answer from them, or abstain."""
        vector, retrieved, timings = self.retrieve(question, top_k or self.settings.top_k, mode, filters)
        return self.answer(question, vector, retrieved, timings)

    def retrieve(
        self, question: str, top_k: int, mode: Mode = Mode.hybrid, filters: Filters | None = None
    ) -> tuple[np.ndarray | None, Retrieved, dict[str, float]]:
        """The question's vector (None in BM25 mode), the passages, and timings in ms."""
        t0 = time.perf_counter()
        vector = self.embedder.encode_query(question) if mode != Mode.bm25 else None
        t1 = time.perf_counter()
        with self.reading():
            retrieved = self.retriever.retrieve(question, vector, top_k, mode, filters)
        t2 = time.perf_counter()
        return vector, retrieved, {"embed": ms(t1 - t0), "retrieve": ms(t2 - t1), **retrieved.timings_ms}

    def answer(
        self, question: str, vector: np.ndarray | None, retrieved: Retrieved, timings: dict[str, float]
    ) -> AskResult:
        """Read the passages; keep the best candidate as the answer if it clears the threshold."""
        t0 = time.perf_counter()
        if vector is None and retrieved.passages:
            vector = self.embedder.encode_query(question)  # the reader compares sentences by meaning
        candidates = self.reader.read(question, vector, retrieved)
        if self.calibration:
            candidates = [replace(c, score=self.calibration.probability(c.score)) for c in candidates]
        if self.settings.require_question_names:
            candidates = self._about_the_question(question, candidates)
        best = candidates[0] if candidates else None
        s = self.settings
        answer = best if best and best.score >= s.no_answer_threshold else None
        band = confidence_band(answer.score, s.high_confidence, s.medium_confidence) if answer else None
        timings = {**timings, "read": ms(time.perf_counter() - t0)}
        timings["total"] = round(timings["embed"] + timings["retrieve"] + timings["read"], 2)
        passages = reader_first(retrieved.passages, candidates)
        return AskResult(answer, passages, best, timings_ms=timings, confidence=band)

    def _about_the_question(self, question: str, candidates: list[Answer]) -> list[Answer]:
        """The candidates whose release names at least one of the question's proper names (when it has any).

        A release that never names Pfizer does not say who Pfizer's CEO is, however well one of its sentences
        matches "CEO". On the held-out release questions this dropped no right answer.
        """
        names = proper_names(question)  # the reader analysed the question already; only the names are needed here
        if not names or not candidates:
            return candidates
        texts: dict[str, str] = {}
        with self.reading() as index:
            for doc_id in {c.doc_id for c in candidates}:
                doc = index.document(doc_id)
                texts[doc_id] = f"{doc.title}\n{doc.text}".lower() if doc else ""
        return [c for c in candidates if any(name in texts[c.doc_id] for name in names)]

    def add_document(self, doc: Document, origin: str = "api") -> tuple[str, int]:
        """Index one release and save it: ('added' | 'updated' | 'unchanged', its chunk count)."""
        doc_hash = content_hash(doc)
        with self.reading() as index:
            if index.document_hash(doc.doc_id) == doc_hash:
                return "unchanged", index.document_chunk_count(doc.doc_id)
        prepared = prepare([(doc, doc_hash, origin)], self.settings, self.embedder, self.analyzer)
        with self.writing() as index:
            known = index.document_hash(doc.doc_id)
            if known == doc_hash:  # the same release arrived meanwhile
                return "unchanged", index.document_chunk_count(doc.doc_id)
            chunks = add_prepared(index, prepared, family_rule(self.settings))
        return ("updated" if known else "added"), chunks

    def remove_document(self, doc_id: str) -> bool:
        """Drop one release and save; False when there was none with that id."""
        with self.reading() as index:
            if index.document_hash(doc_id) is None:
                return False
        with self.writing() as index:
            return index.remove([doc_id]) > 0

    @contextmanager
    def reading(self) -> Iterator[Index]:
        """The current index, held still: one snapshot of the store, no write in between."""
        with self._lock:
            index = self._fresh_index()
            index.db.execute("BEGIN")  # one read snapshot of the store for the whole search
            try:
                if index.disk_generation() != index.generation:  # a write landed since the check
                    index.db.rollback()
                    self._reload()
                    index = self.index
                    index.db.execute("BEGIN")
                yield index
            finally:
                index.db.rollback()

    @contextmanager
    def writing(self) -> Iterator[Index]:
        """The current index for a change that is saved when the block ends (or rolled back on error)."""
        with index_lock(self.settings.index_dir, exclusive=True), self._lock:
            index = self._fresh_index(locked=True)
            try:
                yield index
            except BaseException:
                index.rollback()
                raise
            if index.db.in_transaction:  # something changed
                index.save()

    def _fresh_index(self, locked: bool = False) -> Index:
        index = self.index
        if index.disk_generation() != index.generation or not index.same_files():
            self._reload(locked)
        return self.index

    def _reload(self, locked: bool = False) -> None:
        """Drop the loaded index; `locked`: this thread holds the writer lock, so load under it."""
        self.close()
        self.__dict__.pop("retriever", None)
        if locked:
            s = self.settings
            self.__dict__["index"] = Index.load(s.index_dir, s.model_name, self.embedder.dimension, locked=True)
        else:
            self.__dict__.pop("index", None)

    def close(self) -> None:
        if "index" in self.__dict__:
            self.index.close()
