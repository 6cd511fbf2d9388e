"""Training the learned sentence selector on release questions asked over a corpus that holds their releases.

Each answerable question is asked as at query time (retrieval, then every sentence of the retrieved passages
with its features); a sentence of the gold release that holds an answer is a positive, every other sentence a
negative. A logistic regression over the standardised features is the selector. Held-out questions (another
set of releases) measure what matters to the reader: how often what it reads holds the right release and the
answer, against the heuristic's choice.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from pressqa.evaluation.evaluate import QAItem
from pressqa.progress import track
from pressqa.reader.heuristic import FEATURES, sentence_pool
from pressqa.reader.question import analyze_question
from pressqa.reader.selector import SelectorWeights
from pressqa.service.qa import PressQA


@dataclass
class Pools:
    """Per question: the features of its sentences, which hold the answer, which are of the gold release."""

    features: list[np.ndarray] = field(default_factory=list)
    answer: list[np.ndarray] = field(default_factory=list)
    release: list[np.ndarray] = field(default_factory=list)
    heuristic: list[np.ndarray] = field(default_factory=list)


def gather_pools(engine: PressQA, items: list[QAItem], top_k: int, progress: bool = True) -> Pools:
    """Ask each answerable question with a gold release, as the reader would see it."""
    pools = Pools()
    for item in track([i for i in items if i.answers and i.doc_id], "questions", show=progress):
        vector, retrieved, _ = engine.retrieve(item.question, top_k)
        pool = sentence_pool(analyze_question(item.question), vector, retrieved)
        if not pool:
            continue
        gold = np.array([s.chunk.doc_id == item.doc_id for s, _ in pool])
        holds = np.array([any(a in s.text for a in item.answers) for s, _ in pool])
        pools.features.append(np.stack([f for _, f in pool]))
        pools.release.append(gold)
        pools.answer.append(gold & holds)
        pools.heuristic.append(np.array([s.score for s, _ in pool]))
    return pools


def fit_selector(pools: Pools, trained_on: str, c: float = 1.0) -> SelectorWeights:
    """A logistic regression from the features to 'holds the answer'."""
    from sklearn.linear_model import LogisticRegression

    x = np.concatenate(pools.features)
    y = np.concatenate(pools.answer)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    model = LogisticRegression(C=c, max_iter=2000).fit((x - mean) / scale, y)
    return SelectorWeights(
        list(FEATURES),
        [round(float(w), 6) for w in model.coef_[0]],
        round(float(model.intercept_[0]), 6),
        [round(float(m), 6) for m in mean],
        [round(float(s), 6) for s in scale],
        trained_on,
    )


def selection_figures(pools: Pools, score: Callable[[np.ndarray, np.ndarray], np.ndarray], counts: list[int]) -> dict:
    """Per number of sentences read: the share of questions whose read sentences hold the right release,
    and the share where one holds the answer. `score(features, heuristic)` orders the sentences."""
    figures = {}
    for n in counts:
        release = answer = 0
        for features, heuristic, gold, holds in zip(
            pools.features, pools.heuristic, pools.release, pools.answer, strict=True
        ):
            chosen = np.argsort(-score(features, heuristic), kind="stable")[:n]
            release += bool(gold[chosen].any())
            answer += bool(holds[chosen].any())
        total = max(len(pools.features), 1)
        figures[n] = {"right_release": round(release / total, 4), "answer_sentence": round(answer / total, 4)}
    return figures


READS = [1, 2, 3, 4, 5, 6, 8]


def train_selector(engine: PressQA, training: list[QAItem], held_out: list[QAItem], log=print) -> tuple:
    """Fit the selector on `training` and measure it against the heuristic on `held_out` (other releases).

    Returns the weights and {"heuristic": figures, "learned": figures} (see `selection_figures`)."""
    top_k = engine.settings.top_k
    log(f"asking {len(training)} training questions …")
    train_pools = gather_pools(engine, training, top_k)
    log(f"asking {len(held_out)} held-out questions …")
    held_pools = gather_pools(engine, held_out, top_k)
    weights = fit_selector(train_pools, f"{len(train_pools.features)} release questions")
    figures = {
        "questions": {"training": len(train_pools.features), "held_out": len(held_pools.features)},
        "heuristic": selection_figures(held_pools, lambda f, h: h, READS),
        "learned": selection_figures(held_pools, lambda f, h: weights.logits(f), READS),
    }
    return weights, figures
