"""Scale figures: ingest throughput locally and on Ray with 1 and 2 embedding workers; serving with 1 and 2 replicas."""

import os
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from pressqa.config import Settings
from pressqa.ingest.pipeline import ingest
from pressqa.service.qa import PressQA


def subset(source: Path, out: Path, count: int | None) -> int:
    """The first `count` releases of a JSONL file (all when None) copied to `out`; returns how many."""
    written = 0
    with source.open(encoding="utf-8") as handle, out.open("w", encoding="utf-8") as target:
        for line in handle:
            if count is not None and written >= count:
                break
            if line.strip():
                target.write(line)
                written += 1
    return written


def _timed_ingest(releases: Path, settings: Settings, engine: PressQA, preparer=None) -> dict:
    started = time.perf_counter()
    report = ingest([releases], settings, engine.embedder, engine.analyzer, preparer=preparer)
    seconds = time.perf_counter() - started
    return {
        "releases": len(report.added),
        "chunks": report.chunks,
        "seconds": round(seconds, 1),
        "chunks_per_s": round(report.chunks / seconds, 2),
    }


def ingest_scaling(releases: Path, settings: Settings, root: Path, log=print) -> dict:
    """Local ingest (all threads) against Ray ingest with 1 and 2 one-CPU, one-thread embedding actors."""
    from pressqa.cluster.ingest import RayPreparer
    from pressqa.cluster.session import connected

    engine = PressQA(settings.model_copy(update={"index_dir": root / "local"}))
    engine.embedder.encode(["warm-up"])  # the model's load time is not ingest time
    log(f"ingest: local, {settings.threads} torch threads …")
    result = {"local": _timed_ingest(releases, engine.settings, engine)}
    with connected("auto", num_cpus=os.cpu_count()):
        for workers in (1, 2):
            log(f"ingest: Ray, {workers} embedding actor(s) of 1 CPU and 1 thread …")
            ray_settings = settings.model_copy(update={"index_dir": root / f"ray{workers}", "ray_worker_threads": 1})
            preparer = RayPreparer(ray_settings, workers)
            result[f"ray_{workers}"] = _timed_ingest(releases, ray_settings, engine, preparer)
            result[f"ray_{workers}"]["steady_chunks_per_s"] = preparer.steady_chunks_per_s()
    local, one, two = result["local"], result["ray_1"], result["ray_2"]
    result["scaling_2_vs_1"] = round(two["chunks_per_s"] / one["chunks_per_s"], 2)
    result["steady_scaling_2_vs_1"] = round(two["steady_chunks_per_s"] / one["steady_chunks_per_s"], 2)
    result["ray_2_vs_local"] = round(two["chunks_per_s"] / local["chunks_per_s"], 2)
    engine.close()
    return result


def serving(index_dir: Path, clients: int, seconds: float, log=print) -> dict:
    """Questions per second and latency: plain `pressqa serve`, then Ray Serve with 1 and 2 replicas."""
    from pressqa.benchmarks.loadtest import run

    out = {}
    for name, ray, replicas in (("plain", None, 1), ("ray_1", "auto", 1), ("ray_2", "auto", 2)):
        log(f"serving: {name} ({clients} clients, {seconds:.0f} s, questions only) …")
        result = run(index_dir, clients, seconds, 0.0, 5.0, log=lambda _: None, ray=ray, replicas=replicas)
        out[name] = {
            "questions_per_s": result["requests_per_s"],
            "ask_ms": result["latency_ms"]["ask"],
            "server_errors": result["server_errors"],
        }
    out["ray_1_vs_plain"] = round(out["ray_1"]["questions_per_s"] / out["plain"]["questions_per_s"], 2)
    out["ray_2_vs_ray_1"] = round(out["ray_2"]["questions_per_s"] / out["ray_1"]["questions_per_s"], 2)
    return out


def cluster_bench(source: Path, count: int | None, settings: Settings, clients: int, seconds: float, log=print) -> dict:
    """Every scale figure on `count` releases of `source` (all of them when None)."""
    with tempfile.TemporaryDirectory(prefix="pressqa-cluster-bench-") as tmp:
        root = Path(tmp)
        releases = root / "releases.jsonl"
        n = subset(source, releases, count)
        log(f"{n} releases from {source}")
        result = {"machine": {"cpus": os.cpu_count()}, "releases": n, "source": str(source)}
        result["ingest"] = ingest_scaling(releases, settings, root, log)
        result["serving"] = serving(root / "local", clients, seconds, log)
    result["projection"] = projection(result["ingest"])
    return result


def projection(ingest_figures: dict, nodes: tuple[int, ...] = (1, 4, 16, 64)) -> list[dict]:
    """Chunks per second and hours for 10M chunks on N nodes of 2 or 16 cores, one actor per core.

    The rate per actor is the measured 1-actor steady rate; the efficiency is the measured 2-vs-1 scaling over 2.
    """
    per_worker = ingest_figures["ray_1"]["steady_chunks_per_s"]
    efficiency = min(1.0, ingest_figures["steady_scaling_2_vs_1"] / 2)
    rows = []
    for n in nodes:
        for cores in (2, 16):
            rate = per_worker * cores * n * efficiency
            rows.append(
                {
                    "nodes": n,
                    "cores_per_node": cores,
                    "chunks_per_s": round(rate),
                    "hours_10M": round(1e7 / rate / 3600, 1),
                }
            )
    return rows


def print_cluster_bench(result: dict, console: Console | None = None) -> None:
    console = console or Console()
    table = Table(title=f"Ingest of {result['releases']} releases ({result['machine']['cpus']} CPUs)")
    for column in ("run", "chunks", "seconds", "chunks/s end to end", "chunks/s steady"):
        table.add_column(column)
    for name in ("local", "ray_1", "ray_2"):
        row = result["ingest"][name]
        steady = str(row.get("steady_chunks_per_s", "—"))
        table.add_row(name, str(row["chunks"]), str(row["seconds"]), str(row["chunks_per_s"]), steady)
    console.print(table)
    i = result["ingest"]
    console.print(
        f"Ray 2 actors vs 1: {i['scaling_2_vs_1']}× end to end, {i['steady_scaling_2_vs_1']}× steady; "
        f"Ray 2 actors vs local: {i['ray_2_vs_local']}×"
    )
    table = Table(title="Serving (questions only)")
    for column in ("server", "questions/s", "ask ms p50 / p95", "5xx"):
        table.add_column(column)
    for name in ("plain", "ray_1", "ray_2"):
        row = result["serving"][name]
        table.add_row(
            name,
            str(row["questions_per_s"]),
            f"{row['ask_ms'].get('p50')} / {row['ask_ms'].get('p95')}",
            str(row["server_errors"]),
        )
    console.print(table)
    s = result["serving"]
    console.print(f"Ray 1 replica vs plain: {s['ray_1_vs_plain']}×; 2 replicas vs 1: {s['ray_2_vs_ray_1']}×")
