"""Fetch releases from the web: robots.txt respected, a clear User-Agent, and limits on time, size and redirects.

A page becomes a `Document` like a local file of the same type (HTML or PDF); its id is the page's canonical
URL, so the same release fetched again, or through a redirect, replaces its earlier copy.
"""

import ipaddress
import socket
import urllib.robotparser
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from pressqa import __version__
from pressqa.config import Settings
from pressqa.ingest.load import LoadError, decode_text, load_bytes, make_document, read_html
from pressqa.schema import Document

# socket.getaddrinfo's shape: (host, port) to (family, type, proto, canonname, (address, port, ...)) tuples.
Resolver = Callable[[str, int], list[tuple[Any, ...]]]
USER_AGENT = f"PressQA/{__version__} (press-release question answering; respects robots.txt)"


class FetchError(Exception):
    """A URL that gave no release: refused by robots.txt, an HTTP error, too slow, too large, too many hops."""


@dataclass
class Fetcher:
    """Fetches pages with one HTTP client; robots.txt is read once per site."""

    timeout: float = 20.0
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    user_agent: str = USER_AGENT
    # False for fetches made on a client's behalf (the API): no loopback, private, link-local or reserved address.
    allow_private: bool = True
    # How a host name becomes addresses when `allow_private` is False (tests give a resolver of their own).
    resolve: Resolver = socket.getaddrinfo
    _robots: dict[str, urllib.robotparser.RobotFileParser] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.client = httpx.Client(
            timeout=self.timeout,
            follow_redirects=True,
            max_redirects=self.max_redirects,
            headers={"User-Agent": self.user_agent},
            # A client's fetch connects only to addresses it checked; a proxy from the environment would
            # connect for it, so none is used then.
            transport=None if self.allow_private else PublicOnlyTransport(self.resolve),
            trust_env=self.allow_private,
        )

    @classmethod
    def from_settings(cls, settings: Settings, allow_private: bool = True, max_bytes: int | None = None) -> "Fetcher":
        """A fetcher with the `PRESSQA_FETCH_*` limits (`max_bytes` may lower the size limit)."""
        limit = min(settings.fetch_max_bytes, max_bytes or settings.fetch_max_bytes)
        return cls(settings.fetch_timeout, limit, settings.fetch_max_redirects, allow_private=allow_private)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> "Fetcher":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def documents(self, url: str) -> list[Document]:
        """The release at `url` as a document; FetchError (with the reason) when there is none."""
        body, final_url, content_type = self.get(url)
        kind = _kind(final_url, content_type)
        try:
            if kind == ".html":
                page = read_html(decode_text(body))
                url = urljoin(final_url, page.canonical) if page.canonical else final_url
                fields = {"text": page.text, "title": page.title, "date": page.date}
                return [make_document(doc_id=url, url=url, source=urlsplit(url).netloc, **fields)]
            (doc,) = load_bytes(body, f"page{kind}", final_url)
        except LoadError as exc:
            raise FetchError(str(exc)) from exc
        doc.url, doc.source = final_url, urlsplit(final_url).netloc
        return [doc]

    def get(self, url: str) -> tuple[bytes, str, str]:
        """(body, final URL, content type) of a 200 answer, read up to `max_bytes`."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise FetchError("only http:// and https:// URLs can be fetched")
        if not self.allowed(url):
            raise FetchError("robots.txt disallows fetching it")
        try:
            with self.client.stream("GET", url) as response:
                if response.status_code != 200:
                    raise FetchError(f"HTTP {response.status_code}")
                final = str(response.url)
                if final != url and not self.allowed(final):
                    raise FetchError(f"redirected to {final}, which robots.txt disallows")
                body = bytearray()
                for piece in response.iter_bytes():
                    body += piece
                    if len(body) > self.max_bytes:
                        raise FetchError(f"larger than {self.max_bytes:,} bytes")
                return bytes(body), final, response.headers.get("content-type", "")
        except httpx.TooManyRedirects as exc:
            raise FetchError(f"more than {self.max_redirects} redirects") from exc
        except httpx.TimeoutException as exc:
            raise FetchError(f"no answer within {self.timeout:g} s") from exc
        except httpx.HTTPError as exc:
            raise FetchError(f"cannot fetch it ({type(exc).__name__}: {exc})") from exc

    def allowed(self, url: str) -> bool:
        """Whether the site's robots.txt lets this User-Agent fetch `url` (no robots.txt: yes)."""
        parts = urlsplit(url)
        site = f"{parts.scheme}://{parts.netloc}"
        robots = self._robots.get(site)
        if robots is None:
            robots = self._robots[site] = self._read_robots(site)
        return robots.can_fetch(self.user_agent, url)

    def _read_robots(self, site: str) -> urllib.robotparser.RobotFileParser:
        robots = urllib.robotparser.RobotFileParser(site + "/robots.txt")
        try:
            response = self.client.get(site + "/robots.txt")
        except httpx.HTTPError:
            robots.parse([])  # unreachable robots.txt: the page fetch will report the real problem
            return robots
        if response.status_code in (401, 403):
            robots.disallow_all = True
        elif response.status_code >= 400:
            robots.allow_all = True
        else:
            robots.parse(response.text.splitlines())
        return robots


