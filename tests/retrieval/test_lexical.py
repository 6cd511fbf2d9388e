"""BM25 built from cached tokens is the index built from the texts, through adds, edits and deletions."""

import numpy as np

from pressqa.retrieval.lexical import LexicalIndex, TokenCache

TEXTS = {
    1: "Acme Bio starts a Phase 2 trial of AB-101 in Boston",
    2: "Zeta Pharma settles False Claims Act allegations for $12 million",
    3: "The the of and",  # stop words only: no tokens
    4: "A Detroit physician was sentenced for health care fraud",
}
QUERIES = ["Phase 2 trial", "False Claims Act settlement", "sentenced physician Detroit", "Boston fraud", "the"]


def results(index: LexicalIndex) -> list:
    return [[(i, round(s, 5)) for i, s in index.search(q, 4)] for q in QUERIES]


def same_as_plain(cache: TokenCache, texts: dict[int, str]) -> None:
    ids = np.array(sorted(texts), dtype=np.int64)
    chunks = [texts[i] for i in ids]
    assert results(LexicalIndex.build(ids, chunks, cache)) == results(LexicalIndex.build(ids, chunks))


def test_cached_tokens_give_the_same_index_through_adds_edits_and_deletions():
    cache, texts = TokenCache(), dict(TEXTS)
    same_as_plain(cache, texts)
    texts[5] = "Acme Bio reports Phase 3 results"  # added
    texts[2] = "Zeta Pharma agrees to pay $20 million"  # the same chunk id with another text
    del texts[4]  # deleted
    same_as_plain(cache, texts)
    assert LexicalIndex.build(np.array([1]), [TEXTS[1]], cache).search("Detroit", 3) == []  # nothing stale


def test_a_build_tokenizes_only_chunks_it_has_not_seen(monkeypatch):
    from pressqa.retrieval import lexical

    cache, seen = TokenCache(), []
    tokenize = lexical.bm25_tokenize

    def counting(texts, stemmer):
        seen.append(len(texts))
        return tokenize(texts, stemmer)

    monkeypatch.setattr(lexical, "bm25_tokenize", counting)
    ids = np.array(sorted(TEXTS), dtype=np.int64)
    LexicalIndex.build(ids, [TEXTS[i] for i in ids], cache)
    LexicalIndex.build(np.append(ids, 9), [*(TEXTS[i] for i in ids), "Omega Labs opens a plant"], cache)
    assert seen == [4, 1]
