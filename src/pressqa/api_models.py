"""Request and response bodies of the HTTP API (also what `pressqa ask --json` prints)."""

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pressqa.config import get_settings
from pressqa.qa import AskResult
from pressqa.retrieve import Filters, Mode
from pressqa.schema import Answer, Document, Passage


class FiltersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date_from: dt.date | None = Field(default=None, description="Earliest publication date (YYYY-MM-DD).")
    date_to: dt.date | None = Field(default=None, description="Latest publication date (YYYY-MM-DD).")
    doc_ids: list[str] | None = Field(default=None, max_length=1000, description="Only these documents.")

    @model_validator(mode="after")
    def _ordered(self) -> "FiltersIn":
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError("date_from must not be after date_to")
        return self


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(description="A question about the releases.", examples=["When did CT041 receive RMAT?"])
    top_k: int | None = Field(default=None, ge=1, description="Passages to return (default from settings).")
    mode: Mode = Mode.hybrid
    filters: FiltersIn | None = None

    @field_validator("question")
    @classmethod
    def _question(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("the question is empty")
        limit = get_settings().max_question_chars
        if len(value) > limit:
            raise ValueError(f"the question is longer than {limit} characters")
        if any(ord(ch) < 32 for ch in value):
            raise ValueError("the question contains control characters")
        return value

    @field_validator("top_k")
    @classmethod
    def _top_k(cls, value: int | None) -> int | None:
        limit = get_settings().max_top_k
        if value is not None and value > limit:
            raise ValueError(f"top_k must be at most {limit}")
        return value

    def to_filters(self) -> Filters | None:
        if not self.filters:
            return None
        f = self.filters
        return Filters(
            date_from=f.date_from.isoformat() if f.date_from else None,
            date_to=f.date_to.isoformat() if f.date_to else None,
            doc_ids=f.doc_ids,
        )


class AnswerOut(BaseModel):
    text: str
    score: float = Field(ge=0, le=1)
    doc_id: str
    start: int = Field(description="Character offset into the document text.")
    end: int
    chunk_id: int | None = Field(default=None, description="The cited passage.")


class PassageOut(BaseModel):
    doc_id: str
    chunk_id: int | None
    title: str
    date: str | None
    source: str | None
    text: str
    start: int
    end: int
    score: float


class AskResponse(BaseModel):
    answer: AnswerOut | None = Field(description="null when the releases don't answer the question.")
    passages: list[PassageOut]
    timings_ms: dict[str, float]


class DocumentSummary(BaseModel):
    doc_id: str
    title: str
    date: str | None
    url: str | None
    source: str | None


class DocumentOut(DocumentSummary):
    text: str


class Health(BaseModel):
    status: str
    model: str
    documents: int
    chunks: int
    version: str


def answer_out(answer: Answer) -> AnswerOut:
    return AnswerOut(
        text=answer.text,
        score=round(answer.score, 4),
        doc_id=answer.doc_id,
        start=answer.start,
        end=answer.end,
        chunk_id=answer.chunk_id,
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
    )


def ask_response(result: AskResult) -> AskResponse:
    return AskResponse(
        answer=answer_out(result.answer) if result.answer else None,
        passages=[passage_out(p) for p in result.passages],
        timings_ms=result.timings_ms,
    )


def document_summary(doc: Document) -> DocumentSummary:
    return DocumentSummary(doc_id=doc.doc_id, title=doc.title, date=doc.date, url=doc.url, source=doc.source)


def document_out(doc: Document) -> DocumentOut:
    return DocumentOut(text=doc.text, **document_summary(doc).model_dump())
