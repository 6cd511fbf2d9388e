"""Train the span reader (the encoder's top layers and the span head) on QAMR, releases and QA paragraphs; seeded."""

import copy
import json
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from pressqa.evaluation.suite import kind_named
from pressqa.ingest.analyze import Analyzer
from pressqa.ingest.load import make_document
from pressqa.metrics import exact_match, f1_score
from pressqa.reader.span_reader import (
    TUNED_LAYERS,
    SpanModel,
    best_spans,
    featurize,
    load_model,
    lower_states,
    new_span_model,
    pack_state,
    snap_to_words,
)
from pressqa.retrieval.embed import Embedder
from pressqa.retrieval.manifest import atomic_write
from pressqa.schema import Span
from pressqa.training.curve import plot_curve
from pressqa.training.data import Example, SpanTable, near_misses, read_release_qa, read_squad_qa, split_kind
from pressqa.training.data import build_examples as text_examples
from pressqa.training.qamr import QAMRItem, Sentence, read_qas, read_sentences, split_by_document

BATCH = 64


@dataclass
class Encoded:
    states: torch.Tensor  # (length, d) float16: the input of the tuned layers
    features: torch.Tensor
    allowed: torch.Tensor
    offsets: list[tuple[int, int]]
    target: tuple[int, int]  # token indices; (0, 0) = no answer
    example: Example


def qamr_examples(
    items: list[QAMRItem], sentences: dict[str, Sentence], negatives: float, rng: random.Random
) -> list[Example]:
    """Positives from QAMR, plus negatives: the question paired with another sentence of its document."""
    by_doc: dict[str, list[Sentence]] = {}
    for s in sentences.values():
        by_doc.setdefault(s.doc, []).append(s)
    examples = []
    for item in items:
        sentence = sentences[item.sid]
        examples.append(Example(item.question, sentence, item.start, item.end))
        answer = sentence.text[item.start : item.end]
        others = [s for s in by_doc[sentence.doc] if s.sid != item.sid and answer not in s.text]
        if others and rng.random() < negatives:
            examples.append(Example(item.question, rng.choice(others), -1, -1))
    return examples


def analyse_sentences(sentences: list[Sentence], analyzer: Analyzer) -> dict[str, tuple[list[Span], list[Span]]]:
    docs = [make_document(s.text, s.sid, title="-") for s in sentences]
    return {s.sid: (a.entities, a.noun_chunks) for s, a in zip(sentences, analyzer.analyze(docs), strict=True)}


def encode_examples(
    examples: list[Example],
    spans: dict,
    embedder: Embedder,
    tuned: int = TUNED_LAYERS,
    batch_size: int = 64,
    progress: bool | None = None,
) -> list[Encoded]:
    encoder, tokenizer = embedder.model[0].auto_model, embedder.model.tokenizer
    examples = sorted(examples, key=lambda e: len(e.question) + len(e.sentence.text))  # less padding per batch
    encoded = []
    bar = _on_terminal() if progress is None else progress
    for first in tqdm(range(0, len(examples), batch_size), desc="encoding", disable=not bar):
        chunk = examples[first : first + batch_size]
        batch = featurize(
            tokenizer,
            [e.question for e in chunk],
            [e.sentence.text for e in chunk],
            [spans[e.sentence.sid][0] for e in chunk],
            [spans[e.sentence.sid][1] for e in chunk],
        )
        with embedder.autocast():  # as at query time
            states = lower_states(encoder, batch.inputs, tuned).to(torch.float16)
        lengths = batch.inputs["attention_mask"].sum(-1).tolist()
        for b, example in enumerate(chunk):
            n = lengths[b]
            target = _token_target(batch.offsets[b][:n], batch.allowed[b][:n], example)
            if target is None:
                continue  # the answer was cut off by truncation
            encoded.append(
                Encoded(
                    states[b, :n].clone(),
                    batch.features[b, :n].clone(),
                    batch.allowed[b, :n].clone(),
                    batch.offsets[b][:n],
                    target,
                    example,
                )
            )
    return encoded


def _token_target(offsets, allowed, example: Example) -> tuple[int, int] | None:
    if example.start < 0:
        return (0, 0)
    tokens = [t for t in range(len(offsets)) if allowed[t] and t > 0]
    starts = [t for t in tokens if offsets[t][0] <= example.start < offsets[t][1] or offsets[t][0] >= example.start]
    ends = [t for t in tokens if offsets[t][1] <= example.end]
    if not starts or not ends:
        return None
    i, j = starts[0], ends[-1]
    return (i, j) if i <= j else None


