"""pressqa eval-watches: saved questions' hit precision, recall and cost over DOJ releases held back, then added."""

import json
import shutil
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from pressqa.cli.app import DOJ_RELEASES, SHARED, app, engine_for, fail, say
from pressqa.retrieval.index import IndexNotReady


@app.command("eval-watches")
def eval_watches_command(
    watches: Annotated[int, typer.Option(min=1, help="Saved questions (one per held-out DOJ release).")] = 100,
    answered: Annotated[int, typer.Option(min=0, help="Of them, those whose release is added.")] = 25,
    distractors: Annotated[int, typer.Option(min=0, help="Releases added that no saved question asks about.")] = 75,
    batch: Annotated[int, typer.Option(min=1, help="Releases added (and checked) at a time.")] = 10,
    corpus_from: Annotated[str, typer.Option(help="The DOJ corpus: releases dated from this day.")] = "2017-01-01",
    corpus_to: Annotated[str, typer.Option(help="… up to this day.")] = "2017-12-31",
    similarity: Annotated[
        bool, typer.Option(help="Instead: the filter's cosine floors on training questions of each kind.")
    ] = False,
    select_threshold: Annotated[
        bool, typer.Option(help="Instead: hit precision and recall by threshold on wire and HHS held-out questions.")
    ] = False,
    out: Annotated[Path, typer.Option(help="Folder for the JSON result.")] = Path("eval/results"),
) -> None:
    """Save questions of held-out DOJ training releases, add their releases among others, score the hits."""
    from pressqa.evaluation.corpus_index import CorpusError

    if answered > watches:
        fail("--answered cannot exceed --watches", 2)
    try:
        if similarity or select_threshold:
            result = _similarity() if similarity else _select_threshold()
        else:
            result = _run(watches, answered, distractors, batch, corpus_from, corpus_to)
    except (CorpusError, IndexNotReady, ValueError) as exc:
        fail(str(exc))
    out.mkdir(parents=True, exist_ok=True)
    name = "watch-similarity" if similarity else "watch-threshold" if select_threshold else "watches"
    path = out / f"{name}.json"
    path.write_text(json.dumps(result, indent=1), encoding="utf-8")
    shown = result if similarity else {k: v for k, v in result.items() if k != "reads"}
    typer.echo(json.dumps(shown if similarity or select_threshold else _figures(result), indent=1))
    say(f"results: {path}")


def _figures(result: dict) -> dict:
    return {**result["summary"], "by_threshold": result["curve"]}


def _run(watches: int, answered: int, distractors: int, batch: int, day_from: str, day_to: str) -> dict:
    from pressqa.evaluation.corpus_index import corpus_index_dir, dated_releases, use_corpus_index
    from pressqa.evaluation.watches import releases_to_add, run_watches, watch_tasks

    _require_shared()
    engine = engine_for()
    base = dated_releases(DOJ_RELEASES, day_from, day_to, engine.settings)
    use_corpus_index(engine, [base], log=say)
    tasks = watch_tasks(SHARED, answered, watches)
    with tempfile.TemporaryDirectory(prefix="pressqa-watches-") as tmp:
        copy = Path(tmp) / "index"  # the cached corpus index stays as it was
        shutil.copytree(corpus_index_dir([base], engine.settings), copy)
        engine.use_index(copy)
        with engine.reading() as index:
            indexed = {d.doc_id for d in index.store.documents()}
        records = {r["id"]: r for r in map(json.loads, DOJ_RELEASES.open(encoding="utf-8")) if r.get("text")}
        added = releases_to_add(records, tasks, indexed, distractors)
        say(f"{len(tasks)} saved questions; adding {len(added)} releases, {batch} at a time")
        run = run_watches(engine, tasks, added, batch, say)
        engine.close()
    rows = [{"watch_id": h.watch_id, "doc_id": h.doc_id, "answer": h.answer, "score": h.score} for h in run.hits]
    from pressqa.evaluation.watches import THRESHOLDS

    summary = run.summary(engine.settings.watch_threshold)
    return {"summary": summary, "curve": run.curve(THRESHOLDS), "hits": rows, "tasks": [t.__dict__ for t in tasks]}


def _similarity() -> dict:
    from pressqa.evaluation.corpus_index import dated_releases, use_corpus_index
    from pressqa.evaluation.watches import SIMILARITY_CORPORA, similarity_curve, training_pairs

    _require_shared()
    engine = engine_for()
    result = {}
    for kind, (releases, day_from, day_to) in SIMILARITY_CORPORA.items():
        path = SHARED / releases
        if day_from or day_to:
            path = dated_releases(path, day_from, day_to, engine.settings)
        use_corpus_index(engine, [path], log=say)
        result[kind] = similarity_curve(engine, training_pairs(SHARED, kind))
        say(f"{kind}: {result[kind]['pairs']} training questions over {result[kind]['releases']} releases")
    engine.close()
    return result


def _select_threshold() -> dict:
    from pressqa.evaluation.corpus_index import use_corpus_index
    from pressqa.evaluation.watches import (
        SELECTION_KINDS,
        SIMILARITY_CORPORA,
        choose_threshold,
        held_out_tasks,
        joint_choice,
        scored_reads,
        threshold_curve,
    )

    _require_shared()
    engine = engine_for()
    curves, reads = {}, {}
    for kind in SELECTION_KINDS:
        use_corpus_index(engine, [SHARED / SIMILARITY_CORPORA[kind][0]], log=say)
        tasks = held_out_tasks(SHARED, kind)
        say(f"{kind}: {len(tasks)} held-out questions saved, every release read as if it had just arrived")
        reads[kind] = scored_reads(engine, tasks, say)
        curves[kind] = threshold_curve(reads[kind], len(tasks))
    engine.close()
    counts = {kind: len(held_out_tasks(SHARED, kind)) for kind in SELECTION_KINDS}
    joint = joint_choice(reads, counts)
    return {"curves": curves, "chosen": choose_threshold(curves), "joint": joint, "reads": reads}


def _require_shared() -> None:
    if not DOJ_RELEASES.is_file():
        fail(f"no DOJ releases at {DOJ_RELEASES}: run from the project folder with ../shared beside it")
