"""Request bodies of the HTTP API and their checks (the responses: `api_responses`)."""

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from pressqa.reader.question import asks_for_list
from pressqa.retrieval.feedback_table import Feedback
from pressqa.retrieval.retrieve import Filters, Mode
from pressqa.service.conversation import Request, Turn
from pressqa.service.filters import Narrowing


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
    """One line of printable characters, spaces collapsed (its length is the app's limit: `request_limits`)."""
    value = " ".join(value.split())
    if not value:
        raise ValueError("the question is empty")
    if any(ord(ch) < 32 for ch in value):
        raise ValueError("the question contains control characters")
    return value


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


# One check per kind of field, shared by every request that has one.
Question = Annotated[str, AfterValidator(check_question)]
DocId = Annotated[str, AfterValidator(check_doc_id)]
ReleaseText = Annotated[str, AfterValidator(check_text)]


class ContextIn(BaseModel):
    """The conversation so far, for a follow-up question: the previous question and its answer's release."""

    model_config = ConfigDict(extra="forbid")

    question: Question = Field(
        description="The previous question, as it was understood.", examples=["When did CT041 receive RMAT?"]
    )
    doc_id: DocId | None = Field(default=None, max_length=200, description="The release the previous answer cited.")
    answer: str | None = Field(
        default=None,
        max_length=300,
        description="The previous answer's text: 'he', 'she' or 'it' in a follow-up may stand for it.",
        examples=["Dr. Li Zonghai"],
    )


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: Question = Field(description="A question about the releases.", examples=["When did CT041 receive RMAT?"])
    top_k: int | None = Field(default=None, ge=1, description="Passages to return (default from settings).")
    mode: Mode = Mode.hybrid
    filters: FiltersIn | None = None
    answers: Annotated[int, Field(ge=1)] | Literal["auto"] = Field(
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

    def answer_count(self, understood_as: str | None, auto: int) -> int:
        """How many answers to give: `answers`, with 'auto' resolved from the wording of the question (as it was
        understood, for a follow-up): `auto` answers for a list, else one."""
        if self.answers != "auto":
            return self.answers
        return auto if asks_for_list(understood_as or self.question) else 1

    def to_request(self, deadline: float | None, auto: int) -> Request:
        """The question with its options (a list's count is decided again once a follow-up is understood)."""
        count = self.answer_count(None, auto)
        args = (self.question, self.top_k, self.mode, self.to_filters(), count, self.order == "date")
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

    text: ReleaseText | None = Field(
        default=None, min_length=1, description="The release's text; without it, `url` is fetched (if enabled)."
    )
    doc_id: DocId | None = Field(
        default=None, min_length=1, max_length=200, description="Id to file it under (default: from its text)."
    )
    title: str | None = Field(default=None, max_length=500, description="Default: the first line.")
    date: dt.date | None = Field(default=None, description="Publication date (default: from the dateline).")
    url: str | None = Field(default=None, max_length=2000)
    source: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _text_or_url(self) -> "DocumentIn":
        if self.text is None and not self.url:
            raise ValueError("send the release's 'text', or a 'url' to fetch it from")
        return self


MAX_SPAN_CHARS = 1000  # an answer or a correction is a span, not a passage


class AnswerRef(BaseModel):
    """An answer as PressQA gave it: its text and where it stands."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_SPAN_CHARS)
    doc_id: DocId = Field(min_length=1, max_length=200)
    start: int = Field(ge=0)
    end: int = Field(ge=1)


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

    question: Question = Field(description="The question as it was answered (`understood_as` for a follow-up).")
    answer: AnswerRef
    verdict: Literal["right", "wrong"]
    correct: SpanIn | None = Field(default=None, description="Only with 'wrong': where the right answer is.")

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
