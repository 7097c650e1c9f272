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
# Two installs: the runtime alone for the reports, the test/dev/Spark extras on top for the tests.
RUNTIME := $(VENV)/.installed-runtime
FULL := $(VENV)/.installed-full

# Quieten pip's notes about unreachable mirror folders on some machines.
PIP_QUIET := grep -v "is ignored: it is neither a file nor a directory" || true

.PHONY: help setup sample-data validate ingest reports backfill preflight lint test test-fast mutation lab bench bench-smoke clean

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-13s %s\n", $$1, $$2}'

$(PY):
	@$(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip 2>&1 | $(PIP_QUIET)

$(RUNTIME): pyproject.toml | $(PY)
	@echo "Installing qa-insights (runtime) into $(VENV) ..."
	@$(PY) -m pip install -q -e . 2>&1 | $(PIP_QUIET)
	@$(PY) -m ipykernel install --sys-prefix --name qa-insights --display-name "Python (qa-insights)" > /dev/null
	@touch $@

$(FULL): pyproject.toml $(RUNTIME)
	@echo "Installing the test, dev and Spark extras into $(VENV) ..."
	@$(PY) -m pip install -q -e '.[test,dev,spark]' 2>&1 | $(PIP_QUIET)
	@# irrCAC pins old scipy/pandas; it is only a reference peer for the tests.
	@$(PY) -m pip install -q --no-deps 'irrCAC==0.4.4' 2>&1 | $(PIP_QUIET)
	@touch $@

setup: $(FULL) ## build .venv (runtime, test, dev and Spark extras) and register the Jupyter kernel

sample-data: $(RUNTIME) ## regenerate the bundled sample data in data_samples/ (seeded, deterministic)
	$(QA) sample-data --out $(DATA)

validate: $(RUNTIME) ## validate the data folder against the contract (DATA=data_samples)
	$(QA) validate $(DATA)

ingest: $(RUNTIME) ## validate DATA once into the store (STORE=, default OUT/.store.duckdb); again only changed months
	$(QA) ingest $(DATA) --store $(STORE)

reports: ingest ## build every report for the latest month from the store (MONTH=YYYY-MM to choose)
	$(QA) build --store $(STORE) --out $(OUT) $(if $(MONTH),--month $(MONTH),) $(if $(JOBS),--jobs $(JOBS),)

backfill: ingest ## build every report for every month in the data
	$(QA) build --store $(STORE) --out $(OUT) --all-months $(if $(JOBS),--jobs $(JOBS),)

preflight: ## check (or install, as root with apt) what the browser and Spark tests need
	@command -v chromium > /dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get > /dev/null; then \
	    echo "Installing Debian's chromium for the browser tests ..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium > /dev/null; \
	  else echo "make test needs Debian's chromium for the browser tests: sudo apt-get install chromium"; exit 2; fi; }
	@command -v java > /dev/null || { \
	  echo "make test needs Java 17+ for the Spark tests: sudo apt-get install default-jre-headless"; exit 2; }

lint: $(FULL) ## ruff on the library, tests and benchmarks; mypy --strict (pyproject) on the library; zero findings
	$(VENV)/bin/ruff check qa_insights tests benchmarks
	$(VENV)/bin/mypy

test: preflight $(FULL) lint ## run the whole test suite (lint, unit, notebooks, headless browser, Spark)
	QA_INSIGHTS_REQUIRE_PEERS=1 $(PY) -m pytest -n 2 --dist loadgroup -q

test-fast: $(FULL) ## unit tests only (no notebook execution or browser)
	$(PY) -m pytest -q -m "not slow and not spark"

MUTANTS ?=
mutation: $(FULL) ## mutation-test statistics, targets, costs, findings, engine -> tests/MUTATION.md (slow; MODULE=qa_insights/stats/lmdi.py TESTS="tests/test_lmdi.py" for one, MUTANTS=n)
	$(PY) tools/mutation.py $(if $(MODULE),--module $(MODULE),) $(if $(TESTS),--tests $(TESTS),) $(if $(MUTANTS),--n $(MUTANTS),) $(if $(MODULE),,--out tests/MUTATION.md)

lab: $(RUNTIME) ## start JupyterLab with the project kernel on the report notebooks
	$(VENV)/bin/jupyter lab qa_insights/reports/notebooks/

bench: $(FULL) ## run every benchmark at full size and write benchmarks/RESULTS.md
	$(PY) -m benchmarks --full

bench-smoke: $(FULL) ## run every benchmark at smoke size (what CI runs)
	$(PY) -m benchmarks --smoke

clean: ## remove generated reports, caches and the virtual environment
	rm -rf $(VENV) $(OUT) quarantine .pytest_cache .hypothesis build *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
