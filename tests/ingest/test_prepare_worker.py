import os

import numpy as np

from pressqa.background import shared_background
from pressqa.ingest.load import content_hash, load_paths
from pressqa.ingest.pipeline import prepare
from pressqa.ingest.prepare_worker import prepare_in
from tests.conftest import CORPUS


def test_the_background_process_prepares_what_the_server_would(models):
    docs = [(d, content_hash(d), "api") for d in load_paths([CORPUS]).documents[:2]]
    here = prepare(docs, models.settings, models.embedder, models.analyzer)
    worker = shared_background(models.settings.write_nice)  # the one the server's writes use (started once)
    there = prepare_in(worker, docs, models.settings)
    assert worker.worker_pid() not in (None, os.getpid())
    assert [p.doc.doc_id for p in there] == [p.doc.doc_id for p in here]
    for a, b in zip(there, here, strict=True):
        assert a.chunks == b.chunks and len(a.chunks) > 0
        assert np.allclose(a.vectors, b.vectors, atol=1e-5)
        assert all(np.allclose(x, y, atol=1e-5) for x, y in zip(a.sentence_vectors, b.sentence_vectors, strict=True))
