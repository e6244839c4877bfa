# Every target bootstraps .venv itself: `make demo` and `make test` work as the first command typed.
# The first Python 3.11+ that actually runs (a pyenv shim may exist for a version that is not active).
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint format bench bench-quick reliability clean

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Service Ladder needs Python 3.11 or newer: set PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,ui]'  # ui: Datasette, for ladder serve
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/ladder demo --out demo-output

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Figures, not assertions: each script prints a table and writes bench/results/<name>.json.
# Full size: about 30 minutes on 2 cores. bench-quick (2 minutes) only shows the scripts run: at
# its sizes start-up dominates, so read the targets off `make bench` (bench/README.md).
bench: $(STAMP)
	$(BIN)/python bench/crawl.py
	$(BIN)/python bench/incremental.py
	$(BIN)/python bench/store.py
	$(BIN)/python bench/classify.py
	$(BIN)/python bench/rank.py
	$(BIN)/python bench/report.py
	$(BIN)/python bench/dates.py

bench-quick: $(STAMP)
	$(BIN)/python bench/crawl.py --businesses 6 --pages 12 --small-pages 4 --runs 1
	$(BIN)/python bench/incremental.py --businesses 4 --pages 40 --many 40 --runs 1
	$(BIN)/python bench/store.py --reviews 100000 --runs 1
	$(BIN)/python bench/classify.py --reviews 20000 --runs 1
	$(BIN)/python bench/rank.py --reviews 100000 --runs 1
	$(BIN)/python bench/report.py --reviews 20000 --businesses 10 --runs 1
	$(BIN)/python bench/dates.py --runs 1

# Every fault case, crawled for real, as a table: reviews expected vs stored, lost = 0; then the
# hostile conditions beyond a page (SMTP, a killed crawl, exports, robots.txt, config, files).
reliability: $(STAMP)
	$(BIN)/python -m tests.faults
	$(BIN)/python -m tests.hostile
	HYPOTHESIS_PROFILE=reliability $(BIN)/python -m pytest -q tests/test_properties_*.py

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) demo-output bench/data bench/results .mypy_cache .ruff_cache .pytest_cache
