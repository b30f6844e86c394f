# archase: `make demo` and `make test` are the two commands a newcomer needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install browser demo run test ui docs bench clean

install: $(STAMP)

# The lock pins the set known to work here (dbt-core 1.11, dagster 1.13, duckdb 1.5, GX 1.24).
$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24" "setuptools>=70" wheel
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

demo: install
	$(BIN)/archase demo

run: install
	$(BIN)/archase run

test: install browser
	$(BIN)/python -m pytest -q

# The UI test drives Debian's Chromium (no browser download at run time); root installs it.
browser:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

ui: install
	mkdir -p var/dagster_home
	DAGSTER_HOME=$(CURDIR)/var/dagster_home $(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

docs: install
	cd dbt_project && ARCHASE_WAREHOUSE=$(CURDIR)/var/archase.duckdb ../$(BIN)/dbt docs generate --profiles-dir .

bench: install
	$(BIN)/archase bench --invoices $(or $(SIZE),100000)

clean:
	rm -rf var dbt_project/target dbt_project/logs
