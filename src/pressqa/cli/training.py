"""Commands that train the reader and write its held-out sets: train-reader, qamr-set, release-set."""

from pathlib import Path
from typing import Annotated

import typer

from pressqa.cli.app import SHARED, app, echo_now, engine_for, fail, require_file, say


@app.command("train-reader")
def train_reader(
    data: Annotated[
        list[str] | None,
        typer.Option(help="Sources (repeat): qamr, releases (DOJ), wire, hhs, qa_train, qa_extra [qamr]."),
    ] = None,
    shared: Annotated[Path, typer.Option(help="The shared data folder.")] = SHARED,
    out: Annotated[Path | None, typer.Option(help="Where to save the weights (default: the packaged file).")] = None,
    init: Annotated[Path | None, typer.Option(help="Start from these weights instead of the encoder's.")] = None,
    epochs: Annotated[int, typer.Option(min=1, help="Passes over the data; the learning rate decays over them.")] = 3,
    seed: Annotated[int, typer.Option()] = 13,
    limit: Annotated[int | None, typer.Option(min=10, help="Take a sample of this many questions per source.")] = None,
    qamr_sample: Annotated[int | None, typer.Option(min=10, help="Train on this many QAMR questions.")] = None,
    learning_rate: Annotated[float, typer.Option(min=1e-7, help="The tuned layers' peak learning rate.")] = 5e-5,
    int8: Annotated[bool, typer.Option(help="Save the tuned layers' matrices as int8 (7.7 MB) or float16.")] = True,
    tuned_layers: Annotated[
        int | None, typer.Option(min=1, max=6, help="Top layers fine-tuned [4]; more than --init's widens it.")
    ] = None,
    swap_negatives: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Share of questions also asked of another name, period or phase.")
    ] = 0.0,
    synthetic: Annotated[
        Path | None, typer.Option(help="Also train on these generated questions (pressqa synth-questions).")
    ] = None,
) -> None:
    """Train the learned span reader; held-out figures (the learning curve) and a checkpoint every few minutes, so a
    rerun of the same command resumes where it stopped."""
    from pressqa.reader.span_model import default_weights
    from pressqa.training.run import TrainingInputError, check_inputs, run_training
    from pressqa.training.train import TrainingOptions

    sources = tuple(dict.fromkeys(data or ["qamr"]))
    options = TrainingOptions(
        sources, init, epochs, seed, limit, qamr_sample, learning_rate, int8, tuned_layers, swap_negatives, synthetic
    )
    try:
        check_inputs(shared, options)  # before the model loads
    except TrainingInputError as exc:
        fail(str(exc), exc.code)
    run_training(shared, out or default_weights(), options, engine_for().embedder, log=echo_now)


@app.command("qamr-set")
def qamr_set(
    out: Annotated[Path, typer.Argument(help="Where to write the SQuAD 2.0 JSON.")],
    qamr: Annotated[Path, typer.Option(help="QAMR folder.")] = SHARED / "qamr",
    seed: Annotated[int, typer.Option(help="The training split's seed.")] = 13,
    distractors: Annotated[bool, typer.Option(help="Add every other QAMR paragraph, without questions.")] = False,
) -> None:
    """Write the reader's held-out QAMR questions as SQuAD 2.0 JSON, for model selection and calibration."""
    from pressqa.training.run import TrainingInputError, write_qamr_set

    try:
        typer.echo(write_qamr_set(qamr, out, seed, distractors))
    except TrainingInputError as exc:
        fail(str(exc), exc.code)


