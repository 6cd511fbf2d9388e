"""The question-answering engine: one object for the API, the CLI and the evaluation to hold.

It composes parts with one job each: `Components` (the models and the answer policy, loaded on first use),
`LiveIndex` (the index on disk, kept fresh and locked), `AskPipeline` (retrieve → read → answer policy) and
a `Writer` (add and remove releases; on Ray Serve, one that forwards to the writer deployment).
"""

import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from pressqa.config import Settings
from pressqa.ingest.analyze import Analyzer
from pressqa.reader.base import Reader
from pressqa.reader.followup import resolve_followup
from pressqa.retrieval.embed import Embedder
from pressqa.retrieval.feedback_table import Feedback
from pressqa.retrieval.index import Index
from pressqa.retrieval.retrieve import Filters, Mode, Retrieved, Retriever
from pressqa.retrieval.watch_table import Watch
from pressqa.schema import Document
from pressqa.service.components import Components
from pressqa.service.live_index import LiveIndex
from pressqa.service.pipeline import AskPipeline, AskResult
from pressqa.service.webhooks import Webhooks, check_url
from pressqa.service.writer import IndexWriter, Writer

__all__ = ["PressQA", "UnknownAnswer", "UnknownRelease"]


class UnknownAnswer(ValueError):
    """Feedback names offsets that do not hold the text it says."""


class UnknownRelease(UnknownAnswer):
    """Feedback names a release that is not indexed."""


def check_feedback(index: Index, feedback: Feedback) -> None:
    doc = index.store.document(feedback.doc_id)
    if doc is None:
        raise UnknownRelease(f"No document with id {feedback.doc_id!r}: feedback is for answers PressQA gave.")
    if doc.text[feedback.start : feedback.end] != feedback.answer:
        raise UnknownAnswer(
            f"Release {feedback.doc_id!r} does not hold {feedback.answer!r} at {feedback.start}–{feedback.end}: "
            "feedback is for answers PressQA gave."
        )
    if feedback.correct_doc_id is None:
        return
    correct = index.store.document(feedback.correct_doc_id)
    if correct is None:
        raise UnknownRelease(f"No document with id {feedback.correct_doc_id!r} for the correct answer.")
    start, end = feedback.correct_start or 0, feedback.correct_end or 0
    if not 0 <= start < end <= len(correct.text) or not correct.text[start:end].strip():
        raise UnknownAnswer(f"The correct answer's offsets {start}–{end} are not a span of {correct.doc_id!r}.")
    feedback.correct = correct.text[start:end]


