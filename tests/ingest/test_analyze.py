"""spaCy analysis: worker processes for large batches give the same spans as one process."""

import threading

from pressqa.ingest.analyze import MULTIPROCESS_PARAGRAPHS, Analyzer
from pressqa.ingest.load import load_paths
from tests.conftest import CORPUS


class PipeSpy:
    """The real spaCy pipeline, noting how many processes each call asked for."""

    def __init__(self, nlp) -> None:
        self.nlp, self.processes = nlp, []

    def pipe(self, texts, **kwargs):
        self.processes.append(kwargs.get("n_process", 1))
        return self.nlp.pipe(texts, **kwargs)


def test_worker_processes_give_the_same_analysis(models):
    docs = load_paths([CORPUS]).documents
    paragraphs = sum(len([line for line in d.text.split("\n") if line]) for d in docs)
    copies = MULTIPROCESS_PARAGRAPHS // paragraphs + 1  # enough paragraphs for the workers to start
    batch = docs * copies
    single = Analyzer(processes=1)
    single.nlp = models.analyzer.nlp
    pooled = Analyzer(processes=2)
    pooled.nlp = spy = PipeSpy(models.analyzer.nlp)
    expected = single.analyze(batch)
    assert pooled.analyze(batch) == expected
    assert expected[0].sentences and expected[0].entities and expected[0].noun_chunks

    result = []
    worker = threading.Thread(target=lambda: result.append(pooled.analyze(batch[:3])))
    worker.start()
    worker.join()
    assert result == [expected[:3]]  # from a server thread it runs in-process, with the same result
    assert spy.processes == [2, 1]
