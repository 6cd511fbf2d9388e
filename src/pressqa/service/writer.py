"""Writes from the API: add or replace one release, or remove one, saved before the caller hears back.

`Writer` is the interface the API writes through; `IndexWriter` writes here, under the index lock, and
`pressqa.cluster.serve` forwards to one `IndexWriter` for every Ray Serve replica.
"""

from typing import Protocol

from pressqa.ingest.load import content_hash
from pressqa.ingest.pipeline import add_prepared, family_rule, prepare
from pressqa.schema import Document
from pressqa.service.components import Components
from pressqa.service.live_index import LiveIndex


class Writer(Protocol):
    def add_document(self, doc: Document, origin: str = "api") -> tuple[str, int]:
        """Index one release and save it: ('added' | 'updated' | 'unchanged', its chunk count)."""
        ...

    def remove_document(self, doc_id: str) -> bool:
        """Drop one release and save; False when there was none with that id."""
        ...


class IndexWriter:
    """Writes to the live index of this process. The slow part (analysing and embedding) runs outside the lock."""

    def __init__(self, components: Components, live: LiveIndex) -> None:
        self.components = components
        self.live = live

    def add_document(self, doc: Document, origin: str = "api") -> tuple[str, int]:
        doc_hash = content_hash(doc)
        with self.live.reading() as index:
            if index.store.document_hash(doc.doc_id) == doc_hash:
                return "unchanged", index.store.document_chunk_count(doc.doc_id)
        c = self.components
        prepared = prepare([(doc, doc_hash, origin)], c.settings, c.embedder, c.analyzer)
        with self.live.writing() as index:
            known = index.store.document_hash(doc.doc_id)
            if known == doc_hash:  # the same release arrived meanwhile
                return "unchanged", index.store.document_chunk_count(doc.doc_id)
            chunks = add_prepared(index, prepared, family_rule(c.settings))
        return ("updated" if known else "added"), chunks

    def remove_document(self, doc_id: str) -> bool:
        with self.live.reading() as index:
            if index.store.document_hash(doc_id) is None:
                return False
        with self.live.writing() as index:
            return index.remove([doc_id]) > 0
