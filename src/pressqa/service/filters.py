"""Filters users narrow answers by, beyond dates: where a release came from, and whom it names.

`source` keeps the releases whose recorded source is the value (a file, a feed, `api`), or whose URL is on that
domain or below it ("justice.gov" keeps www.justice.gov's releases). `names` keeps the releases that name every
one of the names, matched as a timeline matches them (whole words, or every word of the name close together).
Both become a list of release ids before retrieval, so the reader only ever sees releases that passed.
"""

from dataclasses import dataclass
from urllib.parse import urlsplit

from pressqa.retrieval.index import Index
from pressqa.retrieval.retrieve import Filters
from pressqa.schema import Document
from pressqa.service.timeline import mentions, mentions_near, naming


@dataclass(frozen=True)
class Narrowing:
    source: str | None = None
    names: tuple[str, ...] = ()

    def active(self) -> bool:
        return bool(self.source or self.names)


def from_source(doc: Document, source: str) -> bool:
    """Whether the release came from `source`: its recorded source, or its URL's (or source's) domain."""
    value = source.strip().lower().rstrip("/")
    recorded = (doc.source or "").lower().rstrip("/")
    if recorded == value:
        return True
    hosts = [urlsplit(a).hostname or "" for a in (doc.url, doc.source) if a and "://" in a]
    if recorded and "/" not in recorded:
        hosts.append(recorded)  # a fetched page records its host as its source
    return any(host == value or host.endswith("." + value) for host in hosts)


def names_all(doc: Document, names: tuple[str, ...]) -> bool:
    """Whether the release (its title and text) names every one of `names`."""
    text = f"{doc.title}\n{doc.text}"
    return all(mentions(text, name) or mentions_near(text, name.split()) for name in names)


def narrowed(index: Index, filters: Filters | None, narrowing: Narrowing | None) -> Filters | None:
    """`filters` with the narrowing's releases as its ids (none at all when nothing passes)."""
    if narrowing is None or not narrowing.active():
        return filters
    base = filters or Filters()
    ids: set[str] | None = set(base.doc_ids) if base.doc_ids is not None else None
    if narrowing.source:
        kept = {d.doc_id for d in index.store.documents() if from_source(d, narrowing.source)}
        ids = kept if ids is None else ids & kept
    for name in narrowing.names:
        kept = set(naming(index, name, base.date_from, base.date_to))
        ids = kept if ids is None else ids & kept
    return Filters(date_from=base.date_from, date_to=base.date_to, doc_ids=sorted(ids or ()))


def passes(
    doc: Document, narrowing: Narrowing | None, date_from: str | None = None, date_to: str | None = None
) -> bool:
    """Whether one release (with its text) passes the filters: what a saved question checks a new release by."""
    if date_from and (not doc.date or doc.date < date_from):
        return False
    if date_to and (not doc.date or doc.date > date_to):
        return False
    if narrowing is None:
        return True
    if narrowing.source and not from_source(doc, narrowing.source):
        return False
    return names_all(doc, narrowing.names)
