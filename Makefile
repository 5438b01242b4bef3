# Two commands for a newcomer: `make run` and `make test`. Each installs what it needs into .venv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt

.PHONY: install playground run test lint typecheck unit bench lock clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)

# An editable install compiles none of the project's modules; where PYTHONDONTWRITEBYTECODE is set
# every start would compile them again (a few tenths of a second), so compile them once here.
COMPILE := $(BIN)/python -m compileall -q bot cards graph manifest

$(VENV)/.run-deps: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) -e .
	$(COMPILE)
	@touch $@

$(VENV)/.test-deps: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) -e '.[test]'
	$(COMPILE)
	@touch $@ $(VENV)/.run-deps

install: $(VENV)/.run-deps
	@echo "Installed. For the als command in a terminal: . $(VENV)/bin/activate"

run: $(VENV)/.run-deps
	@echo "For the als command in another terminal: . $(VENV)/bin/activate"
	$(BIN)/als serve

lint: $(VENV)/.test-deps
	$(BIN)/ruff check .

typecheck: $(VENV)/.test-deps
	$(BIN)/mypy

unit: $(VENV)/.test-deps
	$(BIN)/pytest

test: lint typecheck unit

# The README's Playground route on a fresh clone of this repository, in headless Chromium, timed.
playground: $(VENV)/.test-deps
	$(PIP) -e '.[test,playground]'
	$(BIN)/python -m tests.playground_walk --shot build/admin-card.png

bench: $(VENV)/.test-deps
	$(BIN)/als bench

# Refresh the pinned constraints after changing dependencies in pyproject.toml.
lock: $(BIN)/python
	$(BIN)/python -m pip install --quiet -U -e '.[test]'
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^-e' > constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
