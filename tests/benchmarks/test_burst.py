from pressqa.benchmarks.burst import burst


def test_a_burst_the_server_can_answer_in_time_is_answered(corpus_engine):
    result = burst(corpus_engine.settings.index_dir, 12, 5000, log=lambda m: None)
    assert result["questions"] == 12 and result["errors"] == 0, result
    # Twelve questions of ~0.1 s each fit in a 5 s deadline: none is refused for want of a slot.
    assert result["answered_within_deadline"] == 12 and result["shed"] == 0, result
