"""Request and response bodies of the HTTP API (also what `pressqa ask --json` prints)."""

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from pressqa.config import get_settings
from pressqa.reader.question import asks_for_list, key_terms
from pressqa.retrieval.feedback_table import Feedback
from pressqa.retrieval.retrieve import Filters, Mode
from pressqa.schema import Answer, Document, Passage
from pressqa.service.conversation import Asked, Request, Turn
from pressqa.service.filters import Narrowing
from pressqa.service.pipeline import AskResult
from pressqa.service.timeline import TimelineEntry


class FiltersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date_from: dt.date | None = Field(default=None, description="Earliest publication date (YYYY-MM-DD).")
    date_to: dt.date | None = Field(default=None, description="Latest publication date (YYYY-MM-DD).")
    doc_ids: list[str] | None = Field(default=None, max_length=1000, description="Only these documents.")
    source: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Only releases from this source: the file, feed or 'api' ingest recorded, or a domain of their "
        "URL ('justice.gov' keeps www.justice.gov).",
    )
    names: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]] | None = Field(
        default=None,
        max_length=10,
        description="Only releases that name every one of these (a company, product or person; matched as "
        "timelines match names).",
        examples=[["CARsgen"]],
    )

    def narrowing(self) -> Narrowing | None:
        return Narrowing(self.source, tuple(self.names or ())) if self.source or self.names else None

    @model_validator(mode="after")
    def _ordered(self) -> "FiltersIn":
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError("date_from must not be after date_to")
        return self


def check_question(value: str) -> str:
    """One line of at most `max_question_chars` printable characters, spaces collapsed."""
    value = " ".join(value.split())
    if not value:
        raise ValueError("the question is empty")
    limit = get_settings().max_question_chars
    if len(value) > limit:
        raise ValueError(f"the question is longer than {limit} characters")
    if any(ord(ch) < 32 for ch in value):
        raise ValueError("the question contains control characters")
    return value


