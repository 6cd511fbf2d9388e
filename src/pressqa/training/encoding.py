"""Training pairs made ready for the span model: tokens, features and the answer's token positions; and how a
model is scored on them."""

import random
from dataclasses import dataclass

import torch
from tqdm import tqdm

from pressqa.metrics import exact_match, f1_score
from pressqa.progress import on_terminal
from pressqa.reader.span_decoding import best_spans, snap_to_words
from pressqa.reader.span_features import featurize
from pressqa.reader.span_model import TUNED_LAYERS, SpanModel, lower_states
from pressqa.retrieval.embed import Embedder
from pressqa.training.data import Example


@dataclass
class Encoded:
    states: torch.Tensor  # (length, d) float16: the input of the tuned layers
    features: torch.Tensor
    allowed: torch.Tensor
    offsets: list[tuple[int, int]]
    target: tuple[int, int]  # token indices; (0, 0) = no answer
    example: Example


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
    bar = on_terminal() if progress is None else progress  # in a log, the caller's lines say the same
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


def pad_batch(batch: list[Encoded]):
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
            states, mask, features, allowed, _ = pad_batch(batch)
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
