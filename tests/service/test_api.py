import pytest
from fastapi.testclient import TestClient

from pressqa.service.api import create_app
from pressqa.service.qa import PressQA

GOLDEN = "001_dddbf5ee798e36f0.txt"


def test_ask_golden_answer_with_citation(client):
    response = client.post("/ask", json={"question": "When did CT041 receive RMAT?"})
    assert response.status_code == 200
    body = response.json()
    answer = body["answer"]
    assert answer["text"] == "January 2022" and answer["doc_id"] == GOLDEN
    assert 0 < answer["score"] <= 1
    assert answer["names"][0] == "CT041"  # the question's own name leads on to its timeline
    doc = client.get(f"/documents/{GOLDEN}").json()
    assert doc["text"][answer["start"] : answer["end"]] == "January 2022"
    cited = [p for p in body["passages"] if p["chunk_id"] == answer["chunk_id"]]
    assert cited and cited[0]["title"].startswith("Moderna and China")
    assert doc["text"][cited[0]["start"] : cited[0]["end"]] == cited[0]["text"]
    assert set(body["timings_ms"]) >= {"embed", "retrieve", "read", "total"}


def test_ask_unanswerable_returns_null_answer_and_passages(client):
    body = client.post("/ask", json={"question": "Who is the CEO of Pfizer?"}).json()
    assert body["answer"] is None and body["passages"]


def test_ask_top_k_mode_and_filters(client):
    body = client.post(
        "/ask",
        json={
            "question": "plasmid manufacturing in China",
            "top_k": 2,
            "mode": "bm25",
            "filters": {"doc_ids": ["002_0a94835ec6db6944.txt"]},
        },
    ).json()
    assert len(body["passages"]) == 2
    assert {p["doc_id"] for p in body["passages"]} == {"002_0a94835ec6db6944.txt"}
    dated = client.post("/ask", json={"question": "collaboration", "filters": {"date_from": "2021-01-01"}}).json()
    assert {p["date"] for p in dated["passages"]} == {"2021-07-31"}


@pytest.fixture(scope="module")
def news_client(news_engine) -> TestClient:
    with TestClient(create_app(news_engine.settings, news_engine)) as test_client:
        yield test_client


def test_a_list_answer_cites_one_release_per_family_each_above_the_threshold(news_client):
    question = "Which gene and cell therapies received RMAT designation?"
    body = news_client.post("/ask", json={"question": question, "answers": 5}).json()
    answers = body["answers"]
    assert {a["text"] for a in answers} >= {"BL-7", "AV-101"}
    assert "wire-alveo-rmat" not in {a["doc_id"] for a in answers}  # the re-post of Alveo's release
    assert len({a["doc_id"] for a in answers}) == len(answers) and body["answer"] == answers[0]
    assert [a["score"] for a in answers] == sorted((a["score"] for a in answers), reverse=True)
    assert min(a["score"] for a in answers) >= 0.55
    passages = {p["chunk_id"]: p for p in body["passages"]}
    for a in answers:  # every item is cited: its passage is in the response and holds it at its offsets
        p = passages[a["chunk_id"]]
        assert p["text"][a["start"] - p["start"] : a["end"] - p["start"]] == a["text"]
        assert a["title"] == p["title"] and a["date"] == p["date"]
    by_date = news_client.post("/ask", json={"question": question, "answers": 5, "order": "date"}).json()["answers"]
    dates = [a["date"] for a in by_date]
    dated = [d for d in dates if d]
    assert dated == sorted(dated, reverse=True) and dates[: len(dated)] == dated  # newest first, undated last
    assert dates[:2] == ["2022-06-10", "2021-03-02"]


def test_auto_gives_a_list_only_to_questions_that_ask_for_one(news_client):
    single = news_client.post("/ask", json={"question": "Who founded Brightline Bio?", "answers": "auto"}).json()
    assert [a["text"] for a in single["answers"]] == ["Dr. Samuel Reyes"]
    listed = news_client.post(
        "/ask", json={"question": "Which gene and cell therapies received RMAT designation?", "answers": "auto"}
    ).json()
    assert len(listed["answers"]) >= 2


