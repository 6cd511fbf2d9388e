"""Load test: concurrent clients mixing /ask with document writes against a real server on 127.0.0.1."""

import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np

KEY = "load-test-key"
QUESTIONS = [
    "When did CT041 receive RMAT?",
    "Who is the chairman of CARsgen?",
    "Where is GenScript headquartered?",
    "How many product candidates has CARsgen developed in house?",
    "Who is the CEO of Pfizer?",
    "What does MilliporeSigma supply to GenScript?",
]


SHED, TIMED_OUT = 503, 504  # deliberate answers under overload: refused at once, or stopped at a deadline
KINDS = ("ask", "write", "delete")


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {kind: [] for kind in KINDS})  # admitted
    statuses: Counter = field(default_factory=Counter)
    outcomes: dict[str, Counter] = field(default_factory=lambda: {kind: Counter() for kind in KINDS})
    failures: list[str] = field(default_factory=list)  # transport errors and 5xx, first few kept
    acknowledged: set[str] = field(default_factory=set)  # written and not deleted
    deleted: set[str] = field(default_factory=set)
    retried: int = 0  # requests that needed more than one attempt
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, seconds: float, status: int | str) -> None:
        with self.lock:
            self.statuses[status] += 1
            outcome = {SHED: "shed", TIMED_OUT: "timed_out"}.get(status) if isinstance(status, int) else None
            if outcome is None and isinstance(status, int) and status < 500:
                outcome = "admitted"
                self.latencies[kind].append(seconds)
            self.outcomes[kind][outcome or "failed"] += 1


def release(client: int, n: int) -> dict:
    """A small synthetic release with a unique fact, so each write is a new document."""
    company = f"Loadtest Bio {client}-{n}"
    text = (
        f"{company} announces a Phase {1 + n % 3} trial\n\n"
        f"BOSTON, May {1 + n % 28}, 2024 -- {company} today announced that its candidate LT-{client}{n} "
        f"entered a Phase {1 + n % 3} trial with {20 + n} patients. The chief executive, Dr. Ada Test{n}, said "
        "the company expects first data next year."
    )
    return {"text": text, "doc_id": f"load-{client}-{n}"}


def send(http: httpx.Client, method: str, url: str, retries: int, **kwargs) -> tuple[int | str, int, float]:
    """The request's final status, attempts, and Retry-After seconds (0 without one): a transport error or
    5xx is retried up to `retries` times, except the server's deliberate 503 (shed) and 504 (past the
    deadline), which are counted as they are.

    Every request the load test makes can be repeated safely: /ask reads, a write carries its doc_id (a second
    copy is "unchanged"), and a repeated delete of a release already gone answers 404.
    """
    for attempt in range(retries + 1):
        retry_after = 0.0
        try:
            response = http.request(method, url, **kwargs)
            status: int | str = response.status_code
            retry_after = float(response.headers.get("Retry-After", 0))
        except httpx.HTTPError as exc:
            status = type(exc).__name__
        if isinstance(status, int) and (status < 500 or status in (SHED, TIMED_OUT)):
            return status, attempt + 1, retry_after
        if attempt < retries:
            time.sleep(0.5 * (attempt + 1))
    return status, retries + 1, 0.0


def client_loop(
    base: str,
    client: int,
    until: float,
    write_share: float,
    tally: Tally,
    retries: int = 0,
    questions: list[str] | None = None,
) -> None:
    rng = random.Random(client)
    questions = questions or QUESTIONS
    auth = {"Authorization": f"Bearer {KEY}"}
    mine: list[str] = []
    with httpx.Client(base_url=base, timeout=300) as http:
        n = 0
        while time.monotonic() < until:
            roll, doc_id = rng.random(), None
            if roll < write_share / 2 and mine:
                doc_id = mine.pop(0)
                kind, method, url, kwargs = "delete", "DELETE", f"/documents/{doc_id}", {"headers": auth}
            elif roll < write_share:
                n += 1
                body = release(client, n)
                doc_id = body["doc_id"]
                kind, method, url, kwargs = "write", "POST", "/documents", {"json": body, "headers": auth}
            else:
                kind, method, url, kwargs = "ask", "POST", "/ask", {"json": {"question": rng.choice(questions)}}
            start = time.perf_counter()
            status, attempts, retry_after = send(http, method, url, retries, **kwargs)
            if kind == "delete" and status == 404 and attempts > 1:
                status = 200  # an earlier attempt deleted it before its answer was lost
            tally.record(kind, time.perf_counter() - start, status)
            if attempts > 1:
                with tally.lock:
                    tally.retried += 1
            if status in (SHED, TIMED_OUT):
                # A client that honours Retry-After, as the chat page does, rather than one hammering a busy server.
                time.sleep(max(0.0, min(retry_after, until - time.monotonic())))
                continue
            if not isinstance(status, int) or status >= 500:
                with tally.lock:
                    tally.failures.append(f"{kind} → {status}")
                continue
            with tally.lock:
                if kind == "write" and status in (200, 201):
                    tally.acknowledged.add(doc_id)
                    mine.append(doc_id)
                elif kind == "delete" and status == 200:
                    tally.acknowledged.discard(doc_id)
                    tally.deleted.add(doc_id)


