"""Kill `pressqa ingest` with SIGKILL at each step of a write: the index must hold the old or the new set."""

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from pressqa.ingest.pipeline import ingest
from pressqa.retrieval.index import Index
from pressqa.service.qa import PressQA
from tests.conftest import CORPUS, make_settings

# Runs `pressqa ingest` with one function wrapped to SIGKILL the process on its n-th call.
DRIVER = """
import importlib, os, signal, sys
target, nth = sys.argv[1], int(sys.argv[2])
module, _, path = target.partition(":")
*parents, name = path.split(".")
owner = importlib.import_module(module)
for part in parents:
    owner = getattr(owner, part)
original, calls = getattr(owner, name), [0]
def wrapper(*args, **kwargs):
    calls[0] += 1
    if calls[0] == nth:
        if name == "write_index":  # die half-way through writing the file
            original(*args, **kwargs)
            with open(args[1], "r+b") as handle:
                handle.truncate(100)
        os.kill(os.getpid(), signal.SIGKILL)
    return original(*args, **kwargs)
setattr(owner, name, wrapper)
from pressqa.cli import app
app(["ingest"])
"""

# (where to die, on which call, which set survives)
POINTS = [
    ("pressqa.ingest.pipeline:prepare", 1, "old"),  # before anything is written
    ("pressqa.retrieval.index:Index.save", 1, "old"),  # changes made, store not committed
    ("pressqa.retrieval.derived:atomic_write", 1, "new"),  # store committed, vectors not written
    ("faiss:write_index", 1, "new"),  # vectors half-written beside the old file
    ("os:replace", 2, "new"),  # old BM25 moved aside, new one not yet in place
    ("pressqa.retrieval.manifest:write_manifest", 1, "new"),  # everything but the manifest written
    ("pressqa.retrieval.manifest:fsync_dir", 1, "new"),  # all written, folder not yet synced
]


def doc_state(index_dir: Path) -> dict[str, str]:
    """doc_id → text of every document a fresh load sees, after checking vectors, BM25 and store agree."""
    index = Index.load(index_dir, "all-MiniLM-L6-v2", 384)
    try:
        chunks = index.store.chunk_count()
        assert index.derived.dense.ntotal == chunks and len(index.derived.lexical.ids) == chunks
        assert set(index.store.chunk_ids()) == {int(i) for i in index.derived.lexical.ids}
        return {d.doc_id: index.store.document(d.doc_id).text for d in index.store.documents()}
    finally:
        index.close()


@pytest.fixture(scope="module")
def states(tmp_path_factory, models) -> tuple[Path, dict, dict]:
    """An index of the seeds (old) and a corpus folder that differs from them (new)."""
    tmp = tmp_path_factory.mktemp("crash")
    settings = make_settings(tmp)
    shutil.copytree(CORPUS, settings.corpus_dir)
    ingest([settings.corpus_dir], settings, models.embedder, models.analyzer)
    old = doc_state(settings.index_dir)
    seeds = sorted(settings.corpus_dir.glob("*.txt"))
    seeds[0].unlink()
    seeds[1].write_text(seeds[1].read_text() + "\n\nThis paragraph was added in an update.")
    (settings.corpus_dir / "new.txt").write_text("Acme Bio raises $40M.\n\nBOSTON, May 2, 2024 -- Acme Bio said.")
    shutil.copytree(settings.index_dir, tmp / "old-index")
    ingest([settings.corpus_dir], settings, models.embedder, models.analyzer)
    new = doc_state(settings.index_dir)
    assert old != new and "new.txt" in new
    return tmp, old, new


@pytest.mark.parametrize(("target", "nth", "expected"), POINTS, ids=[f"{t}#{n}" for t, n, _ in POINTS])
def test_sigkill_during_ingest_leaves_the_old_or_the_new_index(states, tmp_path, target, nth, expected):
    tmp, old, new = states
    index_dir = tmp_path / "index"
    shutil.copytree(tmp / "old-index", index_dir)
    env = {**os.environ, "PRESSQA_INDEX_DIR": str(index_dir), "PRESSQA_CORPUS_DIR": str(tmp / "corpus")}
    run = subprocess.run(
        [sys.executable, "-c", DRIVER, target, str(nth)], env=env, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == -signal.SIGKILL, run.stderr
    assert doc_state(index_dir) == (old if expected == "old" else new)
    # ...and the next ingest brings it up to date.
    finish = subprocess.run(
        [sys.executable, "-m", "pressqa.cli", "ingest"], env=env, capture_output=True, text=True, timeout=300
    )
    assert finish.returncode == 0, finish.stderr
    assert doc_state(index_dir) == new


def test_queries_during_an_ingest_see_the_old_or_the_new_index(states, tmp_path, models):
    tmp, old, new = states
    settings = make_settings(tmp_path, corpus_dir=tmp / "corpus")
    shutil.copytree(tmp / "old-index", settings.index_dir)
    engine = PressQA(settings)
    engine.embedder, engine.analyzer = models.embedder, models.analyzer
    env = {**os.environ, "PRESSQA_INDEX_DIR": str(settings.index_dir), "PRESSQA_CORPUS_DIR": str(tmp / "corpus")}
    writer = subprocess.Popen([sys.executable, "-m", "pressqa.cli", "ingest"], env=env, stderr=subprocess.PIPE)
    seen = []
    while True:
        done = writer.poll() is not None
        with engine.reading() as index:
            listed = frozenset(d.doc_id for d in index.store.documents())
        cited = {p.chunk.doc_id for p in engine.ask("When did CT041 receive RMAT?", top_k=20).passages}
        # Each read sees one version; the write may land between the listing and the question.
        assert listed in (set(old), set(new)), listed
        assert cited <= set(old) or cited <= set(new), cited
        seen.append(listed)
        if done:
            break
    engine.close()
    assert writer.returncode == 0, writer.stderr.read()
    assert seen[0] == set(old) and seen[-1] == set(new)
