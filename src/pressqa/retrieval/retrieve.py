"""Dense, BM25 and hybrid (reciprocal rank fusion) retrieval of passages from the index."""

import time
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from pressqa.retrieval.index import Index
from pressqa.schema import Passage
from pressqa.text import contained, shingles


class Mode(StrEnum):
    hybrid = "hybrid"
    dense = "dense"
    bm25 = "bm25"


@dataclass
class Filters:
    date_from: str | None = None
    date_to: str | None = None
    doc_ids: list[str] | None = None

    def active(self) -> bool:
        return bool(self.date_from or self.date_to or self.doc_ids is not None)


@dataclass
class Retrieved:
    passages: list[Passage]
    sentence_vectors: dict[int, np.ndarray]  # chunk id → its sentences' vectors, for the reader
    timings_ms: dict[str, float] = field(default_factory=dict)


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def rrf(rankings: list[list[int]], k: int = 60, weights: list[float] | None = None) -> list[tuple[int, float]]:
    """Reciprocal rank fusion: each id scores sum(weight / (k + rank)), ranks counted from 1."""
    scores: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights or [1.0] * len(rankings), strict=True):
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


RANKINGS = ("dense", "bm25", "sentence")


class Retriever:
    def __init__(
        self,
        index: Index,
        candidates: int = 50,
        rrf_k: int = 60,
        rankings: tuple[str, ...] = RANKINGS,
        bm25_weight: float = 1.0,
        families: bool = True,
    ) -> None:
        self.index = index
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.rankings = rankings  # which rankings hybrid mode fuses; dense and BM25 hits are the pool either way
        self.bm25_weight = bm25_weight
        self.families = families  # show one release of each family: re-posts would crowd out other releases

    def _by_best_sentence(self, query_vector: np.ndarray, ids: set[int]) -> list[int]:
        """Candidates ranked by their single closest sentence: questions usually target one sentence."""
        vectors = self.index.store.sentence_vectors(sorted(ids))
        best = {i: float((v.astype(np.float32) @ query_vector).max()) for i, v in vectors.items() if len(v)}
        return sorted(best, key=lambda i: -best[i])

    def retrieve(
        self,
        question: str,
        query_vector: np.ndarray | None,
        top_k: int,
        mode: Mode = Mode.hybrid,
        filters: Filters | None = None,
    ) -> Retrieved:
        t0 = time.perf_counter()
        allowed = None
        if filters and filters.active():
            allowed = self.index.store.chunk_ids(filters.doc_ids, filters.date_from, filters.date_to)
        dense = self.index.search_dense(query_vector, self.candidates, allowed) if mode != Mode.bm25 else []
        t1 = time.perf_counter()
        sparse = self.index.search_bm25(question, self.candidates, allowed) if mode != Mode.dense else []
        t2 = time.perf_counter()
        if mode == Mode.hybrid:
            weights = [self.bm25_weight if name == "bm25" else 1.0 for name in self.rankings]
            ranked = rrf(self._hybrid_rankings(query_vector, dense, sparse), self.rrf_k, weights)
        else:
            ranked = dense or sparse
        retrieved = self._passages(ranked, top_k, dict(dense))
        retrieved.timings_ms = {
            "dense": ms(t1 - t0),
            "bm25": ms(t2 - t1),
            "fusion": ms(time.perf_counter() - t2),  # sentence ranking, RRF and fetching the passages
        }
        return retrieved

    def _hybrid_rankings(self, query_vector: np.ndarray, dense: list, sparse: list) -> list[list[int]]:
        rankings = {"dense": [i for i, _ in dense], "bm25": [i for i, _ in sparse]}
        if "sentence" in self.rankings:
            rankings["sentence"] = self._by_best_sentence(query_vector, {i for r in rankings.values() for i in r})
        return [rankings[name] for name in self.rankings]

    def _passages(self, ranked: list[tuple[int, float]], top_k: int, dense: dict[int, float]) -> Retrieved:
        """The `top_k` best passages, of one release per family, each with the family's other releases."""
        family: dict[str, int] = {}
        if self.families and ranked:
            ranked, family = self._one_per_family(ranked, top_k)
        ranked = ranked[:top_k]
        found = self.index.store.chunks([i for i, _ in ranked])
        docs = self.index.store.metadata({chunk.doc_id for chunk, _ in found.values()})
        members = self.index.families.members({family[d] for d in docs if d in family}) if family else {}
        passages, vectors = [], {}
        for chunk_id, score in ranked:
            chunk, sentence_vectors = found[chunk_id]
            doc = docs[chunk.doc_id]
            others = [m for m in members.get(family.get(doc.doc_id, -1), []) if m.doc_id != doc.doc_id]
            passages.append(Passage(chunk, doc.title, doc.date, doc.source, float(score), dense.get(chunk_id), others))
            vectors[chunk_id] = sentence_vectors
        return Retrieved(passages, vectors)

    def _one_per_family(
        self, ranked: list[tuple[int, float]], top_k: int
    ) -> tuple[list[tuple[int, float]], dict[str, int]]:
        """The ranking without the passages that repeat a better-ranked release of their family.

        The best-ranked release of a family stands for it; another release's passage is dropped only when the
        standing release says all it says (a re-post may have cut a paragraph the original kept, or the other
        way round: that passage stays). Returns the families too."""
        doc_of = self.index.store.chunk_documents([i for i, _ in ranked])
        family = self.index.families.families(set(doc_of.values()))
        shown: dict[int, str] = {}  # family → the release that stands for it
        texts: dict[str, set[bytes]] = {}
        kept = []
        for chunk_id, score in ranked:
            doc_id = doc_of[chunk_id]
            standing = shown.setdefault(family[doc_id], doc_id) if doc_id in family else doc_id
            if standing != doc_id and self._repeats(chunk_id, standing, texts):
                continue
            kept.append((chunk_id, score))
            if len(kept) == top_k:
                break
        return kept, family

    def _repeats(self, chunk_id: int, doc_id: str, texts: dict[str, set[bytes]]) -> bool:
        """Whether the release `doc_id` holds every sentence of the passage `chunk_id`.

        Half a sentence's 5-grams found is enough: a re-post's typos and reworded words cost a few of them,
        while a sentence the other release lacks has next to none."""
        if doc_id not in texts:
            texts[doc_id] = shingles(self.index.families.release_text(doc_id) or "")
        chunk = self.index.store.chunks([chunk_id])[chunk_id][0]
        sentences = [chunk.text[s.start - chunk.start : s.end - chunk.start] for s in chunk.sentences] or [chunk.text]
        return all(contained(sentence, texts[doc_id], 0.5) for sentence in sentences)
