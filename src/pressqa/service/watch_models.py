"""Request and response bodies of the saved questions' endpoints (`/watches`)."""

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pressqa.retrieval.watch_table import Hit, Watch
from pressqa.schema import Document
from pressqa.service.api_models import FiltersIn, Question


class WatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: Question = Field(
        description="The question to ask of every release added from now on.",
        examples=["Has CARsgen received a new FDA designation?"],
    )
    min_confidence: float | None = Field(
        default=None,
        ge=0.0,
        le=1.0,
        description="The least answer score that makes a hit (default: the server's watch_threshold, 0.8).",
    )
    filters: FiltersIn | None = Field(
        default=None,
        description="Only new releases that pass these are asked it: date_from, date_to, source, names.",
        examples=[{"names": ["CARsgen"], "source": "globenewswire.com"}],
    )
    webhook_url: str | None = Field(
        default=None,
        max_length=2000,
        description="New hits are POSTed here as JSON, signed (X-PressQA-Signature: sha256=HMAC of "
        "'<X-PressQA-Timestamp>.<body>' with the secret returned once, on creation).",
        examples=["https://alerts.example.com/pressqa"],
    )

    @field_validator("filters")
    @classmethod
    def _filters(cls, value: FiltersIn | None) -> FiltersIn | None:
        if value is not None and value.doc_ids is not None:
            raise ValueError("doc_ids cannot narrow a saved question: it is asked of releases not added yet")
        return value

    def stored_filters(self) -> dict | None:
        return self.filters.model_dump(mode="json", exclude_none=True) or None if self.filters else None


class WatchOut(BaseModel):
    id: int
    question: str
    min_confidence: float | None
    created: str = Field(description="When the question was saved (ISO 8601, UTC).")
    hits: int = Field(default=0, description="Releases found to answer it so far.")
    filters: FiltersIn | None = None
    webhook_url: str | None = None
    dead_letters: int = Field(default=0, description="Hits whose webhook delivery failed after every retry.")


class WatchCreated(WatchOut):
    secret: str | None = Field(
        default=None, description="The webhook's signing secret: shown this once, keep it with the receiver."
    )


class HitOut(BaseModel):
    id: int
    watch_id: int
    doc_id: str = Field(description="The release that answered the saved question.")
    answer: str = Field(description="The span: the release's text[start:end].")
    start: int
    end: int
    score: float = Field(description="The answer's calibrated score.")
    found: str = Field(description="When the release was found to answer it (ISO 8601, UTC).")
    title: str | None = None
    date: str | None = None
    url: str | None = None


def watch_out(watch: Watch, hits: int = 0, dead_letters: int = 0) -> WatchOut:
    return WatchOut(
        id=watch.id,
        question=watch.question,
        min_confidence=watch.min_confidence,
        created=watch.created,
        hits=hits,
        filters=FiltersIn.model_validate_json(watch.filters) if watch.filters else None,
        webhook_url=watch.webhook_url,
        dead_letters=dead_letters,
    )


def watch_created(watch: Watch) -> WatchCreated:
    return WatchCreated(**watch_out(watch).model_dump(), secret=watch.secret)


def hit_out(hit: Hit, doc: Document | None = None) -> HitOut:
    """A hit with its release's title and date (`doc`: the release's metadata, when it is still indexed)."""
    return HitOut(
        id=hit.id or 0,
        watch_id=hit.watch_id,
        doc_id=hit.doc_id,
        answer=hit.answer,
        start=hit.start,
        end=hit.end,
        score=round(hit.score, 4),
        found=hit.found,
        title=doc.title if doc else None,
        date=doc.date if doc else None,
        url=doc.url if doc else None,
    )
