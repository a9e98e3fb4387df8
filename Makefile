# agritrace — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DB     ?= sqlite:///var/agritrace.db
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install run demo test lint typecheck imports pytest bench clean

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
test: install lint typecheck imports pytest

lint: install
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/mypy

## The dependency rules (api -> ledger -> verify; the witness needs only verify): pyproject.toml.
imports: install
	$(BIN)/lint-imports

## In parallel, a test file per worker at a time (module-scoped fixtures stay per file).
pytest: install
	$(BIN)/pytest -q -n auto --dist loadfile

## Benchmarks, side by side with their baselines (not part of `make test`).
bench: install
	$(BIN)/python -m tests.benchmarks

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis .import_linter_cache
