"""Release families: re-posts of one release are grouped at ingest and shown once."""

import json
import random
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pressqa.benchmarks.families import repost
from pressqa.ingest.families import (
    FamilyRule,
    MemoryFamilies,
    assign_family,
    fact_changes,
    signature,
    similarity,
)
from pressqa.ingest.pipeline import ingest
from pressqa.retrieval.index import Index
from pressqa.schema import Document
from pressqa.service.api import create_app
from pressqa.service.qa import PressQA
from pressqa.text import contained, shingles
from tests.conftest import CORPUS, SHARED, indexed_engine, make_settings

DOJ = SHARED / "data" / "releases" / "doj_releases.jsonl"
MODERNA = (CORPUS / "001_dddbf5ee798e36f0.txt").read_text()


def _original() -> Document:
    return Document("moderna", MODERNA, "Moderna and CARsgen join forces", "2023-01-10", "https://biotech.example/n/1")


def _later_release() -> Document:
    """Another release written from the same text two months on: the next step, not a re-post."""
    text = MODERNA.replace("Moderna", "Moderna Inc.").replace("2022", "2023")
    return Document(
        "moderna-update", text, "Moderna and CARsgen: an update", "2023-03-14", "https://biotech.example/n/9"
    )


def test_a_repost_is_similar_and_another_release_is_not():
    original = _original()
    copy = repost(original, random.Random(0))
    other = (CORPUS / "000_141e616ab78fc2e8.txt").read_text()
    assert copy.title != original.title and copy.text != original.text
    assert similarity(signature(original.text), signature(copy.text)) >= FamilyRule().threshold
    assert similarity(signature(original.text), signature(other)) < 0.1


def test_dates_weeks_apart_keep_template_twins_apart():
    rule = FamilyRule(threshold=0.4, max_days=7)
    assert rule.close_in_time("2023-01-10", "2023-01-17")
    assert not rule.close_in_time("2023-01-10", "2023-03-14")
    assert rule.close_in_time(None, "2023-03-14")  # undated: the text decides alone
    assert FamilyRule(max_days=None).close_in_time("2001-01-01", "2023-03-14")


TEMPLATE = (
    "WASHINGTON - {name}, 45, of {town}, Florida, was sentenced today to {months} months in prison for his role in "
    "a scheme to defraud Medicare, announced the Department of Justice. According to court documents, {name} "
    "recruited patients for a home health agency in exchange for kickbacks and billed Medicare for services that "
    "were never provided. The case was investigated by the FBI and the Office of Inspector General.\n\n"
    "The sentence was imposed by U.S. District Judge Patricia Seitz, who also ordered restitution."
)


def test_fact_changes_tell_a_repost_from_a_template_twin():
    release = TEMPLATE.format(name="John Smith", town="Miami", months=57)
    repost = (
        "FOR IMMEDIATE RELEASE\n\n"
        + release.replace("recruited", "recruted").replace("announced", "said")
        + "\n\nAbout Wire News\nWire News carries releases from 2,000 agencies. Contact: +1 202 555 0100"
    )
    twin = TEMPLATE.format(name="Maria Lopez", town="Hialeah", months=51)
    assert fact_changes(release, repost) == 0  # boilerplate at the ends, a typo and a synonym: no fact
    assert fact_changes(release, twin) >= 3  # another name (twice), town and sentence
    assert fact_changes(release, TEMPLATE.format(name="John Smith", town="Miami", months=75)) == 1
    assert fact_changes(release, "Something else entirely, said Acme Corp.") > 0  # nothing to align on


def test_assign_family_groups_reposts_only():
    original, later = _original(), _later_release()
    copy = repost(original, random.Random(1))
    docs = [original, later, copy]
    store = MemoryFamilies({d.doc_id: d.date for d in docs}, {d.doc_id: d.text for d in docs})
    for doc in docs:
        assign_family(store, FamilyRule(), doc.doc_id, signature(doc.text), doc.date, doc.text)
    assert store.family[copy.doc_id] == store.family[original.doc_id]
    assert store.family[later.doc_id] != store.family[original.doc_id]
    assert similarity(signature(original.text), signature(later.text)) >= 0.4  # only the dates tell them apart


