"""Fetching release pages from a real HTTP server on 127.0.0.1: robots.txt, limits, redirects, failures by URL."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpcore
import pytest
from typer.testing import CliRunner

from pressqa.cli import app
from pressqa.ingest.fetch import USER_AGENT, Fetcher, FetchError, public_address
from tests.ingest.test_pdf import PARAGRAPH_TWO, make_pdf

AUTH = {"Authorization": "Bearer k"}

PAGE = b"""<html><head><title>Acme Bio | Newsroom</title>
<link rel="canonical" href="/news/acme-phase-2.html"></head><body>
<div class="cookie-banner">We use cookies. Accept all?</div>
<nav>Home | Products | Newsroom | Careers</nav>
<h1>Acme Bio starts Phase 2 trial of AB-101</h1>
<p>BOSTON, May 2, 2024 -- Acme Bio today announced that its candidate AB-101 entered a Phase 2 trial.</p>
<p>The company expects first data in 2025, said Jane Roe, its chief executive officer.</p>
<footer>Copyright Acme Bio. Privacy. Terms.</footer></body></html>"""


class Site(BaseHTTPRequestHandler):
    agents: list[str] = []
    hosts: list[str] = []

    def do_GET(self):  # noqa: N802 (the http.server API)
        Site.agents.append(self.headers.get("User-Agent", ""))
        Site.hosts.append(self.headers.get("Host", ""))
        if self.path == "/elsewhere":  # a redirect to another host, which resolves to a private address
            self.send_response(302)
            self.send_header("Location", f"http://internal.test:{self.server.server_address[1]}/news/release.html")
            self.end_headers()
            return
        routes = {
            "/robots.txt": (200, "text/plain", b"User-agent: *\nDisallow: /private/\n"),
            "/news/release.html": (200, "text/html; charset=utf-8", PAGE),
            "/private/secret.html": (200, "text/html", PAGE),
            "/doc.pdf": (
                200,
                "application/pdf",
                make_pdf([["Acme Bio names a chief executive", PARAGRAPH_TWO], ["About Acme"]]),
            ),
            "/big": (200, "text/html", b"<p>" + b"x" * 3_000_000 + b"</p>"),
        }
        redirects = {"/go": "/news/release.html", "/loop": "/loop", "/to-private": "/private/secret.html"}
        if self.path in redirects:
            self.send_response(302)
            self.send_header("Location", redirects[self.path])
            self.end_headers()
            return
        if self.path == "/slow":
            time.sleep(2)
        status, kind, body = routes.get(self.path, (404, "text/plain", b"not found"))
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture()
def fetcher():
    f = Fetcher(timeout=0.5, max_bytes=1_000_000, max_redirects=5)
    yield f
    f.close()


def test_a_release_page_becomes_a_document_under_its_canonical_url(site, fetcher):
    (doc,) = fetcher.documents(f"{site}/go")  # through a redirect
    assert doc.doc_id == doc.url == f"{site}/news/acme-phase-2.html" and doc.source == site.removeprefix("http://")
    assert doc.title == "Acme Bio starts Phase 2 trial of AB-101" and doc.date == "2024-05-02"
    assert "Jane Roe" in doc.text and "Careers" not in doc.text and "Copyright" not in doc.text
    assert Site.agents and all(agent == USER_AGENT for agent in Site.agents)


def test_a_pdf_url_is_read_as_a_pdf(site, fetcher):
    (doc,) = fetcher.documents(f"{site}/doc.pdf")
    assert doc.title == "Acme Bio names a chief executive" and PARAGRAPH_TWO in doc.text


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/missing", "HTTP 404"),
        ("/slow", "no answer within 0.5 s"),
        ("/big", "larger than 1,000,000 bytes"),
        ("/loop", "more than 5 redirects"),
        ("/private/secret.html", "robots.txt disallows"),
        ("/to-private", "robots.txt disallows"),
    ],
)
def test_each_failure_says_why(site, fetcher, path, message):
    with pytest.raises(FetchError, match=message):
        fetcher.documents(site + path)


def test_only_http_and_https(fetcher):
    with pytest.raises(FetchError, match="only http"):
        fetcher.documents("file:///etc/passwd")


def test_ingest_takes_urls_reports_failures_by_url_and_refetches_as_unchanged(site, tmp_path, env_settings):
    env_settings(index_dir=tmp_path / "index")
    first = CliRunner().invoke(app, ["ingest", f"{site}/news/release.html", f"{site}/missing"])
    assert first.exit_code == 1  # one URL failed: reported, the other indexed
    assert f"skipped {site}/missing: HTTP 404" in first.output and "1 added" in first.output
    again = CliRunner().invoke(app, ["ingest", f"{site}/go"])
    assert again.exit_code == 0 and "0 added, 0 updated, 0 removed, 1 unchanged" in again.output


@pytest.fixture()
def api(tmp_path, models):
    """An API with writes enabled over an index of corpus/; settings per test."""
    from fastapi.testclient import TestClient

    from pressqa.ingest.pipeline import ingest
    from pressqa.service.api import create_app
    from pressqa.service.qa import PressQA
    from tests.conftest import CORPUS, make_settings

    ingest([CORPUS], make_settings(tmp_path), models.embedder, models.analyzer)

    def build(**overrides):
        settings = make_settings(tmp_path, api_key="k", **overrides)
        engine = PressQA(settings)
        engine.embedder, engine.analyzer = models.embedder, models.analyzer
        return TestClient(create_app(settings, engine))

    return build


def test_post_documents_url_is_off_by_default_and_makes_no_request(site, api):
    Site.agents.clear()
    with api() as client:
        response = client.post("/documents", json={"url": f"{site}/news/release.html"}, headers=AUTH)
    assert response.status_code == 403 and "PRESSQA_API_FETCH_URLS" in response.json()["detail"]
    assert Site.agents == []  # nothing was fetched


def test_post_documents_url_never_reaches_a_private_address_unless_allowed(site, api):
    Site.agents.clear()
    with api(api_fetch_urls=True) as client:
        refused = client.post("/documents", json={"url": f"{site}/news/release.html"}, headers=AUTH)
    assert refused.status_code == 422 and "private, loopback or reserved" in refused.json()["detail"]
    assert Site.agents == []  # refused before any request, robots.txt included
    with api(api_fetch_urls=True, api_fetch_private=True) as client:
        added = client.post("/documents", json={"url": f"{site}/go", "source": "wire"}, headers=AUTH)
        assert added.status_code == 201, added.text
        doc = client.get(f"/documents/{added.json()['doc_id']}").json()
    assert doc["url"] == f"{site}/news/acme-phase-2.html" and doc["source"] == "wire" and "Jane Roe" in doc["text"]


def test_post_documents_needs_text_or_url(api):
    with api() as client:
        response = client.post("/documents", json={"title": "no text"}, headers=AUTH)
    assert response.status_code == 422 and "'text', or a 'url'" in response.text


PUBLIC = "93.184.216.34"


def answers(host: str, *addresses: str):
    """A resolver for `host` that gives `addresses` one lookup after another (the last one from then on)."""
    lookups: list[str] = []

    def resolve(name: str, port: int):
        assert name == host, f"unexpected lookup of {name}"
        address = addresses[min(len(lookups), len(addresses) - 1)]
        lookups.append(address)
        return [(2, 1, 6, "", (address, port))]

    resolve.lookups = lookups
    return resolve


@pytest.fixture()
def internet(site, monkeypatch):
    """A pretend internet: the public address PUBLIC is served by the test site; every connection is recorded."""
    connected: list[str] = []
    real = httpcore.SyncBackend.connect_tcp

    def connect(self, host, port, *args, **kwargs):
        connected.append(host)
        if host != PUBLIC:
            raise httpcore.ConnectError(f"{host} is not reachable in this test")
        return real(self, "127.0.0.1", port, *args, **kwargs)

    monkeypatch.setattr(httpcore.SyncBackend, "connect_tcp", connect)
    Site.agents.clear()
    Site.hosts.clear()
    return connected


@pytest.mark.parametrize(
    "address", ["127.0.0.1", "10.1.2.3", "192.168.0.9", "172.16.5.5", "169.254.169.254", "224.0.0.1", "::1", "fe80::1"]
)
def test_non_public_addresses_are_refused(address):
    with pytest.raises(FetchError, match="private, loopback or reserved"):
        public_address("h.test", 80, answers("h.test", address))


def test_a_client_fetch_connects_to_the_checked_address_under_the_host_name(site, internet):
    port = site.rsplit(":", 1)[1]
    resolve = answers("news.test", PUBLIC)
    with Fetcher(timeout=2, allow_private=False, resolve=resolve) as fetcher:
        (doc,) = fetcher.documents(f"http://news.test:{port}/go")
    assert "Jane Roe" in doc.text and doc.url == f"http://news.test:{port}/news/acme-phase-2.html"
    assert internet == [PUBLIC] * len(resolve.lookups)  # one checked lookup per connection, nothing else
    assert set(Site.hosts) == {f"news.test:{port}"}  # the site saw its own name, not an address


def test_a_name_that_turns_private_after_the_check_is_never_connected_to_privately(site, internet):
    """DNS rebinding: public to the first lookup, loopback from then on; no connection ever goes to loopback."""
    port = site.rsplit(":", 1)[1]
    resolve = answers("rebind.test", PUBLIC, "127.0.0.1")
    refused = pytest.raises(FetchError, match=r"refused: rebind.test is a private.*\(127\.0\.0\.1\)")
    with Fetcher(timeout=2, allow_private=False, resolve=resolve) as fetcher, refused:
        fetcher.documents(f"http://rebind.test:{port}/news/release.html")
    assert resolve.lookups == [PUBLIC, "127.0.0.1"]  # robots.txt's connection, then the page's (refused)
    assert internet == [PUBLIC]  # only the address that passed its check was connected to
    assert Site.agents == [USER_AGENT]  # robots.txt only: the page was never requested


def test_each_redirect_hop_is_checked(site, internet):
    port = site.rsplit(":", 1)[1]

    def resolve(name: str, port: int):
        return [(2, 1, 6, "", ({"news.test": PUBLIC, "internal.test": "10.0.0.7"}[name], port))]

    refused = pytest.raises(FetchError, match=r"refused: internal.test is a private.*10\.0\.0\.7")
    with Fetcher(timeout=2, allow_private=False, resolve=resolve) as fetcher, refused:
        fetcher.documents(f"http://news.test:{port}/elsewhere")
    assert internet == [PUBLIC] * len(internet) and internet
