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
from pressqa.ingest.pipeline import Prepared, prepare
from pressqa.schema import Document


class PrepareWorker:
    """A Ray Data actor: spaCy and the model load once; each call prepares a batch of releases."""

    def __init__(self, settings: Settings) -> None:
        from pressqa.ingest.analyze import Analyzer
        from pressqa.retrieval.embed import Embedder

        self.settings = s = settings
        # One torch thread per actor by default: actors, not threads, are the unit of scaling out.
        device = "cuda" if _has_cuda() else "cpu"
        self.embedder = Embedder(
            s.resolved_model_path(), s.ray_worker_threads, s.batch_size, s.precision, "torch", s.cache_dir, device
        )
        self.analyzer = Analyzer(processes=1)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        started = time.time()
        todo = [pickle.loads(item) for item in batch["item"]]
        prepared = prepare(todo, self.settings, self.embedder, self.analyzer)
        # When this batch's work ran (wall clock): the driver measures the actors' throughput without their startup.
        busy = np.array([[started, time.time()]] * len(prepared))
        return {"prepared": np.array([pickle.dumps(p) for p in prepared], dtype=object), "busy": busy}


class RayPreparer:
    """Prepares releases on Ray workers; called by `pressqa.ingest.pipeline.ingest` with the releases to (re)index."""

    def __init__(self, settings: Settings, workers: int | None = None, progress: bool = False) -> None:
        self.settings = settings
        self.workers = workers or settings.ray_workers
        self.progress = progress
        self.busy: list[tuple[float, float, int]] = []  # (batch started, finished, chunks) for each release

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
            _worker_class(self.settings),
            batch_size=self.settings.ray_batch,
            batch_format="numpy",
            concurrency=min(self.workers, blocks),
            num_cpus=self.settings.ray_worker_threads,
            num_gpus=1 if _cluster_has_gpus() else 0,
        )
        started, self.busy = time.monotonic(), []
        for done, row in enumerate(prepared.iter_rows(), start=1):
            release = pickle.loads(row["prepared"])
            now = time.monotonic() - started
            self.busy.append((float(row["busy"][0]), float(row["busy"][1]), len(release.chunks)))
            if done % 100 == 0 or done == len(todo):
                print(
                    f"ray ingest: {done}/{len(todo)} releases prepared, {done / now:.1f}/s", file=sys.stderr, flush=True
                )
            yield release

    def steady_chunks_per_s(self) -> float:
        """Chunks per second from the first batch an actor started to the last it finished: the rate once the
        actors are up (their model loading, and the driver's planning and saving, left out)."""
        if not self.busy:
            return 0.0
        window = max(f for _, f, _ in self.busy) - min(s for s, _, _ in self.busy)
        return round(sum(c for _, _, c in self.busy) / window, 2) if window > 0 else 0.0


def _cluster_has_gpus() -> bool:
    import ray

    return ray.cluster_resources().get("GPU", 0) >= 1


def _worker_class(settings: Settings) -> type:
    """A PrepareWorker with `settings` built in.

    Ray pickles the class with its closure; passed as constructor arguments instead, the settings would sit in
    the object store and Ray logs an error-level line about restarting actors with such arguments.
    """

    class BoundPrepareWorker(PrepareWorker):
        def __init__(self) -> None:
            super().__init__(settings)

    return BoundPrepareWorker


def _has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()
