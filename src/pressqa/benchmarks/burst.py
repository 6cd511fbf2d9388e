"""A burst: many questions sent at the same moment to a real server; how many are answered within the deadline,
and how fast the others are refused."""

import shutil
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

from pressqa.benchmarks.loadtest import (
    QUESTIONS,
    SHED,
    TIMED_OUT,
    free_port,
    percentiles_ms,
    start_server,
    wait_until_idle,
)

WARM_QUESTIONS = 10  # asked one at a time first: a server that has been running knows its questions' time
QUIET_S = 1.0


def burst(index_dir: Path, questions: int, deadline_ms: int, log=print, asked: list[str] | None = None) -> dict:
    """Serve a copy of the index, warm it, then send `questions` questions at once (one client each)."""
    asked = asked or QUESTIONS
    with tempfile.TemporaryDirectory(prefix="pressqa-burst-") as tmp:
        work = Path(tmp) / "index"
        shutil.copytree(index_dir, work, ignore=shutil.ignore_patterns(".lock"))
        port = free_port()
        log(f"serving a copy of {index_dir}/ on 127.0.0.1:{port} …")
        server = start_server(work, port, Path(tmp) / "server.log")
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_idle(server.pid)  # started: the writes' models loaded beside, so they do not slow the warm-up
            with httpx.Client(base_url=base, timeout=60) as http:
                for n in range(WARM_QUESTIONS):
                    http.post("/ask", json={"question": asked[n % len(asked)]})
            time.sleep(QUIET_S)  # a burst arrives at a quiet server (one busy all along has a standing queue)
            log(f"{questions} questions at once …")
            outcomes = _fire(base, [asked[n % len(asked)] for n in range(questions)])
        finally:
            server.terminate()
            server.wait(timeout=60)
    return summarize(outcomes, deadline_ms)


def _fire(base: str, questions: list[str]) -> list[tuple[int | str, float, float]]:
    """(status, seconds, Retry-After) of each question, all sent when every client is ready."""
    ready = threading.Barrier(len(questions))
    outcomes: list[tuple[int | str, float, float]] = []
    lock = threading.Lock()

    def ask(question: str) -> None:
        with httpx.Client(base_url=base, timeout=120) as http:
            ready.wait()
            started = time.perf_counter()
            try:
                response = http.post("/ask", json={"question": question})
                status: int | str = response.status_code
                retry_after = float(response.headers.get("Retry-After", 0))
            except httpx.HTTPError as exc:
                status, retry_after = type(exc).__name__, 0.0
            with lock:
                outcomes.append((status, time.perf_counter() - started, retry_after))

    threads = [threading.Thread(target=ask, args=(q,)) for q in questions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def summarize(outcomes: list[tuple[int | str, float, float]], deadline_ms: int) -> dict:
    answered = [s for status, s, _ in outcomes if status == 200]
    shed = [(s, r) for status, s, r in outcomes if status == SHED]
    statuses = Counter(str(status) for status, _, _ in outcomes)
    return {
        "questions": len(outcomes),
        "deadline_ms": deadline_ms,
        "statuses": dict(sorted(statuses.items())),
        "answered": len(answered),
        "answered_within_deadline": sum(s * 1000 <= deadline_ms for s in answered),
        "shed": len(shed),
        "timed_out": statuses.get(str(TIMED_OUT), 0),
        "errors": sum(n for k, n in statuses.items() if k not in ("200", str(SHED), str(TIMED_OUT))),
        "answered_ms": percentiles_ms(answered),
        "shed_ms": percentiles_ms([s for s, _ in shed]),
        "retry_after_s": sorted({r for _, r in shed}),
        "last_answer_s": round(max(answered), 2) if answered else None,
    }
