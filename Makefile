# Quick start: `make run` (the whole chain on the embedded services), `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test dev bench bench-incremental bench-generator soak services-start services-stop services-status clean

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev]'
	touch $(STAMP)

run: install
	$(BIN)/shopping-pipeline run

test: install
	$(BIN)/python -m pytest

dev: install
	$(BIN)/shopping-pipeline dev

bench: install
	$(BIN)/shopping-pipeline bench

bench-incremental: install
	$(BIN)/shopping-pipeline bench --incremental

soak: install
	$(BIN)/shopping-pipeline soak

bench-generator: install
	$(BIN)/python -m data_generator.bench

services-start: install
	$(BIN)/shopping-pipeline services start

services-stop: install
	$(BIN)/shopping-pipeline services stop

services-status: install
	$(BIN)/shopping-pipeline services status

clean:
	-$(BIN)/shopping-pipeline services stop
	rm -rf .shopping input_data output_data
