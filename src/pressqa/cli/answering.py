"""Commands that answer: ask, serve."""

import sys
from contextlib import ExitStack
from typing import Annotated

import typer
from pydantic import ValidationError

from pressqa.cli.app import Ray, app, engine_for, fail, ray_connect, readable, show
from pressqa.config import get_settings
from pressqa.retrieval.index import IndexNotReady


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
    previous_doc: Annotated[
        str | None, typer.Option(help="The release the previous answer cited: a follow-up is read there first.")
    ] = None,
    previous_answer: Annotated[str | None, typer.Option(help="The previous answer ('he' may stand for it).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's /ask response body.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print one CSV row per answer (the API's format=csv).")] = False,
    source: Annotated[str | None, typer.Option(help="Only releases from this source or URL domain.")] = None,
    name: Annotated[
        list[str] | None, typer.Option("--name", help="Only releases that name this (repeat: every one).")
    ] = None,
    recent: Annotated[bool, typer.Option(help="The newest release's answer among those that clear.")] = False,
) -> None:
    """Answer a question from the indexed releases, with cited passages."""
    from pressqa.service.answering import answer
    from pressqa.service.console import answer_lines
    from pressqa.service.export import answers_csv
    from pressqa.service.request_limits import RequestModels

    if answers != "auto" and not answers.isdigit():
        fail(f"invalid request: --answers takes a number or 'auto', not {answers!r}", 2)
    try:
        count = answers if answers == "auto" else int(answers)
        turn = {"question": previous, "doc_id": previous_doc, "answer": previous_answer}
        context = turn if previous is not None else None
        filters = {"source": source, "names": name} if source or name else None
        prefer = "recent" if recent else "confidence"
        request = RequestModels.for_settings(get_settings()).ask(
            question=question,
            top_k=top_k,
            mode=mode,
            answers=count,
            order=order,
            context=context,
            filters=filters,
            prefer=prefer,
        )
    except ValidationError as exc:
        fail(f"invalid request: {readable(exc)}", 2)
    engine = engine_for()
    try:
        response = answer(engine, request)
    except IndexNotReady as exc:
        fail(str(exc))
    csv_text = lambda: answers_csv(engine, request.question, response)  # noqa: E731
    show(as_json, as_csv, lambda: response.model_dump_json(indent=2), csv_text, lambda: answer_lines(response))


@app.command()
def timeline(
    name: Annotated[str, typer.Argument(help="A company, product or person, as releases write it ('CT041').")],
    date_from: Annotated[str | None, typer.Option("--from", help="Earliest date, YYYY-MM-DD.")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Latest date, YYYY-MM-DD.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100, help="Releases to show.")] = 20,
    offset: Annotated[int, typer.Option(min=0, help="Releases to skip.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's /timeline response body.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print one CSV row per release (format=csv).")] = False,
) -> None:
    """The releases that mention NAME, newest first, each with the sentence that says what happened."""
    import datetime as dt

    from pressqa.service.answering import entity_name, timeline_page
    from pressqa.service.console import timeline_lines
    from pressqa.service.export import timeline_csv

    try:
        name = entity_name(name)
    except ValueError as exc:
        fail(str(exc), 2)
    try:
        start, end = (dt.date.fromisoformat(d).isoformat() if d else None for d in (date_from, date_to))
    except ValueError as exc:
        fail(f"invalid date: {exc} (use YYYY-MM-DD)", 2)
    if start and end and start > end:
        fail("--from must not be after --to", 2)
    try:
        response = timeline_page(engine_for(), name, (start, end), offset, limit)
    except IndexNotReady as exc:
        fail(str(exc))
    json_text = lambda: response.model_dump_json(indent=2)  # noqa: E731
    show(as_json, as_csv, json_text, lambda: timeline_csv(response), lambda: timeline_lines(response))


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
    # The event loop (health, admission, refusals) needs the interpreter lock while a question's thread runs:
    # switching every 1 ms instead of 5 took /health's worst case under 50 clients from 236 to 66 ms.
    sys.setswitchinterval(settings.switch_interval_ms / 1000)
    uvicorn.run(create_app(settings), host=host, port=port)
