# agritrace — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DB     ?= sqlite:///var/agritrace.db
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install run demo test lint typecheck pytest bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

## Set up, seed the demo data into a SQLite file, and start the service.
run: install
	$(BIN)/agritrace demo --db $(DB) --host $(HOST) --port $(PORT)
	$(BIN)/agritrace serve --db $(DB) --host $(HOST) --port $(PORT)

demo: install
	$(BIN)/agritrace demo --db $(DB) --host $(HOST) --port $(PORT)

## Set up and run every check and test (SQLite and PostgreSQL).
test: install lint typecheck pytest

lint: install
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/mypy

pytest: install
	$(BIN)/pytest -q

## Benchmarks, side by side with their baselines (not part of `make test`).
bench: install
	$(BIN)/python -m tests.benchmarks

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
