import numpy as np
import pytest

from pressqa import dense
from pressqa.dense import AnnConfig
from pressqa.index import Index
from pressqa.schema import Chunk, Document, Span

DIM = 16


def clustered(n: int, seed: int = 0) -> np.ndarray:
    """Unit vectors around 20 centres, like embeddings of texts on a few topics."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(20, DIM))
    x = centres[rng.integers(0, 20, n)] + 0.5 * rng.normal(size=(n, DIM))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


@pytest.mark.parametrize("approximate", [False, True])
def test_build_and_search_exact_or_ivf(approximate):
    x = clustered(2000)
    ids = np.arange(10, 2010)
    index = dense.build(x, ids, DIM, AnnConfig(threshold=1000 if approximate else 5000, nprobe=64))
    assert dense.is_approximate(index) is approximate
    assert dense.describe(index) == ("ivf178" if approximate else "flat")
    scores, found = dense.search(index, x[5], 10, AnnConfig(nprobe=64))
    assert found[0] == 15 and scores[0] == pytest.approx(1.0, abs=1e-5)
    _, only = dense.search(index, x[5], 10, AnnConfig(nprobe=64), allowed=np.array([12, 13]))
    assert set(only[only >= 0]) == {12, 13}
    index.remove_ids(np.array([15], dtype=np.int64))
    _, after = dense.search(index, x[5], 10, AnnConfig(nprobe=64))
    assert 15 not in after and index.ntotal == 1999


def test_wrong_kind_switches_with_hysteresis():
    ann = AnnConfig(threshold=1000)
    x = clustered(1200)
    flat = dense.build(x[:999], np.arange(999), DIM, ann)
    assert not dense.wrong_kind(flat, ann)
    flat.add_with_ids(x[999:1000], np.array([999]))
    assert dense.wrong_kind(flat, ann)
    ivf = dense.build(x, np.arange(1200), DIM, ann)
    ivf.remove_ids(np.arange(600, 1200))
    assert not dense.wrong_kind(ivf, ann)  # 600 ≥ 500: stays approximate
    ivf.remove_ids(np.arange(450, 600))
    assert dense.wrong_kind(ivf, ann)


def add_fake_documents(index: Index, vectors: np.ndarray, per_doc: int = 10) -> None:
    for d in range(len(vectors) // per_doc):
        text = " ".join(f"word{d}x{i}" for i in range(per_doc))
        doc = Document(doc_id=f"doc{d}", text=text, title=f"Doc {d}")
        chunks = [Chunk(doc_id=doc.doc_id, start=0, end=len(text), text=text, sentences=[Span(0, len(text))])]
        chunks *= per_doc
        block = vectors[d * per_doc : (d + 1) * per_doc]
        index.add(doc, f"hash{d}", [Chunk(**vars(c)) for c in chunks], block, [v[None] for v in block])


def test_index_switches_to_ivf_and_back_and_deletes_on_both(tmp_path):
    vectors = clustered(1500, seed=1)
    index = Index.create(tmp_path, "fake", DIM, {}, AnnConfig(threshold=1000, nprobe=64))
    add_fake_documents(index, vectors[:900])
    index.save()
    assert index.manifest["dense"] == "flat"
    add_fake_documents(index, vectors[900:])  # doc ids repeat: the first 60 documents are replaced
    index.save()
    assert index.manifest["dense"] == "flat"  # 900 chunks after replacing: still below 1000
    index.close()

    index = Index.create(tmp_path, "fake", DIM, {}, AnnConfig(threshold=1000, nprobe=64))
    add_fake_documents(index, vectors)
    index.save()
    assert index.manifest["dense"].startswith("ivf") and dense.is_approximate(index.dense)
    index.close()
    index = Index.load(tmp_path, "fake", DIM)
    assert dense.is_approximate(index.dense) and index.dense.ntotal == 1500
    top = index.search_dense(vectors[42], 5)
    assert index.chunks([top[0][0]])[top[0][0]][0].doc_id == "doc4"
    assert index.remove([f"doc{d}" for d in range(0, 40)]) == 40  # 1100 left: still approximate
    index.save()
    assert dense.is_approximate(index.dense)
    hits = index.search_dense(vectors[42], 50)
    assert hits and all(index.chunks([i])[i][0].doc_id not in {f"doc{d}" for d in range(40)} for i, _ in hits)
    assert index.remove([f"doc{d}" for d in range(40, 110)]) == 70  # 400 left: below half, back to exact
    index.save()
    assert index.manifest["dense"] == "flat" and index.dense.ntotal == 400 == index.chunk_count()
    index.close()
