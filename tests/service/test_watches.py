import csv
import datetime as dt
import io
import shutil

import pytest
from typer.testing import CliRunner

from pressqa.cli import app
from tests.conftest import CORPUS, writable_client

KEY = "test-key-0123456789"
AUTH = {"Authorization": f"Bearer {KEY}"}
CFO = "Who is the chief financial officer of Orbital Biologics?"
APPOINTMENT = {
    "doc_id": "orbital-cfo",
    "title": "Orbital Biologics appoints Dana Whitfield Chief Financial Officer",
    "date": "2024-03-03",
    "text": "Orbital Biologics appoints Dana Whitfield Chief Financial Officer\n\nBOSTON, March 3, 2024 -- Orbital "
    "Biologics today announced that Dana Whitfield will join the company as Chief Financial Officer on April 1, "
    "2024. She was previously treasurer of Helix Bio.",
}
REPOST = {**APPOINTMENT, "doc_id": "wire-orbital-cfo", "text": "FOR IMMEDIATE RELEASE\n\n" + APPOINTMENT["text"]}
UNRELATED = {
    "doc_id": "harbor-lease",
    "title": "Harbor Labs signs a lease",
    "text": "Harbor Labs signs a lease\n\nCAMBRIDGE, November 5, 2020 - Harbor Labs signed a ten-year lease for a "
    "building in Cambridge, where its 120 employees will move in 2021.",
}


@pytest.fixture()
def writer(tmp_path, models):
    """An API with writes enabled over a fresh index of corpus/ (each test may change it)."""
    with writable_client(tmp_path, models, KEY) as client:
        yield client


def test_a_release_that_answers_a_saved_question_is_a_hit_in_the_same_request(writer):
    watch = writer.post("/watches", json={"question": CFO}, headers=AUTH)
    assert watch.status_code == 201
    watch_id = watch.json()["id"]
    before = dt.datetime.now(dt.UTC).isoformat()

    unrelated = writer.post("/documents", json=UNRELATED, headers=AUTH).json()
    assert unrelated["watch_hits"] == 0  # never names Orbital Biologics: not even read for it
    added = writer.post("/documents", json=APPOINTMENT, headers=AUTH).json()
    assert added["status"] == "added" and added["watch_hits"] == 1
    hits = writer.get(f"/watches/{watch_id}/hits").json()
    assert [(h["doc_id"], h["answer"]) for h in hits] == [("orbital-cfo", "Dana Whitfield")]
    assert hits[0]["title"] == APPOINTMENT["title"] and hits[0]["date"] == "2024-03-03"
    assert writer.get(f"/watches/{watch_id}/hits", params={"since": before}).json() == hits
    assert writer.get(f"/watches/{watch_id}/hits", params={"since": hits[0]["found"]}).json() == []
    exported = writer.get(f"/watches/{watch_id}/hits", params={"format": "csv"})
    assert exported.headers["content-type"].startswith("text/csv")
    [row] = list(csv.DictReader(io.StringIO(exported.text)))
    assert (row["question"], row["answer"], row["doc_id"]) == (CFO, "Dana Whitfield", "orbital-cfo")
    assert row["title"] == APPOINTMENT["title"] and row["confidence"] in {"high", "medium", "low"}

    # A re-post of the same release (its family) and the same release again add no hit.
    assert writer.post("/documents", json=REPOST, headers=AUTH).json()["watch_hits"] == 0
    assert writer.post("/documents", json=APPOINTMENT, headers=AUTH).json()["watch_hits"] == 0
    assert [w["hits"] for w in writer.get("/watches").json()] == [1]


def test_a_saved_question_is_asked_only_of_new_releases_that_pass_its_filters(writer):
    narrow = {"question": CFO, "filters": {"names": ["Moderna"]}}
    named = {"question": CFO, "filters": {"names": ["Helix Bio"], "date_from": "2024-01-01"}}
    created = [writer.post("/watches", json=body, headers=AUTH).json() for body in (narrow, named)]
    assert created[0]["filters"] == {
        "names": ["Moderna"],
        "date_from": None,
        "date_to": None,
        "doc_ids": None,
        "source": None,
    }
    assert writer.post("/documents", json=APPOINTMENT, headers=AUTH).json()["watch_hits"] == 1
    assert [w["hits"] for w in writer.get("/watches").json()] == [0, 1]  # it never names Moderna
    refused = writer.post("/watches", json={"question": CFO, "filters": {"doc_ids": ["x"]}}, headers=AUTH)
    assert refused.status_code == 422 and "doc_ids" in refused.json()["detail"]


def test_saved_questions_are_writes_and_bad_input_is_a_clear_error(writer):
    assert writer.post("/watches", json={"question": CFO}).status_code == 401
    assert writer.post("/watches", json={"question": " "}, headers=AUTH).status_code == 422
    assert writer.post("/watches", json={"question": CFO, "min_confidence": 2}, headers=AUTH).status_code == 422
    assert writer.get("/watches/99/hits").status_code == 404
    assert writer.get("/watches/1/hits", params={"since": "yesterday"}).status_code == 422
    watch_id = writer.post("/watches", json={"question": CFO}, headers=AUTH).json()["id"]
    assert writer.delete(f"/watches/{watch_id}").status_code == 401
    assert writer.delete(f"/watches/{watch_id}", headers=AUTH).json()["question"] == CFO
    assert writer.delete(f"/watches/{watch_id}", headers=AUTH).status_code == 404
    assert writer.get("/watches").json() == []


def test_the_cli_saves_questions_and_ingest_reports_their_hits(tmp_path, env_settings):
    shutil.copytree(CORPUS, tmp_path / "corpus")
    env_settings(index_dir=tmp_path / "index", corpus_dir=tmp_path / "corpus")
    runner = CliRunner()
    assert runner.invoke(app, ["ingest"]).exit_code == 0
    assert runner.invoke(app, ["watches", "add", CFO]).exit_code == 0
    (tmp_path / "corpus" / "orbital.txt").write_text(APPOINTMENT["text"])
    result = runner.invoke(app, ["ingest"])
    assert result.exit_code == 0 and "answered by orbital.txt: 'Dana Whitfield'" in result.stderr
    listed = runner.invoke(app, ["watches", "list"])
    assert "1 hits" in listed.stdout and CFO in listed.stdout
    hits = runner.invoke(app, ["watches", "hits", "1"])
    assert "Dana Whitfield\torbital.txt" in hits.stdout
    [row] = csv.DictReader(io.StringIO(runner.invoke(app, ["watches", "hits", "1", "--csv"]).stdout))
    assert (row["question"], row["answer"], row["doc_id"]) == (CFO, "Dana Whitfield", "orbital.txt")
    assert runner.invoke(app, ["watches", "hits", "1", "--since", "not a time"]).exit_code == 2
    bad = runner.invoke(app, ["watches", "add", CFO, "--webhook", "http://10.1.2.3/hook"])
    assert bad.exit_code == 2 and "private" in bad.stderr
    assert runner.invoke(app, ["watches", "rm", "1"]).exit_code == 0
    assert runner.invoke(app, ["watches", "rm", "1"]).exit_code == 1
