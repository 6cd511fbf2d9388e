"""Writes from the API: add or replace one release, or remove one, saved before the caller hears back.

`Writer` is the interface the API writes through; `IndexWriter` writes here, under the index lock, and
`pressqa.cluster.serve` forwards to one `IndexWriter` for every Ray Serve replica.
"""

from typing import Protocol

from pressqa.background import shared_background
from pressqa.ingest.load import content_hash
from pressqa.ingest.pipeline import Prepared, add_prepared, family_rule, prepare
from pressqa.ingest.prepare_worker import load_in, prepare_in
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

    def warm_up(self) -> None:
        """Load what writes need, so that the first one does not wait seconds for the models."""
        ...


class IndexWriter:
    """Writes to the live index of this process. The slow part (analysing and embedding) runs outside the lock,
    in the background process unless `background_writes` is off."""

    def __init__(self, components: Components, live: LiveIndex) -> None:
        self.components = components
        self.live = live

    def add_document(self, doc: Document, origin: str = "api") -> tuple[str, int]:
        doc_hash = content_hash(doc)
        with self.live.reading() as index:
            if index.store.document_hash(doc.doc_id) == doc_hash:
                return "unchanged", index.store.document_chunk_count(doc.doc_id)
        prepared = self._prepare(doc, doc_hash, origin)
        with self.live.writing() as index:
            known = index.store.document_hash(doc.doc_id)
            if known == doc_hash:  # the same release arrived meanwhile
                return "unchanged", index.store.document_chunk_count(doc.doc_id)
            chunks = add_prepared(index, prepared, family_rule(self.components.settings))
        return ("updated" if known else "added"), chunks

    def warm_up(self) -> None:
        c = self.components
        if c.settings.background_writes:
            load_in(shared_background(c.settings.write_nice), c.settings)
        else:
            c.embedder.model  # noqa: B018
            c.analyzer.nlp  # noqa: B018

    def _prepare(self, doc: Document, doc_hash: str, origin: str) -> list[Prepared]:
        """Analysed and embedded in the background process (questions keep the CPU), or here when that is off."""
        c = self.components
        if c.settings.background_writes:
            return prepare_in(shared_background(c.settings.write_nice), [(doc, doc_hash, origin)], c.settings)
        return prepare([(doc, doc_hash, origin)], c.settings, c.embedder, c.analyzer)

    def remove_document(self, doc_id: str) -> bool:
        with self.live.reading() as index:
            if index.store.document_hash(doc_id) is None:
                return False
        with self.live.writing() as index:
            return index.remove([doc_id]) > 0
