"""Answers of the kind the question asks for: whole entities of the expected type, never a fragment.

The span model picks boundaries word by word; on releases that gave "WASHINGTON" for a judge, "LLC"
for a nonprofit and "Saturday" for "Saturday, June 23". Where the question implies a type (a date,
an amount, a person, a place) the answer is widened to the whole entity it falls in, or, when it falls
in none, replaced by the likeliest entity of that type in the sentence at that entity's own, lower
probability; a sentence without one offers nothing.
"""

from dataclasses import dataclass

import numpy as np
import torch

from pressqa.reader.question import PHRASE
from pressqa.schema import Span


@dataclass
class SpanChoice:
    """A span of one sentence (sentence-relative characters) with its probability under the span model."""

    start: int
    end: int
    probability: float
    typed: bool  # an entity of the expected type


def typed_choice(
    best: tuple[int, int, float],
    offsets: np.ndarray,
    p_start: torch.Tensor,
    p_end: torch.Tensor,
    allowed: torch.Tensor,
    entities: list[Span],
    expected: frozenset[str],
) -> SpanChoice | None:
    """The answer for one sentence given the model's best span (start token, end token, probability).

    None when the question implies a type and the sentence holds no entity of it.
    """
    i, j, p_span = best
    start, end = int(offsets[i][0]), int(offsets[j][1])
    if expected == PHRASE:
        return SpanChoice(start, end, p_span, False)
    fitting = [e for e in entities if e.label in expected]
    covering = [e for e in fitting if e.start < end and start < e.end]
    if covering:
        return SpanChoice(min(start, *(e.start for e in covering)), max(end, *(e.end for e in covering)), p_span, True)
    scored = [(entity_probability(e, offsets, p_start, p_end, allowed), e) for e in fitting]
    scored = [(p, e) for p, e in scored if p > 0.0]
    if not scored:
        return None
    probability, entity = max(scored, key=lambda pair: pair[0])
    return SpanChoice(entity.start, entity.end, probability, True)


def entity_probability(
    entity: Span, offsets: np.ndarray, p_start: torch.Tensor, p_end: torch.Tensor, allowed: torch.Tensor
) -> float:
    """The probability of the likeliest span that lies inside `entity` (0 when no answer token does)."""
    inside = [
        t
        for t in range(1, len(offsets))
        if bool(allowed[t]) and offsets[t][1] > offsets[t][0] and entity.start <= offsets[t][0] < entity.end
    ]
    if not inside:
        return 0.0
    a, b = inside[0], inside[-1] + 1
    starts, ends = p_start[a:b], p_end[a:b]
    # max over i <= j of starts[i] * ends[j]: the best start at or before each end.
    best_start = torch.cummax(starts, dim=0).values
    return float((best_start * ends).max())
