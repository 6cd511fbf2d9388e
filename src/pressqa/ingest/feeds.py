"""News feeds (RSS and Atom, read with feedparser): new items are fetched and indexed, seen items remembered.

Each feed's state (its ETag and Last-Modified validators, the ids of items already indexed, failures and the
time of the next try) is kept in `feeds.json` beside the index, so a poll asks the server only for changes and
indexes only new items. An item whose page cannot be fetched is not marked seen: the next poll tries it again.
"""

import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pressqa.ingest.fetch import Fetcher, FetchError

FEEDS_FILE = "feeds.json"
MAX_SEEN = 5000  # item ids remembered per feed: far more than any feed lists at once
MAX_BACKOFF = 6 * 3600.0


@dataclass
class FeedState:
    etag: str | None = None
    modified: str | None = None
    seen: list[str] = field(default_factory=list)
    failures: int = 0
    next_try: float = 0.0
    last_error: str | None = None


class FeedStore:
    """The feeds' states in one JSON file, written whole to a temporary file and renamed into place."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / FEEDS_FILE

    def load(self) -> dict[str, FeedState]:
        if not self.path.exists():
            return {}
        raw = json.loads(self.path.read_text(encoding="utf-8"))
        return {url: FeedState(**state) for url, state in raw.items()}

    def save(self, states: dict[str, FeedState]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({url: asdict(s) for url, s in states.items()}, indent=1), encoding="utf-8")
        os.replace(tmp, self.path)


def new_items(fetcher: Fetcher, url: str, state: FeedState) -> list[tuple[str, str]]:
    """(item id, page URL) of the feed's items not seen before; FetchError when the feed cannot be read.

    The request carries the last ETag and Last-Modified: a 304 answer means nothing new.
    """
    import feedparser

    if not fetcher.allowed(url):
        raise FetchError("robots.txt disallows fetching it")
    headers = {k: v for k, v in (("If-None-Match", state.etag), ("If-Modified-Since", state.modified)) if v}
    try:
        response = fetcher.client.get(url, headers=headers)
    except Exception as exc:  # httpx errors and the private-address refusal alike: the feed failed
        raise FetchError(f"cannot fetch the feed ({type(exc).__name__}: {exc})") from exc
    if response.status_code == 304:
        return []
    if response.status_code != 200:
        raise FetchError(f"HTTP {response.status_code}")
    parsed = feedparser.parse(response.content)
    if parsed.bozo and not parsed.entries:
        raise FetchError(f"not an RSS or Atom feed ({parsed.get('bozo_exception')})")
    state.etag = response.headers.get("etag") or state.etag
    state.modified = response.headers.get("last-modified") or state.modified
    seen = set(state.seen)
    items = []
    for entry in parsed.entries:
        link = entry.get("link")
        item_id = entry.get("id") or link
        if link and item_id and item_id not in seen:
            items.append((item_id, link))
    return items


def mark_seen(state: FeedState, item_ids: list[str]) -> None:
    state.seen = (state.seen + [i for i in item_ids if i not in state.seen])[-MAX_SEEN:]


def poll_feeds(
    urls: list[str],
    folder: Path,
    index_pages: Callable[[list[str]], dict[str, str]],
    fetcher: Fetcher,
    interval: float,
    now: Callable[[], float] = time.time,
    log: Callable[[str], None] = print,
    force: bool = False,
) -> dict[str, int]:
    """Poll each due feed (all with `force`) and index its new items; returns new items indexed per feed.

    `index_pages` indexes page URLs and returns {url: reason} for those that failed. A feed that fails waits
    `interval` × 2^failures (at most 6 hours) before its next try; the other feeds go on.
    """
    store = FeedStore(folder)
    states = store.load()
    counts: dict[str, int] = {}
    for url in urls:
        state = states.setdefault(url, FeedState())
        if not force and state.next_try > now():
            continue
        try:
            items = new_items(fetcher, url, state)
        except FetchError as exc:
            state.failures += 1
            state.last_error = str(exc)
            wait = min(interval * 2**state.failures, MAX_BACKOFF)
            state.next_try = now() + wait
            log(f"feed {url}: {exc}; next try in {wait:.0f} s")
            continue
        failed = index_pages([link for _, link in items]) if items else {}
        for link, reason in failed.items():
            log(f"feed {url}: item {link} skipped ({reason}); tried again next time")
        done = [item_id for item_id, link in items if link not in failed]
        mark_seen(state, done)
        state.failures, state.last_error, state.next_try = 0, None, now() + interval
        counts[url] = len(done)
        log(f"feed {url}: {len(done)} new item(s) indexed")
    store.save(states)
    return counts
