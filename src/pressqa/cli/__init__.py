"""The `pressqa` command. Each command parses its options, calls one library function and prints the result
with the printer that lives beside that function.

Commands: ingest, watch, info (`indexing`); ask, serve (`answering`); watches (`watching`); eval (`scoring`);
eval-watches (`watch_scoring`); train-reader, qamr-set, release-set (`training`); bench, load-test (`benchmarking`).
"""

# Importing a module registers its commands; this order is the order of `pressqa --help`.
from pressqa.cli import indexing, answering, watching, scoring, watch_scoring, training, benchmarking  # noqa: F401, I001
from pressqa.cli.app import app

__all__ = ["app"]
