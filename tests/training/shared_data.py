"""Tiny stand-ins for ../shared/data (QAMR sentences and release questions) for the training tests."""

import json

from tests.training.test_qamr import write_qamr

RELEASES = [
    ("r1", "Acme Corp. was fined today.\n\nJudge Paul Borman imposed a fine of $2 million on March 3, 2015."),
    ("r2", "A Miami pharmacist pleaded guilty.\n\nJohn Doe will be sentenced on Sept. 4, 2014, in Miami."),
    ("r3", "Beta Labs settled.\n\nBeta Labs agreed to pay $5 million to resolve the claims against it."),
    ("r4", "An Ohio doctor was charged.\n\nDr. Ann Lee of Toledo faces up to 10 years in prison."),
    ("r5", "Gamma Inc. pleaded guilty.\n\nGamma Inc. was based in Dallas and sold parking heaters."),
]
RELEASE_QUESTIONS = [
    ("r1", "Which judge imposed the fine on Acme Corp.?", "Paul Borman"),
    ("r1", "When was Acme Corp. fined?", "March 3, 2015"),
    ("r2", "When will John Doe be sentenced?", "Sept. 4, 2014"),
    ("r3", "How much did Beta Labs agree to pay?", "$5 million"),
    ("r3", "Who owns Beta Labs?", None),
    ("r4", "Where is Dr. Ann Lee from?", "Toledo"),
    ("r5", "Where was Gamma Inc. based?", "Dallas"),
]


def write_releases(folder):
    qa = folder / "releases" / "qa"
    qa.mkdir(parents=True)
    texts = dict(RELEASES)
    lines = [json.dumps({"id": rid, "title": "-", "text": text}) for rid, text in RELEASES]
    (folder / "releases" / "doj_releases.jsonl").write_text("\n".join(lines) + "\n")
    rows = []
    for n, (rid, question, answer) in enumerate(RELEASE_QUESTIONS):
        answers = [{"text": answer, "answer_start": texts[rid].index(answer)}] if answer else []
        rows.append(json.dumps({"id": f"t{n}", "question": question, "answers": answers, "source": rid}))
    (qa / "train.jsonl").write_text("\n".join(rows) + "\n")


def write_shared(folder):
    (folder / "qamr").mkdir()
    write_qamr(folder / "qamr")
    write_releases(folder)
    return folder
