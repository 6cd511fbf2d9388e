"""The routes whose request bodies carry a question, with this app's limits in their models (and in OpenAPI):
ask (`/ask`), save a question (`POST /watches`) and say whether an answer was right (`/feedback`)."""

import time

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool

from pressqa.service.answering import answer
from pressqa.service.api_models import AskRequest, FeedbackIn
from pressqa.service.api_responses import AskResponse, FeedbackWritten
from pressqa.service.deps import WRITE_ERRORS, Engine, require_api_key
from pressqa.service.export import CSV_RESPONSE, Format, answers_csv, csv_response, wants_csv
from pressqa.service.qa import UnknownAnswer, UnknownRelease
from pressqa.service.request_limits import RequestModels
from pressqa.service.watch_models import WatchCreated, WatchIn, watch_created
from pressqa.service.webhooks import WebhookError

ASK = {
    "response_model": AskResponse,
    "summary": "Answer a question with cited passages",
    "responses": {
        503: {"description": "Busy: no slot came free in time (see Retry-After); nothing was done."},
        504: {"description": "The question ran past its deadline and was stopped."},
        **CSV_RESPONSE,
    },
}
SAVE_WATCH = {
    "response_model": WatchCreated,
    "status_code": 201,
    "summary": "Save a question: every release added from now on is asked it, and its answers are kept as hits",
    "responses": {422: {"description": "An empty question, or a webhook URL that cannot be used."}, **WRITE_ERRORS},
}
FEEDBACK = {
    "response_model": FeedbackWritten,
    "status_code": 201,
    "summary": "Say whether an answer was right (and where the right one is); saved before the response",
    "responses": {
        200: {"description": "This answer had a verdict already: replaced."},
        404: {"description": "No such release."},
        **WRITE_ERRORS,
    },
}


def limited_router(models: RequestModels) -> APIRouter:
    """The three routes, their bodies typed with `models` (made for one app's settings)."""
    ask_body, watch_body, feedback_body = models.ask, models.watch, models.feedback

    async def ask(body: ask_body, request: Request, engine: Engine, format_: Format = None) -> AskResponse | Response:
        return await answer_request(body, request, engine, format_)

    def add_watch(body: watch_body, engine: Engine) -> WatchCreated:
        return save_watch(body, engine)

    def add_feedback(body: feedback_body, response: Response, engine: Engine) -> FeedbackWritten:
        return record_feedback(body, response, engine)

    router = APIRouter()
    router.add_api_route("/ask", ask, methods=["POST"], **ASK)
    writes = [Depends(require_api_key)]
    router.add_api_route("/watches", add_watch, methods=["POST"], dependencies=writes, **SAVE_WATCH)
    router.add_api_route("/feedback", add_feedback, methods=["POST"], dependencies=writes, **FEEDBACK)
    return router


async def answer_request(body: AskRequest, request: Request, engine: Engine, format_: Format) -> AskResponse | Response:
    timeout_ms = body.timeout_ms or engine.settings.question_deadline_ms
    deadline = time.monotonic() + timeout_ms / 1000
    async with request.app.state.admission.admitted(deadline):  # 503 at once when it cannot be answered in time
        response = await run_in_threadpool(answer, engine, body, deadline)
    if request.app.state.metrics:
        request.app.state.metrics.asked(response.answer is not None)
    if wants_csv(request, format_):
        text = await run_in_threadpool(answers_csv, engine, body.question, response)
        return csv_response(text, "pressqa-answers")
    return response


def save_watch(body: WatchIn, engine: Engine) -> WatchCreated:
    try:
        watch = engine.add_watch(body.question, body.min_confidence, body.webhook_url, body.stored_filters())
    except WebhookError as exc:
        raise HTTPException(status_code=422, detail=f"webhook_url: {exc}") from exc
    return watch_created(watch)


def record_feedback(body: FeedbackIn, response: Response, engine: Engine) -> FeedbackWritten:
    try:
        row_id, status = engine.record_feedback(body.to_feedback())
    except UnknownAnswer as exc:
        raise HTTPException(status_code=404 if isinstance(exc, UnknownRelease) else 422, detail=str(exc)) from exc
    if status == "updated":
        response.status_code = 200
    return FeedbackWritten(id=row_id, status=status)
