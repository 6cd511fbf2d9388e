import json
import shutil

from pressqa.evaluation.watches import (
    WatchRun,
    WatchTask,
    choose_threshold,
    joint_choice,
    releases_to_add,
    run_watches,
    similarity_curve,
    threshold_curve,
    watch_tasks,
)
from pressqa.ingest.load import make_document
from pressqa.retrieval.watch_table import Hit
from tests.conftest import CORPUS, ROOT, indexed_engine, make_settings
from tests.service.test_watches import APPOINTMENT, CFO, UNRELATED

CT041 = "When did CT041 receive RMAT?"


def _shared(tmp_path, releases: int = 10):
    """A ../shared stand-in: DOJ training questions over `releases` releases, two each (one unanswerable)."""
    rows = []
    for r in range(releases):
        rows.append(
            {
                "id": f"t-{r}a",
                "question": f"Who was sentenced in case {r}?",
                "answers": [{"text": f"P{r}"}],
                "source": f"doj-{r}",
            }
        )
        rows.append(
            {"id": f"t-{r}b", "question": f"Was anyone else charged in case {r}?", "answers": [], "source": f"doj-{r}"}
        )
    path = tmp_path / "releases" / "qa" / "train.jsonl"
    path.parent.mkdir(parents=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return tmp_path


def test_watch_tasks_ask_answerable_questions_of_held_out_releases_only(tmp_path):
    tasks = watch_tasks(_shared(tmp_path, 20), answered=2, total=3)
    assert len(tasks) == 3 and [t.added for t in tasks] == [True, True, False]
    assert len({t.source for t in tasks}) == 3  # one question per release
    for task in tasks:
        number = task.source.split("-")[1]
        assert task.answers == [f"P{number}"] and task.question == f"Who was sentenced in case {number}?"
    assert watch_tasks(_shared(tmp_path / "again", 20), answered=2, total=3) == tasks  # seeded
    # Only the held-out fifth of the releases: asking for more gives what there is.
    assert len(watch_tasks(_shared(tmp_path / "more", 20), answered=2, total=50)) == 4


def test_releases_added_are_the_answering_ones_and_distractors_no_watch_asks_about():
    tasks = [WatchTask("q1", ["a"], "r1", True), WatchTask("q2", ["b"], "r2", False)]
    records = {f"r{i}": {"id": f"r{i}", "title": f"T{i}", "text": f"Release {i} text."} for i in range(1, 8)}
    added = releases_to_add(records, tasks, indexed={"r3"}, distractors=2)
    ids = {doc.doc_id for doc in added}
    assert len(added) == 3 and "r1" in ids and not ids & {"r2", "r3"}  # r2's watch must never be answered


def test_summary_counts_right_hits_against_gold_and_recall_over_added_releases():
    tasks = [
        WatchTask("q1", ["Dana Whitfield"], "r1", True),
        WatchTask("q2", ["$5 million"], "r2", True),
        WatchTask("q3", ["X"], "r3", False),
    ]
    run = WatchRun(tasks, reads=8, seconds=[0.5, 0.5], releases=[2, 2])
    run.hits = [
        Hit(1, "r1", "Dana Whitfield", 0, 5, 0.9),
        Hit(1, "r9", "Dana Whitfield", 0, 5, 0.8),
        Hit(3, "r4", "Someone", 0, 5, 0.7),
    ]
    summary = run.summary()
    assert summary["hits"] == 3 and summary["right_hits"] == 2
    assert summary["precision"] == 2 / 3 and summary["recall"] == 0.5
    assert summary["watches_hit_more_than_once"] == 1 and summary["reads_per_release"] == 2
    assert summary["ms_per_release_per_100"] == 1000 * 1.0 / 4 * (100 / 3)


def test_run_watches_holds_back_the_answering_release_then_finds_it(tmp_path, models):
    shutil.copytree(CORPUS, tmp_path / "corpus")
    (tmp_path / "corpus" / "orbital.txt").write_text(APPOINTMENT["text"])  # in the corpus: held back by the run
    engine = indexed_engine(make_settings(tmp_path), models, 4)  # the 3 sample releases and the appointment
    tasks = [
        WatchTask(CFO, ["Dana Whitfield"], "orbital.txt", True),
        WatchTask("What did Keystone Pharma pay to settle the case?", ["$5 million"], "keystone", False),
    ]
    added = [
        make_document(APPOINTMENT["text"], doc_id="orbital.txt", title=APPOINTMENT["title"]),
        make_document(UNRELATED["text"], doc_id=UNRELATED["doc_id"], title=UNRELATED["title"]),
    ]
    run = run_watches(engine, tasks, added, batch=1, log=lambda _: None)
    summary = run.summary()
    assert (summary["precision"], summary["recall"], summary["hits"]) == (1.0, 1.0, 1)
    assert summary["releases_added"] == 2 and summary["reads_per_release"] == 0.5  # the lease: read for neither
    engine.close()


def test_similarity_curve_keeps_every_gold_release_at_no_floor_and_fewer_as_it_rises(corpus_engine):
    rows = [json.loads(line) for line in (ROOT / "eval" / "questions.jsonl").read_text().splitlines()]
    pairs = [(r["question"], r["source"]) for r in rows if r.get("source")]
    result = similarity_curve(corpus_engine, pairs, floors=(-1.0, 0.3, 0.9))
    assert result["pairs"] == len(pairs) and result["releases"] == 3
    kept = [point["gold_kept"] for point in result["curve"]]
    read = [point["others_read"] for point in result["curve"]]
    assert kept[0] == 1.0 and read[0] == 1.0 and kept == sorted(kept, reverse=True) and read[2] < read[1]
    assert kept[1] > read[1]  # a question is nearer its own release than the others


def test_the_threshold_curve_and_the_lowest_threshold_precise_on_every_kind():
    rows = [
        {"watch": 1, "doc_id": "a", "score": 0.95, "right": True},
        {"watch": 1, "doc_id": "b", "score": 0.54, "right": False},
        {"watch": 2, "doc_id": "c", "score": 0.62, "right": True},
        {"watch": 3, "doc_id": "d", "score": 0.58, "right": False},
    ]
    curve = threshold_curve(rows, watches=4, thresholds=(0.5, 0.55, 0.6))
    assert [(c["hits"], c["precision"], c["recall"]) for c in curve] == [(4, 0.5, 0.5), (3, 2 / 3, 0.5), (2, 1.0, 0.5)]
    precise = [{"precision": p} for p in (0.5, 0.8, 0.95, 0.97, 0.99, 1.0, 1.0, 1.0, 1.0)]
    late = [{"precision": p} for p in (0.5, 0.5, 0.5, 0.92, 0.95, 1.0, 1.0, 1.0, 1.0)]
    assert choose_threshold({"wire": precise, "hhs": late}) == 0.65
    assert choose_threshold({"wire": [{"precision": None}] * 9}) is None


def test_the_joint_choice_raises_the_floor_when_it_buys_precision_without_losing_recall():
    wire = [
        {"watch": 1, "doc_id": "a", "score": 0.78, "similarity": 0.62, "right": True},
        {"watch": 2, "doc_id": "b", "score": 0.78, "similarity": 0.44, "right": False},
    ]
    hhs = [{"watch": 1, "doc_id": "c", "score": 0.95, "similarity": 0.7, "right": True}]
    chosen = joint_choice({"wire": wire, "hhs": hhs}, {"wire": 2, "hhs": 1})
    assert chosen["floor"] == 0.6 and chosen["threshold"] == 0.5  # the 0.44 release is not read any more
    assert chosen["kinds"]["wire"]["precision"] == 1.0 and chosen["mean_recall"] == 0.75
    assert joint_choice({"wire": [{**wire[1], "similarity": 0.9}]}, {"wire": 1}) == {}  # nothing precise enough
