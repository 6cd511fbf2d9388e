"""The learned sentence selector: which retrieved sentences the span reader reads.

A logistic model over features that cost nothing at query time (`heuristic.FEATURES`: the sentence's meaning
against the question from the stored sentence vectors, weighted word overlap, the question's names in the
passage, the passage's fused rank, an entity of the type asked for), trained on the release questions with
the sentence holding the answer as the positive (`pressqa train-selector`). The sentences keep their heuristic
score: the answer score, and so its calibration, still read it; the selector only decides which are read.
"""

import json
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from pressqa.reader.heuristic import FEATURES, ScoredSentence, sentence_pool, take_best
from pressqa.reader.question import QuestionInfo
from pressqa.retrieval.retrieve import Retrieved


@dataclass
class SelectorWeights:
    features: list[str]
    coefficients: list[float]
    intercept: float
    mean: list[float]  # features are standardised with the training set's mean and scale
    scale: list[float]
    trained_on: str = ""

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=1) + "\n")

    @classmethod
    def load(cls, path: Path) -> "SelectorWeights":
        weights = cls(**json.loads(path.read_text()))
        if tuple(weights.features) != FEATURES:
            raise ValueError(f"{path} was trained on other features: retrain it with pressqa train-selector")
        return weights

    def logits(self, features: np.ndarray) -> np.ndarray:
        standard = (features - np.asarray(self.mean)) / np.asarray(self.scale)
        return standard @ np.asarray(self.coefficients) + self.intercept


def default_selector() -> Path:
    return Path(str(resources.files("pressqa") / "models" / "selector.json"))


class LearnedSelector:
    """Picks the `sentences` most likely to hold the answer; the weights load on first use."""

    def __init__(self, weights: Path | None = None, sentences: int = 3) -> None:
        self.path = weights or default_selector()
        self.sentences = sentences
        self._weights: SelectorWeights | None = None

    def best_sentences(
        self, info: QuestionInfo, query_vector: np.ndarray | None, retrieved: Retrieved, per_release: int | None = None
    ) -> list[ScoredSentence]:
        pool = sentence_pool(info, query_vector, retrieved)
        if not pool:
            return []
        if self._weights is None:
            self._weights = SelectorWeights.load(self.path)
        logits = self._weights.logits(np.stack([features for _, features in pool]))
        order = sorted(range(len(pool)), key=lambda k: (-logits[k], pool[k][0].rank))
        return take_best([pool[k][0] for k in order], self.sentences, per_release)
