import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi.testclient import TestClient

from pressqa.service.api import create_app
from pressqa.service.qa import PressQA
from pressqa.service.webhooks import SIGNATURE, TIMESTAMP, WebhookError, Webhooks, check_url, sign
from tests.conftest import writable_client
from tests.service.test_watches import APPOINTMENT, AUTH, CFO, KEY


class Receiver:
    """A real HTTP server on this machine that answers with the statuses it is given, then 200."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = list(statuses)
        self.received: list[tuple[dict, bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}/hook"


def _eventually(check, seconds: float = 15.0):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if value := check():
            return value
        time.sleep(0.05)
    raise AssertionError("not within the time allowed")


def _dead_letters(client) -> int:
    return client.get("/watches").json()[0]["dead_letters"]


@pytest.fixture()
def receiver():
    made = []

    def make(statuses=()):
        made.append(Receiver(list(statuses)))
        return made[-1]

    yield make
    for r in made:
        r.server.shutdown()


def test_urls_are_checked_before_any_delivery():
    assert check_url("https://alerts.example.com/hook", allow_private=False)
    for bad in (
        "ftp://example.com/x",
        "https://user:pw@example.com/",
        "http://127.0.0.1/x",
        "http://localhost:80/",
        "http://10.0.0.8/x",
        "http://[::1]/x",
        "not a url",
    ):
        with pytest.raises(WebhookError):
            check_url(bad, allow_private=False)
    assert check_url("http://127.0.0.1:9/x", allow_private=True)


def test_a_hit_is_delivered_signed_after_a_failed_try(tmp_path, models, receiver):
    hook = receiver([500])
    with writable_client(tmp_path, models, KEY, webhook_private=True, webhook_backoff=0.0) as client:
        created = client.post("/watches", json={"question": CFO, "webhook_url": hook.url()}, headers=AUTH).json()
        assert len(created["secret"]) == 64 and created["webhook_url"] == hook.url()
        assert "secret" not in client.get("/watches").json()[0]  # shown once, on creation
        assert client.post("/documents", json=APPOINTMENT, headers=AUTH).json()["watch_hits"] == 1
        _eventually(lambda: len(hook.received) == 2)
        headers, body = hook.received[1]  # the second try, after the 500
        assert headers[SIGNATURE] == sign(created["secret"], headers[TIMESTAMP], body)
        assert headers[SIGNATURE] != sign("another secret", headers[TIMESTAMP], body)
        payload = json.loads(body)
        assert payload["event"] == "watch.hit" and payload["watch"] == {"id": created["id"], "question": CFO}
        [hit] = payload["hits"]
        assert (hit["answer"], hit["doc_id"], hit["title"]) == ("Dana Whitfield", "orbital-cfo", APPOINTMENT["title"])
        engine = client.app.state.engine
        engine.webhooks.close()  # waits for the delivery thread to record how it ended
        with engine.reading() as index:
            assert index.watches.db.execute("SELECT delivery FROM watch_hits").fetchall() == [("delivered",)]
        assert _dead_letters(client) == 0


def test_a_webhook_to_a_private_address_is_refused_and_counted_as_a_dead_letter(tmp_path, models, receiver):
    hook = receiver()
    with writable_client(tmp_path, models, KEY, webhook_backoff=0.0) as client:
        refused = client.post("/watches", json={"question": CFO, "webhook_url": hook.url()}, headers=AUTH)
        assert refused.status_code == 422 and "private" in refused.json()["detail"]
        # A name is checked when delivering: this one resolves to this machine, as a rebinding name would.
        engine = client.app.state.engine
        engine.webhooks = Webhooks(
            engine.settings,
            engine._delivered,
            resolve=lambda host, port: [(socket.AF_INET, 1, 6, "", ("127.0.0.1", port))],
        )
        url = hook.url("receiver.example")
        assert client.post("/watches", json={"question": CFO, "webhook_url": url}, headers=AUTH).status_code == 201
        assert client.post("/documents", json=APPOINTMENT, headers=AUTH).json()["watch_hits"] == 1
        engine.webhooks.close()
        assert hook.received == [] and _dead_letters(client) == 1
        assert "pressqa_webhook_dead_letters 1.0" in client.get("/metrics").text


def test_a_receiver_that_keeps_failing_is_tried_the_set_number_of_times(tmp_path, models, receiver):
    hook = receiver([500, 503, 500, 500])
    overrides = {"webhook_private": True, "webhook_backoff": 0.0, "webhook_attempts": 3}
    with writable_client(tmp_path, models, KEY, **overrides) as client:
        client.post("/watches", json={"question": CFO, "webhook_url": hook.url()}, headers=AUTH)
        client.post("/documents", json=APPOINTMENT, headers=AUTH)
        client.app.state.engine.webhooks.close()
        assert len(hook.received) == 3 and _dead_letters(client) == 1


def test_deliveries_a_stopped_server_left_pending_go_out_when_it_starts_again(tmp_path, models, receiver):
    hook = receiver()
    overrides = {"webhook_private": True, "webhook_backoff": 0.0}
    with writable_client(tmp_path, models, KEY, **overrides) as client:
        created = client.post("/watches", json={"question": CFO, "webhook_url": hook.url()}, headers=AUTH).json()
        engine = client.app.state.engine
        engine.webhooks.send = lambda watch, hits: None  # the server stops before its queue is sent
        assert client.post("/documents", json=APPOINTMENT, headers=AUTH).json()["watch_hits"] == 1
        settings = engine.settings
    assert hook.received == []
    restarted = PressQA(settings)
    restarted.embedder, restarted.analyzer = models.embedder, models.analyzer
    with TestClient(create_app(settings, restarted)):
        restarted.webhooks.close()
        [(_, body)] = hook.received
        payload = json.loads(body)
        assert payload["watch"]["id"] == created["id"] and payload["hits"][0]["answer"] == "Dana Whitfield"
        with restarted.reading() as index:
            assert index.watches.pending() == []
    restarted.close()
