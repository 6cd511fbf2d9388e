import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np

from pressqa.retrieval.lexical import LexicalIndex
from pressqa.retrieval.lexical_worker import LexicalWorker


def test_the_worker_builds_what_a_build_here_would(corpus_engine, tmp_path):
    store = corpus_engine.settings.index_dir / "store.sqlite"
    worker = LexicalWorker(nice=0)
    try:
        worker.build(store, tmp_path)
    finally:
        worker.close()
    built = LexicalIndex.load(tmp_path)
    with corpus_engine.reading() as index:
        here = LexicalIndex.build(*index.store.passage_texts())
    assert np.array_equal(built.ids, here.ids) and len(built) > 0
    for query in ("CT041 RMAT designation", "chairman of CARsgen", "GenScript headquarters"):
        assert built.search(query, 5) == here.search(query, 5)


def test_a_worker_whose_server_was_killed_exits_by_itself(corpus_engine, tmp_path):
    script = textwrap.dedent(
        f"""
        import os, sys, time
        from pathlib import Path
        from pressqa.retrieval.lexical_worker import LexicalWorker

        if __name__ == "__main__":
            worker = LexicalWorker(nice=0)
            worker.build(Path({str(corpus_engine.settings.index_dir / "store.sqlite")!r}), Path({str(tmp_path)!r}))
            print(worker._pool._processes and list(worker._pool._processes)[0], flush=True)
            time.sleep(60)
        """
    )
    path = tmp_path / "server.py"
    path.write_text(script)
    server = subprocess.Popen([sys.executable, str(path)], stdout=subprocess.PIPE, text=True)
    child = int(server.stdout.readline())
    os.kill(server.pid, signal.SIGKILL)  # never shuts its pool down
    server.wait()
    end = time.monotonic() + 10
    while time.monotonic() < end and _running(child):
        time.sleep(0.2)
    assert not _running(child)


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's exit is reaped by whoever adopted it, in its own time)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"
