"""The FAISS vector index: exact inner product while small, IVF (approximate) above a configurable size."""

import math
from dataclasses import dataclass

import faiss
import numpy as np


@dataclass(frozen=True)
class AnnConfig:
    threshold: int = 100_000  # vectors from which search is approximate
    nprobe: int = 32  # IVF lists searched per query

    @classmethod
    def from_manifest(cls, manifest: dict) -> "AnnConfig":
        return cls(**manifest.get("ann", {}))


def empty(dimension: int) -> faiss.Index:
    return faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))


def is_approximate(index: faiss.Index) -> bool:
    return isinstance(faiss.downcast_index(index), faiss.IndexIVF)


def describe(index: faiss.Index) -> str:
    inner = faiss.downcast_index(index)
    return f"ivf{inner.nlist}" if isinstance(inner, faiss.IndexIVF) else "flat"


def build(vectors: np.ndarray, ids: np.ndarray, dimension: int, ann: AnnConfig) -> faiss.Index:
    """An index holding `vectors` under `ids`: exact below the threshold, IVF from it."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, dimension)
    if len(vectors) < ann.threshold:
        index = empty(dimension)
    else:
        nlist = max(1, int(4 * math.sqrt(len(vectors))))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dimension), dimension, nlist, faiss.METRIC_INNER_PRODUCT)
        sample = np.random.default_rng(0).choice(len(vectors), min(len(vectors), 64 * nlist), replace=False)
        index.train(vectors[np.sort(sample)])
        index.nprobe = ann.nprobe
    if len(vectors):
        index.add_with_ids(vectors, np.ascontiguousarray(ids, dtype=np.int64))
    return index


def wrong_kind(index: faiss.Index, ann: AnnConfig) -> bool:
    """Whether the index should switch: exact past the threshold, or IVF below half of it (hysteresis)."""
    if is_approximate(index):
        return index.ntotal < ann.threshold // 2
    return index.ntotal >= ann.threshold


def search(
    index: faiss.Index, vector: np.ndarray, k: int, ann: AnnConfig, allowed: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Top-k (scores, ids) for one query, optionally only among `allowed` ids."""
    selector = faiss.IDSelectorBatch(allowed.astype(np.int64)) if allowed is not None else None
    if is_approximate(index):
        inner = faiss.downcast_index(index)
        inner.nprobe = ann.nprobe
        # A filter's few allowed ids may sit in lists nprobe skips: filtered searches visit every list.
        params = faiss.SearchParametersIVF(sel=selector, nprobe=inner.nlist) if selector else None
    else:
        params = faiss.SearchParameters(sel=selector) if selector else None
    scores, ids = index.search(vector.reshape(1, -1).astype(np.float32), min(k, index.ntotal), params=params)
    return scores[0], ids[0]
