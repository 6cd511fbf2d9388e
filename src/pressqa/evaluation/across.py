"""Score what analysts do across releases: list answers, entity timelines and follow-up questions.

A set is JSONL, one task per line, each with a "kind":
- list: {"question", "answers": [[aliases of item 1], …], "filters"?}: precision and recall of the items;
- timeline: {"name", "releases": [doc ids, newest first]}: the releases found and their order;
- followup: {"previous", "question", "full", "answers", "source"?, "previous_source"?, "style"?}: EM of the
  follow-up (asked with the release the previous answer cited, as the page asks it) against the same question
  asked in full, and how often it is answered from that release when its gold is there.
"""

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from pressqa.evaluation.evaluate import EvalInputError
from pressqa.metrics import answer_scores, f1_score
from pressqa.retrieval.retrieve import Filters
from pressqa.service.conversation import Request, Turn, ask, read_previous_release
from pressqa.service.qa import PressQA
from pressqa.service.timeline import timeline

KINDS = {"list": ("question", "answers"), "timeline": ("name", "releases"), "followup": ("previous", "question")}
MATCH_F1 = 0.5  # a listed answer is an expected item when its token F1 with one of the item's names reaches this


@dataclass
class AcrossResult:
    name: str
    list_threshold: float = 0.0  # the engine's: the list figures are the items given at it
    lists: list[dict] = field(default_factory=list)
    timelines: list[dict] = field(default_factory=list)
    followups: list[dict] = field(default_factory=list)

    def summary(self) -> dict:
        return {
            "list": summarize_lists(self.lists, self.list_threshold),
            "timeline": summarize_timelines(self.timelines),
            "followup": summarize_followups(self.followups),
        }

    def to_json(self) -> dict:
        return {"set": self.name, "summary": self.summary(), **asdict(self)}


