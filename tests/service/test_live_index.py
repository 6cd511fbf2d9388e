import shutil
import threading
import time

import pytest

from pressqa.retrieval.index import Index
from pressqa.schema import Document
from pressqa.service.qa import PressQA

NEW = Document(
    doc_id="halcyon-cfo",
    title="Halcyon Therapeutics appoints Mara Quint as Chief Financial Officer",
    date="2024-03-04",
    text=(
        "Halcyon Therapeutics appoints Mara Quint as Chief Financial Officer\n\n"
        "CAMBRIDGE, Mass., March 4, 2024 -- Halcyon Therapeutics today announced that Mara Quint has been "
        "appointed Chief Financial Officer. Quint joins from a career in biotech finance."
    ),
)


@pytest.fixture()
def engine(corpus_engine, tmp_path):
    shutil.copytree(corpus_engine.settings.index_dir, tmp_path / "index", ignore=shutil.ignore_patterns(".lock"))
    engine = PressQA(corpus_engine.settings.model_copy(update={"index_dir": tmp_path / "index"}))
    engine.embedder, engine.analyzer = corpus_engine.embedder, corpus_engine.analyzer
    yield engine
    engine.close()


def _held_save(monkeypatch) -> tuple[threading.Event, threading.Event]:
    """Make the next save stop after its store commit, before its files and its swap, until released."""
    committed, release = threading.Event(), threading.Event()
    save = Index.save

    def held(index: Index) -> None:
        commit = index.store.commit

        def commit_then_wait(generation: int) -> None:
            commit(generation)
            committed.set()
            assert release.wait(30)

        index.store.commit = commit_then_wait
        save(index)

    monkeypatch.setattr(Index, "save", held)
    return committed, release


def test_questions_are_answered_from_the_last_generation_while_a_write_saves_the_next(engine, monkeypatch):
    question = "Who is the chairman of CARsgen?"
    before = engine.ask(question).answer
    with engine.reading() as index:
        releases = index.store.document_count()
    committed, release = _held_save(monkeypatch)
    writer = threading.Thread(target=engine.add_document, args=(NEW,))
    writer.start()
    try:
        assert committed.wait(60)  # the write has committed its store and holds the index's file lock
        started = time.monotonic()
        during = engine.ask(question).answer
        assert time.monotonic() - started < 5  # answered, not kept waiting behind the write
        assert during is not None and during.text == before.text and during.doc_id == before.doc_id
        with engine.reading() as index:  # the store as it was: what the vector and BM25 indexes hold
            assert index.store.document_count() == releases and index.store.document(NEW.doc_id) is None
            assert index.derived.dense.ntotal == index.store.chunk_count()
    finally:
        release.set()
        writer.join(60)
    with engine.reading() as index:  # the next generation, once saved
        assert index.store.document_count() == releases + 1 and index.store.document(NEW.doc_id) is not None
        assert index.derived.dense.ntotal == index.store.chunk_count()
    after = engine.ask("Who did Halcyon Therapeutics appoint as Chief Financial Officer?").answer
    assert after is not None and after.text == "Mara Quint"


def test_a_failed_write_leaves_the_generation_being_read(engine, monkeypatch):
    with engine.reading() as index:
        releases, generation = index.store.document_count(), index.generation

    def broken(index: Index) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(Index, "save", broken)
    with pytest.raises(OSError, match="disk full"):
        engine.add_document(NEW)
    with engine.reading() as index:
        assert (index.store.document_count(), index.generation) == (releases, generation)
        assert index.store.document(NEW.doc_id) is None


def test_a_write_by_another_process_is_read_at_the_next_question(engine):
    other = PressQA(engine.settings)  # another engine on the same folder: its own connection and generation
    other.embedder, other.analyzer = engine.embedder, engine.analyzer
    with engine.reading() as index:
        releases = index.store.document_count()
    assert other.add_document(NEW)[0] == "added"
    other.close()
    with engine.reading() as index:
        assert index.store.document_count() == releases + 1 and index.derived.dense.ntotal == index.store.chunk_count()
