"""The `pressqa` command. Each command parses its options, calls one library function and prints the result
with the printer that lives beside that function.

Commands: ingest, watch, info (`indexing`); ask, serve (`answering`); eval (`scoring`); train-reader, qamr-set,
release-set (`training`); bench, load-test (`benchmarking`).
"""

from pressqa.cli import answering, benchmarking, indexing, scoring, training  # noqa: F401  (they register)
from pressqa.cli.app import app

__all__ = ["app"]
