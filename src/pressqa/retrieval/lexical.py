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


class LexicalIndex:
    """BM25 over chunks under their ids. Built whole: bm25s has no incremental add or delete."""

    def __init__(self, bm25: bm25s.BM25 | None = None, ids: np.ndarray | None = None) -> None:
        self._bm25 = bm25
        self.ids = np.zeros(0, dtype=np.int64) if ids is None else ids
        self._stemmer = _stemmer()

    @classmethod
    def build(cls, ids: np.ndarray, texts: list[str]) -> "LexicalIndex":
        index = cls(ids=ids)
        if texts:
            index._bm25 = bm25s.BM25()
            index._bm25.index(bm25_tokenize(texts, index._stemmer), show_progress=False)
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
