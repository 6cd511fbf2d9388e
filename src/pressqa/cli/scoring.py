"""pressqa eval: score answers and retrieval against a question set."""

import json
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import typer

from pressqa.cli.app import SHARED, Ray, app, engine_for, fail, ray_preparer, say
from pressqa.config import get_settings
from pressqa.retrieval.index import IndexNotReady


@app.command("eval")
def eval_command(
    questions: Annotated[
        Path | None, typer.Argument(help="Project-format JSONL (default eval/questions.jsonl).")
    ] = None,
    squad: Annotated[Path | None, typer.Option(help="SQuAD 1.1/2.0 JSON: indexed in a temporary folder.")] = None,
    corpus: Annotated[
        list[Path] | None,
        typer.Option(help="Releases to ask over (repeat for more): indexed once outside index/, then reused."),
    ] = None,
    mode: Annotated[str, typer.Option(help="hybrid, dense or bm25.")] = "hybrid",
    calibrate: Annotated[bool, typer.Option(help="Pick and save the no-answer threshold maximising F1.")] = False,
    oracle: Annotated[bool, typer.Option(help="Give the reader the gold document only (no retrieval).")] = False,
    out: Annotated[Path, typer.Option(help="Folder for the JSON result and the report.")] = Path("eval/results"),
    as_json: Annotated[bool, typer.Option("--json", help="Print the result JSON.")] = False,
    fit_calibration: Annotated[
        Path | None,
        typer.Option(
            help="Fit the learned reader's score calibration on this run and save it here (ask held-out "
            "training-side questions: pressqa release-set; never a benchmark)."
        ),
    ] = None,
    fit_with: Annotated[
        list[Path] | None,
        typer.Option(help="With --fit-calibration: also fit on this saved raw-score result (repeat for more kinds)."),
    ] = None,
    ray: Ray = None,
) -> None:
    """Score answers and retrieval against a question set; write JSON and a report with plots."""
    from pressqa.evaluation import run
    from pressqa.evaluation.corpus_index import CorpusError
    from pressqa.evaluation.evaluate import EvalInputError
    from pressqa.evaluation.report import print_table, write_outputs
    from pressqa.reader.span_model import default_weights
    from pressqa.retrieval.retrieve import Mode

    settings = get_settings()
    if mode not in Mode.__members__:
        fail(f"unknown mode {mode!r}: use hybrid, dense or bm25", 2)
    if squad and corpus:
        fail("--squad brings its own paragraphs: use it without --corpus", 2)
    if fit_calibration:
        if settings.reader != "learned":
            fail("--fit-calibration calibrates the learned reader: set PRESSQA_READER=learned", 2)
        settings = settings.model_copy(update={"calibrate_scores": False})  # fit on the raw scores
    try:
        with ExitStack() as stack:
            preparer = ray_preparer(ray, settings, None, stack) if corpus else None
            engine = engine_for(settings)
            result = run.run_evaluation(
                engine, questions, squad, corpus, Mode(mode), oracle, log=say, preparer=preparer
            )
    except (EvalInputError, CorpusError, IndexNotReady) as exc:
        fail(str(exc))
    if calibrate:
        say(run.calibrate_threshold(result))
    if fit_calibration:
        try:
            say(run.fit_calibration(result, fit_calibration, settings.reader_weights or default_weights(), fit_with))
        except ValueError as exc:  # too few answers, or all right or all wrong
            fail(str(exc))
    json_path, report_path = write_outputs(result, out)
    if as_json:
        typer.echo(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
    else:
        print_table(result)
    say(f"results: {json_path}\nreport:  {report_path}")


@app.command("eval-suite")
def eval_suite_command(
    kind: Annotated[
        list[str] | None, typer.Option(help="doj, wire or hhs (repeat for more; default: every kind).")
    ] = None,
    shared: Annotated[Path, typer.Option(help="The shared data folder.")] = SHARED,
    out: Annotated[Path, typer.Option(help="Folder for the JSON result.")] = Path("eval/results"),
    as_json: Annotated[bool, typer.Option("--json", help="Print the result JSON.")] = False,
    fit_calibration: Annotated[
        Path | None,
        typer.Option(
            help="Ask with raw scores, print each kind calibrated by a map fitted on the other kinds, and save one "
            "calibration fitted on every kind (each weighing the same) here."
        ),
    ] = None,
    within_release: Annotated[
        bool,
        typer.Option(
            help="Ask each question of its own release only (as a follow-up is read in the previous answer's "
            "release) and print the threshold costing least there (PRESSQA_FOLLOWUP_THRESHOLD)."
        ),
    ] = False,
) -> None:
    """Ask the held-out releases of every kind (DOJ, corporate wire, HHS) and print each kind's figures and their
    mean: the table models, thresholds and calibration are chosen on."""
    from pressqa.evaluation.corpus_index import CorpusError
    from pressqa.evaluation.suite import (
        KINDS,
        SuiteInputError,
        SuiteResult,
        best_threshold,
        cross_calibrated,
        fit_across,
        kind_named,
        run_suite,
        suite_lines,
    )
    from pressqa.evaluation.suite_report import plot_suite
    from pressqa.reader.span_model import default_weights
    from pressqa.retrieval.embed import default_cache_dir

    settings = get_settings()
    if fit_calibration:
        if settings.reader != "learned":
            fail("--fit-calibration calibrates the learned reader: set PRESSQA_READER=learned", 2)
        if kind and len(kind) < 2:
            fail("--fit-calibration fits across kinds: name two kinds at least", 2)
        settings = settings.model_copy(update={"calibrate_scores": False})
    try:
        kinds = [kind_named(name) for name in kind] if kind else list(KINDS)
        folder = (settings.cache_dir or default_cache_dir()) / "suite"
        engine = engine_for(settings)
        try:
            result = run_suite(engine, shared, folder, kinds, log=say, within_release=within_release)
        finally:
            engine.close()
    except (SuiteInputError, CorpusError, IndexNotReady) as exc:
        fail(str(exc))
    if fit_calibration:
        weights = settings.reader_weights or default_weights()
        try:
            calibration = fit_across(result.results, weights)
            result = SuiteResult(cross_calibrated(result.results, weights))
        except ValueError as exc:  # too few answers, or all right or all wrong
            fail(str(exc))
        calibration.save(fit_calibration)
        say(f"calibration fitted on {calibration.questions} answers of every kind: saved to {fit_calibration}")
        say("each kind below is calibrated by a map fitted on the other kinds only")
        threshold, cost = best_threshold(result.results)
        say(
            f"the threshold costing least over kinds (a wrong answer 1, a right one held back 0.8): {threshold:.2f} "
            f"(mean cost {cost:.3f} a question; the set threshold is {settings.no_answer_threshold:.2f})"
        )
    if within_release and not fit_calibration:
        threshold, cost = best_threshold(result.results)
        say(
            f"within its own release, the threshold costing least over kinds: {threshold:.2f} (mean cost {cost:.3f} "
            f"a question; the follow-up threshold is {settings.followup_threshold:.2f})"
        )
    out.mkdir(parents=True, exist_ok=True)
    path = out / "suite.json"
    path.write_text(json.dumps(result.to_json(), indent=1, ensure_ascii=False), encoding="utf-8")
    plot_suite(result.table(), out / "suite.png")
    if as_json:
        typer.echo(json.dumps(result.table(), indent=2))
    else:
        for line in suite_lines(result):
            typer.echo(line)
    say(f"results: {path}\nplot:    {out / 'suite.png'}")


@app.command("eval-across")
def eval_across_command(
    tasks: Annotated[Path, typer.Argument(help="Tasks JSONL: list, timeline and followup tasks (eval/across/).")],
    corpus: Annotated[
        list[Path] | None,
        typer.Option(help="Releases to ask over (repeat for more): indexed once outside index/, then reused."),
    ] = None,
    corpus_from: Annotated[
        str | None, typer.Option(help="Only the --corpus releases dated from this day (YYYY-MM-DD; one .jsonl).")
    ] = None,
    corpus_to: Annotated[str | None, typer.Option(help="Only the --corpus releases dated up to this day.")] = None,
    out: Annotated[Path, typer.Option(help="Folder for the JSON result and the report.")] = Path("eval/results"),
    as_json: Annotated[bool, typer.Option("--json", help="Print the result JSON.")] = False,
) -> None:
    """Score list answers, timelines and follow-up questions; write JSON and a Markdown report."""
    from pressqa.evaluation.across import evaluate_across, load_tasks
    from pressqa.evaluation.across_report import print_across, write_across
    from pressqa.evaluation.corpus_index import CorpusError, dated_releases, use_corpus_index
    from pressqa.evaluation.evaluate import EvalInputError
    from pressqa.ingest.pipeline import ingest

    try:
        items = load_tasks(tasks)
        engine = engine_for()
        if corpus and (corpus_from or corpus_to):
            if len(corpus) != 1:
                raise CorpusError("--corpus-from/--corpus-to take one --corpus .jsonl file")
            corpus = [dated_releases(corpus[0], _iso(corpus_from), _iso(corpus_to), engine.settings)]
        if corpus:
            use_corpus_index(engine, corpus, log=say)
        else:
            s = engine.settings
            ingest([s.corpus_dir], s, engine.embedder, engine.analyzer)
        result = evaluate_across(engine, tasks.name, items, log=say)
        engine.close()
    except (EvalInputError, CorpusError, IndexNotReady) as exc:
        fail(str(exc))
    json_path, report_path = write_across(result, out)
    if as_json:
        typer.echo(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
    else:
        print_across(result)
    say(f"results: {json_path}\nreport:  {report_path}")


@app.command("list-threshold")
def list_threshold_command(
    results: Annotated[list[Path], typer.Argument(help="eval-across result JSONs, one per kind of release.")],
) -> None:
    """Choose the list items' threshold across kinds: each kind's list precision and recall at the threshold that
    costs least on the other kinds, and the threshold that costs least on all of them (PRESSQA_LIST_THRESHOLD)."""
    from pressqa.evaluation.evaluate import EvalInputError
    from pressqa.evaluation.list_threshold import choose, figures_at, load_lists

    try:
        kinds = load_lists(results)
    except EvalInputError as exc:
        fail(str(exc))
    held_out, chosen = choose(kinds)
    typer.echo("each kind at the threshold chosen on the other kinds (a wrong item costs 1, a missed one 0.8):")
    head = f"{'kind':<16}{'threshold':>10}{'precision':>11}{'recall':>8}{'cost':>7}"
    typer.echo(f"{head}   at {chosen:.2f}: precision, recall")
    for name, f in held_out.items():
        at = figures_at(kinds[name], chosen)
        precision = "–" if f.precision is None else f"{f.precision:.3f}"
        at_precision = "–" if at.precision is None else f"{at.precision:.3f}"
        row = f"{name:<16}{f.threshold:>10.2f}{precision:>11}{f.recall:>8.3f}{f.cost:>7.3f}"
        typer.echo(f"{row}   {at_precision}, {at.recall:.3f}")
    typer.echo(f"the threshold costing least over every kind: {chosen:.2f}")


@app.command("followup-threshold")
def followup_threshold_command(
    results: Annotated[list[Path], typer.Argument(help="eval-across result JSONs, one per kind of release.")],
) -> None:
    """Choose the follow-up threshold across kinds: each kind's follow-up EM and answers from the previous
    release at the threshold costing least on the other kinds, and the one costing least on all."""
    from pressqa.evaluation.evaluate import EvalInputError
    from pressqa.evaluation.followup_threshold import choose, figures_at, load_followups

    try:
        kinds = load_followups(results)
    except EvalInputError as exc:
        fail(str(exc))
    held_out, chosen = choose(kinds)
    typer.echo("each kind at the threshold chosen on the other kinds (a wrong answer costs 1, none 0.8):")
    typer.echo(f"{'kind':<16}{'threshold':>10}{'EM':>7}{'from previous':>15}{'cost':>7}   at {chosen:.2f}: EM, cost")
    for name, f in held_out.items():
        at = figures_at(kinds[name], chosen)
        previous = "–" if f.from_previous is None else f"{f.from_previous:.3f}"
        row = f"{name:<16}{f.threshold:>10.2f}{f.em:>7.3f}{previous:>15}{f.cost:>7.3f}"
        typer.echo(f"{row}   {at.em:.3f}, {at.cost:.3f}")
    typer.echo(f"the threshold costing least over every kind: {chosen:.2f}")


def _iso(day: str | None) -> str | None:
    """A YYYY-MM-DD day as given, or a CorpusError saying what is wrong with it."""
    import datetime as dt

    if day is None:
        return None
    try:
        return dt.date.fromisoformat(day).isoformat()
    except ValueError as exc:
        from pressqa.evaluation.corpus_index import CorpusError

        raise CorpusError(f"not a day (YYYY-MM-DD): {day!r}") from exc


feedback_app = typer.Typer(help="Users' verdicts on answers (POST /feedback and the chat page's controls).")
app.add_typer(feedback_app, name="feedback")


@feedback_app.command("export")
def feedback_export(
    path: Annotated[Path, typer.Argument(help="The question set to write (JSONL, the project's format).")],
) -> None:
    """Write the feedback as a question set that `pressqa eval PATH` scores."""
    from pressqa.evaluation.feedback_set import feedback_questions, write_feedback_set

    try:
        with engine_for().reading() as index:
            rows = index.feedback.all()
    except IndexNotReady as exc:
        fail(str(exc))
    feedback_set = feedback_questions(rows)
    try:
        write_feedback_set(feedback_set, path)
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror or exc}")
    say(
        f"{len(feedback_set.questions)} questions from {len(rows)} verdicts written to {path}"
        + (
            f"; {feedback_set.left_out} left out (judged wrong with no right span selected)"
            if feedback_set.left_out
            else ""
        )
    )
