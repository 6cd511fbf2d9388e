from pressqa.reader.calibration import Calibration
from pressqa.reader.policy import AnswerPolicy
from pressqa.reader.question import analyze_question
from pressqa.schema import Answer

TEXTS = {"pfizer": "pfizer names albert bourla chief executive", "other": "moderna names a new chief executive"}


def _answer(text: str, score: float, doc_id: str) -> Answer:
    return Answer(text, score, doc_id, 0, len(text), 1)


def test_the_policy_answers_with_the_best_candidate_only_above_the_threshold_with_its_band():
    policy = AnswerPolicy(threshold=0.5, high=0.9, medium=0.7, require_names=False)
    info = analyze_question("Who leads the company?")
    decision = policy.decide(info, [_answer("Albert Bourla", 0.8, "pfizer")], TEXTS.get)
    assert decision.answer.text == "Albert Bourla" and decision.band == "medium"
    unsure = policy.decide(info, [_answer("Albert Bourla", 0.4, "pfizer")], TEXTS.get)
    assert unsure.answer is None and unsure.best.text == "Albert Bourla" and unsure.band is None
    assert policy.decide(info, [], TEXTS.get).answer is None


def test_the_policy_calibrates_scores_before_deciding():
    says_right = Calibration([0.0, 1.0], [0.95, 0.95], "sha", "test", 100)
    policy = AnswerPolicy(threshold=0.5, high=0.9, medium=0.7, calibration=says_right, require_names=False)
    decision = policy.decide(analyze_question("Who leads it?"), [_answer("Albert Bourla", 0.1, "pfizer")], TEXTS.get)
    assert decision.answer.score == 0.95 and decision.band == "high"


def test_the_policy_drops_candidates_from_releases_that_never_name_the_question_names():
    policy = AnswerPolicy(threshold=0.5, high=0.9, medium=0.7)
    info = analyze_question("Who is the chief executive of Pfizer?")
    candidates = [_answer("a new chief executive", 0.9, "other"), _answer("Albert Bourla", 0.6, "pfizer")]
    decision = policy.decide(info, candidates, TEXTS.get)
    assert decision.answer.text == "Albert Bourla" and [c.doc_id for c in decision.candidates] == ["pfizer"]
    assert AnswerPolicy(0.5, 0.9, 0.7, require_names=False).decide(info, candidates, TEXTS.get).answer.doc_id == "other"


def test_a_list_gives_each_family_its_best_answer_once_and_drops_unsure_releases():
    policy = AnswerPolicy(threshold=0.5, high=0.9, medium=0.7, require_names=False)
    info = analyze_question("Which companies received RMAT designation?")
    candidates = [
        _answer("Alveo", 0.8, "alveo"),
        _answer("AV-101", 0.7, "alveo"),  # the same release's second best: one answer per release
        _answer("Alveo", 0.75, "wire-alveo"),  # a re-post of it: the same family
        _answer("alveo", 0.6, "other"),  # the same answer from another release
        _answer("Alveo Therapeutics", 0.55, "another"),  # the same name, said more fully
        _answer("Brightline Bio", 0.95, "brightline"),
        _answer("Harbor Labs", 0.3, "harbor"),  # unsure: left out, not padded in
        _answer("Harbor", 0.2, "harbor"),
    ]
    family = {"wire-alveo": "alveo"}
    listed = policy.decide_each(info, candidates, TEXTS.get, lambda d: family.get(d, d), count=10)
    assert [a.text for a in listed.answers] == ["Brightline Bio", "Alveo"]
    assert listed.bands == ["high", "medium"] and listed.best.text == "Alveo"
    assert [a.text for a in policy.decide_each(info, candidates, TEXTS.get, str, count=1).answers] == ["Brightline Bio"]
    # A list item has its own threshold: lower, the unsure release's best comes in (never its second best).
    lenient = AnswerPolicy(threshold=0.5, high=0.9, medium=0.7, require_names=False, list_threshold=0.25)
    items = lenient.decide_each(info, candidates, TEXTS.get, lambda d: family.get(d, d), count=10).answers
    assert [a.text for a in items] == ["Brightline Bio", "Alveo", "Harbor Labs"]
    assert lenient.decide(info, candidates, TEXTS.get).answer.text == "Alveo"  # one answer: decided as before
