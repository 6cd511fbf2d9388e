"""Choose the follow-up threshold across kinds of release, from `pressqa eval-across` results.

A follow-up is read first in the release the previous answer cited; its answer there is given when it clears the
follow-up threshold, else the question is asked of the whole index. Each result records, for every follow-up,
the previous release's best candidate whatever its score and the whole index's answer, so the figures at any
threshold are read off it. A wrong answer costs 1 and no answer 0.8, or nothing for a follow-up the releases do
not answer; right is token F1 ≥ 0.5, as for calibration. Each kind is read at the threshold that costs least on
the *other* kinds; the threshold to ship costs least over every kind, each weighing the same.
"""

import json
from dataclasses import dataclass
from pathlib import Path

from pressqa.evaluation.evaluate import EvalInputError
from pressqa.evaluation.leave_one_out import leave_one_kind_out
from pressqa.reader.calibration import RIGHT_F1

THRESHOLDS = [round(0.05 * i, 2) for i in range(21)]
HELD_BACK = 0.8


@dataclass
class FollowupFigures:
    threshold: float
    em: float
    from_previous: float | None  # of the follow-ups whose gold is in the previous release
    cost: float


def figures_at(records: list[dict], threshold: float) -> FollowupFigures:
    ems, costs, anchored = [], [], []
    for r in records:
        candidate, whole = r.get("previous_release_candidate"), r.get("whole_index")
        given = candidate if candidate and candidate["score"] >= threshold else whole
        if not r.get("answerable", True):  # the releases don't say: abstaining is right, any answer wrong
            ems.append(float(given is None))
            costs.append(0.0 if given is None else 1.0)
            continue
        ems.append(given["em"] if given else 0.0)
        costs.append(HELD_BACK if given is None else 0.0 if given["f1"] >= RIGHT_F1 else 1.0)
        if r.get("gold_in_previous"):
            anchored.append(bool(given and given["from_previous"]))
    n = max(len(records), 1)
    share = sum(anchored) / len(anchored) if anchored else None
    return FollowupFigures(threshold, sum(ems) / n, share, sum(costs) / n)


def least_cost(kinds: dict[str, list[dict]]) -> float:
    """The threshold whose mean cost over `kinds` is least (the higher one on a tie: the shipped side)."""
    return min(THRESHOLDS, key=lambda t: (sum(figures_at(r, t).cost for r in kinds.values()) / len(kinds), -t))


def load_followups(paths: list[Path]) -> dict[str, list[dict]]:
    """Each kind's follow-up records, by its set's name; EvalInputError for a file that is not a result."""
    kinds = {}
    for path in paths:
        try:
            result = json.loads(path.read_text(encoding="utf-8"))
            records = result["followups"]
            if records and "whole_index" not in records[0]:
                raise KeyError("whole_index (a result written before both readings were recorded)")
        except (OSError, json.JSONDecodeError, KeyError, TypeError) as exc:
            raise EvalInputError(f"{path}: not an eval-across result with follow-ups ({exc})") from exc
        if records:  # results of one set's name are one kind's (its answerable and unanswerable follow-ups)
            kinds.setdefault(result.get("set", path.stem), []).extend(records)
    if not kinds:
        raise EvalInputError("none of the results has follow-ups")
    return kinds


def choose(kinds: dict[str, list[dict]]) -> tuple[dict[str, FollowupFigures], float]:
    """Each kind's figures at the threshold chosen on the others, and the threshold chosen on every kind."""
    return leave_one_kind_out(kinds, figures_at, least_cost)
