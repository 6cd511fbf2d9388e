import json
from dataclasses import replace

import pytest
from typer.testing import CliRunner

from pressqa.cli import app
from pressqa.evaluation.evaluate import EvalResult
from pressqa.evaluation.suite import (
    KINDS,
    SuiteInputError,
    held_out_fraction,
    kind_figures,
    kind_named,
    prepare,
    wrong_type_share,
)
from pressqa.training.data import read_release_qa, split_kind, split_texts
from tests.evaluation.test_evaluate import _record as evaluate_record
from tests.training.shared_data import WIRE_RELEASES


def test_doj_held_out_is_what_training_holds_out(shared_data):
    kind = kind_named("doj")
    texts = read_release_qa(shared_data / kind.questions, shared_data / kind.releases)
    _, held = split_kind(texts, kind, shared_data)
    _, split = split_texts(texts, 0.2, 13)
    assert {t.key for t in held} == {t.key for t in split} == held_out_fraction([t.key for t in texts])
    assert held  # a fifth of five releases


def test_held_out_fraction_is_seeded_and_ignores_order():
    ids = [f"r{i}" for i in range(50)]
    held = held_out_fraction(ids)
    assert len(held) == 10 and held == held_out_fraction(list(reversed(ids)))
    assert held != held_out_fraction(ids, seed=14)


def test_a_batch_kind_holds_out_its_batch_and_asks_over_every_release(shared_data, tmp_path):
    part = prepare(kind_named("wire"), shared_data, tmp_path)
    assert part.held_out == {"wc", "wd"}  # batch w2's releases
    assert [item.id for item in part.items] == ["w2-0001", "w2-0002", "w2-0003"]
    unanswerable = part.items[-1]
    assert unanswerable.answers == [] and unanswerable.doc_id is None
    corpus = [json.loads(line)["id"] for line in part.corpus.read_text().splitlines()]
    assert corpus == [rid for rid, _ in WIRE_RELEASES]  # "we" too: nobody asks about it, it is still read
    again = prepare(kind_named("wire"), shared_data, tmp_path)
    assert again.corpus.stat().st_mtime_ns == part.corpus.stat().st_mtime_ns  # unchanged: its index is reused


def test_training_leaves_out_the_suites_releases(shared_data):
    kind = kind_named("wire")
    texts = read_release_qa(shared_data / kind.questions, shared_data / kind.releases)
    train, held = split_kind(texts, kind, shared_data)
    assert {t.key for t in train} == {"wa", "wb"} and {t.key for t in held} == {"wc", "wd"}


def test_unknown_kind_and_missing_files_are_messages(tmp_path):
    with pytest.raises(SuiteInputError, match="unknown kind 'blog'"):
        kind_named("blog")
    with pytest.raises(SuiteInputError, match="no releases at"):
        prepare(KINDS[0], tmp_path, tmp_path / "out")


def _record(kind: str, answers: list[str], candidate: str | None, score: float, f1: float, answer_kind=None):
    base = evaluate_record(candidate or "-", answers, candidate, score)
    return replace(base, candidate_f1=f1, kind=kind, answer_kind=answer_kind, reader_ms=10.0)


def test_kind_figures_count_abstentions_near_misses_and_wrong_types():
    records = [
        _record("person", ["Dana Wu"], "Dana Wu", 0.9, 1.0, "person"),
        _record("person", ["Li Zonghai"], "CARsgen", 0.8, 0.0, "org"),  # the company for a person: wrong type
        _record("date", ["January 2022"], "2022", 0.3, 0.5, "date"),  # abstained (under 0.5), right type
        _record("thing", ["RMAT"], "RMAT", 0.7, 1.0, None),  # a thing has no type to get wrong
        _record("unanswerable", [], "$5 million", 0.6, 0.0, "money"),  # a near miss answered
        _record("unanswerable", [], "Bob", 0.2, 0.0, "person"),
    ]
    figures = kind_figures(EvalResult("t", 0.5, records))
    assert figures["answerable"] == 4 and figures["unanswerable"] == 2
    assert figures["answerable_abstained"] == 0.25 and figures["unanswerable_answered"] == 0.5
    assert figures["wrong_type"] == pytest.approx(1 / 3)
    assert wrong_type_share(records, 0.5, answered_only=True) == 0.5  # the abstained date is left out
    assert figures["f1"] == pytest.approx(0.5)  # Dana Wu and RMAT right, the rest 0
    assert figures["f1_never_abstaining"] == pytest.approx(2.5 / 4)


