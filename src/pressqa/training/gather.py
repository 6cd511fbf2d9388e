"""The training sources gathered into pairs, with whole texts held out per source for selection."""

import random
from dataclasses import dataclass
from pathlib import Path

from pressqa.evaluation.suite import kind_named
from pressqa.ingest.analyze import Analyzer
from pressqa.ingest.load import make_document
from pressqa.schema import Span
from pressqa.training.data import Example, SpanTable, near_misses, read_release_qa, read_squad_qa, split_kind
from pressqa.training.data import build_examples as text_examples
from pressqa.training.qamr import QAMRItem, Sentence, read_qas, read_sentences, split_by_document

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
