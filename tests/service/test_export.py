import csv
import io

import pytest
from fastapi.testclient import TestClient

from pressqa.service.api import create_app
from pressqa.service.export import COLUMNS, to_csv

RMAT = "Which gene and cell therapies received RMAT designation?"


def _rows(text: str) -> list[dict]:
    reader = csv.DictReader(io.StringIO(text))
    assert tuple(reader.fieldnames) == COLUMNS
    return list(reader)


@pytest.fixture(scope="module")
def news_client(news_engine) -> TestClient:
    with TestClient(create_app(news_engine.settings, news_engine)) as test_client:
        yield test_client


def test_cells_a_spreadsheet_would_run_are_quoted_and_numbers_are_not():
    rows = _rows(to_csv([{"answer": "=HYPERLINK(1)", "title": "-rf", "question": "-5.2", "url": "@x", "start": 3}]))
    assert rows == [
        dict.fromkeys(COLUMNS, "")
        | {"answer": "'=HYPERLINK(1)", "title": "'-rf", "question": "-5.2", "url": "'@x", "start": "3"}
    ]


def test_a_list_exports_one_checkable_row_per_item(news_client, news_engine):
    body = news_client.post("/ask", json={"question": RMAT, "answers": 5}).json()
    response = news_client.post("/ask", params={"format": "csv"}, json={"question": RMAT, "answers": 5})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert 'filename="pressqa-answers.csv"' in response.headers["content-disposition"]
    rows = _rows(response.text)
    assert [r["answer"] for r in rows] == [a["text"] for a in body["answers"]] and len(rows) >= 2
    urls = {"wire-alveo-rmat": "https://wire.example/alveo"}
    with news_engine.reading() as index:
        for row in rows:
            assert row["question"] == RMAT and row["confidence"] in {"high", "medium", "low"}
            text = index.store.document(row["doc_id"]).text
            assert text[int(row["start"]) : int(row["end"])] == row["answer"]  # checkable at its offsets
            assert row["url"] == (urls.get(row["doc_id"]) or "") and row["title"] and row["date"]
    by_header = news_client.post("/ask", headers={"Accept": "text/csv"}, json={"question": RMAT, "answers": 5})
    assert _rows(by_header.text) == rows
    nothing = news_client.post("/ask?format=csv", json={"question": "What is the boiling point of mercury?"})
    assert _rows(nothing.text) == []  # the releases don't say: a header and no row
    assert news_client.post("/ask?format=xml", json={"question": RMAT}).status_code == 422


def test_a_timeline_exports_one_row_per_release(news_client):
    body = news_client.get("/timeline", params={"q": "RMAT"}).json()
    rows = _rows(news_client.get("/timeline", params={"q": "RMAT", "format": "csv"}).text)
    assert [r["doc_id"] for r in rows] == [i["doc_id"] for i in body["items"]] and rows
    assert all(r["question"] == "RMAT" and "RMAT" in r["answer"] for r in rows)
    assert news_client.get("/timeline", params={"q": "RMAT"}, headers={"Accept": "text/csv"}).text == to_csv(
        [{**r} for r in rows]
    )
