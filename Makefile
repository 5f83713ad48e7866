# StudentFlow. Two commands matter: `make demo` and `make test` (see README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# The first Python 3.12+ found: python3.14 … python3, then pyenv's versions (a shim may exist for a version
# that is installed but not selected, so each candidate is asked for its version rather than trusted).
PYTHON ?= $(shell for p in python3.14 python3.13 python3.12 python3 $$HOME/.pyenv/versions/3.1[2-9]*/bin/python3 /usr/local/bin/python3.1[2-9] /usr/bin/python3.1[2-9]; do \
	if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then echo $$p; break; fi; done)
DEMO_SETTINGS := portal.settings.development
PORT ?= 8000

.PHONY: help install demo test lint format system-deps messages compile-messages icons bench load cluster clean

help:
	@echo "make demo   set up everything and run the portal with a demo school on http://localhost:$(PORT)/"
	@echo "make test   lint and run the whole test suite (browser tests included)"
	@echo "make bench  time the key pages on the large demo school (bench/results.md)"
	@echo "make load   the register page under production settings, 8 connections, SQLite and PostgreSQL (bench/load-results-*.md)"
	@echo "make cluster  2 web nodes + 2 workers in network namespaces behind nginx, load-tested (root; cluster/results.md)"

$(STAMP): pyproject.toml
	@if [ -z "$(PYTHON)" ]; then echo "StudentFlow needs Python 3.12 or newer; none was found on PATH." >&2; exit 1; fi
	@echo "Using $(PYTHON) ($$($(PYTHON) --version))"
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) compile-messages

compile-messages: $(STAMP)
	$(PY) manage.py compile_translations

# After using a new icon: cut the icons the code names out of Bootstrap Icons (static/vendor/bootstrap-icons/subset).
icons: $(STAMP)
	$(PY) manage.py icons_subset

messages: $(STAMP)
	$(PY) manage.py makemessages --all --no-obsolete --ignore='.venv/*' --ignore='static/vendor/*' --ignore='staticfiles/*' --ignore='var/*'
	$(PY) manage.py makemessages --all --no-obsolete -d djangojs --ignore='.venv/*' --ignore='static/vendor/*' --ignore='staticfiles/*' --ignore='var/*'

demo: install
	DJANGO_SETTINGS_MODULE=$(DEMO_SETTINGS) $(PY) manage.py migrate --noinput
	DJANGO_SETTINGS_MODULE=$(DEMO_SETTINGS) $(PY) manage.py seed_demo --size small
	@echo ""
	@echo "StudentFlow is starting on http://localhost:$(PORT)/  (Ctrl+C stops the web server and the worker)"
	@echo "Demo logins (password: studentflow-demo):"
	@echo "  administrator  admin@demo.school"
	@echo "  teacher        teacher@demo.school   (also a parent: switch role in the menu)"
	@echo "  parent         parent@demo.school"
	@echo "  student        student@demo.school"
	@echo "  bursar         bursar@demo.school"
	@echo ""
	DJANGO_SETTINGS_MODULE=$(DEMO_SETTINGS) PORT=$(PORT) PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/honcho start -f Procfile

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-logo

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# The tests need a few system packages: Chromium for the browser tests (Playwright's own browser download is
# not used), GNU gettext to check that every string is translated, Pango for WeasyPrint's PDFs, and nginx
# (`nginx -t` checks deploy/nginx.conf; `make cluster` runs it in front of the web nodes).
system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || [ -n "$$CHROMIUM_PATH" ] || missing="$$missing chromium"; \
	command -v xgettext >/dev/null 2>&1 || missing="$$missing gettext"; \
	ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so' || missing="$$missing libpango-1.0-0 libpangoft2-1.0-0"; \
	command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing="$$missing nginx"; \
	[ -z "$$missing" ] && exit 0; \
	echo "Installing:$$missing (Debian packages)"; \
	if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	if command -v apt-get >/dev/null 2>&1; then $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	else echo "Please install:$$missing (or set CHROMIUM_PATH) to run the tests." >&2; exit 1; fi

test: install system-deps lint
	$(VENV)/bin/pytest

bench: install
	$(PY) -m bench

# Load test: the Procfile's gunicorn under production settings on the large demo school, 8 connections for 30 s
# on the register page (budget: 75 req/s, 0 errors), on SQLite and then on PostgreSQL (LOAD_DATABASE_URL;
# skipped when no server answers). `python -m bench.load --help` for other pages and connections.
LOAD_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/studentflow_bench
load: install
	DATABASE_URL= $(PY) -m bench.load
	DATABASE_URL=$(LOAD_DATABASE_URL) $(PY) -m bench.load --skip-unreachable

# The portal as a cluster on this machine (docs/cluster.md): two web nodes and two queue workers, each in its own
# network namespace, behind nginx, on one PostgreSQL (CLUSTER_DATABASE_URL) and one Redis (CLUSTER_REDIS_URL);
# a locust morning through one node and then two, a worker killed mid-batch; cluster/results.md. Needs root.
CLUSTER_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/studentflow_cluster
CLUSTER_REDIS_URL ?= redis://127.0.0.1:6379/9
cluster: install system-deps
	CLUSTER_DATABASE_URL=$(CLUSTER_DATABASE_URL) CLUSTER_REDIS_URL=$(CLUSTER_REDIS_URL) bash cluster/cluster.sh $(CLUSTER_ARGS)

clean:
	rm -rf $(VENV) staticfiles var/*.sqlite3* var/test-media .pytest_cache .ruff_cache .mypy_cache