def load_tasks(path: Path) -> list[dict]:
    """The tasks of a set; EvalInputError names the line that is not one."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalInputError(f"cannot read {path}: {exc}") from exc
    tasks = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            task = json.loads(line)
            needed = KINDS[task["kind"]]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise EvalInputError(f"{path}:{number}: not a list, timeline or followup task ({exc})") from exc
        missing = [key for key in needed if key not in task]
        if missing:
            raise EvalInputError(f"{path}:{number}: a {task['kind']} task needs {', '.join(missing)}")
        tasks.append(task)
    if not tasks:
        raise EvalInputError(f"{path}: no tasks")
    return tasks


def evaluate_across(
    engine: PressQA, name: str, tasks: list[dict], log: Callable[[str], None] = lambda _: None
) -> AcrossResult:
    policy = engine.components.policy
    threshold = policy.threshold if policy.list_threshold is None else policy.list_threshold
    result = AcrossResult(name, threshold)
    score = {"list": (score_list, result.lists), "timeline": (score_timeline, result.timelines),
             "followup": (score_followup, result.followups)}  # fmt: skip
    engine.components.policy = replace(policy, list_threshold=0.0)  # every item, each with its score
    try:
        for n, task in enumerate(tasks, start=1):
            scorer, records = score[task["kind"]]
            records.append(scorer(engine, task))
            if n % 5 == 0 or n == len(tasks):
                log(f"{n}/{len(tasks)} tasks")
    finally:
        engine.components.policy = policy
    return result


# ---- lists -------------------------------------------------------------------------------------
def score_list(engine: PressQA, task: dict) -> dict:
    """Every item the list could give (its policy's list threshold set to 0 by `evaluate_across`), each with its
    score and the expected item it names: the figures at any threshold are then read off the same run."""
    filters = Filters(**task["filters"]) if task.get("filters") else None
    count = task.get("count", engine.settings.auto_list_answers)
    t0 = time.perf_counter()
    result = engine.ask(task["question"], filters=filters, answers=count)
    elapsed = 1000 * (time.perf_counter() - t0)
    given = [a.text for a in result.answers]
    matched = match_items(given, task["answers"])
    return {
        "id": task.get("id"),
        "question": task["question"],
        "items": [
            {"text": a.text, "score": round(a.score, 4), "doc_id": a.doc_id, "match": m}
            for a, m in zip(result.answers, matched, strict=True)
        ],
        "expected": len(task["answers"]),
        "ms": round(elapsed, 1),
    }


def given_items(record: dict, threshold: float) -> list[dict]:
    """The items a list gives at `threshold` (its items are in score order, each family's best)."""
    return [item for item in record["items"] if item["score"] >= threshold]


def match_items(given: list[str], expected: list[list[str]]) -> list[int | None]:
    """For each answer given, the expected item it names (each item counted once), or None."""
    taken: set[int] = set()
    matched = []
    for text in given:
        best = max(
            ((max(f1_score(text, alias) for alias in item), i) for i, item in enumerate(expected) if i not in taken),
            default=(0.0, None),
        )
        hit = best[1] if best[0] >= MATCH_F1 else None
        if hit is not None:
            taken.add(hit)
        matched.append(hit)
    return matched


def summarize_lists(records: list[dict], threshold: float = 0.0) -> dict:
    """Precision and recall of the items given at `threshold`."""
    given = [given_items(r, threshold) for r in records]
    right = sum(item["match"] is not None for items in given for item in items)
    found = sum(len({item["match"] for item in items} - {None}) for items in given)
    count = sum(len(items) for items in given)
    return {
        "tasks": len(records),
        "threshold": threshold,
        "precision": right / count if count else None,
        "recall": found / max(sum(r["expected"] for r in records), 1),
        "answers_given": count,
        "median_ms": _median([r["ms"] for r in records]),
    }


def list_curve(records: list[dict], thresholds: list[float]) -> list[dict]:
    """List precision and recall at each threshold: what choosing the list threshold reads."""
    return [summarize_lists(records, t) for t in thresholds]


# ---- timelines ---------------------------------------------------------------------------------
def score_timeline(engine: PressQA, task: dict) -> dict:
    t0 = time.perf_counter()
    with engine.reading() as index:
        entries = timeline(index, task["name"])
    elapsed = 1000 * (time.perf_counter() - t0)
    position = {}  # every release shown, through its family's entry: its place in the list
    for rank, entry in enumerate(entries):
        for doc in [entry.doc, *entry.also_published_by]:
            position[doc.doc_id] = rank
    expected = task["releases"]
    found = [d for d in expected if d in position]
    pairs = [(a, b) for i, a in enumerate(found) for b in found[i + 1 :] if position[a] != position[b]]
    return {
        "id": task.get("id"),
        "name": task["name"],
        "listed": [e.doc.doc_id for e in entries],
        "expected": len(expected),
        "found": len(found),
        "extra": len({position[d] for d in position} - {position[d] for d in found}),
        "pairs": len(pairs),
        "pairs_in_order": sum(position[a] < position[b] for a, b in pairs),  # expected lists newest first
        "ms": round(elapsed, 1),
    }


def summarize_timelines(records: list[dict]) -> dict:
    listed = sum(len(r["listed"]) for r in records)
    pairs = sum(r["pairs"] for r in records)
    return {
        "tasks": len(records),
        "recall": sum(r["found"] for r in records) / max(sum(r["expected"] for r in records), 1),
        "precision": (listed - sum(r["extra"] for r in records)) / listed if listed else None,
        "order": sum(r["pairs_in_order"] for r in records) / pairs if pairs else None,
        "median_ms": _median([r["ms"] for r in records]),
    }


# ---- follow-ups --------------------------------------------------------------------------------
def score_followup(engine: PressQA, task: dict) -> dict:
    """Ask the previous question, then the follow-up as the page does (with the release the previous answer
    cited as its context), and the same follow-up written out in full as a first question."""
    previous = engine.ask(task["previous"]).answer
    turn = Turn(task["previous"], previous.doc_id, previous.text) if previous else Turn(task["previous"])
    t0 = time.perf_counter()
    asked = ask(engine, Request(task["question"]), turn)
    elapsed = 1000 * (time.perf_counter() - t0)
    followed = asked.result.answer
    t0 = time.perf_counter()
    full = engine.ask(task["full"]).answer if task.get("full") else None
    full_elapsed = 1000 * (time.perf_counter() - t0)
    em, f1 = answer_scores(followed.text if followed else None, task["answers"])
    full_em, full_f1 = answer_scores(full.text if full else None, task["answers"])
    source = task.get("source")
    asked_as = asked.understood_as or task["question"]
    return {
        **_both_ways(engine, task["answers"], asked_as, previous, asked),
        "id": task.get("id"),
        "style": task.get("style"),
        "answerable": bool(task["answers"]),
        "question": task["question"],
        "understood_as": asked.understood_as,
        "full": task.get("full"),
        "answer": followed.text if followed else None,
        "full_answer": full.text if full else None,
        "em": em,
        "f1": f1,
        "full_em": full_em,
        "full_f1": full_f1,
        "anchored": asked.anchored,
        # The follow-up's answer is in the release the previous answer cited: it should be answered from there.
        "gold_in_previous": bool(source and previous and previous.doc_id == source == task.get("previous_source")),
        "answered_from_previous": bool(previous and followed and followed.doc_id == previous.doc_id),
        "ms": round(elapsed, 1),
        "full_ms": round(full_elapsed, 1),
    }


def _both_ways(engine: PressQA, golds: list[str], question: str, previous, asked) -> dict:
    """The follow-up read in the previous answer's release whatever its score, and asked of the whole index:
    what `pressqa followup-threshold` reads the answer at any threshold from."""
    read = read_previous_release(engine, Request(question), question, previous.doc_id) if previous else None
    candidate = read.best_candidate if read else None
    whole = engine.ask(question).answer if asked.anchored else asked.result.answer
    return {
        "previous_release_candidate": _scored(candidate, golds, previous),
        "whole_index": _scored(whole, golds, previous),
    }


def _scored(answer, golds: list[str], previous) -> dict | None:
    if answer is None:
        return None
    em, f1 = answer_scores(answer.text, golds)
    from_previous = bool(previous and answer.doc_id == previous.doc_id)
    return {"text": answer.text, "score": round(answer.score, 4), "em": em, "f1": f1, "from_previous": from_previous}


def summarize_followups(records: list[dict]) -> dict:
    n = max(len(records), 1)
    there = [r for r in records if r.get("gold_in_previous")]
    return {
        "tasks": len(records),
        "rewritten": sum(r["understood_as"] is not None for r in records) / n,
        "em": sum(r["em"] for r in records) / n,
        "f1": sum(r["f1"] for r in records) / n,
        "full_em": sum(r["full_em"] for r in records) / n,
        "full_f1": sum(r["full_f1"] for r in records) / n,
        "gold_in_previous": len(there),
        "from_previous": sum(r["answered_from_previous"] for r in there) / len(there) if there else None,
        "median_ms": _median([r["ms"] for r in records if "ms" in r]),
        "full_median_ms": _median([r["full_ms"] for r in records if "full_ms" in r]),
    }


def _median(values: list[float]) -> float | None:
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else None
