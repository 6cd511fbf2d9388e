import json

import numpy as np
import pytest

from pressqa.ingest.pipeline import ingest
from pressqa.retrieval.index import Index, IndexNotReady
from tests.conftest import CORPUS


@pytest.fixture()
def built(tmp_settings, models):
    for path in CORPUS.glob("*.txt"):
        (tmp_settings.corpus_dir / path.name).write_text(path.read_text())
    ingest([tmp_settings.corpus_dir], tmp_settings, models.embedder, models.analyzer)
    return tmp_settings


def test_save_load_gives_identical_search_results(built, models):
    question = "Who is the chairman of CARsgen?"
    vector = models.embedder.encode_query(question)
    first = Index.load(built.index_dir, "all-MiniLM-L6-v2", 384)
    dense, sparse = first.search_dense(vector, 50), first.search_bm25(question, 50)
    first.save()
    first.close()
    second = Index.load(built.index_dir, "all-MiniLM-L6-v2", 384)
    assert second.search_dense(vector, 50) == dense
    assert second.search_bm25(question, 50) == sparse and sparse
    assert len(dense) == second.store.chunk_count() == second.manifest["chunks"]
    assert second.manifest["documents"] == 3


def test_load_refuses_missing_or_foreign_index(built, tmp_path):
    with pytest.raises(IndexNotReady, match="No index .* pressqa ingest corpus/"):
        Index.load(tmp_path / "nowhere")
    assert not (tmp_path / "nowhere").exists()
    with pytest.raises(IndexNotReady, match="built with model 'all-MiniLM-L6-v2'.*pressqa ingest --rebuild"):
        Index.load(built.index_dir, "other-model", 384)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda m: {**m, "dimension": 768}, "dimension 768, the model 384"),
        (lambda m: {**m, "format": 1}, "another PressQA version"),
        (lambda m: [m], "not a PressQA manifest"),
    ],
)
def test_load_refuses_a_manifest_edited_by_hand(built, edit, message):
    manifest = built.index_dir / "manifest.json"
    manifest.write_text(json.dumps(edit(json.loads(manifest.read_text()))))
    with pytest.raises(IndexNotReady, match=f"{message}.*pressqa ingest --rebuild"):
        Index.load(built.index_dir, "all-MiniLM-L6-v2", 384)


def test_load_refuses_a_truncated_manifest_or_store(built):
    manifest = built.index_dir / "manifest.json"
    original = manifest.read_bytes()
    manifest.write_bytes(original[:20])
    with pytest.raises(IndexNotReady, match="manifest .* unreadable.*pressqa ingest --rebuild"):
        Index.load(built.index_dir)
    manifest.write_bytes(original)
    store = built.index_dir / "store.sqlite"
    for leftover in built.index_dir.glob("store.sqlite-*"):
        leftover.unlink()
    store.write_bytes(store.read_bytes()[:1000])
    with pytest.raises(IndexNotReady, match="store .* damaged.*pressqa ingest --rebuild"):
        Index.load(built.index_dir)


@pytest.mark.parametrize("damage", ["truncate", "garbage", "delete"])
def test_damaged_vector_or_bm25_files_are_rebuilt_from_the_store(built, models, damage):
    question = "Who is the chairman of CARsgen?"
    vector = models.embedder.encode_query(question)
    before = Index.load(built.index_dir)
    expected = before.search_dense(vector, 10), before.search_bm25(question, 10)
    before.close()
    for target in (built.index_dir / "dense.faiss", built.index_dir / "bm25" / "ids.npy"):
        if damage == "truncate":
            target.write_bytes(target.read_bytes()[:100])
        elif damage == "garbage":
            target.write_bytes(b"garbage")
        else:
            target.unlink()
    after = Index.load(built.index_dir)
    assert (after.search_dense(vector, 10), after.search_bm25(question, 10)) == expected
    chunks = after.store.chunk_count()
    after.close()
    again = Index.load(built.index_dir)
    assert again.derived.dense.ntotal == len(again.derived.lexical.ids) == chunks  # the repair was saved


def test_removed_documents_leave_no_vectors_or_bm25_hits(built, models):
    index = Index.load(built.index_dir)
    doc_id = "002_0a94835ec6db6944.txt"
    assert index.remove([doc_id]) == 1
    index.save()
    vector = models.embedder.encode_query("MilliporeSigma GenScript plasmid manufacturing")
    hits = index.search_dense(vector, 50)
    assert len(hits) == index.store.chunk_count()
    found = index.store.chunks([i for i, _ in hits] + [i for i, _ in index.search_bm25("MilliporeSigma plasmid", 50)])
    assert doc_id not in {chunk.doc_id for chunk, _ in found.values()}
    assert index.store.document(doc_id) is None
    assert isinstance(found[hits[0][0]][1], np.ndarray)
