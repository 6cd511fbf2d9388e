"""Replicated serving on a real two-node Ray cluster: a replica killed mid-run loses no request and no write."""

import shutil

import pytest

from pressqa.ingest.pipeline import ingest
from tests.conftest import CORPUS, make_settings

ray = pytest.importorskip("ray", reason="the cluster extra (pip install 'pressqa[cluster]') is not installed")
pytest.importorskip("ray.serve")

from pressqa.benchmarks.loadtest import run  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    """A head node and a worker node on 127.0.0.1, one CPU each: one API replica lands on each."""
    from ray.cluster_utils import Cluster

    nodes = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    nodes.add_node(num_cpus=1)
    nodes.wait_for_nodes()
    yield nodes
    nodes.shutdown()


def test_two_replicas_with_one_killed_lose_no_acknowledged_request_or_write(cluster, models, tmp_path):
    shutil.copytree(CORPUS, tmp_path / "corpus")
    settings = make_settings(tmp_path)
    ingest([settings.corpus_dir], settings, models.embedder, models.analyzer)
    logs = []
    result = run(
        settings.index_dir,
        clients=3,
        seconds=25,
        write_share=0.3,
        warm_up=5,
        log=logs.append,
        ray=cluster.address,
        replicas=2,
        retries=4,
        kill_replica_after=8,
    )
    assert result["server"]["killed_replica"], logs  # a replica process was found and killed
    assert result["requests"] > 0 and result["server_errors"] == 0, (result["failures"], result["server_log"])
    assert result["statuses"].get("401", 0) == 0  # the API key reached the replicas
    assert result["latency_ms"]["write"]["count"] > 0 and result["acknowledged_documents"] > 0
    assert result["lost_documents"] == [] and result["resurrected_documents"] == []
