# The README's commands. Each one creates .venv and installs what it needs first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
# Port of the portal for `make run`, e.g. `make run PORT=8001`.
PORT ?= 8000
BIN := $(VENV)/bin

.PHONY: run demo test setup setup-dev lint

setup: $(VENV)/.installed

setup-dev: $(VENV)/.installed-dev

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# Serve the portal with demo data at http://127.0.0.1:8000, with a worker, beat and the
# sandbox farm; Ctrl-C stops everything.
run: setup
	$(BIN)/python -m demo run --port $(PORT)

# Both flows end to end, headless, then a summary; exits 0 only if both flows completed.
demo: setup
	$(BIN)/python -m demo headless

# The whole test suite; needs PostgreSQL and Redis (see README).
test: setup-dev
	$(BIN)/python -m pytest

lint: setup-dev
	$(BIN)/ruff check .