def length_batches(data: list[Encoded], size: int, rng: random.Random) -> list[list[int]]:
    """Indices in batches of similar length (little padding to compute), the batches in random order."""
    order = sorted(range(len(data)), key=lambda i: (len(data[i].offsets), rng.random()))
    batches = [order[first : first + size] for first in range(0, len(order), size)]
    rng.shuffle(batches)
    return batches


def _pad(batch: list[Encoded]):
    """Batch tensors: states, attention mask, features, allowed positions, targets."""
    length = max(len(e.offsets) for e in batch)
    d = batch[0].states.shape[-1]
    states = torch.zeros(len(batch), length, d)
    mask = torch.zeros(len(batch), length)
    features = torch.zeros(len(batch), length, batch[0].features.shape[-1])
    allowed = torch.zeros(len(batch), length, dtype=torch.bool)
    for b, e in enumerate(batch):
        n = len(e.offsets)
        states[b, :n], features[b, :n], allowed[b, :n] = e.states.float(), e.features, e.allowed
        mask[b, :n] = 1.0
    targets = torch.tensor([e.target for e in batch])
    return states, mask, features, allowed, targets


def predict(model: SpanModel, data: list[Encoded], batch_size: int = 128) -> list[tuple[str | None, bool]]:
    """Per pair: the best span's text (None where [CLS] holds no span) and whether "no answer" beats it."""
    model.eval()
    out = []
    with torch.inference_mode():
        for first in range(0, len(data), batch_size):
            batch = data[first : first + batch_size]
            states, mask, features, allowed, _ = _pad(batch)
            start, end = model(states, mask, features, allowed)
            for e, (i, j, p_span, p_null) in zip(batch, best_spans(start, end, allowed), strict=True):
                text = e.example.sentence.text
                s, t = snap_to_words(text, e.offsets[i][0], e.offsets[j][1])
                out.append((text[s:t] if t > s else None, p_null > p_span))
    model.train()
    return out


def evaluate_model(model: SpanModel, data: list[Encoded], batch_size: int = 128) -> dict[str, float]:
    """Held-out EM/F1 on answerable pairs and accuracy of the no-answer decision on the others."""
    em = f1 = answerable = null_right = unanswerable = 0.0
    for e, (span, says_null) in zip(data, predict(model, data, batch_size), strict=True):
        if e.example.start < 0:
            unanswerable += 1
            null_right += float(says_null)
            continue
        gold = e.example.sentence.text[e.example.start : e.example.end]
        answerable += 1
        em += exact_match(span or "", gold)
        f1 += f1_score(span or "", gold)
    return {
        "em": 100 * em / max(answerable, 1),
        "f1": 100 * f1 / max(answerable, 1),
        "no_answer_accuracy": 100 * null_right / max(unanswerable, 1),
    }


SOURCES = ("qamr", "releases", "wire", "hhs", "qa_train", "qa_extra")
# The release questions of each kind, held out as the selection suite holds them out (pressqa eval-suite).
RELEASE_SOURCES = {"releases": "doj", "wire": "wire", "hhs": "hhs"}
RELEASE_REPEATS = 3


@dataclass
class TrainingData:
    """Training pairs, held-out pairs per source, and each sentence's entities and noun chunks."""

    train: list[Example]
    held: dict[str, list[Example]]
    spans: SpanTable