class ContextIn(BaseModel):
    """The conversation so far, for a follow-up question: the previous question and its answer's release."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(
        description="The previous question, as it was understood.", examples=["When did CT041 receive RMAT?"]
    )
    doc_id: str | None = Field(default=None, max_length=200, description="The release the previous answer cited.")
    answer: str | None = Field(
        default=None,
        max_length=300,
        description="The previous answer's text: 'he', 'she' or 'it' in a follow-up may stand for it.",
        examples=["Dr. Li Zonghai"],
    )

    @field_validator("question")
    @classmethod
    def _question(cls, value: str) -> str:
        return check_question(value)

    @field_validator("doc_id")
    @classmethod
    def _doc_id(cls, value: str | None) -> str | None:
        return None if value is None else check_doc_id(value)


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(description="A question about the releases.", examples=["When did CT041 receive RMAT?"])
    top_k: int | None = Field(default=None, ge=1, description="Passages to return (default from settings).")
    mode: Mode = Mode.hybrid
    filters: FiltersIn | None = None
    answers: int | Literal["auto"] = Field(
        default=1,
        description="Up to this many answers, each from a different release (at most `max_answers`, 20 by "
        "default); 'auto': a list when the question asks for one ('Which companies…', 'Who were…'), else one.",
    )
    order: Literal["confidence", "date"] = Field(
        default="confidence", description="A list's order: most confident first, or newest release first."
    )
    prefer: Literal["confidence", "recent"] = Field(
        default="confidence",
        description="One answer: the most confident, or 'recent': the newest release's answer among those that "
        "clear the list threshold, for answers that change over time ('Who is the CFO of …?').",
    )
    timeout_ms: int | None = Field(
        default=None,
        ge=100,
        le=60_000,
        description="This question's deadline (default `question_deadline_ms`): past it, 504 instead of an answer.",
    )

    context: ContextIn | None = Field(
        default=None,
        description="The previous exchange: a follow-up that lacks its own subject ('and orphan drug designation?', "
        "'who leads it?') is read with it, and the response says how it was understood.",
    )

    @field_validator("question")
    @classmethod
    def _question(cls, value: str) -> str:
        return check_question(value)

    @field_validator("top_k")
    @classmethod
    def _top_k(cls, value: int | None) -> int | None:
        limit = get_settings().max_top_k
        if value is not None and value > limit:
            raise ValueError(f"top_k must be at most {limit}")
        return value

    @field_validator("answers")
    @classmethod
    def _answers(cls, value: int | str) -> int | str:
        limit = get_settings().max_answers
        if isinstance(value, int) and not 1 <= value <= limit:
            raise ValueError(f"answers must be between 1 and {limit}, or 'auto'")
        return value

    def answer_count(self, understood_as: str | None = None) -> int:
        """How many answers to give: `answers`, with 'auto' resolved from the wording of the question (as it was
        understood, for a follow-up)."""
        if self.answers != "auto":
            return self.answers
        return get_settings().auto_list_answers if asks_for_list(understood_as or self.question) else 1

    def to_request(self, deadline: float | None = None) -> Request:
        """The question with its options (a list's count is decided once a follow-up is understood)."""
        args = (self.question, self.top_k, self.mode, self.to_filters(), self.answer_count(), self.order == "date")
        narrowing = self.filters.narrowing() if self.filters else None
        return Request(*args, deadline=deadline, narrowing=narrowing, prefer_recent=self.prefer == "recent")

    def turn(self) -> Turn | None:
        """The conversation this question follows, if any."""
        return Turn(self.context.question, self.context.doc_id, self.context.answer) if self.context else None

    def to_filters(self) -> Filters | None:
        if not self.filters:
            return None
        f = self.filters
        return Filters(
            date_from=f.date_from.isoformat() if f.date_from else None,
            date_to=f.date_to.isoformat() if f.date_to else None,
            doc_ids=f.doc_ids,
        )


class DocumentIn(BaseModel):
    """A release sent as JSON: its plain text, or (where the server allows it) only a `url` to fetch it from."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(
        default=None, min_length=1, description="The release's text; without it, `url` is fetched (if enabled)."
    )
    doc_id: str | None = Field(
        default=None, min_length=1, max_length=200, description="Id to file it under (default: from its text)."
    )
    title: str | None = Field(default=None, max_length=500, description="Default: the first line.")
    date: dt.date | None = Field(default=None, description="Publication date (default: from the dateline).")
    url: str | None = Field(default=None, max_length=2000)
    source: str | None = Field(default=None, max_length=500)

    @field_validator("text")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        return None if value is None else check_text(value)

    @model_validator(mode="after")
    def _text_or_url(self) -> "DocumentIn":
        if self.text is None and not self.url:
            raise ValueError("send the release's 'text', or a 'url' to fetch it from")
        return self

    @field_validator("doc_id")
    @classmethod
    def _doc_id(cls, value: str | None) -> str | None:
        return None if value is None else check_doc_id(value)


def check_text(value: str) -> str:
    """Refuse text that is empty or binary data (NUL or other control characters)."""
    if not value.strip():
        raise ValueError("the document has no text")
    if any(ord(ch) < 32 and ch not in "\t\n\r\f" for ch in value):
        raise ValueError("the text contains control characters: binary data is not a release")
    return value


def check_doc_id(value: str) -> str:
    """Ids are names, not paths: no slashes, no '..', nothing invisible."""
    if any(ch in value for ch in "/\\") or value in {".", ".."} or not value.isprintable() or value != value.strip():
        raise ValueError("doc_id must be a plain name: no slashes, '..', control characters or outer spaces")
    return value


MAX_SPAN_CHARS = 1000  # an answer or a correction is a span, not a passage


class AnswerRef(BaseModel):
    """An answer as PressQA gave it: its text and where it stands."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_SPAN_CHARS)
    doc_id: str = Field(min_length=1, max_length=200)
    start: int = Field(ge=0)
    end: int = Field(ge=1)

    @field_validator("doc_id")
    @classmethod
    def _doc_id(cls, value: str) -> str:
        return check_doc_id(value)


class SpanIn(BaseModel):
    """A span the user selected as the right answer: offsets into a release (the answer's, by default)."""

    model_config = ConfigDict(extra="forbid")

    doc_id: str | None = Field(default=None, min_length=1, max_length=200)
    start: int = Field(ge=0)
    end: int = Field(ge=1)

    @model_validator(mode="after")
    def _span(self) -> "SpanIn":
        if self.end <= self.start:
            raise ValueError("end must be after start")
        if self.end - self.start > MAX_SPAN_CHARS:
            raise ValueError(f"a correct answer is a span of at most {MAX_SPAN_CHARS} characters")
        if self.doc_id is not None:
            check_doc_id(self.doc_id)
        return self


class FeedbackIn(BaseModel):
    """A user's verdict on one answer, with the right span when they selected one."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(description="The question as it was answered (`understood_as` for a follow-up).")
    answer: AnswerRef
    verdict: Literal["right", "wrong"]
    correct: SpanIn | None = Field(default=None, description="Only with 'wrong': where the right answer is.")

    @field_validator("question")
    @classmethod
    def _question(cls, value: str) -> str:
        return check_question(value)

    @model_validator(mode="after")
    def _correct_only_when_wrong(self) -> "FeedbackIn":
        if self.correct is not None and self.verdict != "wrong":
            raise ValueError("a correct answer goes with the verdict 'wrong'")
        return self

    def to_feedback(self) -> Feedback:
        a, c = self.answer, self.correct
        return Feedback(
            self.question,
            a.text,
            a.doc_id,
            a.start,
            a.end,
            self.verdict,
            correct_doc_id=(c.doc_id or a.doc_id) if c else None,
            correct_start=c.start if c else None,
            correct_end=c.end if c else None,
        )


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


NAME_LABELS = frozenset({"ORG", "PRODUCT", "PERSON"})
MAX_NAMES = 4


def answer_names(answer: Answer, passage: Passage | None, question: str) -> list[str]:
    """The names an answer leads on to: the question's names and codes its passage holds ("CT041"), then the
    organisations, products and people of the answer's sentence, each once, at most `MAX_NAMES`."""
    if passage is None:
        return []
    chunk = passage.chunk
    asked = [m.group(0) for term in key_terms(question) if (m := re.search(re.escape(term), question, re.I))]
    names = [n for n in asked if n.lower() in chunk.text.lower()]
    sentence = answer.sentence
    for entity in chunk.entities:
        if entity.label in NAME_LABELS and sentence and entity.within(sentence):
            names.append(re.sub(r"^the ", "", chunk.text[entity.start - chunk.start : entity.end - chunk.start]))
    unique: dict[str, str] = {}
    for name in names:
        unique.setdefault(name.lower(), name)
    return list(unique.values())[:MAX_NAMES]


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
