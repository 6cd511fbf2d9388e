import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pressqa.cli import app
from pressqa.config import get_settings
from pressqa.service.api_responses import AskResponse
from tests.conftest import CORPUS

runner = CliRunner()


@pytest.fixture()
def cli_env(tmp_path, env_settings):
    shutil.copytree(CORPUS, tmp_path / "corpus")
    env_settings(index_dir=tmp_path / "index", corpus_dir=tmp_path / "corpus")
    return tmp_path


def test_ingest_ask_info(cli_env):
    (cli_env / "corpus" / "broken.txt").write_bytes(b"\x00\x00")
    result = runner.invoke(app, ["ingest"])
    assert result.exit_code == 1  # one file failed; the rest is indexed
    assert "3 added" in result.stdout and "broken.txt" in result.stderr

    result = runner.invoke(app, ["ask", "When did CT041 receive RMAT?"])
    assert result.exit_code == 0
    assert result.stdout.startswith("January 2022")
    assert "001_dddbf5ee798e36f0.txt, answer at chars" in result.stdout

    result = runner.invoke(app, ["ask", "When did CT041 receive RMAT?", "--json", "--top-k", "2"])
    body = AskResponse.model_validate_json(result.stdout)
    assert body.answer.text == "January 2022" and len(body.passages) == 2

    result = runner.invoke(app, ["ask", "Who is the CEO of Pfizer?"])
    assert "The releases don't say." in result.stdout

    result = runner.invoke(app, ["ask", "Which companies collaborate with CARsgen?", "--answers", "3", "--json"])
    body = AskResponse.model_validate_json(result.stdout)
    assert 1 <= len(body.answers) <= 3 and len({a.doc_id for a in body.answers}) == len(body.answers)

    golden = "001_dddbf5ee798e36f0.txt"
    turn = ["--previous", "When did CT041 receive RMAT?", "--previous-doc", golden, "--json"]
    result = runner.invoke(app, ["ask", "and orphan drug designation?", *turn])
    body = AskResponse.model_validate_json(result.stdout)
    assert body.understood_as == "When did CT041 receive orphan drug designation?"
    assert body.answer.text == "October 2020" and body.from_previous_release

    result = runner.invoke(app, ["timeline", "CT041"])
    assert result.exit_code == 0 and "2 releases mention 'CT041'" in result.stdout
    assert result.stdout.index("2021-07-31") < result.stdout.index("undated")

    rows = list(
        csv.DictReader(io.StringIO(runner.invoke(app, ["ask", "When did CT041 receive RMAT?", "--csv"]).stdout))
    )
    assert [(r["answer"], r["doc_id"]) for r in rows] == [("January 2022", golden)]
    named = runner.invoke(app, ["ask", "When did CT041 receive RMAT?", "--name", "Pfizer", "--json"]).stdout
    assert AskResponse.model_validate_json(named).answer is None  # no release names Pfizer
    rows = list(csv.DictReader(io.StringIO(runner.invoke(app, ["timeline", "CT041", "--csv"]).stdout)))
    assert len(rows) == 2 and all("CT041" in r["answer"] for r in rows)

    result = runner.invoke(app, ["info"])
    assert json.loads(result.stdout)["documents"] == 3


