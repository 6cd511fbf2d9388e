"""Indexes of evaluation corpora, kept outside `index/` and reused while the releases and settings match."""

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

from pressqa.config import Settings
from pressqa.ingest.load import discover
from pressqa.ingest.pipeline import IngestReport, Preparer, chunking_settings, ingest, refresh_families
from pressqa.retrieval.embed import default_cache_dir
from pressqa.retrieval.index import FORMAT
from pressqa.service.qa import PressQA

COMPLETE = "complete.json"  # written last: an index without it is built again by the next run


class CorpusError(ValueError):
    """Corpus paths that cannot be indexed; the message says which and why."""


def corpus_key(paths: list[Path], settings: Settings) -> str:
    """A digest of every release file (its id and bytes) and of the settings that shape the index."""
    digest = hashlib.sha256()
    shaping = {
        "format": FORMAT,
        "model": settings.model_name,
        "model_path": settings.model_path,
        "chunking": chunking_settings(settings),
    }
    digest.update(json.dumps(shaping, sort_keys=True).encode())
    files = sorted(discover(paths), key=lambda pair: pair[1])
    if not files:
        raise CorpusError(f"no releases (.txt, .md, .html, .jsonl) under {', '.join(map(str, paths))}")
    for path, doc_id in files:
        digest.update(doc_id.encode() + b"\0")
        with path.open("rb") as handle:
            digest.update(hashlib.file_digest(handle, "sha256").digest())
    return digest.hexdigest()[:20]


def dated_releases(path: Path, date_from: str | None, date_to: str | None, settings: Settings) -> Path:
    """The releases of a JSONL file dated within [date_from, date_to] (ISO dates), written once to the cache: a
    year of DOJ releases is a corpus of its own ("all DOJ releases of 2017") without copying shared data."""
    if not path.is_file() or path.suffix != ".jsonl":
        raise CorpusError(f"a date range needs one .jsonl file of releases, not {path}")
    low, high = date_from or "", date_to or "9999"
    key = hashlib.sha256(f"{path.resolve()}|{path.stat().st_size}|{low}|{high}".encode()).hexdigest()[:12]
    out = (settings.cache_dir or default_cache_dir()) / "dated-corpora" / f"{path.stem}-{low}-{high}-{key}.jsonl"
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        with path.open(encoding="utf-8") as source:
            rows = [line for line in source if line.strip() and low <= (json.loads(line).get("date") or "") <= high]
        if not rows:
            raise CorpusError(f"no release of {path} is dated from {low or 'the start'} to {date_to or 'today'}")
        tmp = out.with_suffix(".tmp")
        tmp.write_text("".join(rows), encoding="utf-8")
        tmp.replace(out)
    return out


def corpus_index_dir(paths: list[Path], settings: Settings) -> Path:
    return (settings.cache_dir or default_cache_dir()) / "eval-indexes" / corpus_key(paths, settings)


def use_corpus_index(
    engine: PressQA,
    paths: list[Path],
    progress: bool = False,
    log: Callable[[str], None] = print,
    preparer: Preparer | None = None,
) -> Path:
    """Point `engine` at an index of the releases under `paths`, building it (or finishing it) when needed.

    `preparer` (for example Ray workers) does the build's analysis and embedding; the index is the same.
    """
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise CorpusError(f"no such file or folder: {', '.join(missing)}")
    folder = corpus_index_dir(paths, engine.settings)
    settings = engine.settings.model_copy(update={"index_dir": folder})
    if (folder / COMPLETE).exists():
        log(f"reusing the corpus index at {folder}/")
        refresh_families(settings, progress)  # an index built before families, or with another rule
    else:
        log(f"indexing {', '.join(map(str, paths))} at {folder}/ (reused by later runs on the same releases)")
        folder.mkdir(parents=True, exist_ok=True)
        report = ingest(paths, settings, engine.embedder, engine.analyzer, progress=progress, preparer=preparer)
        _finish(folder, paths, report, log)
    engine.use_index(folder)
    return folder


def _finish(folder: Path, paths: list[Path], report: IngestReport, log: Callable[[str], None]) -> None:
    for source, reason in report.errors:
        log(f"skipped {source}: {reason}")
    documents = len(report.added) + len(report.updated) + report.unchanged
    if not documents:
        raise CorpusError(f"no release under {', '.join(map(str, paths))} could be read")
    summary = {"paths": [str(p) for p in paths], "documents": documents, "skipped": len(report.errors)}
    (folder / COMPLETE).write_text(json.dumps(summary))
    log(f"indexed {documents} releases ({report.chunks} chunks embedded)")
