"""The `pressqa` command: ingest, ask, serve, info."""

import json
import os
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import typer

from pressqa.config import get_settings
from pressqa.retrieval.index import IndexNotReady

app = typer.Typer(
    help="Ask questions of press releases; get extractive answers with cited passages.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _fail(message: str, code: int = 1) -> None:
    typer.secho(message, err=True, fg=typer.colors.RED)
    raise typer.Exit(code)


def _ray_connect(address: str, stack: ExitStack) -> None:
    """Join the Ray cluster at `address` ('auto': start one here) for the rest of `stack`, or fail with a message."""
    try:
        import ray.data  # noqa: F401
        import ray.serve  # noqa: F401
    except ImportError:
        _fail("--ray needs Ray: pip install 'pressqa[cluster]'")
    from pressqa.cluster.session import connected

    try:
        stack.enter_context(connected(address))
    except (ConnectionError, ValueError, RuntimeError) as exc:
        _fail(f"cannot reach the Ray cluster at {address}: {exc}")


def _ray_preparer(address: str, settings, workers: int | None, stack: ExitStack):
    """A Ray session for the rest of `stack`, and the preparer that sends releases to its workers."""
    _ray_connect(address, stack)
    from pressqa.cluster.ingest import RayPreparer

    return RayPreparer(settings, workers, progress=sys.stderr.isatty())  # its own lines either way


@app.command()
def ingest(
    paths: Annotated[
        list[str] | None,
        typer.Argument(help="Files, folders or http(s) URLs of release pages (default: the corpus folder)."),
    ] = None,
    rebuild: Annotated[bool, typer.Option(help="Start a new index instead of updating.")] = False,
    ray: Annotated[
        str | None,
        typer.Option(
            "--ray",
            metavar="ADDRESS",
            help="Analyse and embed on a Ray cluster ('auto': start one on this machine); needs pressqa[cluster].",
        ),
    ] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Ray embedding actors (default: ray_workers).")] = None,
    feed: Annotated[
        list[str] | None, typer.Option("--feed", help="An RSS or Atom feed: index its new items (repeat for more).")
    ] = None,
) -> None:
    """Index new and changed releases (.txt, .md, .html, .jsonl, .pdf files, or web pages) and drop deleted ones."""
    from pressqa.ingest.fetch import is_url
    from pressqa.ingest.pipeline import ingest as run_ingest
    from pressqa.service.qa import PressQA

    settings = get_settings()
    engine = PressQA(settings)
    try:
        with ExitStack() as stack:
            preparer = _ray_preparer(ray, settings, workers, stack) if ray else None
            urls = [p for p in paths or [] if is_url(p)]
            folders = [Path(p) for p in paths or [] if not is_url(p)]
            if feed and not paths:
                _index_feeds(feed, settings, engine, force=True)
                return
            report = run_ingest(
                folders if paths else [settings.corpus_dir],
                settings,
                engine.embedder,
                engine.analyzer,
                rebuild=rebuild,
                progress=True,  # a bar on a terminal, periodic lines in a log
                preparer=preparer,
                urls=urls,
            )
    except IndexNotReady as exc:
        _fail(str(exc))
    _print_report(report, settings)
    if feed:
        _index_feeds(feed, settings, engine, force=True)
    if report.errors:
        raise typer.Exit(1)


def _print_report(report, settings) -> None:
    for source, reason in report.errors:
        typer.secho(f"skipped {source}: {reason}", err=True, fg=typer.colors.YELLOW)
    typer.echo(
        f"{len(report.added)} added, {len(report.updated)} updated, {len(report.removed)} removed, "
        f"{report.unchanged} unchanged; {report.chunks} chunks embedded; index at {settings.index_dir}/"
    )


def _index_feeds(feeds: list[str], settings, engine, force: bool) -> dict[str, int]:
    """Poll the feeds (those due, or all with `force`) and index their new items' pages."""
    from pressqa.ingest.feeds import poll_feeds
    from pressqa.ingest.fetch import Fetcher
    from pressqa.ingest.pipeline import ingest as run_ingest

    def index_pages(links: list[str]) -> dict[str, str]:
        report = run_ingest([], settings, engine.embedder, engine.analyzer, progress=True, urls=links)
        _print_report(report, settings)
        return dict(report.errors)

    fetcher = Fetcher.from_settings(settings)
    try:
        say = lambda message: typer.echo(message, err=True)  # noqa: E731
        return poll_feeds(
            feeds, settings.index_dir, index_pages, fetcher, settings.watch_interval, log=say, force=force
        )
    finally:
        fetcher.close()


@app.command()
def watch(
    once: Annotated[bool, typer.Option(help="One round, then exit (for cron or a test).")] = False,
) -> None:
    """Keep the index up to date: poll the feeds and folders in the settings (PRESSQA_WATCH_*) until stopped."""
    import time

    from pressqa.ingest.pipeline import ingest as run_ingest
    from pressqa.service.qa import PressQA

    settings = get_settings()
    if not settings.watch_feeds and not settings.watch_folders:
        _fail("nothing to watch: set PRESSQA_WATCH_FEEDS='[\"https://…/rss\"]' and/or PRESSQA_WATCH_FOLDERS")
    engine = PressQA(settings)
    next_folders = 0.0
    typer.echo(f"watching {len(settings.watch_feeds)} feed(s), {len(settings.watch_folders)} folder(s)", err=True)
    try:
        while True:
            if settings.watch_folders and time.time() >= next_folders:
                report = run_ingest(settings.watch_folders, settings, engine.embedder, engine.analyzer, progress=True)
                _print_report(report, settings)
                next_folders = time.time() + settings.watch_interval
            if settings.watch_feeds:
                _index_feeds(settings.watch_feeds, settings, engine, force=False)
            if once:
                return
            time.sleep(min(settings.watch_interval, 60.0))  # feeds come due at their own times (back-off)
    except KeyboardInterrupt:
        typer.echo("stopped", err=True)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, in quotes.")],
    top_k: Annotated[int | None, typer.Option("--top-k", min=1, help="Passages to return.")] = None,
    mode: Annotated[str, typer.Option(help="hybrid, dense or bm25.")] = "hybrid",
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's /ask response body.")] = False,
) -> None:
    """Answer a question from the indexed releases, with cited passages."""
    from pressqa.service.api_models import AskRequest, ask_response
    from pressqa.service.qa import PressQA

    settings = get_settings()
    try:
        request = AskRequest(question=question, top_k=top_k, mode=mode)
    except ValueError as exc:
        _fail(f"invalid request: {exc}", 2)
    engine = PressQA(settings)
    try:
        result = engine.ask(request.question, request.top_k, request.mode, request.to_filters())
    except IndexNotReady as exc:
        _fail(str(exc))
    response = ask_response(result)
    if as_json:
        typer.echo(response.model_dump_json(indent=2))
        return
    _print_answer(response)


