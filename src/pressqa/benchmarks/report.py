"""Benchmark results: saved as JSON, printed as tables."""

import json
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table


def save(result: dict, out: Path, prefix: str) -> Path:
    """Write a benchmark's figures to `out`/`prefix`-<time>.json and return the path."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{prefix}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(result, indent=2))
    return path


def _latency(p: dict) -> str:
    return f"{p['median']:.1f} / {p['p95']:.1f}"


def print_burst(result: dict, console: Console | None = None) -> None:
    """A burst's figures as a table."""
    table = Table(title=f"PressQA burst: {result['questions']} questions at once")
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_row("statuses", ", ".join(f"{k}: {v}" for k, v in result["statuses"].items()))
    deadline = result["deadline_ms"]
    table.add_row(
        f"answered (within the {deadline} ms deadline)", f"{result['answered']} ({result['answered_within_deadline']})"
    )
    table.add_row(
        "shed (503) / timed out (504) / errors", f"{result['shed']} / {result['timed_out']} / {result['errors']}"
    )
    for name in ("answered_ms", "shed_ms"):
        p = result[name]
        if p["count"]:
            table.add_row(f"{name.replace('_ms', '')} ms p50 / p99 / max", f"{p['p50']} / {p['p99']} / {p['max']}")
    table.add_row("Retry-After given (s)", ", ".join(f"{r:g}" for r in result["retry_after_s"]) or "–")
    (console or Console()).print(table)


def print_load(result: dict, console: Console | None = None) -> None:
    """The load test's figures as a table."""
    table = Table(title=f"PressQA load test: {result['clients']} clients, {result['seconds']:.0f} s")
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_row("requests (per s)", f"{result['requests']} ({result['requests_per_s']})")
    table.add_row("statuses", ", ".join(f"{k}: {v}" for k, v in result["statuses"].items()))
    table.add_row("5xx and transport errors", str(result["server_errors"]))
    server = result.get("server") or {}
    if server.get("ray"):
        killed = f", replica {server['killed_replica']} killed" if server.get("killed_replica") else ""
        table.add_row("Ray replicas" + killed, f"{server['replicas']} (requests retried: {result['retried']})")
    for kind, p in result["latency_ms"].items():
        k = result.get("kinds", {}).get(kind, {})
        if k:
            table.add_row(
                f"{kind}: admitted / shed (503) / timed out (504) / per s",
                f"{k['admitted']} / {k['shed']} / {k['timed_out']} / {k['admitted_per_s']}",
            )
        if p["count"]:
            table.add_row(f"{kind} admitted ms p50 / p95 / p99", f"{p['p50']} / {p['p95']} / {p['p99']}")
    h = result.get("health_ms", {})
    if h.get("count"):
        table.add_row(f"/health ms p50 / p99 / max ({h['count']} probes)", f"{h['p50']} / {h['p99']} / {h['max']}")
    lost = len(result["lost_documents"])
    table.add_row("documents acknowledged / lost", f"{result['acknowledged_documents']} / {lost}")
    table.add_row("deleted documents back", str(len(result["resurrected_documents"])))
    mem = result["memory_mb"]
    table.add_row("server RSS MB after warm-up / end / peak", f"{mem['after_warm_up']} / {mem['end']} / {mem['peak']}")
    (console or Console()).print(table)


def print_bench(result: dict, console: Console | None = None) -> None:
    """The benchmark's figures as tables: each figure beside its baseline."""
    console = console or Console()
    table = Table(title="Query path: warm ask() against the query embedding alone (ms)")
    columns = ("corpus", "chunks", "ask median / p95", "embed (ONNX) median / p95", "ratio", "embed (torch)", "ratio")
    for column in (*columns, "breakdown (median)"):
        table.add_column(column)
    for name in ("query_sample", "query_10k"):
        q = result[name]
        parts = ", ".join(f"{k} {v}" for k, v in q["breakdown_median_ms"].items())
        table.add_row(
            name.removeprefix("query_"),
            str(q["chunks"]),
            _latency(q["ask_ms"]),
            _latency(q["embed_only_ms"]),
            f"{q['ratio_median']}×",
            _latency(q["embed_torch_ms"]),
            f"{q['ratio_to_torch_embed']}×",
            parts,
        )
    console.print(table)
    i = result["ingest"]
    console.print(
        f"Ingest: {i['documents']} releases, {i['chunks']} chunks, {i['sentences']} sentences: "
        f"{i['ingest_chunks_per_s']} chunks/s through ingest ({i['precision']}) vs "
        f"{i['encode_chunks_per_s']} through plain float32 encode → ratio {i['ratio']}; "
        f"vs {i['encode_same_precision_chunks_per_s']} through plain encode at ingest's precision "
        f"→ ratio {i['ratio_same_precision']}"
    )
    table = Table(title="FAISS at scale (384-d embedding-like vectors, 200 single-vector queries)")
    for column in ("vectors", "index", "search setting", "build s", "size MB", "search ms median / p95", "recall@10"):
        table.add_column(column)
    for r in result["scale"]:
        table.add_row(
            f"{r['vectors']:,}",
            r["index"],
            r["param"] or "exact",
            str(r["build_s"]),
            str(r["size_mb"]),
            _latency(r["search_ms"]),
            f"{r['recall@10']:.4f}",
        )
    console.print(table)
    table = Table(title="Server memory (fresh process: model loaded, then index loaded and one question answered)")
    for column in ("chunks", "model MB", "server MB", "index MB", "index MB per 100k chunks"):
        table.add_column(column)
    for m in result["memory"]:
        per = m["index_mb_per_100k_chunks"]
        figures = (m["chunks"], m["model_mb"], m["server_mb"], m["index_mb"], "—" if per is None else per)
        table.add_row(*map(str, figures))
    console.print(table)


