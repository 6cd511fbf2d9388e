"""Thresholds chosen across kinds of release: each kind read at the threshold the *other* kinds chose (what a kind
nobody tuned on would get), and the threshold chosen on every kind (the one to ship)."""

from collections.abc import Callable
from typing import TypeVar

Figures = TypeVar("Figures")
Kinds = dict[str, list[dict]]


def leave_one_kind_out(
    kinds: Kinds, figures_at: Callable[[list[dict], float], Figures], least_cost: Callable[[Kinds], float]
) -> tuple[dict[str, Figures], float]:
    """Each kind's figures at the threshold chosen on the others (itself when it is alone), and the threshold
    chosen on every kind."""
    held_out = {}
    for name, records in kinds.items():
        others = {k: r for k, r in kinds.items() if k != name} or {name: records}
        held_out[name] = figures_at(records, least_cost(others))
    return held_out, least_cost(kinds)
