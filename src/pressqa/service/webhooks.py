"""Webhooks: a saved question's new hits POSTed to the URL it was saved with, signed, retried, never to a private
address.

The body is JSON (`{"event": "watch.hit", "watch": {...}, "hits": [...]}`). The receiver checks
`X-PressQA-Signature: sha256=<hex>`, the HMAC-SHA256 of `<X-PressQA-Timestamp>.<body>` with the secret the watch was
created with (the timestamp in the signature stops a captured delivery from being replayed later). Deliveries
run on a background thread, so an upload never waits for a receiver. A connection error, a timeout, a 5xx, 408
or 429 is retried with exponential back-off; other 4xx answers and refused addresses are not. A delivery that
still fails is a dead letter: its hits are marked 'failed' and counted (`GET /watches`, `/metrics`).

Connections go only to public addresses unless `webhook_private` is set: the pinned fetch's transport resolves
each host once and connects to the address it checked (no DNS rebinding), and a proxy from the environment is
not used then.
"""

import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from urllib.parse import urlsplit

import httpx

from pressqa import __version__
from pressqa.config import Settings
from pressqa.ingest.fetch import FetchError, PublicOnlyTransport, Resolver
from pressqa.retrieval.watch_table import Watch

log = logging.getLogger(__name__)
SIGNATURE = "X-PressQA-Signature"
TIMESTAMP = "X-PressQA-Timestamp"
_RETRIED = {408, 429}


class WebhookError(ValueError):
    """A webhook URL that cannot be used; the message says why."""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def check_url(url: str, allow_private: bool) -> str:
    """An http(s) URL with a host and no credentials; a literal private address or localhost is refused here,
    names that resolve to one are refused when delivering."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookError("the webhook must be an http:// or https:// URL with a host")
    if parts.username or parts.password:
        raise WebhookError("the webhook URL must not carry credentials: the signature authenticates deliveries")
    if not allow_private and _private(parts.hostname):
        raise WebhookError(f"refused: {parts.hostname} is a private, loopback or reserved address")
    return url


def _private(host: str) -> bool:
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False  # a name: checked against what it resolves to when delivering
    return not ip.is_global or ip.is_multicast


class Webhooks:
    """Sends each batch of new hits to its watch's URL on one background thread; `done(hit_ids, ok)` records how
    it ended."""

    def __init__(
        self,
        settings: Settings,
        done: Callable[[list[int], bool], None],
        resolve: Resolver = socket.getaddrinfo,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.done = done
        self.resolve = resolve
        self.sleep = sleep
        self._pool: ThreadPoolExecutor | None = None
        self._client: httpx.Client | None = None

    def send(self, watch: Watch, hits: list[dict]) -> Future[bool] | None:
        """Queue a delivery of `hits` (JSON-ready, each with its `id`); None when the watch has no webhook."""
        if not watch.webhook_url or not hits:
            return None
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pressqa-webhooks")
        return self._pool.submit(self._deliver_and_record, watch, hits)

    def close(self) -> None:
        """Finish the queued deliveries (a CLI ingest exits only after its alerts went out), then let go."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        if self._client is not None:
            self._client.close()
            self._client = None

    def deliver(self, watch: Watch, hits: list[dict]) -> bool:
        """POST the hits, retrying what may pass later; True once the receiver answered 2xx."""
        body = json.dumps(
            {"event": "watch.hit", "watch": {"id": watch.id, "question": watch.question}, "hits": hits},
            ensure_ascii=False,
        ).encode()
        attempts = self.settings.webhook_attempts
        for attempt in range(attempts):
            if attempt:
                self.sleep(self.settings.webhook_backoff * 2 ** (attempt - 1))
            outcome = self._post(watch, body)
            if outcome is not None:
                return outcome
        log.warning("webhook of saved question %d failed %d times: a dead letter", watch.id, attempts)
        return False

    def _post(self, watch: Watch, body: bytes) -> bool | None:
        """True: delivered; False: failed for good; None: worth another try."""
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": f"PressQA/{__version__} webhook",
            TIMESTAMP: stamp,
            SIGNATURE: sign(watch.secret or "", stamp, body),
        }
        try:
            check_url(watch.webhook_url or "", self.settings.webhook_private)
            response = self.client.post(watch.webhook_url or "", content=body, headers=headers)
        except (FetchError, WebhookError) as exc:
            log.warning("webhook of saved question %d refused: %s", watch.id, exc)
            return False
        except httpx.HTTPError as exc:
            log.info("webhook of saved question %d: %s; retrying", watch.id, type(exc).__name__)
            return None
        if response.is_success:
            return True
        if response.status_code >= 500 or response.status_code in _RETRIED:
            return None
        log.warning("webhook of saved question %d answered %d: not retried", watch.id, response.status_code)
        return False

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            private = self.settings.webhook_private
            self._client = httpx.Client(
                timeout=self.settings.webhook_timeout,
                follow_redirects=False,  # a redirect could lead anywhere; the receiver's URL is the one given
                transport=None if private else PublicOnlyTransport(self.resolve),
                trust_env=private,
            )
        return self._client

    def _deliver_and_record(self, watch: Watch, hits: list[dict]) -> bool:
        try:
            ok = self.deliver(watch, hits)
        except Exception:  # noqa: BLE001 - a delivery thread must record its outcome whatever went wrong
            log.exception("webhook of saved question %d failed", watch.id)
            ok = False
        self.done([h["id"] for h in hits], ok)
        return ok
