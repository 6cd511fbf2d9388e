"""Read QAMR (question, sentence, answer span) rows and rebuild readable sentences and paragraphs."""

import csv
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

_PTB = {"-LRB-": "(", "-RRB-": ")", "-LSB-": "[", "-RSB-": "]", "-LCB-": "{", "-RCB-": "}", "``": '"', "''": '"'}
_NO_SPACE_BEFORE = {",", ".", ";", ":", "!", "?", ")", "]", "}", "%", "'s", "n't", "'re", "'ve", "'ll", "'d", "'m", "'"}
_NO_SPACE_AFTER = {"(", "[", "{", "$", "#"}


@dataclass
class Sentence:
    sid: str
    text: str
    token_spans: list[tuple[int, int]]  # char span of each original token in `text`

    @property
    def doc(self) -> str:
        return ":".join(self.sid.split(":")[:3])

    @property
    def position(self) -> tuple[int, int]:
        paragraph, sentence = self.sid.split(":")[3:5]
        return int(paragraph), int(sentence)


@dataclass
class QAMRItem:
    sid: str
    question: str
    start: int  # char offsets of the answer in the sentence text
    end: int


def detokenize(tokens: list[str]) -> tuple[str, list[tuple[int, int]]]:
    """PTB tokens to plain text, with each token's character span."""
    text, spans, quote_open = "", [], False
    for i, raw in enumerate(tokens):
        tok = _PTB.get(raw, raw)
        opening_quote = raw == "``" or (raw == '"' and not quote_open)
        closing = raw == "''" or (raw == '"' and quote_open)
        if raw in ("``", "''", '"'):
            quote_open = opening_quote
        glue = i == 0 or tok in _NO_SPACE_BEFORE or closing or _PTB.get(tokens[i - 1], tokens[i - 1]) in _NO_SPACE_AFTER
        glue = glue or (i > 0 and tokens[i - 1] == "``")
        if not glue:
            text += " "
        spans.append((len(text), len(text) + len(tok)))
        text += tok
    return text, spans


def read_sentences(path: Path) -> dict[str, Sentence]:
    sentences = {}
    with path.open(encoding="utf-8") as handle:
        for row in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(row) >= 2 and row[0].startswith("Wiki1k"):
                text, spans = detokenize(row[1].split(" "))
                sentences[row[0]] = Sentence(row[0], text, spans)
    return sentences


def read_qas(path: Path, sentences: dict[str, Sentence]) -> list[QAMRItem]:
    """QA rows whose sentence text is known (PTB rows have none), answer = first..last highlighted token."""
    items = []
    with path.open(encoding="utf-8") as handle:
        for row in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(row) < 7 or row[0] not in sentences:
                continue
            indices = _majority_answer(row[6:9])
            spans = sentences[row[0]].token_spans
            if not indices or max(indices) >= len(spans):
                continue
            items.append(QAMRItem(row[0], row[5], spans[min(indices)][0], spans[max(indices)][1]))
    return items


def split_by_document(items: list[QAMRItem], held_out: float = 0.1, seed: int = 13) -> tuple[list, list]:
    """Train and held-out parts with no source document in both."""
    docs = sorted({":".join(i.sid.split(":")[:3]) for i in items})
    random.Random(seed).shuffle(docs)
    held = set(docs[: max(1, int(len(docs) * held_out))])
    train = [i for i in items if ":".join(i.sid.split(":")[:3]) not in held]
    test = [i for i in items if ":".join(i.sid.split(":")[:3]) in held]
    return train, test


def paragraphs(sentences: dict[str, Sentence]) -> dict[tuple[str, int], list[Sentence]]:
    """Sentences grouped by (document, paragraph), in order."""
    groups: dict[tuple[str, int], list[Sentence]] = defaultdict(list)
    for s in sentences.values():
        groups[(s.doc, s.position[0])].append(s)
    return {k: sorted(v, key=lambda s: s.position[1]) for k, v in groups.items()}


def _majority_answer(fields: list[str]) -> list[int]:
    """The token set most of the writer and two validators highlighted (the writer's on a tie)."""
    answers = []
    for field in fields:
        tokens = field.split(":", 1)[-1] if ":" in field else field
        try:
            answers.append(tuple(sorted(int(t) for t in tokens.split())))
        except ValueError:
            continue
    if not answers:
        return []
    best = max(answers, key=lambda a: (answers.count(a), a == answers[0]))
    return list(best)


def squad_set(
    sentences: dict[str, Sentence], items: list[QAMRItem], drop: float = 0.4, seed: int = 13, distractors: bool = False
) -> dict:
    """A SQuAD 2.0 file of QAMR paragraphs for model selection and threshold calibration.

    In some paragraphs one questioned sentence is left out: its questions become unanswerable while
    the rest of their topic stays in the corpus, as in SQuAD 2.0. With `distractors`, every other
    paragraph of QAMR's Wikipedia and Wikinews text is added without questions, for retrieval.
    """
    rng = random.Random(seed)
    by_sentence: dict[str, list[QAMRItem]] = defaultdict(list)
    for item in items:
        by_sentence[item.sid].append(item)
    articles: dict[str, list[dict]] = defaultdict(list)
    for (doc, _), group in sorted(paragraphs(sentences).items()):
        questioned = [s for s in group if s.sid in by_sentence]
        if not questioned:
            if distractors:
                articles[doc].append({"context": " ".join(s.text for s in group), "qas": []})
            continue
        dropped = rng.choice(questioned).sid if len(group) > 1 and rng.random() < drop else None
        kept = [s for s in group if s.sid != dropped]
        context, qas, offset = " ".join(s.text for s in kept), [], 0
        for s in kept:
            qas += [_qa(i, s.text[i.start : i.end], offset + i.start) for i in by_sentence.get(s.sid, [])]
            offset += len(s.text) + 1
        qas += [_qa(i, None, 0) for i in by_sentence.get(dropped or "", [])]
        articles[doc].append({"context": context, "qas": qas})
    data = [{"title": doc.split(":")[1], "paragraphs": ps} for doc, ps in articles.items()]
    return {"version": "v2.0", "data": data}


def _qa(item: QAMRItem, answer: str | None, start: int) -> dict:
    qid = f"{item.sid}:{item.start}:{item.question}"
    if answer is None:
        return {"id": qid, "question": item.question, "answers": [], "is_impossible": True}
    return {
        "id": qid,
        "question": item.question,
        "answers": [{"text": answer, "answer_start": start}],
        "is_impossible": False,
    }
