"""The path of a question: analyse it once, embed it, retrieve passages, read them, apply the answer policy."""

import time
from dataclasses import dataclass, field

import numpy as np

from pressqa.reader.policy import Decision
from pressqa.reader.question import QuestionInfo, analyze_question
from pressqa.retrieval.retrieve import Filters, Mode, Retrieved, ms
from pressqa.schema import Answer, Passage
from pressqa.service.components import Components
from pressqa.service.live_index import LiveIndex


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


class AskPipeline:
    def __init__(self, components: Components, live: LiveIndex) -> None:
        self.components = components
        self.live = live

    def ask(self, question: str, top_k: int, mode: Mode = Mode.hybrid, filters: Filters | None = None) -> AskResult:
        """Retrieve `top_k` passages and answer from them, or abstain."""
        vector, retrieved, timings = self.retrieve(question, top_k, mode, filters)
        return self.answer(question, vector, retrieved, timings)

    def retrieve(
        self, question: str, top_k: int, mode: Mode = Mode.hybrid, filters: Filters | None = None
    ) -> tuple[np.ndarray | None, Retrieved, dict[str, float]]:
        """The question's vector (None in BM25 mode), the passages, and timings in ms."""
        t0 = time.perf_counter()
        vector = self.components.embedder.encode_query(question) if mode != Mode.bm25 else None
        t1 = time.perf_counter()
        with self.live.reading():
            retrieved = self.live.retriever.retrieve(question, vector, top_k, mode, filters)
        t2 = time.perf_counter()
        return vector, retrieved, {"embed": ms(t1 - t0), "retrieve": ms(t2 - t1), **retrieved.timings_ms}

    def answer(
        self, question: str, vector: np.ndarray | None, retrieved: Retrieved, timings: dict[str, float]
    ) -> AskResult:
        """Read the passages; keep the best candidate as the answer if it clears the threshold."""
        t0 = time.perf_counter()
        info = analyze_question(question)
        if vector is None and retrieved.passages:
            vector = self.components.embedder.encode_query(question)  # the reader compares sentences by meaning
        candidates = self.components.reader.read(info, vector, retrieved)
        decision = self._decide(info, candidates)
        timings = {**timings, "read": ms(time.perf_counter() - t0)}
        timings["total"] = round(timings["embed"] + timings["retrieve"] + timings["read"], 2)
        passages = reader_first(retrieved.passages, decision.candidates)
        return AskResult(decision.answer, passages, decision.best, timings_ms=timings, confidence=decision.band)

    def _decide(self, info: QuestionInfo, candidates: list[Answer]) -> Decision:
        return self.components.policy.decide(info, candidates, self._release_text)

    def _release_text(self, doc_id: str) -> str:
        """A release's title and text, lower-cased, for the answer policy's name rule (read only when it asks)."""
        with self.live.reading() as index:
            doc = index.store.document(doc_id)
        return f"{doc.title}\n{doc.text}".lower() if doc else ""
