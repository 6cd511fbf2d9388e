"""Answer scores as probabilities of being right: a monotone map fitted on held-out training-side questions.

The reader's raw score (a span's share against "no answer here" times its sentence's match) orders answers
well but says nothing absolute. Isotonic regression over (raw score, right or not) from an open-domain run
turns it into the share of answers that were right at that score: monotone, in [0, 1], and the
no-answer threshold and the chat page's bands become statements about precision.
"""

import hashlib
import json
import warnings
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path

import numpy as np

RIGHT_F1 = 0.5  # an answer counts as right from this token F1 against the gold answers on


@dataclass
class Calibration:
    scores: list[float]  # raw-score breakpoints, increasing
    probabilities: list[float]  # the probability of being right at each breakpoint, non-decreasing
    weights_sha256: str  # the reader weights whose scores were fitted
    fitted_on: str
    questions: int

    def probability(self, score: float) -> float:
        return float(np.interp(score, self.scores, self.probabilities))

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=1) + "\n")

    @classmethod
    def load(cls, path: Path) -> "Calibration":
        return cls(**json.loads(path.read_text()))


def load_calibration(path: Path | None, weights: Path) -> Calibration | None:
    """The calibration at `path` (default: the packaged one) if it was fitted on these reader weights."""
    path = path or default_calibration()
    if not path.is_file():
        return None
    calibration = Calibration.load(path)
    if calibration.weights_sha256 != file_sha256(weights):
        warnings.warn(f"{path} was fitted for other reader weights: answer scores stay raw", stacklevel=2)
        return None
    return calibration


def confidence_band(probability: float, high: float, medium: float) -> str:
    """'high', 'medium' or 'low': the band an answer's calibrated score falls in."""
    if probability >= high:
        return "high"
    return "medium" if probability >= medium else "low"


def default_calibration() -> Path:
    return Path(str(resources.files("pressqa") / "models" / "calibration.json"))


def file_sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def fit(
    scores: list[float],
    right: list[bool],
    weights: Path,
    fitted_on: str,
    sample_weight: list[float] | None = None,
) -> Calibration:
    """The isotonic (monotone, least-squares) map from raw score to the share of right answers.

    `sample_weight` weighs each answer (for example one over its kind's count, so that every kind of release
    counts the same however many questions it has)."""
    from sklearn.isotonic import IsotonicRegression

    if len(scores) < 20 or len(set(right)) < 2:
        raise ValueError("calibration needs at least 20 questions with both right and wrong answers")
    model = IsotonicRegression(y_min=0.0, y_max=1.0, increasing=True, out_of_bounds="clip")
    model.fit(np.asarray(scores, dtype=float), np.asarray(right, dtype=float), sample_weight=sample_weight)
    xs = [float(x) for x in model.X_thresholds_]
    ys = [round(float(y), 4) for y in model.y_thresholds_]
    return Calibration(xs, ys, file_sha256(weights), fitted_on, len(scores))


def reliability(probabilities: list[float], right: list[bool], bins: int = 10) -> list[dict]:
    """Per probability bin: its range, the mean probability said, the share right, and the count."""
    rows = []
    p, r = np.asarray(probabilities, dtype=float), np.asarray(right, dtype=float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    for i in range(bins):
        inside = (p >= edges[i]) & ((p < edges[i + 1]) if i < bins - 1 else (p <= edges[i + 1]))
        if inside.any():
            rows.append(
                {
                    "low": float(edges[i]),
                    "high": float(edges[i + 1]),
                    "said": float(p[inside].mean()),
                    "right": float(r[inside].mean()),
                    "count": int(inside.sum()),
                }
            )
    return rows


def expected_calibration_error(probabilities: list[float], right: list[bool], bins: int = 10) -> float:
    """The count-weighted mean gap between the probability said and the share right, over bins."""
    rows = reliability(probabilities, right, bins)
    total = sum(row["count"] for row in rows)
    return sum(row["count"] * abs(row["said"] - row["right"]) for row in rows) / max(total, 1)
