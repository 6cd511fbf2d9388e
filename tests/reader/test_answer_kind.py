from pressqa.reader.answer_kind import answer_kind, label_kind
from pressqa.schema import Answer, Chunk, Span

TEXT = "Judge Paul D. Borman ordered Medicare fraud restitution of $1.2 million on Jan. 13, 2010."


def _kind(text: str) -> str:
    start = TEXT.index(text)
    chunk = Chunk(
        "d",
        0,
        len(TEXT),
        TEXT,
        entities=[Span(6, 20, "PERSON"), Span(29, 37, "ORG"), Span(59, 71, "MONEY"), Span(75, 88, "DATE")],
    )
    return answer_kind(Answer(text, 1.0, "d", start, start + len(text)), chunk)


def test_answer_kind_comes_from_the_entity_covering_most_of_the_answer():
    assert _kind("Paul D. Borman") == "person"
    assert _kind("Judge Paul D. Borman") == "person"
    assert _kind("$1.2 million") == "money"
    assert _kind("Jan. 13, 2010") == "date"
    assert _kind("Medicare fraud restitution") == "thing"  # the ORG covers under half of it
    assert _kind("ordered") == "thing"


def test_label_kinds():
    assert [label_kind(x) for x in ("GPE", "CARDINAL", "NORP", "LAW")] == ["place", "number", "org", "thing"]
