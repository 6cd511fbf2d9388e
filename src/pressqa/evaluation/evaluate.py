"""Score answers and retrieval against a question set: the project's JSONL set or SQuAD-format JSON."""

import json
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pressqa.ingest.load import make_document
from pressqa.ingest.pipeline import ingest_documents
from pressqa.metrics import abstention, answer_scores, first_hit_rank, mrr_at_k, percentiles, recall_at_k
from pressqa.progress import track
from pressqa.reader.answer_kind import answer_kind
from pressqa.reader.calibration import RIGHT_F1, expected_calibration_error, reliability
from pressqa.retrieval.retrieve import Filters, Mode
from pressqa.schema import Document, Passage
from pressqa.service.qa import PressQA

KS = (1, 3, 5, 10)


class EvalInputError(ValueError):
    """A question file that cannot be read; the message names the file and the line."""


@dataclass
class QAItem:
    id: str
    question: str
    answers: list[str]
    doc_id: str | None = None  # the gold document, when known
    kind: str | None = None  # what the question asks for: person, org, date, money, number, place, thing
    hard: bool | None = None  # needs more than matching the question's words to one sentence


@dataclass
class Record:
    """One question's outcome."""

    id: str
    question: str
    answers: list[str]
    prediction: str | None
    candidate: str | None
    score: float
    em: float
    f1: float
    candidate_f1: float
    hit_rank: int | None
    cited_hit: bool
    retrieval_ms: float
    reader_ms: float
    cited_doc: str | None = None
    cited_passage: str | None = None
    retriever_hit_rank: int | None = None  # before the reader reorders the passages
    kind: str | None = None
    hard: bool | None = None
    answer_kind: str | None = None  # the kind of the best candidate, from the entities it covers
    source: str | None = None  # the gold document, when known
    cited_family: list[str] = field(default_factory=list)  # the cited release's re-posts: citing one is right

    @property
    def answerable(self) -> bool:
        return bool(self.answers)


@dataclass
class EvalResult:
    name: str
    threshold: float
    records: list[Record] = field(default_factory=list)
    bands: tuple[float, float] = (0.9, 0.7)  # the high and medium confidence cut-offs

    def summary(self) -> dict:
        return {**summarize(self.records, self.threshold), "calibration": calibration_summary(self)}

    def to_json(self) -> dict:
        return {
            "set": self.name,
            "threshold": self.threshold,
            "summary": self.summary(),
            "records": [asdict(r) for r in self.records],
        }


