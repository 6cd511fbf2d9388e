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


bench_app = typer.Typer(
    help="Time the query path, ingest, FAISS at scale and memory (no subcommand), or one subject's figures.",
    invoke_without_command=True,
    no_args_is_help=False,
)
app.add_typer(bench_app, name="bench")
Releases = Annotated[Path, typer.Option("--releases", help="Releases (JSONL) the figures are measured on.")]


@bench_app.callback()
def bench(
    context: typer.Context,
    large: Annotated[bool, typer.Option(help="Also 1M vectors and a 100k-chunk index (much slower).")] = False,
    questions: Annotated[Path, typer.Option(help="Questions to time (project JSONL).")] = Path("eval/questions.jsonl"),
    repeats: Annotated[int, typer.Option(min=1, help="Times each question is asked.")] = 4,
    releases: Annotated[int, typer.Option(min=3, help="Synthetic releases for the ingest figure.")] = 60,
    out: Out = Path("eval/results"),
) -> None:
    """Time the query path, ingest, FAISS at scale and memory, each next to its baseline in the same run."""
    if context.invoked_subcommand is not None:
        return
    from pressqa.benchmarks import report
    from pressqa.benchmarks.bench import run_bench
    from pressqa.evaluation.evaluate import EvalInputError, load_questions

    try:
        texts = [item.question for item in load_questions(questions)]
    except EvalInputError as exc:
        fail(str(exc))
    result = run_bench(get_settings(), texts, repeats, releases, large, say=say)
    report.print_bench(result)
    say(f"results: {report.save(result, out, 'bench')}")


@bench_app.command("cluster")
def bench_cluster(
    releases: Releases = DOJ_RELEASES,
    count: Annotated[int, typer.Option(min=3, help="Releases taken (all with --large).")] = 300,
    large: Annotated[bool, typer.Option(help="Every release of --releases.")] = False,
    out: Out = Path("eval/results"),
) -> None:
    """The scale-out figures: Ray ingest and serving against one process."""
    from pressqa.benchmarks import report
    from pressqa.benchmarks.cluster import cluster_bench, print_cluster_bench

    require_file(releases, "releases (give --releases FILE.jsonl)")
    require_ray("bench cluster")
    result = cluster_bench(releases, None if large else count, get_settings(), 4, 30, log=say)
    print_cluster_bench(result)
    say(f"results: {report.save(result, out, 'cluster-bench')}")


@bench_app.command("extraction")
def bench_extraction(
    releases: Releases = DOJ_RELEASES,
    count: Annotated[int, typer.Option(min=3, help="Pages built.")] = 60,
    out: Out = Path("eval/results"),
) -> None:
    """Page extraction: text, title and date per page template, beside the whole-text baseline."""
    from pressqa.benchmarks import report
    from pressqa.benchmarks.extraction import measure, sample_releases

    require_file(releases, "releases (give --releases FILE.jsonl)")
    result = measure(sample_releases(releases, count))
    report.print_extraction(result, releases.name, echo=typer.echo)
    say(f"results: {report.save(result, out, 'extraction-bench')}")


@bench_app.command("families")
def bench_families(
    releases: Releases = DOJ_RELEASES,
    count: Annotated[int, typer.Option(min=3, help="Releases each pair set is built from.")] = 400,
    out: Out = Path("eval/results"),
) -> None:
    """Release families: the rule on labelled pairs, then ingest with and without it."""
    from pressqa.benchmarks import report
    from pressqa.benchmarks.families import run

    require_file(releases, "releases (give --releases FILE.jsonl)")
    result = run(releases, count, get_settings(), say)
    report.print_families(result, echo=typer.echo)
    say(f"results: {report.save(result, out, 'families-bench')}")


@bench_app.command("reader")
def bench_reader(
    questions: Annotated[Path, typer.Option(help="Questions to ask (project JSONL).")] = Path("eval/questions.jsonl"),
    corpus: Annotated[list[Path] | None, typer.Option(help="Releases (JSONL or folders) to ask them over.")] = None,
    out: Out = Path("eval/results"),
) -> None:
    """The reader's accuracy against its time, per setting."""
    _reader_bench(get_settings(), questions, corpus, out)


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
