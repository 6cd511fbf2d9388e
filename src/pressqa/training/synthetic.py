"""Synthetic in-domain questions: templates over spaCy's parse of DOJ releases that no evaluation set uses.

Four templates, each answered by a whole spaCy entity of the sentence it comes from:
- subject: "Dr. Ann Lee of Toledo pleaded guilty to fraud." -> "Who pleaded guilty to fraud?" (Ann Lee)
- date: "John Doe was sentenced on March 3, 2015." -> "When was John Doe sentenced?" (March 3, 2015)
- amount: "Beta Labs agreed to pay $5 million to resolve it." -> "How much did Beta Labs agree to pay to resolve
  it?" ($5 million)
- role: "Dr. Li Zonghai, Chairman and CEO of CARsgen, signed." -> "Who is the Chairman and CEO of CARsgen?" (a
  name bound to its own role, where the sentence often names others with theirs)
Rows are written in the format of `releases/qa/train.jsonl`, so that training reads them like the hand-written
questions (`pressqa train-reader --synthetic FILE`).
"""

import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_PARAGRAPH = re.compile(r"[^\n]+")
SUBJECT_LABELS = ("PERSON", "ORG")  # asked for with "Who"
MIN_REST_TOKENS = 4
MAX_QUESTION_WORDS = 30


@dataclass(frozen=True)
class Synthetic:
    question: str
    start: int  # the answer's offset in the release
    answer: str
    template: str


def eligible_releases(shared: Path, count: int, seed: int) -> list[dict]:
    """`count` DOJ releases, sampled with `seed`, that neither the benchmark's corpus (by id or text) nor any
    hand-written question set uses."""
    releases = shared / "releases"
    benchmark = [json.loads(line) for line in _lines(releases / "doj_health_pharma.jsonl")]
    excluded = {r["id"] for r in benchmark}
    for name in ("train.jsonl", "dev.jsonl", "train_hhs.jsonl"):
        excluded |= {json.loads(line).get("source") or "" for line in _lines(releases / "qa" / name)}
    banned_texts = {r["text"] for r in benchmark}
    pool = [
        r
        for r in map(json.loads, _lines(releases / "doj_releases.jsonl"))
        if r["id"] not in excluded and r["text"] not in banned_texts
    ]
    return random.Random(seed).sample(pool, min(count, len(pool)))


def _lines(path: Path) -> Iterator[str]:
    """The file's non-empty lines; none for a file that is not there."""
    if not path.exists():
        return
    with path.open(encoding="utf-8") as handle:
        yield from (line for line in handle if line.strip())


def generate(releases: list[dict], nlp, per_release: int, seed: int, log=print) -> list[dict]:
    """Rows of `train.jsonl`'s format: at most `per_release` questions a release, templates mixed."""
    rng = random.Random(seed)
    rows = []
    for n, release in enumerate(releases, start=1):
        found = list(release_questions(release["text"], nlp))
        rng.shuffle(found)
        for k, item in enumerate(found[:per_release]):
            rows.append(
                {
                    "id": f"syn-{release['id']}-{k}",
                    "question": item.question,
                    "answers": [{"text": item.answer, "answer_start": item.start}],
                    "source": release["id"],
                    "kind": item.template,
                }
            )
        if n % 200 == 0:
            log(f"{n}/{len(releases)} releases: {len(rows)} questions")
    return rows


def release_questions(text: str, nlp) -> Iterator[Synthetic]:
    """Every template's questions over the release's sentences (paragraphs parsed one by one)."""
    paragraphs = [(m.start(), m.group()) for m in _PARAGRAPH.finditer(text)]
    for (offset, _), doc in zip(paragraphs, nlp.pipe(p for _, p in paragraphs), strict=True):
        for sent in doc.sents:
            for item in sentence_questions(sent):
                yield Synthetic(item.question, offset + item.start, item.answer, item.template)


def sentence_questions(sent) -> Iterator[Synthetic]:
    """The templates' questions over one parsed sentence; offsets relative to its paragraph."""
    for make in (_subject_question, _date_question, _amount_question):
        item = make(sent)
        if item and len(item.question.split()) <= MAX_QUESTION_WORDS:
            yield item
    yield from _role_questions(sent)


def _subject(sent):
    """The root verb and its subject's tokens when the subject opens the sentence; else (None, None)."""
    root = sent.root
    if root.pos_ not in ("VERB", "AUX"):
        return None, None
    subject = next((c for c in root.children if c.dep_ in ("nsubj", "nsubjpass")), None)
    if subject is None:
        return None, None
    tokens = list(subject.subtree)
    if tokens[0].i != sent.start:
        return None, None
    return root, tokens


def _words(tokens) -> str:
    return "".join(t.text_with_ws for t in tokens).strip().rstrip(",;:").strip()


def _body(sent, drop: set[int]):
    """The sentence's tokens without `drop` and its final punctuation."""
    tokens = [t for t in sent if t.i not in drop]
    while tokens and tokens[-1].is_punct:
        tokens.pop()
    return tokens


