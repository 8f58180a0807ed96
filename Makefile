# mfgplan: two commands on a fresh machine.
#   make run    set up .venv and run the default scenario (the plan as written)
#   make test   set up .venv, lint, and run the test suite (what CI runs)
VENV      := .venv
PY        := $(VENV)/bin/python
STAMP     := $(VENV)/.installed
SCENARIO  ?= scenarios/plan-2016.yaml
PYTEST_ARGS ?= -m "not slow"
WORKERS   ?= 2

.PHONY: setup run test test-all lint format bench bench-scale forecast clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@set -e; PYBIN=$$(scripts/find-python); echo "using $$PYBIN"; \
	  [ -x $(PY) ] || $$PYBIN -m venv $(VENV); \
	  $(PY) -m pip install --quiet --upgrade pip; \
	  $(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

run: setup
	$(VENV)/bin/mfgplan run $(SCENARIO) --workers $(WORKERS)

forecast: setup
	$(VENV)/bin/mfgplan forecast

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: lint
	MPLBACKEND=Agg $(PY) -m pytest $(PYTEST_ARGS)

test-all: lint
	MPLBACKEND=Agg $(PY) -m pytest

bench: setup
	$(PY) benchmarks/run.py $(BENCH_ARGS)

bench-scale: setup
	$(PY) benchmarks/run.py --scale

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