def load_questions(path: Path) -> list[QAItem]:
    """The project's format: one {"id", "question", "answers", "source"?} object per line."""
    items = []
    for number, line in enumerate(_read(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            items.append(
                QAItem(
                    str(row.get("id", number)),
                    str(row["question"]),
                    [answer_text(a) for a in row.get("answers", [])],
                    row.get("source"),
                    row.get("kind"),
                    None if row.get("hard") is None else bool(row["hard"]),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise EvalInputError(f"{path}:{number}: not a question object ({exc})") from exc
    if not items:
        raise EvalInputError(f"{path}: no questions")
    return items


def answer_text(answer: object) -> str:
    """A gold answer as a string; training files give {"text", "answer_start"} objects."""
    return str(answer["text"]) if isinstance(answer, dict) else str(answer)


def load_squad(path: Path) -> tuple[list[Document], list[QAItem]]:
    """SQuAD 1.1/2.0 JSON: each context becomes a document titled by its article; every question is kept."""
    try:
        data = json.loads(_read(path))["data"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise EvalInputError(f"{path}: not SQuAD JSON ({exc})") from exc
    documents, items = [], []
    for a, article in enumerate(data):
        title = str(article.get("title", "")).replace("_", " ")
        for p, paragraph in enumerate(article["paragraphs"]):
            doc = make_document(paragraph["context"], f"{a:03d}-{p:03d}", title=title or None)
            documents.append(doc)
            for qa in paragraph["qas"]:
                golds = [] if qa.get("is_impossible") else list(dict.fromkeys(x["text"] for x in qa["answers"]))
                items.append(QAItem(str(qa["id"]), qa["question"], golds, doc.doc_id))
    return documents, items


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalInputError(f"cannot read {path}: {exc}") from exc


def build_temporary_index(engine: PressQA, documents: list[Document], folder: Path, progress: bool) -> None:
    """Index `documents` in `folder` with the engine's model and settings, and point the engine at it."""
    settings = engine.settings.model_copy(update={"index_dir": folder})
    ingest_documents(documents, settings, engine.embedder, engine.analyzer, "eval", progress)
    engine.use_index(folder)


def evaluate(
    engine: PressQA,
    name: str,
    items: list[QAItem],
    mode: Mode = Mode.hybrid,
    progress: bool = False,
    oracle: bool = False,
) -> EvalResult:
    """Ask every question against the whole index (open-domain), or only its gold document (`oracle`)."""
    settings = engine.settings
    bands = (settings.high_confidence, settings.medium_confidence)
    result = EvalResult(name + (" (oracle)" if oracle else ""), settings.no_answer_threshold, bands=bands)
    for item in track(items, "questions", show=progress):
        result.records.append(_evaluate_one(engine, item, mode, oracle))
    return result


def _evaluate_one(engine: PressQA, item: QAItem, mode: Mode, oracle: bool = False) -> Record:
    # Oracle mode hands the reader the gold document's passages only: reader quality apart from retrieval.
    filters = Filters(doc_ids=[item.doc_id]) if oracle and item.doc_id else None
    vector, retrieved, timings = engine.retrieve(item.question, max(KS), mode, filters)
    ranked = retrieved.passages
    retrieved.passages = ranked[: engine.settings.top_k]
    outcome = engine.answer(item.question, vector, retrieved, timings)
    # The ranking a user sees: the read passages in the reader's order, then the rest as retrieved.
    final = outcome.passages + ranked[engine.settings.top_k :]
    best = outcome.best_candidate
    prediction = outcome.answer.text if outcome.answer else None
    em, f1 = answer_scores(prediction, item.answers)
    cited = next((p for p in retrieved.passages if best and p.chunk.chunk_id == best.chunk_id), None)
    return Record(
        id=item.id,
        question=item.question,
        answers=item.answers,
        prediction=prediction,
        candidate=best.text if best else None,
        score=best.score if best else 0.0,
        em=em,
        f1=f1,
        candidate_f1=answer_scores(best.text, item.answers)[1] if best and item.answers else 0.0,
        hit_rank=first_hit_rank([_is_hit(p, item) for p in final]),
        cited_hit=bool(cited and _is_hit(cited, item)),
        retrieval_ms=timings["embed"] + timings["retrieve"],
        reader_ms=outcome.timings_ms["read"],
        cited_doc=cited.chunk.doc_id if cited else None,
        cited_family=[d.doc_id for d in cited.also_published_by] if cited else [],
        cited_passage=cited.chunk.text if cited else None,
        retriever_hit_rank=first_hit_rank([_is_hit(p, item) for p in ranked]),
        kind=item.kind,
        hard=item.hard,
        answer_kind=answer_kind(best, cited.chunk) if best and cited else None,
        source=item.doc_id,
    )


def _is_hit(passage: Passage, item: QAItem) -> bool:
    """A passage from the gold document or one of its re-posts (any document when unknown) with a gold answer."""
    if not item.answers or (item.doc_id and item.doc_id not in _releases(passage)):
        return False
    return any(answer in passage.chunk.text for answer in item.answers)


def _releases(passage: Passage) -> set[str]:
    """The release a passage comes from and the other releases of its family, which it stands for."""
    return {passage.chunk.doc_id, *(d.doc_id for d in passage.also_published_by)}


def summarize(records: list[Record], threshold: float) -> dict:
    """Every metric of a run, with answers re-decided at `threshold` from the recorded scores."""
    answered = [r.candidate is not None and r.score >= threshold for r in records]
    scored = [_rescore(r, a) for r, a in zip(records, answered, strict=True)]
    answerable = [r.answerable for r in records]
    ranks = [r.hit_rank for r in records if r.answerable]
    retriever_ranks = [r.retriever_hit_rank for r in records if r.answerable]
    n_ans = sum(answerable)
    n_unans = len(records) - n_ans

    def mean(values: list[float]) -> float:
        return sum(values) / len(values) if values else 0.0

    return {
        "questions": len(records),
        "answerable": n_ans,
        "unanswerable": n_unans,
        "threshold": threshold,
        "overall": {"em": mean([em for em, _ in scored]), "f1": mean([f1 for _, f1 in scored])},
        "answerable_scores": {
            "em": mean([em for (em, _), ok in zip(scored, answerable, strict=True) if ok]),
            "f1": mean([f1 for (_, f1), ok in zip(scored, answerable, strict=True) if ok]),
        },
        "unanswerable_abstained": mean([1.0 - a for a, ok in zip(answered, answerable, strict=True) if not ok]),
        "abstention": abstention(answered, answerable),
        "retrieval": {
            **{f"recall@{k}": recall_at_k(ranks, k) for k in KS},
            "mrr@10": mrr_at_k(ranks, 10),
            "citation_accuracy": mean([float(r.cited_hit) for r in records if r.answerable]),
            "cited_release": _cited_release(records),
        },
        "retriever_only": {  # the same before the reader reorders the passages
            **{f"recall@{k}": recall_at_k(retriever_ranks, k) for k in KS},
            "mrr@10": mrr_at_k(retriever_ranks, 10),
        },
        "latency_ms": {
            "retrieval": percentiles([r.retrieval_ms for r in records]),
            "reader": percentiles([r.reader_ms for r in records]),
        },
        **breakdowns(records, answered),
    }


def breakdowns(records: list[Record], answered: list[bool]) -> dict:
    """Per kind and per hard/easy figures, and the kind answered against the kind asked, when the set has them."""
    out: dict = {}
    if any(r.kind for r in records):
        out["by_kind"] = _by(records, answered, lambda r: r.kind or "unknown")
        asked: dict[str, dict[str, int]] = {}
        for record, said in zip(records, answered, strict=True):
            returned = (record.answer_kind or "thing") if said else "abstained"
            row = asked.setdefault(record.kind or "unknown", {})
            row[returned] = row.get(returned, 0) + 1
        out["kind_returned"] = asked
    if any(r.hard is not None for r in records):
        out["by_difficulty"] = _by(records, answered, lambda r: "unknown" if r.hard is None else _hard(r.hard))
    return out


def is_right(record: Record) -> bool:
    """The best candidate is right: the question is answerable and the candidate matches a gold answer."""
    return record.answerable and record.candidate_f1 >= RIGHT_F1


def calibration_summary(result: EvalResult) -> dict:
    """How well scores match the share of right answers: the reliability table, its error, and each band."""
    scored = [r for r in result.records if r.candidate is not None]
    probabilities, right = [r.score for r in scored], [is_right(r) for r in scored]
    high, medium = result.bands
    bands = {}
    for name, low, top in (("high", high, 2.0), ("medium", medium, high), ("low", result.threshold, medium)):
        members = [ok for p, ok in zip(probabilities, right, strict=True) if low <= p < top]
        bands[name] = {"from": low, "answers": len(members), "right": sum(members) / len(members) if members else None}
    return {
        "right_means": f"token F1 >= {RIGHT_F1} against a gold answer",
        "ece": expected_calibration_error(probabilities, right),
        "reliability": reliability(probabilities, right),
        "bands": bands,
    }


def _cited_release(records: list[Record]) -> float | None:
    """The share of answerable questions with a known source whose best candidate comes from that release."""
    known = [r for r in records if r.answerable and r.source]
    return sum(r.source in {r.cited_doc, *r.cited_family} for r in known) / len(known) if known else None


def _hard(hard: bool) -> str:
    return "hard" if hard else "easy"


def _by(records: list[Record], answered: list[bool], key) -> dict[str, dict]:
    groups: dict[str, list[int]] = {}
    for i, record in enumerate(records):
        groups.setdefault(key(record), []).append(i)
    out = {}
    for name, members in sorted(groups.items()):
        scores = [_rescore(records[i], answered[i]) for i in members]
        ranks = [records[i].hit_rank for i in members if records[i].answerable]
        out[name] = {
            "questions": len(members),
            "em": sum(em for em, _ in scores) / len(members),
            "f1": sum(f1 for _, f1 in scores) / len(members),
            "abstained": sum(1 for i in members if not answered[i]) / len(members),
            "cited_right": sum(records[i].cited_hit for i in members if records[i].answerable) / max(len(ranks), 1),
            "cited_release": _cited_release([records[i] for i in members]),
            "recall@5": recall_at_k(ranks, 5) if ranks else None,
        }
    return out


def _rescore(record: Record, answered: bool) -> tuple[float, float]:
    return answer_scores(record.candidate if answered else None, record.answers)


def calibrate(records: list[Record]) -> tuple[float, float]:
    """The no-answer threshold that maximises overall F1 on `records`, and that F1."""
    candidates = sorted({0.0, 1.0, *(round(r.score, 4) for r in records)})
    # Between two recorded scores every threshold gives the same F1: take the midpoint of the best gap.
    thresholds = [(a + b) / 2 for a, b in zip(candidates, candidates[1:], strict=False)] + [0.0]
    best = max(thresholds, key=lambda t: (summarize(records, t)["overall"]["f1"], -abs(t - 0.5)))
    return round(best, 4), summarize(records, best)["overall"]["f1"]


def iter_failures(records: list[Record], threshold: float) -> Iterator[tuple[Record, float]]:
    """Records whose (re-decided) answer scores below full F1, worst first."""
    rows = []
    for r in records:
        answered = r.candidate is not None and r.score >= threshold
        _, f1 = _rescore(r, answered)
        if f1 < 1.0:
            rows.append((r, f1))
    yield from sorted(rows, key=lambda row: row[1])


def temporary_folder() -> tempfile.TemporaryDirectory:
    return tempfile.TemporaryDirectory(prefix="pressqa-eval-")
