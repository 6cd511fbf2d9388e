"""The index's parts, each alone: the SQLite document store, the family table, the BM25 index, the manifest."""

import numpy as np
import pytest

from pressqa.retrieval.family_table import FamilyTable
from pressqa.retrieval.lexical import LexicalIndex
from pressqa.retrieval.manifest import IndexNotReady, atomic_write_dir, new_manifest, read_manifest, write_manifest
from pressqa.retrieval.store import DocumentStore, connect
from pressqa.schema import Chunk, Document, Span

DIM = 4


def _add(store: DocumentStore, doc_id: str, date: str | None, texts: list[str]) -> list[int]:
    text = " ".join(texts)
    doc = Document(doc_id, text, f"Title of {doc_id}", date)
    chunks, start = [], 0
    for t in texts:
        chunks.append(Chunk(doc_id, start, start + len(t), t, sentences=[Span(start, start + len(t))]))
        start += len(t) + 1
    vectors = np.eye(DIM, dtype=np.float32)[: len(texts)]
    return store.add(doc, f"hash-{doc_id}", chunks, vectors, [v[None, :] for v in vectors], "test")


@pytest.fixture()
def store(tmp_path):
    db = connect(tmp_path / "store.sqlite")
    yield DocumentStore(db, DIM)
    db.close()


def test_the_store_keeps_documents_chunks_and_vectors_and_filters_by_date(store):
    first = _add(store, "a", "2021-03-01", ["Acme opened a plant.", "It employs 40 people."])
    second = _add(store, "b", "2023-06-01", ["Beta Labs settled."])
    chunks = store.chunks(first + second)
    assert chunks[first[1]][0].text == "It employs 40 people." and chunks[first[1]][0].chunk_id == first[1]
    assert chunks[second[0]][1].shape == (1, DIM)  # the sentence vectors, float16 stored, float32 read
    assert set(store.chunk_ids(date_from="2022-01-01")) == set(second)
    assert set(store.chunk_ids(doc_ids=["a"])) == set(first)
    ids, vectors = store.vectors()
    assert list(ids) == first + second and np.allclose(vectors, np.eye(DIM)[[0, 1, 0]])
    assert store.chunk_documents(first) == {first[0]: "a", first[1]: "a"}
    assert store.hashes("test") == {"a": ("hash-a", None), "b": ("hash-b", None)}
    assert store.remove("a") == (True, first) and store.remove("a") == (False, [])
    assert store.document_count() == 1 and store.chunk_count() == 1


def test_the_store_commits_a_generation_and_rolls_back_what_was_not_committed(store):
    _add(store, "a", None, ["Acme opened a plant."])
    store.commit(1)
    _add(store, "b", None, ["Beta Labs settled."])
    assert store.in_transaction
    store.rollback()
    assert store.generation() == 1 and [d.doc_id for d in store.documents()] == ["a"]


def test_the_family_table_finds_candidates_by_band_and_lists_a_family(store):
    families = FamilyTable(store.db)
    for doc_id, day in (("a", "2021-03-01"), ("b", "2021-03-02"), ("c", "2021-04-01")):
        _add(store, doc_id, day, [f"Release {doc_id}."])
    families.set_family("a", 0, b"sig-a", [11, 12])
    families.set_family("b", 0, b"sig-b", [12, 13])
    families.set_family("c", families.new_family(), b"sig-c", [14])
    assert {row[0] for row in families.family_candidates([12])} == {"a", "b"}
    assert families.family_candidates([99]) == []
    assert [d.doc_id for d in families.family_of("a")] == ["b"] and families.family_of("c") == []
    assert families.shared() == {"families": 1, "releases": 2}
    assert families.release_text("a") == "Release a."
    families.remove("b")
    assert families.family_of("a") == [] and families.ungrouped()[0][0] == "b"


def test_the_lexical_index_ranks_by_bm25_within_the_allowed_ids_and_reloads(tmp_path):
    texts = ["Acme Corp. opened a plant in Ohio.", "Beta Labs settled the claims.", "Acme hired a chief executive."]
    index = LexicalIndex.build(np.array([10, 20, 30]), texts)
    assert [i for i, _ in index.search("Acme plant", 3)] == [10, 30]
    assert [i for i, _ in index.search("Acme plant", 3, allowed=np.array([30]))] == [30]
    assert index.search("zebra", 3) == [] and LexicalIndex.build(np.zeros(0, np.int64), []).search("Acme", 3) == []
    atomic_write_dir(tmp_path / "bm25", index.save)
    again = LexicalIndex.load(tmp_path / "bm25")
    assert again.search("Acme plant", 3) == index.search("Acme plant", 3) and len(again) == 3


def test_the_manifest_is_refused_with_the_fix_when_missing_or_of_another_format(tmp_path):
    with pytest.raises(IndexNotReady, match="pressqa ingest"):
        read_manifest(tmp_path)
    (tmp_path / "store.sqlite").touch()
    manifest = new_manifest("m", DIM, {}, {})
    write_manifest(tmp_path, manifest)
    assert read_manifest(tmp_path) == manifest
    write_manifest(tmp_path, {**manifest, "format": 1})
    with pytest.raises(IndexNotReady, match="another PressQA version"):
        read_manifest(tmp_path)
