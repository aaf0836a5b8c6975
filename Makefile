# Earshot: `make run` runs it, `make test` tests it. Everything else builds on `make install`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Extras: run needs the classifier's inference stack; tests also need the training stack.
RUN_EXTRAS := classifier
TEST_EXTRAS := dev,classifier,train

.PHONY: help install install-dev run test test-unit test-integration lint format typecheck \
        schemas kafka train bench-classifier clean test-faults bench browser bench-ingest \
        bench-router bench-api lock

help:
	@echo "make run    - run Earshot on this machine (embedded mode) at http://127.0.0.1:$(PORT)"
	@echo "make test   - install everything and run all tests (real Kafka and PostgreSQL)"
	@echo "make lint   - ruff + mypy;  make schemas - regenerate JSON Schemas"
	@echo "make train  - train the classifier;  make bench-classifier - classifier benchmark"
	@echo "make bench, bench-ingest, bench-router, bench-api - benchmarks (docs/BENCHMARKS.md)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall only when pyproject.toml or the pins change (stamp per set of extras). Every
# install takes its versions from constraints.txt, so a fresh clone gets the versions the
# shipped models were fitted and tested with; `make lock` re-resolves them.
$(VENV)/.installed-run: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -c constraints.txt -e '.[$(RUN_EXTRAS)]'
	touch $@

$(VENV)/.installed-test: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -c constraints.txt -e '.[$(TEST_EXTRAS)]'
	touch $@ $(VENV)/.installed-run

install: $(VENV)/.installed-run
install-dev: $(VENV)/.installed-test

run: install
	$(BIN)/earshot run --port $(PORT)

# The Kafka broker jars, fetched from Maven Central once and cached (~/.cache/earshot/kafka).
kafka: install-dev
	$(BIN)/python -m tests.support.kafka_broker

# A private temp folder per run: pytest prunes old shared temp folders, which would pull the
# data folder from under another run's embedded PostgreSQL.
PYTEST := $(BIN)/python -m pytest -p no:cacheprovider --basetemp=$$(mktemp -d /tmp/earshot-test.XXXXXX)

# Debian's Chromium for the console's browser test (Playwright drives it; nothing downloaded).
browser:
	sh tests/e2e/ensure_chromium.sh

test: install-dev kafka browser lint
	$(PYTEST) -ra --durations=15

test-unit: install-dev
	$(PYTEST) tests/unit

test-integration: install-dev kafka
	$(PYTEST) -ra tests/integration tests/e2e

test-faults: install-dev kafka
	$(PYTEST) -ra -m faults tests

lint: install-dev
	$(BIN)/ruff check schemas services tests
	$(BIN)/ruff format --check schemas services tests
	$(BIN)/mypy schemas services/shared services/router/sla services/router/routing

format: install-dev
	$(BIN)/ruff format schemas services tests
	$(BIN)/ruff check --fix schemas services tests

schemas: install-dev
	$(BIN)/python -m schemas.generate

DATA ?= ../shared/data
train: install-dev
	$(BIN)/earshot train --data $(DATA)

# The whole pipeline under load (real Kafka + PostgreSQL); appends to docs/BENCHMARKS.md.
BENCH_ARGS ?= --rate 400 --duration 60 --classifiers 1,2,4
bench: install-dev kafka
	$(BIN)/python -m tests.load.pipeline_bench $(BENCH_ARGS)

bench-ingest: install-dev kafka
	$(BIN)/python -m services.ingest.bench

bench-classifier: install-dev
	$(BIN)/python -m services.classifier.bench --data $(DATA)

# Routing decisions/s and one SLA sweep over 1,000,000 open cases (throwaway PostgreSQL).
bench-router: install-dev
	$(BIN)/python -m services.router.bench

# Queue listing with 1,000,000 cases, wrk against `earshot serve api`; appends to BENCHMARKS.md.
bench-api: install-dev
	command -v wrk >/dev/null || apt-get install -y wrk || (apt-get update && apt-get install -y wrk)
	$(BIN)/python -m tests.load.api_bench

# Re-resolve every pin: constraints.txt (the venv: all extras, this platform, Python 3.11)
# and the container images' hashed locks (deploy/docker/lock.sh). Then `make test`, and
# refit the shipped heads if the ONNX or scikit-learn versions moved (docs/classifier.md).
lock: install-dev
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra classifier --extra train \
	    --python-version 3.11 --quiet --no-header --upgrade -o constraints.txt
	sed -i '1i # Pins for make install / install-dev (pip -c): regenerate with make lock.' constraints.txt
	bash deploy/docker/lock.sh --upgrade

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
