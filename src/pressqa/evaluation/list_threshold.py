"""Choose the list threshold across kinds of release, from `pressqa eval-across` results.

A list item is a decision of its own (one release's best candidate), so its threshold is chosen on list
questions, not on one-answer questions. Each result holds every item a list could give with its score
(`evaluate_across` asks with the list threshold at 0), so the figures at any threshold are read off it. The cost
of a list is a wrong item 1 and an expected item missed 0.8 (what a wrong answer and a needless abstention cost),
per expected item. Each kind's figures are read at the threshold that costs least on the *other* kinds (leave one
kind out): what a kind nobody tuned on would get; the threshold to ship costs least over every kind, each
weighing the same.
"""

import json
from dataclasses import dataclass
from pathlib import Path

from pressqa.evaluation.across import given_items
from pressqa.evaluation.evaluate import EvalInputError
from pressqa.evaluation.leave_one_out import leave_one_kind_out

THRESHOLDS = [round(0.05 * i, 2) for i in range(20)]
MISSED = 0.8  # an expected item left out, against 1 for a wrong item given


@dataclass
class ListFigures:
    threshold: float
    precision: float | None
    recall: float
    cost: float  # (wrong items + 0.8 missed) per expected item


def figures_at(records: list[dict], threshold: float) -> ListFigures:
    given = [given_items(r, threshold) for r in records]
    expected = max(sum(r["expected"] for r in records), 1)
    wrong = sum(item["match"] is None for items in given for item in items)
    found = sum(len({item["match"] for item in items} - {None}) for items in given)
    count = sum(len(items) for items in given)
    cost = (wrong + MISSED * (expected - found)) / expected
    return ListFigures(threshold, (count - wrong) / count if count else None, found / expected, cost)


def least_cost(kinds: dict[str, list[dict]]) -> float:
    """The threshold whose mean cost over `kinds` is least (the lower one on a tie)."""
    return min(THRESHOLDS, key=lambda t: (sum(figures_at(r, t).cost for r in kinds.values()) / len(kinds), t))


def load_lists(paths: list[Path]) -> dict[str, list[dict]]:
    """Each result's list records, by its set's name; EvalInputError for a file that is not one."""
    kinds = {}
    for path in paths:
        try:
            result = json.loads(path.read_text(encoding="utf-8"))
            records = result["lists"]
            if records and "items" not in records[0]:
                raise KeyError("items (a result written before items were recorded with their scores)")
        except (OSError, json.JSONDecodeError, KeyError, TypeError) as exc:
            raise EvalInputError(f"{path}: not an eval-across result with lists ({exc})") from exc
        if records:
            kinds[result.get("set", path.stem)] = records
    if not kinds:
        raise EvalInputError("none of the results has list questions")
    return kinds


def choose(kinds: dict[str, list[dict]]) -> tuple[dict[str, ListFigures], float]:
    """Each kind's figures at the threshold chosen on the others, and the threshold chosen on every kind."""
    return leave_one_kind_out(kinds, figures_at, least_cost)
