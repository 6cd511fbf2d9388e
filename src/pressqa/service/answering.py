"""One path from a request to its response, taken by the API, the CLI and Ray Serve's replicas alike."""

from pressqa.service import conversation
from pressqa.service.api_models import AskRequest
from pressqa.service.api_responses import AskResponse, TimelineResponse, asked_response, timeline_response
from pressqa.service.filters import Narrowing, passes
from pressqa.service.qa import PressQA
from pressqa.service.timeline import describe, timeline


def answer(engine: PressQA, body: AskRequest, deadline: float | None = None) -> AskResponse:
    """The follow-up understood, then how many answers it asks for, then the answers, as the API returns them."""
    auto = engine.settings.auto_list_answers
    asked = conversation.ask(
        engine,
        body.to_request(deadline, auto),
        body.turn(),
        lambda understood: body.answer_count(understood, auto),
    )
    return asked_response(asked, body.question)


def entity_name(value: str) -> str:
    """A timeline's name: one line of printable text, spaces collapsed; ValueError otherwise."""
    value = " ".join(value.split())
    if not value or not value.isprintable():
        raise ValueError("give the name of a company, product or person")
    return value


def timeline_page(
    engine: PressQA,
    name: str,
    dates: tuple[str | None, str | None] = (None, None),
    offset: int = 0,
    limit: int = 20,
    narrowing: Narrowing | None = None,
) -> TimelineResponse:
    """One page of the releases that name `name` within `dates` (ISO, either open), newest first."""
    keep = (lambda doc: passes(doc, narrowing)) if narrowing else None
    with engine.reading() as index:
        entries = timeline(index, name, *dates, keep=keep)
        page = describe(index, entries[offset : offset + limit], name)
    return timeline_response(name, page, len(entries), offset, limit)
