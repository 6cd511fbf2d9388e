"""Group a document's sentences into chunks that fit the embedding model's window."""

from collections.abc import Callable

from pressqa.ingest.analyze import Analysis
from pressqa.schema import Chunk, Document, Span


def chunk_document(
    doc: Document,
    analysis: Analysis,
    count_tokens: Callable[[str], int],
    max_tokens: int = 256,
    overlap: int = 1,
) -> list[Chunk]:
    """Whole-sentence chunks of at most `max_tokens` (title included), overlapping by `overlap` sentences.

    A single sentence longer than the budget becomes a chunk of its own rather than being cut.
    """
    sentences = analysis.sentences
    budget = max(8, max_tokens - count_tokens(doc.title) - 2)  # 2: the [CLS]/[SEP] pair
    lengths = [count_tokens(doc.text[s.start : s.end]) for s in sentences]
    groups: list[tuple[int, int]] = []
    first = 0
    while first < len(sentences):
        last, used = first, lengths[first]
        while last + 1 < len(sentences) and used + lengths[last + 1] <= budget:
            last += 1
            used += lengths[last]
        groups.append((first, last))
        if last + 1 >= len(sentences):
            break
        first = max(last + 1 - overlap, first + 1)
    return [_make_chunk(doc, analysis, sentences[a : b + 1]) for a, b in groups]


def _make_chunk(doc: Document, analysis: Analysis, sentences: list[Span]) -> Chunk:
    start, end = sentences[0].start, sentences[-1].end
    return Chunk(
        doc_id=doc.doc_id,
        start=start,
        end=end,
        text=doc.text[start:end],
        sentences=list(sentences),
        entities=_within(analysis.entities, start, end),
        noun_chunks=_within(analysis.noun_chunks, start, end),
    )


def _within(spans: list[Span], start: int, end: int) -> list[Span]:
    return [s for s in spans if s.start >= start and s.end <= end]
