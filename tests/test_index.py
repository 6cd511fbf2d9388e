import json

import numpy as np
import pytest

from pressqa.index import Index, IndexNotReady
from pressqa.ingest import ingest
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
    assert len(dense) == second.chunk_count() == second.manifest["chunks"]
    assert second.manifest["documents"] == 3


def test_load_refuses_missing_or_foreign_index(built, tmp_path):
    with pytest.raises(IndexNotReady, match="pressqa ingest"):
        Index.load(tmp_path / "nowhere")
    with pytest.raises(IndexNotReady, match="built with model 'all-MiniLM-L6-v2'.*pressqa ingest --rebuild"):
        Index.load(built.index_dir, "other-model", 384)
    manifest = built.index_dir / "manifest.json"
    data = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**data, "dimension": 768}))
    with pytest.raises(IndexNotReady, match="dimension"):
        Index.load(built.index_dir, "all-MiniLM-L6-v2", 384)
    (built.index_dir / "dense.faiss").write_bytes(b"garbage")
    with pytest.raises(IndexNotReady, match="damaged"):
        Index.load(built.index_dir)


def test_removed_documents_leave_no_vectors_or_bm25_hits(built, models):
    index = Index.load(built.index_dir)
    doc_id = "002_0a94835ec6db6944.txt"
    assert index.remove([doc_id]) == 1
    index.save()
    vector = models.embedder.encode_query("MilliporeSigma GenScript plasmid manufacturing")
    hits = index.search_dense(vector, 50)
    assert len(hits) == index.chunk_count()
    found = index.chunks([i for i, _ in hits] + [i for i, _ in index.search_bm25("MilliporeSigma plasmid", 50)])
    assert doc_id not in {chunk.doc_id for chunk, _ in found.values()}
    assert index.document(doc_id) is None
    assert isinstance(found[hits[0][0]][1], np.ndarray)
