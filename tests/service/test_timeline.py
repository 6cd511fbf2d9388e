import pytest
from fastapi.testclient import TestClient

from pressqa.service.api import create_app
from pressqa.service.timeline import describe, mentions, mentions_near, timeline


@pytest.fixture(scope="module")
def news_client(news_engine) -> TestClient:
    with TestClient(create_app(news_engine.settings, news_engine)) as test_client:
        yield test_client


def test_ct041_timeline_lists_the_two_releases_that_name_it_dated_first(client):
    body = client.get("/timeline", params={"q": "CT041"}).json()
    assert body["total"] == 2
    first, second = body["items"]
    assert (first["doc_id"], first["date"], first["undated"]) == ("000_141e616ab78fc2e8.txt", "2021-07-31", False)
    assert (second["doc_id"], second["date"], second["undated"]) == ("001_dddbf5ee798e36f0.txt", None, True)
    for item in body["items"]:
        text = client.get(f"/documents/{item['doc_id']}").json()["text"]
        assert text[item["start"] : item["end"]] == item["sentence"] and "CT041" in item["sentence"]
        assert item["match"] == "name"


def test_a_timeline_is_newest_first_one_per_family_filtered_and_paged(news_client):
    body = news_client.get("/timeline", params={"q": "RMAT"}).json()
    assert [i["doc_id"] for i in body["items"]] == ["brightline-rmat", "alveo-rmat", "001_dddbf5ee798e36f0.txt"]
    alveo = body["items"][1]
    assert [d["doc_id"] for d in alveo["also_published_by"]] == ["wire-alveo-rmat"]  # the re-post, once
    assert "RMAT" in alveo["sentence"] and "granted" in alveo["sentence"]  # the sentence saying what happened
    recent = news_client.get("/timeline", params={"q": "RMAT", "from": "2022-01-01"}).json()
    assert [i["doc_id"] for i in recent["items"]] == ["brightline-rmat"]  # undated releases have no place in a range
    page = news_client.get("/timeline", params={"q": "RMAT", "limit": 1, "offset": 1}).json()
    assert page["total"] == 3 and [i["doc_id"] for i in page["items"]] == ["alveo-rmat"]


def test_a_name_whose_words_stand_apart_is_found_by_its_words(news_engine):
    with news_engine.reading() as index:
        entries = timeline(index, "AV-101 gene therapy")  # the release says "AV-101, its gene therapy"
        assert [(e.doc.doc_id, e.match) for e in entries] == [("alveo-rmat", "words")]
        assert [d.doc_id for d in entries[0].also_published_by] == ["wire-alveo-rmat"]
        (entry,) = describe(index, entries, "AV-101 gene therapy")
        assert "AV-101, its gene therapy" in entry.sentence_text
        assert entry.doc.text == ""  # described entries keep metadata only
        assert timeline(index, "Brightline BL-7") == []  # words far apart in a sentence name nothing


def test_words_near_each_other_in_order_make_a_mention():
    assert mentions_near("Aria O. Sabit, M.D., was sentenced", ["Aria", "Sabit"])
    assert mentions_near("CARsgen’s CT041 candidate", ["carsgen", "ct041"])
    assert not mentions_near("Sabit and Aria", ["Aria", "Sabit"])  # out of order
    assert not mentions_near(
        "Community Memorial Health System and Reliance Medical Systems", ["Community", "Health", "Systems"]
    )


def test_names_match_whole_words_only():
    assert mentions("CARsgen’s CT041 candidate", "ct041")
    assert not mentions("the CT0412 trial", "CT041") and not mentions("ACT041", "CT041")


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({}, "q"),
        ({"q": "  "}, "name of a company"),
        ({"q": "x" * 201}, "200"),
        ({"q": "CT041", "from": "2022-02-30"}, "from"),
        ({"q": "CT041", "from": "2022-01-01", "to": "2021-01-01"}, "after"),
        ({"q": "CT041", "limit": 0}, "limit"),
        ({"q": "CT041", "limit": 101}, "limit"),
        ({"q": "CT041", "offset": -1}, "offset"),
    ],
)
def test_bad_timeline_requests_get_a_readable_422(client, params, fragment):
    response = client.get("/timeline", params=params)
    assert response.status_code == 422 and fragment in response.json()["detail"]
