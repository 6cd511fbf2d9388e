"""The request bodies with one app's own limits as their fields' constraints.

Validation and the OpenAPI schema then both say them: `create_app(Settings(max_top_k=10))` refuses `top_k: 50`
and documents `maximum: 10`. The models in `api_models` carry everything else; here only the bounds that come
from settings are added, on subclasses made once per app.
"""

import copy
from dataclasses import dataclass
from typing import Annotated, Literal, TypeVar

import annotated_types as at
from pydantic import BaseModel, Field, create_model

from pressqa.config import Settings
from pressqa.service.api_models import AskRequest, ContextIn, FeedbackIn
from pressqa.service.watch_models import WatchIn

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class RequestModels:
    """The bodies of /ask, /watches and /feedback with `settings`' limits."""

    ask: type[AskRequest]
    watch: type[WatchIn]
    feedback: type[FeedbackIn]

    @classmethod
    def for_settings(cls, settings: Settings) -> "RequestModels":
        question = at.MaxLen(settings.max_question_chars)
        context = _with(ContextIn, question=_bounded(ContextIn, "question", question))
        answers = Annotated[int, Field(ge=1, le=settings.max_answers)] | Literal["auto"]
        ask = _with(
            AskRequest,
            question=_bounded(AskRequest, "question", question),
            top_k=_bounded(AskRequest, "top_k", at.Le(settings.max_top_k)),
            answers=_retyped(AskRequest, "answers", answers),
            context=_retyped(AskRequest, "context", context | None),
        )
        watch = _with(WatchIn, question=_bounded(WatchIn, "question", question))
        feedback = _with(FeedbackIn, question=_bounded(FeedbackIn, "question", question))
        return cls(ask, watch, feedback)


def _with(model: type[M], **fields: tuple) -> type[M]:
    """A subclass of `model` with some fields replaced; its name stays the same (it is the one in the schema)."""
    return create_model(model.__name__, __base__=model, __module__=model.__module__, **fields)


def _bounded(model: type[BaseModel], name: str, *constraints: object) -> tuple:
    """`model`'s field `name` with `constraints` added (its description, default and checks kept)."""
    field = copy.copy(model.model_fields[name])
    field.metadata = [*constraints, *field.metadata]  # first: a limit applies to what was sent
    return field.annotation, field


def _retyped(model: type[BaseModel], name: str, annotation: object) -> tuple:
    return annotation, copy.copy(model.model_fields[name])
