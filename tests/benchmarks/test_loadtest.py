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