def _print_answer(response) -> None:
    answer = response.answer
    if answer:
        typer.secho(f"{answer.text}   (score {answer.score:.2f})", bold=True)
    else:
        typer.secho("The releases don't say.", bold=True)
    for n, p in enumerate(response.passages, start=1):
        cited = answer and p.chunk_id == answer.chunk_id
        where = f"{p.doc_id}, chars {p.start}–{p.end}"
        if cited:
            where = f"{p.doc_id}, answer at chars {answer.start}–{answer.end}"
        snippet = p.text if len(p.text) < 300 else p.text[:297] + "…"
        typer.echo(f"  [{n}]{'*' if cited else ' '} {p.title} ({where}, score {p.score:.3f})")
        typer.echo(f'       "{snippet}"')
        if p.also_published_by:
            others = ", ".join(d.url or d.source or d.doc_id for d in p.also_published_by)
            typer.echo(f"       also published by: {others}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    ray: Annotated[
        str | None,
        typer.Option(
            "--ray",
            metavar="ADDRESS",
            help="Serve from Ray Serve replicas on this cluster ('auto': start one here); needs pressqa[cluster].",
        ),
    ] = None,
    replicas: Annotated[int, typer.Option(min=1, help="API replicas with --ray (each loads the model).")] = 2,
) -> None:
    """Serve the HTTP API and chat page."""
    settings = get_settings()
    if ray:
        _serve_on_ray(ray, settings, replicas, host or settings.host, port or settings.port)
        return
    import uvicorn

    from pressqa.service.api import create_app

    _limit_malloc_arenas()
    uvicorn.run(create_app(settings), host=host or settings.host, port=port or settings.port)


