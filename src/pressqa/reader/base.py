"""What a reader is (question and retrieved passages in, scored candidate answers out), and a sentence selector."""

from typing import TYPE_CHECKING, Protocol

import numpy as np

from pressqa.reader.question import QuestionInfo
from pressqa.retrieval.retrieve import Retrieved
from pressqa.schema import Answer

if TYPE_CHECKING:
    from pressqa.reader.heuristic import ScoredSentence


class Reader(Protocol):
    def read(self, info: QuestionInfo, query_vector: np.ndarray | None, retrieved: Retrieved) -> list[Answer]:
        """Candidate answers, the one to give first, each with a score in [0, 1] for abstention.

        `info` is the question as `analyze_question` saw it: the caller analyses a question once."""
        ...


class Selector(Protocol):
    def best_sentences(
        self, info: QuestionInfo, query_vector: np.ndarray | None, retrieved: Retrieved
    ) -> list["ScoredSentence"]:
        """The sentences a span reader should read, best first."""
        ...
