from pressqa.schema import Answer, Chunk, Passage
from pressqa.service.pipeline import reader_first


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


def test_answer_scores_are_calibrated_probabilities_with_a_band(corpus_engine, tmp_path):
    from pressqa.reader.calibration import Calibration, file_sha256
    from pressqa.reader.span_model import default_weights
    from pressqa.service.qa import PressQA

    question = "When did CT041 receive RMAT?"
    raw = corpus_engine.ask(question)
    path = tmp_path / "calibration.json"
    # A map that says every answer is right 95 times in 100, fitted (it says) on the shipped weights.
    Calibration([0.0, 1.0], [0.95, 0.95], file_sha256(default_weights()), "test", 100).save(path)
    engine = PressQA(corpus_engine.settings.model_copy(update={"calibration": path, "no_answer_threshold": 0.5}))
    engine.embedder = corpus_engine.embedder
    try:
        result = engine.ask(question)
        assert result.answer and result.answer.text == raw.best_candidate.text
        assert result.answer.score == 0.95 and result.confidence == "high"
        Calibration([0.0, 1.0], [0.6, 0.6], file_sha256(default_weights()), "test", 100).save(path)
        engine.components.__dict__.pop("policy")  # the policy holds the calibration
        assert engine.ask(question).confidence == "low"
        Calibration([0.0, 1.0], [0.2, 0.2], file_sha256(default_weights()), "test", 100).save(path)
        engine.components.__dict__.pop("policy")  # the policy holds the calibration
        assert engine.ask(question).answer is None  # below the threshold: the releases don't say
    finally:
        engine.close()