def rss_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory in MB of a process and its children (the server's background worker counts:
    it holds its own copy of the models), from /proc."""
    current = peak = 0.0
    for member in [pid, *_children(pid)]:
        try:
            lines = Path(f"/proc/{member}/status").read_text().splitlines()
        except OSError:  # gone meanwhile
            continue
        fields = dict(line.split(":", 1) for line in lines if ":" in line)
        if "VmRSS" in fields:
            current += int(fields["VmRSS"].split()[0]) / 1024
            peak += int(fields["VmHWM"].split()[0]) / 1024
    return current, peak


def cpu_seconds(pid: int) -> float:
    """CPU time used so far by a process and its children (the server's background worker included)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for member in [pid, *_children(pid)]:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def wait_until_idle(pid: int, window: float = 1.0, busy: float = 0.05, timeout: float = 120.0) -> None:
    """Until a process (children included) has used under `busy` of a core for `window` seconds: a server that
    has finished starting, its background worker's models loaded."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        before = cpu_seconds(pid)
        time.sleep(window)
        if cpu_seconds(pid) - before < busy * window:
            return


def _children(pid: int) -> list[int]:
    """Direct children, whichever of the process's threads started them."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            found += [int(c) for c in task.read_text().split()]
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(
    index_dir: Path, port: int, log_path: Path, ray: str | None = None, replicas: int = 1
) -> subprocess.Popen:
    env = {**os.environ, "PRESSQA_INDEX_DIR": str(index_dir), "PRESSQA_API_KEY": KEY}
    command = [sys.executable, "-m", "pressqa.cli", "serve", "--port", str(port)]
    if ray:
        command += ["--ray", ray, "--replicas", str(replicas)]
    with open(log_path, "wb") as log:  # a file, not a pipe: a full pipe would stall the server
        server = subprocess.Popen(
            command,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited: {log_path.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    server.kill()
    raise RuntimeError("the server did not answer /health within 300 s")


def kill_one_replica() -> int | None:
    """SIGKILL one Ray Serve API replica's process on this machine (Serve starts a new one); its pid or None."""
    found = subprocess.run(["pgrep", "-f", "ServeReplica:pressqa:PressQAApi"], capture_output=True, text=True)
    pids = [int(pid) for pid in found.stdout.split()]
    if not pids:
        return None
    os.kill(pids[0], signal.SIGKILL)
    return pids[0]


def run(
    index_dir: Path,
    clients: int,
    seconds: float,
    write_share: float,
    warm_up: float,
    log=print,
    ray: str | None = None,
    replicas: int = 1,
    retries: int = 0,
    kill_replica_after: float | None = None,
    questions: list[str] | None = None,
) -> dict:
    """Copy the index, serve it, run the clients, then check every acknowledged write is on disk.

    The clients ask `questions` (default: a few about the sample releases) and honour Retry-After when shed.

    With `ray` the server is `pressqa serve --ray RAY --replicas N`; `kill_replica_after` seconds into the run
    one replica's process is killed, and `retries` lets clients repeat a failed request as a real client would.
    """
    from pressqa.retrieval.index import Index

    with tempfile.TemporaryDirectory(prefix="pressqa-load-") as tmp:
        work = Path(tmp) / "index"
        shutil.copytree(index_dir, work, ignore=shutil.ignore_patterns(".lock"))
        port = free_port()
        log(f"serving a copy of {index_dir}/ on 127.0.0.1:{port} …")
        server_log = Path(tmp) / "server.log"
        server = start_server(work, port, server_log, ray, replicas)
        if ray is None:
            wait_until_idle(server.pid)  # started: the writes' models loaded in the background worker
        tally, memory = Tally(), []
        start = time.monotonic()
        until = start + seconds
        threads = [
            threading.Thread(
                target=client_loop, args=(f"http://127.0.0.1:{port}", c, until, write_share, tally, retries, questions)
            )
            for c in range(clients)
        ]
        for thread in threads:
            thread.start()
        log(f"{clients} clients for {seconds:.0f} s ({write_share:.0%} writes) …")
        killed = None
        health: list[float] = []  # /health answers under load: never queued behind questions
        probes = 0
        prober = httpx.Client()
        while any(t.is_alive() for t in threads):
            if probes % 4 == 0:  # memory each second, /health each quarter second (a burst lasts a few)
                memory.append((time.monotonic() - start, *rss_mb(server.pid)))
            probes += 1
            health.append(probe_health(f"http://127.0.0.1:{port}/health", prober))
            if kill_replica_after is not None and killed is None and time.monotonic() - start >= kill_replica_after:
                killed = kill_one_replica() or 0
                log(f"killed replica process {killed}" if killed else "no replica process found to kill")
            time.sleep(0.25)
        prober.close()
        listed = {d["doc_id"] for d in httpx.get(f"http://127.0.0.1:{port}/documents", timeout=60).json()}
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        log_lines = server_log.read_text(errors="replace").splitlines()
        index = Index.load(work)
        on_disk = {d.doc_id for d in index.store.documents()}
        index.close()
    result = summarize(tally, memory, listed, on_disk, clients, seconds, warm_up)
    result["health_ms"] = percentiles_ms(health)
    result["server"] = {"ray": ray, "replicas": replicas, "retries": retries, "killed_replica": killed}
    # On a 5xx, the server's traceback is what explains it.
    result["server_log"] = [line for line in log_lines if " 200 OK" not in line and " 201 " not in line][-200:]
    return result


def probe_health(url: str, http: httpx.Client) -> float:
    """Seconds /health took to answer (its timeout, 10 s, when it did not). The client is made once: making
    one (its TLS context) took ~30 ms of the probe's own, which is not the server's time."""
    started = time.perf_counter()
    try:
        http.get(url, timeout=10)
    except httpx.HTTPError:
        return 10.0
    return time.perf_counter() - started


def percentiles_ms(values: list[float]) -> dict:
    if not values:
        return {"count": 0}
    ms = np.array(values) * 1000
    return {
        "count": len(values),
        **{f"p{q}": round(float(np.percentile(ms, q)), 1) for q in (50, 95, 99)},
        "max": round(float(ms.max()), 1),
    }


def summarize(
    tally: Tally, memory: list, listed: set, on_disk: set, clients: int, seconds: float, warm_up: float
) -> dict:
    pct = percentiles_ms

    after = [m for m in memory if m[0] >= warm_up] or memory
    return {
        "clients": clients,
        "seconds": seconds,
        "requests": sum(tally.statuses.values()),
        "requests_per_s": round(sum(tally.statuses.values()) / seconds, 1),
        "statuses": {str(k): v for k, v in sorted(tally.statuses.items(), key=str)},
        "retried": tally.retried,
        "server_errors": sum(
            v for k, v in tally.statuses.items() if not isinstance(k, int) or (k >= 500 and k not in (SHED, TIMED_OUT))
        ),
        "failures": tally.failures[:10],
        "latency_ms": {kind: pct(values) for kind, values in tally.latencies.items()},  # admitted requests
        "kinds": {
            kind: {
                "admitted": tally.outcomes[kind]["admitted"],
                "shed": tally.outcomes[kind]["shed"],
                "timed_out": tally.outcomes[kind]["timed_out"],
                "failed": tally.outcomes[kind]["failed"],
                "admitted_per_s": round(tally.outcomes[kind]["admitted"] / seconds, 2),
            }
            for kind in KINDS
        },
        "acknowledged_documents": len(tally.acknowledged),
        "lost_documents": sorted(tally.acknowledged - (listed & on_disk)),
        "resurrected_documents": sorted(tally.deleted & (listed | on_disk)),
        "memory_mb": {
            "after_warm_up": round(after[0][1], 1),
            "end": round(memory[-1][1], 1),
            "peak": round(max(m[2] for m in memory), 1),
            "samples": [[round(t, 1), round(rss, 1)] for t, rss, _ in memory],
        },
    }
