"""RSS and Atom feeds from a local HTTP server whose feeds change between polls."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from typer.testing import CliRunner

from pressqa.cli import app
from pressqa.ingest.feeds import FeedStore, poll_feeds
from pressqa.ingest.fetch import Fetcher

ITEMS = {
    1: "Acme Bio starts Phase 2 trial of AB-101",
    2: "Helix Bio opens a plant in Austin",
    3: "Orbital Biologics names a chief medical officer",
}


def page(n: int) -> bytes:
    return (
        f"<html><body><h1>{ITEMS[n]}</h1><p>BOSTON, May {n}, 2024 -- {ITEMS[n]}, the company said today. "
        f"The news is item {n} of the feed.</p></body></html>"
    ).encode()


def rss(numbers: list[int]) -> bytes:
    items = "".join(
        f"<item><title>{ITEMS[n]}</title><link>{{base}}/news/{n}.html</link><guid>item-{n}</guid></item>"
        for n in numbers
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>{items}</channel></rss>'.encode()


def atom(numbers: list[int]) -> bytes:
    entries = "".join(
        f'<entry><title>{ITEMS[n]}</title><link href="{{base}}/news/{n}.html"/><id>urn:item:{n}</id>'
        "<updated>2024-05-01T00:00:00Z</updated></entry>"
        for n in numbers
    )
    return (
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Wire</title>'
        f"<id>urn:wire</id><updated>2024-05-01T00:00:00Z</updated>{entries}</feed>"
    ).encode()


class Wire(BaseHTTPRequestHandler):
    published = [1, 2]  # the items the feeds list now; a test adds to it between polls
    feed_requests: list[tuple[str, str | None]] = []  # (path, If-None-Match)

    def do_GET(self):  # noqa: N802 (the http.server API)
        base = f"http://{self.headers['Host']}"
        if self.path in ("/rss.xml", "/atom.xml"):
            etag = f'"{self.path}-{len(Wire.published)}"'
            Wire.feed_requests.append((self.path, self.headers.get("If-None-Match")))
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.end_headers()
                return
            body = (rss if self.path == "/rss.xml" else atom)(Wire.published).replace(b"{base}", base.encode())
            self._send(200, "application/rss+xml", body, {"ETag": etag})
        elif self.path.startswith("/news/") and self.path.removeprefix("/news/").removesuffix(".html").isdigit():
            self._send(200, "text/html", page(int(self.path.removeprefix("/news/").removesuffix(".html"))))
        else:
            self._send(404, "text/plain", b"not found")

    def _send(self, status, kind, body, headers=None):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture()
def wire():
    Wire.published, Wire.feed_requests = [1, 2], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Wire)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture()
def cli(tmp_path, env_settings):
    env_settings(index_dir=tmp_path / "index")
    return tmp_path


@pytest.mark.parametrize("feed", ["/rss.xml", "/atom.xml"])
def test_a_feed_s_new_items_are_indexed_once_and_its_etag_is_sent(wire, cli, feed):
    runner = CliRunner()
    first = runner.invoke(app, ["ingest", "--feed", wire + feed])
    assert first.exit_code == 0, first.output
    assert "2 added" in first.output and "2 new item(s) indexed" in first.output
    again = runner.invoke(app, ["ingest", "--feed", wire + feed])
    assert "0 new item(s) indexed" in again.output and Wire.feed_requests[-1][1] is not None  # a 304
    Wire.published.append(3)
    third = runner.invoke(app, ["ingest", "--feed", wire + feed])
    assert "1 added" in third.output and "1 new item(s) indexed" in third.output
    state = FeedStore(cli / "index").load()[wire + feed]
    assert len(state.seen) == 3 and state.etag and state.failures == 0


def test_a_failing_feed_backs_off_and_does_not_stop_the_others(wire, tmp_path):
    indexed: list[str] = []

    def index_pages(links):
        indexed.extend(links)
        return {}

    clock = [1000.0]
    fetcher = Fetcher(timeout=5)
    feeds = [wire + "/missing.xml", wire + "/rss.xml"]
    try:
        counts = poll_feeds(feeds, tmp_path, index_pages, fetcher, 60, now=lambda: clock[0], log=lambda m: None)
        assert counts == {wire + "/rss.xml": 2} and len(indexed) == 2
        states = FeedStore(tmp_path).load()
        broken = states[wire + "/missing.xml"]
        assert broken.failures == 1 and broken.next_try == 1000 + 120 and "HTTP 404" in broken.last_error
        clock[0] = 1100.0  # before the back-off ends: the broken feed is not asked again
        asked = len(Wire.feed_requests)
        poll_feeds(feeds, tmp_path, index_pages, fetcher, 60, now=lambda: clock[0], log=lambda m: None)
        assert all(path != "/missing.xml" for path, _ in Wire.feed_requests[asked:])
        clock[0] = 1200.0
        poll_feeds(feeds, tmp_path, index_pages, fetcher, 60, now=lambda: clock[0], log=lambda m: None)
        assert FeedStore(tmp_path).load()[wire + "/missing.xml"].failures == 2  # tried, failed, waits 240 s now
    finally:
        fetcher.close()


def test_an_item_whose_page_fails_is_tried_again_next_poll(wire, tmp_path):
    failing = {f"{wire}/news/2.html": "HTTP 500"}
    fetcher = Fetcher(timeout=5)
    try:
        poll_feeds([wire + "/rss.xml"], tmp_path, lambda links: dict(failing), fetcher, 60, log=lambda m: None)
        assert FeedStore(tmp_path).load()[wire + "/rss.xml"].seen == ["item-1"]
    finally:
        fetcher.close()


def test_watch_without_anything_to_watch_says_so(cli):
    result = CliRunner().invoke(app, ["watch", "--once"])
    assert result.exit_code == 1 and "nothing to watch" in result.output


def test_watch_once_indexes_the_configured_feeds_and_folders(wire, cli, env_settings):
    folder = cli / "releases"
    folder.mkdir()
    (folder / "a.txt").write_text("Acme Corp. appointed Jane Roe as chief executive on May 5, 2022.")
    env_settings(watch_feeds=f'["{wire}/atom.xml"]', watch_folders=f'["{folder}"]')
    result = CliRunner().invoke(app, ["watch", "--once"])
    assert result.exit_code == 0, result.output
    assert "1 added" in result.output and "2 new item(s) indexed" in result.output
