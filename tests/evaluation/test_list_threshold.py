import json

import pytest
from typer.testing import CliRunner

from pressqa.cli import app
from pressqa.evaluation.evaluate import EvalInputError
from pressqa.evaluation.list_threshold import choose, figures_at, least_cost, load_lists


def _record(scores_and_matches, expected):
    items = [{"text": str(i), "score": s, "match": m} for i, (s, m) in enumerate(scores_and_matches)]
    return {"items": items, "expected": expected, "ms": 1.0}


# A kind whose right items score high and one whose right items score low: each wants another threshold.
HIGH = [_record([(0.9, 0), (0.8, 1), (0.3, None), (0.2, None)], 2)]
LOW = [_record([(0.4, 0), (0.35, 1), (0.3, 2), (0.1, None)], 3)]


def test_the_cost_of_a_list_counts_wrong_items_and_missed_ones():
    f = figures_at(HIGH, 0.25)
    assert f.precision == 2 / 3 and f.recall == 1.0 and f.cost == pytest.approx(1 / 2)
    assert figures_at(HIGH, 0.5).cost == 0.0 and figures_at(HIGH, 0.95).cost == pytest.approx(0.8)


def test_each_kind_is_read_at_the_threshold_the_other_kinds_chose():
    assert least_cost({"high": HIGH}) == 0.35 and least_cost({"low": LOW}) == 0.15
    held_out, chosen = choose({"high": HIGH, "low": LOW})
    assert held_out["high"].threshold == 0.15 and held_out["low"].threshold == 0.35
    assert 0.15 <= chosen <= 0.35


def test_the_command_reads_results_and_names_a_file_that_is_not_one(tmp_path):
    paths = []
    for name, records in (("high", HIGH), ("low", LOW)):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps({"set": name, "lists": records}))
        paths.append(path)
    result = CliRunner().invoke(app, ["list-threshold", *map(str, paths)])
    assert result.exit_code == 0 and "the threshold costing least over every kind" in result.stdout
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    result = CliRunner().invoke(app, ["list-threshold", str(bad)])
    assert result.exit_code != 0 and "not an eval-across result" in result.stderr
    with pytest.raises(EvalInputError, match="none of the results has list questions"):
        empty = tmp_path / "empty.json"
        empty.write_text(json.dumps({"set": "x", "lists": []}))
        load_lists([empty])
