"""Follow-up questions anchored to the conversation: the release that answered the last question is read first.

A follow-up ("Which journal published that study?", "Who is its CEO?", "And the CFO?") is about what was just
discussed, so the release (and its family) that answered the previous question is where its answer most likely
is. The follow-up is rewritten into a standalone question (`resolve_followup`: shown to the user as
`understood_as`), read against that release alone, and answered from it when the reader clears the threshold
there; otherwise the standalone question is asked of the whole index, like any other question. A follow-up that
names someone the previous release never mentions ("What about Moderna?") goes straight to the whole index.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace

from pressqa.reader.calibration import confidence_band
from pressqa.reader.question import proper_names
from pressqa.retrieval.retrieve import Filters, Mode
from pressqa.service.filters import Narrowing, narrowed
from pressqa.service.pipeline import AskResult
from pressqa.service.qa import PressQA


@dataclass(frozen=True)
class Turn:
    """The conversation so far: the previous question, as understood, and the release its answer cited."""

    question: str
    doc_id: str | None = None
    answer: str | None = None  # the previous answer's text ("he" may be the person it named)


@dataclass
class Asked:
    """A question's result, the standalone question it was understood as (None: asked as written) and whether
    the previous answer's release answered it."""

    result: AskResult
    understood_as: str | None = None
    anchored: bool = False


@dataclass(frozen=True)
class Request:
    """One question with its options, as the API, the CLI and the evaluation ask it."""

    question: str
    top_k: int | None = None
    mode: Mode = Mode.hybrid
    filters: Filters | None = None
    answers: int = 1
    by_date: bool = False
    deadline: float | None = None
    narrowing: Narrowing | None = None  # source and names, resolved to release ids before anything is read
    prefer_recent: bool = False  # one answer: the newest release's that clears, for answers that change over time


def ask(
    engine: PressQA, request: Request, turn: Turn | None = None, count: Callable[[str | None], int] | None = None
) -> Asked:
    """Answer `request`, as a follow-up of `turn` when there is one.

    `count(understood)`, when given, decides how many answers to give once the follow-up is understood ('auto':
    a list when the question, as understood, asks for one)."""
    understood = engine.follow_up(request.question, turn.question, turn.doc_id, turn.answer) if turn else None
    question = understood or request.question
    answers = count(understood) if count else request.answers
    if request.narrowing is not None and request.narrowing.active():
        with engine.reading() as index:
            request = replace(request, filters=narrowed(index, request.filters, request.narrowing), narrowing=None)
    if turn and turn.doc_id and answers == 1:
        anchored = _from_previous_release(engine, request, question, turn.doc_id)
        if anchored is not None:
            return Asked(anchored, understood, anchored=True)
    if request.prefer_recent and answers == 1:
        recent = _most_recent(engine, request, question)
        if recent is not None:
            return Asked(recent, understood)
    args = (question, request.top_k, request.mode, request.filters, answers, request.by_date, request.deadline)
    return Asked(engine.ask(*args), understood)


RECENT_POOL = 5  # answers, one per release family, among which the newest is given


def _most_recent(engine: PressQA, request: Request, question: str) -> AskResult | None:
    """The answer from the newest release among those a list would give (each release deciding alone, at the
    list threshold); None when no release clears it, and the best answer is given as usual."""
    args = (question, request.top_k, request.mode, request.filters, RECENT_POOL, True, request.deadline)
    result = engine.ask(*args)
    if not result.answers:
        return None
    return replace(result, answers=result.answers[:1], bands=result.bands[:1])


def _from_previous_release(engine: PressQA, request: Request, question: str, doc_id: str) -> AskResult | None:
    """The answer read from the previous answer's release and its family, when the reader is confident there;
    None when it is not, or when the question names someone that release never mentions."""
    result = read_previous_release(engine, request, question, doc_id)
    best, settings = (result.best_candidate if result else None), engine.settings
    if best is None or best.score < settings.followup_threshold:
        return None
    band = confidence_band(best.score, settings.high_confidence, settings.medium_confidence)
    return replace(result, answer=best, confidence=band, answers=[best], bands=[band])


def read_previous_release(engine: PressQA, request: Request, question: str, doc_id: str) -> AskResult | None:
    """The question read in the previous answer's release and its family, whatever the reader's confidence
    (its best candidate is the answer there); None when that release is gone or never names the question's
    names."""
    with engine.reading() as index:
        doc = index.store.document(doc_id)
        if doc is None:
            return None
        family = [member.doc_id for member in index.families.family_of(doc_id)]
    text = doc.text.lower()
    if any(name not in text for name in proper_names(question)):
        return None  # another subject: the previous release is not where its answer is
    ids = sorted({doc_id, *family})
    base = request.filters or Filters()
    allowed = ids if base.doc_ids is None else sorted(set(ids) & set(base.doc_ids))  # within the user's filters
    filters = Filters(date_from=base.date_from, date_to=base.date_to, doc_ids=allowed)
    return engine.ask(question, request.top_k, request.mode, filters, 1, False, request.deadline)
