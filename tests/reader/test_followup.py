import pytest

from pressqa.reader.followup import resolve_followup

RMAT = "When did CT041 receive RMAT?"
CHAIRMAN = "Who is the chairman of CARsgen?"


@pytest.mark.parametrize(
    ("previous", "question", "understood"),
    [
        (RMAT, "and orphan drug designation?", "When did CT041 receive orphan drug designation?"),
        (
            RMAT,
            "What about Breakthrough Therapy designation?",
            "When did CT041 receive Breakthrough Therapy designation?",
        ),
        (RMAT, "and CT053?", "When did CT053 receive RMAT?"),  # a name or code: another subject
        (RMAT, "who leads it?", "Who leads CT041?"),
        (RMAT, "Who leads the company?", "Who leads CT041?"),
        (RMAT, "What is its target?", "What is CT041’s target?"),
        (CHAIRMAN, "and the CEO?", "Who is the CEO of CARsgen?"),
        (CHAIRMAN, "and of Moderna?", "Who is the chairman of Moderna?"),
        (CHAIRMAN, "Where is it based?", "Where is CARsgen based?"),
        # an acronym fragment is what was asked about, not who; the code is the subject, not the FDA
        ("When did the FDA grant CT041 Orphan Drug designation?", "and RMAT?", "When did the FDA grant CT041 RMAT?"),
        ("How much did Banner Health agree to pay?", "and when?", "When did Banner Health agree to pay?"),
        # "that study" is the subject's study; a question after "and" is a question, never glued to the last one
        (
            "How many patients did Annovis Bio enroll?",
            "Which journal published that study?",
            "Which journal published Annovis Bio’s study?",
        ),
        (RMAT, "What does the drug target?", "What does CT041 target?"),
        (
            "What did Medtronic launch in 1990?",
            "and in what year was it first produced?",
            "In what year was Medtronic first produced?",
        ),
        ("Who founded Amgen?", "About how many patients did it enroll?", "About how many patients did Amgen enroll?"),
        (CHAIRMAN, "Who is its CEO?", "Who is CARsgen’s CEO?"),  # an acronym is not a subject of its own
        # another subject named first, then a question about "it"
        (CHAIRMAN, "What about Moderna - who is its CEO?", "Who is Moderna’s CEO?"),
        (RMAT, "And Keppel, what fine will it pay?", "What fine will Keppel pay?"),
        # a fragment that does not fit the last question's shape is asked of its subject, never glued onto it
        (
            "How long a prison sentence did Oliver Schmidt receive?",
            "And the fine?",
            "What was the fine for Oliver Schmidt?",
        ),
        ("How much did SAMHSA award in opioid grants?", "And HRSA?", "How much did HRSA award in opioid grants?"),
        ("How much did each winner receive?", "And in Phase 2?", "How much did each winner receive in Phase 2?"),
        (
            "How much will BARDA provide to Opiant for a nasal spray?",
            "and to Diassess?",
            "How much will BARDA provide to Diassess for a nasal spray?",
        ),
        # a title or a law is not what the last question was about
        ("Who is the President of Acme Corp?", "Where are its facilities?", "Where are Acme Corp’s facilities?"),
        (
            "How much did Omnicare pay to settle False Claims Act allegations?",
            "Where is it based?",
            "Where is Omnicare based?",
        ),
        (CHAIRMAN, "How much did the company raise in its Series B?", "How much did CARsgen raise in its Series B?"),
    ],
)
def test_a_follow_up_is_rewritten_with_the_previous_question(previous, question, understood):
    assert resolve_followup(question, previous) == understood


@pytest.mark.parametrize(
    ("previous", "question"),
    [
        (RMAT, "When did Moderna announce the collaboration?"),  # names its own subject
        (RMAT, "Who is the CEO of CARsgen?"),
        ("What is the weather like?", "and tomorrow?"),  # nothing to lean on
    ],
)
def test_a_question_that_stands_alone_is_left_as_it_is(previous, question):
    assert resolve_followup(question, previous) is None


def test_the_previous_release_title_lends_a_subject_when_the_previous_question_names_none():
    title = "Alveo Therapeutics Receives RMAT Designation for AV-101"
    assert resolve_followup("Who leads it?", "Who got the designation?", title) == "Who leads AV-101?"
    assert resolve_followup("Who leads it?", "Who got the designation?") is None


def test_he_or_it_is_the_previous_answer_when_the_previous_question_asked_for_one():
    appointed = "Who did ONAR Holding appoint to its board?"
    assert resolve_followup("What company did he co-found?", appointed, answer="Dan Gay") == (
        "What company did Dan Gay co-found?"
    )
    bought = "Which company did Duke Energy buy?"
    assert resolve_followup("Where is it based?", bought, answer="Calpine") == "Where is Calpine based?"
    # an amount or a phrase is not whom "it" means; nor is a person for "it"
    paid = "How much did Telia pay?"
    assert resolve_followup("When did it pay?", paid, answer="$965 million") == "When did Telia pay?"
    assert resolve_followup("Where is it based?", appointed, answer="Dan Gay") == "Where is ONAR Holding based?"
