import numpy as np
from rich.console import Console

from pressqa.benchmarks import bench
from pressqa.benchmarks.report import print_bench
from pressqa.ingest.load import load_paths
from tests.conftest import CORPUS


def test_scale_rows_compare_approximate_recall_with_exact_search():
    rows = bench.scale(3000, [10, 200], [2, 64], queries=20)
    assert [(r["index"], r["param"]) for r in rows] == [
        ("flat", None),
        ("hnsw32-fp16", "efSearch 10"),
        ("hnsw32-fp16", "efSearch 200"),
        ("hnsw32", "efSearch 200"),
        ("ivf219", "nprobe 2"),
        ("ivf219", "nprobe 64"),
    ]
    recall = [r["recall@10"] for r in rows]
    assert recall[0] == 1.0
    assert recall[1] < recall[2] <= 1.0 and recall[4] < recall[5] <= 1.0  # more search, more true neighbours
    assert abs(recall[2] - recall[3]) < 0.02  # float16 vectors find nearly the same neighbours as float32
    assert rows[2]["size_mb"] < 0.75 * rows[3]["size_mb"]
    assert all(r["search_ms"]["median"] > 0 and r["size_mb"] > 0 for r in rows)


def test_embedding_like_vectors_are_unit_length_and_crowded():
    x = bench.embedding_like_vectors(2000)
    assert x.shape == (2000, 384) and np.allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-5)
    nearest = np.sort(x[:50] @ x.T, axis=1)[:, -11:-1]  # ten nearest others (the last is the vector itself)
    assert 0.5 < nearest.mean() < 0.99 and (nearest[:, -1] - nearest[:, 0]).mean() < 0.1


def test_replicated_index_and_query_path(corpus_engine, tmp_path):
    copy = bench.replicate(corpus_engine.index, tmp_path / "copy", 40)
    assert copy.store.chunk_count() == 42 and copy.store.document_count() == 9 and copy.derived.dense.ntotal == 42
    copy.close()
    figures = bench.query_path(corpus_engine, ["When did CT041 receive RMAT?"], repeats=2)
    assert figures["questions"] == 2 and figures["ratio_median"] > 1 and figures["ratio_to_torch_embed"] > 0
    assert set(figures["breakdown_median_ms"]) == {"embed", "dense", "bm25", "fusion", "read"}


def test_synthetic_releases_are_distinct_press_releases(tmp_path):
    bench.synthetic_releases(CORPUS, tmp_path, 6)
    docs = load_paths([tmp_path]).documents
    assert len(docs) == 6 and len({d.text for d in docs}) == 6 and all(len(d.text) > 1000 for d in docs)


def test_bench_tables_print_every_figure():
    query = {
        "chunks": 14,
        "ask_ms": {"median": 100.0, "p95": 120.0},
        "embed_only_ms": {"median": 16.0, "p95": 20.0},
        "ratio_median": 6.25,
        "embed_torch_ms": {"median": 12.5, "p95": 14.0},
        "ratio_to_torch_embed": 8.0,
        "breakdown_median_ms": {"embed": 16.0, "read": 80.0},
    }
    result = {
        "query_sample": query,
        "query_10k": {**query, "chunks": 10010},
        "ingest": {
            "documents": 3,
            "chunks": 14,
            "sentences": 90,
            "ingest_chunks_per_s": 7.0,
            "encode_chunks_per_s": 20.0,
            "ratio": 0.35,
            "precision": "bfloat16",
            "encode_same_precision_chunks_per_s": 40.0,
            "ratio_same_precision": 0.17,
        },
        "scale": bench.scale(2000, [50], [8], queries=5),
        "memory": [
            {
                "chunks": 10010,
                "model_mb": 519.0,
                "server_mb": 580.0,
                "index_mb": 61.0,
                "index_mb_per_100k_chunks": 609.4,
            }
        ],
    }
    console = Console(record=True, width=200)
    print_bench(result, console)
    text = console.export_text()
    assert "8.0×" in text and "12.5 / 14.0" in text and "bfloat16" in text and "0.17" in text
    assert "6.25×" in text and "efSearch 50" in text and "nprobe 8" in text and "609.4" in text and "0.35" in text