def test_cli_errors_are_messages_not_tracebacks(cli_env):
    result = runner.invoke(app, ["ask", "Anything?"])
    assert result.exit_code == 1 and "pressqa ingest" in result.stderr and "Traceback" not in result.output
    result = runner.invoke(app, ["ask", "   "])
    assert result.exit_code == 2 and "empty" in result.stderr
    result = runner.invoke(app, ["ask", "ok?", "--mode", "magic"])
    assert result.exit_code == 2 and "mode" in result.stderr
    result = runner.invoke(app, ["ask", "ok?", "--answers", "21"])
    assert result.exit_code == 2 and "less than or equal to 20" in result.stderr
    result = runner.invoke(app, ["ask", "ok?", "--answers", "lots"])
    assert result.exit_code == 2 and "answers" in result.stderr
    result = runner.invoke(app, ["timeline", "CT041", "--from", "2022-13-01"])
    assert result.exit_code == 2 and "invalid date" in result.stderr
    result = runner.invoke(app, ["timeline", " "])
    assert result.exit_code == 2 and "name of a company" in result.stderr
    result = runner.invoke(app, ["eval-across", str(cli_env / "missing.jsonl")])
    assert result.exit_code == 1 and "cannot read" in result.stderr
    result = runner.invoke(app, ["ingest", str(cli_env / "missing")])
    assert result.exit_code == 1 and "no such file" in result.stderr


def test_ingest_reports_and_skips_bad_files(cli_env, monkeypatch):
    corpus = cli_env / "corpus"
    (corpus / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (corpus / "empty.md").write_text("\n \n")
    (corpus / "scripts-only.html").write_text("<html><body><script>alert(1)</script>")
    (corpus / "unclosed.html").write_text("<html><body><h1>Acme Bio expands<p>NEW YORK, May 5, 2020 -- Acme Bio grew")
    (corpus / "locked.txt").write_text("Secret release")
    real_read_bytes = Path.read_bytes

    def read_bytes(path: Path) -> bytes:  # root can read any file, so refuse this one by hand
        if path.name == "locked.txt":
            raise PermissionError(13, "Permission denied", str(path))
        return real_read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    result = runner.invoke(app, ["ingest"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "4 added" in result.stdout  # the seeds and the unclosed but readable page
    skipped = {line.split(":")[0].rsplit("/", 1)[-1] for line in result.stderr.splitlines() if "skipped" in line}
    assert skipped == {"binary.txt", "empty.md", "scripts-only.html", "locked.txt"}
    assert "Permission denied" in result.stderr and "binary" in result.stderr and "no text" in result.stderr


def test_feedback_export_round_trips_through_eval(cli_env):
    from pressqa.retrieval.feedback_table import Feedback
    from pressqa.service.qa import PressQA

    assert runner.invoke(app, ["ingest"]).exit_code == 0
    engine = PressQA(get_settings())
    right = engine.ask("When did CT041 receive RMAT?").answer
    engine.record_feedback(
        Feedback("When did CT041 receive RMAT?", right.text, right.doc_id, right.start, right.end, "right")
    )
    text = engine.ask("When did CT041 receive RMAT?").answer  # the golden answer, judged wrong for another question
    doc = (cli_env / "corpus" / "001_dddbf5ee798e36f0.txt").read_text()
    start = doc.index("October 2020")
    corrected = Feedback(
        "When did the FDA recognise CT041 as an orphan drug?", text.text, text.doc_id, text.start, text.end, "wrong",
        correct_doc_id=text.doc_id, correct_start=start, correct_end=start + len("October 2020"),
    )  # fmt: skip
    engine.record_feedback(corrected)
    engine.record_feedback(Feedback("Who founded CARsgen?", text.text, text.doc_id, text.start, text.end, "wrong"))
    engine.close()

    out = cli_env / "feedback.jsonl"
    result = runner.invoke(app, ["feedback", "export", str(out)])
    assert result.exit_code == 0 and "2 questions from 3 verdicts" in result.stderr and "1 left out" in result.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["answers"] for r in rows] == [["January 2022"], ["October 2020"]]

    result = runner.invoke(app, ["eval", str(out), "--json", "--out", str(cli_env / "results")])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)["summary"]
    assert summary["questions"] == 2 and summary["answerable"] == 2
    assert summary["answerable_scores"]["em"] == 1.0  # both answered right by this version


def test_load_test_names_a_missing_question_file(tmp_path):
    result = runner.invoke(app, ["load-test", "--questions", str(tmp_path / "none.jsonl")])
    assert result.exit_code == 1 and "no question file at" in result.output
