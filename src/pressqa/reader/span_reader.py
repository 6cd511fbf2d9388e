"""Learned span reader: MiniLM over question + sentence, its top layers fine-tuned, and a small start/end head."""

import contextlib
import copy
import re
import warnings
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path

import numpy as np
import torch
from torch import nn

from pressqa.reader.base import Selector
from pressqa.reader.binding import BindingCheck
from pressqa.reader.furniture import furniture_spans
from pressqa.reader.heuristic import HeuristicReader, ScoredSentence, key_coverage
from pressqa.reader.question import PHRASE, QuestionInfo, expected_type, repeats_question, stem_words
from pressqa.reader.typed_spans import typed_choice
from pressqa.retrieval.embed import Embedder
from pressqa.retrieval.retrieve import Retrieved
from pressqa.schema import Answer, Span

QTYPES = ("what", "which", "who", "when", "where", "why", "how many", "how much", "how", "other")
WORD_FEATURES = 4  # in the question, of the expected type, in any entity, capitalised
N_FEATURES = WORD_FEATURES + len(QTYPES)
MAX_LENGTH = 160
MAX_ANSWER_TOKENS = 24
TUNED_LAYERS = 4  # the encoder's top layers are fine-tuned for reading; the rest stay shared with retrieval
_WORD = re.compile(r"[\w’'-]+|[^\w\s]")


def default_weights() -> Path:
    return Path(str(resources.files("pressqa") / "models" / "span_reader.pt"))


def question_type(question: str) -> int:
    lowered = question.lower()
    for i, qtype in enumerate(QTYPES[:-1]):
        if re.search(rf"\b{qtype}\b", lowered):
            return i
    return len(QTYPES) - 1


class SpanHead(nn.Module):
    """Projects token vectors plus features, runs a small BiGRU, and scores start and end positions."""

    def __init__(self, d_model: int = 384, hidden: int = 96) -> None:
        super().__init__()
        self.proj = nn.Sequential(nn.Linear(d_model + N_FEATURES, 2 * hidden), nn.GELU(), nn.Dropout(0.1))
        self.rnn = nn.GRU(2 * hidden, hidden, batch_first=True, bidirectional=True)
        self.start = nn.Linear(2 * hidden, 1)
        self.end = nn.Linear(2 * hidden, 1)

    def forward(self, states: torch.Tensor, features: torch.Tensor, allowed: torch.Tensor):
        x = self.proj(torch.cat([states, features], dim=-1))
        x, _ = self.rnn(x)
        mask = ~allowed
        start = self.start(x).squeeze(-1).masked_fill(mask, -1e4)
        end = self.end(x).squeeze(-1).masked_fill(mask, -1e4)
        return start, end


