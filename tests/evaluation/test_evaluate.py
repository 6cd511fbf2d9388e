import json

import pytest
from typer.testing import CliRunner

from pressqa.cli import app
from pressqa.evaluation.evaluate import (
    EvalInputError,
    Record,
    calibrate,
    evaluate,
    load_questions,
    load_squad,
    summarize,
)
from tests.conftest import ROOT, SHARED


def _record(rid, answers, candidate, score, hit_rank=1, retriever_hit_rank=None):
    return Record(
        id=rid,
        question="q?",
        answers=answers,
        prediction=None,
        candidate=candidate,
        score=score,
        em=0.0,
        f1=0.0,
        candidate_f1=0.0,
        hit_rank=hit_rank,
        cited_hit=hit_rank == 1,
        retrieval_ms=10.0,
        reader_ms=2.0,
        retriever_hit_rank=retriever_hit_rank,
    )


def test_summarize_redecides_answers_at_the_threshold():
    records = [
        _record("a", ["January 2022"], "January 2022", 0.9),
        _record("b", ["Nanjing"], "Beijing", 0.5, hit_rank=3),
        _record("c", [], "Pfizer", 0.2, hit_rank=None),
        _record("d", [], "Acme", 0.6, hit_rank=None),
    ]
    s = summarize(records, 0.4)
    # a right (1), b wrong (0), c abstained rightly (1), d answered wrongly (0)
    assert s["overall"]["em"] == pytest.approx(0.5)
    assert s["answerable_scores"]["f1"] == pytest.approx(0.5)
    assert s["unanswerable_abstained"] == pytest.approx(0.5)
    assert s["abstention"] == {"precision": 1.0, "recall": 0.5, "abstained": 1.0}
    assert s["retrieval"]["recall@1"] == 0.5 and s["retrieval"]["recall@3"] == 1.0
    assert s["retrieval"]["mrr@10"] == pytest.approx((1 + 1 / 3) / 2)
    assert summarize(records, 0.95)["overall"]["f1"] == pytest.approx(0.5)  # abstain on all: c and d right


def test_summarize_reports_the_retrievers_own_ranking_beside_the_shown_one():
    records = [
        _record("a", ["x"], "x", 0.9, hit_rank=1, retriever_hit_rank=2),
        _record("b", ["y"], "y", 0.9, hit_rank=1, retriever_hit_rank=None),
        _record("c", [], "z", 0.1, hit_rank=None, retriever_hit_rank=None),
    ]
    s = summarize(records, 0.5)
    assert s["retrieval"]["recall@1"] == 1.0 and s["retrieval"]["mrr@10"] == 1.0
    assert s["retriever_only"]["recall@1"] == 0.0 and s["retriever_only"]["recall@3"] == 0.5
    assert s["retriever_only"]["mrr@10"] == pytest.approx(0.25)


def test_calibrate_finds_the_gap_between_right_and_wrong():
    records = [
        _record("a", ["x"], "x", 0.8),
        _record("b", ["y"], "y", 0.7),
        _record("c", [], "z", 0.3),
        _record("d", [], "w", 0.4),
    ]
    threshold, f1 = calibrate(records)
    assert 0.4 < threshold < 0.7 and f1 == 1.0


