"""Sentence-level training pairs for the span reader from paragraph and release QA sets.

The reader reads one sentence at a time, so a paragraph question becomes its answer's sentence (a positive)
and sentences of the same text that do not hold the answer (negatives: "no answer here"). The hardest
negatives are the ones a reader meets in a release: sentences that share the question's words.
"""

import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

from pressqa.evaluation.suite import ReleaseKind, held_out_fraction, held_out_releases, read_rows
from pressqa.ingest.analyze import Analyzer
from pressqa.ingest.load import make_document
from pressqa.reader.question import stem_words
from pressqa.schema import Span
from pressqa.training.qamr import Sentence


@dataclass
class Example:
    question: str
    sentence: Sentence
    start: int  # answer chars in the sentence; -1 for a sentence without the answer
    end: int


@dataclass
class QAText:
    """A release or paragraph with its questions: (question, answer start or -1, answer text or "")."""

    key: str
    text: str
    questions: list[tuple[str, int, str]] = field(default_factory=list)


SpanTable = dict[str, tuple[list[Span], list[Span]]]  # sentence id -> (entities, noun chunks), sentence-relative


def read_release_qa(questions: Path, releases: Path) -> list[QAText]:
    """`releases/qa/train.jsonl`-style questions joined with the text of the releases they ask about."""
    rows = [json.loads(line) for line in questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    wanted = {row["source"] for row in rows if row.get("source")}
    texts: dict[str, QAText] = {}
    with releases.open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if record["id"] in wanted:
                texts[record["id"]] = QAText(record["id"], record["text"])
    for row in rows:
        target = texts.get(row.get("source") or "")
        if target is None:
            continue
        if not row["answers"]:
            target.questions.append((row["question"], -1, ""))
        for answer in row["answers"][:1]:
            target.questions.append((row["question"], int(answer["answer_start"]), answer["text"]))
    return list(texts.values())


def read_squad_qa(path: Path, prefix: str) -> list[QAText]:
    """SQuAD JSON paragraphs with their questions (the first gold answer each; unanswerable as -1)."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    out = []
    for a, article in enumerate(data):
        for p, paragraph in enumerate(article["paragraphs"]):
            text = QAText(f"{prefix}-{a}-{p}", paragraph["context"])
            for qa in paragraph["qas"]:
                answers = [] if qa.get("is_impossible") else qa["answers"]
                if answers:
                    text.questions.append((qa["question"], int(answers[0]["answer_start"]), answers[0]["text"]))
                else:
                    text.questions.append((qa["question"], -1, ""))
            out.append(text)
    return out


def split_texts(texts: list[QAText], held_out: float, seed: int) -> tuple[list[QAText], list[QAText]]:
    """Training and held-out texts; no text is in both."""
    held = held_out_fraction([t.key for t in texts], held_out, seed)
    order = sorted(texts, key=lambda t: t.key)
    return [t for t in order if t.key not in held], [t for t in order if t.key in held]


def split_kind(texts: list[QAText], kind: ReleaseKind, shared: Path) -> tuple[list[QAText], list[QAText]]:
    """Training and held-out releases of one kind: held out exactly as the selection suite holds them out."""
    held = held_out_releases(kind, read_rows(shared / kind.questions), {t.key for t in texts})
    order = sorted(texts, key=lambda t: t.key)
    return [t for t in order if t.key not in held], [t for t in order if t.key in held]


def build_examples(
    texts: list[QAText], analyzer: Analyzer, rng: random.Random, hard_negatives: int = 1, random_negative: float = 0.3
) -> tuple[list[Example], SpanTable]:
    """Positive and negative sentence pairs for every question, and each sentence's entities and noun chunks."""
    docs = [make_document(t.text, t.key, title="-") for t in texts]
    examples: list[Example] = []
    table: SpanTable = {}
    for text, doc, analysis in zip(texts, docs, analyzer.analyze(docs), strict=True):
        # make_document normalises whitespace: offsets are found again in its text.
        sentences = []
        for i, span in enumerate(analysis.sentences):
            sentence = Sentence(f"{text.key}:{i}", doc.text[span.start : span.end], [])
            table[sentence.sid] = (
                [_shift(e, span) for e in analysis.entities if e.within(span)],
                [_shift(n, span) for n in analysis.noun_chunks if n.within(span)],
            )
            sentences.append((span, sentence))
        for question, start, answer in text.questions:
            examples += _question_examples(doc.text, sentences, question, start, answer, rng, hard_negatives)
            if random_negative and rng.random() < random_negative:
                others = [s for _, s in sentences if not answer or answer not in s.text]
                if others:
                    examples.append(Example(question, rng.choice(others), -1, -1))
    return examples, table


def _question_examples(
    doc_text: str,
    sentences: list[tuple[Span, Sentence]],
    question: str,
    start: int,
    answer: str,
    rng: random.Random,
    hard_negatives: int,
) -> list[Example]:
    out = []
    if answer:
        where = _locate(doc_text, answer, start)
        holder = next(
            ((span, s) for span, s in sentences if where is not None and span.start <= where < span.end), None
        )
        if holder is None or where + len(answer) > holder[0].end:
            return []  # the answer crosses a sentence break, or its text was not found
        span, sentence = holder
        out.append(Example(question, sentence, where - span.start, where - span.start + len(answer)))
    terms = set(stem_words(question))
    candidates = [s for _, s in sentences if not answer or answer not in s.text]
    candidates.sort(key=lambda s: (-len(terms & set(stem_words(s.text))), rng.random()))
    count = hard_negatives if answer else hard_negatives + 1  # an unanswerable question has no positive
    out += [Example(question, s, -1, -1) for s in candidates[:count]]
    return out


# Names a question may swap: a question about someone or something else is not answered by this sentence.
SWAP_LABELS = ("PERSON", "ORG", "GPE", "NORP", "FAC", "PRODUCT", "LOC")


def near_misses(examples: list[Example], table: SpanTable, rng: random.Random, rate: float) -> list[Example]:
    """Negatives that teach the reader to check whom and when a question is about: for a share `rate` of the
    positives, the question asked again about another name (`name_swapped`) or another period or trial phase
    (`period_swapped`) and paired with the same sentence as "no answer here"."""
    return name_swapped(examples, table, rng, rate) + period_swapped(examples, rng, rate)


def name_swapped(examples: list[Example], table: SpanTable, rng: random.Random, rate: float) -> list[Example]:
    """For a share `rate` of the positives whose question names an entity of its answer sentence (outside the
    answer), the question asked about another entity of the same label, one of the same release where there is
    one: the near miss of corporate releases ("Who is the CEO of <the partner it names>?"). Without them "Who is
    the CEO of Pfizer?" read a sentence naming another firm's chief and answered with his name."""
    if rate <= 0:  # draws nothing from `rng`: a run without them repeats the same data as before they existed
        return []
    pool: dict[str, set[str]] = {}
    local: dict[tuple[str, str], set[str]] = {}  # (release, label) -> its names
    for ex in examples:
        text, doc = ex.sentence.text, _release(ex.sentence.sid)
        for e in table.get(ex.sentence.sid, ([], []))[0]:
            if e.label in SWAP_LABELS and e.end - e.start >= 3:
                pool.setdefault(e.label, set()).add(text[e.start : e.end])
                local.setdefault((doc, e.label), set()).add(text[e.start : e.end])
    names = {label: sorted(values) for label, values in pool.items()}
    out = []
    for ex in examples:
        if ex.start < 0 or rng.random() >= rate:
            continue
        named = [
            (e, ex.sentence.text[e.start : e.end])
            for e in table.get(ex.sentence.sid, ([], []))[0]
            if e.label in names and (e.end <= ex.start or e.start >= ex.end)
        ]
        named = [(e, name) for e, name in named if len(name) >= 3 and name in ex.question]
        if not named:
            continue
        entity, name = rng.choice(named)
        others = _other_names(sorted(local.get((_release(ex.sentence.sid), entity.label), ())), ex, name)
        if not others:
            others = _other_names(rng.sample(names[entity.label], min(20, len(names[entity.label]))), ex, name)
        if others:
            out.append(Example(ex.question.replace(name, rng.choice(others)), ex.sentence, -1, -1))
    return out


def _other_names(candidates: list[str], ex: Example, name: str) -> list[str]:
    return [n for n in candidates if n not in ex.sentence.text and name not in n and n not in name]


def _release(sid: str) -> str:
    return sid.rsplit(":", 1)[0]


_SWAPS = (
    (re.compile(r"\b(?:19|20)\d{2}\b"), lambda m, rng: str(int(m.group()) + rng.choice((-1, 1)))),
    (
        re.compile(r"\b(first|second|third|fourth)(?=[\s-]+(?:fiscal[\s-]+)?quarter\b)", re.I),
        lambda m, rng: rng.choice([w for w in ("first", "second", "third", "fourth") if w != m.group().lower()]),
    ),
    (re.compile(r"(?<=\bQ)[1-4]\b"), lambda m, rng: rng.choice([d for d in "1234" if d != m.group()])),
    (
        re.compile(r"(?<=\bPhase )(?:1|2|3|I|II|III)\b", re.I),
        lambda m, rng: rng.choice([p for p in ("1", "2", "3") if p != _PHASE_NUMBER.get(m.group().upper(), m.group())]),
    ),
)
_PHASE_NUMBER = {"I": "1", "II": "2", "III": "3"}


def period_swapped(examples: list[Example], rng: random.Random, rate: float) -> list[Example]:
    """For a share `rate` of the positives whose question names a year, quarter or trial phase that its answer
    sentence names too, the question asked about another one ("… in the first quarter of 2024?" of a sentence on
    the first quarter of 2025): last year's net loss is the commonest wrong answer on corporate releases."""
    if rate <= 0:
        return []
    out = []
    for ex in examples:
        if ex.start < 0 or rng.random() >= rate:
            continue
        answer = ex.sentence.text[ex.start : ex.end]
        found = [
            (m, change, said)
            for pattern, change in _SWAPS
            if (said := {w.lower() for w in pattern.findall(ex.sentence.text)})
            for m in pattern.finditer(ex.question)
            if m.group().lower() in said and m.group() not in answer
        ]
        if not found:
            continue
        match, change, said = rng.choice(found)
        swapped = change(match, rng)
        if swapped.lower() in said:
            continue  # the sentence names the other period too: it may well answer the new question
        question = ex.question[: match.start()] + swapped + ex.question[match.end() :]
        out.append(Example(question, ex.sentence, -1, -1))
    return out


def _locate(doc_text: str, answer: str, start: int) -> int | None:
    """The answer's offset in the normalised text: the occurrence nearest the original offset."""
    positions = []
    found = doc_text.find(answer)
    while found >= 0:
        positions.append(found)
        found = doc_text.find(answer, found + 1)
    return min(positions, key=lambda p: abs(p - start)) if positions else None


def _shift(span: Span, sentence: Span) -> Span:
    return Span(span.start - sentence.start, span.end - sentence.start, span.label)


def write_release_set(shared: Path, out: Path, seed: int, distractors: int) -> tuple[int, int]:
    """The held-out part of `releases/qa/train.jsonl` (as training splits it) as a question file, and a corpus.

    The corpus holds every release those training questions ask about, plus `distractors` other DOJ releases
    outside the health/pharma benchmark corpus: as many releases as the benchmark asks over, for selection
    and calibration at the same scale. Returns the counts of questions and releases written.
    """
    questions_path = shared / "releases" / "qa" / "train.jsonl"
    rows = [json.loads(line) for line in questions_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts = read_release_qa(questions_path, shared / "releases" / "doj_releases.jsonl")
    _, held = split_texts(texts, 0.2, seed)
    held_ids, asked = {t.key for t in held}, {t.key for t in texts}
    out.mkdir(parents=True, exist_ok=True)
    with (out / "questions.jsonl").open("w", encoding="utf-8") as handle:
        chosen = [r for r in rows if r.get("source") in held_ids]
        for row in chosen:
            answers = [a["text"] for a in row["answers"]]
            record = {"id": row["id"], "question": row["question"], "answers": answers, "kind": row.get("kind")}
            handle.write(json.dumps({**record, "source": row["source"] if answers else None}) + "\n")
    benchmark = set()
    health = shared / "releases" / "doj_health_pharma.jsonl"
    if health.exists():
        benchmark = {json.loads(line)["id"] for line in health.open(encoding="utf-8")}
    with (shared / "releases" / "doj_releases.jsonl").open(encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle]
    mine = [r for r in records if r["id"] in asked]
    others = sorted((r for r in records if r["id"] not in asked and r["id"] not in benchmark), key=lambda r: r["id"])
    random.Random(seed).shuffle(others)
    corpus = mine + others[:distractors]
    with (out / "releases.jsonl").open("w", encoding="utf-8") as handle:
        for r in corpus:
            handle.write(json.dumps({k: r.get(k) for k in ("id", "title", "date", "text", "url")}) + "\n")
    return len(chosen), len(corpus)
