"""Typed records that flow through the pipeline: documents, chunks, passages and answers."""

from dataclasses import dataclass, field


@dataclass
class Document:
    """A press release; every offset in PressQA points into `text`."""

    doc_id: str
    text: str
    title: str
    date: str | None = None  # ISO 8601
    url: str | None = None
    source: str | None = None  # file the release was read from


@dataclass
class Span:
    """A labelled character span in a document (an entity, noun chunk or sentence)."""

    start: int
    end: int
    label: str = ""

    def within(self, outer: "Span") -> bool:
        return self.start >= outer.start and self.end <= outer.end


@dataclass
class Chunk:
    """A run of whole sentences of one document: `doc.text[start:end] == text`."""

    doc_id: str
    start: int
    end: int
    text: str
    sentences: list[Span] = field(default_factory=list)
    entities: list[Span] = field(default_factory=list)
    noun_chunks: list[Span] = field(default_factory=list)
    chunk_id: int | None = None


@dataclass
class Passage:
    """A retrieved chunk with its document's metadata and retrieval score."""

    chunk: Chunk
    title: str
    date: str | None
    source: str | None
    score: float
    dense_score: float | None = None
    also_published_by: list[Document] = field(default_factory=list)  # the other releases of its family (metadata only)


@dataclass
class Answer:
    """An extractive answer: `doc.text[start:end] == text`."""

    text: str
    score: float
    doc_id: str
    start: int
    end: int
    chunk_id: int | None = None
    sentence: Span | None = None