def print_extraction(result: dict, source: str, echo=print) -> None:
    """`pressqa bench extraction`: text F1, title and date per page template, beside the whole-text baseline."""
    echo(
        f"{result['pages']} pages from {source}: text token F1 mean {result['text_f1_mean']:.3f} "
        f"(lowest {result['text_f1_min']:.3f}); title right {result['title_right']:.1%}, "
        f"date right {result['date_right']:.1%}; whole visible text (the baseline): F1 "
        f"{result['baseline_text_f1_mean']:.3f} (lowest {result['baseline_text_f1_min']:.3f})"
    )
    for name, figures in result["by_template"].items():
        echo(
            f"  {name}: F1 {figures['text_f1_mean']:.3f} (lowest {figures['text_f1_min']:.3f}), "
            f"title {figures['title_right']:.0%}, date {figures['date_right']:.0%}"
        )


FAMILY_SETS = (
    ("held_out_seed_2", "held-out pairs (seed 2)"),
    ("held_out_without_facts", "  without the fact test"),
    ("held_out_without_dates", "  without the date test"),
    ("collection_twins", "near-twins of the whole collection"),
    ("collection_twins_without_facts", "  without the fact test"),
)


def print_families(result: dict, echo=print) -> None:
    """`pressqa bench families`: the sweep, precision and recall per pair set, ingest with and without."""
    echo("sweep on the selection pairs (seed 1): threshold, days, fact changes allowed → precision / recall")
    for row in result["sweep_seed_1"]:
        days = "no date test" if row["max_days"] is None else f"≤{row['max_days']} days"
        facts = "no fact test" if row["max_fact_changes"] > 100 else f"≤{row['max_fact_changes']} fact changes"
        echo(f"  {row['threshold']:.1f} {days:>13} {facts:>17}: {row['precision']:.3f} / {row['recall']:.3f}")
    for name, label in FAMILY_SETS:
        r = result[name]
        kinds = ", ".join(f"{k} {v['grouped']}/{v['pairs']} grouped" for k, v in r["by_kind"].items())
        echo(
            f"{label}: precision {r['precision']:.3f} recall {r['recall']:.3f} "
            f"({r['positives']} same-release pairs; {kinds})"
        )
    t = result["throughput"]
    echo(
        f"ingest of {t['releases']} releases: {t['chunks_per_s_on']:.1f} chunks/s with families, "
        f"{t['chunks_per_s_off']:.1f} without ({t['ratio']:.2f}×, runs differ ±10%); the family work alone "
        f"{t['family_ms_per_release']:.1f} ms per release, {t['ratio_family_work']:.3f}× of the ingest without it"
    )


def print_reader_settings(result: dict, console: Console | None = None) -> None:
    """`pressqa bench reader`: each setting's accuracy beside its time."""
    table = Table(title=f"Reader settings on {result['questions']}")
    columns = ("setting", "answerable EM / F1", "answerable abstained", "unanswerable abstained", "reader ms p50 / p95")
    for column in columns:
        table.add_column(column, justify="left" if column == "setting" else "right")
    for row in result["rows"]:
        table.add_row(
            row["setting"],
            f"{row['answerable_em']:.1f} / {row['answerable_f1']:.1f}",
            row["answerable_abstained"],
            f"{100 * row['unanswerable_abstained']:.0f}%",
            f"{row['reader_ms_median']:.0f} / {row['reader_ms_p95']:.0f}",
        )
    (console or Console()).print(table)