@pytest.fixture()
def suite_env(tmp_path, monkeypatch, env_settings):
    monkeypatch.chdir(tmp_path)
    env_settings(cache_dir=tmp_path / "cache", index_dir=tmp_path / "index")
    return tmp_path


def test_eval_suite_prints_each_kind_and_the_mean(suite_env, shared_data):
    runner = CliRunner()
    result = runner.invoke(app, ["eval-suite", "--kind", "wire", "--shared", str(shared_data), "--out", "out"])
    assert result.exit_code == 0, result.output
    assert "wire: 3 held-out questions (2 answerable) over 2 releases" in result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:4] == ["kind", "ans", "EM", "F1"]
    assert [line.split()[0] for line in lines[1:]] == ["wire", "mean"]
    saved = json.loads((suite_env / "out" / "suite.json").read_text())
    assert saved["table"]["wire"]["answerable"] == 2 and saved["table"]["wire"]["unanswerable"] == 1
    assert 0.0 <= saved["table"]["mean"]["f1"] <= 1.0
    assert len(saved["kinds"]["wire"]["records"]) == 3
    assert (suite_env / "out" / "suite.png").read_bytes()[:4] == b"\x89PNG"


def test_eval_suite_errors_are_messages(suite_env):
    runner = CliRunner()
    missing = runner.invoke(app, ["eval-suite", "--shared", str(suite_env / "nowhere")])
    assert missing.exit_code == 1 and "no releases at" in missing.stderr and "Traceback" not in missing.output
    unknown = runner.invoke(app, ["eval-suite", "--kind", "blog", "--shared", str(suite_env)])
    assert unknown.exit_code == 1 and "unknown kind 'blog'" in unknown.stderr


def _scored_kind(name: str, right_from: float, n: int = 30) -> EvalResult:
    """A run whose candidates are right from raw score `right_from` up."""
    records = []
    for i in range(n):
        score = i / n
        records.append(_record("person", ["Dana Wu"], "Dana Wu" if score >= right_from else "Bo", score, 0.0))
        records[-1].candidate_f1 = 1.0 if score >= right_from else 0.0
    return EvalResult(name, 0.5, records)


def test_each_kind_is_calibrated_by_the_other_kinds_only(tmp_path):
    from pressqa.evaluation.suite import cross_calibrated, fit_across

    weights = tmp_path / "w.pt"
    weights.write_bytes(b"weights")
    runs = {"a": _scored_kind("a", 0.2), "b": _scored_kind("b", 0.8), "c": _scored_kind("c", 0.8)}
    crossed = cross_calibrated(runs, weights)
    # Kind a's answers at raw 0.5 are right, but b and c (right only from 0.8) say they are not.
    assert runs["a"].records[15].score == 0.5 and crossed["a"].records[15].score == 0.0
    assert crossed["b"].records[15].score > 0.0  # a and c together: some answers at 0.5 were right
    both = fit_across(runs, weights)
    assert both.questions == 90 and "a (30 questions)" in both.fitted_on
    assert both.probability(0.9) == 1.0 and both.probability(0.1) == 0.0


def test_answering_costs_wrong_answers_more_than_needless_abstentions():
    from pressqa.evaluation.suite import answer_cost, best_threshold

    records = [
        _record("person", ["Dana Wu"], "Dana Wu", 0.9, 1.0),  # right, given: free
        _record("person", ["Li"], "Bo", 0.8, 0.0),  # wrong, given: 1
        _record("date", ["2022"], "2022", 0.3, 1.0),  # right, held back: 0.8
        _record("unanswerable", [], "Bo", 0.2, 0.0),  # abstained rightly: free
    ]
    assert answer_cost(records, 0.5) == pytest.approx(1.8 / 4)
    assert answer_cost(records, 0.85) == pytest.approx(0.8 / 4)  # the wrong one held back: free
    assert answer_cost(records, 0.25) == pytest.approx(1.0 / 4)  # the date given: right
    threshold, cost = best_threshold({"k": EvalResult("k", 0.5, records)})
    assert threshold == 0.85 and cost == pytest.approx(0.2)
