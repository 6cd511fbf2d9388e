import pytest

from pressqa.metrics import (
    abstention,
    answer_scores,
    exact_match,
    f1_score,
    first_hit_rank,
    mrr_at_k,
    normalize_answer,
    percentiles,
    recall_at_k,
)


def test_normalisation_drops_case_punctuation_and_articles():
    assert normalize_answer("The  U.S. Food and Drug Administration!") == "us food and drug administration"
    assert normalize_answer("an Apple, a day") == "apple day"


def test_exact_match_and_f1_hand_computed():
    assert exact_match("In January 2022", "january 2022") == 0.0
    assert exact_match("the January 2022.", "January 2022") == 1.0
    # pred tokens: in january 2022 (3); gold: january 2022 (2); common 2 → P 2/3, R 1 → F1 0.8
    assert f1_score("In January 2022", "January 2022") == pytest.approx(0.8)
    assert f1_score("October 2020", "January 2022") == 0.0
    assert f1_score("the", "a") == 1.0  # both normalise to nothing


def test_answer_scores_max_over_golds_and_abstention():
    assert answer_scores("January 2022", ["In January 2022", "January 2022"]) == (1.0, 1.0)
    em, f1 = answer_scores("2022", ["In January 2022"])
    assert (em, f1) == (0.0, pytest.approx(0.5))
    assert answer_scores(None, []) == (1.0, 1.0)
    assert answer_scores("Pfizer", []) == (0.0, 0.0)
    assert answer_scores(None, ["x"]) == (0.0, 0.0)


def test_recall_and_mrr_hand_computed():
    ranks = [first_hit_rank(h) for h in ([True, False], [False, False, True], [False] * 5, [False, True])]
    assert ranks == [1, 3, None, 2]
    assert recall_at_k(ranks, 1) == 0.25
    assert recall_at_k(ranks, 3) == 0.75
    assert mrr_at_k(ranks, 10) == pytest.approx((1 + 1 / 3 + 1 / 2) / 4)
    assert mrr_at_k(ranks, 2) == pytest.approx((1 + 1 / 2) / 4)
    assert recall_at_k([], 5) == 0.0


def test_abstention_precision_recall():
    answered = [True, False, False, True, False]
    answerable = [True, True, False, False, False]
    # abstained on q2 (wrongly), q3 and q5 (rightly); unanswerable: q3, q4, q5
    result = abstention(answered, answerable)
    assert result["precision"] == pytest.approx(2 / 3)
    assert result["recall"] == pytest.approx(2 / 3)
    assert result["abstained"] == 3


def test_percentiles():
    result = percentiles([float(v) for v in range(1, 101)])
    assert result["median"] == pytest.approx(50.5)
    assert result["p95"] == pytest.approx(95.05)