def public_address(host: str, port: int, resolve: Resolver = socket.getaddrinfo) -> str:
    """The address to connect to for `host`: resolved once, refused unless every address it has is public."""
    try:
        addresses = [info[4][0] for info in resolve(host, port)]
    except OSError as exc:
        raise FetchError(f"cannot resolve {host} ({exc})") from exc
    if not addresses:
        raise FetchError(f"cannot resolve {host} (no address)")
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not ip.is_global or ip.is_multicast:
            raise FetchError(f"refused: {host} is a private, loopback or reserved address ({address})")
    return addresses[0]


class PublicAddressBackend(httpcore.NetworkBackend):
    """Opens each connection to the public address checked for its host, never to a second lookup's answer.

    Resolving once and connecting to that very address closes DNS rebinding (a name that answers a
    public address to the check and a private one to the connection). TLS still names the host: httpcore
    sends the URL's host as the server name and verifies the certificate against it, and the Host header
    is the URL's. Every connection is checked, so each redirect hop and robots.txt are too.
    """

    def __init__(self, resolve: Resolver = socket.getaddrinfo) -> None:
        self._resolve = resolve
        self._sockets = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        address = public_address(host, port, self._resolve)
        return self._sockets.connect_tcp(address, port, timeout, local_address, socket_options)

    def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options: Any = None) -> Any:
        raise FetchError("refused: fetches go over TCP to public addresses only")

    def sleep(self, seconds: float) -> None:
        self._sockets.sleep(seconds)


class PublicOnlyTransport(httpx.HTTPTransport):
    """httpx's transport with its connection pool on a `PublicAddressBackend`.

    httpx does not take a network backend itself, so the pool it built is replaced by one that has it
    (same TLS settings: the system's CA bundle, certificates verified).
    """

    def __init__(self, resolve: Resolver = socket.getaddrinfo) -> None:
        super().__init__()
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(), network_backend=PublicAddressBackend(resolve)
        )


def _kind(url: str, content_type: str) -> str:
    """The file type a page is read as: its content type first, else its path's suffix."""
    media = content_type.split(";")[0].strip().lower()
    if media == "application/pdf":
        return ".pdf"
    if media in ("text/html", "application/xhtml+xml"):
        return ".html"
    if media in ("text/plain", "text/markdown"):
        return ".txt"
    suffix = PurePosixPath(urlsplit(url).path).suffix.lower()
    return suffix if suffix in (".pdf", ".txt", ".md") else ".html"


def is_url(value: str) -> bool:
    return value.startswith(("http://", "https://"))