def test_a_follow_up_is_answered_as_it_was_understood(client):
    first = client.post("/ask", json={"question": "When did CT041 receive RMAT?"}).json()
    context = {"question": "When did CT041 receive RMAT?", "doc_id": first["answer"]["doc_id"]}
    body = client.post("/ask", json={"question": "and orphan drug designation?", "context": context}).json()
    assert body["understood_as"] == "When did CT041 receive orphan drug designation?"
    assert body["answer"]["text"] == "October 2020" and body["answer"]["doc_id"] == GOLDEN
    alone = client.post("/ask", json={"question": "Who is the CEO of CARsgen?", "context": context}).json()
    assert alone["understood_as"] is None  # a question with its own subject is asked as it is
    assert client.post("/ask", json={"question": "When did CT041 receive RMAT?"}).json()["understood_as"] is None


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"question": ""}, "empty"),
        ({"question": "   \n "}, "empty"),
        ({"question": "x" * 1001}, "at most 1000 characters"),
        ({"question": "When\x00 did"}, "control characters"),
        ({"question": 42}, "string"),
        ({}, "question"),
        ({"question": "ok?", "top_k": 0}, "top_k"),
        ({"question": "ok?", "top_k": 500}, "less than or equal to 50"),
        ({"question": "ok?", "mode": "magic"}, "mode"),
        ({"question": "ok?", "answers": 0}, "greater than or equal to 1"),
        ({"question": "ok?", "answers": 21}, "less than or equal to 20"),
        ({"question": "ok?", "answers": "many"}, "answers"),
        ({"question": "ok?", "order": "alphabetical"}, "order"),
        ({"question": "ok?", "context": {}}, "context.question"),
        ({"question": "ok?", "context": {"question": " "}}, "empty"),
        ({"question": "ok?", "context": {"question": "x" * 1001}}, "context.question: String should have at most 1000"),
        ({"question": "ok?", "context": {"question": "ok?", "doc_id": "../etc"}}, "plain name"),
        ({"question": "ok?", "context": {"question": "ok?", "answer": "x" * 301}}, "answer"),
        ({"question": "ok?", "context": {"question": "ok?", "said": "x"}}, "said"),
        ({"question": "ok?", "filters": {"colour": "red"}}, "colour"),
        ({"question": "ok?", "filters": {"date_from": "31/12/2020"}}, "date_from"),
        ({"question": "ok?", "filters": {"date_from": "2021-01-01", "date_to": "2020-01-01"}}, "after"),
        ({"question": "ok?", "extra": 1}, "extra"),
    ],
)
def test_ask_rejects_bad_input_with_readable_422(client, body, fragment):
    response = client.post("/ask", json=body)
    assert response.status_code == 422
    assert fragment in response.json()["detail"]


def test_ask_rejects_invalid_json(client):
    response = client.post("/ask", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422 and "JSON" in response.json()["detail"]


def test_documents_list_and_404(client):
    docs = client.get("/documents").json()
    assert [d["doc_id"] for d in docs] == sorted(d["doc_id"] for d in docs) and len(docs) == 3
    assert {"title", "date", "source"} <= set(docs[0])
    missing = client.get("/documents/nope.txt")
    assert missing.status_code == 404 and "nope.txt" in missing.json()["detail"]


def test_health_and_openapi(client):
    health = client.get("/health").json()
    assert health["status"] == "ok" and health["documents"] == 3 and health["model"] == "all-MiniLM-L6-v2"
    assert health["chunks"] > 3
    assert client.get("/openapi.json").json()["paths"]["/ask"]["post"]
    assert client.get("/docs").status_code == 200


def test_an_app_checks_requests_by_its_own_limits_and_documents_them(corpus_engine):
    settings = corpus_engine.settings.model_copy(update={"max_top_k": 3, "max_question_chars": 40, "max_answers": 4})
    engine = PressQA(settings)
    engine.embedder = corpus_engine.embedder
    app = create_app(settings, engine)  # no lifespan: the routes are checked before any model loads
    client = TestClient(app)
    assert "less than or equal to 3" in client.post("/ask", json={"question": "ok?", "top_k": 4}).json()["detail"]
    assert "at most 40 characters" in client.post("/ask", json={"question": "x" * 41}).json()["detail"]
    assert "less than or equal to 4" in client.post("/ask", json={"question": "ok?", "answers": 5}).json()["detail"]
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    ask = schemas["AskRequest"]["properties"]
    assert ask["question"]["maxLength"] == 40 and ask["top_k"]["anyOf"][0]["maximum"] == 3
    assert ask["answers"]["anyOf"][0]["maximum"] == 4
    assert schemas["WatchIn"]["properties"]["question"]["maxLength"] == 40
    assert schemas["ContextIn"]["properties"]["question"]["maxLength"] == 40
    engine.close()


def test_no_index_gives_503_with_the_command(tmp_settings, models):
    engine = PressQA(tmp_settings)
    engine.embedder = models.embedder
    with TestClient(create_app(tmp_settings, engine)) as client:
        for response in (
            client.post("/ask", json={"question": "Anything?"}),
            client.get("/documents"),
            client.get("/health"),
        ):
            assert response.status_code == 503
            assert "pressqa ingest" in response.json()["detail"]


def test_chat_page_and_assets_are_served_with_a_strict_csp(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<script src="/static/app.js"' in page.text and "<script>" not in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    script = client.get("/static/app.js")
    assert script.status_code == 200 and "textContent" in script.text
    assert ".innerHTML" not in script.text and "insertAdjacentHTML" not in script.text
    assert client.get("/static/style.css").status_code == 200


def test_start_up_loads_index_and_reader_before_the_first_question(corpus_engine):
    engine = PressQA(corpus_engine.settings)
    engine.embedder = corpus_engine.embedder
    assert not engine.live.loaded and not engine.components.loaded("reader")
    with TestClient(create_app(corpus_engine.settings, engine)):
        assert engine.live.loaded and engine.components.loaded("reader")
    engine.close()
