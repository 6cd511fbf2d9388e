"""Keeping an index up to date: index the new items of feeds, re-sync folders, on a timer (`pressqa watch`)."""

import time
from collections.abc import Callable
from pathlib import Path

from pressqa.config import Settings
from pressqa.ingest.analyze import Analyzer
from pressqa.ingest.feeds import poll_feeds
from pressqa.ingest.fetch import Fetcher
from pressqa.ingest.pipeline import IngestReport, ingest
from pressqa.retrieval.embed import Embedder

Log = Callable[[str], None]


def report_lines(report: IngestReport, index_dir: Path) -> tuple[list[str], str]:
    """(one line per release skipped, the summary line) of an ingest."""
    skipped = [f"skipped {source}: {reason}" for source, reason in report.errors]
    summary = (
        f"{len(report.added)} added, {len(report.updated)} updated, {len(report.removed)} removed, "
        f"{report.unchanged} unchanged; {report.chunks} chunks embedded; index at {index_dir}/"
    )
    return skipped, summary


def index_feeds(
    feeds: list[str],
    settings: Settings,
    embedder: Embedder,
    analyzer: Analyzer,
    on_report: Callable[[IngestReport], None],
    log: Log,
    force: bool,
) -> dict[str, int]:
    """Poll the feeds (those due, or all with `force`) and index their new items' pages."""

    def index_pages(links: list[str]) -> dict[str, str]:
        report = ingest([], settings, embedder, analyzer, progress=True, urls=links)
        on_report(report)
        return dict(report.errors)

    fetcher = Fetcher.from_settings(settings)
    try:
        return poll_feeds(
            feeds, settings.index_dir, index_pages, fetcher, settings.watch_interval, log=log, force=force
        )
    finally:
        fetcher.close()


def watch(
    settings: Settings,
    embedder: Embedder,
    analyzer: Analyzer,
    on_report: Callable[[IngestReport], None],
    log: Log,
    once: bool = False,
) -> None:
    """Poll `settings.watch_feeds` and re-sync `settings.watch_folders` every `watch_interval` s, until stopped."""
    next_folders = 0.0
    log(f"watching {len(settings.watch_feeds)} feed(s), {len(settings.watch_folders)} folder(s)")
    while True:
        if settings.watch_folders and time.time() >= next_folders:
            on_report(ingest(settings.watch_folders, settings, embedder, analyzer, progress=True))
            next_folders = time.time() + settings.watch_interval
        if settings.watch_feeds:
            index_feeds(settings.watch_feeds, settings, embedder, analyzer, on_report, log, force=False)
        if once:
            return
        time.sleep(min(settings.watch_interval, 60.0))  # feeds come due at their own times (back-off)
