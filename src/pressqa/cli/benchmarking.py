"""Commands that measure: bench, load-test."""

from pathlib import Path
from typing import Annotated

import typer

from pressqa.cli.app import DOJ_RELEASES, Out, app, fail, require_file, require_ray, say
from pressqa.config import get_settings
from pressqa.retrieval.index import IndexNotReady


@app.command("load-test")
def load_test(
    clients: Annotated[int, typer.Option(min=1, help="Concurrent clients.")] = 50,
    seconds: Annotated[float, typer.Option(min=1, help="How long the clients keep sending.")] = 60,
    write_share: Annotated[float, typer.Option(min=0, max=1, help="Share of requests that write.")] = 0.2,
    warm_up: Annotated[float, typer.Option(min=0, help="Seconds before memory counts as warm.")] = 20,
    out: Out = Path("eval/results"),
    ray: Annotated[str | None, typer.Option("--ray", metavar="ADDRESS", help="Load `pressqa serve --ray`.")] = None,
    replicas: Annotated[int, typer.Option(min=1, help="Replicas with --ray.")] = 1,
    retries: Annotated[int, typer.Option(min=0, help="Times a client repeats a failed (5xx) request.")] = 0,
    kill_replica_after: Annotated[float | None, typer.Option(min=0, help="With --ray: kill a replica then.")] = None,
    questions: Annotated[
        Path | None, typer.Option(help="Questions to ask (project JSONL); default: a few about corpus/.")
    ] = None,
    burst: Annotated[
        int | None, typer.Option(min=1, help="Instead: this many questions sent at once to a warm server.")
    ] = None,
) -> None:
    """Serve a copy of the index and load it with clients mixing /ask and writes; print errors, latency, memory."""
    from pressqa.benchmarks.loadtest import run
    from pressqa.benchmarks.report import print_load, save
    from pressqa.retrieval.index import read_manifest

    settings = get_settings()
    asked = questions_to_ask(questions) if questions else None
    if burst:
        _burst(settings, burst, asked, out)
        return
    try:
        read_manifest(settings.index_dir)
        result = run(
            settings.index_dir,
            clients,
            seconds,
            write_share,
            warm_up,
            say,
            ray,
            replicas,
            retries,
            kill_replica_after,
            questions=asked,
        )
    except (IndexNotReady, RuntimeError) as exc:
        fail(str(exc))
    print_load(result)
    say(f"results: {save(result, out, 'load')}")
    if result["server_errors"] or result["lost_documents"] or result["resurrected_documents"]:
        raise typer.Exit(1)


def _burst(settings, questions: int, asked: list[str] | None, out: Path) -> None:
    from pressqa.benchmarks.burst import burst
    from pressqa.benchmarks.report import print_burst, save
    from pressqa.retrieval.index import read_manifest

    try:
        read_manifest(settings.index_dir)
        result = burst(settings.index_dir, questions, settings.question_deadline_ms, say, asked)
    except (IndexNotReady, RuntimeError) as exc:
        fail(str(exc))
    print_burst(result)
    say(f"results: {save(result, out, 'burst')}")
    if result["errors"]:
        raise typer.Exit(1)


def questions_to_ask(path: Path) -> list[str]:
    """The questions of a project JSONL file, or a CLI message and exit 1."""
    from pressqa.evaluation.evaluate import EvalInputError, load_questions

    require_file(path, "question file")
    try:
        return [item.question for item in load_questions(path)]
    except EvalInputError as exc:
        fail(str(exc))


@app.command()
def bench(
    large: Annotated[bool, typer.Option(help="Also 1M vectors and a 100k-chunk index (much slower).")] = False,
    questions: Annotated[Path, typer.Option(help="Questions to time (project JSONL).")] = Path("eval/questions.jsonl"),
    repeats: Annotated[int, typer.Option(min=1, help="Times each question is asked.")] = 4,
    releases: Annotated[int, typer.Option(min=3, help="Synthetic releases for the ingest figure.")] = 60,
    out: Out = Path("eval/results"),
    cluster: Annotated[bool, typer.Option(help="Only the scale-out figures (Ray ingest and serving).")] = False,
    cluster_releases: Annotated[Path, typer.Option(help="Releases (JSONL) for the focused runs.")] = DOJ_RELEASES,
    cluster_count: Annotated[int, typer.Option(min=3, help="Releases taken for --cluster (all with --large).")] = 300,
    extraction: Annotated[bool, typer.Option(help="Only the page-extraction figures.")] = False,
    extraction_count: Annotated[int, typer.Option(min=3, help="Pages built for --extraction.")] = 60,
    families: Annotated[bool, typer.Option(help="Only the release-family figures.")] = False,
    families_count: Annotated[int, typer.Option(min=3, help="Releases each pair set is built from.")] = 400,
    reader: Annotated[bool, typer.Option(help="Only the reader's accuracy against its time, per setting.")] = False,
    corpus: Annotated[
        list[Path] | None, typer.Option(help="With --reader: releases (JSONL or folders) to ask --questions over.")
    ] = None,
) -> None:
    """Time the query path, ingest, FAISS at scale and memory, each next to its baseline in the same run."""
    from pressqa.benchmarks import report

    settings = get_settings()
    if reader:
        _reader_bench(settings, questions, corpus, out)
        return
    if cluster or extraction or families:
        require_file(cluster_releases, "releases (give --cluster-releases FILE.jsonl)")
    if cluster:
        require_ray("--cluster")
        from pressqa.benchmarks.cluster import cluster_bench, print_cluster_bench

        result = cluster_bench(cluster_releases, None if large else cluster_count, settings, 4, 30, log=say)
        print_cluster_bench(result)
        name = "cluster-bench"
    elif extraction:
        from pressqa.benchmarks.extraction import measure, sample_releases

        result = measure(sample_releases(cluster_releases, extraction_count))
        report.print_extraction(result, cluster_releases.name, echo=typer.echo)
        name = "extraction-bench"
    elif families:
        from pressqa.benchmarks.families import run

        result = run(cluster_releases, families_count, settings, say)
        report.print_families(result, echo=typer.echo)
        name = "families-bench"
    else:
        from pressqa.benchmarks.bench import run_bench
        from pressqa.evaluation.evaluate import EvalInputError, load_questions

        try:
            texts = [item.question for item in load_questions(questions)]
        except EvalInputError as exc:
            fail(str(exc))
        result = run_bench(settings, texts, repeats, releases, large, say=say)
        report.print_bench(result)
        name = "bench"
    say(f"results: {report.save(result, out, name)}")


def _reader_bench(settings, questions: Path, corpus: list[Path] | None, out: Path) -> None:
    from pressqa.benchmarks import report
    from pressqa.benchmarks.reader_settings import measure
    from pressqa.evaluation.corpus_index import CorpusError
    from pressqa.evaluation.evaluate import EvalInputError

    try:
        result = measure(settings, questions, corpus, say=say)
    except (EvalInputError, CorpusError) as exc:
        fail(str(exc))
    report.print_reader_settings(result)
    say(f"results: {report.save(result, out, 'reader-bench')}")
