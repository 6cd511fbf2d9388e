import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from pressqa.background import Background


def test_a_function_runs_in_the_worker_and_its_error_comes_back():
    worker = Background(nice=3)
    try:
        assert worker.run(os.getpid) != os.getpid()
        assert worker.run(os.nice, 0) == os.nice(0) + 3  # lower priority than this process
        with pytest.raises(ValueError, match="invalid literal"):
            worker.run(int, "not a number")
        assert worker.run(sum, [1, 2, 3]) == 6  # the worker is still there after an error
    finally:
        worker.close()


def test_a_worker_whose_server_was_killed_exits_by_itself(tmp_path):
    script = textwrap.dedent(
        """
        import os, time
        from pressqa.background import Background

        if __name__ == "__main__":
            worker = Background(nice=0)
            print(worker.run(os.getpid), worker.worker_pid(), flush=True)
            time.sleep(60)
        """
    )
    path = tmp_path / "server.py"
    path.write_text(script)
    server = subprocess.Popen([sys.executable, str(path)], stdout=subprocess.PIPE, text=True)
    child, pid = map(int, server.stdout.readline().split())
    assert child == pid and child != server.pid
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