def _subject_question(sent) -> Synthetic | None:
    root, subject = _subject(sent)
    if root is None:
        return None
    head = next(t for t in subject if t.head == root)
    entity = next((e for e in sent.ents if e.root == head and e.label_ in SUBJECT_LABELS), None)
    if entity is None or entity.start != sent.start:
        return None
    rest = _body(sent, {t.i for t in subject})
    while rest and rest[0].is_punct:
        rest.pop(0)
    if len(rest) < MIN_REST_TOKENS:
        return None
    question = f"Who {_words(rest)}?"
    return Synthetic(question, entity.start_char, entity.text, "subject")


def _fronted(sent, root, subject, drop: set[int], wh: str) -> str | None:
    """`wh` + the clause with its auxiliary (or do-support) moved before the subject, `drop` left out."""
    subject_ids = {t.i for t in subject}
    aux = next((c for c in root.children if c.dep_ in ("aux", "auxpass") and c.i < root.i), None)
    rest = [t for t in _body(sent, drop | subject_ids) if t.i > subject[-1].i]
    if aux is not None:
        rest = [t for t in rest if t.i != aux.i]
        head, verb = aux.text.lower(), []
    else:
        do = {"VBD": "did", "VBZ": "does", "VBP": "do"}.get(root.tag_)
        if do is None or not root.lemma_:
            return None
        head, verb = do, [root.lemma_.lower()]
        rest = [t for t in rest if t.i != root.i]
    while rest and rest[0].is_punct:
        rest.pop(0)
    words = [head, _words(subject), *verb, _words(rest)]
    text = " ".join(w for w in words if w)
    return f"{wh} {text}?" if len(text.split()) >= MIN_REST_TOKENS else None


def _date_drop(entity, root) -> set[int] | None:
    """A date in an "on"/"in" phrase of the main verb: the phrase is left out of the question."""
    head = entity.root.head
    if entity.label_ != "DATE" or head.dep_ != "prep" or head.head != root or head.text.lower() not in ("on", "in"):
        return None
    return {t.i for t in head.subtree}


def _amount_drop(entity, root) -> set[int] | None:
    """A sum that the main verb (or the verb it governs: "agreed to pay") takes as its object."""
    verb = entity.root.head
    if entity.label_ != "MONEY" or entity.root.dep_ != "dobj":
        return None
    if verb != root and not (verb.dep_ == "xcomp" and verb.head == root):
        return None
    return {t.i for t in entity.root.subtree}


def _wh_question(sent, wh: str, template: str, drop_for) -> Synthetic | None:
    """The first entity that `drop_for` accepts, asked for by `wh` with the clause's auxiliary fronted."""
    root, subject = _subject(sent)
    if root is None:
        return None
    for entity in sent.ents:
        drop = drop_for(entity, root)
        if drop is None or any(t.i in drop for t in subject):
            continue
        after = max(drop) + 1  # a comma that closed the dropped phrase goes with it
        if after < sent.end and sent.doc[after].text == ",":
            drop.add(after)
        question = _fronted(sent, root, subject, drop, wh)
        if question:
            return Synthetic(question, entity.start_char, entity.text, template)
    return None


def _date_question(sent) -> Synthetic | None:
    return _wh_question(sent, "When", "date", _date_drop)


def _amount_question(sent) -> Synthetic | None:
    return _wh_question(sent, "How much", "amount", _amount_drop)


def _role_questions(sent) -> Iterator[Synthetic]:
    for entity in sent.ents:
        if entity.label_ != "PERSON":
            continue
        for appos in (c for c in entity.root.children if c.dep_ == "appos"):
            role = list(appos.subtree)
            words = _words(role)
            if not 2 <= len(role) <= 12 or " of " not in f" {words} " or any(t.like_num for t in role):
                continue
            yield Synthetic(f"Who is the {words}?", entity.start_char, entity.text, "role")


def agreed_by_reader(rows: list[dict], releases: list[dict], weights: Path, embedder, log=print) -> list[dict]:
    """The rows whose answer the reader at `weights`, reading the answer's sentence, finds word for word."""
    from pressqa.ingest.analyze import Analyzer
    from pressqa.metrics import exact_match
    from pressqa.reader.span_model import load_model
    from pressqa.training.data import QAText, build_examples
    from pressqa.training.encoding import encode_examples, predict

    texts = {r["id"]: QAText(r["id"], r["text"]) for r in releases}
    for row in rows:
        answer = row["answers"][0]
        texts[row["source"]].questions.append((row["question"], answer["answer_start"], answer["text"]))
    examples, spans = build_examples(list(texts.values()), Analyzer(), random.Random(0), 0, 0.0)
    model = load_model(embedder.model[0].auto_model, weights)
    encoded = encode_examples(examples, spans, embedder, len(model.layers))
    log(f"reading {len(encoded)} questions' sentences with {weights.name}")
    agreed = set()
    for e, (span, says_null) in zip(encoded, predict(model, encoded), strict=True):
        gold = e.example.sentence.text[e.example.start : e.example.end]
        if span and not says_null and exact_match(span, gold):
            agreed.add((e.example.sentence.sid.rsplit(":", 1)[0], e.example.question))
    return [row for row in rows if (row["source"], row["question"]) in agreed]
