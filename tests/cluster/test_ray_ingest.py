"""Distributed ingest on a real two-node Ray cluster (a head and a worker node on 127.0.0.1)."""

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pressqa.ingest.pipeline import ingest
from pressqa.retrieval.index import Index
from tests.conftest import CORPUS, SHARED, make_settings

ray = pytest.importorskip("ray", reason="the cluster extra (pip install 'pressqa[cluster]') is not installed")
pytest.importorskip("ray.data")

from pressqa.cluster.ingest import RayPreparer  # noqa: E402

DOJ = SHARED / "data" / "releases" / "doj_releases.jsonl"


@pytest.fixture(scope="module")
def cluster():
    """A head node and a worker node, one CPU each: the smallest cluster that spreads actors over nodes."""
    from ray.cluster_utils import Cluster

    nodes = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    nodes.add_node(num_cpus=1)
    nodes.wait_for_nodes()
    ray.init(address=nodes.address, log_to_driver=False, include_dashboard=False)
    yield nodes
    ray.shutdown()
    nodes.shutdown()


def _corpus(folder: Path) -> Path:
    """The sample releases, plus 40 DOJ releases when ../shared is there: enough for several batches."""
    shutil.copytree(CORPUS, folder)
    if DOJ.exists():
        with DOJ.open(encoding="utf-8") as handle, (folder / "doj.jsonl").open("w", encoding="utf-8") as out:
            for _, line in zip(range(40), handle, strict=False):
                out.write(line)
    return folder


def _rows(settings) -> list[tuple]:
    with sqlite3.connect(settings.index_dir / "store.sqlite") as db:
        return db.execute("SELECT id, doc_id, start, end, text, spans, vector FROM chunks ORDER BY id").fetchall()


def test_ray_ingest_builds_the_same_index_as_a_local_ingest(cluster, models, tmp_path):
    corpus = _corpus(tmp_path / "corpus")
    local = make_settings(tmp_path / "local", ray_batch=4)
    distributed = make_settings(tmp_path / "ray", ray_batch=4)
    ingest([corpus], local, models.embedder, models.analyzer)
    report = ingest(
        [corpus], distributed, models.embedder, models.analyzer, preparer=RayPreparer(distributed, workers=2)
    )
    assert report.chunks > 0 and not report.errors
    mine, theirs = _rows(local), _rows(distributed)
    assert len(mine) == len(theirs)
    for a, b in zip(mine, theirs, strict=True):
        assert a[:6] == b[:6]  # chunk ids, releases, offsets, texts and spans are identical
        va, vb = np.frombuffer(a[6], np.float32), np.frombuffer(b[6], np.float32)
        assert float(va @ vb) > 0.999  # vectors equal within the batching's float tolerance
    index = Index.load(distributed.index_dir, distributed.model_name, models.embedder.dimension)
    try:
        assert index.store.hashes(str(corpus.resolve())) == Index.load(
            local.index_dir, local.model_name, models.embedder.dimension
        ).store.hashes(str(corpus.resolve()))
    finally:
        index.close()


def test_ray_ingest_embeds_only_what_changed(cluster, models, tmp_path):
    corpus = _corpus(tmp_path / "corpus")
    settings = make_settings(tmp_path, ray_batch=4)
    preparer = RayPreparer(settings, workers=2)
    first = ingest([corpus], settings, models.embedder, models.analyzer, preparer=preparer)
    (corpus / "new.txt").write_text("Acme Corp. appointed Jane Roe as chief executive on May 5, 2022.")
    again = ingest([corpus], settings, models.embedder, models.analyzer, preparer=preparer)
    assert again.added == ["new.txt"] and again.unchanged == len(first.added)
    assert json.loads((settings.index_dir / "manifest.json").read_text())["format"]


def _kill_one_worker_after_first(preparer):
    """The preparer's output, with one embedding actor's process killed once the first release has arrived."""

    def run(todo):
        for i, prepared in enumerate(preparer(todo)):
            if i == 0:
                pids = subprocess.run(["pgrep", "-f", "PrepareWorker"], capture_output=True, text=True).stdout.split()
                assert pids, "no embedding actor process found"
                os.kill(int(pids[0]), signal.SIGKILL)
            yield prepared

    return run


def test_a_worker_killed_mid_ingest_leaves_a_loadable_index_and_a_rerun_completes_it(cluster, models, tmp_path):
    corpus = _corpus(tmp_path / "corpus")
    settings = make_settings(tmp_path, ray_batch=2)
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "old.txt").write_text("Acme Corp. appointed Jane Roe as chief executive on May 5, 2022.")
    ingest([tmp_path / "old"], settings, models.embedder, models.analyzer)
    preparer = RayPreparer(settings, workers=2)
    try:
        report = ingest(
            [corpus], settings, models.embedder, models.analyzer, preparer=_kill_one_worker_after_first(preparer)
        )
    except Exception:  # the run may fail (nothing saved) or recover (Ray restarts the actor and retries its batch)
        report = None
    index = Index.load(settings.index_dir, settings.model_name, models.embedder.dimension)
    try:
        count = len(index.store.documents())
    finally:
        index.close()
    wanted = len(ingest([corpus], make_settings(tmp_path / "local"), models.embedder, models.analyzer).added) + 1
    assert count in (1, wanted)  # the old set, or the old and the new: never part of the new
    if report is not None:
        assert count == wanted
    again = ingest([corpus], settings, models.embedder, models.analyzer, preparer=preparer)
    index = Index.load(settings.index_dir, settings.model_name, models.embedder.dimension)
    try:
        assert len(index.store.documents()) == wanted and again.unchanged + len(again.added) == wanted - 1
    finally:
        index.close()


def test_ingest_to_an_address_where_no_cluster_answers_fails_at_once_with_a_message(tmp_path, env_settings):
    from typer.testing import CliRunner

    from pressqa.cli import app

    env_settings(index_dir=tmp_path / "index")
    result = CliRunner().invoke(app, ["ingest", str(CORPUS), "--ray", "127.0.0.1:1"])
    assert result.exit_code == 1 and "cannot reach the Ray cluster at 127.0.0.1:1" in result.output
    assert not (tmp_path / "index" / "manifest.json").exists()  # nothing was written


def test_plain_ingest_never_imports_ray(tmp_path):
    script = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from pressqa.cli import app\n"
        f"result = CliRunner().invoke(app, ['ingest', {str(CORPUS)!r}])\n"
        "assert result.exit_code == 0, result.output\n"
        "print('ray loaded' if any(m == 'ray' or m.startswith('ray.') for m in sys.modules) else 'no ray')\n"
    )
    env = {**os.environ, "PRESSQA_INDEX_DIR": str(tmp_path / "index")}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=600)
    assert out.stdout.strip().endswith("no ray"), out.stdout + out.stderr


def test_eval_builds_its_corpus_index_on_ray(cluster, tmp_path, env_settings):
    from typer.testing import CliRunner

    from pressqa.cli import app

    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"id": "1", "question": "When did CT041 receive RMAT?", "answers": []}) + "\n")
    env_settings(cache_dir=tmp_path / "cache")
    args = ["eval", str(questions), "--corpus", str(CORPUS), "--ray", cluster.address, "--out", str(tmp_path / "out")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    built = list((tmp_path / "cache" / "eval-indexes").glob("*/complete.json"))
    assert len(built) == 1 and json.loads(built[0].read_text())["documents"] == 3
