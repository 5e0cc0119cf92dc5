# The two commands a new user types: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint typecheck unit wheel bench clean

$(BIN)/trainer: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

demo: $(BIN)/trainer
	$(BIN)/trainer demo

test: lint typecheck unit wheel

lint: $(BIN)/trainer
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(BIN)/trainer
	$(BIN)/mypy

unit: $(BIN)/trainer
	$(BIN)/pytest -q -n auto

# The wheel as a user gets it: built, installed into a fresh virtualenv, run elsewhere.
wheel: $(BIN)/trainer
	$(BIN)/pytest -q -m wheel tests/packaging

bench: $(BIN)/trainer
	$(BIN)/python benchmarks/plan_bench.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .trainer build dist *.egg-info
