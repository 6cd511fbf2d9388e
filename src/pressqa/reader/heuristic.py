"""The heuristic reader: best sentences by meaning and word overlap, then the best span of the expected type.

The learned reader reads the sentences it selects."""

import math
import re
from dataclasses import dataclass

import numpy as np

from pressqa.reader.question import PHRASE, QuestionInfo, stem_words
from pressqa.retrieval.retrieve import Retrieved
from pressqa.schema import Answer, Chunk, Span

_EDGE_PUNCT = " \t\n,;:.!?\"“”‘’'()[]"


@dataclass
class ScoredSentence:
    """A sentence of a retrieved chunk with its selection score."""

    chunk: Chunk
    span: Span
    text: str
    score: float
    rank: int  # the passage's retrieval rank


class HeuristicReader:
    """Typed-span reader: best sentences by meaning and word overlap, then the best span of the expected type."""

    def __init__(self, sentences: int = 8) -> None:
        self.sentences = sentences

    def read(
        self, info: QuestionInfo, query_vector: np.ndarray | None, retrieved: Retrieved, per_release: int | None = None
    ) -> list[Answer]:
        answers: dict[tuple[str, int, int], Answer] = {}
        for sentence in self.best_sentences(info, query_vector, retrieved, per_release):
            for answer in self._spans(info, sentence, retrieved):
                key = (answer.doc_id, answer.start, answer.end)
                if key not in answers or answer.score > answers[key].score:
                    answers[key] = answer  # overlapping chunks hold the same span: keep it once
        return sorted(answers.values(), key=lambda a: -a.score)

    def best_sentences(
        self, info: QuestionInfo, query_vector: np.ndarray | None, retrieved: Retrieved, per_release: int | None = None
    ) -> list[ScoredSentence]:
        scored = [sentence for sentence, _ in sentence_pool(info, query_vector, retrieved)]
        scored.sort(key=lambda s: (-s.score, s.rank))
        return take_best(scored, self.sentences, per_release)

    def _spans(self, info: QuestionInfo, sentence: ScoredSentence, retrieved: Retrieved) -> list[Answer]:
        chunk, span = sentence.chunk, sentence.span
        candidates = [e for e in chunk.entities if e.within(span) and e.label in info.expected]
        if info.expected == PHRASE or not candidates:
            candidates += _phrases(chunk, [n for n in chunk.noun_chunks if n.within(span)])
        anchors = _anchor_positions(info, sentence)
        answers = []
        for cand in candidates:
            start, end = _trim(chunk, cand.start, cand.end)
            if end <= start:
                continue
            fit = span_fit(info, cand.label, _slice(chunk, Span(start, end)), start, end, anchors)
            if fit > 0:
                answers.append(_answer(chunk, start, end, sentence, sentence.score * (0.55 + 0.45 * fit)))
        if not answers:  # no span of the expected kind: the sentence itself is the answer
            answers.append(_answer(chunk, span.start, span.end, sentence, sentence.score * 0.6))
        return answers


FEATURES = (
    "semantic",
    "lexical",
    "coverage",
    "heuristic",
    "passage rank",
    "semantic gap",
    "lexical gap",
    "heuristic gap",
    "expected entity",
    "no type expected",
    "first of passage",
    "length",
)


def take_best(ranked: list[ScoredSentence], count: int, per_release: int | None) -> list[ScoredSentence]:
    """The first `count` sentences of a ranking, or with `per_release` the first that many of each release.

    The scores stay those of the whole pool (its word weights and best-sentence gaps), so a release's
    candidates score the same whether it is read alone for a list or among the others for one answer."""
    if per_release is None:
        return ranked[:count]
    taken: dict[str, int] = {}
    kept = []
    for sentence in ranked:
        doc_id = sentence.chunk.doc_id
        if taken.get(doc_id, 0) < per_release:
            taken[doc_id] = taken.get(doc_id, 0) + 1
            kept.append(sentence)
    return kept


def sentence_pool(
    info: QuestionInfo, query_vector: np.ndarray | None, retrieved: Retrieved
) -> list[tuple[ScoredSentence, np.ndarray]]:
    """Every sentence of the retrieved passages with its heuristic score and its features (`FEATURES`).

    The heuristic score: (meaning + weighted word overlap) / 2, times the share of the question's names the
    passage holds. The features are what a learned selector weighs: the same parts, how far each is from the
    best sentence's, the passage's rank, whether the sentence holds an entity of the type asked for."""
    pool = []  # (rank, passage, sentence index, its words, the previous sentence's and title's words)
    for rank, passage in enumerate(retrieved.passages):
        title_words = set(stem_words(passage.title))
        words = [set(stem_words(_slice(passage.chunk, s))) for s in passage.chunk.sentences]
        for i in range(len(words)):
            pool.append((rank, passage, i, words[i], (words[i - 1] if i else set()) | title_words))
    weights = _idf(info.terms, [entry[3] for entry in pool])
    rows = []
    for rank, passage, i, here, around in pool:
        chunk = passage.chunk
        vectors = retrieved.sentence_vectors.get(chunk.chunk_id)
        semantic = float(vectors[i] @ query_vector) if vectors is not None and query_vector is not None else 0.0
        lexical = term_overlap(weights, here, around)
        coverage = key_coverage(info, f"{passage.title}\n{chunk.text}")
        score = (0.5 * max(semantic, 0.0) + 0.5 * lexical) * coverage
        span = chunk.sentences[i]
        typed = info.expected != PHRASE and any(e.within(span) and e.label in info.expected for e in chunk.entities)
        parts = [semantic, lexical, coverage, score, 1.0 / (1.0 + rank), typed, info.expected == PHRASE, i == 0]
        rows.append((ScoredSentence(chunk, span, _slice(chunk, span), score, rank), parts, len(here)))
    if not rows:
        return []
    best = np.max(np.array([r[1][:4] for r in rows], dtype=np.float32), axis=0)
    features = []
    for sentence, parts, words in rows:
        semantic, lexical, coverage, score, rank, typed, untyped, first = parts
        gaps = [semantic - best[0], lexical - best[1], score - best[3]]
        vector = [semantic, lexical, coverage, score, rank, *gaps, typed, untyped, first, math.log1p(words)]
        features.append((sentence, np.array(vector, dtype=np.float32)))
    return features


