import numpy as np
import torch

from pressqa.reader.question import DATE, PERSON_ORG, PHRASE, expected_type
from pressqa.reader.typed_spans import entity_probability, typed_choice
from pressqa.schema import Span

# "[CLS] Judge Paul Borman of WASHINGTON sentenced him" as tokens with sentence-relative offsets.
SENTENCE = "Judge Paul Borman of WASHINGTON sentenced him"
WORDS = ["Judge", "Paul", "Borman", "of", "WASHINGTON", "sentenced", "him"]
OFFSETS = np.array([[0, 0]] + [[SENTENCE.index(w), SENTENCE.index(w) + len(w)] for w in WORDS])
ALLOWED = torch.ones(len(OFFSETS), dtype=torch.bool)
ENTITIES = [Span(6, 17, "PERSON"), Span(21, 31, "GPE")]


def _probabilities(start_token: int, end_token: int) -> tuple[torch.Tensor, torch.Tensor]:
    p_start = torch.full((len(OFFSETS),), 0.02)
    p_end = torch.full((len(OFFSETS),), 0.02)
    p_start[start_token], p_end[end_token] = 0.8, 0.8
    return p_start, p_end


def _choice(start_token, end_token, expected, entities=ENTITIES):
    p_start, p_end = _probabilities(start_token, end_token)
    best = (start_token, end_token, float(p_start[start_token] * p_end[end_token]))
    choice = typed_choice(best, OFFSETS, p_start, p_end, ALLOWED, entities, expected)
    return choice and (SENTENCE[choice.start : choice.end], round(choice.probability, 4))


def test_a_who_question_never_gets_a_place_or_a_common_noun():
    assert expected_type("Who sentenced him?") == PERSON_ORG
    text, probability = _choice(5, 5, PERSON_ORG)  # the model liked "WASHINGTON"
    assert text == "Paul Borman" and probability < 0.64  # the person instead, at its own lower probability
    assert _choice(6, 6, PERSON_ORG)[0] == "Paul Borman"  # "sentenced": a common word, never an answer
    assert _choice(6, 6, PERSON_ORG, entities=[Span(21, 31, "GPE")]) is None  # no person or org: no answer


def test_a_fragment_of_an_entity_widens_to_the_whole_entity():
    assert _choice(3, 3, PERSON_ORG) == ("Paul Borman", 0.64)  # "Borman" alone
    assert _choice(1, 2, PERSON_ORG) == ("Judge Paul Borman", 0.64)  # a title before the name is kept


def test_untyped_questions_keep_the_models_span():
    assert _choice(6, 7, PHRASE) == ("sentenced him", 0.64)


def test_entity_probability_is_the_best_span_inside_the_entity():
    p_start, p_end = _probabilities(2, 3)
    assert abs(entity_probability(Span(6, 17), OFFSETS, p_start, p_end, ALLOWED) - 0.64) < 1e-6
    assert abs(entity_probability(Span(21, 31), OFFSETS, p_start, p_end, ALLOWED) - 0.0004) < 1e-6
    assert entity_probability(Span(100, 110, DATE), OFFSETS, p_start, p_end, ALLOWED) == 0.0