def test_question_file_errors_name_the_line(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text('{"id": "a", "question": "Q?", "answers": []}\n{"answers": []}\n')
    with pytest.raises(EvalInputError, match="q.jsonl:2"):
        load_questions(path)
    with pytest.raises(EvalInputError, match="cannot read"):
        load_questions(tmp_path / "missing.jsonl")
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(EvalInputError, match="not SQuAD"):
        load_squad(tmp_path / "bad.json")


def test_project_question_set_is_well_formed():
    items = load_questions(ROOT / "eval" / "questions.jsonl")
    assert len(items) >= 40 and len({i.id for i in items}) == len(items)
    assert sum(1 for i in items if not i.answers) >= 8
    corpus = {p.name: p.read_text() for p in (ROOT / "corpus").glob("*.txt")}
    for item in items:
        if item.answers:  # every gold answer is a span of its source release
            assert any(a in corpus[item.doc_id] for a in item.answers), item.id


SQUAD = {
    "version": "v2.0",
    "data": [
        {
            "title": "Acme_Corp",
            "paragraphs": [
                {
                    "context": "Acme Corp. was founded in 1901 in Ohio. It makes anvils for coyotes.",
                    "qas": [
                        {
                            "id": "1",
                            "question": "When was Acme Corp. founded?",
                            "is_impossible": False,
                            "answers": [{"text": "1901", "answer_start": 26}, {"text": "1901", "answer_start": 26}],
                        },
                        {"id": "2", "question": "Who is the CEO of Acme?", "is_impossible": True, "answers": []},
                    ],
                },
                {
                    "context": "Beta Inc. sells rockets. Its factory is in Nevada and employs 300 people.",
                    "qas": [
                        {
                            "id": "3",
                            "question": "Where is the Beta factory?",
                            "is_impossible": False,
                            "answers": [{"text": "Nevada", "answer_start": 43}],
                        }
                    ],
                },
            ],
        },
    ],
}


def test_load_squad_makes_one_document_per_context(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(json.dumps(SQUAD))
    docs, items = load_squad(path)
    assert [d.doc_id for d in docs] == ["000-000", "000-001"] and docs[0].title == "Acme Corp"
    assert [(i.answers, i.doc_id) for i in items] == [(["1901"], "000-000"), ([], "000-000"), (["Nevada"], "000-001")]


def test_evaluate_on_the_corpus(corpus_engine):
    items = load_questions(ROOT / "eval" / "questions.jsonl")[:3]
    result = evaluate(corpus_engine, "sample", items)
    assert [r.id for r in result.records] == ["q01", "q02", "q03"]
    first = result.records[0]
    assert first.prediction == "January 2022" and first.em == 1.0 and first.hit_rank is not None and first.cited_hit
    assert result.summary()["questions"] == 3


def test_eval_command_on_a_squad_file_writes_json_and_report(tmp_path, monkeypatch, env_settings):
    path = tmp_path / "s.json"
    path.write_text(json.dumps(SQUAD))
    monkeypatch.chdir(tmp_path)
    env_settings()
    result = CliRunner().invoke(app, ["eval", "--squad", str(path), "--out", "out", "--calibrate"])
    assert result.exit_code == 0, result.output
    data = json.loads(next((tmp_path / "out").glob("*.json")).read_text())
    assert data["summary"]["questions"] == 3 and data["summary"]["answerable"] == 2
    assert data["summary"]["retrieval"]["recall@10"] == 1.0
    report = next((tmp_path / "out").glob("*.md")).read_text()
    assert "recall@1" in report and "-recall.png" in report
    assert len(list((tmp_path / "out").glob("*.png"))) == 3 and "-reliability.png" in report
    assert "PRESSQA_NO_ANSWER_THRESHOLD=" in (tmp_path / ".env").read_text()
    assert "threshold" in result.stderr and "→" in result.stderr


def test_eval_command_reports_bad_input(tmp_path):
    result = CliRunner().invoke(app, ["eval", str(tmp_path / "missing.jsonl")])
    assert result.exit_code == 1 and "cannot read" in result.stderr


@pytest.mark.skipif(not (SHARED / "data" / "xquad_en.json").exists(), reason="../shared/data is not beside the repo")
def test_shared_benchmark_files_parse():
    docs, items = load_squad(SHARED / "data" / "xquad_en.json")
    assert len(docs) == 240 and len(items) == 1190 and all(i.answers for i in items)


def test_oracle_mode_reads_only_the_gold_document(corpus_engine):
    items = [i for i in load_questions(ROOT / "eval" / "questions.jsonl") if i.doc_id][:4]
    result = evaluate(corpus_engine, "sample", items, oracle=True)
    assert result.name == "sample (oracle)"
    for item, record in zip(items, result.records, strict=True):
        assert record.cited_doc in (None, item.doc_id)
