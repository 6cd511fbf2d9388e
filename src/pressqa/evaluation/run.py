"""`pressqa eval` as a library call: index the question set's releases, ask every question, fit what was asked."""

import json
from collections.abc import Callable
from pathlib import Path

from pressqa.config import write_env_setting
from pressqa.evaluation import evaluate as ev
from pressqa.evaluation.corpus_index import use_corpus_index
from pressqa.ingest.pipeline import Preparer, ingest
from pressqa.reader.calibration import fit
from pressqa.retrieval.retrieve import Mode
from pressqa.service.qa import PressQA

DEFAULT_QUESTIONS = Path("eval/questions.jsonl")


def run_evaluation(
    engine: PressQA,
    questions: Path | None = None,
    squad: Path | None = None,
    corpus: list[Path] | None = None,
    mode: Mode = Mode.hybrid,
    oracle: bool = False,
    progress: bool = True,
    log: Callable[[str], None] = print,
    preparer: Preparer | None = None,
) -> ev.EvalResult:
    """Ask a question set: a SQuAD file (indexed whole in a temporary folder), or project JSONL over `corpus`
    (indexed once, cached) or over the corpus folder (its index brought up to date).

    Raises `ev.EvalInputError`, `CorpusError` or `IndexNotReady` with a message for the user."""
    tmp = ev.temporary_folder()
    try:
        if squad:
            documents, items = ev.load_squad(squad)
            log(f"indexing {len(documents)} contexts of {squad} in a temporary folder")
            ev.build_temporary_index(engine, documents, Path(tmp.name), progress)
            name = squad.name
        else:
            path = questions or DEFAULT_QUESTIONS
            items = ev.load_questions(path)
            if corpus:
                use_corpus_index(engine, corpus, progress, log=log, preparer=preparer)
            else:
                s = engine.settings
                ingest([s.corpus_dir], s, engine.embedder, engine.analyzer, progress=progress)
            name = path.name
        return ev.evaluate(engine, name, items, mode, progress, oracle)
    finally:
        engine.close()
        tmp.cleanup()


def fit_calibration(result: ev.EvalResult, path: Path, weights: Path, also: list[Path] | None = None) -> str:
    """Fit the reader's score calibration on this run's raw scores (and those of the raw-score runs saved in
    `also`, so that one map fits several kinds of text) and save it; says what was done.

    ValueError when the answers cannot be fitted (too few, or all right or all wrong) or a file is no result."""
    sets = [(result.name, result.records)] + [_saved_records(p) for p in also or []]
    scored = [r for _, records in sets for r in records if r.candidate is not None]
    fitted_on = " + ".join(f"{name} ({len(records)})" for name, records in sets)
    calibration = fit([r.score for r in scored], [ev.is_right(r) for r in scored], weights, fitted_on)
    calibration.save(path)
    return f"calibration fitted on {len(scored)} answers of {fitted_on}: saved to {path}"


def _saved_records(path: Path) -> tuple[str, list[ev.Record]]:
    """The set name and records of a result `pressqa eval` saved (run with raw scores)."""
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        return saved["set"], [ev.Record(**row) for row in saved["records"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path} is not a result of pressqa eval ({exc})") from exc


def calibrate_threshold(result: ev.EvalResult) -> str:
    """Pick the no-answer threshold that maximises F1 on this run, save it to .env; says what changed."""
    before = ev.summarize(result.records, result.threshold)["overall"]["f1"]
    threshold, after = ev.calibrate(result.records)
    env_file = write_env_setting("PRESSQA_NO_ANSWER_THRESHOLD", f"{threshold:.4f}")
    message = (
        f"no-answer threshold {result.threshold:.4f} → {threshold:.4f}: overall F1 {100 * before:.1f} → "
        f"{100 * after:.1f} (saved to {env_file})"
    )
    result.threshold = threshold
    return message
