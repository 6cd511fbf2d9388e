"""The answer policy: from a reader's candidates to one calibrated answer, or an abstention.

The one place that decides whether PressQA answers: scores become probabilities of being right (calibration),
candidates from releases that never name the question's proper names are dropped, and the best candidate is
the answer only when it clears the no-answer threshold; its band ('high', 'medium', 'low') is what the chat
page says.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace

from pressqa.reader.calibration import Calibration, confidence_band
from pressqa.reader.question import QuestionInfo
from pressqa.schema import Answer


@dataclass
class Decision:
    answer: Answer | None  # None: the releases don't say (no candidate, or the best is below the threshold)
    best: Answer | None  # the best candidate, answered or not (evaluation and calibration read it)
    candidates: list[Answer]  # every candidate kept, best first, scores calibrated
    band: str | None = None  # the answer's band: 'high', 'medium' or 'low'


@dataclass(frozen=True)
class AnswerPolicy:
    threshold: float
    high: float
    medium: float
    calibration: Calibration | None = None  # None: scores stay raw
    require_names: bool = True

    def decide(self, info: QuestionInfo, candidates: list[Answer], release_text: Callable[[str], str]) -> Decision:
        """Calibrate, keep the candidates about the question, answer with the best if it is sure enough.

        `release_text(doc_id)` gives a release's title and text (lower-cased) for the name rule."""
        if self.calibration:
            candidates = [replace(c, score=self.calibration.probability(c.score)) for c in candidates]
        if self.require_names:
            candidates = about_the_question(info, candidates, release_text)
        best = candidates[0] if candidates else None
        answer = best if best and best.score >= self.threshold else None
        band = confidence_band(answer.score, self.high, self.medium) if answer else None
        return Decision(answer, best, candidates, band)


def about_the_question(
    info: QuestionInfo, candidates: list[Answer], release_text: Callable[[str], str]
) -> list[Answer]:
    """The candidates whose release names at least one of the question's proper names (when it has any).

    A release that never names Pfizer does not say who Pfizer's CEO is, however well one of its sentences
    matches "CEO". On the held-out release questions this dropped no right answer.
    """
    if not info.names or not candidates:
        return candidates
    texts = {doc_id: release_text(doc_id) for doc_id in {c.doc_id for c in candidates}}
    return [c for c in candidates if any(name in texts[c.doc_id] for name in info.names)]
