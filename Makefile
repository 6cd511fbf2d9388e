# PressQA: `make run` sets everything up and serves http://127.0.0.1:8000; `make test` runs the tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CLUSTER := $(VENV)/.installed-cluster
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install index run serve test test-fast lint clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch is pinned in pyproject.toml to the CPU wheel on this machine's disk.
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

index: install
	$(BIN)/pressqa ingest corpus/

run: index
	$(BIN)/pressqa serve --host $(HOST) --port $(PORT)

serve: install
	$(BIN)/pressqa serve --host $(HOST) --port $(PORT)

# The tests also cover scaling out, so they install the optional Ray extra; `make run` never needs it.
$(CLUSTER): $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,cluster]'
	touch $(CLUSTER)

# The import contracts (pyproject.toml, [tool.importlinter]) first: a layer broken is a failed test run.
test: $(CLUSTER)
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

# What a developer runs often: everything but the slow kinds (tests/conftest.py marks them); CI runs `make test`.
test-fast: $(CLUSTER)
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -m "not (ray or crash or browser or fuzz or training or slow)"

lint: install
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

clean:
	rm -rf $(VENV) index/*.faiss index/*.sqlite index/manifest.json index/bm25 eval/results
