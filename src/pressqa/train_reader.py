"""Train the span reader (the encoder's top layers and the span head) on QAMR; seeded and CPU-only."""

import random
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from pressqa.analyze import Analyzer
from pressqa.embed import Embedder
from pressqa.load import make_document
from pressqa.metrics import exact_match, f1_score
from pressqa.qamr import QAMRItem, Sentence, read_qas, read_sentences, split_by_document
from pressqa.schema import Span
from pressqa.span_reader import (
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

BATCH = 64


@dataclass
class Example:
    question: str
    sentence: Sentence
    start: int  # answer chars in the sentence; -1 for a sentence without the answer
    end: int


@dataclass
class Encoded:
    states: torch.Tensor  # (length, d) float16: the input of the tuned layers
    features: torch.Tensor
    allowed: torch.Tensor
    offsets: list[tuple[int, int]]
    target: tuple[int, int]  # token indices; (0, 0) = no answer
    example: Example


def build_examples(
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
    progress: bool = True,
) -> list[Encoded]:
    encoder, tokenizer = embedder.model[0].auto_model, embedder.model.tokenizer
    examples = sorted(examples, key=lambda e: len(e.question) + len(e.sentence.text))  # less padding per batch
    encoded = []
    for first in tqdm(range(0, len(examples), batch_size), desc="encoding", disable=not progress):
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


def evaluate_model(model: SpanModel, data: list[Encoded], batch_size: int = 128) -> dict[str, float]:
    """Held-out EM/F1 on answerable pairs and accuracy of the no-answer decision on the others."""
    model.eval()
    em = f1 = answerable = null_right = unanswerable = 0.0
    with torch.inference_mode():
        for first in range(0, len(data), batch_size):
            batch = data[first : first + batch_size]
            states, mask, features, allowed, _ = _pad(batch)
            start, end = model(states, mask, features, allowed)
            for e, (i, j, p_span, p_null) in zip(batch, best_spans(start, end, allowed), strict=True):
                if e.example.start < 0:
                    unanswerable += 1
                    null_right += float(p_null > p_span)
                    continue
                text = e.example.sentence.text
                s, t = snap_to_words(text, e.offsets[i][0], e.offsets[j][1])
                gold = text[e.example.start : e.example.end]
                answerable += 1
                em += exact_match(text[s:t], gold)
                f1 += f1_score(text[s:t], gold)
    model.train()
    return {
        "em": 100 * em / max(answerable, 1),
        "f1": 100 * f1 / max(answerable, 1),
        "no_answer_accuracy": 100 * null_right / max(unanswerable, 1),
    }


def train(
    qamr_dir: Path,
    out: Path,
    embedder: Embedder,
    epochs: int = 3,
    seed: int = 13,
    hidden: int = 96,
    negatives: float = 0.3,
    limit: int | None = None,
    tuned: int = TUNED_LAYERS,
    log=print,
) -> dict:
    """Train the head and save the best held-out epoch to `out`; returns its held-out scores."""
    started = time.time()
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    rng = random.Random(seed)
    sentences = read_sentences(qamr_dir / "wiki-sentences.tsv")
    items = read_qas(qamr_dir / "dev.tsv", sentences) + read_qas(qamr_dir / "test.tsv", sentences)
    if limit:
        items = rng.sample(items, min(limit, len(items)))
    train_items, held_items = split_by_document(items, seed=seed)
    log(f"QAMR: {len(train_items)} training and {len(held_items)} held-out questions (split by document)")
    train_ex = build_examples(train_items, sentences, negatives, rng)
    held_ex = build_examples(held_items, sentences, negatives, rng)
    needed = {e.sentence.sid: e.sentence for e in train_ex + held_ex}
    spans = analyse_sentences(list(needed.values()), Analyzer())
    train_data = encode_examples(train_ex, spans, embedder, tuned)
    held_data = encode_examples(held_ex, spans, embedder, tuned)
    log(f"encoded {len(train_data)} training and {len(held_data)} held-out pairs in {time.time() - started:.0f} s")

    model = new_span_model(embedder.model[0].auto_model, hidden=hidden, tuned=tuned)
    model.train()
    optimizer = torch.optim.AdamW(
        [{"params": model.head.parameters(), "lr": 2e-3}, {"params": model.layers.parameters(), "lr": 5e-5}],
        weight_decay=1e-4,
    )
    loss_fn = nn.CrossEntropyLoss()
    steps = epochs * -(-len(train_data) // BATCH)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: max(0.0, 1.0 - step / steps))
    best: dict = {"f1": -1.0}
    for epoch in range(1, epochs + 1):
        total = 0.0
        groups = length_batches(train_data, BATCH, rng)
        for group in tqdm(groups, desc=f"epoch {epoch}", leave=False):
            states, mask, features, allowed, targets = _pad([train_data[i] for i in group])
            with embedder.autocast():  # the tuned layers' matrix products; weights and gradients stay float32
                contextual = model.contextualize(states, mask)
            start, end = model.head(contextual.float(), features, allowed)
            loss = loss_fn(start, targets[:, 0]) + loss_fn(end, targets[:, 1])
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
            schedule.step()
            total += loss.item()
        scores = evaluate_model(model, held_data)
        log(
            f"epoch {epoch}: loss {total / max(1, len(groups)):.3f}; held-out EM {scores['em']:.1f} "
            f"F1 {scores['f1']:.1f}, no-answer accuracy {scores['no_answer_accuracy']:.1f}"
        )
        if scores["f1"] > best["f1"]:
            best = {**scores, "epoch": epoch}
            out.parent.mkdir(parents=True, exist_ok=True)
            meta = {"hidden": hidden, "tuned_layers": tuned, "seed": seed, "held_out": best}
            torch.save({"state_dict": pack_state(model), **meta}, out)
    shipped = evaluate_model(load_model(embedder.model[0].auto_model, out), held_data)
    log(
        f"the saved file (int8 matrices) on held-out: EM {shipped['em']:.1f} F1 {shipped['f1']:.1f}, "
        f"no-answer accuracy {shipped['no_answer_accuracy']:.1f}"
    )
    log(
        f"best epoch {best['epoch']}: held-out F1 {best['f1']:.1f}; saved {out} "
        f"({out.stat().st_size / 1e6:.1f} MB) in {(time.time() - started) / 60:.1f} min"
    )
    return best
