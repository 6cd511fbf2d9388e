import threading

import pytest
from fastapi.testclient import TestClient

from pressqa.ingest.pipeline import ingest
from pressqa.retrieval.index import Index
from pressqa.service.api import create_app
from pressqa.service.qa import PressQA
from tests.conftest import writable_client

KEY = "test-key-0123456789"
AUTH = {"Authorization": f"Bearer {KEY}"}
RELEASE = (
    "Orbital Biologics names Dr. Mira Castellanos Chief Medical Officer\n\n"
    "BOSTON, March 3, 2024 -- Orbital Biologics today announced that Dr. Mira Castellanos will join the "
    "company as Chief Medical Officer on April 1, 2024. She previously led oncology development at Helix Bio."
)


@pytest.fixture()
def writer(tmp_path, models):
    """An API with writes enabled over a fresh index of corpus/ (each test may change it)."""
    with writable_client(tmp_path, models, KEY, max_document_bytes=64 * 1024) as client:
        yield client


@pytest.fixture(scope="module")
def untouched_writer(tmp_path_factory, models):
    """One such API shared by the tests that check a bad request changes nothing (each leaves it as it was)."""
    with writable_client(tmp_path_factory.mktemp("refused"), models, KEY, max_document_bytes=64 * 1024) as client:
        yield client


def on_disk(client) -> set[str]:
    """The documents a fresh load of the index folder holds: what survives a restart."""
    index = Index.load(client.app.state.engine.settings.index_dir)
    try:
        return {d.doc_id for d in index.store.documents()}
    finally:
        index.close()


@pytest.mark.parametrize("request_args", [("post", "/documents"), ("delete", "/documents/x.txt")])
def test_writes_are_off_without_a_configured_key(client, request_args):
    method, url = request_args
    response = client.request(method, url, json={"text": RELEASE}, headers=AUTH)
    assert response.status_code == 403 and "PRESSQA_API_KEY" in response.json()["detail"]
    assert len(client.get("/documents").json()) == 3


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {KEY}"}])
def test_writes_need_the_right_key(untouched_writer, headers):
    response = untouched_writer.post("/documents", json={"text": RELEASE}, headers=headers)
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
    assert untouched_writer.delete("/documents/001_dddbf5ee798e36f0.txt", headers=headers).status_code == 401
    assert len(on_disk(untouched_writer)) == 3


def test_posted_release_is_durable_searchable_and_idempotent(writer):
    response = writer.post("/documents", json={"text": RELEASE, "url": "https://example.com/pr"}, headers=AUTH)
    assert response.status_code == 201, response.text
    body = response.json()
    doc_id = body["doc_id"]
    assert body["status"] == "added" and body["chunks"] >= 1 and response.headers["location"] == f"/documents/{doc_id}"
    assert doc_id in on_disk(writer)  # acknowledged = saved
    doc = writer.get(f"/documents/{doc_id}").json()
    assert doc["date"] == "2024-03-03" and doc["title"].startswith("Orbital Biologics names")
    answer = writer.post("/ask", json={"question": "Who is the Chief Medical Officer of Orbital Biologics?"}).json()
    assert answer["answer"]["doc_id"] == doc_id and "Castellanos" in answer["answer"]["text"]

    again = writer.post("/documents", json={"text": RELEASE, "url": "https://example.com/pr"}, headers=AUTH)
    assert again.status_code == 200 and again.json() == {**body, "status": "unchanged"}
    changed = writer.post("/documents", json={"text": RELEASE, "doc_id": doc_id, "title": "New"}, headers=AUTH)
    assert changed.status_code == 200 and changed.json()["status"] == "updated"
    assert len(on_disk(writer)) == 4 and writer.get(f"/documents/{doc_id}").json()["title"] == "New"


def test_delete_removes_the_release_from_answers_and_disk(writer):
    doc_id = "001_dddbf5ee798e36f0.txt"
    response = writer.delete(f"/documents/{doc_id}", headers=AUTH)
    deleted = {"doc_id": doc_id, "status": "deleted", "chunks": 0, "watch_hits": 0}
    assert response.status_code == 200 and response.json() == deleted
    assert doc_id not in on_disk(writer)
    body = writer.post("/ask", json={"question": "When did CT041 receive RMAT?", "top_k": 10}).json()
    assert all(p["doc_id"] != doc_id for p in body["passages"])
    assert writer.delete(f"/documents/{doc_id}", headers=AUTH).status_code == 404


def test_uploaded_html_keeps_text_and_drops_scripts(writer):
    page = (
        "<html><head><title>Ignored</title><script>alert('x')</script></head><body>"
        "<nav>Home | News</nav><h1>Helix Bio opens a plant in Austin</h1>"
        "<p>AUSTIN, Texas, June 5, 2023 -- Helix Bio opened a 40,000 square foot plant.</p>"
        "<script>document.write('evil')</script></body></html>"
    )
    files = {"file": ("../../etc/helix.html", page.encode(), "text/html")}
    response = writer.post("/documents", files=files, data={"source": "wire"}, headers=AUTH)
    assert response.status_code == 201, response.text
    doc = writer.get(f"/documents/{response.json()['doc_id']}").json()
    assert doc["doc_id"] == "helix.html" and doc["title"] == "Helix Bio opens a plant in Austin"
    assert "40,000 square foot" in doc["text"] and "alert" not in doc["text"] and "evil" not in doc["text"]
    assert doc["date"] == "2023-06-05" and doc["source"] == "wire"


