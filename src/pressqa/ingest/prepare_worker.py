"""Releases written through the API analysed and embedded in the background process, not the server's.

spaCy and the embedding of a release took ~150 ms of both cores per write, at the questions' priority: at 50
clients with one request in five a write, the median question waited 4× as long as alone. In the background
process (`pressqa.background`, `write_nice` steps lower) the same work uses only what the questions leave. The
worker loads its own embedder and spaCy once (~400 MB); the vectors are the same as the server's, from the same
model folder and precision.
"""

from pressqa.background import Background
from pressqa.config import Settings
from pressqa.ingest.analyze import Analyzer
from pressqa.ingest.pipeline import Prepared, prepare
from pressqa.retrieval.embed import Embedder
from pressqa.schema import Document

_models: dict[str, tuple[Embedder, Analyzer]] = {}  # in the worker: by the settings that shape them


def _models_for(settings: Settings) -> tuple[Embedder, Analyzer]:
    key = settings.model_dump_json(include={"model_path", "threads", "batch_size", "precision", "query_backend"})
    if key not in _models:
        _models[key] = Embedder.from_settings(settings), Analyzer(processes=1)
    return _models[key]


def _prepare_here(docs: list[tuple[Document, str, str]], settings: Settings) -> list[Prepared]:
    return prepare(docs, settings, *_models_for(settings))


def _load_here(settings: Settings) -> None:
    embedder, analyzer = _models_for(settings)
    embedder.encode(["warm-up"])
    analyzer.nlp  # noqa: B018


def prepare_in(background: Background, docs: list[tuple[Document, str, str]], settings: Settings) -> list[Prepared]:
    """`prepare` run in `background`'s process (what it raises is raised here)."""
    return background.run(_prepare_here, docs, settings)


def load_in(background: Background, settings: Settings) -> None:
    """The models loaded in `background`'s process now, so that the first write does not wait for them."""
    background.run(_load_here, settings)
