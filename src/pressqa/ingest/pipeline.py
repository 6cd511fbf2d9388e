"""Bring the index in line with a set of files: embed new or changed releases, drop deleted ones."""

import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from pressqa.config import Settings
from pressqa.ingest.analyze import Analyzer
from pressqa.ingest.chunk import chunk_document
from pressqa.ingest.families import FamilyRule, assign_family, signature
from pressqa.ingest.fetch import Fetcher, FetchError
from pressqa.ingest.load import content_hash, load_paths
from pressqa.progress import on_terminal
from pressqa.retrieval.dense import AnnConfig
from pressqa.retrieval.embed import Embedder, passage_text
from pressqa.retrieval.index import Index
from pressqa.retrieval.manifest import FORMAT, MANIFEST, index_lock, manifest_json
from pressqa.schema import Chunk, Document


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    chunks: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)


def chunking_settings(settings: Settings) -> dict:
    return {"max_tokens": settings.chunk_tokens, "overlap_sentences": settings.chunk_overlap_sentences}


def open_for_writing(settings: Settings, embedder: Embedder, rebuild: bool = False) -> Index:
    """The existing index, or a new one when asked, absent, or built with another format, model or chunking.

    The caller holds the index lock for writing.
    """
    path = settings.index_dir
    if not rebuild and (path / MANIFEST).exists():
        manifest = manifest_json(path)  # unreadable: raise, don't guess; the store may hold releases
        wanted = {"format": FORMAT, "model": settings.model_name, "dimension": embedder.dimension}
        wanted["chunking"] = chunking_settings(settings)
        if isinstance(manifest, dict) and all(manifest.get(k) == v for k, v in wanted.items()):
            index = Index.load(path, settings.model_name, embedder.dimension, locked=True)
            index.manifest["ann"] = asdict(ann_config(settings))  # takes effect at the next save
            return index
    chunking = chunking_settings(settings)
    return Index.create(path, settings.model_name, embedder.dimension, chunking, ann_config(settings))


def family_rule(settings: Settings) -> FamilyRule | None:
    """The rule that groups releases into families; None when grouping is off."""
    if not settings.families:
        return None
    return FamilyRule(settings.family_threshold, settings.family_max_days, settings.family_max_fact_changes)


def ann_config(settings: Settings) -> AnnConfig:
    return AnnConfig(
        threshold=settings.ann_threshold,
        kind=settings.ann_kind,
        ef_search=settings.ann_ef_search,
        nprobe=settings.ann_nprobe,
        hnsw_storage=settings.ann_hnsw_storage,
    )


Preparer = Callable[[list[tuple[Document, str, str]]], Iterable["Prepared"]]


def ingest(
    paths: list[Path],
    settings: Settings,
    embedder: Embedder,
    analyzer: Analyzer,
    rebuild: bool = False,
    progress: bool = False,
    preparer: Preparer | None = None,
    urls: list[str] | None = None,
) -> IngestReport:
    """Sync the index with the releases under `paths`; each path is its own origin for deletions.

    `preparer` does the slow part (analyse, chunk, embed) and yields the releases in the order given; by
    default it runs here, and `pressqa.cluster.ingest` runs it on Ray workers. Either way this process is
    the one writer, under the index lock, and nothing is saved unless every release was added.
    """
    report = IngestReport()
    with writing_index(settings, embedder, rebuild) as index:
        todo: list[tuple[Document, str, str]] = []
        for root in paths:
            todo += _plan(index, root, report)
        if urls:
            todo += _plan_urls(index, urls, Fetcher.from_settings(settings), report)
        if preparer is None:
            prepared: Iterable[Prepared] = prepare(todo, settings, embedder, analyzer, progress)
        else:
            prepared = preparer(todo) if todo else []
        report.chunks = add_prepared(index, prepared, family_rule(settings), progress)
    return report


