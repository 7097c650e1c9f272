# qa-insights: every job is a target; `make help` lists them.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
QA := $(VENV)/bin/qa-insights
DATA ?= data_samples
OUT ?= reports
STORE ?= $(OUT)/.store.duckdb
MONTH ?=
JOBS ?=
STAMP := $(VENV)/.installed

# Quieten pip's notes about unreachable mirror folders on some machines.
PIP_QUIET := grep -v "is ignored: it is neither a file nor a directory" || true

.PHONY: help setup sample-data validate ingest reports backfill test test-fast lab bench bench-smoke clean

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-13s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing qa-insights and its test extras into $(VENV) ..."
	@$(PY) -m pip install -q --upgrade pip 2>&1 | $(PIP_QUIET)
	@$(PY) -m pip install -q -e '.[test,dev,spark]' 2>&1 | $(PIP_QUIET)
	@# irrCAC pins old scipy/pandas; it is only a reference peer for the tests.
	@$(PY) -m pip install -q --no-deps 'irrCAC==0.4.4' 2>&1 | $(PIP_QUIET)
	@$(PY) -m ipykernel install --sys-prefix --name qa-insights --display-name "Python (qa-insights)" > /dev/null
	@touch $@

setup: $(STAMP) ## build .venv with pip from pyproject.toml and register the Jupyter kernel

sample-data: $(STAMP) ## regenerate the bundled sample data in data_samples/ (seeded, deterministic)
	$(QA) sample-data --out $(DATA)

validate: $(STAMP) ## validate the data folder against the contract (DATA=data_samples)
	$(QA) validate $(DATA)

ingest: $(STAMP) ## validate DATA once into the store (STORE=, default OUT/.store.duckdb); again only changed months
	$(QA) ingest $(DATA) --store $(STORE)

reports: ingest ## build every report for the latest month from the store (MONTH=YYYY-MM to choose)
	$(QA) build --store $(STORE) --out $(OUT) $(if $(MONTH),--month $(MONTH),) $(if $(JOBS),--jobs $(JOBS),)

backfill: ingest ## build every report for every month in the data
	$(QA) build --store $(STORE) --out $(OUT) --all-months $(if $(JOBS),--jobs $(JOBS),)

test: $(STAMP) ## run the whole test suite (unit, notebooks, headless browser, Spark)
	QA_INSIGHTS_REQUIRE_PEERS=1 $(PY) -m pytest -n 2 --dist loadgroup -q

test-fast: $(STAMP) ## unit tests only (no notebook execution or browser)
	$(PY) -m pytest -q -m "not slow and not spark"

lab: $(STAMP) ## start JupyterLab with the project kernel on the report notebooks
	$(VENV)/bin/jupyter lab qa_insights/reports/notebooks/

bench: $(STAMP) ## run every benchmark at full size and write benchmarks/RESULTS.md
	$(PY) -m benchmarks --full

bench-smoke: $(STAMP) ## run every benchmark at smoke size (what CI runs)
	$(PY) -m benchmarks --smoke

clean: ## remove generated reports, caches and the virtual environment
	rm -rf $(VENV) $(OUT) quarantine .pytest_cache .hypothesis build *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
