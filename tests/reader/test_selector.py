import json

import pytest

from pressqa.reader.question import analyze_question
from pressqa.reader.selector import LearnedSelector, SelectorWeights, default_selector


def test_the_packaged_selector_loads_and_a_selector_of_other_features_is_refused(tmp_path):
    weights = SelectorWeights.load(default_selector())
    assert len(weights.coefficients) == len(weights.features) == len(weights.mean)
    other = json.loads(default_selector().read_text())
    other["features"] = other["features"][:-1] + ["something else"]
    (tmp_path / "selector.json").write_text(json.dumps(other))
    with pytest.raises(ValueError, match="train-selector"):
        SelectorWeights.load(tmp_path / "selector.json")


def test_the_learned_selector_reads_the_sentence_that_answers(corpus_engine):
    question = "When did CT041 receive RMAT?"
    vector, retrieved, _ = corpus_engine.retrieve(question, 5)
    chosen = LearnedSelector(sentences=3).best_sentences(analyze_question(question), vector, retrieved)
    assert len(chosen) == 3 and any("January 2022" in s.text for s in chosen)
    assert all(s.chunk.text[s.span.start - s.chunk.start : s.span.end - s.chunk.start] == s.text for s in chosen)