def gather(
    shared: Path,
    sources: tuple[str, ...],
    seed: int,
    limit: int | None,
    qamr_sample: int | None,
    log=print,
    swap_rate: float = 0.0,
    synthetic: Path | None = None,
) -> TrainingData:
    """The named sources under `shared` (the `data/` folder of ../shared), split with no text in both parts.

    qamr: QAMR sentences (held out by document); releases, wire, hhs: the release questions of DOJ, corporate
    newswire and HHS releases, whole releases held out as `pressqa eval-suite` holds them out; qa_train: TyDi
    QA and QED training paragraphs (held out: their dev files' first 300 paragraphs each); qa_extra: Quoref,
    TAT-QA text spans and SQuADShifts new-wiki, for training only. `synthetic`: generated questions over
    other DOJ releases (`pressqa synth-questions`), for training only.
    """
    rng = random.Random(seed)
    analyzer = Analyzer()
    data = TrainingData([], {}, {})
    if "qamr" in sources:
        qamr = shared / "qamr"
        sentences = read_sentences(qamr / "wiki-sentences.tsv")
        items = read_qas(qamr / "dev.tsv", sentences) + read_qas(qamr / "test.tsv", sentences)
        if limit:
            items = rng.sample(items, min(limit, len(items)))
        train_items, held_items = split_by_document(items, seed=seed)
        if qamr_sample and qamr_sample < len(train_items):
            train_items = rng.sample(train_items, qamr_sample)
        train_ex, held_ex = (
            qamr_examples(train_items, sentences, 0.3, rng),
            qamr_examples(held_items, sentences, 0.3, rng),
        )
        needed = {e.sentence.sid: e.sentence for e in train_ex + held_ex}
        data.spans.update(analyse_sentences(list(needed.values()), analyzer))
        data.train += train_ex
        data.held["qamr"] = held_ex
        log(f"qamr: {len(train_items)} training and {len(held_items)} held-out questions (split by document)")
    for source, kind_name in RELEASE_SOURCES.items():
        if source in sources:
            kind = kind_named(kind_name)
            texts = read_release_qa(shared / kind.questions, shared / kind.releases)
            train_texts, held_texts = split_kind(texts, kind, shared)
            train_texts = _limited(train_texts, limit, rng)
            # The only press releases among the sources: each of their pairs is seen RELEASE_REPEATS times an epoch.
            _add(data, source, train_texts, held_texts, analyzer, rng, log, RELEASE_REPEATS, swap_rate)
    if "qa_train" in sources:
        folder = shared / "qa_train"
        texts = read_squad_qa(folder / "tydiqa_goldp_en_train.json", "tydi") + read_squad_qa(
            folder / "qed_train.json", "qed"
        )
        held = read_squad_qa(folder / "tydiqa_goldp_en_dev.json", "tydi-dev")[:300]
        held += read_squad_qa(folder / "qed_dev.json", "qed-dev")[:300]
        train_texts, held_texts = _limited(texts, limit, rng), _limited(held, limit, rng)
        _add(data, "qa_train", train_texts, held_texts, analyzer, rng, log, swap_rate=swap_rate)
    if "qa_extra" in sources:
        # Quoref (who is "he" / "the company"), TAT-QA (annual-report wording) and SQuADShifts: training only.
        folder = shared / "qa_train"
        texts = [
            text
            for name in ("quoref_train", "tatqa_text_train", "squadshifts_newwiki_train")
            for text in read_squad_qa(folder / f"{name}.json", name.split("_")[0])
        ]
        texts = _limited(texts, limit, rng)
        examples, spans = text_examples(texts, analyzer, rng)
        data.train += examples
        data.spans.update(spans)
        log(f"qa_extra: {len(texts)} paragraphs, {len(examples)} pairs (training only)")
    if synthetic:
        texts = read_release_qa(synthetic, shared / "releases" / "doj_releases.jsonl")
        examples, spans = text_examples(_limited(texts, limit, rng), analyzer, rng)
        data.train += examples
        data.spans.update(spans)
        questions = sum(len(t.questions) for t in texts)
        log(f"synthetic: {questions} questions in {len(texts)} releases, {len(examples)} pairs (training only)")
    return data


def _limited(texts: list, limit: int | None, rng: random.Random) -> list:
    return rng.sample(texts, min(limit, len(texts))) if limit else texts


def _add(
    data: TrainingData, name: str, train_texts, held_texts, analyzer, rng, log, repeats: int = 1, swap_rate: float = 0.0
) -> None:
    train_ex, spans = text_examples(train_texts, analyzer, rng)
    train_ex = (train_ex + near_misses(train_ex, spans, rng, swap_rate)) * repeats
    held_ex, held_spans = text_examples(held_texts, analyzer, rng, random_negative=0.0)
    held_ex += near_misses(held_ex, held_spans, rng, swap_rate)
    data.train += train_ex
    data.held[name] = held_ex
    data.spans.update(spans)
    data.spans.update(held_spans)
    questions = sum(len(t.questions) for t in train_texts)
    log(
        f"{name}: {questions} training questions in {len(train_texts)} texts, {len(train_ex)} pairs; "
        f"{len(held_ex)} held-out pairs from {len(held_texts)} texts"
    )