class PressQA:
    """Loads the models and the index on first use and answers questions against them."""

    def __init__(self, settings: Settings, writer: Writer | None = None) -> None:
        self.components = Components(settings)
        self.live = LiveIndex(settings, lambda: self.embedder.dimension)
        self.pipeline = AskPipeline(self.components, self.live)
        self.writer = writer or IndexWriter(self.components, self.live)
        self._webhooks: Webhooks | None = None

    @property
    def settings(self) -> Settings:
        """The settings, with `index_dir` the folder answered from now."""
        return self.live.settings

    # ---- the parts, for callers that need one ----------------------------------------------
    @property
    def embedder(self) -> Embedder:
        return self.components.embedder

    @embedder.setter
    def embedder(self, embedder: Embedder) -> None:
        """Share an embedder already loaded (tests and benchmarks load the model once)."""
        self.components.embedder = embedder

    @property
    def analyzer(self) -> Analyzer:
        return self.components.analyzer

    @analyzer.setter
    def analyzer(self, analyzer: Analyzer) -> None:
        self.components.analyzer = analyzer

    @property
    def reader(self) -> Reader:
        return self.components.reader

    @property
    def index(self) -> Index:
        return self.live.index

    @property
    def retriever(self) -> Retriever:
        return self.live.retriever

    # ---- asking ----------------------------------------------------------------------------
    def ask(
        self,
        question: str,
        top_k: int | None = None,
        mode: Mode = Mode.hybrid,
        filters: Filters | None = None,
        answers: int = 1,
        by_date: bool = False,
        deadline: float | None = None,
    ) -> AskResult:
        """Retrieve `top_k` passages and answer from them, or abstain; with `answers` > 1, a list; past
        `deadline`, DeadlineExceeded (see `AskPipeline.ask`)."""
        top_k = top_k or self.settings.top_k
        return self.pipeline.ask(question, top_k, mode, filters, answers, by_date, deadline)

    @property
    def index_loaded(self) -> bool:
        """Whether the index is in memory (else the next use loads it, which takes a while)."""
        return self.live.loaded

    def counts(self) -> tuple[str, int, int]:
        """(model, documents, chunks) as of the index's last save, read without the index lock: /health answers
        at once even while questions and writes hold it (a write by another process shows after the next search)."""
        manifest = self.live.index.manifest
        return manifest.get("model", ""), manifest.get("documents", 0), manifest.get("chunks", 0)

    def retrieve(
        self, question: str, top_k: int, mode: Mode = Mode.hybrid, filters: Filters | None = None
    ) -> tuple[np.ndarray | None, Retrieved, dict[str, float]]:
        return self.pipeline.retrieve(question, top_k, mode, filters)

    def answer(
        self, question: str, vector: np.ndarray | None, retrieved: Retrieved, timings: dict[str, float]
    ) -> AskResult:
        return self.pipeline.answer(question, vector, retrieved, timings)

    def follow_up(
        self, question: str, previous: str, doc_id: str | None = None, answer: str | None = None
    ) -> str | None:
        """A follow-up question rewritten with the previous one (see `resolve_followup`); None: it stands alone.

        `doc_id`, the release that answered the previous question, lends its title's subject when the previous
        question names none; `answer`, the previous answer, is who "he" or "it" is when the previous question asked
        for a person or an organisation."""
        title = None
        if doc_id:
            with self.live.reading() as index:
                doc = index.store.document(doc_id)
            title = doc.title if doc else None
        return resolve_followup(question, previous, title, answer)

    # ---- writing ---------------------------------------------------------------------------
    def add_document(self, doc: Document, origin: str = "api") -> tuple[str, int]:
        """Index one release and save it: ('added' | 'updated' | 'unchanged', its chunk count)."""
        return self.writer.add_document(doc, origin)

    def add_watch(
        self,
        question: str,
        min_confidence: float | None = None,
        webhook_url: str | None = None,
        filters: dict | None = None,
    ) -> Watch:
        """Save a question to ask of every release added from now on (`service.watches`) that passes `filters`
        (date_from, date_to, source, names); with `webhook_url`, its hits are POSTed there, signed with a secret
        made here (returned once, in the watch). Raises WebhookError for a URL that cannot be used."""
        secret = None
        if webhook_url is not None:
            check_url(webhook_url, self.settings.webhook_private)
            secret = secrets.token_hex(32)
        stored = json.dumps(filters, sort_keys=True) if filters else None
        with self.live.writing() as index:
            return index.watches.add(question, min_confidence, webhook_url, secret, stored)

    @property
    def webhooks(self) -> Webhooks:
        """Delivers saved questions' hits to their webhooks, in the background."""
        if self._webhooks is None:
            self._webhooks = Webhooks(self.settings, self._delivered)
        return self._webhooks

    @webhooks.setter
    def webhooks(self, webhooks: Webhooks) -> None:
        self._webhooks = webhooks

    def _delivered(self, hit_ids: list[int], ok: bool) -> None:
        with self.live.writing() as index:
            index.watches.delivered(hit_ids, ok)

    def remove_watch(self, watch_id: int) -> bool:
        """Drop a saved question and its hits; False when there was none."""
        with self.live.writing() as index:
            return index.watches.remove(watch_id)

    def remove_document(self, doc_id: str) -> bool:
        """Drop one release and save; False when there was none with that id."""
        return self.writer.remove_document(doc_id)

    def record_feedback(self, feedback: Feedback) -> tuple[int, str]:
        """Save a user's verdict on an answer, durably: (its id, 'recorded' | 'updated').

        Raises UnknownAnswer when the release is not indexed or does not hold the answer (or the correction)
        at the offsets given: feedback is about answers PressQA gave."""
        with self.live.writing() as index:
            check_feedback(index, feedback)
            return index.feedback.record(feedback)

    # ---- the index -------------------------------------------------------------------------
    @contextmanager
    def reading(self) -> Iterator[Index]:
        """The current index, held still for the block (one snapshot of the store)."""
        with self.live.reading() as index:
            yield index

    def use_index(self, folder: Path) -> None:
        """Answer from the index in `folder` from now on (the models stay loaded)."""
        self.live.use(folder)

    def close(self) -> None:
        if self._webhooks is not None:
            self._webhooks.close()  # queued alerts go out before the index closes
        self.live.close()
