from pressqa.ingest.pipeline import ingest
from pressqa.retrieval.index import Index
from tests.conftest import CORPUS


class CountingEmbedder:
    """The real embedder, counting the texts it is asked to encode."""

    def __init__(self, embedder):
        self.inner, self.texts = embedder, []

    def encode(self, texts, progress=False):
        self.texts.extend(texts)
        return self.inner.encode(texts, progress)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def test_incremental_ingest_embeds_only_what_changed(tmp_settings, models):
    corpus = tmp_settings.corpus_dir
    for path in CORPUS.glob("*.txt"):
        (corpus / path.name).write_text(path.read_text())
    spy = CountingEmbedder(models.embedder)

    first = ingest([corpus], tmp_settings, spy, models.analyzer)
    assert len(first.added) == 3 and first.chunks > 3

    spy.texts.clear()
    again = ingest([corpus], tmp_settings, spy, models.analyzer)
    assert (again.added, again.updated, again.removed, again.unchanged, spy.texts) == ([], [], [], 3, [])

    (corpus / "new.txt").write_text("Acme Corp. appointed Jane Roe as chief executive on May 5, 2022.")
    added = ingest([corpus], tmp_settings, spy, models.analyzer)
    assert added.added == ["new.txt"] and added.unchanged == 3
    assert all("Jane Roe" in t or "Acme" in t for t in spy.texts)

    spy.texts.clear()
    changed_path = corpus / "002_0a94835ec6db6944.txt"
    changed_path.write_text(changed_path.read_text() + "\nThe alliance was renewed in 2024.")
    changed = ingest([corpus], tmp_settings, spy, models.analyzer)
    assert changed.updated == ["002_0a94835ec6db6944.txt"] and changed.unchanged == 3
    assert spy.texts and all("Jane Roe" not in t and "CT041" not in t for t in spy.texts)

    spy.texts.clear()
    (corpus / "new.txt").unlink()
    removed = ingest([corpus], tmp_settings, spy, models.analyzer)
    assert removed.removed == ["new.txt"] and spy.texts == []

    index = Index.load(tmp_settings.index_dir)
    assert {d.doc_id for d in index.store.documents()} == {p.name for p in CORPUS.glob("*.txt")}
    assert index.derived.dense.ntotal == index.store.chunk_count()
    renewed = index.store.document("002_0a94835ec6db6944.txt")
    assert renewed.text.endswith("The alliance was renewed in 2024.")


def test_unreadable_file_is_reported_and_keeps_its_indexed_version(tmp_settings, models):
    corpus = tmp_settings.corpus_dir
    good = corpus / "good.txt"
    good.write_text("Acme Corp. opened a plant in Ohio on June 1, 2021.")
    ingest([corpus], tmp_settings, models.embedder, models.analyzer)
    good.write_bytes(b"\x00\x01binary now")
    (corpus / "empty.txt").write_text("")
    report = ingest([corpus], tmp_settings, models.embedder, models.analyzer)
    assert {src.rsplit("/", 1)[-1] for src, _ in report.errors} == {"good.txt", "empty.txt"}
    assert report.removed == []
    index = Index.load(tmp_settings.index_dir)
    assert index.store.document("good.txt").text.startswith("Acme Corp. opened a plant")


def test_changed_chunking_settings_rebuild_the_index(tmp_settings, models):
    corpus = tmp_settings.corpus_dir
    (corpus / "a.txt").write_text("Acme Corp. opened a plant in Ohio. It employs 300 people. Sales rose.")
    ingest([corpus], tmp_settings, models.embedder, models.analyzer)
    smaller = tmp_settings.model_copy(update={"chunk_tokens": 64})
    report = ingest([corpus], smaller, models.embedder, models.analyzer)
    assert report.added == ["a.txt"]
    assert Index.load(tmp_settings.index_dir).manifest["chunking"]["max_tokens"] == 64
