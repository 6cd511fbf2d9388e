import pytest

from pressqa.reader.binding import BindingCheck, conflicts, phases, quarters, roles, years
from pressqa.reader.question import analyze_question


def test_periods_phases_and_roles_are_read_in_their_usual_spellings():
    assert quarters("Q2 2025 revenue beat the third quarter and 1Q guidance") == {"2", "3", "1"}
    assert years("fiscal 2025, FY2024 and 1999") == {"2025", "2024", "1999"}
    assert phases("a Phase 2/3 trial after Phase IIb and phase-1") == {"2", "3", "1"}
    assert roles("Dr. Li Zonghai, Chairman and CEO of CARsgen") == {"chair", "ceo"}
    assert roles("Jane Doe, Vice President of Sales") == set()  # a vice president is not the president
    assert roles("Ann Lee, Chief Scientific Officer") == {"cso"}


@pytest.mark.parametrize(
    ("question", "evidence", "expected"),
    [
        (
            "What net loss did NextPlat report for the first quarter of 2024?",
            "NextPlat reported a net loss of $13.9 million for the third quarter of 2025.",
            ["quarter", "year"],
        ),
        ("Who is CARsgen's chief scientific officer?", "Dr. Li Zonghai, Chairman and CEO of CARsgen, said", ["role"]),
        ("How many patients will the Phase 3 trial enroll?", "The Phase 2/3 trial will enroll 760 patients.", []),
        ("What net loss did Acme report for Q1 2024?", "Acme reported a net loss of $2 million.", []),  # silent
        ("When was the man charged in 2015 arrested?", "He was arrested on May 3, 2016.", []),  # a date asked
        ("Who is the CEO of Acme?", "Acme's chief executive officer, Jane Roe, said", []),
        (  # the role belongs to another company: Moderna is never named
            "Who is the CEO of Moderna?",
            "CARsgen’s leadership, embodied by CEO and CSO Zonghai Li, holds CT041 in high esteem.",
            ["holder"],
        ),
    ],
)
def test_a_sentence_conflicts_only_when_it_names_another_period_phase_or_role(question, evidence, expected):
    assert conflicts(question, evidence, analyze_question(question).expected) == expected


def test_the_check_lowers_the_score_of_a_sentence_about_something_else():
    info = analyze_question("Who is the CTO of Acme?")
    assert BindingCheck(0.4).factor(info, "Jane Roe, CEO of Acme, said") == 0.4
    assert BindingCheck(0.4).factor(info, "Acme named Bo Li its CTO.") == 1.0
    assert BindingCheck(1.0).factor(info, "Jane Roe, CEO of Acme, said") == 1.0  # switched off
