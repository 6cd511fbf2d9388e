"""Commands that answer: ask, serve."""

from contextlib import ExitStack
from typing import Annotated

import typer
from pydantic import ValidationError

from pressqa.cli.app import Ray, app, engine_for, fail, ray_connect
from pressqa.config import get_settings
from pressqa.retrieval.index import IndexNotReady


def readable(exc: ValidationError) -> str:
    """One line per problem: 'answers: answers must be between 1 and 20 …', without pydantic's links."""
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg'].removeprefix('Value error, ')}" for e in exc.errors())


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, in quotes.")],
    top_k: Annotated[int | None, typer.Option("--top-k", min=1, help="Passages to return.")] = None,
    mode: Annotated[str, typer.Option(help="hybrid, dense or bm25.")] = "hybrid",
    answers: Annotated[
        str, typer.Option(help="Up to N answers, each from its own release; 'auto': a list if the question asks.")
    ] = "1",
    order: Annotated[str, typer.Option(help="A list's order: confidence or date (newest first).")] = "confidence",
    previous: Annotated[
        str | None, typer.Option(help="The previous question: QUESTION is read as its follow-up ('and in 2021?').")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's /ask response body.")] = False,
) -> None:
    """Answer a question from the indexed releases, with cited passages."""
    from pressqa.service.api_models import AskRequest, ask_response
    from pressqa.service.console import answer_lines

    if answers != "auto" and not answers.isdigit():
        fail(f"invalid request: --answers takes a number or 'auto', not {answers!r}", 2)
    try:
        count = answers if answers == "auto" else int(answers)
        context = {"question": previous} if previous is not None else None
        request = AskRequest(question=question, top_k=top_k, mode=mode, answers=count, order=order, context=context)
    except ValidationError as exc:
        fail(f"invalid request: {readable(exc)}", 2)
    try:
        engine = engine_for()
        understood = engine.follow_up(request.question, request.context.question) if request.context else None
        by_date = request.order == "date"
        filters = request.to_filters()
        count = request.answer_count(understood)
        result = engine.ask(understood or request.question, request.top_k, request.mode, filters, count, by_date)
    except IndexNotReady as exc:
        fail(str(exc))
    response = ask_response(result, understood)
    if as_json:
        typer.echo(response.model_dump_json(indent=2))
        return
    for line, bold in answer_lines(response):
        typer.secho(line, bold=True) if bold else typer.echo(line)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    ray: Ray = None,
    replicas: Annotated[int, typer.Option(min=1, help="API replicas with --ray (each loads the model).")] = 2,
) -> None:
    """Serve the HTTP API and chat page."""
    settings = get_settings()
    host, port = host or settings.host, port or settings.port
    if ray:
        with ExitStack() as stack:
            ray_connect(ray, stack)
            from pressqa.cluster.serve import serve_until_stopped

            typer.echo(f"serving {replicas} replicas on http://{host}:{port}/ (Ray at {ray}); Ctrl-C stops")
            serve_until_stopped(settings, replicas, host, port, log=typer.echo)
        return
    import uvicorn

    from pressqa.service.api import create_app, limit_malloc_arenas

    limit_malloc_arenas()
    uvicorn.run(create_app(settings), host=host, port=port)
