"""The selection suite: whole releases of every kind held out, each kind asked over a corpus of its own kind.

Models, thresholds and calibration are chosen on the mean over kinds, never on DOJ alone: a reader that is
right on DOJ releases (the kind with most training questions) can still pick the wrong type of answer on a
company's release. The held-out releases are defined here once; training leaves out the same releases.
"""

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from pressqa.evaluation.corpus_index import use_corpus_index
from pressqa.evaluation.evaluate import (
    EvalResult,
    QAItem,
    Record,
    answer_text,
    calibration_summary,
    evaluate,
    is_right,
    summarize,
)
from pressqa.metrics import percentiles
from pressqa.reader.calibration import RIGHT_F1, Calibration, fit
from pressqa.service.qa import PressQA

DOJ_HELD_OUT = 0.2  # of the DOJ training releases, drawn with SPLIT_SEED
SPLIT_SEED = 13
TYPED = frozenset({"person", "org", "date", "money", "number", "place"})  # kinds an answer's entity can show


@dataclass(frozen=True)
class ReleaseKind:
    """One kind of release: its question file and releases under `../shared/data`, and what is held out.

    `batch`: the id prefix of a whole batch of questions over disjoint releases; without it a fraction of the
    releases is drawn (`held_out_fraction`). `whole_corpus`: ask over every release of the file (else only
    over the releases the question file asks about)."""

    name: str
    questions: str
    releases: str
    batch: str | None = None
    whole_corpus: bool = True


KINDS = (
    ReleaseKind("doj", "releases/qa/train.jsonl", "releases/doj_releases.jsonl", whole_corpus=False),
    ReleaseKind("wire", "releases/qa/train_wire.jsonl", "releases/wire_releases.jsonl", batch="w2-"),
    ReleaseKind("hhs", "releases/qa/train_hhs.jsonl", "releases/hhs_releases.jsonl", batch="h1-2-"),
)


class SuiteInputError(ValueError):
    """Missing or unreadable suite data; the message names the file."""


def kind_named(name: str) -> ReleaseKind:
    for kind in KINDS:
        if kind.name == name:
            return kind
    raise SuiteInputError(f"unknown kind {name!r}: use {', '.join(k.name for k in KINDS)}")


def held_out_fraction(release_ids: list[str], fraction: float = DOJ_HELD_OUT, seed: int = SPLIT_SEED) -> set[str]:
    """A seeded draw of `fraction` of the releases (sorted, shuffled, the first ones): whole releases held out."""
    order = sorted(set(release_ids))
    random.Random(seed).shuffle(order)
    return set(order[: int(round(len(order) * fraction))])


def read_rows(path: Path) -> list[dict]:
    if not path.is_file():
        raise SuiteInputError(f"no question file at {path}")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def held_out_releases(kind: ReleaseKind, rows: list[dict], present: set[str]) -> set[str]:
    """The releases of `kind` held out from training, of those its questions ask about that are `present`."""
    asked = {row["source"] for row in rows if row.get("source") in present}
    if kind.batch:
        return {row["source"] for row in rows if row["id"].startswith(kind.batch) and row["source"] in asked}
    return held_out_fraction(sorted(asked))


@dataclass
class SuitePart:
    """One kind's held-out questions and the corpus file they are asked over."""

    kind: ReleaseKind
    items: list[QAItem]
    corpus: Path
    held_out: set[str] = field(default_factory=set)


def prepare(kind: ReleaseKind, shared: Path, folder: Path) -> SuitePart:
    """Write `kind`'s corpus under `folder` (once; its index is cached by content) and return its questions."""
    releases = shared / kind.releases
    if not releases.is_file():
        raise SuiteInputError(f"no releases at {releases}")
    rows = read_rows(shared / kind.questions)
    records = [json.loads(line) for line in releases.open(encoding="utf-8") if line.strip()]
    present = {r["id"] for r in records}
    held = held_out_releases(kind, rows, present)
    items = [_item(row) for row in rows if row.get("source") in held]
    asked = {row["source"] for row in rows}
    corpus = [r for r in records if kind.whole_corpus or r["id"] in asked]
    path = folder / kind.name / "releases.jsonl"
    text = "".join(json.dumps({k: r.get(k) for k in ("id", "title", "date", "text", "url")}) + "\n" for r in corpus)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return SuitePart(kind, items, path, held)