@pytest.mark.skipif(not DOJ.exists(), reason="needs ../shared/data/releases/doj_releases.jsonl")
def test_real_doj_pairs():
    """A release the DOJ posted twice is one family; a plea and its sentencing months later are not, nor are two
    releases of one template a day apart."""
    rows = {}
    with DOJ.open() as handle:
        for line in handle:
            row = json.loads(line)
            if row["pr_number"] in {"12-1461", "10-1453", "10-1031"}:
                rows.setdefault(row["pr_number"], []).append(row)
    twice, (sentenced,), (pleaded,) = rows["12-1461"], rows["10-1453"], rows["10-1031"]
    docs = [Document(r["id"], r["text"], r["title"], r["date"]) for r in [*twice, sentenced, pleaded]]
    store = MemoryFamilies({d.doc_id: d.date for d in docs}, {d.doc_id: d.text for d in docs})
    for doc in docs:
        assign_family(store, FamilyRule(), doc.doc_id, signature(doc.text), doc.date, doc.text)
    assert store.family[twice[0]["id"]] == store.family[twice[1]["id"]]
    assert store.family[sentenced["id"]] != store.family[pleaded["id"]]
    assert similarity(signature(sentenced["text"]), signature(pleaded["text"])) > 0.6


def _write_corpus(folder: Path, docs: list[Document]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rows = [{"id": d.doc_id, "title": d.title, "date": d.date, "url": d.url, "text": d.text} for d in docs]
    (folder / "releases.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


@pytest.fixture()
def family_engine(tmp_path, models) -> PressQA:
    original = _original()
    copy = repost(original, random.Random(0))
    copy.url = "https://wire.example/releases/moderna-carsgen"
    others = [Document(p.stem, p.read_text(), p.stem, None) for p in sorted(CORPUS.glob("00[02]_*.txt"))]
    settings = make_settings(tmp_path)
    _write_corpus(settings.corpus_dir, [original, copy, _later_release(), *others])
    engine = indexed_engine(settings, models, 5)
    yield engine
    engine.close()


QUESTION = "Whose mRNA cancer vaccine will be tested with CARsgen's CAR T cell therapy?"


def test_ask_shows_one_release_per_family(family_engine):
    copies = {"moderna", "moderna-repost"}
    _, retrieved, _ = family_engine.retrieve(QUESTION, 5)
    standing = next(p.chunk.doc_id for p in retrieved.passages if p.chunk.doc_id in copies)
    other = (copies - {standing}).pop()
    with family_engine.reading() as index:
        standing_text = shingles(index.families.release_text(standing))
    for p in retrieved.passages:
        if p.chunk.doc_id == other:  # shown only for what the standing copy does not say (here: its boilerplate)
            sentences = [p.chunk.text[s.start - p.chunk.start : s.end - p.chunk.start] for s in p.chunk.sentences]
            assert not all(contained(sentence, standing_text, 0.5) for sentence in sentences)
    lead = next(p for p in retrieved.passages if p.chunk.doc_id == standing)
    assert [d.doc_id for d in lead.also_published_by] == [other]
    later = [p for p in retrieved.passages if p.chunk.doc_id == "moderna-update"]
    assert later and all(not p.also_published_by for p in later)  # the later release is its own family
    result = family_engine.ask(QUESTION, top_k=5)
    assert sum(p.chunk.doc_id in copies for p in result.passages) < sum(
        p.chunk.doc_id in copies for p in _all(family_engine)
    )


def _all(engine: PressQA) -> list:
    """The passages retrieved with families off, as a baseline."""
    plain = PressQA(engine.settings.model_copy(update={"families": False}))
    plain.embedder = engine.embedder
    try:
        return plain.ask(QUESTION, top_k=5).passages
    finally:
        plain.close()


def test_families_off_shows_every_copy(family_engine):
    engine = PressQA(family_engine.settings.model_copy(update={"families": False}))
    engine.embedder = family_engine.embedder
    shown = {p.chunk.doc_id for p in engine.ask(QUESTION, top_k=8).passages}
    assert {"moderna", "moderna-repost"} <= shown
    engine.close()


def test_info_counts_the_shared_families(family_engine):
    with family_engine.reading() as index:
        assert index.families.shared() == {"families": 1, "releases": 2}


def test_api_lists_the_family(family_engine):
    with TestClient(create_app(family_engine.settings, family_engine)) as client:
        doc = client.get("/documents/moderna").json()
        assert [m["doc_id"] for m in doc["family"]] == ["moderna-repost"]
        assert doc["family"][0]["url"] == "https://wire.example/releases/moderna-carsgen"
        assert client.get("/documents/moderna-update").json()["family"] == []
        passages = client.post("/ask", json={"question": QUESTION, "top_k": 5}).json()["passages"]
        lead = next(p for p in passages if p["doc_id"] in {"moderna", "moderna-repost"})
        assert len(lead["also_published_by"]) == 1


def test_removing_a_release_leaves_the_rest_of_its_family(family_engine):
    assert family_engine.remove_document("moderna")
    with family_engine.reading() as index:
        assert index.families.family_of("moderna-repost") == []
        assert index.families.families({"moderna-repost"})  # still grouped, now alone


def test_an_index_without_families_is_grouped_at_the_next_ingest(family_engine, models):
    settings = family_engine.settings
    family_engine.close()
    index = Index.load(settings.index_dir)
    index.families.clear()  # as an index written before families were recorded
    index.manifest.pop("families")
    index.save()
    index.close()
    report = ingest([settings.corpus_dir], settings, models.embedder, models.analyzer)
    assert report.unchanged == 5 and not report.added
    index = Index.load(settings.index_dir)
    assert [d.doc_id for d in index.families.family_of("moderna")] == ["moderna-repost"]
    assert index.manifest["families"] == FamilyRule().describe()
    index.close()


def test_cli_ask_and_info_show_the_family(family_engine, env_settings):
    from typer.testing import CliRunner

    from pressqa.cli import app

    env_settings(index_dir=family_engine.settings.index_dir)
    result = CliRunner().invoke(app, ["ask", QUESTION])
    assert result.exit_code == 0
    lines = {line.strip() for line in result.stdout.splitlines() if "also published by" in line}
    urls = {"https://wire.example/releases/moderna-carsgen", "https://biotech.example/n/1"}
    assert lines and {line.removeprefix("also published by: ") for line in lines} <= urls  # the other copy
    info = json.loads(CliRunner().invoke(app, ["info"]).stdout)
    assert info["shared_families"] == {"families": 1, "releases": 2}


def test_a_passage_only_one_copy_has_is_never_hidden(tmp_path, models):
    """The release standing for a family hides another's passage only when it says all that passage says."""
    closing = "The agreement was negotiated for CARsgen by Zephyr Partners of Boston, advised by Quill & Lane LLP."
    original = Document("orig", f"{MODERNA}\n\n{closing}", "Moderna and CARsgen join forces", "2023-01-10")
    wire = f"FOR IMMEDIATE RELEASE\n\n{MODERNA}\n\nAbout Wire News\nWire News carries releases from many agencies."
    copy = Document("copy", wire, "Moderna, CARsgen team up (Wire News)", "2023-01-10")  # the closing line cut
    settings = make_settings(tmp_path)
    _write_corpus(settings.corpus_dir, [original, copy])
    engine = indexed_engine(settings, models, 2)
    with engine.reading() as index:
        assert index.families.family_of("orig")[0].doc_id == "copy"
        chunks = index.store.db.execute("SELECT id, doc_id, text FROM chunks ORDER BY id").fetchall()
        copy_chunk = next(i for i, doc, _ in chunks if doc == "copy")
        repeated = next(i for i, doc, text in chunks if doc == "orig" and "Zephyr" not in text)
        only_here = next(i for i, doc, text in chunks if doc == "orig" and "Zephyr" in text)
        ranked = [(copy_chunk, 0.9), (repeated, 0.8), (only_here, 0.7)]
        kept, _ = engine.retriever._one_per_family(ranked, top_k=5)
    assert [i for i, _ in kept] == [copy_chunk, only_here]
    engine.close()
