PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Exact versions of everything `make test` installs (pip and the build backend
# included). `make lock` refreshes it; `make test-latest` tries the newest releases.
LOCK := requirements/test.lock

.PHONY: run test lint typecheck bench flask-suite lock test-latest clean

$(BIN)/python: $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check $$(grep '^pip==' $(LOCK))

# Only what the lock names, at the versions it names: `--no-deps` means nothing
# unlisted can slip in, and `pip check` proves the set is complete and consistent.
$(STAMP): pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -r $(LOCK)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check
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

# Re-resolve the newest releases that pyproject.toml allows and write them to the lock.
lock:
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet --upgrade pip hatchling editables
	.venv-lock/bin/python -m pip install --quiet --no-build-isolation -e '.[test]'
	{ echo "# Exact versions for 'make test' (CPython 3.11 on Linux). Refresh with 'make lock'."; \
	  .venv-lock/bin/python -m pip freeze --all --exclude-editable | grep -v '^setuptools=='; } > $(LOCK)
	rm -rf .venv-lock

# The suite against the newest releases pyproject.toml allows, to see drift before
# a lock refresh meets it. The linters stay at their pinned versions.
test-latest:
	rm -rf .venv-latest
	$(PYTHON) -m venv .venv-latest
	.venv-latest/bin/python -m pip install --quiet --upgrade pip
	.venv-latest/bin/python -m pip install --quiet --upgrade --upgrade-strategy eager -e '.[test]'
	.venv-latest/bin/python -m pip freeze --exclude-editable
	.venv-latest/bin/python -m pytest -q

clean:
	rm -rf $(VENV) .venv-lock .venv-latest .mypy_cache .pytest_cache .ruff_cache
