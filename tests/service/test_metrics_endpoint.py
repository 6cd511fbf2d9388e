from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from pressqa.service.api import create_app
from pressqa.service.qa import PressQA


def _samples(client: TestClient) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def test_metrics_parse_and_count_the_requests_served(corpus_engine):
    with TestClient(create_app(engine=corpus_engine)) as client:
        before = _samples(client)
        assert client.post("/ask", json={"question": "When did CT041 receive RMAT?"}).status_code == 200
        assert client.post("/ask", json={"question": "What is the boiling point of mercury?"}).status_code == 200
        assert client.get("/watches/1/hits").status_code == 404
        after = _samples(client)
    ask = (("method", "POST"), ("route", "/ask"))
    assert after[("pressqa_request_seconds_count", ask)] == 2
    assert after[("pressqa_requests_total", (*ask, ("status", "200")))] == 2
    assert after[("pressqa_questions_total", (("outcome", "answered"),))] == 1
    assert after[("pressqa_questions_total", (("outcome", "abstained"),))] == 1
    assert after[("pressqa_abstention_share", ())] == 0.5
    hits = (("method", "GET"), ("route", "/watches/{watch_id}/hits"), ("status", "404"))
    assert after[("pressqa_requests_total", hits)] == 1  # the route's template, not each id
    assert after[("pressqa_releases_indexed", ())] == 3 and after[("pressqa_chunks_indexed", ())] > 3
    assert after[("pressqa_last_ingest_timestamp_seconds", ())] > 1.7e9
    assert after[("pressqa_watch_hits", ())] == 0
    assert ("pressqa_request_seconds_count", ask) not in before  # a fresh app counts from zero


def test_metrics_can_be_turned_off(corpus_engine):
    settings = corpus_engine.settings.model_copy(update={"metrics": False})
    client = TestClient(create_app(engine=PressQA(settings)))  # no lifespan: nothing is loaded
    assert client.get("/metrics").status_code == 404
    assert client.get("/health").headers.get("content-type") == "application/json"
