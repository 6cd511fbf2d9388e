"""The kind of an answer (person, org, date, money, number, place, thing) from the entities it covers."""

from pressqa.schema import Answer, Chunk, Span

KINDS = ("person", "org", "date", "money", "number", "place", "thing")

# spaCy's entity labels grouped into the kinds a question set names.
_LABEL_KIND = {
    "PERSON": "person",
    "ORG": "org",
    "NORP": "org",
    "DATE": "date",
    "TIME": "date",
    "MONEY": "money",
    "CARDINAL": "number",
    "QUANTITY": "number",
    "PERCENT": "number",
    "ORDINAL": "number",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
}


def label_kind(label: str) -> str:
    """The kind of a spaCy entity label; anything unlisted (products, laws, events, noun phrases) is a thing."""
    return _LABEL_KIND.get(label, "thing")


def answer_kind(answer: Answer, chunk: Chunk) -> str:
    """The kind of the entity sharing most characters with the answer; 'thing' when it covers none."""
    best, overlap = "thing", 0
    for entity in chunk.entities:
        shared = _overlap(entity, answer)
        # Half the answer at least: "the Eastern District of Michigan" is a place, "Medicare fraud" is not.
        if shared > overlap and 2 * shared >= answer.end - answer.start:
            best, overlap = label_kind(entity.label), shared
    return best


def _overlap(entity: Span, answer: Answer) -> int:
    return max(0, min(entity.end, answer.end) - max(entity.start, answer.start))
