PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck bench flask-suite clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/uvicorn examples.hello:app --host 127.0.0.1 --port 5000

lint: $(STAMP)
	$(BIN)/ruff check aioflask tests examples bench
	$(BIN)/ruff format --check aioflask tests examples bench

typecheck: $(STAMP)
	$(BIN)/mypy aioflask tests/type_check

test: lint typecheck
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python bench/run.py

# Flask's and four extensions' own test suites against aioflask (needs PyPI; not part of `test`).
flask-suite:
	bash bench/flask_suite.sh

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