@contextmanager
def writing_index(settings: Settings, embedder: Embedder, rebuild: bool = False) -> Iterator[Index]:
    """The index at `settings.index_dir` under the writer lock, saved when the block ends without an error.

    Without `save()`, closing rolls the store back: nothing half-written stays."""
    with index_lock(settings.index_dir, exclusive=True):
        index = open_for_writing(settings, embedder, rebuild)
        try:
            yield index
            index.save()
        finally:
            index.close()


def ingest_documents(
    docs: list[Document],
    settings: Settings,
    embedder: Embedder,
    analyzer: Analyzer,
    origin: str,
    progress: bool = False,
) -> int:
    """A new index at `settings.index_dir` holding `docs` (releases not read from files: a SQuAD set, say).

    The same writer as `ingest` (`writing_index`): under the index lock, with the ANN settings, saved
    atomically. Returns the chunk count."""
    with writing_index(settings, embedder, rebuild=True) as index:
        docs_with_hashes = [(d, content_hash(d), origin) for d in docs]
        return add_documents(index, docs_with_hashes, settings, embedder, analyzer, progress)


WEB_ORIGIN = "web"  # releases fetched from URLs: updated when fetched again, never dropped by a folder's sync


def _plan_urls(index: Index, urls: list[str], fetcher: Fetcher, report: IngestReport) -> list:
    """Fetch each URL; (document, hash, origin) for the new or changed releases, failures reported by URL.

    The fetcher is this run's: it is closed when done."""
    known = index.store.hashes(WEB_ORIGIN)
    todo: list[tuple[Document, str, str]] = []
    try:
        for url in urls:
            try:
                todo += _changed(fetcher.documents(url), known, WEB_ORIGIN, report)
            except FetchError as exc:
                report.errors.append((url, str(exc)))
    finally:
        fetcher.close()
    return todo


def _changed(docs: list[Document], known: dict, origin: str, report: IngestReport) -> list[tuple[Document, str, str]]:
    """(document, hash, origin) for the releases new or changed against `known` hashes; counted in `report`."""
    todo = []
    for doc in docs:
        doc_hash = content_hash(doc)
        if known.get(doc.doc_id, ("", None))[0] == doc_hash:
            report.unchanged += 1
            continue
        (report.updated if doc.doc_id in known else report.added).append(doc.doc_id)
        todo.append((doc, doc_hash, origin))
    return todo


def _plan(index: Index, root: Path, report: IngestReport) -> list[tuple[Document, str, str]]:
    """Drop the releases gone from `root`; return (document, hash, origin) for the new or changed ones."""
    loaded = load_paths([root])
    report.errors += loaded.errors
    origin = str(root.resolve())
    known = index.store.hashes(origin)
    todo = _changed(loaded.documents, known, origin, report)
    seen = {d.doc_id for d in loaded.documents}
    failed = {Path(source).resolve() for source, _ in loaded.errors}
    gone = [d for d, (_, source) in known.items() if d not in seen and not _failed(source, root, failed)]
    index.remove(gone)
    report.removed += gone
    return todo


@dataclass
class Prepared:
    """A release analysed, chunked and embedded, ready to add to an index."""

    doc: Document
    doc_hash: str
    origin: str
    chunks: list[Chunk]
    vectors: np.ndarray
    sentence_vectors: list[np.ndarray]
    signature: np.ndarray | None  # MinHash of the text, to find the release's family (None: families are off)


