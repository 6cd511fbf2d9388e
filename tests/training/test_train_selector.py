import numpy as np

from pressqa.reader.heuristic import FEATURES
from pressqa.training.selector import Pools, fit_selector, gather_pools, selection_figures


def _pools(questions: int, seed: int) -> Pools:
    """Ten sentences a question; the answer's sentence alone holds an entity of the type asked for."""
    rng = np.random.default_rng(seed)
    pools = Pools()
    typed = FEATURES.index("expected entity")
    for _ in range(questions):
        features = rng.normal(size=(10, len(FEATURES))).astype(np.float32)
        features[:, typed] = 0.0
        answer = rng.integers(10)
        features[answer, typed] = 1.0
        holds = np.arange(10) == answer
        pools.features.append(features)
        pools.answer.append(holds)
        pools.release.append(holds | (np.arange(10) < 3))
        pools.heuristic.append(rng.random(10))  # the heuristic knows nothing here
    return pools


def test_the_fitted_selector_learns_what_marks_the_answer_sentence():
    weights = fit_selector(_pools(200, 0), "synthetic")
    assert weights.features == list(FEATURES) and len(weights.coefficients) == len(FEATURES)
    assert np.argmax(weights.coefficients) == FEATURES.index("expected entity")
    held = _pools(50, 1)
    learned = selection_figures(held, lambda f, h: weights.logits(f), [1, 3])
    heuristic = selection_figures(held, lambda f, h: h, [1, 3])
    assert learned[1]["answer_sentence"] == 1.0 and heuristic[1]["answer_sentence"] < 0.5
    assert heuristic[3]["answer_sentence"] >= heuristic[1]["answer_sentence"]


def test_pools_label_the_gold_release_sentence_that_holds_the_answer(corpus_engine):
    from pressqa.evaluation.evaluate import QAItem

    items = [
        QAItem("q1", "When did CT041 receive RMAT?", ["January 2022"], "001_dddbf5ee798e36f0.txt"),
        QAItem("q2", "Who owns the moon?", [], None),  # unanswerable: not a training question
    ]
    pools = gather_pools(corpus_engine, items, top_k=5, progress=False)
    assert len(pools.features) == 1 and pools.features[0].shape[1] == len(FEATURES)
    assert pools.answer[0].sum() >= 1 and not (pools.answer[0] & ~pools.release[0]).any()
