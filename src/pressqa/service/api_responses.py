"""The API's responses, and how answers, passages, releases and timelines become them."""

from typing import Literal

from pydantic import BaseModel, Field

from pressqa.schema import Answer, Document, Passage
from pressqa.service.answer_names import answer_names
from pressqa.service.conversation import Asked
from pressqa.service.pipeline import AskResult
from pressqa.service.timeline import TimelineEntry


class FeedbackWritten(BaseModel):
    id: int
    status: Literal["recorded", "updated"] = Field(description="'updated': this answer had a verdict, now replaced.")


class DocumentWritten(BaseModel):
    doc_id: str
    status: str = Field(description="'added', 'updated', 'unchanged' (the same release again) or 'deleted'.")
    chunks: int = Field(description="Passages the release was split into (0 once deleted).")
    watch_hits: int = Field(default=0, description="Saved questions (`/watches`) the release was found to answer.")


class AnswerOut(BaseModel):
    text: str
    score: float = Field(
        ge=0, le=1, description="The probability that the answer is right (when the reader is calibrated)."
    )
    confidence: Literal["high", "medium", "low"] = Field(
        description="The score's band; the README gives the share of answers right measured in each."
    )
    doc_id: str
    start: int = Field(description="Character offset into the document text.")
    end: int
    chunk_id: int | None = Field(default=None, description="The cited passage.")
    names: list[str] = Field(
        default_factory=list,
        description="Companies, products and people the answer's sentence names, and the question's own names that "
        "the release holds: each has a timeline (`GET /timeline?q=`).",
    )
    title: str | None = Field(default=None, description="The cited release's title.")
    date: str | None = Field(default=None, description="The cited release's date (ISO 8601), when it has one.")


class DocumentSummary(BaseModel):
    doc_id: str
    title: str
    date: str | None
    url: str | None
    source: str | None


class PassageOut(BaseModel):
    doc_id: str
    chunk_id: int | None
    title: str
    date: str | None
    source: str | None
    text: str
    start: int
    end: int
    score: float = Field(description="Retrieval (fusion) score; the cited passage is listed first regardless.")
    also_published_by: list[DocumentSummary] = Field(
        default_factory=list,
        description="The other releases of this release's family (re-posts elsewhere), shown through this one.",
    )


class AskResponse(BaseModel):
    answer: AnswerOut | None = Field(description="null when the releases don't answer the question.")
    understood_as: str | None = Field(
        default=None, description="A follow-up rewritten with its context: the question that was answered."
    )
    answers: list[AnswerOut] = Field(
        default_factory=list,
        description="Every answer given, each from a different release family: `[answer]` for one answer, the "
        "list's items (up to `answers`) for a list; empty when the releases don't say.",
    )
    passages: list[PassageOut] = Field(
        description="The passages the reader's candidates come from first (the cited one leads), then the rest "
        "in retrieval order; `score` is the retrieval (fusion) score."
    )
    from_previous_release: bool = Field(
        default=False,
        description="A follow-up answered from the release the previous answer cited (`context.doc_id`) or its "
        "family, read there first.",
    )
    timings_ms: dict[str, float]


class TimelineItem(DocumentSummary):
    undated: bool = Field(description="The release has no date: listed after every dated one.")
    sentence: str = Field(description="The sentence that best says what happened (it names the entity).")
    start: int = Field(description="The sentence's character offset into the release's text.")
    end: int
    match: Literal["name", "words"] = Field(
        description="'name': the release names the entity exactly; 'words': it holds each of its words, apart."
    )
    also_published_by: list[DocumentSummary] = Field(
        default_factory=list, description="The other releases of its family (re-posts), shown through this one."
    )


class TimelineResponse(BaseModel):
    query: str
    total: int = Field(description="Releases (one per family) that mention the entity, in the date range.")
    offset: int
    limit: int
    items: list[TimelineItem] = Field(description="Newest first; releases without a date last.")


class DocumentOut(DocumentSummary):
    text: str
    family: list[DocumentSummary] = Field(
        default_factory=list, description="The other releases of its family: the same release posted elsewhere."
    )


class Health(BaseModel):
    status: str
    model: str
    documents: int
    chunks: int
    version: str


def answer_out(answer: Answer, confidence: str, passage: Passage | None = None, question: str = "") -> AnswerOut:
    return AnswerOut(
        text=answer.text,
        score=round(answer.score, 4),
        confidence=confidence,
        doc_id=answer.doc_id,
        start=answer.start,
        end=answer.end,
        chunk_id=answer.chunk_id,
        names=answer_names(answer, passage, question),
        title=passage.title if passage else None,
        date=passage.date if passage else None,
    )


def passage_out(p: Passage) -> PassageOut:
    c = p.chunk
    return PassageOut(
        doc_id=c.doc_id,
        chunk_id=c.chunk_id,
        title=p.title,
        date=p.date,
        source=p.source,
        text=c.text,
        start=c.start,
        end=c.end,
        score=round(p.score, 6),
        also_published_by=[document_summary(d) for d in p.also_published_by],
    )


def asked_response(asked: Asked, question: str) -> AskResponse:
    """The response to `question` as it was asked, answered as `conversation.ask` answered it."""
    response = ask_response(asked.result, question, asked.understood_as)
    response.from_previous_release = asked.anchored
    return response


def ask_response(result: AskResult, question: str, understood_as: str | None = None) -> AskResponse:
    """The response to `question` (as it was asked; `understood_as` when a follow-up was rewritten)."""
    chunks = {p.chunk.chunk_id: p for p in result.passages}
    releases = {p.chunk.doc_id: p for p in reversed(result.passages)}  # each release's first passage
    asked = understood_as or question
    given = zip(result.answers, result.bands, strict=True)
    answers = [answer_out(a, b, chunks.get(a.chunk_id) or releases.get(a.doc_id), asked) for a, b in given]
    return AskResponse(
        answer=answers[0] if answers else None,
        understood_as=understood_as,
        answers=answers,
        passages=[passage_out(p) for p in result.passages],
        timings_ms=result.timings_ms,
    )


def document_summary(doc: Document) -> DocumentSummary:
    return DocumentSummary(doc_id=doc.doc_id, title=doc.title, date=doc.date, url=doc.url, source=doc.source)


def document_out(doc: Document, family: list[Document] | None = None) -> DocumentOut:
    members = [document_summary(d) for d in family or []]
    return DocumentOut(text=doc.text, family=members, **document_summary(doc).model_dump())


def timeline_response(query: str, page: list[TimelineEntry], total: int, offset: int, limit: int) -> TimelineResponse:
    items = [
        TimelineItem(
            **document_summary(e.doc).model_dump(),
            undated=e.doc.date is None,
            sentence=e.sentence_text,
            start=e.sentence.start if e.sentence else 0,
            end=e.sentence.end if e.sentence else 0,
            match=e.match,
            also_published_by=[document_summary(d) for d in e.also_published_by],
        )
        for e in page
    ]
    return TimelineResponse(query=query, total=total, offset=offset, limit=limit, items=items)