def _phrases(chunk: Chunk, noun_chunks: list[Span]) -> list[Span]:
    """Noun chunks, plus "X of Y" joins ("Memorandum of Understanding") that spaCy splits in two."""
    joined = []
    for left, right in zip(noun_chunks, noun_chunks[1:], strict=False):
        if _slice(chunk, Span(left.end, right.start)) == " of ":
            joined.append(Span(left.start, right.end, left.label))
    return noun_chunks + joined


def key_coverage(info: QuestionInfo, text: str) -> float:
    """Squared share of the question's names found in `text`: a release about someone else answers nothing."""
    if not info.key_terms:
        return 1.0
    lowered = text.lower()
    found = sum(1 for term in info.key_terms if term in lowered)
    return (found / len(info.key_terms)) ** 2


def _idf(terms: frozenset[str], sentences: list[set[str]]) -> dict[str, float]:
    """Inverse frequency of each question term among the candidate sentences: rare words decide."""
    n = len(sentences)
    return {t: math.log(1.0 + (n + 1) / (1 + sum(1 for s in sentences if t in s))) for t in terms}


def term_overlap(weights: dict[str, float], here: set[str], around: set[str]) -> float:
    """Weighted share of the question's words in the sentence; its neighbour and the title count 0.3."""
    total = sum(weights.values())
    if not total:
        return 0.0
    return sum(w * (1.0 if t in here else 0.3 if t in around else 0.0) for t, w in weights.items()) / total


def span_fit(info: QuestionInfo, label: str, text: str, start: int, end: int, anchors: list[int]) -> float:
    """How well a span answers: the expected type, not repeating the question, close to the question's words."""
    words = stem_words(text)
    if not words and not any(ch.isdigit() for ch in text):
        return 0.0
    repeated = sum(1 for w in words if w in info.terms) / max(len(words), 1)
    if repeated >= 1.0:
        return 0.0
    type_fit = 1.0 if label in info.expected or info.expected == PHRASE else 0.3
    distance = min((abs(a - start) if a < start else abs(a - end) for a in anchors), default=200)
    proximity = 1.0 / (1.0 + distance / 80.0)
    return type_fit * (1.0 - repeated) * (0.75 + 0.25 * proximity)


def _anchor_positions(info: QuestionInfo, sentence: ScoredSentence) -> list[int]:
    """Document offsets of words in the sentence that the question also uses."""
    positions = []
    for match in re.finditer(r"[\w’'-]+", sentence.text):
        if set(stem_words(match.group())) & info.terms:
            positions.append(sentence.span.start + match.start())
    return positions


def _answer(chunk: Chunk, start: int, end: int, sentence: ScoredSentence, score: float) -> Answer:
    return Answer(
        _slice(chunk, Span(start, end)),
        float(min(max(score, 0.0), 1.0)),
        chunk.doc_id,
        start,
        end,
        chunk.chunk_id,
        sentence.span,
    )


def _slice(chunk: Chunk, span: Span) -> str:
    """Text of a document span that lies inside `chunk` (offsets are document offsets)."""
    return chunk.text[span.start - chunk.start : span.end - chunk.start]


def _trim(chunk: Chunk, start: int, end: int) -> tuple[int, int]:
    """Drop edge punctuation and a leading article, so the span reads as a clean answer."""
    text = chunk.text
    while start < end and text[start - chunk.start] in _EDGE_PUNCT:
        start += 1
    while end > start and text[end - 1 - chunk.start] in _EDGE_PUNCT and not _abbreviation_end(text, end - chunk.start):
        end -= 1
    match = re.match(r"(the|a|an)\s+", text[start - chunk.start : end - chunk.start], re.IGNORECASE)
    if match and match.end() < end - start:
        start += match.end()
    return start, end


def _abbreviation_end(text: str, end: int) -> bool:
    """Whether text[:end] ends in an abbreviation's period ("U.S.", "Inc."), which belongs to the span."""
    return text[end - 1] == "." and bool(re.search(r"(\b[A-Z]\.[A-Z]\.|\b(?:Inc|Ltd|Corp|Co|Jr|Sr|Dr)\.)$", text[:end]))
