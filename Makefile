# One task runner (STYLE.md habit 9). `make test` works from a clean clone: it creates .venv.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install serve test lint type format bench clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

serve: $(STAMP)
	$(BIN)/intimacy-graph serve

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

format: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

type: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache

# Reliability and security at full length (docs/reliability.md): the hostile-input corpus, API
# fuzzing, 20 kill -9 cycles, a 60 s 1-writer/8-reader soak, a full disk, a Virtuoso outage,
# then the fairness benchmark. `make test` runs the same tests shortened.
.PHONY: reliability
reliability: $(STAMP)
	INTIMACY_GRAPH_RELIABILITY=full $(BIN)/python -m pytest -q tests/hostile tests/reliability \
		tests/test_virtuoso_outage.py
	$(BIN)/python -m bench.fairness --seconds 20 --out bench/results/fairness-latest.json
