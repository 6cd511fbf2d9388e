"""The product's headline questions over the sample releases *and* 950 corporate wire releases.

Over the sample releases alone "When did CT041 receive RMAT?" is easy; with other RMAT news indexed beside it,
the sentence that answers it ("In January 2022, it earned the RMAT designation") names CT041 only in the
sentence before, and the answer must not depend on which other releases happen to be indexed.
"""

import shutil

import pytest

from tests.conftest import CORPUS, SHARED, make_settings

WIRE = SHARED / "data" / "releases" / "wire_releases.jsonl"


@pytest.fixture(scope="module")
def sample_and_wire(tmp_path_factory, models):
    from pressqa.ingest.pipeline import ingest
    from pressqa.service.qa import PressQA

    tmp = tmp_path_factory.mktemp("sample_and_wire")
    shutil.copytree(CORPUS, tmp / "corpus")
    shutil.copy(WIRE, tmp / "corpus" / "wire_releases.jsonl")
    settings = make_settings(tmp)
    report = ingest([settings.corpus_dir], settings, models.embedder, models.analyzer)
    assert len(report.added) > 900 and not report.errors
    engine = PressQA(settings)
    engine.embedder = models.embedder
    yield engine
    engine.close()


@pytest.mark.skipif(not WIRE.exists(), reason="../shared/data is not beside the repo")
@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("When did CT041 receive RMAT?", "January 2022"),
        ("Who is the chairman of CARsgen?", "Li Zonghai"),
        ("What is the stock price of Moderna?", None),
    ],
)
def test_headline_answers_hold_with_the_wire_releases_indexed(sample_and_wire, question, expected):
    result = sample_and_wire.ask(question)
    answer = result.answer.text if result.answer else None
    # The release writes "Dr. Li Zonghai"; the training questions' answers leave the title out, and so may the reader.
    assert answer in ({expected, f"Dr. {expected}"} if expected else {None})
    if expected:
        assert (CORPUS / result.answer.doc_id).is_file()  # a sample release is cited, not a wire release
