"""Saved questions: `pressqa watches add|list|rm|hits` (the API's /watches)."""

import datetime as dt
import json
from typing import Annotated

import typer

from pressqa.cli.app import app, engine_for, fail, show
from pressqa.config import get_settings
from pressqa.retrieval.index import IndexNotReady

WatchId = Annotated[int, typer.Argument(min=1, max=2**63 - 1, help="The saved question's id (pressqa watches list).")]
watches_app = typer.Typer(help="Saved questions asked of every release added from now on, and the releases found.")
app.add_typer(watches_app, name="watches")


@watches_app.command("add")
def add(
    question: Annotated[str, typer.Argument(help="The question, in quotes.")],
    min_confidence: Annotated[
        float | None, typer.Option(min=0.0, max=1.0, help="The least answer score that makes a hit.")
    ] = None,
    webhook: Annotated[
        str | None, typer.Option(help="POST new hits to this URL, signed (the secret is printed once).")
    ] = None,
) -> None:
    """Save a question; every release ingested from now on is asked it."""
    from pydantic import ValidationError

    from pressqa.service.request_limits import RequestModels
    from pressqa.service.watch_models import watch_created
    from pressqa.service.webhooks import WebhookError

    try:
        watch_in = RequestModels.for_settings(get_settings()).watch
        body = watch_in(question=question, min_confidence=min_confidence, webhook_url=webhook)
    except ValidationError as exc:
        fail(f"invalid question: {exc.errors()[0]['msg']}", 2)
    try:
        watch = engine_for().add_watch(body.question, body.min_confidence, body.webhook_url)
    except IndexNotReady as exc:
        fail(str(exc))
    except WebhookError as exc:
        fail(f"invalid webhook: {exc}", 2)
    typer.echo(watch_created(watch).model_dump_json(exclude_none=True))


@watches_app.command("list")
def list_watches() -> None:
    """The saved questions, with their hit counts."""
    from pressqa.service.watch_models import watch_out

    try:
        with engine_for().reading() as index:
            counts, dead = index.watches.hit_counts(), index.watches.dead_letters()
            watches = [watch_out(w, counts.get(w.id, 0), dead.get(w.id, 0)) for w in index.watches.all()]
    except IndexNotReady as exc:
        fail(str(exc))
    for watch in watches:
        hook = f"\t→ {watch.webhook_url} ({watch.dead_letters} undelivered)" if watch.webhook_url else ""
        typer.echo(f"{watch.id}\t{watch.hits} hits\t{watch.question}{hook}")


@watches_app.command("rm")
def remove(watch_id: WatchId) -> None:
    """Drop a saved question and its hits."""
    try:
        removed = engine_for().remove_watch(watch_id)
    except IndexNotReady as exc:
        fail(str(exc))
    if not removed:
        fail(f"no saved question with id {watch_id}")
    typer.echo(f"removed saved question {watch_id}")


@watches_app.command("hits")
def hits(
    watch_id: WatchId,
    since: Annotated[str | None, typer.Option(help="Only hits found after this time (ISO 8601).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's hits body.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print one CSV row per hit (format=csv).")] = False,
) -> None:
    """The releases found to answer a saved question, oldest first."""
    from pressqa.service.watches import found_hits

    try:
        after = dt.datetime.fromisoformat(since) if since is not None else None
    except ValueError:
        fail(f"not a time (ISO 8601): {since!r}", 2)
    engine = engine_for()
    try:
        rows = found_hits(engine, watch_id, after)
    except IndexNotReady as exc:
        fail(str(exc))
    if rows is None:
        fail(f"no saved question with id {watch_id}")
    from pressqa.service.export import hits_csv

    show(
        as_json,
        as_csv,
        lambda: json.dumps([r.model_dump() for r in rows], indent=2, ensure_ascii=False),
        lambda: hits_csv(engine, watch_id, rows),
        lambda: ((f"{r.found}\t{r.answer}\t{r.doc_id}\t{r.title or ''}", False) for r in rows),
    )
