"""The FAISS vector index: exact inner product while small, HNSW or IVF (approximate) above a set size."""

import math
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np


@dataclass(frozen=True)
class AnnConfig:
    threshold: int = 100_000  # live vectors from which search is approximate
    kind: str = "hnsw"  # measured at 1M by `pressqa bench --large`: HNSW reaches the recall in less time
    hnsw_m: int = 32
    ef_construction: int = 64
    ef_search: int = 256
    nprobe: int = 256  # IVF lists searched per query
    # HNSW keeps its vectors as float16: at 100k vectors recall@10 0.995 against 0.996 for float32, in
    # 104 MB against 181 MB, and faster (less memory to read). Exact search stays float32.
    hnsw_storage: str = "fp16"

    @classmethod
    def from_manifest(cls, manifest: dict) -> "AnnConfig":
        return cls(**manifest.get("ann", {}))


def _hnsw(dimension: int, ann: AnnConfig) -> faiss.IndexHNSW:
    if ann.hnsw_storage == "fp16":
        return faiss.IndexHNSWSQ(dimension, faiss.ScalarQuantizer.QT_fp16, ann.hnsw_m, faiss.METRIC_INNER_PRODUCT)
    return faiss.IndexHNSWFlat(dimension, ann.hnsw_m, faiss.METRIC_INNER_PRODUCT)


class VectorIndex:
    """Vectors under int64 ids. HNSW cannot delete, so its deletions are tombstones that searches skip;
    past a tenth of the index, or across the size threshold, `needs_rebuild()` says to build anew."""

    def __init__(self, index: faiss.Index, ann: AnnConfig, dead: set[int] | None = None) -> None:
        self.index = index
        self.ann = ann
        self.dead = dead or set()

    # ---- making ----------------------------------------------------------------------------
    @classmethod
    def empty(cls, dimension: int, ann: AnnConfig) -> "VectorIndex":
        return cls(faiss.IndexIDMap2(faiss.IndexFlatIP(dimension)), ann)

    @classmethod
    def build(cls, vectors: np.ndarray, ids: np.ndarray, dimension: int, ann: AnnConfig) -> "VectorIndex":
        """An index of `vectors` under `ids`: exact below the threshold, approximate from it."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, dimension)
        if len(vectors) < ann.threshold:
            index = faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))
        elif ann.kind == "hnsw":
            graph = _hnsw(dimension, ann)
            graph.hnsw.efConstruction = ann.ef_construction
            index = faiss.IndexIDMap2(graph)
        else:
            nlist = max(1, int(4 * math.sqrt(len(vectors))))
            index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dimension), dimension, nlist, faiss.METRIC_INNER_PRODUCT)
            sample = np.random.default_rng(0).choice(len(vectors), min(len(vectors), 64 * nlist), replace=False)
            index.train(vectors[np.sort(sample)])
        if len(vectors):
            index.add_with_ids(vectors, np.ascontiguousarray(ids, dtype=np.int64))
        return cls(index, ann)

    @classmethod
    def read(cls, path: Path, ann: AnnConfig, live: np.ndarray) -> "VectorIndex":
        """Read a written index; ids it holds beyond `live` (the store's) are tombstones."""
        vectors = cls(faiss.read_index(str(path)), ann)
        if vectors.graph:
            present = faiss.vector_to_array(faiss.downcast_index(vectors.index).id_map)
            vectors.dead = set(np.setdiff1d(present, live).tolist())
        if vectors.ntotal != len(live):
            raise ValueError(f"{vectors.ntotal} vectors for {len(live)} chunks")
        return vectors

    def copy(self) -> "VectorIndex":
        """An independent copy, to change while searches go on in this one."""
        return VectorIndex(faiss.clone_index(self.index), self.ann, set(self.dead))

    def write(self, path: Path) -> None:
        faiss.write_index(self.index, str(path))

    # ---- changing --------------------------------------------------------------------------
    def add(self, vectors: np.ndarray, ids: np.ndarray) -> None:
        self.index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids.astype(np.int64))

    def remove(self, ids: np.ndarray) -> None:
        if self.graph:
            self.dead.update(int(i) for i in ids)
        else:
            self.index.remove_ids(ids.astype(np.int64))

    def needs_rebuild(self) -> bool:
        """Across the threshold (exact ↔ approximate, back only below half of it), or too many tombstones."""
        if self.approximate:
            return self.ntotal < self.ann.threshold // 2 or len(self.dead) > self.index.ntotal // 10
        return self.ntotal >= self.ann.threshold

    # ---- reading ---------------------------------------------------------------------------
    @property
    def inner(self) -> faiss.Index:
        index = faiss.downcast_index(self.index)
        return faiss.downcast_index(index.index) if isinstance(index, faiss.IndexIDMap2) else index

    @property
    def graph(self) -> bool:
        return isinstance(self.inner, faiss.IndexHNSW)

    @property
    def approximate(self) -> bool:
        return self.graph or isinstance(self.inner, faiss.IndexIVF)

    @property
    def ntotal(self) -> int:
        return self.index.ntotal - len(self.dead)

    @property
    def d(self) -> int:
        return self.index.d

    def describe(self) -> str:
        inner = self.inner
        if isinstance(inner, faiss.IndexIVF):
            return f"ivf{inner.nlist}"
        if self.graph:
            return f"hnsw{inner.hnsw.nb_neighbors(1)}" + ("-fp16" if isinstance(inner, faiss.IndexHNSWSQ) else "")
        return "flat"

    def hits(self, vector: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(id, score) of the top k, optionally only among `allowed` ids; none from an empty index or filter."""
        if self.ntotal == 0 or (allowed is not None and len(allowed) == 0):
            return []
        scores, ids = self.search(vector, k, allowed)
        return [(int(i), float(s)) for i, s in zip(ids, scores, strict=True) if i >= 0]

    def search(self, vector: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, ids) for one query, optionally only among `allowed` ids (all live)."""
        k = min(k, self.ntotal)
        query = vector.reshape(1, -1).astype(np.float32)
        if allowed is not None and self.graph:
            return self._exact_among(query, allowed, k)
        selector = None
        if allowed is not None:
            selector = faiss.IDSelectorBatch(allowed.astype(np.int64))
        elif self.dead:
            selector = faiss.IDSelectorNot(faiss.IDSelectorBatch(np.fromiter(self.dead, dtype=np.int64)))
        if self.graph:
            params = faiss.SearchParametersHNSW(sel=selector, efSearch=max(self.ann.ef_search, k))
        elif self.approximate:  # with a filter, every list: its few ids may sit in lists nprobe skips
            nprobe = self.inner.nlist if allowed is not None else self.ann.nprobe
            params = faiss.SearchParametersIVF(sel=selector, nprobe=nprobe)
        else:
            params = faiss.SearchParameters(sel=selector) if selector else None
        previous = faiss.omp_get_max_threads()
        # One query: starting OpenMP threads costs more than they save, and torch holds the cores
        # (measured at 10k chunks: 4.5 ms with 2 threads, 2.1 ms with 1). The setting is per thread.
        faiss.omp_set_num_threads(1)
        try:
            scores, ids = self.index.search(query, k, params=params)
        finally:
            faiss.omp_set_num_threads(previous)
        return scores[0], ids[0]

    def _exact_among(self, query: np.ndarray, allowed: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        # A filter's few ids may lie where the graph or the probed lists never reach: score them directly.
        vectors = self.index.reconstruct_batch(allowed.astype(np.int64))
        scores = vectors @ query[0]
        top = np.argsort(-scores)[:k]
        return scores[top], allowed[top]
