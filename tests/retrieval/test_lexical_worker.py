import numpy as np

from pressqa.background import Background
from pressqa.retrieval.lexical import LexicalIndex
from pressqa.retrieval.lexical_worker import build_lexical_files


def test_the_worker_builds_what_a_build_here_would(corpus_engine, tmp_path):
    store = corpus_engine.settings.index_dir / "store.sqlite"
    worker = Background(nice=0)
    try:
        worker.run(build_lexical_files, str(store), str(tmp_path))
    finally:
        worker.close()
    built = LexicalIndex.load(tmp_path)
    with corpus_engine.reading() as index:
        here = LexicalIndex.build(*index.store.passage_texts())
    assert np.array_equal(built.ids, here.ids) and len(built) > 0
    for query in ("CT041 RMAT designation", "chairman of CARsgen", "GenScript headquarters"):
        assert built.search(query, 5) == here.search(query, 5)
