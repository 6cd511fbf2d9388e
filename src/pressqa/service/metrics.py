"""GET /metrics: the server's figures in the Prometheus text format (`prometheus_client`).

Each app has its own registry (two apps in one process, as in the tests, never share counts). Request latency is
a histogram per route template ("/watches/{watch_id}", not each id); questions are counted by outcome; the index's
size, its last save and the saved questions' hits are read when scraped, so they show writes by other processes
(`pressqa ingest`) too.
"""

import math
from collections.abc import Callable

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from pressqa.retrieval.index import IndexNotReady
from pressqa.retrieval.manifest import MANIFEST
from pressqa.retrieval.watch_table import WatchTable
from pressqa.service.qa import PressQA

CONTENT_TYPE = CONTENT_TYPE_LATEST
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# A refused or stopped question, by the status the API answered it with.
_REFUSALS = {503: "shed", 504: "timed_out"}


class ServerMetrics:
    def __init__(self, engine: PressQA) -> None:
        self.engine = engine
        self._answered = {True: 0, False: 0}  # for the abstention share
        self.registry = CollectorRegistry()
        labels = ["method", "route"]
        self.latency = Histogram(
            "pressqa_request_seconds", "Time to answer a request.", labels, registry=self.registry, buckets=_BUCKETS
        )
        self.requests = Counter(
            "pressqa_requests", "Requests answered, by status.", [*labels, "status"], registry=self.registry
        )
        self.questions = Counter(
            "pressqa_questions",
            "Questions to /ask by outcome: answered, abstained (the releases don't say), shed (503), timed_out (504).",
            ["outcome"],
            registry=self.registry,
        )
        self._gauge("pressqa_abstention_share", "Share of the questions answered so far that abstained.", self._share)
        self._gauge("pressqa_releases_indexed", "Releases in the index (at its last save).", self._count(1))
        self._gauge("pressqa_chunks_indexed", "Passages in the index (at its last save).", self._count(2))
        self._gauge("pressqa_last_ingest_timestamp_seconds", "When the index was last saved (Unix time).", self._saved)
        self._gauge("pressqa_watch_hits", "Hits recorded for saved questions (every process).", self._hits)
        self._gauge("pressqa_webhook_dead_letters", "Hits whose webhook failed after every retry.", self._dead)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.latency.labels(method, route).observe(seconds)
        self.requests.labels(method, route, str(status)).inc()
        if route == "/ask" and status in _REFUSALS:
            self.questions.labels(_REFUSALS[status]).inc()

    def asked(self, answered: bool) -> None:
        self.questions.labels("answered" if answered else "abstained").inc()
        self._answered[answered] += 1

    def render(self) -> bytes:
        return generate_latest(self.registry)

    # ---- read when scraped ---------------------------------------------------------------
    def _gauge(self, name: str, text: str, read: Callable[[], float]) -> None:
        Gauge(name, text, registry=self.registry).set_function(read)

    def _share(self) -> float:
        total = self._answered[True] + self._answered[False]
        return self._answered[False] / total if total else math.nan

    def _count(self, position: int) -> Callable[[], float]:
        def read() -> float:
            try:
                return float(self.engine.counts()[position])
            except IndexNotReady:
                return math.nan

        return read

    def _saved(self) -> float:
        path = self.engine.settings.index_dir / MANIFEST
        return path.stat().st_mtime if path.exists() else math.nan

    def _hits(self) -> float:
        return self._watch_count(lambda table: table.hit_counts())

    def _dead(self) -> float:
        return self._watch_count(lambda table: table.dead_letters())

    def _watch_count(self, counts: Callable[[WatchTable], dict[int, int]]) -> float:
        try:
            with self.engine.reading() as index:
                return float(sum(counts(index.watches).values()))
        except IndexNotReady:
            return math.nan


def route_of(scope: dict) -> str:
    """The route template a request matched ("/watches/{watch_id}"), or "unmatched" (a 404 names no route)."""
    route = scope.get("route")
    return getattr(route, "path", None) or "unmatched"
