"""The scale-out benchmark's pure parts: the release subset and the projection from measured rates."""

import json

import pytest

pytest.importorskip("ray", reason="the cluster extra (pip install 'pressqa[cluster]') is not installed")

from pressqa.benchmarks.cluster import projection, subset  # noqa: E402


def test_subset_takes_the_first_releases_and_skips_blank_lines(tmp_path):
    source = tmp_path / "all.jsonl"
    source.write_text("\n".join(json.dumps({"id": str(i), "text": f"release {i}"}) for i in range(5)) + "\n\n")
    assert subset(source, tmp_path / "three.jsonl", 3) == 3
    assert [json.loads(x)["id"] for x in (tmp_path / "three.jsonl").read_text().splitlines()] == ["0", "1", "2"]
    assert subset(source, tmp_path / "all-again.jsonl", None) == 5


def test_projection_scales_the_per_actor_rate_by_cores_nodes_and_measured_efficiency():
    rows = projection({"ray_1": {"steady_chunks_per_s": 10.0}, "steady_scaling_2_vs_1": 1.8}, nodes=(1, 4))
    one_small = next(r for r in rows if r["nodes"] == 1 and r["cores_per_node"] == 2)
    four_big = next(r for r in rows if r["nodes"] == 4 and r["cores_per_node"] == 16)
    assert one_small["chunks_per_s"] == 18  # 10 per actor × 2 cores × 0.9 efficiency
    assert four_big["chunks_per_s"] == 576 and four_big["hours_10M"] == round(1e7 / 576 / 3600, 1)
    capped = projection({"ray_1": {"steady_chunks_per_s": 10.0}, "steady_scaling_2_vs_1": 2.4}, nodes=(1,))
    assert capped[0]["chunks_per_s"] == 20  # never better than linear