@pytest.mark.parametrize(
    ("kwargs", "status", "fragment"),
    [
        ({"json": {"text": ""}}, 422, "text"),
        ({"json": {"text": "  \n\t "}}, 422, "no text"),
        ({"json": {"text": "PK\x03\x04\x00\x00binary"}}, 422, "control characters"),
        ({"json": {"text": RELEASE, "doc_id": "../../etc/passwd"}}, 422, "doc_id"),
        ({"json": {"text": RELEASE, "doc_id": "a/b"}}, 422, "plain name"),
        ({"json": {"text": RELEASE, "date": "03/03/2024"}}, 422, "date"),
        ({"json": {"text": 42}}, 422, "string"),
        ({"json": {"text": RELEASE, "colour": "red"}}, 422, "colour"),
        ({"json": [RELEASE]}, 422, "object"),
        ({"content": b"{not json", "headers": {"content-type": "application/json"}}, 422, "JSON"),
        ({"content": RELEASE.encode(), "headers": {"content-type": "text/plain"}}, 415, "multipart"),
        ({"files": {"file": ("a.docx", b"PK\x03\x04", "application/octet-stream")}}, 415, ".txt, .md, .html or .pdf"),
        ({"files": {"file": ("a.pdf", b"%PDF-1.4", "application/pdf")}}, 422, "not a readable PDF"),
        ({"files": {"file": ("a.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00", "text/plain")}}, 415, "binary"),
        ({"files": {"file": ("a.txt", b"caf\xe9 au lait", "text/plain")}}, 422, "UTF-8"),
        ({"files": {"file": ("a.txt", b"", "text/plain")}}, 422, "no text"),
        ({"files": {"file": ("a.html", b"<script>x()</script>", "text/html")}}, 422, "no text"),
        ({"files": {"file": ("a.txt", RELEASE.encode(), "text/plain")}, "data": {"date": "soon"}}, 422, "date"),
        ({"files": {"other": ("a.txt", RELEASE.encode(), "text/plain")}}, 422, "'file'"),
    ],
)
def test_bad_documents_get_a_clear_4xx_and_change_nothing(untouched_writer, kwargs, status, fragment):
    kwargs.setdefault("headers", {}).update(AUTH)
    response = untouched_writer.post("/documents", **kwargs)
    assert response.status_code == status, response.text
    assert fragment in response.json()["detail"]
    assert len(on_disk(untouched_writer)) == 3 and len(untouched_writer.get("/documents").json()) == 3


def test_oversized_bodies_get_413_before_they_are_read(writer):
    big = "x " * 40_000  # 80 kB against a 64 kB limit
    response = writer.post("/documents", json={"text": big}, headers=AUTH)
    assert response.status_code == 413 and "PRESSQA_MAX_DOCUMENT_BYTES" in response.json()["detail"]

    def chunks():  # no Content-Length: counted as it streams in
        for _ in range(20):
            yield b"x" * 8192

    streamed = writer.post("/documents", content=chunks(), headers={**AUTH, "content-type": "application/json"})
    assert streamed.status_code == 413
    asked = writer.post("/ask", content=chunks(), headers={"content-type": "application/json"})
    assert asked.status_code == 413
    assert len(on_disk(writer)) == 3


def test_cors_is_off_unless_origins_are_configured(client, corpus_engine, tmp_path):
    preflight = {"Origin": "https://example.com", "Access-Control-Request-Method": "POST"}
    assert "access-control-allow-origin" not in client.options("/ask", headers=preflight).headers
    settings = corpus_engine.settings.model_copy(update={"cors_origins": ["https://example.com"]})
    engine = PressQA(settings)
    engine.embedder = corpus_engine.embedder
    with TestClient(create_app(settings, engine)) as allowed:
        response = allowed.options("/ask", headers=preflight)
        assert response.headers["access-control-allow-origin"] == "https://example.com"
    engine.close()


def test_a_write_after_another_process_wrote_reloads_and_keeps_both(writer, models):
    engine = writer.app.state.engine
    settings = engine.settings
    (settings.corpus_dir / "other.txt").write_text("Beta Bio opens a lab.\n\nBOSTON, May 2, 2024 -- Beta Bio said.")
    ingest([settings.corpus_dir], settings, models.embedder, models.analyzer)  # another writer, its own lock

    def write() -> None:  # the engine must reload under the writer lock it holds, not wait on it
        with engine.live.writing() as index:
            index.remove(["002_0a94835ec6db6944.txt"])

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    thread.join(timeout=120)
    assert not thread.is_alive(), "the write is stuck behind its own index lock"
    assert on_disk(writer) == {"000_141e616ab78fc2e8.txt", "001_dddbf5ee798e36f0.txt", "other.txt"}


def test_uploaded_pdf_is_read_and_answerable_and_a_scanned_one_is_refused(writer):
    from fpdf import FPDF

    from tests.ingest.test_pdf import PARAGRAPH_TWO, make_pdf

    pdf = make_pdf([["Acme Bio names a chief executive", PARAGRAPH_TWO], ["About Acme Bio"]])
    files = {"file": ("acme.pdf", pdf, "application/pdf")}
    response = writer.post("/documents", files=files, headers=AUTH)
    assert response.status_code == 201, response.text
    doc = writer.get("/documents/acme.pdf").json()
    assert doc["title"] == "Acme Bio names a chief executive" and PARAGRAPH_TWO in doc["text"]
    answer = writer.post("/ask", json={"question": "Who is the chief executive officer of Acme Bio?"}).json()
    assert answer["passages"][0]["doc_id"] == "acme.pdf"

    scan = FPDF()
    scan.add_page()
    scan.rect(20, 20, 100, 50, style="F")
    files = {"file": ("scan.pdf", bytes(scan.output()), "application/pdf")}
    response = writer.post("/documents", files=files, headers=AUTH)
    assert response.status_code == 422 and "no text layer" in response.json()["detail"]