def _item(row: dict) -> QAItem:
    answers = [answer_text(a) for a in row["answers"]]
    return QAItem(row["id"], row["question"], answers, row["source"] if answers else None, row.get("kind"))


@dataclass
class SuiteResult:
    results: dict[str, EvalResult]  # per kind

    def table(self) -> dict[str, dict]:
        """Each kind's figures and their mean over kinds (the figure selection reads)."""
        rows = {name: kind_figures(result) for name, result in self.results.items()}
        if rows:
            rows["mean"] = {key: _mean([row[key] for row in rows.values()]) for key in next(iter(rows.values()))}
        return rows

    def to_json(self) -> dict:
        return {
            "table": self.table(),
            "kinds": {name: result.to_json() for name, result in self.results.items()},
        }


def _mean(values: list) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


def kind_figures(result: EvalResult) -> dict:
    """The suite's figures for one kind's run at its threshold."""
    records, threshold = result.records, result.threshold
    summary = summarize(records, threshold)
    answerable = [r for r in records if r.answerable]
    unanswerable = [r for r in records if not r.answerable]
    return {
        "questions": len(records),
        "answerable": len(answerable),
        "em": summary["answerable_scores"]["em"],
        "f1": summary["answerable_scores"]["f1"],
        "f1_never_abstaining": _mean([r.candidate_f1 for r in answerable]),
        "answerable_abstained": _mean([float(not _answered(r, threshold)) for r in answerable]),
        "unanswerable": len(unanswerable),
        "unanswerable_answered": _mean([float(_answered(r, threshold)) for r in unanswerable]),
        "wrong_type": wrong_type_share(records, threshold),
        "cited_release": summary["retrieval"]["cited_release"],
        "ece": calibration_summary(result)["ece"],
        "cost": answer_cost(records, threshold),
        "reader_ms_median": percentiles([r.reader_ms for r in records])["median"],
    }


def _answered(record: Record, threshold: float) -> bool:
    return record.candidate is not None and record.score >= threshold


def wrong_type_share(records: list[Record], threshold: float, answered_only: bool = False) -> float | None:
    """Of the answerable questions asking for a typed kind (person, org, date, money, number, place), the share
    whose best candidate is wrong and of another kind (the entity it covers, as spaCy labels it).

    A right answer is never of the wrong type, whatever spaCy calls it ("10 years" is a DATE to spaCy and the
    number asked for). The best candidate is counted whether or not it cleared the threshold: a wrong type read
    with low confidence is still a wrong reading (`answered_only` counts only answers given)."""
    typed = [r for r in records if r.answerable and r.kind in TYPED and r.candidate is not None]
    if answered_only:
        typed = [r for r in typed if _answered(r, threshold)]
    if not typed:
        return None
    return sum(r.candidate_f1 < RIGHT_F1 and (r.answer_kind or "thing") != r.kind for r in typed) / len(typed)


def fit_across(results: dict[str, EvalResult], weights: Path) -> Calibration:
    """One calibration for every kind: fitted on the raw scores of all kinds' runs, each kind weighing the same."""
    scored = {name: [r for r in result.records if r.candidate is not None] for name, result in results.items()}
    records = [r for rows in scored.values() for r in rows]
    balance = [1.0 / len(rows) for rows in scored.values() for _ in rows]
    fitted_on = "raw scores of the selection suite's held-out releases: " + ", ".join(
        f"{name} ({len(result.records)} questions)" for name, result in results.items()
    )
    return fit([r.score for r in records], [is_right(r) for r in records], weights, fitted_on, balance)


