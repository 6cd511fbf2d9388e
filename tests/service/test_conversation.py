from pressqa.service.conversation import Request, Turn, ask


def test_a_follow_up_is_answered_from_the_release_the_previous_answer_cited(news_engine):
    turn = Turn("Who founded Brightline Bio?", "brightline-rmat")
    asked = ask(news_engine, Request("How much did the company raise in its Series B round?"), turn)
    assert asked.understood_as == "How much did Brightline Bio raise in its Series B round?"
    assert asked.anchored and asked.result.answer.doc_id == "brightline-rmat"
    assert asked.result.answer.text == "$40 million"


def test_a_follow_up_about_someone_the_previous_release_never_names_asks_the_whole_index(news_engine):
    turn = Turn("Who founded Brightline Bio?", "brightline-rmat")
    asked = ask(news_engine, Request("Where will Harbor Labs move its employees?"), turn)
    assert not asked.anchored and asked.understood_as is None
    assert asked.result.answer is not None and asked.result.answer.doc_id == "harbor-lease"


def test_a_follow_up_the_previous_release_does_not_answer_asks_the_whole_index(news_engine):
    turn = Turn("Where will Harbor Labs move its employees?", "harbor-lease")
    asked = ask(news_engine, Request("and who founded Brightline Bio?"), turn)
    assert not asked.anchored
    assert asked.result.answer is not None and asked.result.answer.text == "Dr. Samuel Reyes"


def test_a_first_question_and_a_list_are_asked_of_the_whole_index(news_engine):
    alone = ask(news_engine, Request("Who founded Brightline Bio?"))
    assert not alone.anchored and alone.understood_as is None and alone.result.answer.text == "Dr. Samuel Reyes"
    turn = Turn("Who founded Brightline Bio?", "brightline-rmat")
    listed = ask(news_engine, Request("Which gene and cell therapies received RMAT designation?", answers=3), turn)
    assert not listed.anchored and len(listed.result.answers) >= 2


def test_the_follow_up_threshold_decides_what_the_previous_release_answers(news_engine):
    turn = Turn("Who founded Brightline Bio?", "brightline-rmat")
    request = Request("How much did the company raise in its Series B round?")
    live = news_engine.live
    original = live.settings
    try:
        live.settings = original.model_copy(update={"followup_threshold": 1.0})
        strict = ask(news_engine, request, turn)
        live.settings = original.model_copy(update={"followup_threshold": 0.0})
        lenient = ask(news_engine, request, turn)
    finally:
        live.settings = original
    assert not strict.anchored  # no answer is that sure: the whole index is asked
    assert lenient.anchored and lenient.result.answer.text == "$40 million"
    assert lenient.result.answers == [lenient.result.answer] and lenient.result.confidence
