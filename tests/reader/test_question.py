import pytest

from pressqa.reader.question import (
    AMOUNT,
    COUNT,
    DATE,
    DURATION,
    MONEY,
    ORG,
    PERCENT,
    PERSON,
    PERSON_ORG,
    PHRASE,
    PLACE,
    asks_for_list,
    asks_for_names,
    expected_type,
    key_terms,
    names_something,
)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("When did CT041 receive RMAT?", DATE),
        ("In what year was the institute founded?", DATE),
        ("Who is the CEO of CARsgen?", PERSON),
        ("Who partnered with Moderna?", PERSON_ORG),
        ("How many countries does PackGene serve?", COUNT),
        ("How much did Acme pay for Beta?", AMOUNT),
        ("What percentage of revenue came from China?", PERCENT),
        ("What price did Acme pay?", MONEY),
        ("Where is GenScript headquartered?", PLACE),
        ("Which city hosts the new plant?", PLACE),
        ("Which company developed the vaccine?", ORG),
        ("Which hospitals agreed to pay?", ORG),  # a plural names the type as its singular does
        ("Which cities did they operate in?", PLACE),
        ("What is the hometown of former officer Josue Becerril-Ramos?", PLACE),  # the head, not "officer"
        ("What did MilliporeSigma sign with GenScript?", PHRASE),
        ("What designation did CT041 earn?", PHRASE),
        # The noun of a what/which phrase names the type, past its modifiers and up to its verb.
        ("Which federal judge accepted Alisa Bivens' guilty plea?", PERSON),
        ("Which Rhode Island chief justice ordered the plan?", PERSON),
        ("Which Las Vegas company was Metin Atilan president of?", ORG),
        ("Which state agency's investigators did Slager lie to?", ORG),
        ("What company paid the fine?", ORG),
        ("In what Ohio town were the workers made to live?", PLACE),
        ("What civil penalty will Select Staffing pay?", MONEY),
        ("What is the maximum prison sentence Daw faces?", DURATION),
        ("How much prison time did Narendrakumar Patel get?", DURATION),
        ("Who headed the FBI San Juan Field Office when the officers were indicted?", PERSON),
        ("What was Jonathan Feeney's job at BAE when he made the purchases?", PHRASE),
    ],
)
def test_expected_answer_type(question, expected):
    assert expected_type(question) == expected


def test_key_terms_are_names_codes_and_acronyms():
    assert key_terms("When did CT041 receive RMAT?") == ("ct041", "rmat")
    assert key_terms("Who is the CEO of Pfizer?") == ("ceo", "pfizer")
    assert key_terms("What did Moderna's chief say?") == ("moderna",)
    assert key_terms("what is the plan?") == ()


def test_proper_names_are_the_capitalised_words_that_are_not_acronyms():
    from pressqa.reader.question import proper_names

    assert proper_names("Who is the CEO of Pfizer?") == ("pfizer",)
    assert proper_names("Where is Moderna’s headquarters?") == ("moderna",)
    assert proper_names("Which judge sentenced Erick Roman?") == ("erick", "roman")
    assert proper_names("What did the FDA approve in 2021?") == ()  # acronyms and numbers are key terms only
    assert proper_names("Pfizer said what?") == ()  # the first word is capitalised anyway


@pytest.mark.parametrize(
    ("question", "is_list"),
    [
        ("Which companies received RMAT designation?", True),
        ("Which drugs did the FDA approve in 2021?", True),
        ("Which gene and cell therapies received RMAT designation?", True),
        ("Who was sentenced in Medicare fraud cases in Detroit?", True),
        ("Who were charged in the scheme?", True),
        ("In which cities did they operate?", True),
        ("List the defendants", True),
        ("Which company received RMAT?", False),
        ("When did CT041 receive RMAT?", False),
        ("What were the terms of the deal?", False),  # a copula: the parts of one answer
        ("Which Texas company paid the fine?", False),  # a name in -s is not a plural
        ("Who is the CEO of CARsgen?", False),
    ],
)
def test_list_questions_are_told_from_single_answer_questions(question, is_list):
    assert asks_for_list(question) is is_list


def test_a_span_that_only_repeats_the_question_is_recognised():
    from pressqa.reader.question import analyze_question, repeats_question

    info = analyze_question("Which regulator gave CT041 RMAT designation?")
    assert repeats_question(info, "the Regenerative Medicine Advanced Therapy")  # RMAT spelled out
    assert repeats_question(info, "RMAT designation")
    assert not repeats_question(info, "FDA")
    assert not repeats_question(info, "the U.S. Food and Drug Administration")


@pytest.mark.parametrize(
    ("question", "names"),
    [
        ("Which companies are developing Claudin18.2 therapies?", True),
        ("Which drugs did BARDA agree to fund?", True),
        ("In which states did Secretary Azar declare an emergency?", True),
        ("Who were sentenced for health care fraud in Detroit?", True),
        ("What penalties were imposed on the hospitals?", False),
        ("Which conditions does the drug treat?", False),
    ],
)
def test_a_list_of_companies_drugs_people_or_places_asks_for_names(question, names):
    assert asks_for_names(question) is names


def test_a_name_or_a_code_is_something_named():
    assert all(names_something(t) for t in ("Alveo", "the FDA", "CT041", "Johnson & Johnson"))
    assert not any(names_something(t) for t in ("vaccines and devices", "cells", "anxiety-related conditions"))
