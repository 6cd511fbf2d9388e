"""pressqa eval-watches: do saved questions alert on the release that answers them, and at what cost?

Questions of DOJ training releases that training held out (the selection suite's releases) are saved as watches
over a DOJ corpus without their releases; then the releases that answer some of them are added with others that
answer none, in batches, as a feed would bring them. A hit is right when its span matches a gold answer (token F1
≥ 0.5); precision is over every hit recorded, recall over the watches whose release was added. The cost is the
time `check_releases` takes per added release, per 100 saved questions.

`similarity_curve` chooses the watch filter's cosine on *training* questions of the three kinds (releases
training used, never the ones measured here): how many gold releases each floor keeps, and how many others.
"""

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pressqa.evaluation.suite import KINDS, SPLIT_SEED, held_out_releases, read_rows
from pressqa.ingest.load import make_document
from pressqa.metrics import answer_scores
from pressqa.reader.calibration import RIGHT_F1
from pressqa.retrieval.watch_table import Hit, Watch
from pressqa.schema import Document
from pressqa.service.qa import PressQA
from pressqa.service.watches import check_releases, nearest, question_vectors, read_release, to_read

_SLICE = 5000
FLOORS = (0.0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5)


@dataclass(frozen=True)
class WatchTask:
    question: str
    answers: list[str]
    source: str  # the release that answers it
    added: bool  # its release is added during the run (else it should never be hit)


@dataclass
class WatchRun:
    tasks: list[WatchTask]
    hits: list[Hit] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)  # check_releases per batch
    releases: list[int] = field(default_factory=list)  # releases per batch
    reads: int = 0  # (question, release) pairs the filters let through to the reader

    def summary(self, threshold: float = 0.0) -> dict:
        """The figures for the hits at or above `threshold` (the run records every answer, at any score)."""
        watched = {i + 1: t for i, t in enumerate(self.tasks)}  # watch ids are given in task order
        hits = [h for h in self.hits if h.score >= threshold]
        right = [h for h in hits if _right(h, watched[h.watch_id])]
        added = [i for i, t in watched.items() if t.added]
        found = {h.watch_id for h in right}
        per_watch = [sum(h.watch_id == i for h in hits) for i in added]
        releases = sum(self.releases)
        per_100 = 100 / max(len(self.tasks), 1)
        return {
            "threshold": threshold,
            "watches": len(self.tasks),
            "answered_by_an_added_release": len(added),
            "releases_added": releases,
            "hits": len(hits),
            "right_hits": len(right),
            "precision": len(right) / len(hits) if hits else None,
            "recall": len(found & set(added)) / len(added) if added else None,
            "watches_hit_more_than_once": sum(n > 1 for n in per_watch),
            "reads_per_release": self.reads / max(releases, 1),
            "ms_per_release_per_100": 1000 * sum(self.seconds) / max(releases, 1) * per_100,
        }

    def curve(self, thresholds: tuple[float, ...] = ()) -> list[dict]:
        keys = ("threshold", "hits", "precision", "recall")
        return [{k: self.summary(t)[k] for k in keys} for t in thresholds]


def _right(hit: Hit, task: WatchTask) -> bool:
    return answer_scores(hit.answer, task.answers)[1] >= RIGHT_F1


def watch_tasks(shared: Path, answered: int, total: int, seed: int = SPLIT_SEED) -> list[WatchTask]:
    """One answerable question from each of `total` held-out DOJ training releases (seeded); the first
    `answered` of them have their release added during the run."""
    kind = KINDS[0]
    rows = read_rows(shared / kind.questions)
    present = {row["source"] for row in rows if row.get("source")}
    held = sorted(held_out_releases(kind, rows, present))
    random.Random(seed).shuffle(held)
    by_source: dict[str, list[dict]] = {}
    for row in rows:
        if row.get("source") in set(held) and row["answers"]:
            by_source.setdefault(row["source"], []).append(row)
    chosen = [s for s in held if s in by_source][:total]
    pick = random.Random(seed)
    tasks = []
    for i, source in enumerate(chosen):
        row = pick.choice(by_source[source])
        tasks.append(WatchTask(row["question"], [a["text"] for a in row["answers"]], source, i < answered))
    return tasks


def releases_to_add(
    records: dict[str, dict], tasks: list[WatchTask], indexed: set[str], distractors: int, seed: int = SPLIT_SEED
) -> list[Document]:
    """The added tasks' releases and `distractors` releases no task asks about and the corpus lacks, shuffled."""
    asked = {t.source for t in tasks}
    others = sorted(doc_id for doc_id in records if doc_id not in asked and doc_id not in indexed)
    rng = random.Random(seed)
    ids = [t.source for t in tasks if t.added] + rng.sample(others, min(distractors, len(others)))
    rng.shuffle(ids)
    return [_document(records[i]) for i in ids]


