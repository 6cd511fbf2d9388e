"""The names an answer leads on to (`AnswerOut.names`): each has a timeline."""

import re

from pressqa.reader.question import key_terms
from pressqa.schema import Answer, Passage

NAME_LABELS = frozenset({"ORG", "PRODUCT", "PERSON"})
MAX_NAMES = 4


def answer_names(answer: Answer, passage: Passage | None, question: str) -> list[str]:
    """The names an answer leads on to: the question's names and codes its passage holds ("CT041"), then the
    organisations, products and people of the answer's sentence, each once, at most `MAX_NAMES`."""
    if passage is None:
        return []
    chunk = passage.chunk
    asked = [m.group(0) for term in key_terms(question) if (m := re.search(re.escape(term), question, re.I))]
    names = [n for n in asked if n.lower() in chunk.text.lower()]
    sentence = answer.sentence
    for entity in chunk.entities:
        if entity.label in NAME_LABELS and sentence and entity.within(sentence):
            names.append(re.sub(r"^the ", "", chunk.text[entity.start - chunk.start : entity.end - chunk.start]))
    unique: dict[str, str] = {}
    for name in names:
        unique.setdefault(name.lower(), name)
    return list(unique.values())[:MAX_NAMES]
