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


# Corporate newswire stand-ins: batches w0 and w2 over disjoint releases, and a release nobody asks about.
WIRE_RELEASES = [
    ("wa", "Acme Robotics names CFO.\n\nAcme Robotics appointed Dana Wu as Chief Financial Officer on May 2, 2024."),
    ("wb", "Borel Foods raises funds.\n\nBorel Foods closed a $12 million Series B round led by Halden Capital."),
    ("wc", "Corvia Bio gets FDA nod.\n\nIn January 2022, it earned orphan drug designation for CV-7 from the FDA."),
    ("wd", "Delta Mines reports results.\n\nDelta Mines reported revenue of $8.1 million for the third quarter."),
    ("we", "Elm Ridge opens a plant.\n\nElm Ridge opened its second plant in Reno, Nevada."),
]
WIRE_QUESTIONS = [
    ("w0-0001", "wa", "Who did Acme Robotics appoint as CFO?", "Dana Wu"),
    ("w0-0002", "wb", "How much did Borel Foods raise in its Series B?", "$12 million"),
    ("w2-0001", "wc", "When did CV-7 receive orphan drug designation?", "January 2022"),
    ("w2-0002", "wd", "What was Delta Mines' revenue for the third quarter?", "$8.1 million"),
    ("w2-0003", "wd", "Who is the CEO of Delta Mines?", None),
]


def write_wire(folder):
    releases, qa = folder / "releases", folder / "releases" / "qa"
    texts = dict(WIRE_RELEASES)
    lines = [json.dumps({"id": rid, "title": text.split("\n")[0], "text": text}) for rid, text in WIRE_RELEASES]
    (releases / "wire_releases.jsonl").write_text("\n".join(lines) + "\n")
    rows = []
    for qid, rid, question, answer in WIRE_QUESTIONS:
        answers = [{"text": answer, "answer_start": texts[rid].index(answer)}] if answer else []
        kind = "unanswerable" if not answer else "thing"
        rows.append(json.dumps({"id": qid, "question": question, "answers": answers, "source": rid, "kind": kind}))
    (qa / "train_wire.jsonl").write_text("\n".join(rows) + "\n")


def write_shared(folder):
    (folder / "qamr").mkdir()
    write_qamr(folder / "qamr")
    write_releases(folder)
    write_wire(folder)
    return folder
