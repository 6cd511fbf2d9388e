import json

import pytest
from fastapi.testclient import TestClient

from pressqa.schema import Document
from pressqa.service.api import create_app
from pressqa.service.filters import Narrowing, from_source, passes
from tests.conftest import SHARED, indexed_engine, make_settings

RMAT = "Which gene and cell therapies received RMAT designation?"


@pytest.fixture(scope="module")
def news_client(news_engine) -> TestClient:
    with TestClient(create_app(news_engine.settings, news_engine)) as test_client:
        yield test_client


def _ask(client: TestClient, **body) -> dict:
    response = client.post("/ask", json={"question": RMAT, "answers": 5, **body})
    assert response.status_code == 200, response.text
    return response.json()


def test_a_source_is_the_recorded_one_or_a_domain_of_the_url():
    doc = Document("d", "text", "T", url="https://www.justice.gov/opa/pr/x", source="doj_releases.jsonl")
    assert from_source(doc, "doj_releases.jsonl") and from_source(doc, "justice.gov")
    assert from_source(doc, "www.justice.gov") and not from_source(doc, "gov.uk") and not from_source(doc, "tice.gov")
    fetched = Document("u", "text", "T", source="www.businesswire.com")
    assert from_source(fetched, "businesswire.com")
    dated = Document("e", "Brightline Bio said", "T", date="2022-06-10")
    assert passes(dated, Narrowing(names=("Brightline Bio",)), "2022-01-01", "2022-12-31")
    assert not passes(dated, None, "2023-01-01") and not passes(dated, Narrowing(names=("Alveo",)))


def test_source_and_names_narrow_a_list_to_the_releases_that_pass(news_client):
    everything = {a["doc_id"] for a in _ask(news_client)["answers"]}
    assert {"alveo-rmat", "brightline-rmat"} <= everything
    wire = _ask(news_client, filters={"source": "wire.example"})
    assert [a["doc_id"] for a in wire["answers"]] == ["wire-alveo-rmat"]  # the re-post, now the only one allowed
    named = _ask(news_client, filters={"names": ["Brightline Bio"]})
    assert [a["text"] for a in named["answers"]] == ["BL-7"]
    assert {p["doc_id"] for p in named["passages"]} == {"brightline-rmat"}
    assert _ask(news_client, filters={"names": ["Brightline Bio", "Alveo"]})["answers"] == []  # every name
    nowhere = _ask(news_client, filters={"source": "nowhere.example"})
    assert nowhere["answers"] == [] and nowhere["passages"] == []
    assert news_client.post("/ask", json={"question": RMAT, "filters": {"names": [" "]}}).status_code == 422
    assert news_client.post("/ask", json={"question": RMAT, "filters": {"source": ""}}).status_code == 422


def test_recent_prefers_the_newest_release_that_answers(news_client):
    listed = _ask(news_client, order="date")["answers"]
    recent = news_client.post("/ask", json={"question": RMAT, "prefer": "recent"}).json()
    assert recent["answer"]["doc_id"] == listed[0]["doc_id"] == "brightline-rmat"
    assert len(recent["answers"]) == 1
    older = news_client.post(
        "/ask", json={"question": RMAT, "prefer": "recent", "filters": {"date_to": "2021-12-31"}}
    ).json()
    assert older["answer"]["text"] == "AV-101"


def test_a_timeline_keeps_the_releases_that_pass(news_client):
    everything = news_client.get("/timeline", params={"q": "RMAT"}).json()["items"]
    assert {i["doc_id"] for i in everything} >= {"alveo-rmat", "brightline-rmat"}
    wire = news_client.get("/timeline", params={"q": "RMAT", "source": "wire.example"}).json()["items"]
    assert [i["doc_id"] for i in wire] == ["wire-alveo-rmat"]  # the re-post stands for its family now
    named = news_client.get("/timeline", params={"q": "RMAT", "names": ["Samuel Reyes"]}).json()["items"]
    assert [i["doc_id"] for i in named] == ["brightline-rmat"]


DOJ = SHARED / "data" / "releases" / "doj_releases.jsonl"


@pytest.mark.skipif(not DOJ.is_file(), reason="needs ../shared (DOJ releases)")
def test_filters_narrow_answers_over_doj_releases(tmp_path, models):
    rows = []
    with DOJ.open(encoding="utf-8") as releases:
        for line in releases:
            row = json.loads(line)
            if row.get("date", "").startswith("2016-03"):
                rows.append(row)
            if len(rows) == 30:
                break
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "doj.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    engine = indexed_engine(make_settings(tmp_path), models, len(rows))
    with TestClient(create_app(engine=engine)) as client:
        question = {"question": "Who was sentenced to prison?", "answers": 10}
        every = client.post("/ask", json=question).json()["answers"]
        named = [r["id"] for r in rows if "Medicare" in r["text"]]
        narrowed = client.post("/ask", json={**question, "filters": {"names": ["Medicare"]}}).json()
        assert every and {a["doc_id"] for a in narrowed["answers"]} <= set(named)
        assert {p["doc_id"] for p in narrowed["passages"]} <= set(named)
        assert client.post("/ask", json={**question, "filters": {"source": "example.com"}}).json()["answers"] == []
        kept = client.post("/ask", json={**question, "filters": {"source": "justice.gov"}}).json()["answers"]
        assert [a["doc_id"] for a in kept] == [a["doc_id"] for a in every]  # every DOJ release is on justice.gov
    engine.close()
