import numpy as np
import pytest

from pressqa.retrieval.dense import AnnConfig, VectorIndex
from pressqa.retrieval.index import Index
from pressqa.schema import Chunk, Document, Span

DIM = 16


def clustered(n: int, seed: int = 0) -> np.ndarray:
    """Unit vectors around 20 centres, like embeddings of texts on a few topics."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(20, DIM))
    x = centres[rng.integers(0, 20, n)] + 0.5 * rng.normal(size=(n, DIM))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


@pytest.mark.parametrize(
    ("kind", "threshold", "storage", "name"),
    [
        ("hnsw", 5000, "fp16", "flat"),
        ("hnsw", 1000, "fp16", "hnsw32-fp16"),
        ("hnsw", 1000, "fp32", "hnsw32"),
        ("ivf", 1000, "fp16", "ivf178"),
    ],
)
def test_build_search_filter_and_delete(kind, threshold, storage, name):
    x = clustered(2000)
    ann = AnnConfig(threshold=threshold, kind=kind, ef_search=64, nprobe=64, hnsw_storage=storage)
    index = VectorIndex.build(x, np.arange(10, 2010), DIM, ann)
    assert index.describe() == name and index.approximate is (name != "flat")
    scores, found = index.search(x[5], 10)
    assert found[0] == 15 and scores[0] == pytest.approx(1.0, abs=1e-3 if name.endswith("fp16") else 1e-5)
    _, only = index.search(x[5], 10, allowed=np.array([12, 13]))
    assert set(only[only >= 0]) == {12, 13}  # a filter finds its ids even where the graph or lists don't lead
    index.remove(np.array([15, 16]))
    _, after = index.search(x[5], 10)
    assert 15 not in after and 16 not in after and index.ntotal == 1998
    _, near = index.search(x[16], 2000)
    assert 16 not in near and len(set(near[near >= 0])) == len(near[near >= 0])


def test_hnsw_tombstones_survive_a_write_and_read(tmp_path):
    x = clustered(1500)
    ann = AnnConfig(threshold=1000, ef_search=64)
    index = VectorIndex.build(x, np.arange(1500), DIM, ann)
    index.remove(np.arange(0, 100))
    index.write(tmp_path / "v.faiss")
    again = VectorIndex.read(tmp_path / "v.faiss", ann, live=np.arange(100, 1500))
    assert again.dead == set(range(100)) and again.ntotal == 1400
    assert not set(again.search(x[3], 50)[1]) & set(range(100))
    with pytest.raises(ValueError):
        VectorIndex.read(tmp_path / "v.faiss", ann, live=np.arange(100, 1600))  # the store holds unknown ids


def test_needs_rebuild_across_the_threshold_and_on_tombstones():
    ann = AnnConfig(threshold=1000)
    x = clustered(1200)
    flat = VectorIndex.build(x[:999], np.arange(999), DIM, ann)
    assert not flat.needs_rebuild()
    flat.add(x[999:1000], np.array([999]))
    assert flat.needs_rebuild()
    ivf = VectorIndex.build(x, np.arange(1200), DIM, AnnConfig(threshold=1000, kind="ivf"))
    ivf.remove(np.arange(600, 1200))
    assert not ivf.needs_rebuild()  # 600 ≥ 500: stays approximate
    ivf.remove(np.arange(450, 600))
    assert ivf.needs_rebuild()
    hnsw = VectorIndex.build(x, np.arange(1200), DIM, ann)
    hnsw.remove(np.arange(0, 120))
    assert not hnsw.needs_rebuild()
    hnsw.remove(np.array([120]))
    assert hnsw.needs_rebuild()  # more than a tenth are tombstones


def add_fake_documents(index: Index, vectors: np.ndarray, per_doc: int = 10) -> None:
    for d in range(len(vectors) // per_doc):
        text = " ".join(f"word{d}x{i}" for i in range(per_doc))
        doc = Document(doc_id=f"doc{d}", text=text, title=f"Doc {d}")
        block = vectors[d * per_doc : (d + 1) * per_doc]
        chunks = [
            Chunk(doc_id=doc.doc_id, start=0, end=len(text), text=text, sentences=[Span(0, len(text))])
            for _ in range(per_doc)
        ]
        index.add(doc, f"hash{d}", chunks, block, [v[None] for v in block])


@pytest.mark.parametrize("kind", ["hnsw", "ivf"])
def test_index_switches_to_approximate_and_back_and_deletes_on_both(tmp_path, kind):
    vectors = clustered(1500, seed=1)
    ann = AnnConfig(threshold=1000, kind=kind, ef_search=64, nprobe=64)
    index = Index.create(tmp_path, "fake", DIM, {}, ann)
    add_fake_documents(index, vectors[:900])
    index.save()
    assert index.manifest["dense"] == "flat"
    add_fake_documents(index, vectors)
    index.save()
    assert (
        index.manifest["dense"] == ("hnsw32-fp16" if kind == "hnsw" else "ivf154") and index.derived.dense.approximate
    )
    index.close()

    index = Index.load(tmp_path, "fake", DIM)
    assert index.derived.dense.approximate and index.derived.dense.ntotal == 1500
    top = index.search_dense(vectors[42], 5)
    assert index.store.chunks([top[0][0]])[top[0][0]][0].doc_id == "doc4"
    gone = {f"doc{d}" for d in range(0, 40)}
    assert index.remove(sorted(gone)) == 40  # 1100 left: still approximate
    index.save()
    index.close()
    index = Index.load(tmp_path, "fake", DIM)  # deletions survive a reload
    assert index.derived.dense.approximate and index.derived.dense.ntotal == 1100 == index.store.chunk_count()
    hits = index.search_dense(vectors[42], 50)
    assert len(hits) == 50 and not {index.store.chunks([i])[i][0].doc_id for i, _ in hits} & gone
    assert index.remove([f"doc{d}" for d in range(40, 110)]) == 70  # 400 left: below half, back to exact
    index.save()
    assert index.manifest["dense"] == "flat" and index.derived.dense.ntotal == 400 == index.store.chunk_count()
    index.close()
