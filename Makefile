# Quick start: `make run` (the whole chain on the embedded services), `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# three workers on two cores: the slowest tests wait on daemons, cron ticks and servers, and a
# third worker fills those waits (docs/development.md)
PYTEST := $(BIN)/python -m pytest -n 3

.PHONY: install run test test-fast lint format dev bench bench-incremental bench-generator bench-backfill soak \
	services-start services-stop services-status browser clean

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev]'
	# the project's own bytecode, which nothing writes where PYTHONDONTWRITEBYTECODE is set
	$(BIN)/python -m compileall -q shopping_assets data_generator harness benchmarks
	touch $(STAMP)

run: install
	$(BIN)/shopping-pipeline run

test: install
	$(PYTEST)

# the tier that needs no services: settings, rules, SQL, plans, the generator
test-fast: install
	$(PYTEST) -m "not services"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

dev: install
	$(BIN)/shopping-pipeline dev

bench: install
	$(BIN)/python -m benchmarks

bench-incremental: install
	$(BIN)/python -m benchmarks --incremental

bench-generator: install
	$(BIN)/python -m benchmarks.generator

# 24 months of 137 customers: run over all of it vs one month, and the UI's "Materialize all"
bench-backfill: install
	$(BIN)/python -m benchmarks.backfill

soak: install
	$(BIN)/python -m harness.soak

services-start: install
	$(BIN)/shopping-pipeline services start

services-stop: install
	$(BIN)/shopping-pipeline services stop

services-status: install
	$(BIN)/shopping-pipeline services status

# Debian's chromium, for the UI tests in a browser (Playwright drives it; as root, as CI runs)
browser:
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

clean:
	-$(BIN)/shopping-pipeline services stop
	rm -rf .shopping input_data output_data