@app.command("release-set")
def release_set(
    out: Annotated[Path, typer.Argument(help="Folder for questions.jsonl and releases.jsonl.")],
    shared: Annotated[Path, typer.Option(help="The shared data folder.")] = SHARED,
    seed: Annotated[int, typer.Option(help="The training split's seed.")] = 13,
    distractors: Annotated[int, typer.Option(min=0, help="Other DOJ releases added to the corpus.")] = 950,
) -> None:
    """Write the reader's held-out release questions and a corpus to ask them over (selection, calibration)."""
    from pressqa.training.data import write_release_set

    require_file(shared / "releases" / "qa" / "train.jsonl", "release questions")
    questions, releases = write_release_set(shared, out, seed, distractors)
    typer.echo(
        f"wrote {questions} held-out questions to {out / 'questions.jsonl'} and {releases} releases to "
        f"{out / 'releases.jsonl'}; ask them with: pressqa eval {out / 'questions.jsonl'} --corpus "
        f"{out / 'releases.jsonl'}"
    )


RELEASE_QUESTIONS = SHARED / "releases" / "qa" / "train.jsonl"


@app.command("train-selector")
def train_selector(
    questions: Annotated[Path, typer.Option(help="Release questions (project JSONL).")] = RELEASE_QUESTIONS,
    held_out: Annotated[Path, typer.Option(help="Questions to measure on (pressqa release-set DIR).")] = Path(
        "release-set/questions.jsonl"
    ),
    corpus: Annotated[Path, typer.Option(help="Releases both ask over (release-set's).")] = Path(
        "release-set/releases.jsonl"
    ),
    out: Annotated[Path | None, typer.Option(help="Where to save the selector (default: the packaged file).")] = None,
) -> None:
    """Train the sentence selector on release questions; print what the reader's sentences hold on held-out ones."""
    from pressqa.evaluation.corpus_index import CorpusError, use_corpus_index
    from pressqa.evaluation.evaluate import EvalInputError, load_questions
    from pressqa.reader.selector import default_selector
    from pressqa.training.selector import train_selector as fit

    for path in (questions, held_out, corpus):
        require_file(path, "question or release file")
    try:
        held = load_questions(held_out)
        sources = {item.doc_id for item in held}
        training = [item for item in load_questions(questions) if item.doc_id not in sources]
        engine = engine_for()
        use_corpus_index(engine, [corpus], progress=True, log=say)
    except (EvalInputError, CorpusError) as exc:
        fail(str(exc))
    weights, figures = fit(engine, training, held, log=say)
    target = out or default_selector()
    weights.save(target)
    typer.echo(f"questions: {figures['questions']}; held-out, per sentences read: right release / answer sentence")
    for n in figures["learned"]:
        h, learned = figures["heuristic"][n], figures["learned"][n]
        typer.echo(
            f"  {n}: heuristic {h['right_release']:.3f} / {h['answer_sentence']:.3f}   "
            f"learned {learned['right_release']:.3f} / {learned['answer_sentence']:.3f}"
        )
    say(f"selector saved to {target}")


@app.command("synth-questions")
def synth_questions(
    out: Annotated[Path, typer.Argument(help="Where to write the questions (releases/qa/train.jsonl's format).")],
    shared: Annotated[Path, typer.Option(help="The shared data folder.")] = SHARED,
    releases: Annotated[int, typer.Option(min=1, help="DOJ releases to generate from.")] = 1500,
    per_release: Annotated[int, typer.Option(min=1, help="At most this many questions a release.")] = 4,
    seed: Annotated[int, typer.Option()] = 13,
    check: Annotated[bool, typer.Option(help="Keep only questions the shipped reader answers word for word.")] = True,
) -> None:
    """Generate template questions (who did it, when, how much, who holds a role) over DOJ releases that no
    evaluation set uses, for `pressqa train-reader --synthetic`."""
    from pressqa.reader.span_model import default_weights
    from pressqa.training.run import TrainingInputError, write_synthetic

    embedder = engine_for().embedder if check else None
    try:
        counts = write_synthetic(
            shared, out, releases, per_release, seed, default_weights() if check else None, embedder, say
        )
    except TrainingInputError as exc:
        fail(str(exc), exc.code)
    for template, figures in sorted(counts["by_template"].items()):
        say(f"{template}: {figures['made']} made, {figures['kept']} kept")
    say(f"wrote {counts['kept']} of {counts['made']} questions over {counts['releases']} releases to {out}")
