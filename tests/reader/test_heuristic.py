import numpy as np
import pytest

from pressqa.reader.heuristic import HeuristicReader, ScoredSentence, key_coverage, span_fit, take_best
from pressqa.reader.question import analyze_question
from pressqa.retrieval.retrieve import Retrieved
from pressqa.schema import Chunk, Passage, Span
from pressqa.service.qa import PressQA

GOLDEN = "001_dddbf5ee798e36f0.txt"


def test_golden_ct041_rmat(corpus_engine):
    result = corpus_engine.ask("When did CT041 receive RMAT?")
    answer = result.answer
    assert answer is not None and answer.text == "January 2022"
    assert answer.doc_id == GOLDEN
    doc = corpus_engine.index.store.document(GOLDEN)
    assert doc.text[answer.start : answer.end] == "January 2022"
    cited = [p for p in result.passages if p.chunk.chunk_id == answer.chunk_id]
    assert cited and cited[0].chunk.start <= answer.start < answer.end <= cited[0].chunk.end


@pytest.mark.parametrize(
    ("question", "expected", "doc_id"),
    [
        ("Who is the CEO of CARsgen?", "Zonghai", "000_141e616ab78fc2e8.txt"),
        ("Where is GenScript headquartered?", "Nanjing", "002_0a94835ec6db6944.txt"),
        ("When was the Shanghai Cancer Institute founded?", "1958", "000_141e616ab78fc2e8.txt"),
        ("When did the FDA grant CT041 orphan drug designation?", "October 2020", GOLDEN),
    ],
)
def test_typed_answers_over_the_corpus(corpus_engine, question, expected, doc_id):
    engine = PressQA(corpus_engine.settings.model_copy(update={"reader": "heuristic", "no_answer_threshold": 0.35}))
    engine.embedder = corpus_engine.embedder  # the index loads from the same folder
    answer = engine.ask(question).answer
    assert answer is not None and expected in answer.text and answer.doc_id == doc_id
    assert corpus_engine.index.store.document(doc_id).text[answer.start : answer.end] == answer.text


@pytest.mark.parametrize("question", ["Who is the CEO of Pfizer?", "What is the capital of Australia?"])
def test_unanswerable_questions_abstain(corpus_engine, question):
    result = corpus_engine.ask(question)
    assert result.answer is None
    assert result.passages  # the closest passages are still returned


def _retrieved(text: str, entities: list[Span], noun_chunks: list[Span], offset: int = 100) -> Retrieved:
    chunk = Chunk(
        "doc",
        offset,
        offset + len(text),
        text,
        [Span(offset, offset + len(text))],
        [Span(offset + e.start, offset + e.end, e.label) for e in entities],
        [Span(offset + n.start, offset + n.end, n.label) for n in noun_chunks],
        chunk_id=7,
    )
    vectors = {7: np.ones((1, 4), dtype=np.float32) / 2}
    return Retrieved([Passage(chunk, "Acme news", None, "doc", 1.0)], vectors)


def test_typed_span_is_chosen_over_other_entities_and_offsets_are_document_offsets():
    text = "Acme Corp. hired Jane Roe in March 2021 for $5 million."
    retrieved = _retrieved(
        text, [Span(0, 10, "ORG"), Span(17, 25, "PERSON"), Span(29, 39, "DATE"), Span(44, 54, "MONEY")], []
    )
    reader, query = HeuristicReader(), np.ones(4, dtype=np.float32) / 2
    for question, expected in [
        ("When did Acme hire Jane Roe?", "March 2021"),
        ("Who did Acme hire?", "Jane Roe"),
        ("How much did Acme pay to hire Jane Roe?", "$5 million"),
    ]:
        best = reader.read(analyze_question(question), query, retrieved)[0]
        assert best.text == expected
        assert text[best.start - 100 : best.end - 100] == expected


def test_falls_back_to_the_sentence_when_no_span_fits():
    text = "Acme Corp. hired Jane Roe."
    retrieved = _retrieved(text, [Span(0, 10, "ORG"), Span(17, 25, "PERSON")], [])
    best = HeuristicReader().read(
        analyze_question("When did Acme hire Jane Roe?"), np.ones(4, np.float32) / 2, retrieved
    )[0]
    assert (best.start, best.end) == (100, 100 + len(text))


def test_span_fit_penalises_repeating_the_question():
    info = analyze_question("Who hired Jane Roe?")
    assert span_fit(info, "PERSON", "Jane Roe", 0, 8, [0]) == 0.0
    assert span_fit(info, "ORG", "Acme Corp.", 0, 10, [0]) > 0.0


def test_key_coverage_requires_the_question_names():
    info = analyze_question("Who is the CEO of Pfizer?")
    assert key_coverage(info, "Li is the CEO of CARsgen.") == 0.25
    assert key_coverage(info, "Albert Bourla is the CEO of Pfizer.") == 1.0


def test_take_best_keeps_the_ranking_or_that_many_sentences_of_each_release():
    def sentence(doc_id: str, score: float) -> ScoredSentence:
        return ScoredSentence(Chunk(doc_id, 0, 1, "x"), Span(0, 1), "x", score, 0)

    ranked = [sentence("a", 0.9), sentence("a", 0.8), sentence("a", 0.7), sentence("b", 0.2), sentence("c", 0.1)]
    assert [s.score for s in take_best(ranked, 3, None)] == [0.9, 0.8, 0.7]
    assert [(s.chunk.doc_id, s.score) for s in take_best(ranked, 3, 2)] == [
        ("a", 0.9),
        ("a", 0.8),
        ("b", 0.2),
        ("c", 0.1),
    ]