class SpanModel(nn.Module):
    """Fine-tuned copies of the encoder's top layers, then the span head."""

    def __init__(self, layers: nn.ModuleList, hidden: int = 96) -> None:
        super().__init__()
        self.layers = layers
        self.head = SpanHead(hidden=hidden)

    def forward(self, states, attention_mask, features, allowed):
        return self.head(self.contextualize(states, attention_mask), features, allowed)

    def contextualize(self, states: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """The tuned layers: the matrix-heavy part, which may run in bfloat16."""
        bias = attention_bias(attention_mask)
        for layer in self.layers:
            states = _layer(layer, states, bias)
        return states


def attention_bias(attention_mask: torch.Tensor) -> torch.Tensor:
    """The additive (batch, 1, 1, length) mask BERT layers take: padding gets a large negative bias."""
    return (1.0 - attention_mask[:, None, None, :].float()) * torch.finfo(torch.float32).min


def _layer(layer: nn.Module, states: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    out = layer(states, bias)
    return out[0] if isinstance(out, tuple) else out


def lower_states(encoder, inputs: dict[str, torch.Tensor], tuned: int = TUNED_LAYERS) -> torch.Tensor:
    """Token vectors after the shared lower layers of the encoder (the input of the tuned layers)."""
    with torch.inference_mode():
        states = encoder.embeddings(input_ids=inputs["input_ids"], token_type_ids=inputs.get("token_type_ids"))
        bias = attention_bias(inputs["attention_mask"])
        for layer in encoder.encoder.layer[: len(encoder.encoder.layer) - tuned]:
            states = _layer(layer, states, bias)
        return states


def packed_states(encoder, model: SpanModel, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
    """The tuned layers' output for a padded batch, computed as one sequence without the padding.

    The pairs are laid end to end, each attending only to itself and numbering its positions from 0,
    so the result equals the padded computation while the layers process only real tokens (a quarter
    fewer for the reader's four sentences).
    """
    mask = inputs["attention_mask"].bool()
    lengths = mask.sum(1)
    segment = torch.repeat_interleave(torch.arange(len(lengths)), lengths)
    positions = torch.cat([torch.arange(int(n)) for n in lengths])[None]
    apart = segment[:, None] != segment[None, :]
    bias = apart.float()[None, None] * torch.finfo(torch.float32).min
    with torch.inference_mode():
        states = encoder.embeddings(
            input_ids=inputs["input_ids"][mask][None],
            token_type_ids=inputs["token_type_ids"][mask][None],
            position_ids=positions,
        )
        for layer in [*encoder.encoder.layer[: len(encoder.encoder.layer) - len(model.layers)], *model.layers]:
            states = _layer(layer, states, bias)
        padded = states.new_zeros(*mask.shape, states.shape[-1])
        padded[mask] = states[0]
        return padded


def pack_state(model: SpanModel, int8: bool = True) -> dict[str, torch.Tensor]:
    """The model's weights for shipping: matrices as int8 rows with a float16 scale each, the rest float16.

    Per-row int8 keeps four tuned layers at 7.7 MB; without it (`int8=False`) every weight is float16 (14.6 MB).
    """
    packed = {}
    for name, value in model.state_dict().items():
        if int8 and value.ndim == 2 and name.startswith("layers."):
            scale = value.abs().amax(dim=1, keepdim=True).clamp(min=1e-8) / 127
            packed[name + ".int8"] = torch.round(value / scale).to(torch.int8)
            packed[name + ".scale"] = scale.half()
        else:
            packed[name] = value.half()
    return packed


def unpack_state(packed: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Float32 weights from `pack_state`'s output (or from a plain float16 state dict)."""
    state = {}
    for name, value in packed.items():
        if name.endswith(".int8"):
            base = name.removesuffix(".int8")
            state[base] = value.float() * packed[base + ".scale"].float()
        elif not name.endswith(".scale"):
            state[name] = value.float()
    return state


def dynamic_int8(layers: nn.ModuleList) -> nn.ModuleList:
    """The layers with their linear maps' weights in int8 and activations quantised per batch (CPU only).

    torch marks `torch.ao.quantization` deprecated in favour of torchao, which has no wheel matched to the
    pinned torch 2.13 here; the eager API still works in it, so its warnings are silenced here only."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.filterwarnings("ignore", message=".*quantize_per_tensor.*")
        return torch.ao.quantization.quantize_dynamic(layers, {nn.Linear}, dtype=torch.qint8)


def load_model(encoder, weights: Path) -> SpanModel:
    """The span model saved at `weights`, on top of `encoder`, ready for inference."""
    saved = torch.load(weights, map_location="cpu", weights_only=True)
    model = new_span_model(encoder, hidden=int(saved["hidden"]), tuned=int(saved["tuned_layers"]))
    model.load_state_dict(unpack_state(saved["state_dict"]))
    return model.eval()


def new_span_model(encoder, hidden: int = 96, tuned: int = TUNED_LAYERS) -> SpanModel:
    """A span model whose tuned layers start as copies of the encoder's top layers."""
    layers = nn.ModuleList(copy.deepcopy(layer) for layer in encoder.encoder.layer[-tuned:])
    return SpanModel(layers, hidden)


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


def best_spans(start: torch.Tensor, end: torch.Tensor, allowed: torch.Tensor) -> list[tuple[int, int, float, float]]:
    """Per pair: (start token, end token, span probability, no-answer probability)."""
    p_start, p_end = start.softmax(-1), end.softmax(-1)
    results = []
    for b in range(start.shape[0]):
        scores = p_start[b, :, None] * p_end[b, None, :]
        valid = allowed[b].clone()
        valid[0] = False
        pair_ok = valid[:, None] & valid[None, :]
        pair_ok = torch.triu(pair_ok) & ~torch.triu(pair_ok, diagonal=MAX_ANSWER_TOKENS)
        scores = scores.masked_fill(~pair_ok, 0.0)
        flat = int(scores.argmax())
        i, j = divmod(flat, scores.shape[1])
        results.append((i, j, float(scores[i, j]), float(p_start[b, 0] * p_end[b, 0])))
    return results


def forbid(allowed: torch.Tensor, offsets: np.ndarray, spans: list[tuple[int, int]]) -> None:
    """Tokens starting inside `spans` (sentence-relative characters) can neither start nor end an answer."""
    for start, end in spans:
        inside = (offsets[:, 0] >= start) & (offsets[:, 0] < end) & (offsets[:, 1] > offsets[:, 0])
        allowed[torch.from_numpy(inside)] = False


def snap_to_words(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a character span to whole words (sub-word tokens can end mid-word), kept inside the text.

    (A span from the context before a sentence comes out before its start: it is cut to the sentence.)"""
    start = min(max(start, 0), len(text))
    end = min(max(end, start), len(text))
    if end == start:
        return start, end
    while start > 0 and text[start - 1].isalnum() and text[start].isalnum():
        start -= 1
    while end < len(text) and text[end - 1].isalnum() and text[end].isalnum():
        end += 1
    return start, end


# Only a sentence that leans on the one before gets it as context: one with a pronoun that misses a name
# the question asks about. On held-out QAMR (questions written about single sentences) the context given to
# every sentence cost 0.9 F1 and a quarter more reader time, to every sentence with a pronoun 0.4 F1, and
# with this rule nothing (F1 65.7 either way); yet "In January 2022, it earned the RMAT Designation" now
# answers "When did CT041 receive RMAT?" where it abstained without the previous sentence.
_PRONOUN = re.compile(
    r"\b(it|its|they|their|them|he|his|she|her|this|these|the (?:company|firm|drug|therapy|study|trial|"
    r"candidate|product|agency|group|bank|fund))\b",
    re.IGNORECASE,
)
_LOOK_BACK = 3  # sentences: "it" rarely reaches further back within a passage


def _context(info: QuestionInfo, sentence: ScoredSentence) -> str:
    """For a sentence with a pronoun that misses a question's name: the nearest sentence before it in its chunk
    that names what it misses (the one just before when none does)."""
    spans = sentence.chunk.sentences
    i = next((k for k, x in enumerate(spans) if x.start == sentence.span.start), 0)
    if i == 0 or not _PRONOUN.search(sentence.text) or key_coverage(info, sentence.text) == 1.0:
        return ""
    base = sentence.chunk.start
    texts = [sentence.chunk.text[x.start - base : x.end - base] for x in spans[max(0, i - _LOOK_BACK) : i]]
    missing = [term for term in info.key_terms if term not in sentence.text.lower()]
    naming = [text for text in texts if any(term in text.lower() for term in missing)]
    return naming[-1] if naming else texts[-1]


class LearnedReader:
    """Reads the selector's sentences (the heuristic's best by default) with the trained span head; weights load on
    first use."""

    def __init__(
        self,
        embedder: Embedder,
        weights: Path | None = None,
        sentences: int = 3,
        by_score: bool = False,
        selector: Selector | None = None,
        int8: bool = False,
        binding: BindingCheck | None = None,
    ) -> None:
        self.embedder = embedder
        self.int8 = int8
        self.weights = weights or default_weights()
        self.sentences = sentences
        self.by_score = by_score
        self.selector = selector or HeuristicReader(sentences)
        self.binding = binding or BindingCheck()

    @cached_property
    def model(self) -> SpanModel:
        model = load_model(self.embedder.model[0].auto_model, self.weights)
        if self.int8:
            model.layers = dynamic_int8(model.layers)
        return model

    def _precision(self):
        """bfloat16 products where the CPU has them; int8 layers take float32 input and quantise it themselves."""
        return contextlib.nullcontext() if self.int8 else self.embedder.autocast()

    def read(
        self, info: QuestionInfo, query_vector: np.ndarray | None, retrieved: Retrieved, per_release: int | None = None
    ) -> list[Answer]:
        question = info.text
        chosen = self.selector.best_sentences(info, query_vector, retrieved, per_release)
        if not chosen:
            return []
        texts = [s.text for s in chosen]
        ents = [[_relative(e, s.span) for e in s.chunk.entities if e.within(s.span)] for s in chosen]
        ncs = [[_relative(n, s.span) for n in s.chunk.noun_chunks if n.within(s.span)] for s in chosen]
        contexts = [_context(info, s) for s in chosen]
        with self.embedder.lock:  # shares the embedder's tokenizer and encoder
            batch = featurize(self.embedder.model.tokenizer, [question] * len(chosen), texts, ents, ncs, contexts)
            for b, text in enumerate(texts):
                forbid(batch.allowed[b], batch.offsets[b], furniture_spans(question, text, info.expected))
            encoder = self.embedder.model[0].auto_model
            with torch.inference_mode():
                with self._precision():
                    states = packed_states(encoder, self.model, batch.inputs)
                # The small GRU head is faster, and as exact, in float32.
                start, end = self.model.head(states.float(), batch.features, batch.allowed)
        p_start, p_end = start.softmax(-1), end.softmax(-1)
        answers = []
        for b, (i, j, p_span, p_null) in enumerate(best_spans(start, end, batch.allowed)):
            sent = chosen[b]
            # An entity that only repeats the question is no answer to it, however well it fits the type.
            answering = [x for x in ents[b] if not repeats_question(info, sent.text[x.start : x.end])]
            choice = typed_choice(
                (i, j, p_span), batch.offsets[b], p_start[b], p_end[b], batch.allowed[b], answering, info.expected
            )
            if choice is None:  # no entity of the type asked for: this sentence cannot answer
                continue
            s, e = snap_to_words(sent.text, choice.start, choice.end)
            if e <= s:
                continue
            doc_start = sent.span.start + s
            # Confidence: how well the sentence matches, times the span's share against "no answer here", lowered
            # when the sentence is about another quarter, phase or role than the question.
            share = choice.probability / (choice.probability + p_null + 1e-9)
            bound = self.binding.factor(info, sent.text, contexts[b])
            answers.append(
                Answer(
                    sent.text[s:e],
                    share * max(sent.score, 0.0) * bound,
                    sent.chunk.doc_id,
                    doc_start,
                    doc_start + e - s,
                    sent.chunk.chunk_id,
                    sent.span,
                )
            )
        # The reader trained on releases, whose negatives are the sentences of a release most like the question,
        # tells similar sentences apart better than the selector: ordering by the combined score gained 6.2 F1
        # on the held-out release questions. (The QAMR-only reader had lost 0.7 F1 by it on held-out QAMR with
        # distractors, where the selector's order was kept.)
        if self.by_score:
            answers.sort(key=lambda a: -a.score)
        return answers


def _relative(span: Span, sentence: Span) -> Span:
    return Span(span.start - sentence.start, span.end - sentence.start, span.label)
