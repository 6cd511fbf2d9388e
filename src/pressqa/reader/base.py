"""What a reader is (question and retrieved passages in, scored candidate answers out), and a sentence selector."""

from typing import TYPE_CHECKING, Protocol

import numpy as np

from pressqa.reader.question import QuestionInfo
from pressqa.retrieval.retrieve import Retrieved
from pressqa.schema import Answer

if TYPE_CHECKING:
    from pressqa.reader.heuristic import ScoredSentence


class Reader(Protocol):
    def read(
        self, info: QuestionInfo, query_vector: np.ndarray | None, retrieved: Retrieved, per_release: int | None = None
    ) -> list[Answer]:
        """Candidate answers, the one to give first, each with a score in [0, 1] for abstention.

        `info` is the question as `analyze_question` saw it: the caller analyses a question once. With
        `per_release`, the reader reads the best sentences of every release rather than the best overall (a list
        answer wants a candidate from each release)."""
        ...


class Selector(Protocol):
    def best_sentences(
        self, info: QuestionInfo, query_vector: np.ndarray | None, retrieved: Retrieved, per_release: int | None = None
    ) -> list["ScoredSentence"]:
        """The sentences a span reader should read, best first (with `per_release`: that many of each release)."""
        ...
