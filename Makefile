# Everything runs from .venv, which the first target that needs it creates.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STACK  ?= dev

.PHONY: help venv plan test lint schedule bench clean

help:
	@echo "make plan [STACK=dev]   offline preview of a stack: resources, depth, openings, policy violations"
	@echo "make test               install the project with its test extra into .venv and run pytest"
	@echo "make lint               ruff"
	@echo "make bench              measure plan speed, scale and policy time"

$(BIN)/mw: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,viz]'
	touch $@

venv: $(BIN)/mw

plan: venv
	$(BIN)/mw plan --stack $(STACK)

test: venv
	$(BIN)/python -m pytest -q

lint: venv
	$(BIN)/ruff check .

bench: venv
	$(BIN)/python benchmarks/bench.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis *.egg-info
