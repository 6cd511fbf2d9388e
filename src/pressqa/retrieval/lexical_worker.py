"""BM25 files built from a committed store, for a write to run in the background process.

bm25s builds an index whole, and on a 1,300-release index a rebuild is ~0.45 s of pure Python (token counts
per chunk) that holds the interpreter lock: in the server's process it stalled every question for as long,
whatever the thread's priority. The background process (`pressqa.background`) reads the committed store itself,
builds with its own token cache (kept between builds, so only new chunks are tokenized), and writes the files
where it is told; the server then maps them. A cache entry is checked against its chunk's text, so indexes
sharing the process stay right.
"""

from pathlib import Path

from pressqa.retrieval.lexical import LexicalIndex, TokenCache
from pressqa.retrieval.store import DocumentStore, connect

_tokens: TokenCache | None = None  # in the worker: kept between builds


def build_lexical_files(store: str, folder: str) -> None:
    """In the worker: BM25 over every chunk the store holds now, saved into `folder`."""
    global _tokens
    _tokens = _tokens or TokenCache()
    db = connect(Path(store))
    try:
        ids, texts = DocumentStore(db, 0).passage_texts()
    finally:
        db.close()
    LexicalIndex.build(ids, texts, _tokens).save(Path(folder))