def cross_calibrated(results: dict[str, EvalResult], weights: Path) -> dict[str, EvalResult]:
    """Each kind's run with its scores calibrated by a map fitted on the other kinds only: what a calibration
    fitted across kinds does on a kind it has never seen (the figures the threshold and models are chosen on)."""
    out = {}
    for name, result in results.items():
        others = {other: res for other, res in results.items() if other != name}
        calibration = fit_across(others, weights)
        records = [replace(r, score=calibration.probability(r.score)) for r in result.records]
        out[name] = EvalResult(result.name, result.threshold, records, result.bands)
    return out


WRONG_COST, ABSTAIN_COST = 1.0, 0.8  # a wrong answer costs a user more than a needless "the releases don't say"


def answer_cost(records: list[Record], threshold: float) -> float:
    """What answering at `threshold` costs a user, per question: each wrong answer given costs 1, each right
    answer held back 0.8 (an abstention on a question whose best candidate was wrong costs nothing)."""
    cost = 0.0
    for r in records:
        right = is_right(r)
        if _answered(r, threshold):
            cost += 0.0 if right else WRONG_COST
        elif right:
            cost += ABSTAIN_COST
    return cost / max(len(records), 1)


def best_threshold(results: dict[str, EvalResult]) -> tuple[float, float]:
    """The threshold (in steps of 0.05) with the least mean cost over kinds, and that cost."""
    steps = [round(0.05 * k, 2) for k in range(1, 20)]
    costs = {t: sum(answer_cost(r.records, t) for r in results.values()) / len(results) for t in steps}
    best = min(steps, key=lambda t: (costs[t], abs(t - 0.5)))
    return best, costs[best]


def run_suite(
    engine: PressQA,
    shared: Path,
    folder: Path,
    kinds: list[ReleaseKind],
    progress: bool = True,
    log: Callable[[str], None] = print,
    within_release: bool = False,
) -> SuiteResult:
    """Ask each kind's held-out questions open-domain over its corpus (indexed once, cached); `within_release`:
    each of its own release only, as a follow-up is read in the release the previous answer cited."""
    results = {}
    for kind in kinds:
        part = prepare(kind, shared, folder)
        answerable = sum(1 for item in part.items if item.answers)
        log(
            f"{kind.name}: {len(part.items)} held-out questions ({answerable} answerable) over "
            f"{len(part.held_out)} releases, asked over {part.corpus}"
        )
        use_corpus_index(engine, [part.corpus], progress, log=log)
        name = f"suite-{kind.name}"
        results[kind.name] = evaluate(engine, name, part.items, progress=progress, oracle=within_release)
    return SuiteResult(results)


def suite_lines(result: SuiteResult) -> list[str]:
    """The per-kind table as text."""
    head = (
        f"{'kind':<6} {'ans':>4} {'EM':>6} {'F1':>6} {'F1 all':>7} {'abst.':>6} {'unans':>5} {'answ.':>6} "
        f"{'type✗':>6} {'cited':>6} {'ECE':>6} {'cost':>5} {'ms':>5}"
    )
    lines = [head]
    for name, row in result.table().items():
        lines.append(
            f"{name:<6} {_n(row['answerable'])} {_pct(row['em'])} {_pct(row['f1'])} "
            f"{_pct(row['f1_never_abstaining'], 7)} "
            f"{_pct(row['answerable_abstained'])} {_n(row['unanswerable'], 5)} {_pct(row['unanswerable_answered'])} "
            f"{_pct(row['wrong_type'])} {_pct(row['cited_release'])} {_f(row['ece'])} {_f(row['cost'], 5, 2)} "
            f"{_f(row['reader_ms_median'], 5, 0)}"
        )
    return lines


def _n(value, width: int = 4) -> str:
    return f"{value:>{width}.0f}" if value is not None else " " * (width - 1) + "–"


def _pct(value, width: int = 6) -> str:
    return f"{100 * value:>{width}.1f}" if value is not None else " " * (width - 1) + "–"


def _f(value, width: int = 6, digits: int = 3) -> str:
    return f"{value:>{width}.{digits}f}" if value is not None else " " * (width - 1) + "–"
