"""An entity's timeline: the releases that mention a company, product or person, newest first, each with the one
sentence that best says what happened.

Releases that name the entity exactly come first; retrieval (BM25) then adds releases that hold every word of a
longer name apart ("CARsgen … CT041"). A family of re-posts shows once, through its earliest release.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from pressqa.retrieval.index import Index
from pressqa.schema import Document, Span

# Verbs that say something happened: the sentence holding one of them, and the name, tells the release's news.
_EVENT = re.compile(
    r"\b(?:announc|receiv|grant|award|approv|clear|sign|reach|launch|sentenc|plead|pled|agree|charg|indict|"
    r"convict|acquir|rais|complet|enter|initiat|start|report|file|settl|expand|partner|collaborat|join|"
    r"appoint|name|recogni|earn|dos|enrol|present|publish|submit)\w*",
    re.IGNORECASE,
)
RELATED_POOL = 100  # BM25 passages searched for releases that hold the name's words apart


@dataclass
class TimelineEntry:
    doc: Document  # with its text until `describe` has read it; metadata only after
    match: str  # 'name': the exact name; 'words': every word of it in one sentence
    also_published_by: list[Document] = field(default_factory=list)
    sentence: Span | None = None  # document offsets of the sentence that says what happened (`describe`)
    sentence_text: str = ""


NEAR_WORDS = 3  # a name's words held apart: at most this many words between two of them ("Aria O. Sabit")


def mentions(text: str, name: str) -> bool:
    """Whether `text` holds `name` as whole words, ignoring case ("CT041" is not in "CT0412")."""
    return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.IGNORECASE) is not None


def mentions_near(text: str, words: list[str]) -> bool:
    """Whether `text` holds `words` in their order, each a whole word, with few words between: "CARsgen’s CT041"
    for "CARsgen CT041", "Aria O. Sabit" for "Aria Sabit", but not three words scattered over a sentence."""
    gap = rf"(?:\W+[\w’'.-]+){{0,{NEAR_WORDS}}}?\W+"
    pattern = gap.join(re.escape(w) for w in words)
    return re.search(rf"(?<!\w){pattern}(?!\w)", text, re.IGNORECASE) is not None


def timeline(
    index: Index,
    name: str,
    date_from: str | None = None,
    date_to: str | None = None,
    keep: Callable[[Document], bool] | None = None,
) -> list[TimelineEntry]:
    """Every release (one per family) that mentions `name` (and passes `keep`, before families are formed: a
    re-post that passes stands for its family): dated ones newest first, then the undated.

    The entries have no sentence yet: `describe` the page shown."""
    found = naming(index, name, date_from, date_to)
    kept = [TimelineEntry(doc, match) for doc, match in found.values() if keep is None or keep(doc)]
    entries = _one_per_family(index, kept)
    dated = sorted((e for e in entries if e.doc.date), key=lambda e: (e.doc.date, e.doc.doc_id), reverse=True)
    undated = sorted((e for e in entries if not e.doc.date), key=lambda e: e.doc.doc_id)
    return dated + undated


def naming(
    index: Index, name: str, date_from: str | None = None, date_to: str | None = None
) -> dict[str, tuple[Document, str]]:
    """Every release that names `name` (each re-post too), by id, with how: 'name' (the exact name) or 'words'
    (every word of it held close together). What a timeline lists and what the `names` filter keeps."""
    exact = [d for d in index.store.containing(name, date_from, date_to) if mentions(f"{d.title}\n{d.text}", name)]
    found = {d.doc_id: (d, "name") for d in exact}
    for doc in _holding_every_word(index, name, date_from, date_to):
        found.setdefault(doc.doc_id, (doc, "words"))
    return found


def _holding_every_word(index: Index, name: str, date_from: str | None, date_to: str | None) -> list[Document]:
    """Releases among BM25's best passages for `name` with a sentence (or title) holding its words close together
    (`mentions_near`). Words scattered over a release say nothing of the name."""
    words = _words(name)
    if len(words) < 2:
        return []
    allowed = index.store.chunk_ids(None, date_from, date_to) if date_from or date_to else None
    hits = index.search_bm25(name, RELATED_POOL, allowed)
    doc_ids = dict.fromkeys(index.store.chunk_documents([i for i, _ in hits]).values())
    found = []
    for doc in filter(None, (index.store.document(doc_id) for doc_id in doc_ids)):
        sentences = [doc.title] + [
            doc.text[s.start : s.end] for c in index.store.document_chunks(doc.doc_id) for s in c.sentences
        ]
        if any(mentions_near(sentence, words) for sentence in sentences):
            found.append(doc)
    return found


def describe(index: Index, entries: list[TimelineEntry], name: str) -> list[TimelineEntry]:
    """Give each entry (a page of a timeline: sentences cost a read each) its sentence; texts are let go."""
    for entry in entries:
        doc = entry.doc
        entry.sentence = best_sentence(index, doc, name)
        entry.sentence_text = doc.text[entry.sentence.start : entry.sentence.end]
        entry.doc = Document(doc.doc_id, "", doc.title, doc.date, doc.url, doc.source)
    return entries


LEDE = 3  # a release says what happened in its first sentences


def best_sentence(index: Index, doc: Document, name: str) -> Span:
    """The sentence that says what happened to `name`.

    A release about the entity (its title or lede names it) says what happened in its lede: the first of its
    first sentences that names it, else the first that has an event verb ("received", "sentenced"). A release
    that only mentions it gives the first sentence naming it with an event verb, else the first naming it."""
    sentences = sorted({(s.start, s.end) for c in index.store.document_chunks(doc.doc_id) for s in c.sentences})
    # The headline repeated as the text's first line says less than the sentence under it.
    sentences = [s for s in sentences if doc.text[s[0] : s[1]].strip() != doc.title.strip()] or sentences
    if not sentences:
        return Span(0, min(len(doc.text), 300))
    words = _words(name)
    naming = [s for s in sentences if mentions_near(doc.text[s[0] : s[1]], words)]
    lede = sentences[:LEDE]
    happening = [s for s in sentences if _EVENT.search(doc.text[s[0] : s[1]])]
    if naming and naming[0] in lede:
        chosen = naming[0]
    elif mentions_near(doc.title, words):
        chosen = next((s for s in lede if s in happening), lede[0])
    else:
        chosen = next((s for s in naming if s in happening), naming[0] if naming else sentences[0])
    return Span(*chosen)


def _words(name: str) -> list[str]:
    return re.findall(r"\w[\w.'-]*", name)


def _one_per_family(index: Index, entries: list[TimelineEntry]) -> list[TimelineEntry]:
    """The earliest release of each family stands for it; the others are listed as also published by."""
    family = index.families.families({e.doc.doc_id for e in entries})
    groups: dict[object, list[TimelineEntry]] = {}
    for entry in entries:
        groups.setdefault(family.get(entry.doc.doc_id, entry.doc.doc_id), []).append(entry)
    kept = []
    for group in groups.values():
        group.sort(key=lambda e: (e.match != "name", e.doc.date or "9999", e.doc.doc_id))
        first, others = group[0], group[1:]
        first.also_published_by = [e.doc for e in others]
        kept.append(first)
    return kept