def prepare(
    docs: list[tuple[Document, str, str]],
    settings: Settings,
    embedder: Embedder,
    analyzer: Analyzer,
    progress: bool = False,
) -> list[Prepared]:
    """Analyse, chunk and embed (document, hash, origin) triples: the slow part, done without any lock."""
    if not docs:
        return []
    if progress and not on_terminal():
        print(f"analysing {len(docs)} releases with spaCy …", file=sys.stderr, flush=True)
    analyses = analyzer.analyze([d for d, _, _ in docs])
    chunked = [
        chunk_document(doc, analysis, embedder.count_tokens, settings.chunk_tokens, settings.chunk_overlap_sentences)
        for (doc, _, _), analysis in zip(docs, analyses, strict=True)
    ]
    # One encode call for chunks and sentences keeps batches full and shows one progress bar.
    chunk_texts = [
        passage_text(doc.title, c.text) for (doc, _, _), chunks in zip(docs, chunked, strict=True) for c in chunks
    ]
    sentence_texts = [
        doc.text[s.start : s.end]
        for (doc, _, _), chunks in zip(docs, chunked, strict=True)
        for c in chunks
        for s in c.sentences
    ]
    # Overlapping chunks share sentences, and releases repeat boilerplate: each text is embedded once.
    unique = list(dict.fromkeys(sentence_texts))
    vectors = embedder.encode(chunk_texts + unique, progress=progress)
    chunk_vectors = vectors[: len(chunk_texts)]
    row = {text: len(chunk_texts) + i for i, text in enumerate(unique)}
    sentence_vectors = vectors[[row[text] for text in sentence_texts]]
    prepared, c_pos, s_pos = [], 0, 0
    for (doc, doc_hash, origin), chunks in zip(docs, chunked, strict=True):
        per_chunk = []
        for c in chunks:
            per_chunk.append(sentence_vectors[s_pos : s_pos + len(c.sentences)])
            s_pos += len(c.sentences)
        vectors_here = chunk_vectors[c_pos : c_pos + len(chunks)]
        sig = signature(doc.text) if settings.families else None
        prepared.append(Prepared(doc, doc_hash, origin, chunks, vectors_here, per_chunk, sig))
        c_pos += len(chunks)
    return prepared


def add_prepared(
    index: Index, prepared: Iterable[Prepared], families: FamilyRule | None = None, progress: bool = False
) -> int:
    """Add prepared releases to `index` (not yet saved), each in its family; returns the chunk count."""
    if families:
        group_families(index, families, progress)
    chunks = 0
    for p in prepared:
        index.add(p.doc, p.doc_hash, p.chunks, p.vectors, p.sentence_vectors, p.origin)
        if families:
            sig = p.signature if p.signature is not None else signature(p.doc.text)
            assign_family(index.families, families, p.doc.doc_id, sig, p.doc.date, p.doc.text)
        chunks += len(p.chunks)
    return chunks


def refresh_families(settings: Settings, progress: bool = False) -> None:
    """Group the releases of the index at `settings.index_dir` when its families are missing or out of date."""
    rule = family_rule(settings)
    if rule is None:
        return
    with index_lock(settings.index_dir, exclusive=True):
        index = Index.load(settings.index_dir, settings.model_name, locked=True)
        try:
            if group_families(index, rule, progress):
                index.save()
        finally:
            index.close()


def group_families(index: Index, rule: FamilyRule, progress: bool = False) -> bool:
    """Bring the stored families in line with `rule`: all regrouped when the rule changed, and the releases in
    no family yet (an index from before families, or built with them off) grouped, oldest first.

    Returns whether anything changed (to save)."""
    changed = index.manifest.get("families") != rule.describe()
    if changed:
        index.families.clear()
        index.manifest["families"] = rule.describe()  # saved with the index
    ungrouped = index.families.ungrouped()
    if ungrouped and progress:
        print(f"grouping {len(ungrouped)} releases into families …", file=sys.stderr, flush=True)
    for doc_id, text, day in ungrouped:
        assign_family(index.families, rule, doc_id, signature(text), day, text)
    return changed or bool(ungrouped)


def add_documents(
    index: Index,
    docs: list[tuple[Document, str, str]],
    settings: Settings,
    embedder: Embedder,
    analyzer: Analyzer,
    progress: bool = False,
) -> int:
    """Analyse, chunk and embed `docs` and add them to `index` (not yet saved); returns the chunk count."""
    prepared = prepare(docs, settings, embedder, analyzer, progress)
    return add_prepared(index, prepared, family_rule(settings), progress)


def _failed(source: str | None, root: Path, failed: set[Path]) -> bool:
    """Whether a known document's file failed to load this time (it is kept, not dropped)."""
    return root.resolve() in failed or (source is not None and (root / source).resolve() in failed)
