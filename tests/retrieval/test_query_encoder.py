"""The ONNX Runtime question encoder against torch, its cache, and the embedder's precision settings."""

import numpy as np
import pytest

from pressqa.retrieval.embed import Embedder
from pressqa.retrieval.query_encoder import QueryEncoder

QUESTIONS = [
    "When did CT041 receive RMAT designation?",
    "Who is the chief executive of CARsgen?",
    "what " * 400,  # longer than the model's 256 tokens: truncated the same way as torch
]


def embedder_like(models, tmp_path, **kwargs) -> Embedder:
    """A fresh embedder sharing the already loaded model (its cached properties start empty)."""
    embedder = Embedder(models.embedder.model_path, cache_dir=tmp_path / "cache", **kwargs)
    embedder.model = models.embedder.model
    return embedder


def test_onnx_question_vectors_equal_torch_vectors(models, tmp_path):
    encoder = QueryEncoder(models.embedder.model, models.embedder.model_path, tmp_path)
    onnx = encoder.encode(QUESTIONS)
    torch_vectors = models.embedder._encode(QUESTIONS)
    assert encoder.path.exists() and encoder.path.parent == tmp_path
    assert onnx.shape == torch_vectors.shape == (3, 384)
    assert np.abs(onnx - torch_vectors).max() < 1e-4
    assert np.allclose(np.linalg.norm(onnx, axis=1), 1.0, atol=1e-5)


def test_the_exported_file_is_reused_and_a_damaged_one_replaced(models, tmp_path):
    first = QueryEncoder(models.embedder.model, models.embedder.model_path, tmp_path)
    expected = first.encode(QUESTIONS[:1])
    stamp = first.path.stat().st_mtime_ns
    again = QueryEncoder(models.embedder.model, models.embedder.model_path, tmp_path)
    again.encode(QUESTIONS[:1])
    assert again.path == first.path and again.path.stat().st_mtime_ns == stamp  # not exported twice
    first.path.write_bytes(b"not an onnx model")
    damaged = QueryEncoder(models.embedder.model, models.embedder.model_path, tmp_path)
    assert np.allclose(damaged.encode(QUESTIONS[:1]), expected, atol=1e-6)


def test_embedder_uses_onnx_for_questions_and_torch_when_onnx_is_unavailable(models, tmp_path):
    embedder = embedder_like(models, tmp_path)
    assert embedder.query_encoder is not None
    reference = models.embedder._encode(QUESTIONS[:1])[0]
    assert np.abs(embedder.encode_query(QUESTIONS[0]) - reference).max() < 1e-4

    (tmp_path / "blocked").write_text("a file where the cache folder should be")
    blocked = Embedder(models.embedder.model_path, cache_dir=tmp_path / "blocked" / "cache")
    blocked.model = models.embedder.model
    assert blocked.query_encoder is None
    assert np.abs(blocked.encode_query(QUESTIONS[0]) - reference).max() < 1e-5

    by_setting = embedder_like(models, tmp_path, query_backend="torch")
    assert by_setting.query_encoder is None


@pytest.mark.parametrize(("precision", "bf16"), [("float32", False), ("bfloat16", True)])
def test_precision_setting(models, tmp_path, precision, bf16):
    embedder = embedder_like(models, tmp_path, precision=precision)
    assert embedder.bf16 is bf16
    texts = ["CARsgen announced that CT041 received RMAT designation in January 2022.", "Another release."]
    vectors = embedder.encode(texts)
    exact = models.embedder._encode(texts)
    assert vectors.dtype == np.float32
    assert np.min(np.sum(vectors * exact, axis=1)) > 0.999  # bfloat16 products keep the meaning
