PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
WORKERS ?= 2
TEST_DB_URL := $(TEST_DATABASE_URL)

.PHONY: run test bench stress install install-dev migrate demo clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

migrate: install
	$(BIN)/flask --app wsgi db upgrade

demo: migrate
	$(BIN)/flask --app wsgi demo load
	$(BIN)/flask --app wsgi search reconcile

run: demo
	@echo "Hearth is starting at http://127.0.0.1:$(PORT)"
	$(BIN)/gunicorn --workers $(WORKERS) --bind 127.0.0.1:$(PORT) --access-logfile - wsgi:app

test: install-dev
	$(BIN)/python -m pytest --db=sqlite
	@if [ -n "$(TEST_DB_URL)" ]; then \
		echo "Running the suite again on PostgreSQL ($(TEST_DB_URL))"; \
		TEST_DATABASE_URL="$(TEST_DB_URL)" $(BIN)/python -m pytest --db=postgres; \
	fi

bench: install-dev
	$(BIN)/python -m tests.bench.run

stress: install-dev
	PYTHON=$(BIN)/python bash tests/stress.sh $(or $(RUNS),50)

clean:
	rm -rf $(VENV) .pytest_cache
