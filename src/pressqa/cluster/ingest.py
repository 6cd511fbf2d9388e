"""Distributed ingest on Ray: analysis, chunking and embedding run on a pool of Ray Data actors.

The releases to index are planned here (which are new, changed or gone, against the index's hashes);
batches of them go to actors that each load spaCy and the embedding model once and run the same
`prepare` as a local ingest; the results come back in order to this process, the index's one writer,
which adds them under the index lock and saves only when all have arrived. Same releases in, same index out.
"""

import logging
import pickle
import sys
import time
from collections.abc import Iterator

import numpy as np

from pressqa.config import Settings
from pressqa.ingest import Prepared, prepare
from pressqa.schema import Document

log = logging.getLogger(__name__)


class PrepareWorker:
    """A Ray Data actor: spaCy and the model load once; each call prepares a batch of releases."""

    def __init__(self, settings: Settings) -> None:
        from pressqa.analyze import Analyzer
        from pressqa.embed import Embedder

        self.settings = settings
        s = self.settings
        # One torch thread per actor by default: actors, not threads, are the unit of scaling out.
        device = "cuda" if _has_cuda() else "cpu"
        self.embedder = Embedder(
            s.resolved_model_path(), s.ray_worker_threads, s.batch_size, s.precision, "torch", s.cache_dir, device
        )
        self.analyzer = Analyzer(processes=1)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        todo = [pickle.loads(item) for item in batch["item"]]
        prepared = prepare(todo, self.settings, self.embedder, self.analyzer)
        return {"prepared": np.array([pickle.dumps(p) for p in prepared], dtype=object)}


class RayPreparer:
    """Prepares releases on Ray workers; called by `pressqa.ingest.ingest` with the releases to (re)index."""

    def __init__(self, settings: Settings, workers: int | None = None, progress: bool = False) -> None:
        self.settings = settings
        self.workers = workers or settings.ray_workers
        self.progress = progress
        self.timeline: list[tuple[float, int]] = []  # (seconds since start, chunks) at each release received

    def __call__(self, todo: list[tuple[Document, str, str]]) -> Iterator[Prepared]:
        import ray.data

        context = ray.data.DataContext.get_current()
        context.execution_options.preserve_order = True  # the index numbers chunks in the order they are added
        context.enable_progress_bars = self.progress
        logging.getLogger("ray.data").setLevel(logging.ERROR)  # our own progress lines say how far it is
        items = [{"item": pickle.dumps(t)} for t in todo]
        blocks = max(1, -(-len(items) // self.settings.ray_batch))
        dataset = ray.data.from_items(items, override_num_blocks=blocks)
        prepared = dataset.map_batches(
            PrepareWorker,
            fn_constructor_args=(self.settings,),
            batch_size=self.settings.ray_batch,
            batch_format="numpy",
            concurrency=min(self.workers, blocks),
            num_cpus=self.settings.ray_worker_threads,
            num_gpus=1 if _cluster_has_gpus() else 0,
        )
        started, self.timeline = time.monotonic(), []
        for done, row in enumerate(prepared.iter_rows(), start=1):
            release = pickle.loads(row["prepared"])
            now = time.monotonic() - started
            self.timeline.append((now, len(release.chunks)))
            if done % 100 == 0 or done == len(todo):
                print(
                    f"ray ingest: {done}/{len(todo)} releases prepared, {done / now:.1f}/s", file=sys.stderr, flush=True
                )
            yield release

    def steady_chunks_per_s(self) -> float:
        """Chunks per second from the first release received to the last: the rate once the actors are up."""
        if len(self.timeline) < 2 or self.timeline[-1][0] <= self.timeline[0][0]:
            return 0.0
        chunks = sum(c for _, c in self.timeline[1:])
        return round(chunks / (self.timeline[-1][0] - self.timeline[0][0]), 2)


def _cluster_has_gpus() -> bool:
    import ray

    return ray.cluster_resources().get("GPU", 0) >= 1


def _has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()
