from pressqa.qa import reader_first
from pressqa.schema import Answer, Chunk, Passage


def _passage(chunk_id: int) -> Passage:
    return Passage(Chunk("d", 0, 1, "x", chunk_id=chunk_id), "t", None, None, 1.0 / chunk_id)


def _answer(chunk_id: int) -> Answer:
    return Answer("x", 0.5, "d", 0, 1, chunk_id)


def test_reader_first_puts_candidate_passages_first_in_reader_order():
    passages = [_passage(i) for i in (1, 2, 3, 4, 5)]
    ordered = reader_first(passages, [_answer(4), _answer(2), _answer(4)])
    assert [p.chunk.chunk_id for p in ordered] == [4, 2, 1, 3, 5]


def test_reader_first_without_candidates_keeps_retrieval_order():
    passages = [_passage(i) for i in (3, 1, 2)]
    assert reader_first(passages, []) == passages


def test_ask_lists_the_cited_passage_first(corpus_engine):
    result = corpus_engine.ask("When did CT041 receive RMAT designation?")
    assert result.best_candidate is not None
    assert result.passages[0].chunk.chunk_id == result.best_candidate.chunk_id
