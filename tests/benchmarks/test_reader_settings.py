import json

from rich.console import Console

from pressqa.benchmarks.reader_settings import ReaderSetting, measure
from pressqa.benchmarks.report import print_reader_settings


def test_each_reader_setting_is_scored_and_timed_on_the_same_questions(corpus_engine, tmp_path):
    questions = tmp_path / "questions.jsonl"
    rows = [
        {"id": "1", "question": "When did CT041 receive RMAT?", "answers": ["January 2022"]},
        {"id": "2", "question": "What is the stock price of Moderna?", "answers": []},
    ]
    questions.write_text("".join(json.dumps(r) + "\n" for r in rows))
    grid = (ReaderSetting(1, False), ReaderSetting(3, True))
    said = []
    result = measure(corpus_engine.settings, questions, None, grid, say=said.append)
    assert [r["setting"] for r in result["rows"]] == ["1 sentence, bf16/fp32", "3 sentences, int8"]
    for row in result["rows"]:
        assert row["answerable_abstained"] in ("0/1", "1/1") and row["reader_ms_median"] > 0
        assert row["answerable_em"] in (0.0, 100.0) and 0.0 <= row["unanswerable_abstained"] <= 1.0
    assert result["rows"][1]["answerable_em"] == 100.0  # the shipped reader's answer, int8 included
    console = Console(record=True, width=160)
    print_reader_settings(result, console)
    assert "3 sentences, int8" in console.export_text()