def _serve_on_ray(address: str, settings, replicas: int, host: str, port: int) -> None:
    """Deploy the API on Ray Serve and wait; SIGTERM or Ctrl-C takes the deployment down."""
    import signal

    with ExitStack() as stack:
        _ray_connect(address, stack)
        from ray import serve as ray_serve

        from pressqa.cluster.serve import run as run_serve

        def stop(signum, frame):
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, stop)
        stack.callback(ray_serve.shutdown)
        typer.echo(f"serving {replicas} replicas on http://{host}:{port}/ (Ray at {address}); Ctrl-C stops")
        try:
            run_serve(settings, replicas, host, port, blocking=True)
        except KeyboardInterrupt:
            typer.echo("stopping the replicas")


def _extraction_bench(releases: Path, count: int, out: Path) -> None:
    from pressqa.evaluation import bench as b
    from pressqa.evaluation.extraction_bench import measure, sample_releases

    if not releases.is_file():
        _fail(f"no releases at {releases} (give --cluster-releases FILE.jsonl)")
    result = measure(sample_releases(releases, count))
    typer.echo(
        f"{result['pages']} pages from {releases.name}: text token F1 mean {result['text_f1_mean']:.3f} "
        f"(lowest {result['text_f1_min']:.3f}); title right {result['title_right']:.1%}, "
        f"date right {result['date_right']:.1%}; whole visible text (the baseline): F1 "
        f"{result['baseline_text_f1_mean']:.3f} (lowest {result['baseline_text_f1_min']:.3f})"
    )
    for name, figures in result["by_template"].items():
        typer.echo(
            f"  {name}: F1 {figures['text_f1_mean']:.3f} (lowest {figures['text_f1_min']:.3f}), "
            f"title {figures['title_right']:.0%}, date {figures['date_right']:.0%}"
        )
    typer.echo(f"results: {b.save(result, out, prefix='extraction-bench')}", err=True)


def _families_bench(releases: Path, count: int, out: Path) -> None:
    from pressqa.evaluation import bench as b
    from pressqa.evaluation.families_bench import ingest_throughput, measure
    from pressqa.ingest.pipeline import family_rule
    from pressqa.service.qa import PressQA

    if not releases.is_file():
        _fail(f"no releases at {releases} (give --cluster-releases FILE.jsonl)")
    settings = get_settings()
    rule = family_rule(settings.model_copy(update={"families": True}))
    say = lambda line: typer.echo(line, err=True)  # noqa: E731
    result = measure(releases, count, rule, say)
    typer.echo("sweep on the selection pairs (seed 1): threshold, days, fact changes allowed → precision / recall")
    for row in result["sweep_seed_1"]:
        days = "no date test" if row["max_days"] is None else f"≤{row['max_days']} days"
        facts = "no fact test" if row["max_fact_changes"] > 100 else f"≤{row['max_fact_changes']} fact changes"
        typer.echo(f"  {row['threshold']:.1f} {days:>13} {facts:>17}: {row['precision']:.3f} / {row['recall']:.3f}")
    for name, label in (
        ("held_out_seed_2", "held-out pairs (seed 2)"),
        ("held_out_without_facts", "  without the fact test"),
        ("held_out_without_dates", "  without the date test"),
        ("collection_twins", "near-twins of the whole collection"),
        ("collection_twins_without_facts", "  without the fact test"),
    ):
        r = result[name]
        kinds = ", ".join(f"{k} {v['grouped']}/{v['pairs']} grouped" for k, v in r["by_kind"].items())
        typer.echo(
            f"{label}: precision {r['precision']:.3f} recall {r['recall']:.3f} "
            f"({r['positives']} same-release pairs; {kinds})"
        )
    engine = PressQA(settings)
    result["throughput"] = t = ingest_throughput(releases, 120, settings, engine.embedder, engine.analyzer, say)
    typer.echo(
        f"ingest of {t['releases']} releases: {t['chunks_per_s_on']:.1f} chunks/s with families, "
        f"{t['chunks_per_s_off']:.1f} without ({t['ratio']:.2f}×, runs differ ±10%); the family work alone "
        f"{t['family_ms_per_release']:.1f} ms per release, {t['ratio_family_work']:.3f}× of the ingest without it"
    )
    typer.echo(f"results: {b.save(result, out, prefix='families-bench')}", err=True)