def _document(record: dict) -> Document:
    fields = {k: record.get(k) for k in ("title", "date", "url")}
    return make_document(record["text"], doc_id=record["id"], **fields, source="eval-watches")


def run_watches(
    engine: PressQA, tasks: list[WatchTask], added: list[Document], batch: int, log: Callable[[str], None]
) -> WatchRun:
    """Save the tasks as watches (the index must hold none), then add `added` batch by batch, checking each.
    Each watch keeps its answer at any score (min_confidence 0), so `summary(t)` reads the run at any threshold;
    the reads, and so the cost, are the same as at any other threshold."""
    with engine.reading() as index:
        if index.watches.all():
            raise ValueError("the index already holds saved questions: run on a copy without them")
        present = [t.source for t in tasks if index.store.document(t.source) is not None]
    for doc_id in present:  # held back: the corpus must not hold the releases that answer the watches
        engine.remove_document(doc_id)
    for task in tasks:
        engine.add_watch(task.question, min_confidence=0.0)  # every answer kept: figures at any threshold
    run = WatchRun(tasks)
    for start in range(0, len(added), batch):
        docs = added[start : start + batch]
        for doc in docs:
            engine.add_document(doc, origin="eval-watches")
        ids = [d.doc_id for d in docs]
        with engine.reading() as index:
            watches = index.watches.all()
            texts = {i: f"{d.title}\n{d.text}".lower() for i in ids if (d := index.store.document(i))}
        run.reads += len(to_read(engine, watches, texts))
        t0 = time.perf_counter()
        run.hits += check_releases(engine, ids)
        run.seconds.append(time.perf_counter() - t0)
        run.releases.append(len(ids))
        log(f"{start + len(docs)}/{len(added)} releases added, {len(run.hits)} hits")
    return run


def similarity_curve(engine: PressQA, pairs: list[tuple[str, str]], floors: tuple[float, ...] = FLOORS) -> dict:
    """For (question, gold release) pairs over the engine's index: at each floor, the share of gold releases whose
    nearest sentence clears it (the filter's recall) and the share of the other releases that do (what it reads)."""
    owners: dict[int, str] = {}
    vectors: dict[int, np.ndarray] = {}
    with engine.reading() as index:
        ids = index.store.chunk_ids().tolist()
        for start in range(0, len(ids), _SLICE):  # SQLite binds a bounded number of variables
            part = ids[start : start + _SLICE]
            owners |= index.store.chunk_documents(part)
            vectors |= index.store.sentence_vectors(part)
    docs = sorted(set(owners.values()))
    position = {d: i for i, d in enumerate(docs)}
    pairs = [(q, d) for q, d in pairs if d in position]
    questions = engine.embedder.encode([q for q, _ in pairs]) if pairs else np.zeros((0, 1), np.float32)
    nearest = np.full((len(pairs), len(docs)), -1.0, dtype=np.float32)
    for chunk_id, sentences in vectors.items():
        column = position[owners[chunk_id]]
        sims = (questions @ sentences.astype(np.float32).T).max(axis=1)
        nearest[:, column] = np.maximum(nearest[:, column], sims)
    gold = np.array([position[d] for _, d in pairs], dtype=np.int64)
    own = nearest[np.arange(len(pairs)), gold]
    others = np.ones_like(nearest, dtype=bool)
    others[np.arange(len(pairs)), gold] = False
    curve = []
    for floor in floors:
        kept = float((own >= floor).mean()) if len(pairs) else None
        read = float((nearest >= floor)[others].mean()) if others.any() else None
        curve.append({"floor": floor, "gold_kept": kept, "others_read": read})
    return {"pairs": len(pairs), "releases": len(docs), "curve": curve}


# The corpora the floor is chosen over: each kind's releases (a year of DOJ's, which holds enough training
# releases), cached like every evaluation corpus.
SIMILARITY_CORPORA = {
    "doj": ("releases/doj_releases.jsonl", "2017-01-01", "2017-12-31"),
    "wire": ("releases/wire_releases.jsonl", None, None),
    "hhs": ("releases/hhs_releases.jsonl", None, None),
}


