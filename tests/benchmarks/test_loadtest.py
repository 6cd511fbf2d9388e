from pressqa.benchmarks.loadtest import run


def test_short_load_run_has_no_errors_and_loses_no_documents(corpus_engine):
    result = run(corpus_engine.settings.index_dir, clients=4, seconds=6, write_share=0.5, warm_up=2, log=lambda m: None)
    assert result["requests"] > 0 and result["server_errors"] == 0, result["failures"]
    assert result["latency_ms"]["write"]["count"] > 0 and result["acknowledged_documents"] > 0
    assert result["lost_documents"] == [] and result["resurrected_documents"] == []
    assert result["memory_mb"]["peak"] > 100
    ask = result["kinds"]["ask"]
    assert ask["admitted"] > 0 and ask["failed"] == 0 and result["latency_ms"]["ask"]["count"] == ask["admitted"]
    assert result["health_ms"]["count"] > 0


def test_a_server_at_capacity_sheds_questions_and_clients_come_back_after_retry_after(corpus_engine, env_settings):
    # One question at a time and none queued: with 6 clients some questions must be refused, and only refused.
    env_settings(max_questions_in_flight=1, max_questions_waiting=0)  # the server's environment
    asked = ["Who is the chairman of CARsgen?"]
    result = run(corpus_engine.settings.index_dir, 6, 6, 0.2, 2, log=lambda m: None, questions=asked)
    ask = result["kinds"]["ask"]
    assert ask["shed"] > 0 and ask["admitted"] > 0 and ask["failed"] == 0, result["kinds"]
    assert result["server_errors"] == 0 and result["kinds"]["write"]["failed"] == 0
    assert result["lost_documents"] == [] and result["resurrected_documents"] == []
    # Clients wait the Retry-After second before asking again, so refusals stay a handful per client and second.
    assert ask["shed"] <= 6 * 6
