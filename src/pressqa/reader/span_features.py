"""What the learned reader sees of a question and a sentence: tokens, and per-token word and question-type features."""

import re
from dataclasses import dataclass

import numpy as np
import torch

from pressqa.reader.question import PHRASE, expected_type, stem_words
from pressqa.schema import Span

QTYPES = ("what", "which", "who", "when", "where", "why", "how many", "how much", "how", "other")
WORD_FEATURES = 4  # in the question, of the expected type, in any entity, capitalised
N_FEATURES = WORD_FEATURES + len(QTYPES)
MAX_LENGTH = 160
_WORD = re.compile(r"[\w’'-]+|[^\w\s]")


def question_type(question: str) -> int:
    lowered = question.lower()
    for i, qtype in enumerate(QTYPES[:-1]):
        if re.search(rf"\b{qtype}\b", lowered):
            return i
    return len(QTYPES) - 1


@dataclass
class PairBatch:
    """Tokenised (question, sentence) pairs; position 0 ([CLS]) stands for "no answer here"."""

    inputs: dict[str, torch.Tensor]
    features: torch.Tensor  # (batch, length, N_FEATURES)
    allowed: torch.Tensor  # (batch, length): [CLS] and sentence tokens
    offsets: np.ndarray  # (batch, length, 2): sentence-relative character span of each token


def featurize(
    tokenizer,
    questions: list[str],
    sentences: list[str],
    entities: list[list[Span]],
    noun_chunks: list[list[Span]],
    contexts: list[str] | None = None,
) -> PairBatch:
    """Tokenise pairs and compute per-token features; spans are relative to each sentence.

    A context (the previous sentence) is read before its sentence but never answers: it tells the model
    whom "it" or "the company" means.
    """
    shifts = [len(c) + 1 if c else 0 for c in contexts] if contexts else [0] * len(sentences)
    texts = [f"{contexts[b]} {text}" if shifts[b] else text for b, text in enumerate(sentences)]
    enc = tokenizer(
        questions,
        texts,
        truncation="only_second",
        max_length=MAX_LENGTH,
        padding=True,
        return_offsets_mapping=True,
        return_tensors="np",
    )
    offsets = enc.pop("offset_mapping")
    starts, ends = offsets[..., 0], offsets[..., 1]
    second = (enc["token_type_ids"] == 1) & (ends > starts)  # the final [SEP] has an empty span
    features = np.zeros((*starts.shape, N_FEATURES), dtype=np.float32)
    for b in range(len(questions)):
        moved = [Span(x.start + shifts[b], x.end + shifts[b], x.label) for x in entities[b]]
        moved_ncs = [Span(x.start + shifts[b], x.end + shifts[b], x.label) for x in noun_chunks[b]]
        per_char = _word_features(questions[b], texts[b], moved, moved_ncs)
        features[b, second[b], :WORD_FEATURES] = per_char[starts[b, second[b]]]
        features[b, :, WORD_FEATURES + question_type(questions[b])] = 1.0
    shift = np.array(shifts)[:, None]
    allowed = second & (starts >= shift)
    allowed[:, 0] = True
    offsets = offsets - shift[..., None]
    inputs = {key: torch.from_numpy(value) for key, value in enc.items()}
    return PairBatch(inputs, torch.from_numpy(features), torch.from_numpy(allowed), offsets)


def _word_features(question: str, sentence: str, entities: list[Span], noun_chunks: list[Span]) -> np.ndarray:
    """Per character of the sentence: [word in question, expected type, in entity, capitalised]."""
    q_terms = set(stem_words(question))
    expected = expected_type(question)
    per_char = np.zeros((len(sentence) + 1, WORD_FEATURES), dtype=np.float32)
    for span in entities:
        per_char[span.start : span.end, 2] = 1.0
        if span.label in expected:
            per_char[span.start : span.end, 1] = 1.0
    if expected == PHRASE:
        for span in noun_chunks:
            per_char[span.start : span.end, 1] = 1.0
    for match in _WORD.finditer(sentence):
        word = match.group()
        per_char[match.start() : match.end(), 0] = bool(set(stem_words(word)) & q_terms)
        per_char[match.start() : match.end(), 3] = word[:1].isupper()
    return per_char