def _cluster_bench(releases: Path, count: int | None, out: Path) -> None:
    try:
        import ray.data  # noqa: F401
        import ray.serve  # noqa: F401
    except ImportError:
        _fail("--cluster needs Ray: pip install 'pressqa[cluster]'")
    if not releases.is_file():
        _fail(f"no releases at {releases} (give --cluster-releases FILE.jsonl)")
    from pressqa.cluster.bench import cluster_bench, print_cluster_bench, save

    say = lambda message: typer.echo(message, err=True)  # noqa: E731
    result = cluster_bench(releases, count, get_settings(), clients=4, seconds=30, log=say)
    print_cluster_bench(result)
    typer.echo(f"results: {save(result, out)}", err=True)


def _limit_malloc_arenas(arenas: int = 2) -> None:
    """Cap glibc's per-thread malloc arenas: with 40 server threads they grew RSS by ~40% under load."""
    import contextlib
    import ctypes

    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to cap
        ctypes.CDLL("libc.so.6").mallopt(-8, arenas)  # -8 is M_ARENA_MAX


@app.command("eval")
def eval_command(
    questions: Annotated[
        Path | None, typer.Argument(help="Project-format JSONL (default eval/questions.jsonl).")
    ] = None,
    squad: Annotated[Path | None, typer.Option(help="SQuAD 1.1/2.0 JSON: indexed in a temporary folder.")] = None,
    corpus: Annotated[
        list[Path] | None,
        typer.Option(
            help="Releases to ask over (files or folders; repeat for more): indexed once outside index/, "
            "reused while the releases and settings match."
        ),
    ] = None,
    mode: Annotated[str, typer.Option(help="hybrid, dense or bm25.")] = "hybrid",
    calibrate: Annotated[bool, typer.Option(help="Pick and save the no-answer threshold maximising F1.")] = False,
    oracle: Annotated[bool, typer.Option(help="Give the reader the gold document only (no retrieval).")] = False,
    out: Annotated[Path, typer.Option(help="Folder for the JSON result and the report.")] = Path("eval/results"),
    as_json: Annotated[bool, typer.Option("--json", help="Print the result JSON.")] = False,
    fit_calibration: Annotated[
        Path | None,
        typer.Option(
            help="Fit the learned reader's score calibration on this run's raw scores and save it here "
            "(ask held-out training-side questions: pressqa release-set; never a benchmark)."
        ),
    ] = None,
    ray: Annotated[
        str | None,
        typer.Option("--ray", metavar="ADDRESS", help="Build a --corpus index on this Ray cluster ('auto': here)."),
    ] = None,
) -> None:
    """Score answers and retrieval against a question set; write JSON and a report with plots."""
    from pressqa.evaluation import evaluate as ev
    from pressqa.evaluation.corpus_index import CorpusError, use_corpus_index
    from pressqa.evaluation.report import print_table, write_outputs
    from pressqa.ingest.pipeline import ingest as run_ingest
    from pressqa.retrieval.retrieve import Mode
    from pressqa.service.qa import PressQA

    settings = get_settings()
    try:
        mode_value = Mode(mode)
    except ValueError:
        _fail(f"unknown mode {mode!r}: use hybrid, dense or bm25", 2)
    if squad and corpus:
        _fail("--squad brings its own paragraphs: use it without --corpus", 2)
    if fit_calibration:
        if settings.reader != "learned":
            _fail("--fit-calibration calibrates the learned reader: set PRESSQA_READER=learned", 2)
        settings = settings.model_copy(update={"calibrate_scores": False})  # fit on the raw scores
    engine = PressQA(settings)
    progress = True  # a bar on a terminal, periodic lines in a log
    tmp = ev.temporary_folder()
    stack = ExitStack()
    try:
        if squad:
            documents, items = ev.load_squad(squad)
            typer.echo(f"indexing {len(documents)} contexts of {squad} in a temporary folder", err=True)
            ev.build_temporary_index(engine, documents, Path(tmp.name), progress)
            name = squad.name
        else:
            path = questions or Path("eval/questions.jsonl")
            items = ev.load_questions(path)
            if corpus:
                preparer = _ray_preparer(ray, settings, None, stack) if ray else None
                use_corpus_index(engine, corpus, progress, log=lambda m: typer.echo(m, err=True), preparer=preparer)
            else:
                run_ingest([settings.corpus_dir], settings, engine.embedder, engine.analyzer, progress=progress)
            name = path.name
        result = ev.evaluate(engine, name, items, mode_value, progress, oracle)
    except (ev.EvalInputError, CorpusError, IndexNotReady) as exc:
        _fail(str(exc))
    finally:
        stack.close()
        engine.close()
        tmp.cleanup()
    if calibrate:
        _calibrate(result)
    if fit_calibration:
        _fit_calibration(result, fit_calibration, settings.reader_weights)
    json_path, report_path = write_outputs(result, out)
    if as_json:
        typer.echo(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
    else:
        print_table(result)
    typer.echo(f"results: {json_path}\nreport:  {report_path}", err=True)


def _fit_calibration(result, path: Path, weights: Path | None) -> None:
    from pressqa.evaluation.evaluate import is_right
    from pressqa.reader.calibration import fit
    from pressqa.reader.span_reader import default_weights

    scored = [r for r in result.records if r.candidate is not None]
    try:
        weights = weights or default_weights()
        calibration = fit([r.score for r in scored], [is_right(r) for r in scored], weights, result.name)
    except ValueError as exc:
        _fail(str(exc))
    calibration.save(path)
    typer.echo(f"calibration fitted on {len(scored)} answers of {result.name}: saved to {path}", err=True)


def _calibrate(result) -> None:
    from pressqa.config import write_env_setting
    from pressqa.evaluation.evaluate import calibrate, summarize

    before = summarize(result.records, result.threshold)["overall"]["f1"]
    threshold, after = calibrate(result.records)
    env_file = write_env_setting("PRESSQA_NO_ANSWER_THRESHOLD", f"{threshold:.4f}")
    typer.echo(
        f"no-answer threshold {result.threshold:.4f} → {threshold:.4f}: overall F1 {100 * before:.1f} → "
        f"{100 * after:.1f} (saved to {env_file})",
        err=True,
    )
    result.threshold = threshold


@app.command("train-reader")
def train_reader(
    data: Annotated[
        list[str] | None,
        typer.Option(help="Sources to train on (repeat): qamr, releases, qa_train [default: qamr]."),
    ] = None,
    shared: Annotated[Path, typer.Option(help="The shared data folder.")] = Path("../shared/data"),
    out: Annotated[Path | None, typer.Option(help="Where to save the weights (default: the packaged file).")] = None,
    init: Annotated[Path | None, typer.Option(help="Start from these weights instead of the encoder's.")] = None,
    epochs: Annotated[
        int, typer.Option(min=1, help="Passes over the data; the learning rate decays to 0 over them.")
    ] = 3,
    seed: Annotated[int, typer.Option()] = 13,
    limit: Annotated[int | None, typer.Option(min=10, help="Take a sample of this many questions per source.")] = None,
    qamr_sample: Annotated[
        int | None, typer.Option(min=10, help="Train on this many QAMR questions (mixing sources).")
    ] = None,
    learning_rate: Annotated[float, typer.Option(min=1e-7, help="The tuned layers' peak learning rate.")] = 5e-5,
    int8: Annotated[
        bool, typer.Option(help="Save the tuned layers' matrices as int8 (7.7 MB) or float16 (14.6 MB).")
    ] = True,
    tuned_layers: Annotated[
        int | None, typer.Option(min=1, max=6, help="How many of the encoder's top layers are fine-tuned [default: 4].")
    ] = None,
    swap_negatives: Annotated[
        float,
        typer.Option(min=0.0, max=1.0, help="Share of release/paragraph questions also asked about another name."),
    ] = 0.0,
) -> None:
    """Train the learned span reader, printing held-out figures per epoch; rerun to resume after an epoch."""
    from pressqa.reader.span_reader import TUNED_LAYERS, default_weights
    from pressqa.reader.train_reader import SOURCES, gather, train
    from pressqa.service.qa import PressQA

    sources = tuple(dict.fromkeys(data or ["qamr"]))
    unknown = [s for s in sources if s not in SOURCES]
    if unknown:
        _fail(f"unknown data source {', '.join(unknown)}: use {', '.join(SOURCES)}", 2)
    needed = {"qamr": "qamr/wiki-sentences.tsv", "releases": "releases/qa/train.jsonl", "qa_train": "qa_train"}
    missing = [str(shared / needed[s]) for s in sources if not (shared / needed[s]).exists()]
    if missing:
        _fail(f"training data not found: {', '.join(missing)}")
    if init and not init.is_file():
        _fail(f"no weights at {init}")
    engine = PressQA(get_settings())
    training = gather(shared, sources, seed, limit, qamr_sample, log=typer.echo, swap_rate=swap_negatives)
    weights = out or default_weights()
    tuned = tuned_layers or TUNED_LAYERS
    train(
        training,
        weights,
        engine.embedder,
        epochs,
        seed,
        tuned=tuned,
        init=init,
        learning_rate=learning_rate,
        int8=int8,
        log=typer.echo,
    )


@app.command("qamr-set")
def qamr_set(
    out: Annotated[Path, typer.Argument(help="Where to write the SQuAD 2.0 JSON.")],
    qamr: Annotated[Path, typer.Option(help="QAMR folder.")] = Path("../shared/data/qamr"),
    seed: Annotated[int, typer.Option(help="The training split's seed.")] = 13,
    distractors: Annotated[bool, typer.Option(help="Add every other QAMR paragraph, without questions.")] = False,
) -> None:
    """Write the reader's held-out QAMR questions as SQuAD 2.0 JSON, for model selection and calibration."""
    from pressqa.reader.qamr import read_qas, read_sentences, split_by_document, squad_set

    if not (qamr / "wiki-sentences.tsv").exists():
        _fail(f"no QAMR data in {qamr}/ (expected wiki-sentences.tsv, dev.tsv, test.tsv)")
    sentences = read_sentences(qamr / "wiki-sentences.tsv")
    items = read_qas(qamr / "dev.tsv", sentences) + read_qas(qamr / "test.tsv", sentences)
    _, held_out = split_by_document(items, seed=seed)
    data = squad_set(sentences, held_out, seed=seed, distractors=distractors)
    out.write_text(json.dumps(data, ensure_ascii=False))
    questions = sum(len(p["qas"]) for a in data["data"] for p in a["paragraphs"])
    typer.echo(
        f"wrote {questions} held-out questions over {sum(len(a['paragraphs']) for a in data['data'])} "
        f"paragraphs to {out}"
    )


@app.command("release-set")
def release_set(
    out: Annotated[Path, typer.Argument(help="Folder for questions.jsonl and releases.jsonl.")],
    shared: Annotated[Path, typer.Option(help="The shared data folder.")] = Path("../shared/data"),
    seed: Annotated[int, typer.Option(help="The training split's seed.")] = 13,
    distractors: Annotated[int, typer.Option(min=0, help="Other DOJ releases added to the corpus.")] = 950,
) -> None:
    """Write the reader's held-out release questions and a corpus to ask them over (selection, calibration)."""
    from pressqa.reader.reader_data import write_release_set

    if not (shared / "releases" / "qa" / "train.jsonl").exists():
        _fail(f"no release questions in {shared}/releases/qa/ (expected train.jsonl)")
    questions, releases = write_release_set(shared, out, seed, distractors)
    typer.echo(
        f"wrote {questions} held-out questions to {out / 'questions.jsonl'} and {releases} releases to "
        f"{out / 'releases.jsonl'}; ask them with: pressqa eval {out / 'questions.jsonl'} --corpus "
        f"{out / 'releases.jsonl'}"
    )


@app.command("load-test")
def load_test(
    clients: Annotated[int, typer.Option(min=1, help="Concurrent clients.")] = 50,
    seconds: Annotated[float, typer.Option(min=1, help="How long the clients keep sending.")] = 60,
    write_share: Annotated[float, typer.Option(min=0, max=1, help="Share of requests that write.")] = 0.2,
    warm_up: Annotated[float, typer.Option(min=0, help="Seconds before memory counts as warm.")] = 20,
    out: Annotated[Path, typer.Option(help="Folder for the JSON result.")] = Path("eval/results"),
    ray: Annotated[
        str | None, typer.Option("--ray", metavar="ADDRESS", help="Load `pressqa serve --ray ADDRESS` instead.")
    ] = None,
    replicas: Annotated[int, typer.Option(min=1, help="Replicas with --ray.")] = 1,
    retries: Annotated[int, typer.Option(min=0, help="Times a client repeats a request that failed (5xx).")] = 0,
    kill_replica_after: Annotated[
        float | None, typer.Option(min=0, help="With --ray: kill one replica's process this many seconds in.")
    ] = None,
) -> None:
    """Serve a copy of the index and load it with clients mixing /ask and writes; print errors, latency, memory."""
    from pressqa.evaluation.loadtest import run, save
    from pressqa.evaluation.report import print_load

    settings = get_settings()
    from pressqa.retrieval.index import read_manifest

    try:
        read_manifest(settings.index_dir)
        result = run(
            settings.index_dir,
            clients,
            seconds,
            write_share,
            warm_up,
            log=lambda m: typer.echo(m, err=True),
            ray=ray,
            replicas=replicas,
            retries=retries,
            kill_replica_after=kill_replica_after,
        )
    except (IndexNotReady, RuntimeError) as exc:
        _fail(str(exc))
    print_load(result)
    typer.echo(f"results: {save(result, out)}", err=True)
    if result["server_errors"] or result["lost_documents"] or result["resurrected_documents"]:
        raise typer.Exit(1)


@app.command()
def bench(
    large: Annotated[bool, typer.Option(help="Also 1M vectors and a 100k-chunk index (much slower).")] = False,
    questions: Annotated[Path, typer.Option(help="Questions to time (project JSONL).")] = Path("eval/questions.jsonl"),
    repeats: Annotated[int, typer.Option(min=1, help="Times each question is asked.")] = 4,
    releases: Annotated[int, typer.Option(min=3, help="Synthetic releases for the ingest figure.")] = 60,
    out: Annotated[Path, typer.Option(help="Folder for the JSON result.")] = Path("eval/results"),
    cluster: Annotated[
        bool, typer.Option(help="Only the scale-out figures: ingest local vs Ray 1/2 actors, serving 1/2 replicas.")
    ] = False,
    cluster_releases: Annotated[Path, typer.Option(help="Releases (JSONL) for --cluster.")] = Path(
        "../shared/data/releases/doj_releases.jsonl"
    ),
    cluster_count: Annotated[int, typer.Option(min=3, help="Releases taken for --cluster (all with --large).")] = 300,
    extraction: Annotated[
        bool, typer.Option(help="Only the page-extraction figures: releases wrapped in page chrome, read back.")
    ] = False,
    extraction_count: Annotated[int, typer.Option(min=3, help="Pages built for --extraction.")] = 60,
    families: Annotated[
        bool, typer.Option(help="Only the release-family figures: labelled re-post pairs, and ingest with and without.")
    ] = False,
    families_count: Annotated[
        int, typer.Option(min=3, help="Releases each pair set is built from (--families).")
    ] = 400,
) -> None:
    """Time the query path, ingest, FAISS at scale and memory, each next to its baseline in the same run."""
    import tempfile

    if cluster:
        _cluster_bench(cluster_releases, None if large else cluster_count, out)
        return
    if extraction:
        _extraction_bench(cluster_releases, extraction_count, out)
        return
    if families:
        _families_bench(cluster_releases, families_count, out)
        return

    from pressqa.evaluation import bench as b
    from pressqa.evaluation.evaluate import EvalInputError, load_questions
    from pressqa.evaluation.report import print_bench
    from pressqa.ingest.pipeline import ingest as run_ingest
    from pressqa.service.qa import PressQA

    settings = get_settings()
    try:
        texts = [item.question for item in load_questions(questions)]
    except EvalInputError as exc:
        _fail(str(exc))
    say = lambda message: typer.echo(message, err=True)  # noqa: E731
    result: dict = {"machine": {"cpus": os.cpu_count(), "threads": settings.threads}}
    with tempfile.TemporaryDirectory(prefix="pressqa-bench-") as tmp:
        root = Path(tmp)
        sample = settings.model_copy(update={"index_dir": root / "sample"})
        engine = PressQA(sample)
        say("1/4 query path on the sample corpus …")
        run_ingest([settings.corpus_dir], sample, engine.embedder, engine.analyzer)
        result["query_sample"] = b.query_path(engine, texts, repeats)
        say("1/4 query path at 10k chunks …")
        b.replicate(engine.index, root / "10k", 10_000).close()
        big = PressQA(settings.model_copy(update={"index_dir": root / "10k"}))
        big.embedder = engine.embedder
        result["query_10k"] = b.query_path(big, texts, repeats)
        big.close()
        say(f"2/4 ingest of {releases} synthetic releases …")
        b.synthetic_releases(settings.corpus_dir, root / "releases", releases)
        fresh = settings.model_copy(update={"index_dir": root / "ingest"})
        result["ingest"] = b.ingest_throughput(fresh, engine, root / "releases")
        sizes = [10_000, 100_000] + ([1_000_000] if large else [])
        result["scale"] = []
        for n in sizes:
            say(f"3/4 FAISS exact, HNSW and IVF at {n:,} vectors …")
            result["scale"] += b.scale(n, [64, 128, 256], [64, 128, 256, 512])
        say("4/4 server memory …")
        result["memory"] = [b.memory(root / "sample"), b.memory(root / "10k")]
        if large:
            b.replicate(engine.index, root / "100k", 100_000).close()
            result["memory"].append(b.memory(root / "100k"))
        engine.close()
    saved = b.save(result, out)
    print_bench(result)
    typer.echo(f"results: {saved}", err=True)


@app.command()
def info() -> None:
    """Show the index's manifest and settings."""
    from pressqa.retrieval.index import Index

    settings = get_settings()
    try:
        index = Index.load(settings.index_dir)
    except IndexNotReady as exc:
        _fail(str(exc))
    shared = index.shared_families()
    typer.echo(
        json.dumps({"index_dir": str(settings.index_dir), **index.manifest, "shared_families": shared}, indent=2)
    )
    index.close()


if __name__ == "__main__":
    app()
