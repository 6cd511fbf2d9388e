import random

import pytest

from pressqa.reader.calibration import (
    Calibration,
    confidence_band,
    expected_calibration_error,
    fit,
    load_calibration,
    reliability,
)


@pytest.fixture()
def weights(tmp_path):
    path = tmp_path / "reader.pt"
    path.write_bytes(b"weights")
    return path


def _sample(n=400, seed=0):
    """Raw scores where a higher score is right more often, but not with the probability it says."""
    rng = random.Random(seed)
    scores = [rng.random() for _ in range(n)]
    right = [rng.random() < s**2 for s in scores]  # a raw 0.5 is right only a quarter of the time
    return scores, right


def test_calibration_is_monotone_and_within_zero_and_one(weights):
    scores, right = _sample()
    calibration = fit(scores, right, weights, "sample")
    grid = [i / 100 for i in range(-10, 111)]
    probabilities = [calibration.probability(x) for x in grid]
    assert all(0.0 <= p <= 1.0 for p in probabilities)
    assert all(a <= b for a, b in zip(probabilities, probabilities[1:], strict=False))
    assert abs(calibration.probability(0.5) - 0.25) < 0.12  # it learns what a raw score is worth


def test_calibrated_scores_have_a_smaller_error_on_new_data(weights):
    calibration = fit(*_sample(3000, seed=1), weights, "sample")
    scores, right = _sample(3000, seed=2)
    raw = expected_calibration_error(scores, right)
    calibrated = expected_calibration_error([calibration.probability(s) for s in scores], right)
    assert calibrated < 0.04 and raw > 0.1


def test_reliability_bins_count_every_score():
    rows = reliability([0.05, 0.15, 0.95, 1.0], [False, True, True, True])
    assert sum(r["count"] for r in rows) == 4 and rows[-1]["right"] == 1.0
    assert expected_calibration_error([1.0, 1.0], [True, True]) == 0.0
    assert expected_calibration_error([1.0, 1.0], [False, False]) == 1.0


def test_a_calibration_applies_only_to_the_weights_it_was_fitted_on(weights, tmp_path):
    path = tmp_path / "calibration.json"
    fit(*_sample(), weights, "sample").save(path)
    assert isinstance(load_calibration(path, weights), Calibration)
    weights.write_bytes(b"retrained")
    with pytest.warns(UserWarning, match="other reader weights"):
        assert load_calibration(path, weights) is None
    assert load_calibration(tmp_path / "missing.json", weights) is None


def test_fit_refuses_too_little_data(weights):
    with pytest.raises(ValueError):
        fit([0.1, 0.9], [False, True], weights, "tiny")
    with pytest.raises(ValueError):
        fit([i / 30 for i in range(30)], [True] * 30, weights, "all right")


def test_confidence_bands():
    assert [confidence_band(p, 0.9, 0.7) for p in (0.95, 0.9, 0.8, 0.5)] == ["high", "high", "medium", "low"]
