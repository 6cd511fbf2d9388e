import pytest

from pressqa.retrieval.index import Index
from tests.conftest import writable_client

KEY = "feedback-key-0123456789"
AUTH = {"Authorization": f"Bearer {KEY}"}
GOLDEN = "001_dddbf5ee798e36f0.txt"


@pytest.fixture()
def writer(tmp_path, models):
    """An API with writes enabled over a fresh index of corpus/ (each test may change it)."""
    with writable_client(tmp_path, models, KEY) as client:
        yield client


@pytest.fixture(scope="module")
def untouched_writer(tmp_path_factory, models):
    """One such API shared by the tests that check bad feedback saves nothing (each leaves it as it was)."""
    with writable_client(tmp_path_factory.mktemp("refused"), models, KEY) as client:
        yield client


def asked(client, question: str) -> dict:
    answer = client.post("/ask", json={"question": question}).json()["answer"]
    return {k: answer[k] for k in ("text", "doc_id", "start", "end")}


def saved(client) -> list:
    """The feedback a fresh load of the index folder holds: what survives a restart."""
    index = Index.load(client.app.state.engine.settings.index_dir)
    try:
        return index.feedback.all()
    finally:
        index.close()


def test_feedback_is_saved_once_per_answer_and_survives_a_restart(writer):
    question = "When did CT041 receive RMAT?"
    answer = asked(writer, question)
    first = writer.post("/feedback", json={"question": question, "answer": answer, "verdict": "right"}, headers=AUTH)
    assert first.status_code == 201 and first.json()["status"] == "recorded"
    doc = writer.get(f"/documents/{GOLDEN}").json()["text"]
    start = doc.index("October 2020")
    wrong = {"question": question, "answer": answer, "verdict": "wrong", "correct": {"start": start, "end": start + 12}}
    again = writer.post("/feedback", json=wrong, headers=AUTH)  # the same answer again: the verdict is replaced
    assert again.status_code == 200 and again.json() == {"id": first.json()["id"], "status": "updated"}
    (row,) = saved(writer)
    assert (row.question, row.answer, row.doc_id, row.verdict) == (question, "January 2022", GOLDEN, "wrong")
    assert (row.correct, row.correct_doc_id, row.correct_start) == ("October 2020", GOLDEN, start)
    writer.post("/documents", json={"text": "Acme Bio posts results.\nAcme Bio grew.", "doc_id": "acme"}, headers=AUTH)
    assert len(saved(writer)) == 1  # an index write keeps the feedback


def test_feedback_needs_the_key_like_every_write(client, writer):
    body = {"question": "When?", "answer": {"text": "x", "doc_id": GOLDEN, "start": 0, "end": 1}, "verdict": "right"}
    assert client.post("/feedback", json=body, headers=AUTH).status_code == 403  # writes off: no key configured
    assert writer.post("/feedback", json=body).status_code == 401


@pytest.mark.parametrize(
    ("change", "status", "fragment"),
    [
        ({"answer": {"text": "January 2022", "doc_id": "nope.txt", "start": 0, "end": 12}}, 404, "No document"),
        ({"answer": {"text": "March 2023", "doc_id": GOLDEN, "start": 1122, "end": 1132}}, 422, "does not hold"),
        ({"correct": {"start": 10, "end": 20}}, 422, "verdict 'wrong'"),
        ({"verdict": "wrong", "correct": {"start": 10**6, "end": 10**6 + 5}}, 422, "not a span"),
        ({"verdict": "wrong", "correct": {"start": 20, "end": 10}}, 422, "end must be after start"),
        ({"verdict": "wrong", "correct": {"start": 0, "end": 5000}}, 422, "at most 1000"),
        ({"verdict": "maybe"}, 422, "verdict"),
        ({"question": ""}, 422, "empty"),
        ({"answer": {"text": "x" * 1001, "doc_id": GOLDEN, "start": 0, "end": 1001}}, 422, "1000"),
        ({"rating": 5}, 422, "rating"),
    ],
)
def test_bad_feedback_gets_a_clear_4xx_and_saves_nothing(untouched_writer, change, status, fragment):
    question = "When did CT041 receive RMAT?"
    body = {"question": question, "answer": asked(untouched_writer, question), "verdict": "right", **change}
    response = untouched_writer.post("/feedback", json=body, headers=AUTH)
    assert response.status_code == status and fragment in response.json()["detail"]
    assert saved(untouched_writer) == []
