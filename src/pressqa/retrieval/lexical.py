"""The lexical index: BM25 (bm25s) over each chunk's title and text, English stop words out, words stemmed."""

from pathlib import Path

import bm25s
import numpy as np
import Stemmer

IDS = "ids.npy"


def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def bm25_tokenize(texts: list[str], stemmer: Stemmer.Stemmer) -> list[list[str]]:
    return bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, return_ids=False, show_progress=False)


class TokenCache:
    """Each chunk's BM25 tokens, as ids into one vocabulary, kept between builds.

    bm25s builds whole, so every write rebuilt BM25 over every chunk, and tokenizing them was 60% of a write
    on a 1,300-release index (about 0.6 of 1.1 s, all of it under the index lock that questions wait on).
    With the cache a build tokenizes only chunks it has not seen (a chunk whose text changed is seen anew).
    """

    def __init__(self) -> None:
        self.vocab: dict[str, int] = {}
        self._words: list[str] = []
        self._chunks: dict[int, tuple[int, np.ndarray]] = {}  # chunk id -> (hash of its text, token ids)
        self._stemmer = _stemmer()

    def corpus(self, ids: np.ndarray, texts: list[str]) -> tuple[list[list[int]], dict[str, int]]:
        """The chunks' token ids and a vocabulary of the tokens they use, as bm25s takes them: the same index
        as one built from the texts."""
        keys = [hash(text) for text in texts]
        unseen = [n for n, (i, key) in enumerate(zip(ids, keys, strict=True)) if self._key(int(i)) != key]
        for n, tokens in zip(unseen, bm25_tokenize([texts[n] for n in unseen], self._stemmer), strict=True):
            self._chunks[int(ids[n])] = (keys[n], np.array([self._id(t) for t in tokens], dtype=np.int64))
        for gone in self._chunks.keys() - {int(i) for i in ids}:
            del self._chunks[gone]
        arrays = [self._chunks[int(i)][1] for i in ids]
        used = np.unique(np.concatenate(arrays)) if arrays else np.zeros(0, dtype=np.int64)
        compact = np.zeros(len(self._words), dtype=np.int64)  # vocabulary ids -> ids among the tokens used
        compact[used] = np.arange(len(used))
        return [compact[a].tolist() for a in arrays], {self._words[u]: n for n, u in enumerate(used.tolist())}

    def _key(self, chunk_id: int) -> int | None:
        entry = self._chunks.get(chunk_id)
        return entry[0] if entry else None

    def _id(self, token: str) -> int:
        if token not in self.vocab:
            self.vocab[token] = len(self._words)
            self._words.append(token)
        return self.vocab[token]


class LexicalIndex:
    """BM25 over chunks under their ids. Built whole (bm25s has no incremental add or delete), from cached
    tokens when a `TokenCache` is given."""

    def __init__(self, bm25: bm25s.BM25 | None = None, ids: np.ndarray | None = None) -> None:
        self._bm25 = bm25
        self.ids = np.zeros(0, dtype=np.int64) if ids is None else ids
        self._stemmer = _stemmer()

    @classmethod
    def build(cls, ids: np.ndarray, texts: list[str], tokens: TokenCache | None = None) -> "LexicalIndex":
        index = cls(ids=ids)
        if texts:
            index._bm25 = bm25s.BM25()
            corpus = tokens.corpus(ids, texts) if tokens else bm25_tokenize(texts, index._stemmer)
            index._bm25.index(corpus, show_progress=False)
        return index

    @classmethod
    def load(cls, folder: Path) -> "LexicalIndex":
        """Read a saved index (OSError or ValueError when its files are missing or damaged)."""
        ids = np.load(folder / IDS)
        bm25 = None
        if len(ids):
            # Memory-mapped: a query reads only its terms' columns, so the matrix stays out of RSS.
            bm25 = bm25s.BM25.load(str(folder), mmap=True, show_progress=False)
        return cls(bm25, ids)

    def save(self, folder: Path) -> None:
        if self._bm25 is not None:
            self._bm25.save(str(folder), show_progress=False)
        np.save(folder / IDS, self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    def search(self, query: str, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(chunk id, score) of the best `k` chunks with a positive score, among `allowed` ids when given."""
        if self._bm25 is None:
            return []
        tokens = [[t for t in bm25_tokenize([query], self._stemmer)[0] if t in self._bm25.vocab_dict]]
        if not tokens[0]:
            return []
        mask = None if allowed is None else np.isin(self.ids, allowed).astype(np.float32)
        k = min(k, len(self.ids))
        docs, scores = self._bm25.retrieve(tokens, k=k, show_progress=False, weight_mask=mask, n_threads=1)
        return [(int(self.ids[d]), float(s)) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]
