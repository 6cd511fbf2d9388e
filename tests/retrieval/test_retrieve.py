import pytest

from pressqa.retrieval.retrieve import Filters, Mode, rrf


def test_rrf_hand_computed():
    fused = dict(rrf([[1, 2, 3], [3, 1]], k=60))
    assert fused[1] == pytest.approx(1 / 61 + 1 / 62)
    assert fused[2] == pytest.approx(1 / 62)
    assert fused[3] == pytest.approx(1 / 63 + 1 / 61)
    assert [i for i, _ in rrf([[1, 2, 3], [3, 1]], k=60)] == [1, 3, 2]


def test_weighted_rrf_lets_one_ranking_count_more():
    fused = dict(rrf([[1, 2], [2, 1]], k=60, weights=[1.0, 2.0]))
    assert fused[2] == pytest.approx(1 / 62 + 2 / 61)
    assert [i for i, _ in rrf([[1, 2], [2, 1]], k=60, weights=[1.0, 2.0])] == [2, 1]
    assert [i for i, _ in rrf([[1, 2], [2, 1]], k=60, weights=[2.0, 1.0])] == [1, 2]


def test_rrf_ties_break_by_id_and_empty_rankings_are_fine():
    assert rrf([[5], [4]], k=1) == [(4, 0.5), (5, 0.5)]
    assert rrf([[], []]) == []


@pytest.mark.parametrize("mode", list(Mode))
def test_each_mode_finds_the_rmat_passage(corpus_engine, mode):
    engine = corpus_engine
    question = "When did CT041 receive the RMAT designation?"
    vector = engine.embedder.encode_query(question)
    passages = engine.retriever.retrieve(question, vector, 3, mode).passages
    assert any("January 2022" in p.chunk.text for p in passages)
    scores = [p.score for p in passages]
    assert scores == sorted(scores, reverse=True)


def test_filters_by_document_and_date(corpus_engine):
    engine = corpus_engine
    question = "collaboration agreement"
    vector = engine.embedder.encode_query(question)
    only = engine.retriever.retrieve(
        question, vector, 10, Mode.hybrid, Filters(doc_ids=["002_0a94835ec6db6944.txt"])
    ).passages
    assert only and {p.chunk.doc_id for p in only} == {"002_0a94835ec6db6944.txt"}
    dated = engine.retriever.retrieve(
        question, vector, 10, Mode.hybrid, Filters(date_from="2020-01-01", date_to="2021-12-31")
    ).passages
    assert dated and {p.date for p in dated} == {"2021-07-31"}
    assert engine.retriever.retrieve(question, vector, 10, Mode.hybrid, Filters(date_from="2030-01-01")).passages == []


def test_best_sentence_ranking_puts_the_chunk_holding_the_sentence_first(corpus_engine):
    engine = corpus_engine
    sentence = "Founded in 1958, Shanghai Cancer Institute is committed to basic science"
    vector = engine.embedder.encode_query(sentence)
    candidates = set(engine.index.store.chunk_ids())
    ranked = engine.retriever._by_best_sentence(vector, candidates)
    assert sorted(ranked) == sorted(candidates)
    first, _ = engine.index.store.chunks([ranked[0]])[ranked[0]]
    assert "Founded in 1958" in first.text
