import json

import pytest
from typer.testing import CliRunner

from pressqa.cli import app
from pressqa.config import Settings
from pressqa.evaluation.corpus_index import CorpusError, corpus_key, dated_releases

RELEASES = [
    {
        "id": "r1",
        "title": "Detroit Clinic Owner Sentenced for Medicare Fraud",
        "date": "2012-03-01",
        "text": "A Detroit clinic owner was sentenced today to 90 months in prison for a Medicare fraud scheme.\n\n"
        "Jane Roe, 52, was sentenced by U.S. District Judge Paul D. Borman in the Eastern District of "
        "Michigan. Roe was also ordered to pay $1.2 million in restitution.",
    },
    {
        "id": "r2",
        "title": "Miami Pharmacist Pleads Guilty in Kickback Scheme",
        "date": "2014-06-10",
        "text": "A Miami pharmacist pleaded guilty today to paying kickbacks for prescriptions.\n\n"
        "John Doe, 41, pleaded guilty before U.S. District Judge Ursula Ungaro of the Southern District of "
        "Florida. Sentencing is scheduled for Sept. 4, 2014.",
    },
]
QUESTIONS = [
    {
        "id": "a",
        "question": "Which judge sentenced Detroit clinic owner Jane Roe?",
        "answers": ["Paul D. Borman"],
        "source": "r1",
        "kind": "person",
        "hard": False,
    },
    {
        "id": "b",
        "question": "When is Miami pharmacist John Doe scheduled to be sentenced?",
        "answers": ["Sept. 4, 2014"],
        "source": "r2",
        "kind": "date",
        "hard": False,
    },
    {
        "id": "c",
        "question": "How much restitution was Jane Roe ordered to pay?",
        "answers": ["$1.2 million"],
        "source": "r1",
        "kind": "money",
        "hard": True,
    },
    {
        "id": "d",
        "question": "What was the name of John Doe's pharmacy?",
        "answers": [],
        "source": None,
        "kind": "unanswerable",
        "hard": False,
    },
]


def _write(folder, releases=RELEASES):
    folder.mkdir(exist_ok=True)
    (folder / "releases.jsonl").write_text("\n".join(json.dumps(r) for r in releases) + "\n")
    return folder


@pytest.fixture()
def corpus_env(tmp_path, monkeypatch, env_settings):
    monkeypatch.chdir(tmp_path)
    env_settings(cache_dir=tmp_path / "cache", index_dir=tmp_path / "index")
    (tmp_path / "q.jsonl").write_text("\n".join(json.dumps(q) for q in QUESTIONS) + "\n")
    return tmp_path


def test_corpus_key_follows_content_and_settings(tmp_path):
    settings = Settings(index_dir=tmp_path / "index")
    folder = _write(tmp_path / "c")
    key = corpus_key([folder], settings)
    assert corpus_key([folder], settings) == key
    assert corpus_key([folder], settings.model_copy(update={"chunk_tokens": 128})) != key
    _write(folder, [RELEASES[0]])
    assert corpus_key([folder], settings) != key
    with pytest.raises(CorpusError):
        corpus_key([tmp_path / "empty"], settings)


def test_eval_over_a_corpus_reports_kinds_and_reuses_its_index(corpus_env):
    corpus = _write(corpus_env / "corpus_a")
    runner = CliRunner()
    first = runner.invoke(app, ["eval", "q.jsonl", "--corpus", str(corpus), "--out", "out", "--json"])
    assert first.exit_code == 0, first.output
    assert "indexing" in first.stderr and "indexed 2 releases" in first.stderr
    assert not (corpus_env / "index").exists()  # the project's own index is left alone
    summary = json.loads(first.stdout[first.stdout.index("{") :])["summary"]
    assert summary["questions"] == 4 and summary["answerable"] == 3
    assert set(summary["by_kind"]) == {"person", "date", "money", "unanswerable"}
    assert summary["by_difficulty"]["hard"]["questions"] == 1
    assert sum(sum(row.values()) for row in summary["kind_returned"].values()) == 4
    assert summary["retrieval"]["recall@5"] == 1.0  # two releases: the gold one is always among five
    report = next((corpus_env / "out").glob("*.md")).read_text()
    assert "## By kind asked" in report and "## Kind answered for the kind asked" in report

    again = runner.invoke(app, ["eval", "q.jsonl", "--corpus", str(corpus), "--out", "out", "--mode", "bm25"])
    assert again.exit_code == 0, again.output
    assert "reusing the corpus index" in again.stderr and "by kind asked" in again.stdout


def test_eval_corpus_errors_are_messages(corpus_env):
    runner = CliRunner()
    missing = runner.invoke(app, ["eval", "q.jsonl", "--corpus", str(corpus_env / "nowhere")])
    assert missing.exit_code == 1 and "no such file or folder" in missing.stderr
    both = runner.invoke(app, ["eval", "--squad", "x.json", "--corpus", str(corpus_env)])
    assert both.exit_code == 2 and "without --corpus" in both.stderr


def test_a_date_range_makes_a_corpus_of_the_releases_dated_within_it(tmp_path):
    rows = [{"id": f"r{year}", "date": f"{year}-06-01", "text": "x"} for year in (2016, 2017, 2018)]
    source = tmp_path / "releases.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    settings = Settings(cache_dir=tmp_path / "cache")
    dated = dated_releases(source, "2017-01-01", "2017-12-31", settings)
    assert [json.loads(line)["id"] for line in dated.read_text().splitlines()] == ["r2017"]
    assert dated_releases(source, "2017-01-01", "2017-12-31", settings) == dated  # written once, then reused
    later = dated_releases(source, "2017-01-01", None, settings).read_text().splitlines()
    assert [json.loads(line)["id"] for line in later] == ["r2017", "r2018"]
    with pytest.raises(CorpusError, match="no release"):
        dated_releases(source, "2020-01-01", None, settings)
    with pytest.raises(CorpusError, match="one .jsonl"):
        dated_releases(tmp_path, "2017-01-01", None, settings)
