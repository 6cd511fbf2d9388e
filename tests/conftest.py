"""Shared fixtures: the real model, a real index built from corpus/ in a temporary folder, an API client."""

import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pressqa.config import Settings
from pressqa.ingest.pipeline import ingest
from pressqa.service.api import create_app
from pressqa.service.qa import PressQA

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
SHARED = ROOT.parent / "shared"


def make_settings(tmp: Path, **overrides) -> Settings:
    return Settings(**{"index_dir": tmp / "index", "corpus_dir": tmp / "corpus", **overrides})


@pytest.fixture(scope="session")
def models(tmp_path_factory) -> PressQA:
    """An engine whose embedder and analyzer are loaded once and shared by every test."""
    return PressQA(make_settings(tmp_path_factory.mktemp("models")))


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
    from pressqa.training.train import gather, train

    out = shared_data / "reader.pt"
    logs = []
    data = gather(shared_data, ("qamr", "releases"), seed=1, limit=None, qamr_sample=None, log=logs.append)
    assert set(data.held) == {"qamr", "releases"}
    best = train(data, out, models.embedder, epochs=2, seed=1, log=logs.append)
    assert out.exists() and out.stat().st_size < 25_000_000
    assert not out.with_suffix(".checkpoint").exists()  # a finished run leaves no checkpoint
    assert any("held-out" in line for line in logs) and {"score", "at", "qamr", "releases"} <= set(best)
    return out
