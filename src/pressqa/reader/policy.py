"""The answer policy: from a reader's candidates to one calibrated answer, or an abstention.

The one place that decides whether PressQA answers: scores become probabilities of being right (calibration),
candidates from releases that never name the question's proper names are dropped, and the best candidate is
the answer only when it clears the no-answer threshold; its band ('high', 'medium', 'low') is what the chat
page says.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace

from pressqa.metrics import normalize_answer
from pressqa.reader.calibration import Calibration, confidence_band
from pressqa.reader.question import QuestionInfo, asks_for_names, names_something
from pressqa.schema import Answer


@dataclass
class Decision:
    answer: Answer | None  # None: the releases don't say (no candidate, or the best is below the threshold)
    best: Answer | None  # the best candidate, answered or not (evaluation and calibration read it)
    candidates: list[Answer]  # every candidate kept, best first, scores calibrated
    band: str | None = None  # the answer's band: 'high', 'medium' or 'low'


@dataclass
class ListDecision:
    answers: list[Answer]  # distinct answers, one per release family, best first, each above the threshold
    bands: list[str]  # each answer's band
    best: Answer | None  # the best candidate, answered or not
    candidates: list[Answer]  # every candidate kept, best first, scores calibrated


@dataclass(frozen=True)
class AnswerPolicy:
    threshold: float
    high: float
    medium: float
    calibration: Calibration | None = None  # None: scores stay raw
    require_names: bool = True
    list_threshold: float | None = None  # a list item's own threshold; None: `threshold`

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

    def decide_each(
        self,
        info: QuestionInfo,
        candidates: list[Answer],
        release_text: Callable[[str], str],
        family_of: Callable[[str], str],
        count: int,
    ) -> ListDecision:
        """Up to `count` answers for a list question: each release family's best candidate, if it clears the
        threshold on its own, and never the same answer twice.

        Abstaining release by release is what keeps a list from padding itself with guesses: a release whose best
        candidate is unsure adds nothing, however short the list is. `family_of(doc_id)` names a release's family
        (re-posts of one release share it)."""
        decision = self.decide(info, candidates, release_text)
        threshold = self.threshold if self.list_threshold is None else self.list_threshold
        names = asks_for_names(info.text)
        answers: list[Answer] = []
        families: set[str] = set()
        given: list[set[str]] = []  # the words of each answer given
        # Most probable first (calibration may tie raw scores apart), so each family keeps its best.
        for candidate in sorted(decision.candidates, key=lambda c: -c.score):
            family, words = family_of(candidate.doc_id), set(normalize_answer(candidate.text).split())
            if family in families or any(words <= other or other <= words for other in given):
                continue  # "Gerald Daneshvar" and "Gerald Daneshvar M.D." are one answer
            if not _fits_list(candidate.text, names):
                continue  # not an item of the kind asked for; the release's next best may be one
            families.add(family)  # a family whose best is unsure gives nothing, not its second best
            if candidate.score >= threshold:
                given.append(words)
                answers.append(candidate)
            if len(answers) == count:
                break
        bands = [confidence_band(a.score, self.high, self.medium) for a in answers]
        return ListDecision(answers, bands, decision.best, decision.candidates)


def _fits_list(text: str, names: bool) -> bool:
    """Whether a list item is of the kind a list asks for: a name when it asks for names, never a link."""
    return "://" not in text and not text.lower().startswith("www.") and (not names or names_something(text))


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
