# Everything runs from .venv, which the first target that needs it creates.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STACK  ?= dev

.PHONY: help venv plan test test-all lint schedule bench pack clean

help:
	@echo "make plan [STACK=dev]   offline preview of a stack: resources, depth, openings, policy violations"
	@echo "make test               install the project with its test extra into .venv and run pytest (not the slow tests)"
	@echo "make test-all           every test, the slow ones too (the policy pack in a virtualenv of its own), as CI runs them"
	@echo "make lint               ruff"
	@echo "make bench              measure plan speed, scale and policy time"
	@echo "make pack               build the policy pack to ship on its own: dist/policy-pack"

$(BIN)/mw: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,viz]'
	touch $@

venv: $(BIN)/mw

plan: venv
	$(BIN)/mw plan --stack $(STACK)

# -n auto: one worker per core; worksteal evens out modules of very different lengths. PYTHONDONTWRITEBYTECODE is unset so that the many processes the suite starts
# (mw, policy packs) reuse compiled modules instead of recompiling them each time.
PYTEST := env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m pytest -q -n auto --dist worksteal

test: venv
	$(PYTEST) -m "not slow"

test-all: venv
	$(PYTEST)

lint: venv
	$(BIN)/ruff check .

bench: venv
	$(BIN)/python benchmarks/bench.py

pack: venv
	$(BIN)/python tools/build_pack.py dist/policy-pack

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis *.egg-info dist
