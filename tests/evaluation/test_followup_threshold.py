import json

import pytest

from pressqa.evaluation.evaluate import EvalInputError
from pressqa.evaluation.followup_threshold import choose, figures_at, load_followups


def _record(candidate_score, candidate_right, whole_right, gold_in_previous=True):
    def scored(right, score, from_previous):
        return {"text": "x", "score": score, "em": float(right), "f1": float(right), "from_previous": from_previous}

    candidate = None if candidate_score is None else scored(candidate_right, candidate_score, True)
    whole = None if whole_right is None else scored(whole_right, 0.9, False)
    return {"previous_release_candidate": candidate, "whole_index": whole, "gold_in_previous": gold_in_previous}


def test_a_follow_up_takes_the_previous_release_s_answer_from_the_threshold_on():
    records = [_record(0.3, True, False), _record(0.6, False, True), _record(None, False, None)]
    low = figures_at(records, 0.2)  # both candidates taken: right, wrong; the third has none anywhere
    assert (low.em, low.cost, low.from_previous) == (1 / 3, (0 + 1 + 0.8) / 3, 2 / 3)
    high = figures_at(records, 0.7)  # neither: the whole index's wrong, then right answers
    assert (high.em, high.cost, high.from_previous) == (1 / 3, (1 + 0 + 0.8) / 3, 0.0)


def test_a_follow_up_the_releases_do_not_answer_is_right_only_when_nothing_is_given():
    unanswerable = {**_record(0.3, False, None, gold_in_previous=False), "answerable": False}
    assert figures_at([unanswerable], 0.2).cost == 1.0  # the previous release's candidate, given: wrong
    assert (figures_at([unanswerable], 0.5).cost, figures_at([unanswerable], 0.5).em) == (0.0, 1.0)


def test_each_kind_is_read_at_the_threshold_the_others_chose(tmp_path):
    likes_low = [_record(0.3, True, False)] * 3
    likes_high = [_record(0.3, False, True)] * 3
    paths = []
    for name, records in {"a": likes_low, "b": likes_low, "c": likes_high}.items():
        paths.append(tmp_path / f"{name}.json")
        paths[-1].write_text(json.dumps({"set": name, "followups": records}))
    kinds = load_followups(paths)
    held_out, chosen = choose(kinds)
    assert chosen <= 0.3  # two kinds of three are right in the previous release
    assert held_out["c"].threshold <= 0.3 and held_out["c"].cost == 1.0  # what c gets when others choose
    assert held_out["a"].threshold > 0.3 and held_out["a"].cost == 1.0  # b and c tie: the higher threshold
    (tmp_path / "old.json").write_text(json.dumps({"followups": [{"em": 1}]}))
    with pytest.raises(EvalInputError, match="whole_index"):
        load_followups([tmp_path / "old.json"])