def training_pairs(shared: Path, kind_name: str) -> list[tuple[str, str]]:
    """(question, release) of a kind's answerable training questions over releases training used."""
    kind = next(k for k in KINDS if k.name == kind_name)
    rows = read_rows(shared / kind.questions)
    present = {row["source"] for row in rows if row.get("source")}
    held = held_out_releases(kind, rows, present)
    return [(r["question"], r["source"]) for r in rows if r.get("source") not in held and r["answers"]]


# ---- the saved questions' threshold, chosen on other kinds than the one measured -----------------------------
THRESHOLDS = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9)
SELECTION_KINDS = ("wire", "hhs")  # eval-watches measures on DOJ: its threshold is chosen on these


def held_out_tasks(shared: Path, kind_name: str) -> list[WatchTask]:
    """A kind's answerable questions over the releases training held out (the selection suite's)."""
    kind = next(k for k in KINDS if k.name == kind_name)
    rows = read_rows(shared / kind.questions)
    present = {row["source"] for row in rows if row.get("source")}
    held = held_out_releases(kind, rows, present)
    return [
        WatchTask(r["question"], [a["text"] for a in r["answers"]], r["source"], True)
        for r in rows
        if r.get("source") in held and r["answers"]
    ]


def scored_reads(engine: PressQA, tasks: list[WatchTask], log: Callable[[str], None]) -> list[dict]:
    """Every release of the engine's index read for every saved question the filters let through, as if each
    release had just arrived, with no threshold: the score and whether the answer is right."""
    watches = [Watch(i + 1, t.question, 0.0, "") for i, t in enumerate(tasks)]
    with engine.reading() as index:
        docs = {d.doc_id: d for d in (index.store.document(m.doc_id) for m in index.store.documents()) if d}
    texts = {doc_id: f"{d.title}\n{d.text}".lower() for doc_id, d in docs.items()}
    pairs = to_read(engine, watches, texts)
    vectors = question_vectors(engine, [w.question for w in watches])
    log(f"{len(pairs)} (question, release) pairs to read of {len(watches) * len(docs)}")
    rows = []
    for n, (watch, doc_id) in enumerate(pairs, start=1):
        vector = vectors[watch.id - 1]
        hit = read_release(engine, watch, docs[doc_id], vector)
        if hit is not None:
            task = tasks[watch.id - 1]
            similarity = round(float(nearest(engine, doc_id, vector[None, :])[0]), 4)
            right = _right(hit, task)
            rows.append(
                {"watch": watch.id, "doc_id": doc_id, "score": hit.score, "similarity": similarity, "right": right}
            )
        if n % 500 == 0:
            log(f"{n}/{len(pairs)} read")
    return rows


def threshold_curve(rows: list[dict], watches: int, thresholds: tuple[float, ...] = THRESHOLDS) -> list[dict]:
    """Hit precision and recall (watches with a right hit) at each threshold."""
    curve = []
    for threshold in thresholds:
        hits = [r for r in rows if r["score"] >= threshold]
        right = [r for r in hits if r["right"]]
        curve.append(
            {
                "threshold": threshold,
                "hits": len(hits),
                "precision": len(right) / len(hits) if hits else None,
                "recall": len({r["watch"] for r in right}) / watches if watches else None,
            }
        )
    return curve


def choose_threshold(curves: dict[str, list[dict]], precision: float = 0.9) -> float | None:
    """The lowest threshold whose hit precision reaches `precision` on every kind (None: none does)."""
    for i, threshold in enumerate(THRESHOLDS):
        if all((c[i]["precision"] or 0.0) >= precision for c in curves.values()):
            return threshold
    return None


FLOORS_TRIED = (0.4, 0.45, 0.5, 0.55, 0.6)


def joint_choice(reads: dict[str, list[dict]], watches: dict[str, int], precision: float = 0.9) -> dict:
    """The (similarity floor, threshold) whose hits are right `precision` of the time on every kind with the most
    mean recall (on a tie, the higher floor: fewer reads), and each kind's figures there; a raised floor keeps the
    hits whose release's nearest sentence clears it."""
    best = None
    for floor in FLOORS_TRIED:
        for threshold in THRESHOLDS:
            figures = {}
            for kind, rows in reads.items():
                kept = [r for r in rows if r["similarity"] >= floor]
                figures[kind] = threshold_curve(kept, watches[kind], (threshold,))[0]
            if all((f["precision"] or 0.0) >= precision for f in figures.values()):
                recall = sum(f["recall"] or 0.0 for f in figures.values()) / len(figures)
                if (
                    best is None
                    or recall > best["mean_recall"]
                    or (recall == best["mean_recall"] and floor > best["floor"])
                ):
                    best = {"floor": floor, "threshold": threshold, "mean_recall": recall, "kinds": figures}
    return best or {}