def train(
    data: TrainingData,
    out: Path,
    embedder: Embedder,
    epochs: int = 3,
    seed: int = 13,
    hidden: int = 96,
    tuned: int | None = None,
    init: Path | None = None,
    learning_rate: float = 5e-5,
    int8: bool = True,
    log=print,
    checkpoint_minutes: float = 8.0,
    batch_size: int = BATCH,
) -> dict:
    """Train (from `init`'s weights when given) and save the best held-out evaluation to `out`.

    Every `checkpoint_minutes` and at each epoch's end the held-out sets are scored (a point of the
    learning curve, kept in `out`.curve.json) and a checkpoint is written beside `out`; a run that finds
    one continues from it, mid-epoch included, so a long training is several short runs of one command.
    `tuned` above `init`'s count of tuned layers widens the model downwards with copies of the encoder's
    own layers (`--tuned-layers 6` on a four-layer model: the whole encoder).
    """
    started = time.time()
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    rng = random.Random(seed)
    encoder = embedder.model[0].auto_model
    model = _starting_model(encoder, init, hidden, tuned, log)
    hidden, tuned = model.head.end.in_features // 2, len(model.layers)
    train_data = encode_examples(data.train, data.spans, embedder, tuned)
    held_data = {name: encode_examples(ex, data.spans, embedder, tuned) for name, ex in data.held.items()}
    log(f"encoded {len(train_data)} training pairs in {time.time() - started:.0f} s; {tuned} tuned layers")
    optimizer = torch.optim.AdamW(
        [
            {"params": model.head.parameters(), "lr": 2e-3 * learning_rate / 5e-5},
            {"params": model.layers.parameters(), "lr": learning_rate},
        ],
        weight_decay=1e-4,
    )
    steps = epochs * -(-len(train_data) // batch_size)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: max(0.0, 1.0 - step / steps))
    run = _Run(out, {"hidden": hidden, "tuned_layers": tuned, "seed": seed}, int8, log)
    position = run.resume(model, optimizer, schedule, rng)
    if init and not run.curve:  # the curve's first point: where training starts from (kept if never beaten)
        run.evaluate(model, held_data, "start")
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(position.epoch, epochs + 1):
        epoch_rng = rng.getstate()  # (restored by `resume`): this epoch's shuffle can be made again
        groups = length_batches(train_data, batch_size, rng)
        total, skip = 0.0, position.batch if epoch == position.epoch else 0
        last_save = time.time()
        bar = tqdm(groups[skip:], desc=f"epoch {epoch}", leave=False, disable=not _on_terminal())
        for n, group in enumerate(bar, start=skip + 1):
            loss = _step(model, [train_data[i] for i in group], embedder, loss_fn, optimizer, schedule)
            total += loss
            run.examples += len(group)
            if n % 100 == 0:  # a line every few minutes in a log, where the bar is not shown
                log(f"epoch {epoch}: {n}/{len(groups)} batches, loss {total / (n - skip):.3f}, {_minutes(started)} min")
            if n < len(groups) and time.time() - last_save >= 60 * checkpoint_minutes:
                run.evaluate(model, held_data, f"checkpoint in epoch {epoch} after batch {n}/{len(groups)}")
                run.save_checkpoint(model, optimizer, schedule, _Position(epoch, n, epoch_rng))
                last_save = time.time()
        log(f"epoch {epoch}: loss {total / max(1, len(groups) - skip):.3f}")
        run.evaluate(model, held_data, f"epoch {epoch}")
        run.save_checkpoint(model, optimizer, schedule, _Position(epoch + 1, 0, rng.getstate()))
    shipped = {name: evaluate_model(load_model(encoder, out), held) for name, held in held_data.items()}
    log(f"the saved file ({'int8' if int8 else 'float16'} matrices) on held-out: {_describe(shipped)}")
    out.with_suffix(".checkpoint").unlink(missing_ok=True)
    size = out.stat().st_size / 1e6
    log(f"best: {run.best['at']}; saved {out} ({size:.1f} MB) in {_minutes(started)} min (this run)")
    return run.best


def _starting_model(encoder, init: Path | None, hidden: int, tuned: int | None, log) -> SpanModel:
    if init is None:
        return new_span_model(encoder, hidden=hidden, tuned=tuned or TUNED_LAYERS)
    model = load_model(encoder, init).train()
    if tuned and tuned > len(model.layers):
        log(f"widening {init} from {len(model.layers)} to {tuned} tuned layers")
        model = widened(model, encoder, tuned)
    return model


def widened(model: SpanModel, encoder, tuned: int) -> SpanModel:
    """`model` with `tuned` tuned layers: copies of the encoder's layers below its own, then its own."""
    below = encoder.encoder.layer[len(encoder.encoder.layer) - tuned : len(encoder.encoder.layer) - len(model.layers)]
    model.layers = nn.ModuleList([*(copy.deepcopy(layer) for layer in below), *model.layers])
    return model.train()


def _step(model: SpanModel, batch: list[Encoded], embedder: Embedder, loss_fn, optimizer, schedule) -> float:
    states, mask, features, allowed, targets = _pad(batch)
    with embedder.autocast():  # the tuned layers' matrix products; weights and gradients stay float32
        contextual = model.contextualize(states, mask)
    start, end = model.head(contextual.float(), features, allowed)
    loss = loss_fn(start, targets[:, 0]) + loss_fn(end, targets[:, 1])
    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 5.0)
    optimizer.step()
    schedule.step()
    return loss.item()


