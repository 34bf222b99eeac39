# Everything runs from .venv, installed from uv.lock by the first target that needs it.
# uv itself is pinned with hashes (tools/uv-requirements.txt) and installed once per machine.
PYTHON     ?= python3
VENV       := .venv
BIN        := $(VENV)/bin
STACK      ?= dev
UV_VERSION := 0.13.9
UV_HOME    ?= $(HOME)/.cache/mw-tools/uv-$(UV_VERSION)
UV         := $(UV_HOME)/bin/uv

# uv: never download a Python (use $(PYTHON)); trust the system's certificates (proxies with their own CA).
export UV_PYTHON_DOWNLOADS := never
export UV_SYSTEM_CERTS := 1

.PHONY: help venv plan test test-all lint schedule bench pack lock clean

help:
	@echo "make plan [STACK=dev]   offline preview of a stack: resources, depth, openings, policy violations"
	@echo "make test               install the locked environment into .venv and run pytest (not the slow tests)"
	@echo "make test-all           every test, the slow ones too (the policy pack in a virtualenv of its own), as CI runs them"
	@echo "make lint               ruff"
	@echo "make bench              measure plan speed, scale and policy time"
	@echo "make pack               build the policy pack to ship on its own: dist/policy-pack"
	@echo "make lock               re-resolve uv.lock after editing pyproject.toml, then run the contract tests"

$(UV): tools/uv-requirements.txt
	@echo "make: installing uv $(UV_VERSION) (hash-checked) into $(UV_HOME)"
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --require-hashes \
		--only-binary=:all: --no-deps --target $(UV_HOME) -r tools/uv-requirements.txt
	touch $@

# --locked: install exactly uv.lock, and stop if pyproject.toml changed without `make lock`.
$(BIN)/mw: pyproject.toml uv.lock $(UV)
	@echo "make: installing the locked environment into $(VENV) (uv sync --locked)"
	$(UV) sync --locked --python $(PYTHON)
	touch $@

venv: $(BIN)/mw

plan: venv
	$(BIN)/mw plan --stack $(STACK)

# -n auto: one worker per core; worksteal evens out modules of very different lengths. PYTHONDONTWRITEBYTECODE
# is unset so that the many processes the suite starts (mw, policy packs) reuse compiled modules.
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

# The contract tests gate an upgrade: pulumi and pulumi-policy internals, pulumi-aws type tokens, the packaging.
lock: $(UV)
	$(UV) lock
	$(UV) sync --locked --python $(PYTHON)
	$(BIN)/python -m pytest -q tests/engine/test_pulumi_contract.py tests/policies/test_pulumi_policy_contract.py \
		tests/core/test_tokens.py tests/test_packaging.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis *.egg-info dist
