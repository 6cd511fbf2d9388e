"""An index folder's files, its manifest, the lock every process shares, and writes that are atomic.

The manifest says what the index was built with (model, dimension, chunking, ANN settings) and which
generation of the store its derived files (FAISS, BM25) match; it is written last.
"""

import fcntl
import json
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

MANIFEST = "manifest.json"
DENSE = "dense.faiss"
BM25_DIR = "bm25"
STORE = "store.sqlite"
LOCK = ".lock"
FORMAT = 2  # bump when the store's tables change: older indexes are rebuilt by `pressqa ingest`
REBUILD_HINT = "Rebuild it with: pressqa ingest --rebuild corpus/"


class IndexNotReady(RuntimeError):
    """The index on disk is missing, damaged or incompatible; the message says how to rebuild."""


class Stale(Exception):
    """The FAISS or BM25 files lag behind the store (a write was interrupted): rebuild them from it."""


@contextmanager
def index_lock(path: Path, exclusive: bool) -> Iterator[None]:
    """A lock on the index folder shared by every process: one writer, or any number of readers."""
    path.mkdir(parents=True, exist_ok=True)
    with open(path / LOCK, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def manifest_json(path: Path) -> object:
    """The manifest as written, whatever it holds; IndexNotReady when it can't be read as JSON."""
    try:
        return json.loads((path / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise IndexNotReady(f"The manifest of the index at {path}/ is unreadable ({exc}). {REBUILD_HINT}") from exc


def read_manifest(path: Path) -> dict:
    """The manifest of a usable index of this format; IndexNotReady (with the fix) otherwise."""
    if not (path / MANIFEST).exists() or not (path / STORE).exists():
        raise IndexNotReady(f"No index at {path}/. Build it with: pressqa ingest corpus/")
    manifest = manifest_json(path)
    if not isinstance(manifest, dict) or not isinstance(manifest.get("dimension"), int):
        raise IndexNotReady(f"The manifest of the index at {path}/ is not a PressQA manifest. {REBUILD_HINT}")
    if manifest.get("format") != FORMAT:
        raise IndexNotReady(f"The index at {path}/ was written by another PressQA version. {REBUILD_HINT}")
    return manifest


def new_manifest(model: str, dimension: int, chunking: dict, ann: dict) -> dict:
    """The manifest of an index not saved yet."""
    return {"format": FORMAT, "model": model, "dimension": dimension, "chunking": chunking, "generation": 0, "ann": ann}


def check_manifest(path: Path, manifest: dict, model: str | None, dimension: int | None) -> None:
    """IndexNotReady unless the index was built with `model` and `dimension` (when given)."""
    if model and manifest.get("model") != model:
        raise IndexNotReady(
            f"The index at {path}/ was built with model {manifest.get('model')!r}, not {model!r}. {REBUILD_HINT}"
        )
    if dimension and manifest["dimension"] != dimension:
        raise IndexNotReady(
            f"The index at {path}/ has dimension {manifest['dimension']}, the model {dimension}. {REBUILD_HINT}"
        )


def write_manifest(path: Path, manifest: dict) -> None:
    atomic_write(path / MANIFEST, lambda tmp: tmp.write_text(json.dumps(manifest, indent=2)))
    fsync_dir(path)


def clear_folder(path: Path) -> None:
    """Remove an index's files from `path` (the lock stays: other processes may hold it)."""
    path.mkdir(parents=True, exist_ok=True)
    for name in (DENSE, MANIFEST, STORE, STORE + "-wal", STORE + "-shm"):
        (path / name).unlink(missing_ok=True)
    shutil.rmtree(path / BM25_DIR, ignore_errors=True)


def file_id(path: Path) -> tuple[int, int] | None:
    """(device, inode): changes when the file is replaced, not when it is written."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


def fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(target: Path, write: Callable[[Path], object]) -> None:
    """`write` a file beside `target`, flush it to disk, then rename it over `target`."""
    tmp = target.with_name(target.name + ".tmp")
    write(tmp)
    fsync(tmp)
    os.replace(tmp, target)


def atomic_write_dir(target: Path, write: Callable[[Path], object]) -> None:
    """`write` a folder beside `target`, flush its files, then swap it for `target`."""
    tmp = target.with_name(target.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    write(tmp)
    for file in tmp.iterdir():
        fsync(file)
    old = target.with_name(target.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        os.replace(target, old)
    os.replace(tmp, target)
    shutil.rmtree(old, ignore_errors=True)