@dataclass
class _Position:
    """Where training stands: the epoch, the batches of it already done, and the shuffle's seed state."""

    epoch: int = 1
    batch: int = 0
    epoch_rng: tuple | None = None


class _Run:
    """A training run's bookkeeping: the learning curve, the best weights so far, and its checkpoints."""

    def __init__(self, out: Path, meta: dict, int8: bool, log) -> None:
        self.out, self.meta, self.int8, self.log = out, meta, int8, log
        self.checkpoint = out.with_suffix(".checkpoint")
        self.curve_file = out.with_suffix(".curve.json")
        self.best: dict = {"score": -1.0, "at": None}
        self.curve: list[dict] = []
        self.examples = 0
        self.minutes_before = 0.0
        self.started = time.time()

    def resume(self, model, optimizer, schedule, rng: random.Random) -> _Position:
        if not self.checkpoint.exists():
            return _Position()
        saved = torch.load(self.checkpoint, weights_only=False)
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        schedule.load_state_dict(saved["schedule"])
        torch.set_rng_state(saved["torch_rng"])
        self.best, self.curve, self.examples = saved["best"], saved["curve"], saved["examples"]
        self.minutes_before = saved["minutes"]
        position = _Position(**saved["position"])
        rng.setstate(position.epoch_rng)
        self.log(f"resuming in epoch {position.epoch} after batch {position.batch} from {self.checkpoint}")
        return position

    def minutes(self) -> float:
        return self.minutes_before + (time.time() - self.started) / 60

    def evaluate(self, model: SpanModel, held_data: dict, at: str) -> None:
        """A point of the learning curve; the weights are saved when they are the best so far."""
        scores = {name: evaluate_model(model, held) for name, held in held_data.items()}
        score = selection_score(scores)
        self.curve.append({"at": at, "examples": self.examples, "minutes": round(self.minutes(), 2), **scores})
        atomic_write(self.curve_file, lambda tmp: tmp.write_text(json.dumps(self.curve, indent=1)))
        plot_curve(self.curve, self.curve_file.with_suffix(".png"))
        self.log(f"{at}: {self.examples} examples, {self.minutes():.1f} min; held-out {_describe(scores)}")
        if score > self.best["score"]:
            self.best = {"score": score, "at": at, **scores}
            self.out.parent.mkdir(parents=True, exist_ok=True)
            state = {"state_dict": pack_state(model, self.int8), **self.meta, "held_out": self.best}
            _atomic_save(state, self.out)

    def save_checkpoint(self, model, optimizer, schedule, position: _Position) -> None:
        state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "schedule": schedule.state_dict()}
        extra = {"torch_rng": torch.get_rng_state(), "best": self.best, "curve": self.curve}
        extra |= {"examples": self.examples, "minutes": self.minutes(), "position": vars(position)}
        _atomic_save({**state, **extra}, self.checkpoint)


def _atomic_save(state: dict, path: Path) -> None:
    """A checkpoint cut off mid-write would lose the run: written aside, then renamed over."""
    atomic_write(path, lambda tmp: torch.save(state, tmp))


def selection_score(scores: dict[str, dict[str, float]]) -> float:
    """Mean over held-out sets of answer F1 and no-answer accuracy: both halves of reading a sentence."""
    return sum(s["f1"] + s["no_answer_accuracy"] for s in scores.values()) / (2 * max(len(scores), 1))


def _describe(scores: dict[str, dict[str, float]]) -> str:
    return "; ".join(
        f"{name} EM {s['em']:.1f} F1 {s['f1']:.1f} no-answer {s['no_answer_accuracy']:.1f}"
        for name, s in scores.items()
    )


def _on_terminal() -> bool:
    """A bar for a person at a terminal; in a log the periodic lines say the same."""
    return sys.stderr.isatty()


def _minutes(started: float) -> str:
    return f"{(time.time() - started) / 60:.1f}"
