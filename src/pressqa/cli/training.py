"""Commands that train the reader and write its held-out sets: train-reader, qamr-set, release-set."""

from pathlib import Path
from typing import Annotated

import typer

from pressqa.cli.app import SHARED, app, engine_for, fail, require_file


@app.command("train-reader")
def train_reader(
    data: Annotated[list[str] | None, typer.Option(help="Sources (repeat): qamr, releases, qa_train [qamr].")] = None,
    shared: Annotated[Path, typer.Option(help="The shared data folder.")] = SHARED,
    out: Annotated[Path | None, typer.Option(help="Where to save the weights (default: the packaged file).")] = None,
    init: Annotated[Path | None, typer.Option(help="Start from these weights instead of the encoder's.")] = None,
    epochs: Annotated[int, typer.Option(min=1, help="Passes over the data; the learning rate decays over them.")] = 3,
    seed: Annotated[int, typer.Option()] = 13,
    limit: Annotated[int | None, typer.Option(min=10, help="Take a sample of this many questions per source.")] = None,
    qamr_sample: Annotated[int | None, typer.Option(min=10, help="Train on this many QAMR questions.")] = None,
    learning_rate: Annotated[float, typer.Option(min=1e-7, help="The tuned layers' peak learning rate.")] = 5e-5,
    int8: Annotated[bool, typer.Option(help="Save the tuned layers' matrices as int8 (7.7 MB) or float16.")] = True,
    tuned_layers: Annotated[int | None, typer.Option(min=1, max=6, help="Top layers fine-tuned [4].")] = None,
    swap_negatives: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Share of questions also asked about another name.")
    ] = 0.0,
) -> None:
    """Train the learned span reader, printing held-out figures per epoch; rerun to resume after an epoch."""
    from pressqa.reader.span_reader import default_weights
    from pressqa.training.run import TrainingInputError, TrainingOptions, check_inputs, run_training

    sources = tuple(dict.fromkeys(data or ["qamr"]))
    options = TrainingOptions(
        sources, init, epochs, seed, limit, qamr_sample, learning_rate, int8, tuned_layers, swap_negatives
    )
    try:
        check_inputs(shared, options)  # before the model loads
    except TrainingInputError as exc:
        fail(str(exc), exc.code)
    run_training(shared, out or default_weights(), options, engine_for().embedder, log=typer.echo)


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
