"""The path of a question: analyse it once, embed it, retrieve passages, read them, apply the answer policy."""

import time
from dataclasses import dataclass, field

import numpy as np

from pressqa.reader.policy import Decision, ListDecision
from pressqa.reader.question import QuestionInfo, analyze_question
from pressqa.retrieval.retrieve import Filters, Mode, Retrieved, ms
from pressqa.schema import Answer, Passage
from pressqa.service.admission import check_deadline
from pressqa.service.components import Components
from pressqa.service.live_index import LiveIndex

# A list answer reads this many passages per answer asked for (within max_top_k): releases whose best sentence
# is unsure drop out, so the pool must be wider than the list.
LIST_PASSAGES_PER_ANSWER = 4


@dataclass
class AskResult:
    answer: Answer | None  # None: the releases don't say (best candidate below the threshold)
    passages: list[Passage]
    best_candidate: Answer | None = None  # kept for evaluation and calibration
    timings_ms: dict[str, float] = field(default_factory=dict)
    confidence: str | None = None  # the answer's band: 'high', 'medium' or 'low'
    answers: list[Answer] = field(default_factory=list)  # every answer given: [answer], or a list's items
    bands: list[str] = field(default_factory=list)  # each answer's band


def reader_first(passages: list[Passage], candidates: list[Answer]) -> list[Passage]:
    """The passages the reader's candidates come from lead, in the reader's order; the rest keep theirs.

    Retrieval ranks whole passages by topic; the reader has read their sentences against the question,
    so the passage holding its best candidate (the one the answer cites) is the one to show first.
    """
    order = {chunk_id: rank for rank, chunk_id in enumerate(dict.fromkeys(c.chunk_id for c in candidates))}
    return sorted(passages, key=lambda p: order.get(p.chunk.chunk_id, len(order)))


def family_keys(passages: list[Passage]) -> dict[str, str]:
    """Each release's family, named by its smallest member id: re-posts of one release share a key."""
    return {p.chunk.doc_id: min([p.chunk.doc_id, *(d.doc_id for d in p.also_published_by)]) for p in passages}


def newest_first(listed: ListDecision, dates: dict[str, str | None]) -> ListDecision:
    """The list's answers by their release's date, newest first; undated releases last."""
    date = [dates.get(a.doc_id) or "" for a in listed.answers]
    order = sorted(range(len(date)), key=lambda i: (date[i] != "", date[i]), reverse=True)  # dated ones first
    answers, bands = [listed.answers[i] for i in order], [listed.bands[i] for i in order]
    return ListDecision(answers, bands, listed.best, listed.candidates)


class AskPipeline:
    def __init__(self, components: Components, live: LiveIndex) -> None:
        self.components = components
        self.live = live

    def ask(
        self,
        question: str,
        top_k: int,
        mode: Mode = Mode.hybrid,
        filters: Filters | None = None,
        answers: int = 1,
        by_date: bool = False,
        deadline: float | None = None,
    ) -> AskResult:
        """Retrieve `top_k` passages and answer from them, or abstain.

        With `answers` > 1, up to that many answers, each from its own release family, best first (newest first
        with `by_date`); the passages read are widened so that the list can fill. Past `deadline`
        (time.monotonic()), the question stops before its next stage with DeadlineExceeded."""
        check_deadline(deadline, "retrieval")
        if answers == 1:
            vector, retrieved, timings = self.retrieve(question, top_k, mode, filters)
            check_deadline(deadline, "reading")
            return self.answer(question, vector, retrieved, timings)
        pool = max(top_k, min(LIST_PASSAGES_PER_ANSWER * answers, self.components.settings.max_top_k))
        vector, retrieved, timings = self.retrieve(question, pool, mode, filters)
        check_deadline(deadline, "reading")
        return self.answer_list(question, vector, retrieved, timings, answers, top_k, by_date)

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
        answers, bands = ([decision.answer], [decision.band]) if decision.answer else ([], [])
        return AskResult(decision.answer, passages, decision.best, timings, decision.band, answers=answers, bands=bands)

    def answer_list(
        self,
        question: str,
        vector: np.ndarray | None,
        retrieved: Retrieved,
        timings: dict[str, float],
        count: int,
        top_k: int,
        by_date: bool = False,
    ) -> AskResult:
        """Read each release's best sentences and keep up to `count` answers, each release abstaining alone."""
        t0 = time.perf_counter()
        info = analyze_question(question)
        if vector is None and retrieved.passages:
            vector = self.components.embedder.encode_query(question)
        per_release = self.components.settings.list_reader_sentences
        candidates = self.components.reader.read(info, vector, retrieved, per_release=per_release)
        family = family_keys(retrieved.passages)
        listed = self.components.policy.decide_each(
            info, candidates, self._release_text, lambda doc_id: family.get(doc_id, doc_id), count
        )
        if by_date:
            listed = newest_first(listed, {p.chunk.doc_id: p.date for p in retrieved.passages})
        timings = {**timings, "read": ms(time.perf_counter() - t0)}
        timings["total"] = round(timings["embed"] + timings["retrieve"] + timings["read"], 2)
        # The answers' passages lead (in the list's order), then the rest: every item's citation is shown.
        passages = reader_first(retrieved.passages, listed.answers + listed.candidates)
        passages = passages[: max(top_k, len({a.chunk_id for a in listed.answers}))]
        first, band = (listed.answers[0], listed.bands[0]) if listed.answers else (None, None)
        return AskResult(first, passages, listed.best, timings, band, answers=listed.answers, bands=listed.bands)

    def _decide(self, info: QuestionInfo, candidates: list[Answer]) -> Decision:
        return self.components.policy.decide(info, candidates, self._release_text)

    def _release_text(self, doc_id: str) -> str:
        """A release's title and text, lower-cased, for the answer policy's name rule (read only when it asks)."""
        with self.live.reading() as index:
            doc = index.store.document(doc_id)
        return f"{doc.title}\n{doc.text}".lower() if doc else ""
