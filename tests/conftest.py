"""Shared fixtures: the real model, a real index built from corpus/ in a temporary folder, an API client."""

import json
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pressqa.config import Settings, get_settings
from pressqa.ingest.pipeline import ingest
from pressqa.service.api import create_app
from pressqa.service.qa import PressQA

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
SHARED = ROOT.parent / "shared"

# The slow kinds of test, by where they live (pyproject.toml registers the markers): `make test` runs them all,
# `make test-fast` leaves them out. Measured with --durations: these hold ~8 of `make test`'s 11 minutes.
SLOW = {
    "tests/cluster/": "ray",
    "tests/ingest/test_crash.py": "crash",
    "tests/service/test_web_page.py": "browser",
    "tests/service/test_fuzz.py": "fuzz",
    "tests/training/": "training",
    "tests/service/test_headline_across_kinds.py": "slow",  # indexes 950 wire releases (~150 s)
    "tests/benchmarks/test_loadtest.py": "slow",  # real servers under load
    "tests/benchmarks/test_burst.py": "slow",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        where = Path(str(item.path)).resolve().relative_to(ROOT).as_posix()
        for prefix, marker in SLOW.items():
            if where.startswith(prefix):
                item.add_marker(marker)


@pytest.fixture()
def env_settings(monkeypatch) -> Iterator[Callable[..., None]]:
    """`env_settings(index_dir=…, top_k=5)` sets those `PRESSQA_*` variables for this test; the cached settings
    are read anew then and after the test, so no other test sees them."""

    def use(**values: object) -> None:
        for name, value in values.items():
            monkeypatch.setenv(f"PRESSQA_{name.upper()}", str(value))
        get_settings.cache_clear()

    get_settings.cache_clear()
    yield use
    get_settings.cache_clear()


def make_settings(tmp: Path, **overrides) -> Settings:
    return Settings(**{"index_dir": tmp / "index", "corpus_dir": tmp / "corpus", **overrides})


@pytest.fixture(scope="session")
def models(tmp_path_factory) -> PressQA:
    """An engine whose embedder and analyzer are loaded once and shared by every test."""
    return PressQA(make_settings(tmp_path_factory.mktemp("models")))


@contextmanager
def writable_client(tmp: Path, models: PressQA, key: str, **overrides) -> Iterator[TestClient]:
    """An API with writes enabled (API key `key`) over a fresh index of a copy of corpus/ in `tmp`."""
    shutil.copytree(CORPUS, tmp / "corpus")
    settings = make_settings(tmp, api_key=key, **overrides)
    ingest([settings.corpus_dir], settings, models.embedder, models.analyzer)
    engine = PressQA(settings)
    engine.embedder, engine.analyzer = models.embedder, models.analyzer
    with TestClient(create_app(settings, engine)) as test_client:
        yield test_client
    engine.close()


def indexed_engine(settings: Settings, models: PressQA, releases: int) -> PressQA:
    """An engine over a real index of `settings.corpus_dir` (which holds `releases` releases), sharing the model."""
    report = ingest([settings.corpus_dir], settings, models.embedder, models.analyzer)
    assert len(report.added) == releases and not report.errors
    engine = PressQA(settings)
    engine.embedder = models.embedder
    return engine


@pytest.fixture(scope="session")
def corpus_engine(tmp_path_factory, models) -> PressQA:
    """An engine over a real index built from a copy of corpus/."""
    tmp = tmp_path_factory.mktemp("corpus_index")
    shutil.copytree(CORPUS, tmp / "corpus")
    engine = indexed_engine(make_settings(tmp), models, 3)
    yield engine
    engine.close()


# Short made-up releases beside the sample corpus, for answers spread over several releases: two RMAT designations
# (one re-posted by a wire service), and an unrelated release.
ALVEO_TEXT = (
    "Alveo Therapeutics Receives RMAT Designation for AV-101\n"
    "BOSTON, March 2, 2021 - Alveo Therapeutics announced today that the U.S. Food and Drug Administration "
    "granted Regenerative Medicine Advanced Therapy (RMAT) designation to AV-101, its gene therapy for "
    "inherited retinal disease. The designation follows early data from a Phase I trial in 24 patients. "
    "Dr. Maria Okafor, Chief Executive Officer of Alveo, said the company will meet the FDA this year."
)
NEWS = [
    {
        "id": "alveo-rmat",
        "title": "Alveo Therapeutics Receives RMAT Designation for AV-101",
        "date": "2021-03-02",
        "text": ALVEO_TEXT,
    },
    {
        "id": "wire-alveo-rmat",
        "title": "Alveo Therapeutics gets RMAT nod | Wire News",
        "date": "2021-03-03",
        "url": "https://wire.example/alveo",
        "text": "FOR IMMEDIATE RELEASE\n\n" + ALVEO_TEXT + "\n\n"
        "About Wire News\nWire News distributes press releases worldwide.",
    },
    {
        "id": "brightline-rmat",
        "title": "Brightline Bio Granted RMAT Designation for BL-7 Cell Therapy",
        "date": "2022-06-10",
        "text": "Brightline Bio Granted RMAT Designation for BL-7 Cell Therapy\n"
        "SAN DIEGO, June 10, 2022 - Brightline Bio said on Friday that the FDA granted RMAT designation to BL-7, "
        "its cell therapy for acute myeloid leukemia. Brightline Bio is led by its founder, Dr. Samuel Reyes. "
        "The company raised $40 million in a Series B round in January 2022.",
    },
    {
        "id": "harbor-lease",
        "title": "Harbor Labs Signs Lease for New Headquarters",
        "date": "2020-11-05",
        "text": "Harbor Labs Signs Lease for New Headquarters\n"
        "CAMBRIDGE, November 5, 2020 - Harbor Labs signed a ten-year lease for a 60,000 square foot building in "
        "Cambridge, where its 120 employees will move in 2021.",
    },
]


@pytest.fixture(scope="session")
def news_engine(tmp_path_factory, models) -> PressQA:
    """An engine over the sample corpus plus `NEWS`: questions whose answers lie in several releases."""
    tmp = tmp_path_factory.mktemp("news_index")
    shutil.copytree(CORPUS, tmp / "corpus")
    (tmp / "corpus" / "news.jsonl").write_text("".join(json.dumps(row) + "\n" for row in NEWS))
    engine = indexed_engine(make_settings(tmp), models, 3 + len(NEWS))
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def client(corpus_engine) -> TestClient:
    with TestClient(create_app(corpus_engine.settings, corpus_engine)) as test_client:
        yield test_client


@pytest.fixture()
def tmp_settings(tmp_path) -> Settings:
    (tmp_path / "corpus").mkdir()
    return make_settings(tmp_path)


@pytest.fixture(scope="session")
def shared_data(tmp_path_factory) -> Path:
    """A tiny ../shared/data: QAMR sentences and release questions."""
    from tests.training.shared_data import write_shared

    return write_shared(tmp_path_factory.mktemp("shared"))


@pytest.fixture(scope="session")
def tiny_weights(shared_data, models) -> Path:
    """Reader weights trained for two epochs on `shared_data`."""
    from pressqa.training.gather import gather
    from pressqa.training.train import TrainingOptions, train

    out = shared_data / "reader.pt"
    logs = []
    data = gather(shared_data, ("qamr", "releases"), seed=1, limit=None, qamr_sample=None, log=logs.append)
    assert set(data.held) == {"qamr", "releases"}
    best = train(data, out, models.embedder, TrainingOptions(epochs=2, seed=1), logs.append)
    assert out.exists() and out.stat().st_size < 25_000_000
    assert not out.with_suffix(".checkpoint").exists()  # a finished run leaves no checkpoint
    assert any("held-out" in line for line in logs) and {"score", "at", "qamr", "releases"} <= set(best)
    return out
