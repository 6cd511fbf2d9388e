"""Answer and retrieval metrics: SQuAD exact match and F1, recall@k, MRR, abstention, latency percentiles."""

import re
import string
from collections import Counter
from collections.abc import Sequence

import numpy as np

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = set(string.punctuation)


def normalize_answer(text: str) -> str:
    """SQuAD normalisation: lower case, no punctuation, no articles, single spaces."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCT)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(prediction: str, gold: str) -> float:
    return float(normalize_answer(prediction) == normalize_answer(gold))


def f1_score(prediction: str, gold: str) -> float:
    pred, ref = normalize_answer(prediction).split(), normalize_answer(gold).split()
    if not pred or not ref:
        return float(pred == ref)
    common = sum((Counter(pred) & Counter(ref)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def answer_scores(prediction: str | None, golds: Sequence[str]) -> tuple[float, float]:
    """(EM, F1), max over gold answers; with no gold answers, abstaining (None) scores 1 and answering 0."""
    if not golds:
        return (1.0, 1.0) if prediction is None else (0.0, 0.0)
    if prediction is None:
        return 0.0, 0.0
    return max(exact_match(prediction, g) for g in golds), max(f1_score(prediction, g) for g in golds)


def first_hit_rank(hits: Sequence[bool]) -> int | None:
    """1-based rank of the first relevant passage, or None."""
    return next((rank for rank, hit in enumerate(hits, start=1) if hit), None)


def recall_at_k(ranks: Sequence[int | None], k: int) -> float:
    """Share of questions with a relevant passage in the top k."""
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks) if ranks else 0.0


def mrr_at_k(ranks: Sequence[int | None], k: int = 10) -> float:
    return sum(1.0 / r for r in ranks if r is not None and r <= k) / len(ranks) if ranks else 0.0


def abstention(answered: Sequence[bool], answerable: Sequence[bool]) -> dict[str, float]:
    """Precision and recall of abstaining, where abstaining is right exactly on unanswerable questions."""
    abstained = [not a for a in answered]
    true_pos = sum(1 for ab, ok in zip(abstained, answerable, strict=True) if ab and not ok)
    n_abstained, n_unanswerable = sum(abstained), sum(1 for ok in answerable if not ok)
    return {
        "precision": true_pos / n_abstained if n_abstained else 0.0,
        "recall": true_pos / n_unanswerable if n_unanswerable else 0.0,
        "abstained": float(n_abstained),
    }


def percentiles(values_ms: Sequence[float]) -> dict[str, float]:
    if not values_ms:
        return {"median": 0.0, "p95": 0.0}
    return {"median": float(np.median(values_ms)), "p95": float(np.percentile(values_ms, 95))}
