import json

import pytest

from pressqa.evaluation.across import evaluate_across, list_curve, load_tasks, match_items, summarize_lists
from pressqa.evaluation.across_report import figures, markdown_across
from pressqa.evaluation.evaluate import EvalInputError
from tests.conftest import ROOT

TASKS = [
    {"kind": "timeline", "name": "CT041", "releases": ["000_141e616ab78fc2e8.txt", "001_dddbf5ee798e36f0.txt"]},
    {"kind": "timeline", "name": "GenScript", "releases": ["002_0a94835ec6db6944.txt", "001_dddbf5ee798e36f0.txt"]},
    {"kind": "followup", "previous": "When did CT041 receive RMAT?", "question": "and orphan drug designation?",
     "full": "When did the FDA grant CT041 Orphan Drug designation?", "answers": ["October 2020"]},
    {"kind": "list", "question": "Which organisations did CARsgen collaborate with?", "answers": [["Nobody Inc."]]},
]  # fmt: skip


def test_across_tasks_are_scored_by_kind(corpus_engine):
    result = evaluate_across(corpus_engine, "tiny", TASKS)
    s = result.summary()
    assert s["timeline"]["recall"] == 3 / 4  # GenScript's list misses the release that never names it
    assert s["timeline"]["precision"] == 1.0 and s["timeline"]["order"] == 1.0
    assert s["followup"]["em"] == 1.0 and s["followup"]["rewritten"] == 1.0
    assert result.followups[0]["understood_as"] == "When did CT041 receive orphan drug designation?"
    assert s["list"]["recall"] == 0.0 and (s["list"]["precision"] or 0.0) == 0.0  # no expected item named
    assert dict((name, value) for name, value, _ in figures(result))["follow-up EM gap"] == 0.0
    assert "| CT041 | 2/2 |" in markdown_across(result)


def test_list_figures_are_read_at_any_threshold_from_one_run():
    items = [{"text": "A", "score": 0.9, "match": 0}, {"text": "B", "score": 0.6, "match": None},
             {"text": "C", "score": 0.3, "match": 1}]  # fmt: skip
    records = [{"items": items, "expected": 4, "ms": 10.0}]
    at_half = summarize_lists(records, 0.5)
    assert at_half["precision"] == 0.5 and at_half["recall"] == 0.25 and at_half["answers_given"] == 2
    every, strict, none = list_curve(records, [0.0, 0.7, 0.95])
    assert every["precision"] == 2 / 3 and every["recall"] == 0.5
    assert strict["precision"] == 1.0 and none["precision"] is None and none["recall"] == 0.0


def test_list_answers_match_expected_items_once_each():
    expected = [["Banner Health"], ["Rotech Healthcare Inc.", "Rotech"]]
    given = ["Banner Health", "Rotech", "Banner Health hospitals", "Medicare"]
    assert match_items(given, expected) == [0, 1, None, None]


def test_the_shipped_task_sets_load():
    for name in ("sample.jsonl", "doj.jsonl", "wire.jsonl", "hhs.jsonl", "doj2017.jsonl"):
        tasks = load_tasks(ROOT / "eval" / "across" / name)
        assert {"list", "followup"} <= {t["kind"] for t in tasks}


@pytest.mark.parametrize(
    ("line", "fragment"),
    [('{"kind": "poem"}', "not a list"), ('{"kind": "list", "question": "Which?"}', "needs answers"), ("{", "not a")],
)
def test_bad_task_files_are_named_with_their_line(tmp_path, line, fragment):
    path = tmp_path / "tasks.jsonl"
    path.write_text(json.dumps(TASKS[0]) + "\n" + line + "\n")
    with pytest.raises(EvalInputError, match=fragment) as error:
        load_tasks(path)
    assert ":2:" in str(error.value)
