"""Commands that build and inspect the index: ingest, watch, info."""

import json
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import typer

from pressqa.cli.app import Ray, app, engine_for, fail, print_report, ray_preparer, say
from pressqa.config import get_settings
from pressqa.retrieval.index import IndexNotReady


@app.command()
def ingest(
    paths: Annotated[
        list[str] | None, typer.Argument(help="Files, folders or http(s) URLs (default: corpus/).")
    ] = None,
    rebuild: Annotated[bool, typer.Option(help="Start a new index instead of updating.")] = False,
    ray: Ray = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Ray embedding actors (default: ray_workers).")] = None,
    feed: Annotated[list[str] | None, typer.Option("--feed", help="An RSS or Atom feed (repeat for more).")] = None,
) -> None:
    """Index new and changed releases (.txt, .md, .html, .jsonl, .pdf files, or web pages) and drop deleted ones."""
    from pressqa.ingest.fetch import is_url
    from pressqa.ingest.pipeline import ingest as run_ingest
    from pressqa.ingest.watch import index_feeds

    engine = engine_for()
    settings = engine.settings
    report = None
    try:
        with ExitStack() as stack:
            preparer = ray_preparer(ray, settings, workers, stack)
            if paths or not feed:  # only feeds asked for: no folder to sync
                folders = [Path(p) for p in paths if not is_url(p)] if paths else [settings.corpus_dir]
                urls = [p for p in paths or [] if is_url(p)]
                report = run_ingest(
                    folders,
                    settings,
                    engine.embedder,
                    engine.analyzer,
                    rebuild,
                    progress=True,
                    preparer=preparer,
                    urls=urls,
                )
    except IndexNotReady as exc:
        fail(str(exc))
    if report is not None:
        print_report(report, settings)
        alert(engine, report)
    if feed:

        def on_report(r) -> None:
            print_report(r, settings)
            alert(engine, r)

        index_feeds(feed, settings, engine.embedder, engine.analyzer, on_report, say, force=True)
    if report is not None and report.errors:
        raise typer.Exit(1)


def alert(engine, report) -> None:
    """Ask the saved questions of the releases an ingest added or changed, and say what answered them."""
    from pressqa.service.watches import safely_check_releases

    for hit in safely_check_releases(engine, report.added + report.updated):
        say(f"saved question {hit.watch_id} answered by {hit.doc_id}: {hit.answer!r} ({hit.score:.2f})")
    engine.webhooks.close()  # the alerts' webhooks are delivered (or dead letters) before the command goes on


def resend(engine) -> None:
    """Webhook deliveries a stopped run left queued go out again before anything new is read."""
    from pressqa.service.watches import resend_pending

    if queued := resend_pending(engine):
        say(f"{queued} saved-question hits queued again for their webhooks")


@app.command()
def watch(once: Annotated[bool, typer.Option(help="One round, then exit (for cron or a test).")] = False) -> None:
    """Keep the index up to date: poll the feeds and folders in the settings (PRESSQA_WATCH_*) until stopped."""
    from pressqa.ingest.watch import watch as run_watch

    settings = get_settings()
    if not settings.watch_feeds and not settings.watch_folders:
        fail("nothing to watch: set PRESSQA_WATCH_FEEDS='[\"https://…/rss\"]' and/or PRESSQA_WATCH_FOLDERS")
    engine = engine_for(settings)
    resend(engine)

    def on_report(r) -> None:
        print_report(r, settings)
        alert(engine, r)

    try:
        run_watch(settings, engine.embedder, engine.analyzer, on_report, say, once)
    except KeyboardInterrupt:
        say("stopped")


@app.command()
def settings() -> None:
    """Print the settings page (docs/settings.md): every PRESSQA_* variable, its default and what it does."""
    from pressqa.config import settings_markdown

    typer.echo(settings_markdown(), nl=False)


@app.command()
def info() -> None:
    """Show the index's manifest and settings."""
    from pressqa.retrieval.index import Index

    settings = get_settings()
    try:
        index = Index.load(settings.index_dir)
    except IndexNotReady as exc:
        fail(str(exc))
    shared = index.families.shared()
    typer.echo(
        json.dumps({"index_dir": str(settings.index_dir), **index.manifest, "shared_families": shared}, indent=2)
    )
    index.close()
