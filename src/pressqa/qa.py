"""The question-answering engine: embed the question, retrieve passages, read an answer, abstain if unsure."""

import time
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from pressqa.analyze import Analyzer
from pressqa.config import Settings
from pressqa.embed import Embedder
from pressqa.index import Index
from pressqa.read import HeuristicReader, Reader
from pressqa.retrieve import Filters, Mode, Retrieved, Retriever
from pressqa.schema import Answer, Passage


@dataclass
class AskResult:
    answer: Answer | None  # None: the releases don't say (best candidate below the threshold)
    passages: list[Passage]
    best_candidate: Answer | None = None  # kept for evaluation and calibration
    timings_ms: dict[str, float] = field(default_factory=dict)


def make_reader(settings: Settings, embedder: Embedder) -> Reader:
    """The reader named by the `reader` setting: 'learned', 'heuristic' or a local transformers QA model folder."""
    if settings.reader == "heuristic":
        return HeuristicReader(settings.reader_sentences)
    if settings.reader == "learned":
        from pressqa.span_reader import LearnedReader

        return LearnedReader(embedder, sentences=settings.learned_reader_sentences)
    from pressqa.hf_reader import TransformersReader

    return TransformersReader(settings.reader)


class PressQA:
    """Loads the model and index on first use and answers questions against them."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def embedder(self) -> Embedder:
        s = self.settings
        return Embedder(s.resolved_model_path(), s.threads, s.batch_size)

    @cached_property
    def analyzer(self) -> Analyzer:
        return Analyzer()

    @cached_property
    def index(self) -> Index:
        return Index.load(self.settings.index_dir, self.settings.model_name, self.embedder.dimension)

    @cached_property
    def retriever(self) -> Retriever:
        return Retriever(self.index, self.settings.candidates, self.settings.rrf_k, self.settings.sentence_ranking)

    @cached_property
    def reader(self) -> Reader:
        return make_reader(self.settings, self.embedder)

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
        retrieved = self.retriever.retrieve(question, vector, top_k, mode, filters)
        t2 = time.perf_counter()
        return vector, retrieved, {"embed": _ms(t1 - t0), "retrieve": _ms(t2 - t1)}

    def answer(
        self, question: str, vector: np.ndarray | None, retrieved: Retrieved, timings: dict[str, float]
    ) -> AskResult:
        """Read the passages; keep the best candidate as the answer if it clears the threshold."""
        t0 = time.perf_counter()
        if vector is None and retrieved.passages:
            vector = self.embedder.encode_query(question)  # the reader compares sentences by meaning
        candidates = self.reader.read(question, vector, retrieved)
        best = candidates[0] if candidates else None
        answer = best if best and best.score >= self.settings.no_answer_threshold else None
        timings = {**timings, "read": _ms(time.perf_counter() - t0)}
        timings["total"] = round(timings["embed"] + timings["retrieve"] + timings["read"], 2)
        return AskResult(answer, retrieved.passages, best, timings)

    def close(self) -> None:
        if "index" in self.__dict__:
            self.index.close()


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)
